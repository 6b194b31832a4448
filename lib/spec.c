/* OCI runtime-spec config.json: strict loading into struct bt_spec (see spec.h), the top-level
 * keys and the checks across them; lib/spec-*.c hold the parts. Every error is one line naming
 * the file, the key path and the reason; nothing in a config.json is ever silently ignored, and
 * no check may touch anything but the bundle. */
#include "spec-internal.h"
#include "cleanup.h"
#include "jsontext.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int parse_version(struct ctx *c, struct json_object *top)
{
    char shown[BT_JSONREAD_SHOWN_MAX];
    int ret = bt_jsonread_field_str(&c->json, "", top, "ociVersion", true, BT_JSONREAD_SHOWN_MAX,
                                    &c->spec->oci_version);
    if (ret < 0)
        return ret;
    const char *s = c->spec->oci_version;
    char *end;
    /* MAJOR.MINOR.PATCH with an optional -prerelease or +build ("1.0.2-dev" from runc). */
    bool good = strncmp(s, "1.", 2) == 0 && s[2] >= '0' && s[2] <= '9';
    unsigned long minor = good ? strtoul(s + 2, &end, 10) : 0;
    good = good && *end == '.' && end[1] >= '0' && end[1] <= '9';
    if (good) {
        strtoul(end + 1, &end, 10);
        good = minor <= 2 && (*end == '\0' || *end == '-' || *end == '+');
    }
    if (!good)
        return bt_jsonread_fail(&c->json, "ociVersion",
                                "unsupported version '%s' (bottle reads 1.0.x to 1.2.x)",
                                bt_jsonread_printable(shown, sizeof(shown), s));
    return 0;
}

static int parse_root(struct ctx *c, struct json_object *top)
{
    static const char *const known[] = {"path", "readonly", NULL};
    struct json_object *root = bt_jsonread_member(top, "root");
    if (!root)
        return bt_jsonread_missing(&c->json, "root");
    int ret = bt_spec_i_check_keys(c, "root", root, known, NULL);
    if (ret == 0)
        ret = bt_jsonread_field_str(&c->json, "root", root, "path", true, BT_SPEC_STRING_MAX,
                                    &c->spec->root_path);
    if (ret == 0 && !c->spec->root_path[0])
        ret = bt_jsonread_fail(&c->json, "root.path", "must not be empty");
    if (ret == 0)
        ret = bt_jsonread_field_bool(&c->json, "root", root, "readonly", false,
                                     &c->spec->root_readonly);
    return ret;
}

static int parse_hostnames(struct ctx *c, struct json_object *top)
{
    static const char *const keys[] = {"hostname", "domainname"};
    char **values[] = {&c->spec->hostname, &c->spec->domainname};
    for (size_t i = 0; i < 2; i++) {
        int ret = bt_jsonread_field_str(&c->json, "", top, keys[i], false, BT_SPEC_HOSTNAME_MAX,
                                        values[i]);
        if (ret < 0)
            return ret;
        if (*values[i] && **values[i] && !bt_spec_find_ns(c->spec, BT_SPEC_NS_UTS))
            return bt_jsonread_fail(&c->json, keys[i],
                                    "needs a uts namespace in linux.namespaces, or it would "
                                    "change the host's");
    }
    return 0;
}

static int parse_hooks(struct ctx *c, struct json_object *top)
{
    static const char *const known[] = {
        "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop",
        NULL};
    char p[BT_JSONREAD_PATH_MAX];
    struct json_object *hooks = bt_jsonread_member(top, "hooks");
    if (!hooks)
        return 0;
    int ret = bt_spec_i_check_keys(c, "hooks", hooks, known, NULL);
    if (ret < 0)
        return ret;
    json_object_object_foreach(hooks, key, value)
    {
        if (!bt_jsonread_is_empty(value))
            return bt_jsonread_fail(&c->json, bt_jsonread_sub(p, "hooks", key),
                                    "hooks are not supported");
    }
    return 0;
}

/* Checks that the ids and namespaces agree: mappings need a new user namespace, and a new user
 * namespace needs them and maps the process's uid and gid. */
static int check_user_namespace(struct ctx *c)
{
    struct bt_spec *spec = c->spec;
    const struct bt_spec_namespace *user = bt_spec_find_ns(spec, BT_SPEC_NS_USER);
    const char *const names[] = {"linux.uidMappings", "linux.gidMappings"};
    const struct bt_spec_id_map *maps[] = {spec->uid_mappings, spec->gid_mappings};
    size_t lens[] = {spec->uid_mappings_len, spec->gid_mappings_len};
    uint32_t ids[] = {spec->process.uid, spec->process.gid};
    for (size_t k = 0; k < 2; k++) {
        if (!user && lens[k])
            return bt_jsonread_fail(&c->json, names[k],
                                    "needs a user namespace in linux.namespaces");
        if (user && user->path && lens[k])
            return bt_jsonread_fail(&c->json, names[k],
                                    "must be empty when joining the user namespace %s", user->path);
        if (user && !user->path && !lens[k])
            return bt_jsonread_fail(&c->json, names[k], "required with a new user namespace");
        if (!user || user->path)
            continue;
        bool mapped = false;
        for (size_t i = 0; i < lens[k] && !mapped; i++)
            mapped = ids[k] >= maps[k][i].container_id &&
                     ids[k] - maps[k][i].container_id < maps[k][i].size;
        if (!mapped)
            return bt_jsonread_fail(&c->json, k ? "process.user.gid" : "process.user.uid",
                                    "%" PRIu32 " is not mapped by %s", ids[k], names[k]);
    }
    return 0;
}

static bool beneath(const char *path, const char *dir)
{
    size_t len = strlen(dir);
    if (strcmp(dir, "/") == 0)
        return true;
    return strncmp(path, dir, len) == 0 && (path[len] == '/' || path[len] == '\0');
}

/* Resolves root.path against the bundle: it must be a directory, and a relative root.path must
 * stay inside the bundle after every symlink (".." or a symlink out of it is refused). */
static int resolve_rootfs(struct ctx *c)
{
    struct bt_spec *spec = c->spec;
    char shown[BT_JSONREAD_SHOWN_MAX];
    cleanup_free char *joined = NULL;
    const char *path = spec->root_path;
    if (path[0] != '/') {
        if (asprintf(&joined, "%s/%s", spec->bundle_dir, path) < 0)
            return bt_jsonread_oom(&c->json);
        path = joined;
    }
    bt_jsonread_printable(shown, sizeof(shown), path);
    spec->rootfs = realpath(path, NULL);
    if (!spec->rootfs)
        return bt_jsonread_fail(&c->json, "root.path", "%s: %s", shown, strerror(errno));
    struct stat st;
    if (stat(spec->rootfs, &st) < 0)
        return bt_jsonread_fail(&c->json, "root.path", "%s: %s", shown, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return bt_jsonread_fail(&c->json, "root.path", "%s is not a directory", shown);
    if (spec->root_path[0] != '/' && !beneath(spec->rootfs, spec->bundle_dir)) {
        char real[BT_JSONREAD_SHOWN_MAX];
        return bt_jsonread_fail(&c->json, "root.path",
                                "%s resolves to %s, outside the bundle directory", shown,
                                bt_jsonread_printable(real, sizeof(real), spec->rootfs));
    }
    return 0;
}

static int parse_spec(struct ctx *c, struct json_object *top)
{
    static const char *const known[] = {"ociVersion", "root",   "process", "hostname",
                                        "domainname", "mounts", "linux",   "annotations",
                                        "hooks",      NULL};
    static const struct bt_jsonread_unsupported unsupported[] = {
        {"solaris", "not a Linux key"},
        {"windows", "not a Linux key"},
        {"vm", "virtual-machine containers are not supported"},
        {"zos", "not a Linux key"},
        {"freebsd", "not a Linux key"},
        {NULL, NULL}};
    struct bt_spec *spec = c->spec;
    struct json_object *value;
    int ret = bt_spec_i_check_keys(c, "", top, known, unsupported);
    if (ret == 0)
        ret = parse_version(c, top);
    if (ret == 0)
        ret = parse_root(c, top);
    if (ret == 0 && !(value = bt_jsonread_member(top, "process")))
        ret = bt_jsonread_missing(&c->json, "process");
    if (ret == 0)
        ret = bt_spec_i_parse_process(c, "process", value);
    /* linux first: hostname, sysctl and the ids are checked against the namespaces. */
    if (ret == 0 && (value = bt_jsonread_member(top, "linux")))
        ret = bt_spec_i_parse_linux(c, "linux", value);
    if (ret == 0)
        ret = parse_hostnames(c, top);
    if (ret == 0 && (value = bt_jsonread_member(top, "mounts")))
        ret = bt_spec_i_parse_mounts(c, "mounts", value);
    if (ret == 0 && (value = bt_jsonread_member(top, "annotations")))
        ret = bt_spec_i_parse_kv(c, "annotations", value, NULL, &spec->annotations,
                                 &spec->annotations_len);
    if (ret == 0)
        ret = parse_hooks(c, top);
    if (ret == 0)
        ret = check_user_namespace(c);
    if (ret == 0 && !bt_spec_find_ns(spec, BT_SPEC_NS_MOUNT))
        ret = bt_jsonread_fail(&c->json, "linux.namespaces", "a mount namespace is required");
    if (ret == 0)
        ret = resolve_rootfs(c);
    return ret;
}

static int parse_text(const char *text, size_t len, const char *bundle_dir, const char *config_path,
                      struct bt_spec **out, struct bt_err *err)
{
    struct ctx c = {.json = {.file = config_path, .err = err}};
    cleanup_json struct json_object *top = NULL;
    int ret =
        bt_jsontext_parse(&c.json, text, len, BT_SPEC_FILE_MAX, JSON_TOKENER_DEFAULT_DEPTH, &top);
    if (ret < 0)
        return ret;
    if (!json_object_is_type(top, json_type_object))
        return bt_jsonread_fail(&c.json, NULL, "expected a JSON object, got %s",
                                bt_jsonread_type_name(top));
    ret =
        bt_jsontext_check(&c.json, text, len, BT_JSONTEXT_WIDE_INTEGERS | BT_JSONTEXT_NUL_IN_KEYS);
    if (ret < 0)
        return ret;

    struct bt_spec *spec = calloc(1, sizeof(*spec));
    if (!spec)
        return bt_jsonread_oom(&c.json);
    c.spec = spec;
    spec->bundle_dir = realpath(bundle_dir, NULL);
    if (!spec->bundle_dir)
        ret = bt_err_msg(err, EINVAL, "%s: bundle directory %s: %s", config_path, bundle_dir,
                         strerror(errno));
    if (ret == 0)
        ret = bt_jsonread_dup_str(&c.json, config_path, &spec->config_path);
    if (ret == 0)
        ret = parse_spec(&c, top);
    if (ret < 0) {
        bt_spec_free(spec);
        return ret;
    }
    *out = spec;
    return 0;
}

int bt_spec_parse(const char *json_text, const char *bundle_dir, struct bt_spec **out,
                  struct bt_err *err)
{
    *out = NULL;
    if (!json_text || !bundle_dir)
        return bt_err_msg(err, EINVAL, "bt_spec_parse: no text or no bundle directory");
    cleanup_free char *config_path = NULL;
    if (asprintf(&config_path, "%s/config.json", bundle_dir) < 0)
        return bt_err_sys(err, ENOMEM, "%s/config.json", bundle_dir);
    return parse_text(json_text, strlen(json_text), bundle_dir, config_path, out, err);
}

int bt_spec_load(const char *bundle_dir, struct bt_spec **out, struct bt_err *err)
{
    *out = NULL;
    cleanup_free char *config_path = NULL;
    if (asprintf(&config_path, "%s/config.json", bundle_dir) < 0)
        return bt_err_sys(err, ENOMEM, "%s/config.json", bundle_dir);
    cleanup_free char *text = NULL;
    size_t len;
    int ret = bt_jsontext_load(config_path, 0, BT_SPEC_FILE_MAX, &text, &len, err);
    if (ret < 0)
        return ret;
    return parse_text(text, len, bundle_dir, config_path, out, err);
}

static void free_strv(char **strv)
{
    for (char **s = strv; s && *s; s++)
        free(*s);
    free(strv);
}

static void free_kv(struct bt_spec_kv *kv, size_t len)
{
    for (size_t i = 0; kv && i < len; i++) {
        free(kv[i].key);
        free(kv[i].value);
    }
    free(kv);
}

void bt_spec_free(struct bt_spec *spec)
{
    if (!spec)
        return;
    free(spec->config_path);
    free(spec->bundle_dir);
    free(spec->oci_version);
    free(spec->root_path);
    free(spec->rootfs);
    free(spec->process.additional_gids);
    free_strv(spec->process.args);
    free_strv(spec->process.env);
    free(spec->process.cwd);
    free(spec->process.rlimits);
    free(spec->hostname);
    free(spec->domainname);
    for (size_t i = 0; spec->mounts && i < spec->mounts_len; i++) {
        free(spec->mounts[i].destination);
        free(spec->mounts[i].type);
        free(spec->mounts[i].source);
        free(spec->mounts[i].data);
    }
    free(spec->mounts);
    for (size_t i = 0; spec->namespaces && i < spec->namespaces_len; i++)
        free(spec->namespaces[i].path);
    free(spec->namespaces);
    free(spec->uid_mappings);
    free(spec->gid_mappings);
    free(spec->resources.cpu_cpus);
    free(spec->resources.cpu_mems);
    free(spec->resources.devices);
    free(spec->cgroups_path);
    free_kv(spec->sysctl, spec->sysctl_len);
    free_strv(spec->masked_paths);
    free_strv(spec->readonly_paths);
    free_kv(spec->annotations, spec->annotations_len);
    free(spec);
}
