/* OCI runtime-spec config.json: strict loading into struct bt_spec (see spec.h), the top-level
 * keys and the checks across them; lib/spec-*.c hold the parts. Every error is one line naming
 * the file, the key path and the reason; nothing in a config.json is ever silently ignored, and
 * no check may touch anything but the bundle. */
#include "spec-internal.h"
#include "cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void free_tokener(struct json_tokener **tok)
{
    if (*tok)
        json_tokener_free(*tok);
}
#define cleanup_tokener __attribute__((cleanup(free_tokener)))

static int parse_version(struct ctx *c, struct json_object *top)
{
    char shown[SHOWN_MAX];
    int ret = bt_spec_i_field_str(c, "", top, "ociVersion", true, SHOWN_MAX, &c->spec->oci_version);
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
        return bt_spec_i_fail(c, "ociVersion",
                              "unsupported version '%s' (bottle reads 1.0.x to 1.2.x)",
                              bt_spec_i_printable(shown, sizeof(shown), s));
    return 0;
}

static int parse_root(struct ctx *c, struct json_object *top)
{
    static const char *const known[] = {"path", "readonly", NULL};
    struct json_object *root = bt_spec_i_member(top, "root");
    if (!root)
        return bt_spec_i_missing(c, "root");
    int ret = bt_spec_i_check_keys(c, "root", root, known, NULL);
    if (ret == 0)
        ret = bt_spec_i_field_str(c, "root", root, "path", true, BT_SPEC_STRING_MAX,
                                  &c->spec->root_path);
    if (ret == 0 && !c->spec->root_path[0])
        ret = bt_spec_i_fail(c, "root.path", "must not be empty");
    if (ret == 0)
        ret = bt_spec_i_field_bool(c, "root", root, "readonly", false, &c->spec->root_readonly);
    return ret;
}

static int parse_hostnames(struct ctx *c, struct json_object *top)
{
    static const char *const keys[] = {"hostname", "domainname"};
    char **values[] = {&c->spec->hostname, &c->spec->domainname};
    for (size_t i = 0; i < 2; i++) {
        int ret = bt_spec_i_field_str(c, "", top, keys[i], false, BT_SPEC_HOSTNAME_MAX, values[i]);
        if (ret < 0)
            return ret;
        if (*values[i] && **values[i] && !bt_spec_find_ns(c->spec, BT_SPEC_NS_UTS))
            return bt_spec_i_fail(c, keys[i],
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
    char p[KEYPATH_MAX];
    struct json_object *hooks = bt_spec_i_member(top, "hooks");
    if (!hooks)
        return 0;
    int ret = bt_spec_i_check_keys(c, "hooks", hooks, known, NULL);
    if (ret < 0)
        return ret;
    json_object_object_foreach(hooks, key, value)
    {
        if (!bt_spec_i_is_empty(value))
            return bt_spec_i_fail(c, bt_spec_i_sub(p, "hooks", key), "hooks are not supported");
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
            return bt_spec_i_fail(c, names[k], "needs a user namespace in linux.namespaces");
        if (user && user->path && lens[k])
            return bt_spec_i_fail(c, names[k], "must be empty when joining the user namespace %s",
                                  user->path);
        if (user && !user->path && !lens[k])
            return bt_spec_i_fail(c, names[k], "required with a new user namespace");
        if (!user || user->path)
            continue;
        bool mapped = false;
        for (size_t i = 0; i < lens[k] && !mapped; i++)
            mapped = ids[k] >= maps[k][i].container_id &&
                     ids[k] - maps[k][i].container_id < maps[k][i].size;
        if (!mapped)
            return bt_spec_i_fail(c, k ? "process.user.gid" : "process.user.uid",
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
    char shown[SHOWN_MAX];
    cleanup_free char *joined = NULL;
    const char *path = spec->root_path;
    if (path[0] != '/') {
        if (asprintf(&joined, "%s/%s", spec->bundle_dir, path) < 0)
            return bt_spec_i_oom(c);
        path = joined;
    }
    bt_spec_i_printable(shown, sizeof(shown), path);
    spec->rootfs = realpath(path, NULL);
    if (!spec->rootfs)
        return bt_spec_i_fail(c, "root.path", "%s: %s", shown, strerror(errno));
    struct stat st;
    if (stat(spec->rootfs, &st) < 0)
        return bt_spec_i_fail(c, "root.path", "%s: %s", shown, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return bt_spec_i_fail(c, "root.path", "%s is not a directory", shown);
    if (spec->root_path[0] != '/' && !beneath(spec->rootfs, spec->bundle_dir)) {
        char real[SHOWN_MAX];
        return bt_spec_i_fail(c, "root.path", "%s resolves to %s, outside the bundle directory",
                              shown, bt_spec_i_printable(real, sizeof(real), spec->rootfs));
    }
    return 0;
}

static int parse_spec(struct ctx *c, struct json_object *top)
{
    static const char *const known[] = {"ociVersion", "root",   "process", "hostname",
                                        "domainname", "mounts", "linux",   "annotations",
                                        "hooks",      NULL};
    static const struct unsupported unsupported[] = {
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
    if (ret == 0 && !(value = bt_spec_i_member(top, "process")))
        ret = bt_spec_i_missing(c, "process");
    if (ret == 0)
        ret = bt_spec_i_parse_process(c, "process", value);
    /* linux first: hostname, sysctl and the ids are checked against the namespaces. */
    if (ret == 0 && (value = bt_spec_i_member(top, "linux")))
        ret = bt_spec_i_parse_linux(c, "linux", value);
    if (ret == 0)
        ret = parse_hostnames(c, top);
    if (ret == 0 && (value = bt_spec_i_member(top, "mounts")))
        ret = bt_spec_i_parse_mounts(c, "mounts", value);
    if (ret == 0 && (value = bt_spec_i_member(top, "annotations")))
        ret = bt_spec_i_parse_kv(c, "annotations", value, NULL, &spec->annotations,
                                 &spec->annotations_len);
    if (ret == 0)
        ret = parse_hooks(c, top);
    if (ret == 0)
        ret = check_user_namespace(c);
    if (ret == 0 && !bt_spec_find_ns(spec, BT_SPEC_NS_MOUNT))
        ret = bt_spec_i_fail(c, "linux.namespaces", "a mount namespace is required");
    if (ret == 0)
        ret = resolve_rootfs(c);
    return ret;
}

/* Where json-c stopped, as LINE:COLUMN (1-based). */
static void position(const char *text, size_t offset, unsigned *line, unsigned *column)
{
    *line = 1;
    *column = 1;
    for (size_t i = 0; i < offset; i++) {
        if (text[i] == '\n') {
            ++*line;
            *column = 1;
        } else {
            ++*column;
        }
    }
}

static int parse_text(const char *text, size_t len, const char *bundle_dir, const char *config_path,
                      struct bt_spec **out, struct bt_err *err)
{
    struct ctx c = {.file = config_path, .err = err};
    cleanup_tokener struct json_tokener *tok = json_tokener_new();
    if (!tok)
        return bt_spec_i_oom(&c);
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    cleanup_json struct json_object *top =
        len <= BT_SPEC_FILE_MAX ? json_tokener_parse_ex(tok, text, (int)len) : NULL;
    if (len > BT_SPEC_FILE_MAX)
        return bt_spec_i_fail(&c, NULL, "too large (%zu bytes, limit %u)", len, BT_SPEC_FILE_MAX);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t end = json_tokener_get_parse_end(tok);
    unsigned line, column;
    position(text, end, &line, &column);
    if (jerr == json_tokener_continue || (jerr == json_tokener_success && !top && end >= len))
        return bt_err_msg(err, EINVAL, "%s:%u:%u: invalid JSON: unexpected end of input",
                          config_path, line, column);
    if (jerr != json_tokener_success)
        return bt_err_msg(err, EINVAL, "%s:%u:%u: invalid JSON: %s", config_path, line, column,
                          json_tokener_error_desc(jerr));
    if (end != len)
        return bt_err_msg(err, EINVAL, "%s:%u:%u: invalid JSON: unexpected data after the end",
                          config_path, line, column);
    if (!json_object_is_type(top, json_type_object))
        return bt_spec_i_fail(&c, NULL, "expected a JSON object, got %s", bt_spec_i_type_name(top));
    int ret = bt_spec_i_check_lexical(&c, text, len);
    if (ret < 0)
        return ret;

    struct bt_spec *spec = calloc(1, sizeof(*spec));
    if (!spec)
        return bt_spec_i_oom(&c);
    c.spec = spec;
    spec->bundle_dir = realpath(bundle_dir, NULL);
    if (!spec->bundle_dir)
        ret = bt_err_msg(err, EINVAL, "%s: bundle directory %s: %s", config_path, bundle_dir,
                         strerror(errno));
    if (ret == 0)
        ret = bt_spec_i_dup_str(&c, config_path, &spec->config_path);
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
    cleanup_close int fd = open(config_path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return bt_err_sys(err, errno, "%s", config_path);
    struct stat st;
    if (fstat(fd, &st) < 0)
        return bt_err_sys(err, errno, "%s", config_path);
    if (!S_ISREG(st.st_mode))
        return bt_err_msg(err, EINVAL, "%s: not a regular file", config_path);
    if (st.st_size > BT_SPEC_FILE_MAX)
        return bt_err_msg(err, EINVAL, "%s: too large (%lld bytes, limit %u)", config_path,
                          (long long)st.st_size, BT_SPEC_FILE_MAX);
    /* Read one byte more than allowed, in case the file grew since fstat. */
    cleanup_free char *text = malloc((size_t)st.st_size + 2);
    size_t cap = (size_t)st.st_size + 1, len = 0;
    if (!text)
        return bt_err_sys(err, ENOMEM, "%s", config_path);
    while (len < cap) {
        ssize_t n = read(fd, text + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return bt_err_sys(err, errno, "read %s", config_path);
        if (n == 0)
            break;
        len += (size_t)n;
    }
    if (len > (size_t)st.st_size)
        return bt_err_msg(err, EINVAL, "%s: changed while being read", config_path);
    text[len] = '\0';
    if (strlen(text) != len)
        return bt_err_msg(err, EINVAL, "%s: contains a NUL byte", config_path);
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
