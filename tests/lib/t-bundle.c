/* Unit tests for lib/bundle.c: config.json from docker-style options and from a parsed service
 * spec, field by field, each one accepted by bt_spec_parse; every error with its exact
 * message; and bt_bundle_write's directories, modes and atomic replacement. */
#include "bundle.h"
#include "caps.h"
#include "spec.h"
#include "svcspec.h"
#include "tap.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <json-c/json.h>
#include <limits.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdint.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>

/* snprintf into the array BUF, failing the run when it does not fit. */
#define format(buf, ...)                                                                           \
    do {                                                                                           \
        if (snprintf(buf, sizeof(buf), __VA_ARGS__) >= (int)sizeof(buf)) {                         \
            diag("path too long at %s:%d", __FILE__, __LINE__);                                    \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

static char tmp[PATH_MAX];    /* everything lives here; removed at the end */
static char bundle[PATH_MAX]; /* TMP/bundle: what bt_spec_parse checks against */
static char rootfs[PATH_MAX]; /* TMP/bundle/rootfs, with etc/passwd and etc/group */
static char volume[PATH_MAX]; /* TMP/volume: a bind source */

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
        diag("cannot write %s", path);
        exit(1);
    }
}

static void make_dir(const char *path)
{
    if (mkdir(path, 0755) < 0) {
        diag("cannot make %s: %s", path, strerror(errno));
        exit(1);
    }
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Removes tmp, also when a helper gives up with exit(1). */
static void remove_tmp(void)
{
    nftw(tmp, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void setup(void)
{
    char tmpl[] = "/tmp/t-bundle.XXXXXX", path[PATH_MAX + 32];
    if (!mkdtemp(tmpl) || !realpath(tmpl, tmp))
        exit(1);
    atexit(remove_tmp);
    format(bundle, "%s/bundle", tmp);
    format(rootfs, "%s/rootfs", bundle);
    format(volume, "%s/volume", tmp);
    make_dir(bundle);
    make_dir(rootfs);
    make_dir(volume);
    format(path, "%s/etc", rootfs);
    make_dir(path);
    format(path, "%s/etc/passwd", rootfs);
    write_file(path, "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n");
    format(path, "%s/etc/group", rootfs);
    write_file(path, "root:x:0:\napp:x:1000:\nextra:x:2000:app\n");
}

/* ---- reading the JSON ---- */

/* The member at the dotted PATH ("linux.resources.cpu.quota") of OBJ, or NULL. */
static json_object *at(json_object *obj, const char *path)
{
    char copy[256];
    snprintf(copy, sizeof(copy), "%s", path);
    char *save = NULL;
    for (char *key = strtok_r(copy, ".", &save); key && obj; key = strtok_r(NULL, ".", &save))
        if (!json_object_object_get_ex(obj, key, &obj))
            return NULL;
    return obj;
}

static const char *str_at(json_object *obj, const char *path)
{
    json_object *value = at(obj, path);
    return value && json_object_is_type(value, json_type_string) ? json_object_get_string(value)
                                                                 : NULL;
}

static long long int_at(json_object *obj, const char *path)
{
    json_object *value = at(obj, path);
    return value && json_object_is_type(value, json_type_int) ? json_object_get_int64(value) : -1;
}

static bool bool_at(json_object *obj, const char *path)
{
    json_object *value = at(obj, path);
    return value && json_object_get_boolean(value);
}

/* The element of the array at PATH whose KEY is VALUE (a mount by destination, an rlimit or a
 * namespace by type), or NULL. */
static json_object *find(json_object *obj, const char *path, const char *key, const char *value)
{
    json_object *list = at(obj, path);
    for (size_t i = 0; list && i < json_object_array_length(list); i++) {
        json_object *item = json_object_array_get_idx(list, i);
        const char *got = str_at(item, key);
        if (got && strcmp(got, value) == 0)
            return item;
    }
    return NULL;
}

/* The strings of the array at PATH joined with ' ' into BUF ("" when absent). */
static const char *joined(json_object *obj, const char *path, char *buf, size_t len)
{
    json_object *list = at(obj, path);
    buf[0] = '\0';
    for (size_t i = 0; list && i < json_object_array_length(list); i++) {
        size_t used = strlen(buf);
        snprintf(buf + used, len - used, "%s%s", i ? " " : "",
                 json_object_get_string(json_object_array_get_idx(list, i)));
    }
    return buf;
}

static bool env_has(json_object *spec, const char *entry)
{
    json_object *list = at(spec, "process.env");
    for (size_t i = 0; list && i < json_object_array_length(list); i++)
        if (strcmp(json_object_get_string(json_object_array_get_idx(list, i)), entry) == 0)
            return true;
    return false;
}

static size_t env_count(json_object *spec, const char *name)
{
    json_object *list = at(spec, "process.env");
    size_t n = 0, len = strlen(name);
    for (size_t i = 0; list && i < json_object_array_length(list); i++) {
        const char *entry = json_object_get_string(json_object_array_get_idx(list, i));
        n += strncmp(entry, name, len) == 0 && entry[len] == '=';
    }
    return n;
}

/* ---- building ---- */

/* Builds O; the JSON (caller puts it) and its text in *TEXT (caller frees), or NULL with a
 * diagnostic. */
static json_object *build(const struct bt_bundle_options *o, char **text)
{
    struct bt_err err = {0};
    *text = NULL;
    if (bt_bundle_build(o, text, &err) < 0) {
        diag("bt_bundle_build: %s", err.msg);
        return NULL;
    }
    json_object *spec = json_tokener_parse(*text);
    if (!spec)
        diag("not JSON: %s", *text);
    return spec;
}

static struct bt_svcspec_node *parse_service(const char *single_quoted)
{
    char *text = strdup(single_quoted);
    for (char *s = text; *s; s++)
        if (*s == '\'')
            *s = '"';
    struct bt_err err = {0};
    struct bt_svcspec_node *node = NULL;
    if (bt_svcspec_parse(text, "t.json", &node, &err) < 0)
        diag("bt_svcspec_parse: %s", err.msg);
    free(text);
    return node;
}

/* bt_spec_parse of TEXT against TMP/bundle (whose rootfs directory exists). */
static struct bt_spec *accept(const char *text, const char *what)
{
    struct bt_err err = {0};
    struct bt_spec *spec = NULL;
    int ret = text ? bt_spec_parse(text, bundle, &spec, &err) : -EINVAL;
    if (!ok(ret == 0 && spec, "bt_spec_parse accepts the config.json of %s", what))
        diag("  %s", err.msg);
    return spec;
}

static const struct bt_spec_rlimit *spec_rlimit(const struct bt_spec *spec, int resource)
{
    for (size_t i = 0; i < spec->process.rlimits_len; i++)
        if (spec->process.rlimits[i].resource == resource)
            return &spec->process.rlimits[i];
    return NULL;
}

static const struct bt_spec_mount *spec_mount(const struct bt_spec *spec, const char *target)
{
    for (size_t i = 0; i < spec->mounts_len; i++)
        if (strcmp(spec->mounts[i].destination, target) == 0)
            return &spec->mounts[i];
    return NULL;
}

/* ---- from options ---- */

static void test_defaults(void)
{
    struct bt_bundle_options o = {.name = "plain", .rootfs = rootfs};
    char *text, buf[1024];
    json_object *spec = build(&o, &text);
    if (!spec) {
        for (int i = 0; i < 11; i++)
            skip("defaults");
        return;
    }
    is_str(str_at(spec, "root.path"), rootfs, "root.path is the canonical rootfs");
    ok(!bool_at(spec, "root.readonly") && !bool_at(spec, "process.terminal"),
       "writable root, no terminal by default");
    is_str(joined(spec, "process.args", buf, sizeof(buf)), "sh", "args: the default's sh");
    is_str(str_at(spec, "process.cwd"), "/", "cwd /");
    is_str(str_at(spec, "hostname"), "plain", "hostname: the name");
    is_int(int_at(find(spec, "process.rlimits", "type", "RLIMIT_NOFILE"), "soft"), 1024,
           "the default RLIMIT_NOFILE 1024");
    ok(find(spec, "linux.namespaces", "type", "network") &&
           !find(spec, "linux.namespaces", "type", "user") && !at(spec, "linux.uidMappings"),
       "a new network namespace, no user namespace");
    ok(!at(spec, "linux.resources.memory") && !at(spec, "linux.resources.cpu") &&
           !at(spec, "linux.resources.pids") && !at(spec, "linux.resources.blockIO"),
       "no resource limits");
    ok(text[strlen(text) - 1] == '}', "no trailing newline (as bottle run always wrote it)");
    struct bt_spec *parsed = accept(text, "the defaults");
    ok(parsed && parsed->process.caps.bounding == BT_CAPS_DOCKER_DEFAULT &&
           parsed->process.caps.effective == BT_CAPS_DOCKER_DEFAULT &&
           parsed->process.caps.permitted == BT_CAPS_DOCKER_DEFAULT,
       "docker's default capabilities");
    bt_spec_free(parsed);
    json_object_put(spec);
    free(text);

    /* Neither hostname nor name: the default spec's hostname stays. */
    o.name = NULL;
    spec = build(&o, &text);
    is_str(spec ? str_at(spec, "hostname") : NULL, "bottle", "no name: hostname bottle");
    json_object_put(spec);
    free(text);
}

static void test_options_full(void)
{
    setenv("T_BUNDLE_FROM_ENV", "inherited", 1);
    unsetenv("T_BUNDLE_UNSET");
    static const char *const command[] = {"echo", "a b", ""};
    static const char *const env[] = {"A=1", "PATH=/bin", "T_BUNDLE_FROM_ENV", "T_BUNDLE_UNSET",
                                      "A=2", "EMPTY="};
    static const struct bt_rlimit rlimits[] = {{RLIMIT_NPROC, 10, 20}, {RLIMIT_CORE, 0, 0}};
    static const char *const ulimits[] = {"nofile=100:200", "nproc=30"};
    char ro_volume[PATH_MAX + 16], rw_volume[PATH_MAX + 16], link[PATH_MAX + 16];
    format(ro_volume, "%s:/ro:ro", volume);
    format(link, "%s/volume-link", tmp);
    if (symlink(volume, link) < 0)
        diag("symlink: %s", strerror(errno));
    format(rw_volume, "%s:/rw", link);
    const char *volumes[] = {ro_volume, rw_volume};
    static const char *const tmpfs[] = {"/scratch"};
    const struct bt_bundle_mount mounts[] = {
        {BT_BUNDLE_MOUNT_BIND, volume, "/bound", true},
        {BT_BUNDLE_MOUNT_TMPFS, NULL, "/ro-tmp", true},
    };
    static const char *const cap_add[] = {"SYS_ADMIN"};
    static const char *const cap_drop[] = {"kill"};
    struct bt_bundle_options o = {
        .name = "full",
        .rootfs = rootfs,
        .tty = true,
        .read_only = true,
        .userns = true,
        .command = command,
        .command_count = 3,
        .env = env,
        .env_count = 6,
        .workdir = "/work",
        .user = "app",
        .hostname = "host-1",
        .memory = 64 << 20,
        .cpus = 0.5,
        .pids_limit = 50,
        .io_weight = 300,
        .rlimits = rlimits,
        .rlimit_count = 2,
        .ulimits = ulimits,
        .ulimit_count = 2,
        .volumes = volumes,
        .volume_count = 2,
        .tmpfs = tmpfs,
        .tmpfs_count = 1,
        .mounts = mounts,
        .mount_count = 2,
        .network = "host",
        .cap_add = cap_add,
        .cap_add_count = 1,
        .cap_drop = cap_drop,
        .cap_drop_count = 1,
    };
    char *text, buf[1024];
    json_object *spec = build(&o, &text);
    if (!spec) {
        for (int i = 0; i < 28; i++)
            skip("options");
        return;
    }
    ok(bool_at(spec, "root.readonly") && bool_at(spec, "process.terminal"), "read_only and tty");
    is_str(joined(spec, "process.args", buf, sizeof(buf)), "echo a b ", "args as given");
    ok(env_has(spec, "A=2") && env_count(spec, "A") == 1 && env_has(spec, "PATH=/bin") &&
           env_count(spec, "PATH") == 1 && env_has(spec, "TERM=xterm") && env_has(spec, "EMPTY="),
       "env: later entries replace earlier ones and the default's");
    ok(env_has(spec, "T_BUNDLE_FROM_ENV=inherited") && env_count(spec, "T_BUNDLE_UNSET") == 0,
       "env: a bare NAME comes from our environment, skipped when unset");
    is_str(str_at(spec, "process.cwd"), "/work", "workdir");
    ok(int_at(spec, "process.user.uid") == 1000 && int_at(spec, "process.user.gid") == 1000 &&
           strcmp(joined(spec, "process.user.additionalGids", buf, sizeof(buf)), "2000") == 0,
       "user app: uid, gid and additional groups from the rootfs's files");
    is_str(str_at(spec, "hostname"), "host-1", "hostname");
    is_int(int_at(spec, "linux.resources.memory.limit"), 64 << 20, "memory.limit");
    ok(int_at(spec, "linux.resources.cpu.quota") == 50000 &&
           int_at(spec, "linux.resources.cpu.period") == 100000,
       "cpus 0.5: quota 50000 per 100000");
    is_int(int_at(spec, "linux.resources.pids.limit"), 50, "pids.limit");
    is_int(int_at(spec, "linux.resources.blockIO.weight"), 300, "io_weight: blockIO.weight");
    json_object *nofile = find(spec, "process.rlimits", "type", "RLIMIT_NOFILE");
    json_object *nproc = find(spec, "process.rlimits", "type", "RLIMIT_NPROC");
    json_object *core = find(spec, "process.rlimits", "type", "RLIMIT_CORE");
    ok(int_at(nofile, "soft") == 100 && int_at(nofile, "hard") == 200 &&
           int_at(nproc, "soft") == 30 && int_at(nproc, "hard") == 30 &&
           int_at(core, "hard") == 0 && json_object_array_length(at(spec, "process.rlimits")) == 3,
       "rlimits, then ulimits, each replacing the one before for its resource");
    json_object *ro = find(spec, "mounts", "destination", "/ro");
    json_object *rw = find(spec, "mounts", "destination", "/rw");
    ok(ro && strcmp(str_at(ro, "source"), volume) == 0 && strcmp(str_at(ro, "type"), "bind") == 0 &&
           strcmp(joined(ro, "options", buf, sizeof(buf)), "rbind rprivate ro") == 0,
       "-v SRC:DST:ro: an rbind, read-only");
    ok(rw && strcmp(str_at(rw, "source"), volume) == 0 &&
           strcmp(joined(rw, "options", buf, sizeof(buf)), "rbind rprivate rw") == 0,
       "-v SRC:DST: read-write, the source's symlink resolved");
    json_object *scratch = find(spec, "mounts", "destination", "/scratch");
    ok(scratch && strcmp(str_at(scratch, "type"), "tmpfs") == 0 &&
           strcmp(joined(scratch, "options", buf, sizeof(buf)), "nosuid nodev noexec") == 0,
       "--tmpfs: nosuid, nodev, noexec");
    json_object *bound = find(spec, "mounts", "destination", "/bound");
    json_object *ro_tmp = find(spec, "mounts", "destination", "/ro-tmp");
    ok(bound && strcmp(str_at(bound, "source"), volume) == 0 &&
           strcmp(joined(bound, "options", buf, sizeof(buf)), "rbind rprivate ro") == 0 && ro_tmp &&
           strcmp(joined(ro_tmp, "options", buf, sizeof(buf)), "nosuid nodev noexec ro") == 0,
       "struct mounts: a read-only bind and a read-only tmpfs");
    json_object *list = at(spec, "mounts");
    size_t n = json_object_array_length(list);
    ok(n >= 5 &&
           strcmp(str_at(json_object_array_get_idx(list, n - 5), "destination"), "/ro") == 0 &&
           strcmp(str_at(json_object_array_get_idx(list, n - 3), "destination"), "/scratch") == 0 &&
           strcmp(str_at(json_object_array_get_idx(list, n - 1), "destination"), "/ro-tmp") == 0,
       "mount order: volumes, tmpfs, then struct mounts, after the default ones");
    ok(!find(spec, "linux.namespaces", "type", "network"), "network host: no network namespace");
    ok(find(spec, "linux.namespaces", "type", "user") &&
           int_at(json_object_array_get_idx(at(spec, "linux.uidMappings"), 0), "hostID") ==
               100000 &&
           int_at(json_object_array_get_idx(at(spec, "linux.gidMappings"), 0), "size") == 65536,
       "userns: a user namespace mapping 0..65535 to 100000");

    struct bt_spec *parsed = accept(text, "every option");
    if (!parsed) {
        for (int i = 0; i < 7; i++)
            skip("parsed options");
    } else {
        uint64_t want = (BT_CAPS_DOCKER_DEFAULT | BT_CAP(CAP_SYS_ADMIN)) & ~BT_CAP(CAP_KILL);
        ok(parsed->process.caps.bounding == want && parsed->process.caps.effective == want &&
               parsed->process.caps.permitted == want && !parsed->process.caps.ambient,
           "--cap-add SYS_ADMIN --cap-drop kill on docker's set");
        ok(parsed->process.uid == 1000 && parsed->process.gid == 1000 &&
               parsed->process.additional_gids_len == 1 &&
               parsed->process.additional_gids[0] == 2000,
           "parsed user");
        const struct bt_spec_rlimit *limit = spec_rlimit(parsed, RLIMIT_NOFILE);
        ok(limit && limit->soft == 100 && limit->hard == 200, "parsed RLIMIT_NOFILE");
        ok(parsed->resources.has_blkio_weight && parsed->resources.blkio_weight == 300 &&
               parsed->resources.cpu_quota == 50000 && parsed->resources.memory_limit == 64 << 20,
           "parsed resources");
        const struct bt_spec_mount *m = spec_mount(parsed, "/ro");
        ok(m && (m->flags & (MS_BIND | MS_REC | MS_RDONLY)) == (MS_BIND | MS_REC | MS_RDONLY),
           "parsed -v :ro is MS_BIND|MS_REC|MS_RDONLY");
        ok(!bt_spec_find_ns(parsed, BT_SPEC_NS_NETWORK) && bt_spec_find_ns(parsed, BT_SPEC_NS_USER),
           "parsed namespaces");
        ok(parsed->root_readonly && parsed->process.terminal && parsed->process.args_len == 3,
           "parsed root, terminal, args");
    }
    bt_spec_free(parsed);
    json_object_put(spec);
    free(text);

    /* root_path replaces root.path; rootfs is still where users are looked up. */
    o = (struct bt_bundle_options){
        .name = "cow", .rootfs = rootfs, .root_path = "/some/mount/point", .user = "app"};
    spec = build(&o, &text);
    ok(spec && strcmp(str_at(spec, "root.path"), "/some/mount/point") == 0 &&
           int_at(spec, "process.user.uid") == 1000,
       "root_path is written; the user is still found in rootfs");
    json_object_put(spec);
    free(text);
}

/* Bug fix: 0.018 * 100000 is 1799.9999999999998, which used to give a quota of 1799. */
static void test_cpus_are_rounded(void)
{
    struct bt_bundle_options o = {.name = "cpus", .rootfs = rootfs, .cpus = 0.018};
    char *text;
    json_object *spec = build(&o, &text);
    is_int(int_at(spec, "linux.resources.cpu.quota"), 1800, "--cpus 0.018 is a quota of 1800");
    json_object_put(spec);
    free(text);
}

/* Bug fix: -e went through an 8 KiB buffer and was cut there. */
static void test_long_env_is_kept_whole(void)
{
    size_t len = 20000;
    char *entry = malloc(len + 1), *name_only = malloc(len + 1);
    memcpy(entry, "LONG=", 5);
    memset(entry + 5, 'x', len - 5);
    entry[len] = '\0';
    setenv("T_BUNDLE_LONG", entry + 5, 1);
    snprintf(name_only, len + 1, "T_BUNDLE_LONG");
    const char *env[] = {entry, name_only};
    struct bt_bundle_options o = {.name = "env", .rootfs = rootfs, .env = env, .env_count = 2};
    char *text;
    json_object *spec = build(&o, &text);
    json_object *list = at(spec, "process.env");
    bool whole = false, inherited = false;
    for (size_t i = 0; list && i < json_object_array_length(list); i++) {
        const char *got = json_object_get_string(json_object_array_get_idx(list, i));
        whole |= strcmp(got, entry) == 0;
        inherited |= strncmp(got, "T_BUNDLE_LONG=", 14) == 0 && strlen(got) == len - 5 + 14;
    }
    ok(whole && inherited, "an env entry of 20000 bytes is kept whole, also from our environment");
    json_object_put(spec);
    free(text);
    free(entry);
    free(name_only);
}

/* O with ROOTFS filled in fails with -WANT_ERRNO and the message WANT, leaving *out alone. */
static void refuse(struct bt_bundle_options o, int want_errno, const char *want)
{
    struct bt_err err = {0};
    char *out = NULL;
    if (!o.rootfs)
        o.rootfs = rootfs;
    o.name = "refused";
    int ret = bt_bundle_build(&o, &out, &err);
    if (!ok(ret == -want_errno && !out && strcmp(err.msg, want) == 0, "refused: %s", want))
        diag("  got %d '%s'", ret, err.msg);
    free(out);
}

static void test_option_errors(void)
{
    char missing[PATH_MAX + 16], want[3 * PATH_MAX], spec[2 * PATH_MAX];
    format(missing, "%s/no-such-dir", tmp);

    format(want, "--rootfs %s: No such file or directory", missing);
    refuse((struct bt_bundle_options){.rootfs = missing}, ENOENT, want);
    struct bt_err err = {0};
    char *out = NULL;
    struct bt_bundle_options none = {0};
    ok(bt_bundle_build(&none, &out, &err) == -EINVAL && strcmp(err.msg, "no rootfs") == 0 && !out,
       "refused: no rootfs");

    const char *bad_env[] = {"OK=1", "=bad"};
    refuse((struct bt_bundle_options){.env = bad_env, .env_count = 2}, EINVAL,
           "invalid environment variable '=bad'");
    refuse((struct bt_bundle_options){.user = "nobody"}, ENOENT,
           "-u nobody: unable to find user nobody: no matching entries in passwd file");

    const char *bogus_ulimit[] = {"bogus=1"}, *inverted_ulimit[] = {"nofile=200:100"};
    refuse((struct bt_bundle_options){.ulimits = bogus_ulimit, .ulimit_count = 1}, EINVAL,
           "--ulimit bogus=1: invalid ulimit type: bogus");
    refuse((struct bt_bundle_options){.ulimits = inverted_ulimit, .ulimit_count = 1}, EINVAL,
           "--ulimit nofile=200:100: ulimit soft limit must be less than or equal to hard limit: "
           "200 > 100");
    static const struct bt_rlimit unknown_rlimit[] = {{999, 1, 1}};
    refuse((struct bt_bundle_options){.rlimits = unknown_rlimit, .rlimit_count = 1}, EINVAL,
           "unknown rlimit resource 999");

    const char *volumes[1] = {spec};
    struct bt_bundle_options with_volume = {.volumes = volumes, .volume_count = 1};
    format(spec, "%s", volume);
    format(want, "-v %s: expected SRC:DST[:ro|rw]", spec);
    refuse(with_volume, EINVAL, want);
    format(spec, "%s:/x:rx", volume);
    format(want, "-v %s: mode must be ro or rw", spec);
    refuse(with_volume, EINVAL, want);
    format(spec, "%s:relative", volume);
    format(want, "-v %s: the container path must be absolute", spec);
    refuse(with_volume, EINVAL, want);
    format(spec, "%s:/x", missing);
    format(want, "-v %s: source %s: No such file or directory", spec, missing);
    refuse(with_volume, ENOENT, want);
    char *long_volume = malloc(3 * PATH_MAX);
    memset(long_volume, 'a', 3 * PATH_MAX - 1);
    long_volume[3 * PATH_MAX - 1] = '\0';
    volumes[0] = long_volume;
    struct bt_err err_long = {0};
    out = NULL;
    with_volume.rootfs = rootfs;
    ok(bt_bundle_build(&with_volume, &out, &err_long) == -ENAMETOOLONG && !out &&
           strncmp(err_long.msg, "-v aaaa", 7) == 0,
       "refused: -v of 3 * PATH_MAX bytes is too long");
    with_volume.rootfs = NULL;
    free(long_volume);

    const char *relative_tmpfs[] = {"relative"};
    refuse((struct bt_bundle_options){.tmpfs = relative_tmpfs, .tmpfs_count = 1}, EINVAL,
           "--tmpfs relative: the path must be absolute");

    struct bt_bundle_mount mount = {BT_BUNDLE_MOUNT_BIND, volume, "data", false};
    struct bt_bundle_options with_mount = {.mounts = &mount, .mount_count = 1};
    refuse(with_mount, EINVAL, "mount data: the container path must be absolute");
    mount.target = NULL;
    refuse(with_mount, EINVAL, "mount without a target");
    mount = (struct bt_bundle_mount){BT_BUNDLE_MOUNT_BIND, NULL, "/data", false};
    refuse(with_mount, EINVAL, "mount /data: a bind mount needs a source");
    mount.source = missing;
    format(want, "mount /data: source %s: No such file or directory", missing);
    refuse(with_mount, ENOENT, want);

    const char *bogus_cap[] = {"BOGUS"}, *bogus_drop[] = {"NOT_A_CAP"};
    refuse((struct bt_bundle_options){.cap_add = bogus_cap, .cap_add_count = 1}, EINVAL,
           "unknown capability: \"CAP_BOGUS\"");
    refuse((struct bt_bundle_options){.cap_drop = bogus_drop, .cap_drop_count = 1}, EINVAL,
           "unknown capability: \"CAP_NOT_A_CAP\"");
    refuse((struct bt_bundle_options){.network = "bridge"}, EINVAL,
           "network bridge: expected none or host");

    /* The first problem in the order bottle run always reported them. */
    format(spec, "%s:/x:rx", volume);
    volumes[0] = spec;
    const char *tmpfs_list[] = {"relative"};
    refuse((struct bt_bundle_options){.volumes = volumes,
                                      .volume_count = 1,
                                      .tmpfs = tmpfs_list,
                                      .tmpfs_count = 1,
                                      .user = "nobody",
                                      .ulimits = bogus_ulimit,
                                      .ulimit_count = 1},
           ENOENT, "-u nobody: unable to find user nobody: no matching entries in passwd file");
}

/* ---- from a service spec ---- */

static void test_service_full(void)
{
    char text[4096], missing[PATH_MAX + 16];
    format(missing, "%s/no-such-dir", tmp);
    format(text,
           "{'name':'redis','rootfs':'%s','command':['redis-server','--appendonly','yes'],"
           "'env':['TZ=UTC','PATH=/opt/bin'],'workdir':'/data','user':'app:extra',"
           "'hostname':'redis-1','resources':{'memory':'256M','cpus':0.333,'pids':256,"
           "'io_weight':100},'rlimits':{'nproc':{'soft':512,'hard':1024},'nofile':4096,"
           "'core':'unlimited'},'network':'host','mounts':[{'source':'%s','target':'/data'},"
           "{'source':'%s','target':'/etc/redis','type':'bind','readonly':true},"
           "{'type':'tmpfs','target':'/tmp'},{'type':'tmpfs','target':'/run','readonly':true}]}",
           rootfs, volume, volume);
    struct bt_svcspec_node *node = parse_service(text);
    char *json = NULL, buf[1024];
    struct bt_err err = {0};
    int ret = node ? bt_bundle_from_service(&node->service, NULL, &json, &err) : -EINVAL;
    json_object *spec = ret == 0 ? json_tokener_parse(json) : NULL;
    if (!ok(spec != NULL, "a full service builds"))
        diag("  %s", err.msg);
    if (!spec) {
        for (int i = 0; i < 20; i++)
            skip("service");
        bt_svcspec_free(node);
        return;
    }
    is_str(str_at(spec, "root.path"), rootfs, "root.path: the service's rootfs");
    ok(!bool_at(spec, "root.readonly") && !bool_at(spec, "process.terminal"),
       "writable root, no terminal");
    is_str(joined(spec, "process.args", buf, sizeof(buf)), "redis-server --appendonly yes",
           "command");
    ok(env_has(spec, "TZ=UTC") && env_has(spec, "PATH=/opt/bin") && env_count(spec, "PATH") == 1 &&
           env_has(spec, "TERM=xterm"),
       "env, replacing the default PATH");
    is_str(str_at(spec, "process.cwd"), "/data", "workdir");
    ok(int_at(spec, "process.user.uid") == 1000 && int_at(spec, "process.user.gid") == 2000,
       "user app:extra resolved in the rootfs");
    is_str(str_at(spec, "hostname"), "redis-1", "hostname");
    is_int(int_at(spec, "linux.resources.memory.limit"), 256 << 20, "memory 256M");
    ok(int_at(spec, "linux.resources.cpu.quota") == 33300 &&
           int_at(spec, "linux.resources.cpu.period") == 100000,
       "cpus 0.333: quota 33300 per 100000");
    is_int(int_at(spec, "linux.resources.pids.limit"), 256, "pids");
    is_int(int_at(spec, "linux.resources.blockIO.weight"), 100, "io_weight: blockIO.weight");
    json_object *nproc = find(spec, "process.rlimits", "type", "RLIMIT_NPROC");
    json_object *nofile = find(spec, "process.rlimits", "type", "RLIMIT_NOFILE");
    json_object *core = find(spec, "process.rlimits", "type", "RLIMIT_CORE");
    ok(int_at(nproc, "soft") == 512 && int_at(nproc, "hard") == 1024 &&
           int_at(nofile, "soft") == 4096 && int_at(nofile, "hard") == 4096 && core &&
           json_object_get_uint64(at(core, "soft")) == UINT64_MAX &&
           json_object_array_length(at(spec, "process.rlimits")) == 3,
       "rlimits, unlimited as 2^64-1, replacing the default nofile");
    ok(!find(spec, "linux.namespaces", "type", "network"), "network host");
    ok(!find(spec, "linux.namespaces", "type", "user"), "no user namespace");
    json_object *data = find(spec, "mounts", "destination", "/data");
    json_object *conf = find(spec, "mounts", "destination", "/etc/redis");
    json_object *tmp_mount = find(spec, "mounts", "destination", "/tmp");
    json_object *run = find(spec, "mounts", "destination", "/run");
    ok(data && strcmp(str_at(data, "source"), volume) == 0 &&
           strcmp(str_at(data, "type"), "bind") == 0 &&
           strcmp(joined(data, "options", buf, sizeof(buf)), "rbind rprivate rw") == 0,
       "a bind mount: rbind, rw");
    ok(conf && strcmp(joined(conf, "options", buf, sizeof(buf)), "rbind rprivate ro") == 0,
       "a read-only bind mount: rbind, ro");
    ok(tmp_mount && strcmp(str_at(tmp_mount, "type"), "tmpfs") == 0 &&
           strcmp(joined(tmp_mount, "options", buf, sizeof(buf)), "nosuid nodev noexec") == 0 &&
           run && strcmp(joined(run, "options", buf, sizeof(buf)), "nosuid nodev noexec ro") == 0,
       "tmpfs mounts, one read-only");
    json_object *list = at(spec, "mounts");
    size_t n = json_object_array_length(list);
    ok(n >= 4 &&
           strcmp(str_at(json_object_array_get_idx(list, n - 4), "destination"), "/data") == 0 &&
           strcmp(str_at(json_object_array_get_idx(list, n - 1), "destination"), "/run") == 0,
       "mounts in the spec's order, after the default ones");
    struct bt_spec *parsed = accept(json, "a full service");
    const struct bt_spec_rlimit *limit = parsed ? spec_rlimit(parsed, RLIMIT_CORE) : NULL;
    ok(limit && limit->soft == UINT64_MAX && parsed->resources.blkio_weight == 100 &&
           parsed->process.caps.bounding == BT_CAPS_DOCKER_DEFAULT,
       "parsed: RLIMIT_CORE unlimited, blkio weight, docker's capabilities");
    bt_spec_free(parsed);
    json_object_put(spec);
    free(json);
    bt_svcspec_free(node);
}

static void test_service_defaults(void)
{
    char text[1024], other[PATH_MAX + 16];
    format(text, "{'name':'web','rootfs':'%s','command':['httpd']}", rootfs);
    struct bt_svcspec_node *node = parse_service(text);
    char *json = NULL;
    struct bt_err err = {0};
    int ret = node ? bt_bundle_from_service(&node->service, NULL, &json, &err) : -EINVAL;
    json_object *spec = ret == 0 ? json_tokener_parse(json) : NULL;
    if (!spec)
        diag("  %s", err.msg);
    ok(spec && strcmp(str_at(spec, "hostname"), "web") == 0, "hostname: the service's name");
    ok(spec && find(spec, "linux.namespaces", "type", "network"),
       "network none: a new network namespace");
    ok(spec && !at(spec, "linux.resources.memory") && !at(spec, "linux.resources.cpu") &&
           !at(spec, "linux.resources.pids") && !at(spec, "linux.resources.blockIO") &&
           strcmp(str_at(spec, "process.cwd"), "/") == 0 && int_at(spec, "process.user.uid") == 0,
       "no limits, cwd /, root");
    ok(spec && int_at(find(spec, "process.rlimits", "type", "RLIMIT_NOFILE"), "soft") == 1024,
       "the default RLIMIT_NOFILE 1024");
    struct bt_spec *parsed = accept(json, "a minimal service");
    bt_spec_free(parsed);
    json_object_put(spec);
    free(json);

    /* ROOTFS_PATH wins over the spec's rootfs (bottled's storage mount point). */
    format(other, "%s/other-rootfs", tmp);
    make_dir(other);
    json = NULL;
    ret = node ? bt_bundle_from_service(&node->service, other, &json, &err) : -EINVAL;
    spec = ret == 0 ? json_tokener_parse(json) : NULL;
    is_str(spec ? str_at(spec, "root.path") : NULL, other, "rootfs_path is root.path");
    json_object_put(spec);
    free(json);
    bt_svcspec_free(node);
}

/* readiness sd_notify and {"fd": N} become the annotation bottle-shim acts on; exec none. */
static void test_service_readiness(void)
{
    static const struct {
        const char *readiness, *want;
    } cases[] = {{"'sd_notify'", "sd_notify"}, {"{'fd': 7}", "fd:7"}, {"'exec'", NULL}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char text[1024];
        format(text, "{'name':'web','rootfs':'%s','command':['httpd'],'readiness':%s}", rootfs,
               cases[i].readiness);
        struct bt_svcspec_node *node = parse_service(text);
        char *json = NULL;
        struct bt_err err = {0};
        int ret = node ? bt_bundle_from_service(&node->service, NULL, &json, &err) : -EINVAL;
        json_object *spec = ret == 0 ? json_tokener_parse(json) : NULL;
        json_object *annotations = spec ? at(spec, "annotations") : NULL;
        json_object *value = NULL;
        if (annotations)
            json_object_object_get_ex(annotations, "org.bottle.readiness", &value);
        const char *got = value ? json_object_get_string(value) : NULL;
        if (!ok(spec && (cases[i].want ? got && strcmp(got, cases[i].want) == 0 : !got),
                "readiness %s: annotation %s", cases[i].readiness,
                cases[i].want ? cases[i].want : "absent"))
            diag("  got '%s' (%s)", got ? got : "(none)", err.msg);
        json_object_put(spec);
        free(json);
        bt_svcspec_free(node);
    }
}

/* The service of TEXT (single-quoted JSON) fails with -WANT_ERRNO and the message WANT. */
static void refuse_service(const char *text, const char *rootfs_path, int want_errno,
                           const char *want)
{
    struct bt_svcspec_node *node = parse_service(text);
    struct bt_err err = {0};
    char *out = NULL;
    int ret = node ? bt_bundle_from_service(&node->service, rootfs_path, &out, &err) : 0;
    if (!ok(ret == -want_errno && !out && strcmp(err.msg, want) == 0, "service refused: %s", want))
        diag("  got %d '%s'", ret, err.msg);
    free(out);
    bt_svcspec_free(node);
}

static void test_service_errors(void)
{
    char text[2048], want[2 * PATH_MAX], missing[PATH_MAX + 16];
    format(missing, "%s/no-such-dir", tmp);
    format(text, "{'name':'web','rootfs':'%s','command':['x'],'network':'bridge'}", rootfs);
    refuse_service(text, NULL, ENOTSUP, "network bridge is not supported yet");
    format(text,
           "{'name':'web','rootfs':'%s','command':['x'],'network':'bridge',"
           "'ports':['8080:80']}",
           rootfs);
    refuse_service(text, NULL, ENOTSUP, "network bridge is not supported yet");
    /* Ports without bridge cannot be parsed; a service built by hand can still have them. */
    format(text, "{'name':'web','rootfs':'%s','command':['x']}", rootfs);
    struct bt_svcspec_node *node = parse_service(text);
    struct bt_svcspec_port port = {.host_port = 8080, .container_port = 80};
    struct bt_err err = {0};
    char *out = NULL;
    int ret = -1;
    if (node) {
        node->service.ports = &port;
        node->service.ports_len = 1;
        ret = bt_bundle_from_service(&node->service, NULL, &out, &err);
        node->service.ports = NULL;
        node->service.ports_len = 0;
    }
    ok(ret == -ENOTSUP && !out && strcmp(err.msg, "ports are not supported yet") == 0,
       "service refused: ports are not supported yet");
    bt_svcspec_free(node);

    refuse_service("{'name':'web','image':'redis','command':['x']}", NULL, ENOTSUP,
                   "image redis: images are not supported yet");
    format(text, "{'name':'web','rootfs':'%s','command':['x']}", missing);
    format(want, "rootfs %s: No such file or directory", missing);
    refuse_service(text, NULL, ENOENT, want);
    format(text, "{'name':'web','rootfs':'%s','command':['x'],'user':'nobody'}", rootfs);
    refuse_service(text, NULL, ENOENT,
                   "user nobody: unable to find user nobody: no matching entries in passwd file");
    format(text,
           "{'name':'web','rootfs':'%s','command':['x'],'mounts':[{'source':'%s',"
           "'target':'/data'}]}",
           rootfs, missing);
    format(want, "mount /data: source %s: No such file or directory", missing);
    refuse_service(text, NULL, ENOENT, want);
}

/* ---- writing ---- */

static mode_t mode_of(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? st.st_mode & 07777 : (mode_t)-1;
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *text = calloc(1, 1 << 16);
    size_t n = fread(text, 1, (1 << 16) - 1, f);
    text[n] = '\0';
    fclose(f);
    return text;
}

/* The names in DIR joined with ' ', sorted by readdir order (one entry expected). */
static int entries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    if (d)
        closedir(d);
    return n;
}

static void test_write(void)
{
    char dir[PATH_MAX + 32], parent[PATH_MAX + 32], path[PATH_MAX + 64];
    format(parent, "%s/state/bundles", tmp);
    format(dir, "%s/web", parent);
    format(path, "%s/config.json", dir);
    struct bt_err err = {0};
    struct bt_bundle_options o = {.name = "web", .rootfs = rootfs};
    char *json = NULL;
    if (bt_bundle_build(&o, &json, &err) < 0)
        diag("%s", err.msg);
    int ret = json ? bt_bundle_write(dir, json, &err) : -1;
    if (!ok(ret == 0, "bt_bundle_write makes DIR and its parents"))
        diag("  %s", err.msg);
    char *got = read_text(path);
    ok(got && json && strcmp(got, json) == 0, "config.json holds the text");
    free(got);
    ok(mode_of(dir) == 0700 && mode_of(parent) == 0711 && mode_of(path) == 0644,
       "modes: DIR 0700, parents 0711, config.json 0644");
    struct bt_spec *spec = NULL;
    ret = bt_spec_load(dir, &spec, &err);
    if (!ok(ret == 0, "bt_spec_load accepts the written bundle"))
        diag("  %s", err.msg);
    bt_spec_free(spec);

    ret = bt_bundle_write(dir, "{\"second\": true}\n", &err);
    got = read_text(path);
    ok(ret == 0 && got && strcmp(got, "{\"second\": true}\n") == 0 && entries(dir) == 1,
       "a second write replaces config.json and leaves no temporary file");
    free(got);
    free(json);

    char file[PATH_MAX + 32], want[2 * PATH_MAX];
    format(file, "%s/a-file", tmp);
    write_file(file, "");
    format(want, "create %s: Not a directory", file);
    ret = bt_bundle_write(file, "{}", &err);
    ok(ret == -ENOTDIR && strcmp(err.msg, want) == 0, "a DIR that is a file is refused");
    format(dir, "%s/a-file/sub", tmp);
    format(want, "create %s: Not a directory", dir);
    ret = bt_bundle_write(dir, "{}", &err);
    if (!ok(ret == -ENOTDIR && strcmp(err.msg, want) == 0, "a parent that is a file is refused"))
        diag("  got %d '%s'", ret, err.msg);
}

int main(void)
{
    plan(12 + 28 + 1 + 1 + 21 + 21 + 6 + 3 + 7 + 7);
    tap_alarm(60);
    umask(022);
    setup();

    test_defaults();               /* 12 */
    test_options_full();           /* 28 */
    test_cpus_are_rounded();       /* 1 */
    test_long_env_is_kept_whole(); /* 1 */
    test_option_errors();          /* 21 */
    test_service_full();           /* 21 */
    test_service_defaults();       /* 6 */
    test_service_readiness();      /* 3 */
    test_service_errors();         /* 7 */
    test_write();                  /* 7 */
    return done();
}
