/* config.json's "linux": namespaces (and spec.h's lookups of them), id mappings, cgroup
 * resources, sysctl, masked and read-only paths. A sysctl is accepted only when a namespace the
 * container gets owns it. */
#include "spec-internal.h"

#include <inttypes.h>
#include <json-c/json.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    int clone_flag;
} namespace_types[BT_SPEC_NS_COUNT] = {
    [BT_SPEC_NS_PID] = {"pid", CLONE_NEWPID},
    [BT_SPEC_NS_NETWORK] = {"network", CLONE_NEWNET},
    [BT_SPEC_NS_MOUNT] = {"mount", CLONE_NEWNS},
    [BT_SPEC_NS_IPC] = {"ipc", CLONE_NEWIPC},
    [BT_SPEC_NS_UTS] = {"uts", CLONE_NEWUTS},
    [BT_SPEC_NS_USER] = {"user", CLONE_NEWUSER},
    [BT_SPEC_NS_CGROUP] = {"cgroup", CLONE_NEWCGROUP},
};

const char *bt_spec_ns_name(enum bt_spec_ns_type type)
{
    return (unsigned)type < BT_SPEC_NS_COUNT ? namespace_types[type].name : "?";
}

int bt_spec_ns_clone_flag(enum bt_spec_ns_type type)
{
    return (unsigned)type < BT_SPEC_NS_COUNT ? namespace_types[type].clone_flag : 0;
}

const struct bt_spec_namespace *bt_spec_find_ns(const struct bt_spec *spec,
                                                enum bt_spec_ns_type type)
{
    for (size_t i = 0; i < spec->namespaces_len; i++)
        if (spec->namespaces[i].type == type)
            return &spec->namespaces[i];
    return NULL;
}

static int parse_namespaces(struct ctx *c, const char *path, struct json_object *list)
{
    static const char *const known[] = {"type", "path", NULL};
    struct bt_spec *spec = c->spec;
    char p[BT_JSONREAD_PATH_MAX], q[BT_JSONREAD_PATH_MAX], shown[BT_JSONREAD_SHOWN_MAX];
    size_t n;
    int ret = bt_jsonread_get_array(&c->json, path, list, BT_SPEC_NS_COUNT + 1, &n);
    if (ret < 0)
        return ret;
    spec->namespaces = calloc(n ? n : 1, sizeof(*spec->namespaces));
    if (!spec->namespaces)
        return bt_jsonread_oom(&c->json);
    for (size_t i = 0; i < n; i++) {
        struct json_object *obj;
        struct bt_spec_namespace *ns = &spec->namespaces[i];
        const char *type;
        ret = bt_spec_i_typed_item(c, path, list, i, known, p, &obj, &type);
        if (ret < 0)
            return ret;
        bt_jsonread_sub(q, p, "type");
        int t = 0;
        while (t < BT_SPEC_NS_COUNT && strcmp(namespace_types[t].name, type) != 0)
            t++;
        if (t == BT_SPEC_NS_COUNT)
            return bt_jsonread_fail(&c->json, q, "%s namespace '%s'",
                                    strcmp(type, "time") == 0 ? "unsupported" : "unknown",
                                    bt_jsonread_printable(shown, sizeof(shown), type));
        ns->type = (enum bt_spec_ns_type)t;
        if (bt_spec_find_ns(spec, ns->type))
            return bt_jsonread_fail(&c->json, q, "namespace '%s' is listed twice", type);
        spec->namespaces_len = i + 1;
        ret = bt_jsonread_field_str(&c->json, p, obj, "path", false, BT_SPEC_STRING_MAX, &ns->path);
        if (ret == 0 && ns->path)
            ret =
                bt_jsonread_check_abs_path(&c->json, bt_jsonread_sub(q, p, "path"), ns->path, true);
        if (ret < 0)
            return ret;
    }
    return 0;
}

static bool ranges_overlap(uint64_t a, uint64_t b, uint64_t size_a, uint64_t size_b)
{
    return a < b + size_b && b < a + size_a;
}

static int parse_id_mappings(struct ctx *c, const char *path, struct json_object *list,
                             struct bt_spec_id_map **out, size_t *len)
{
    static const char *const known[] = {"containerID", "hostID", "size", NULL};
    char p[BT_JSONREAD_PATH_MAX];
    size_t n;
    int ret = bt_jsonread_get_array(&c->json, path, list, BT_SPEC_IDMAP_MAX, &n);
    if (ret < 0)
        return ret;
    *out = calloc(n ? n : 1, sizeof(**out));
    if (!*out)
        return bt_jsonread_oom(&c->json);
    *len = n;
    for (size_t i = 0; i < n; i++) {
        struct json_object *obj = json_object_array_get_idx(list, i);
        uint64_t container_id, host_id, size;
        bt_jsonread_item(p, path, i);
        ret = bt_spec_i_check_keys(c, p, obj, known, NULL);
        if (ret == 0)
            ret = bt_jsonread_field_u64(&c->json, p, obj, "containerID", true, UINT32_MAX, NULL,
                                        &container_id);
        if (ret == 0)
            ret =
                bt_jsonread_field_u64(&c->json, p, obj, "hostID", true, UINT32_MAX, NULL, &host_id);
        if (ret == 0)
            ret = bt_jsonread_field_u64(&c->json, p, obj, "size", true, UINT32_MAX, NULL, &size);
        if (ret < 0)
            return ret;
        if (size == 0)
            return bt_jsonread_fail(&c->json, p, "size must not be 0");
        if (container_id + size > (uint64_t)UINT32_MAX + 1 ||
            host_id + size > (uint64_t)UINT32_MAX + 1)
            return bt_jsonread_fail(&c->json, p, "range goes past 4294967295");
        (*out)[i] =
            (struct bt_spec_id_map){(uint32_t)container_id, (uint32_t)host_id, (uint32_t)size};
        for (size_t j = 0; j < i; j++) {
            struct bt_spec_id_map *other = &(*out)[j];
            if (ranges_overlap(container_id, other->container_id, size, other->size) ||
                ranges_overlap(host_id, other->host_id, size, other->size))
                return bt_jsonread_fail(&c->json, p, "overlaps %s[%zu]", path, j);
        }
    }
    return 0;
}

/* "0-3,6": the cpuset list format. */
static int check_cpu_list(struct ctx *c, const char *path, const char *value)
{
    char shown[BT_JSONREAD_SHOWN_MAX];
    const char *s = value;
    while (*s) {
        char *end;
        if (*s < '0' || *s > '9')
            goto bad;
        unsigned long first = strtoul(s, &end, 10), last = first;
        if (*end == '-') {
            if (end[1] < '0' || end[1] > '9')
                goto bad;
            last = strtoul(end + 1, &end, 10);
        }
        if (first > last || last >= 65536)
            goto bad;
        s = end;
        if (*s == ',' && s[1])
            s++;
        else if (*s)
            goto bad;
    }
    if (s != value)
        return 0;
bad:
    return bt_jsonread_fail(&c->json, path, "'%s' is not a list such as '0-3,6'",
                            bt_jsonread_printable(shown, sizeof(shown), value));
}

/* An optional integer in MIN..MAX where 0 means unset, as runc reads Go's zero values. */
static int field_unset0(struct ctx *c, const char *path, struct json_object *obj, const char *key,
                        uint64_t min, uint64_t max, bool *has, uint64_t *out)
{
    char p[BT_JSONREAD_PATH_MAX];
    uint64_t value = 0;
    int ret = bt_jsonread_field_u64(&c->json, path, obj, key, false, UINT64_MAX, NULL, &value);
    if (ret == 0 && value != 0 && (value < min || value > max))
        ret = bt_jsonread_fail(&c->json, bt_jsonread_sub(p, path, key),
                               "%" PRIu64 " is out of range (%" PRIu64 "..%" PRIu64
                               ", or 0 for unset)",
                               value, min, max);
    *has = ret == 0 && value != 0;
    *out = value;
    return ret;
}

/* 0 means unset for cpu shares, quota and period and for blkio weight, as in runc. */
static int parse_resources(struct ctx *c, const char *path, struct json_object *obj)
{
    static const char *const known[] = {"memory", "cpu", "pids", "blockIO", "devices", NULL};
    static const struct bt_jsonread_unsupported unsupported[] = {
        {"hugepageLimits", "hugepage limits are not supported"},
        {"network", "network class and priorities are not supported"},
        {"rdma", "rdma limits are not supported"},
        {"unified", "raw cgroup v2 files (unified) are not supported"},
        {NULL, NULL}};
    static const char *const memory_known[] = {"limit", "reservation", "swap", NULL};
    static const struct bt_jsonread_unsupported memory_unsupported[] = {{"kernel", NULL},
                                                                        {"kernelTCP", NULL},
                                                                        {"swappiness", NULL},
                                                                        {"disableOOMKiller", NULL},
                                                                        {"useHierarchy", NULL},
                                                                        {"checkBeforeUpdate", NULL},
                                                                        {NULL, NULL}};
    static const char *const cpu_known[] = {"shares", "quota", "period", "cpus", "mems", NULL};
    static const struct bt_jsonread_unsupported cpu_unsupported[] = {{"realtimeRuntime", NULL},
                                                                     {"realtimePeriod", NULL},
                                                                     {"burst", NULL},
                                                                     {"idle", NULL},
                                                                     {NULL, NULL}};
    static const char *const pids_known[] = {"limit", NULL};
    static const char *const blkio_known[] = {"weight", NULL};
    static const struct bt_jsonread_unsupported blkio_unsupported[] = {
        {"leafWeight", NULL},
        {"weightDevice", NULL},
        {"throttleReadBpsDevice", NULL},
        {"throttleWriteBpsDevice", NULL},
        {"throttleReadIOPSDevice", NULL},
        {"throttleWriteIOPSDevice", NULL},
        {NULL, NULL}};
    struct bt_spec_resources *res = &c->spec->resources;
    char p[BT_JSONREAD_PATH_MAX], q[BT_JSONREAD_PATH_MAX];
    struct json_object *value;
    uint64_t u = 0;
    int ret = bt_spec_i_check_keys(c, path, obj, known, unsupported);
    if (ret < 0)
        return ret;

    if ((value = bt_jsonread_member(obj, "memory"))) {
        bt_jsonread_sub(p, path, "memory");
        ret = bt_spec_i_check_keys(c, p, value, memory_known, memory_unsupported);
        if (ret == 0)
            ret = bt_jsonread_field_i64(&c->json, p, value, "limit", false, -1, INT64_MAX,
                                        &res->has_memory_limit, &res->memory_limit);
        if (ret == 0)
            ret = bt_jsonread_field_i64(&c->json, p, value, "reservation", false, -1, INT64_MAX,
                                        &res->has_memory_reservation, &res->memory_reservation);
        if (ret == 0)
            ret = bt_jsonread_field_i64(&c->json, p, value, "swap", false, -1, INT64_MAX,
                                        &res->has_memory_swap, &res->memory_swap);
        if (ret < 0)
            return ret;
        if (res->has_memory_limit && res->has_memory_swap && res->memory_limit > 0 &&
            res->memory_swap >= 0 && res->memory_swap < res->memory_limit)
            return bt_jsonread_fail(&c->json, bt_jsonread_sub(q, p, "swap"),
                                    "%" PRId64 " is below limit (%" PRId64
                                    "): swap counts memory+swap",
                                    res->memory_swap, res->memory_limit);
    }

    if ((value = bt_jsonread_member(obj, "cpu"))) {
        bt_jsonread_sub(p, path, "cpu");
        ret = bt_spec_i_check_keys(c, p, value, cpu_known, cpu_unsupported);
        if (ret == 0)
            ret = field_unset0(c, p, value, "shares", 2, 262144, &res->has_cpu_shares,
                               &res->cpu_shares);
        if (ret == 0)
            ret = bt_jsonread_field_i64(&c->json, p, value, "quota", false, -1, INT64_MAX,
                                        &res->has_cpu_quota, &res->cpu_quota);
        if (ret == 0 && res->cpu_quota > 0 && res->cpu_quota < 1000)
            ret = bt_jsonread_fail(&c->json, bt_jsonread_sub(q, p, "quota"),
                                   "%" PRId64 " is below the kernel's minimum of 1000 microseconds",
                                   res->cpu_quota);
        res->has_cpu_quota = res->cpu_quota != 0;
        if (ret == 0)
            ret = field_unset0(c, p, value, "period", 1000, 1000000, &res->has_cpu_period,
                               &res->cpu_period);
        if (ret == 0)
            ret = bt_jsonread_field_str(&c->json, p, value, "cpus", false, BT_SPEC_STRING_MAX,
                                        &res->cpu_cpus);
        if (ret == 0 && res->cpu_cpus)
            ret = check_cpu_list(c, bt_jsonread_sub(q, p, "cpus"), res->cpu_cpus);
        if (ret == 0)
            ret = bt_jsonread_field_str(&c->json, p, value, "mems", false, BT_SPEC_STRING_MAX,
                                        &res->cpu_mems);
        if (ret == 0 && res->cpu_mems)
            ret = check_cpu_list(c, bt_jsonread_sub(q, p, "mems"), res->cpu_mems);
        if (ret < 0)
            return ret;
    }

    if ((value = bt_jsonread_member(obj, "pids"))) {
        bt_jsonread_sub(p, path, "pids");
        ret = bt_spec_i_check_keys(c, p, value, pids_known, NULL);
        if (ret == 0)
            ret = bt_jsonread_field_i64(&c->json, p, value, "limit", true, -1, INT64_MAX,
                                        &res->has_pids_limit, &res->pids_limit);
        if (ret < 0)
            return ret;
    }

    if ((value = bt_jsonread_member(obj, "blockIO"))) {
        bt_jsonread_sub(p, path, "blockIO");
        ret = bt_spec_i_check_keys(c, p, value, blkio_known, blkio_unsupported);
        if (ret == 0)
            ret = field_unset0(c, p, value, "weight", 10, 1000, &res->has_blkio_weight, &u);
        if (ret < 0)
            return ret;
        res->blkio_weight = (uint16_t)u;
    }

    if ((value = bt_jsonread_member(obj, "devices"))) {
        static const char *const device_known[] = {"allow", "type",   "major",
                                                   "minor", "access", NULL};
        size_t n;
        bt_jsonread_sub(p, path, "devices");
        ret = bt_jsonread_get_array(&c->json, p, value, BT_SPEC_ITEMS_MAX, &n);
        if (ret < 0)
            return ret;
        res->devices = calloc(n ? n : 1, sizeof(*res->devices));
        if (!res->devices)
            return bt_jsonread_oom(&c->json);
        res->devices_len = n;
        for (size_t i = 0; i < n; i++) {
            struct json_object *rule = json_object_array_get_idx(value, i), *jvalue;
            struct bt_spec_device_rule *device = &res->devices[i];
            char r[BT_JSONREAD_PATH_MAX], shown[BT_JSONREAD_SHOWN_MAX];
            const char *s;
            bt_jsonread_item(q, p, i);
            *device = (struct bt_spec_device_rule){
                .type = 'a', .major = -1, .minor = -1, .access = "rwm"};
            ret = bt_spec_i_check_keys(c, q, rule, device_known, NULL);
            if (ret == 0)
                ret = bt_jsonread_field_bool(&c->json, q, rule, "allow", true, &device->allow);
            if (ret == 0 && (jvalue = bt_jsonread_member(rule, "type"))) {
                ret = bt_jsonread_get_str(&c->json, bt_jsonread_sub(r, q, "type"), jvalue,
                                          BT_JSONREAD_SHOWN_MAX, &s);
                if (ret == 0 && (strlen(s) != 1 || !strchr("abc", s[0])))
                    ret = bt_jsonread_fail(&c->json, r, "'%s' is not one of a, b, c",
                                           bt_jsonread_printable(shown, sizeof(shown), s));
                if (ret == 0)
                    device->type = s[0];
            }
            if (ret == 0)
                ret = bt_jsonread_field_i64(&c->json, q, rule, "major", false, -1, 4095, NULL,
                                            &device->major);
            if (ret == 0)
                ret = bt_jsonread_field_i64(&c->json, q, rule, "minor", false, -1, (1 << 20) - 1,
                                            NULL, &device->minor);
            if (ret == 0 && (jvalue = bt_jsonread_member(rule, "access"))) {
                ret = bt_jsonread_get_str(&c->json, bt_jsonread_sub(r, q, "access"), jvalue,
                                          BT_JSONREAD_SHOWN_MAX, &s);
                size_t len = ret == 0 ? strlen(s) : 0;
                bool good = len >= 1 && len <= 3 && strspn(s, "rwm") == len;
                for (size_t k = 0; good && k < len; k++)
                    good = strchr(s + k + 1, s[k]) == NULL;
                if (ret == 0 && !good)
                    ret = bt_jsonread_fail(&c->json, r, "'%s' is not a subset of rwm",
                                           bt_jsonread_printable(shown, sizeof(shown), s));
                if (ret == 0)
                    memcpy(device->access, s, len + 1);
            }
            if (ret < 0)
                return ret;
        }
    }
    return 0;
}

/* A sysctl must belong to a namespace the container gets, or it would change the host. */
static int check_sysctl(struct ctx *c, const char *path, const char *key)
{
    static const char *const ipc[] = {"kernel.msgmax", "kernel.msgmnb",          "kernel.msgmni",
                                      "kernel.sem",    "kernel.shmall",          "kernel.shmmax",
                                      "kernel.shmmni", "kernel.shm_rmid_forced", NULL};
    static const char *const uts[] = {"kernel.hostname", "kernel.domainname", NULL};
    char name[BT_SPEC_STRING_MAX + 1], shown[BT_JSONREAD_SHOWN_MAX];
    enum bt_spec_ns_type needs;
    bt_jsonread_printable(shown, sizeof(shown), key);
    if (!*key || key[0] == '.' || key[0] == '/' || strstr(key, "..") || strpbrk(key, " \t\n=") ||
        strlen(key) >= sizeof(name))
        return bt_jsonread_fail(&c->json, path, "'%s' is not a sysctl name", shown);
    strcpy(name, key);
    for (char *s = name; *s; s++)
        if (*s == '/')
            *s = '.';
    if (bt_jsonread_listed(ipc, name) || strncmp(name, "fs.mqueue.", 10) == 0)
        needs = BT_SPEC_NS_IPC;
    else if (bt_jsonread_listed(uts, name))
        needs = BT_SPEC_NS_UTS;
    else if (strncmp(name, "net.", 4) == 0)
        needs = BT_SPEC_NS_NETWORK;
    else
        return bt_jsonread_fail(&c->json, path,
                                "'%s' is not namespaced: setting it would change the host", shown);
    if (!bt_spec_find_ns(c->spec, needs))
        return bt_jsonread_fail(&c->json, path, "'%s' needs a %s namespace in linux.namespaces",
                                shown, bt_spec_ns_name(needs));
    return 0;
}

/* maskedPaths and readonlyPaths are inside the container. */
static int check_inside_path(struct bt_jsonread *r, const char *path, const char *value)
{
    return bt_jsonread_check_abs_path(r, path, value, true);
}

int bt_spec_i_parse_linux(struct ctx *c, const char *path, struct json_object *obj)
{
    static const char *const known[] = {
        "namespaces", "uidMappings", "gidMappings",   "resources",         "cgroupsPath",
        "sysctl",     "maskedPaths", "readonlyPaths", "rootfsPropagation", NULL};
    static const struct bt_jsonread_unsupported unsupported[] = {
        {"seccomp", "seccomp filters are not supported yet"},
        {"mountLabel", "SELinux labels are not supported"},
        {"devices", "creating device nodes (linux.devices) is not supported"},
        {"intelRdt", "Intel RDT is not supported"},
        {"personality", "execution domains (personality) are not supported"},
        {"timeOffsets", "time namespaces are not supported"},
        {"memoryPolicy", "memory policies are not supported"},
        {"netDevices", "moving network devices is not supported"},
        {NULL, NULL}};
    struct bt_spec *spec = c->spec;
    char p[BT_JSONREAD_PATH_MAX], shown[BT_JSONREAD_SHOWN_MAX];
    struct json_object *value;
    int ret = bt_spec_i_check_keys(c, path, obj, known, unsupported);
    if (ret == 0 && (value = bt_jsonread_member(obj, "namespaces")))
        ret = parse_namespaces(c, bt_jsonread_sub(p, path, "namespaces"), value);
    if (ret == 0 && (value = bt_jsonread_member(obj, "uidMappings")))
        ret = parse_id_mappings(c, bt_jsonread_sub(p, path, "uidMappings"), value,
                                &spec->uid_mappings, &spec->uid_mappings_len);
    if (ret == 0 && (value = bt_jsonread_member(obj, "gidMappings")))
        ret = parse_id_mappings(c, bt_jsonread_sub(p, path, "gidMappings"), value,
                                &spec->gid_mappings, &spec->gid_mappings_len);
    if (ret == 0 && (value = bt_jsonread_member(obj, "resources")))
        ret = parse_resources(c, bt_jsonread_sub(p, path, "resources"), value);
    if (ret == 0)
        ret = bt_jsonread_field_str(&c->json, path, obj, "cgroupsPath", false, BT_SPEC_STRING_MAX,
                                    &spec->cgroups_path);
    if (ret == 0 && spec->cgroups_path) {
        const char *s = spec->cgroups_path;
        bt_jsonread_sub(p, path, "cgroupsPath");
        if (!*s || strstr(s, "/../") || strncmp(s, "../", 3) == 0 || strcmp(s, "..") == 0 ||
            (strlen(s) >= 3 && strcmp(s + strlen(s) - 3, "/..") == 0))
            ret = bt_jsonread_fail(&c->json, p, "'%s' is empty or contains a '..' component",
                                   bt_jsonread_printable(shown, sizeof(shown), s));
    }
    if (ret == 0 && (value = bt_jsonread_member(obj, "sysctl")))
        ret = bt_spec_i_parse_kv(c, bt_jsonread_sub(p, path, "sysctl"), value, check_sysctl,
                                 &spec->sysctl, &spec->sysctl_len);
    if (ret == 0 && (value = bt_jsonread_member(obj, "maskedPaths")))
        ret = bt_jsonread_get_strv(&c->json, bt_jsonread_sub(p, path, "maskedPaths"), value,
                                   BT_SPEC_ITEMS_MAX, BT_SPEC_STRING_MAX, check_inside_path,
                                   &spec->masked_paths, &spec->masked_paths_len, NULL);
    if (ret == 0 && (value = bt_jsonread_member(obj, "readonlyPaths")))
        ret = bt_jsonread_get_strv(&c->json, bt_jsonread_sub(p, path, "readonlyPaths"), value,
                                   BT_SPEC_ITEMS_MAX, BT_SPEC_STRING_MAX, check_inside_path,
                                   &spec->readonly_paths, &spec->readonly_paths_len, NULL);
    if (ret == 0 && (value = bt_jsonread_member(obj, "rootfsPropagation"))) {
        const char *s;
        ret = bt_jsonread_get_str(&c->json, bt_jsonread_sub(p, path, "rootfsPropagation"), value,
                                  BT_JSONREAD_SHOWN_MAX, &s);
        int flags = ret == 0 ? bt_spec_i_lookup(bt_spec_i_propagations, s) : 0;
        if (ret == 0 && flags < 0)
            ret = bt_jsonread_fail(&c->json, p, "unknown propagation '%s'",
                                   bt_jsonread_printable(shown, sizeof(shown), s));
        spec->rootfs_propagation = flags > 0 ? (unsigned long)flags : 0;
    }
    return ret;
}
