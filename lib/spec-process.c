/* config.json's "process": the command, its environment, user, capabilities and resource
 * limits, checked and copied into struct bt_spec_process. */
#include "spec-internal.h"

#include <inttypes.h>
#include <json-c/json.h>
#include <limits.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

/* clang-format off */
#define CAP(n) {"CAP_" #n, CAP_##n}
static const struct name_value capabilities[] = {
    CAP(CHOWN), CAP(DAC_OVERRIDE), CAP(DAC_READ_SEARCH), CAP(FOWNER), CAP(FSETID), CAP(KILL),
    CAP(SETGID), CAP(SETUID), CAP(SETPCAP), CAP(LINUX_IMMUTABLE), CAP(NET_BIND_SERVICE),
    CAP(NET_BROADCAST), CAP(NET_ADMIN), CAP(NET_RAW), CAP(IPC_LOCK), CAP(IPC_OWNER),
    CAP(SYS_MODULE), CAP(SYS_RAWIO), CAP(SYS_CHROOT), CAP(SYS_PTRACE), CAP(SYS_PACCT),
    CAP(SYS_ADMIN), CAP(SYS_BOOT), CAP(SYS_NICE), CAP(SYS_RESOURCE), CAP(SYS_TIME),
    CAP(SYS_TTY_CONFIG), CAP(MKNOD), CAP(LEASE), CAP(AUDIT_WRITE), CAP(AUDIT_CONTROL),
    CAP(SETFCAP), CAP(MAC_OVERRIDE), CAP(MAC_ADMIN), CAP(SYSLOG), CAP(WAKE_ALARM),
    CAP(BLOCK_SUSPEND), CAP(AUDIT_READ), CAP(PERFMON), CAP(BPF), CAP(CHECKPOINT_RESTORE),
    {NULL, 0},
};

#define RLIM(n) {"RLIMIT_" #n, RLIMIT_##n}
static const struct name_value rlimits[] = {
    RLIM(CPU), RLIM(FSIZE), RLIM(DATA), RLIM(STACK), RLIM(CORE), RLIM(RSS), RLIM(NPROC),
    RLIM(NOFILE), RLIM(MEMLOCK), RLIM(AS), RLIM(LOCKS), RLIM(SIGPENDING), RLIM(MSGQUEUE),
    RLIM(NICE), RLIM(RTPRIO), RLIM(RTTIME), {NULL, 0},
};
/* clang-format on */

static int parse_caps(struct ctx *c, const char *path, struct json_object *obj)
{
    static const char *const known[] = {"bounding",  "effective", "inheritable",
                                        "permitted", "ambient",   NULL};
    struct bt_spec_caps *caps = &c->spec->process.caps;
    uint64_t *sets[] = {&caps->bounding, &caps->effective, &caps->inheritable, &caps->permitted,
                        &caps->ambient};
    char p[BT_JSONREAD_PATH_MAX], q[BT_JSONREAD_PATH_MAX], shown[BT_JSONREAD_SHOWN_MAX];
    int ret = bt_spec_i_check_keys(c, path, obj, known, NULL);
    if (ret < 0)
        return ret;
    c->spec->process.has_capabilities = true;
    for (size_t s = 0; known[s]; s++) {
        struct json_object *list = bt_jsonread_member(obj, known[s]);
        size_t n;
        if (!list)
            continue;
        ret = bt_jsonread_get_array(&c->json, bt_jsonread_sub(p, path, known[s]), list,
                                    BT_SPEC_ITEMS_MAX, &n);
        for (size_t i = 0; ret == 0 && i < n; i++) {
            const char *name;
            ret = bt_jsonread_get_str(&c->json, bt_jsonread_item(q, p, i),
                                      json_object_array_get_idx(list, i), BT_JSONREAD_SHOWN_MAX,
                                      &name);
            if (ret < 0)
                break;
            int cap = bt_spec_i_lookup(capabilities, name);
            if (cap < 0)
                return bt_jsonread_fail(&c->json, q, "unknown capability '%s'",
                                        bt_jsonread_printable(shown, sizeof(shown), name));
            *sets[s] |= UINT64_C(1) << cap;
        }
        if (ret < 0)
            return ret;
    }
    return 0;
}

static int parse_rlimits(struct ctx *c, const char *path, struct json_object *list)
{
    static const char *const known[] = {"type", "soft", "hard", NULL};
    struct bt_spec_process *process = &c->spec->process;
    char p[BT_JSONREAD_PATH_MAX], q[BT_JSONREAD_PATH_MAX], shown[BT_JSONREAD_SHOWN_MAX];
    size_t n;
    int ret = bt_jsonread_get_array(&c->json, path, list, sizeof(rlimits) / sizeof(rlimits[0]), &n);
    if (ret < 0)
        return ret;
    process->rlimits = calloc(n ? n : 1, sizeof(*process->rlimits));
    if (!process->rlimits)
        return bt_jsonread_oom(&c->json);
    for (size_t i = 0; i < n; i++) {
        struct json_object *obj;
        struct bt_spec_rlimit *rlimit = &process->rlimits[i];
        const char *type;
        ret = bt_spec_i_typed_item(c, path, list, i, known, p, &obj, &type);
        if (ret < 0)
            return ret;
        bt_jsonread_sub(q, p, "type");
        rlimit->resource = bt_spec_i_lookup(rlimits, type);
        if (rlimit->resource < 0)
            return bt_jsonread_fail(&c->json, q, "unknown resource limit '%s'",
                                    bt_jsonread_printable(shown, sizeof(shown), type));
        for (size_t j = 0; j < i; j++)
            if (process->rlimits[j].resource == rlimit->resource)
                return bt_jsonread_fail(&c->json, q, "'%s' is listed twice", type);
        ret =
            bt_jsonread_field_u64(&c->json, p, obj, "soft", true, UINT64_MAX, NULL, &rlimit->soft);
        if (ret == 0)
            ret = bt_jsonread_field_u64(&c->json, p, obj, "hard", true, UINT64_MAX, NULL,
                                        &rlimit->hard);
        if (ret < 0)
            return ret;
        process->rlimits_len = i + 1;
        if (rlimit->soft > rlimit->hard)
            return bt_jsonread_fail(&c->json, bt_jsonread_sub(q, p, "soft"),
                                    "%" PRIu64 " is above hard (%" PRIu64 ")", rlimit->soft,
                                    rlimit->hard);
    }
    return 0;
}

static int parse_user(struct ctx *c, const char *path, struct json_object *obj)
{
    static const char *const known[] = {"uid", "gid", "umask", "additionalGids", NULL};
    static const struct bt_jsonread_unsupported unsupported[] = {{"username", "a Windows key"},
                                                                 {NULL, NULL}};
    struct bt_spec_process *process = &c->spec->process;
    char p[BT_JSONREAD_PATH_MAX], q[BT_JSONREAD_PATH_MAX];
    uint64_t value;
    int ret = bt_spec_i_check_keys(c, path, obj, known, unsupported);
    if (ret == 0)
        ret = bt_jsonread_field_u64(&c->json, path, obj, "uid", true, UINT32_MAX, NULL, &value);
    if (ret < 0)
        return ret;
    process->uid = (uint32_t)value;
    ret = bt_jsonread_field_u64(&c->json, path, obj, "gid", true, UINT32_MAX, NULL, &value);
    if (ret < 0)
        return ret;
    process->gid = (uint32_t)value;
    ret = bt_jsonread_field_u64(&c->json, path, obj, "umask", false, 0777, &process->has_umask,
                                &value);
    if (ret < 0)
        return ret;
    process->umask = (uint32_t)value;
    struct json_object *gids = bt_jsonread_member(obj, "additionalGids");
    if (!gids)
        return 0;
    size_t n;
    ret = bt_jsonread_get_array(&c->json, bt_jsonread_sub(p, path, "additionalGids"), gids,
                                BT_SPEC_GROUPS_MAX, &n);
    if (ret < 0)
        return ret;
    process->additional_gids = calloc(n ? n : 1, sizeof(uint32_t));
    if (!process->additional_gids)
        return bt_jsonread_oom(&c->json);
    process->additional_gids_len = n;
    for (size_t i = 0; i < n; i++) {
        ret = bt_jsonread_get_u64(&c->json, bt_jsonread_item(q, p, i),
                                  json_object_array_get_idx(gids, i), UINT32_MAX, &value);
        if (ret < 0)
            return ret;
        process->additional_gids[i] = (uint32_t)value;
    }
    return 0;
}

int bt_spec_i_parse_process(struct ctx *c, const char *path, struct json_object *obj)
{
    static const char *const known[] = {
        "terminal", "consoleSize",     "user",        "args", "env", "cwd", "capabilities",
        "rlimits",  "noNewPrivileges", "oomScoreAdj", NULL};
    static const struct bt_jsonread_unsupported unsupported[] = {
        {"apparmorProfile", "AppArmor profiles are not supported"},
        {"selinuxLabel", "SELinux labels are not supported"},
        {"commandLine", "a Windows key"},
        {"ioPriority", "I/O priorities are not supported"},
        {"scheduler", "scheduler settings are not supported"},
        {"execCPUAffinity", "CPU affinity is not supported"},
        {NULL, NULL}};
    struct bt_spec_process *process = &c->spec->process;
    char p[BT_JSONREAD_PATH_MAX];
    struct json_object *value;
    int64_t adj = 0;
    int ret = bt_spec_i_check_keys(c, path, obj, known, unsupported);
    if (ret == 0)
        ret = bt_jsonread_field_bool(&c->json, path, obj, "terminal", false, &process->terminal);
    if (ret == 0 && (value = bt_jsonread_member(obj, "consoleSize"))) {
        static const char *const size_keys[] = {"height", "width", NULL};
        uint64_t height = 0, width = 0;
        bt_jsonread_sub(p, path, "consoleSize");
        ret = bt_spec_i_check_keys(c, p, value, size_keys, NULL);
        if (ret == 0)
            ret =
                bt_jsonread_field_u64(&c->json, p, value, "height", true, USHRT_MAX, NULL, &height);
        if (ret == 0)
            ret = bt_jsonread_field_u64(&c->json, p, value, "width", true, USHRT_MAX, NULL, &width);
        process->has_console_size = ret == 0;
        process->console_height = (unsigned short)height;
        process->console_width = (unsigned short)width;
    }
    if (ret == 0 && (value = bt_jsonread_member(obj, "user")))
        ret = parse_user(c, bt_jsonread_sub(p, path, "user"), value);
    if (ret < 0)
        return ret;

    size_t exec_bytes = 0;
    if (!(value = bt_jsonread_member(obj, "args")))
        return bt_jsonread_missing(&c->json, bt_jsonread_sub(p, path, "args"));
    ret = bt_jsonread_get_strv(&c->json, bt_jsonread_sub(p, path, "args"), value, BT_SPEC_ARGS_MAX,
                               BT_SPEC_ARG_MAX, NULL, &process->args, &process->args_len,
                               &exec_bytes);
    if (ret < 0)
        return ret;
    if (process->args_len == 0 || process->args[0][0] == '\0')
        return bt_jsonread_fail(&c->json, p, "must name a program to run");
    if ((value = bt_jsonread_member(obj, "env")))
        ret = bt_jsonread_get_strv(&c->json, bt_jsonread_sub(p, path, "env"), value,
                                   BT_SPEC_ARGS_MAX, BT_SPEC_ARG_MAX, bt_jsonread_check_env,
                                   &process->env, &process->env_len, &exec_bytes);
    else if (!(process->env = calloc(1, sizeof(char *))))
        ret = bt_jsonread_oom(&c->json);
    if (ret < 0)
        return ret;
    if (exec_bytes > BT_SPEC_EXEC_MAX)
        return bt_jsonread_fail(&c->json, path,
                                "args and env are too long together (%zu bytes, limit %u)",
                                exec_bytes, BT_SPEC_EXEC_MAX);

    ret =
        bt_jsonread_field_str(&c->json, path, obj, "cwd", true, BT_SPEC_STRING_MAX, &process->cwd);
    if (ret == 0 && process->cwd[0] != '/')
        ret = bt_jsonread_check_abs_path(&c->json, bt_jsonread_sub(p, path, "cwd"), process->cwd,
                                         true);
    if (ret == 0 && (value = bt_jsonread_member(obj, "capabilities")))
        ret = parse_caps(c, bt_jsonread_sub(p, path, "capabilities"), value);
    if (ret == 0 && (value = bt_jsonread_member(obj, "rlimits")))
        ret = parse_rlimits(c, bt_jsonread_sub(p, path, "rlimits"), value);
    if (ret == 0)
        ret = bt_jsonread_field_bool(&c->json, path, obj, "noNewPrivileges", false,
                                     &process->no_new_privileges);
    if (ret == 0)
        ret = bt_jsonread_field_i64(&c->json, path, obj, "oomScoreAdj", false, -1000, 1000,
                                    &process->has_oom_score_adj, &adj);
    process->oom_score_adj = (int)adj;
    return ret;
}
