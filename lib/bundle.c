/* Building a container's config.json from docker-style options or from a bottled service spec:
 * start from the default spec (bottle spec) and change what the options say. Validation is
 * bt_spec_load's job in the shim; this must never write anywhere but the bundle directory
 * bt_bundle_write is given. */
#include "bundle.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "caps.h"
#include "cleanup.h"
#include "spec.h"
#include "svcspec.h"

/* How messages name the inputs that both callers have: by `bottle run`'s flag, or by the key of
 * a service spec. */
struct words {
    const char *rootfs;
    const char *user;
};

static const struct words cli_words = {"--rootfs", "-u"};
static const struct words service_words = {"rootfs", "user"};

static json_object *get(json_object *obj, const char *key)
{
    json_object *value = NULL;
    json_object_object_get_ex(obj, key, &value);
    return value;
}

static json_object *get_or_add(json_object *obj, const char *key)
{
    json_object *value = get(obj, key);
    if (!value) {
        value = json_object_new_object();
        json_object_object_add(obj, key, value);
    }
    return value;
}

static json_object *string_array(const char *const *items, size_t count)
{
    json_object *array = json_object_new_array();
    for (size_t i = 0; i < count; i++)
        json_object_array_add(array, json_object_new_string(items[i]));
    return array;
}

/* Drops every entry of LIST whose KEY is VALUE (rlimits by type, namespaces by type). */
static void remove_where(json_object *list, const char *key, const char *value)
{
    for (size_t j = json_object_array_length(list); j-- > 0;) {
        const char *got = json_object_get_string(get(json_object_array_get_idx(list, j), key));
        if (got && strcmp(got, value) == 0)
            json_object_array_del_idx(list, j, 1);
    }
}

static int set_env(json_object *process, const char *const *env, size_t count, struct bt_err *err)
{
    json_object *list = get(process, "env");
    for (size_t i = 0; i < count; i++) {
        const char *entry = env[i], *eq = strchr(entry, '=');
        cleanup_free char *from_environ = NULL;
        if (eq == entry)
            return bt_err_msg(err, EINVAL, "invalid environment variable '%s'", entry);
        if (!eq) { /* -e NAME takes the value from our environment, as docker does */
            const char *value = getenv(entry);
            if (!value)
                continue;
            if (asprintf(&from_environ, "%s=%s", entry, value) < 0) {
                from_environ = NULL;
                return bt_err_sys(err, ENOMEM, "environment variable %s", entry);
            }
            entry = from_environ;
        }
        size_t key_len = strcspn(entry, "=");
        bool replaced = false;
        for (size_t j = 0; j < json_object_array_length(list); j++) {
            const char *old = json_object_get_string(json_object_array_get_idx(list, j));
            if (strncmp(old, entry, key_len + 1) == 0) {
                json_object_array_put_idx(list, j, json_object_new_string(entry));
                replaced = true;
            }
        }
        if (!replaced)
            json_object_array_add(list, json_object_new_string(entry));
    }
    return 0;
}

/* A recursive, private bind of the canonical host path REAL at TARGET. */
static void add_bind(json_object *mounts, const char *target, const char *real, bool readonly)
{
    json_object *mount = json_object_new_object();
    json_object_object_add(mount, "destination", json_object_new_string(target));
    json_object_object_add(mount, "type", json_object_new_string("bind"));
    json_object_object_add(mount, "source", json_object_new_string(real));
    const char *options[] = {"rbind", "rprivate", readonly ? "ro" : "rw"};
    json_object_object_add(mount, "options", string_array(options, 3));
    json_object_array_add(mounts, mount);
}

static void add_tmpfs(json_object *mounts, const char *target, bool readonly)
{
    json_object *mount = json_object_new_object();
    json_object_object_add(mount, "destination", json_object_new_string(target));
    json_object_object_add(mount, "type", json_object_new_string("tmpfs"));
    json_object_object_add(mount, "source", json_object_new_string("tmpfs"));
    const char *options[] = {"nosuid", "nodev", "noexec", "ro"};
    json_object_object_add(mount, "options", string_array(options, readonly ? 4 : 3));
    json_object_array_add(mounts, mount);
}

/* docker's -v SRC:DST[:ro|rw]. */
static int add_volume(json_object *mounts, const char *spec, struct bt_err *err)
{
    char copy[PATH_MAX * 2 + 8];
    if (snprintf(copy, sizeof(copy), "%s", spec) >= (int)sizeof(copy))
        return bt_err_msg(err, ENAMETOOLONG, "-v %s: too long", spec);
    char *source = copy, *target = strchr(copy, ':'), *mode = NULL;
    if (!target)
        return bt_err_msg(err, EINVAL, "-v %s: expected SRC:DST[:ro|rw]", spec);
    *target++ = '\0';
    if ((mode = strchr(target, ':')))
        *mode++ = '\0';
    if (mode && strcmp(mode, "ro") != 0 && strcmp(mode, "rw") != 0)
        return bt_err_msg(err, EINVAL, "-v %s: mode must be ro or rw", spec);
    if (target[0] != '/')
        return bt_err_msg(err, EINVAL, "-v %s: the container path must be absolute", spec);
    char real[PATH_MAX];
    if (!realpath(source, real))
        return bt_err_sys(err, errno, "-v %s: source %s", spec, source);
    add_bind(mounts, target, real, mode && strcmp(mode, "ro") == 0);
    return 0;
}

static int add_mount(json_object *mounts, const struct bt_bundle_mount *m, struct bt_err *err)
{
    if (!m->target)
        return bt_err_msg(err, EINVAL, "mount without a target");
    if (m->target[0] != '/')
        return bt_err_msg(err, EINVAL, "mount %s: the container path must be absolute", m->target);
    switch (m->type) {
    case BT_BUNDLE_MOUNT_TMPFS: add_tmpfs(mounts, m->target, m->readonly); return 0;
    case BT_BUNDLE_MOUNT_BIND: break;
    default: return bt_err_msg(err, EINVAL, "mount %s: unknown type %d", m->target, (int)m->type);
    }
    if (!m->source)
        return bt_err_msg(err, EINVAL, "mount %s: a bind mount needs a source", m->target);
    char real[PATH_MAX];
    if (!realpath(m->source, real))
        return bt_err_sys(err, errno, "mount %s: source %s", m->target, m->source);
    add_bind(mounts, m->target, real, m->readonly);
    return 0;
}

static int set_user(json_object *process, const char *rootfs, const char *user_spec,
                    const struct words *words, struct bt_err *err)
{
    cleanup_close int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        return bt_err_sys(err, errno, "open rootfs %s", rootfs);
    struct bt_user user;
    int ret = bt_procattr_resolve_user(rootfd, user_spec, &user, err);
    if (ret < 0)
        return bt_err_wrap(err, "%s %s", words->user, user_spec);
    json_object *obj = get_or_add(process, "user");
    json_object_object_add(obj, "uid", json_object_new_int64(user.uid));
    json_object_object_add(obj, "gid", json_object_new_int64(user.gid));
    if (user.group_count) {
        json_object *groups = json_object_new_array();
        for (size_t i = 0; i < user.group_count; i++)
            json_object_array_add(groups, json_object_new_int64(user.groups[i]));
        json_object_object_add(obj, "additionalGids", groups);
    }
    return 0;
}

/* Replaces the entry of LIMIT's resource in process.rlimits, or adds one. */
static int set_rlimit(json_object *process, const struct bt_rlimit *limit, struct bt_err *err)
{
    const char *name = bt_procattr_rlimit_name(limit->resource);
    if (!name)
        return bt_err_msg(err, EINVAL, "unknown rlimit resource %d", limit->resource);
    json_object *list = get(process, "rlimits");
    remove_where(list, "type", name);
    json_object *entry = json_object_new_object();
    json_object_object_add(entry, "type", json_object_new_string(name));
    json_object_object_add(entry, "soft", json_object_new_uint64(limit->soft));
    json_object_object_add(entry, "hard", json_object_new_uint64(limit->hard));
    json_object_array_add(list, entry);
    return 0;
}

static int set_rlimits(json_object *process, const struct bt_bundle_options *o, struct bt_err *err)
{
    int ret;
    for (size_t i = 0; i < o->rlimit_count; i++)
        if ((ret = set_rlimit(process, &o->rlimits[i], err)) < 0)
            return ret;
    for (size_t i = 0; i < o->ulimit_count; i++) {
        struct bt_rlimit limit;
        if (bt_procattr_parse_ulimit(o->ulimits[i], &limit, err) < 0)
            return bt_err_wrap(err, "--ulimit %s", o->ulimits[i]);
        if ((ret = set_rlimit(process, &limit, err)) < 0)
            return ret;
    }
    return 0;
}

static int set_caps(json_object *process, const struct bt_bundle_options *o, struct bt_err *err)
{
    uint64_t set;
    int ret = bt_caps_tweak(BT_CAPS_DOCKER_DEFAULT, o->cap_add, o->cap_add_count, o->cap_drop,
                            o->cap_drop_count, &set, err);
    if (ret < 0)
        return ret;
    json_object *list = json_object_new_array();
    for (unsigned cap = 0; cap < 64; cap++) {
        char name[BT_CAPS_NAME_MAX];
        if (set & BT_CAP(cap))
            json_object_array_add(list,
                                  json_object_new_string(bt_caps_name(cap, name, sizeof(name))));
    }
    json_object *caps = get_or_add(process, "capabilities");
    json_object_object_add(caps, "bounding", json_object_get(list));
    json_object_object_add(caps, "effective", json_object_get(list));
    json_object_object_add(caps, "permitted", list);
    return 0;
}

static int set_namespaces(json_object *linux_obj, const struct bt_bundle_options *o,
                          struct bt_err *err)
{
    json_object *list = get(linux_obj, "namespaces");
    if (o->network && strcmp(o->network, "host") == 0)
        remove_where(list, "type", "network");
    else if (o->network && strcmp(o->network, "none") != 0)
        return bt_err_msg(err, EINVAL, "network %s: expected none or host", o->network);
    if (o->userns) {
        json_object *ns = json_object_new_object();
        json_object_object_add(ns, "type", json_object_new_string("user"));
        json_object_array_add(list, ns);
        /* Container root is an unprivileged host range, as podman's --userns=auto does. */
        for (int i = 0; i < 2; i++) {
            json_object *map = json_object_new_object();
            json_object_object_add(map, "containerID", json_object_new_int(0));
            json_object_object_add(map, "hostID", json_object_new_int(100000));
            json_object_object_add(map, "size", json_object_new_int(65536));
            json_object *maps = json_object_new_array();
            json_object_array_add(maps, map);
            json_object_object_add(linux_obj, i ? "gidMappings" : "uidMappings", maps);
        }
    }
    return 0;
}

static void set_resources(json_object *linux_obj, const struct bt_bundle_options *o)
{
    json_object *resources = get_or_add(linux_obj, "resources");
    if (o->memory > 0) {
        json_object *memory = get_or_add(resources, "memory");
        json_object_object_add(memory, "limit", json_object_new_int64(o->memory));
    }
    if (o->cpus > 0) {
        /* Rounded, not truncated: 0.018 * 100000 is 1799.9999999999998 in binary. */
        json_object *cpu = get_or_add(resources, "cpu");
        json_object_object_add(cpu, "quota",
                               json_object_new_int64((long long)(o->cpus * 100000 + 0.5)));
        json_object_object_add(cpu, "period", json_object_new_int64(100000));
    }
    if (o->pids_limit > 0) {
        json_object *pids = get_or_add(resources, "pids");
        json_object_object_add(pids, "limit", json_object_new_int64(o->pids_limit));
    }
    if (o->io_weight > 0) {
        json_object *block_io = get_or_add(resources, "blockIO");
        json_object_object_add(block_io, "weight", json_object_new_int64(o->io_weight));
    }
}

static int build(const struct bt_bundle_options *o, const struct words *words, char **out,
                 struct bt_err *err)
{
    if (!o->rootfs)
        return bt_err_msg(err, EINVAL, "no rootfs");
    cleanup_free char *text = bt_spec_default_json();
    if (!text)
        return bt_err_sys(err, ENOMEM, "default spec");
    json_object *spec = json_tokener_parse(text);
    if (!spec)
        return bt_err_msg(err, EINVAL, "cannot parse the default spec");
    int ret = 0;
    char rootfs[PATH_MAX];
    if (!realpath(o->rootfs, rootfs)) {
        ret = bt_err_sys(err, errno, "%s %s", words->rootfs, o->rootfs);
        goto out;
    }
    json_object *root = get(spec, "root");
    json_object_object_add(root, "path",
                           json_object_new_string(o->root_path ? o->root_path : rootfs));
    json_object_object_add(root, "readonly", json_object_new_boolean(o->read_only));
    json_object *process = get(spec, "process");
    json_object_object_add(process, "terminal", json_object_new_boolean(o->tty));
    if (o->image_entrypoint_count || o->image_cmd_count) {
        json_object *args = string_array(o->image_entrypoint, o->image_entrypoint_count);
        const char *const *tail = o->command_count ? o->command : o->image_cmd;
        size_t n = o->command_count ? o->command_count : o->image_cmd_count;
        for (size_t i = 0; i < n; i++)
            json_object_array_add(args, json_object_new_string(tail[i]));
        json_object_object_add(process, "args", args);
    } else if (o->command_count) {
        json_object_object_add(process, "args", string_array(o->command, o->command_count));
    }
    const char *workdir = o->workdir ? o->workdir : o->image_workdir;
    if (workdir)
        json_object_object_add(process, "cwd", json_object_new_string(workdir));
    if (o->image_stop_signal) {
        json_object *annotations = get_or_add(spec, "annotations");
        json_object_object_add(annotations, "org.opencontainers.image.stopSignal",
                               json_object_new_string(o->image_stop_signal));
    }
    const char *user = o->user ? o->user : o->image_user;
    const char *hostname = o->hostname ? o->hostname : o->name;
    if (hostname)
        json_object_object_add(spec, "hostname", json_object_new_string(hostname));
    if ((ret = set_env(process, o->image_env, o->image_env_count, err)) < 0 ||
        (ret = set_env(process, o->env, o->env_count, err)) < 0 ||
        (user && (ret = set_user(process, rootfs, user, words, err)) < 0) ||
        (ret = set_rlimits(process, o, err)) < 0 || (ret = set_caps(process, o, err)) < 0)
        goto out;
    json_object *mounts = get(spec, "mounts");
    for (size_t i = 0; i < o->volume_count; i++)
        if ((ret = add_volume(mounts, o->volumes[i], err)) < 0)
            goto out;
    for (size_t i = 0; i < o->tmpfs_count; i++) {
        if (o->tmpfs[i][0] != '/') {
            ret = bt_err_msg(err, EINVAL, "--tmpfs %s: the path must be absolute", o->tmpfs[i]);
            goto out;
        }
        add_tmpfs(mounts, o->tmpfs[i], false);
    }
    for (size_t i = 0; i < o->mount_count; i++)
        if ((ret = add_mount(mounts, &o->mounts[i], err)) < 0)
            goto out;
    json_object *linux_obj = get(spec, "linux");
    if ((ret = set_namespaces(linux_obj, o, err)) < 0)
        goto out;
    set_resources(linux_obj, o);
    if (o->readiness)
        json_object_object_add(get_or_add(spec, "annotations"), "org.bottle.readiness",
                               json_object_new_string(o->readiness));
    const char *json = json_object_to_json_string_ext(spec, JSON_C_TO_STRING_PRETTY |
                                                                JSON_C_TO_STRING_NOSLASHESCAPE);
    char *copy = json ? strdup(json) : NULL;
    if (!copy) {
        ret = bt_err_sys(err, ENOMEM, "config.json");
        goto out;
    }
    *out = copy;
out:
    json_object_put(spec);
    return ret;
}

int bt_bundle_build(const struct bt_bundle_options *o, char **out_json, struct bt_err *err)
{
    return build(o, &cli_words, out_json, err);
}

int bt_bundle_from_service(const struct bt_svcspec_service *svc, const char *rootfs_path,
                           char **out_json, struct bt_err *err)
{
    if (!rootfs_path)
        rootfs_path = svc->rootfs;
    if (!rootfs_path)
        return bt_err_msg(err, ENOTSUP, "image %s: images are not supported yet",
                          svc->image ? svc->image : "(none)");
    switch (svc->network) {
    case BT_SVCSPEC_NETWORK_NONE:
    case BT_SVCSPEC_NETWORK_HOST: break;
    case BT_SVCSPEC_NETWORK_BRIDGE:
        return bt_err_msg(err, ENOTSUP, "network bridge is not supported yet");
    default: return bt_err_msg(err, EINVAL, "unknown network %d", (int)svc->network);
    }
    if (svc->ports_len)
        return bt_err_msg(err, ENOTSUP, "ports are not supported yet");
    cleanup_free struct bt_bundle_mount *mounts = NULL;
    if (svc->mounts_len) {
        mounts = calloc(svc->mounts_len, sizeof(*mounts));
        if (!mounts)
            return bt_err_sys(err, ENOMEM, "mounts");
    }
    for (size_t i = 0; i < svc->mounts_len; i++) {
        const struct bt_svcspec_mount *m = &svc->mounts[i];
        mounts[i] = (struct bt_bundle_mount){
            .type =
                m->type == BT_SVCSPEC_MOUNT_TMPFS ? BT_BUNDLE_MOUNT_TMPFS : BT_BUNDLE_MOUNT_BIND,
            .source = m->source,
            .target = m->target,
            .readonly = m->readonly,
        };
    }
    /* The shim offers what the readiness needs: a NOTIFY_SOCKET, or the s6 notification fd. */
    char readiness[16] = "";
    if (svc->readiness == BT_SVCSPEC_READY_SD_NOTIFY)
        snprintf(readiness, sizeof(readiness), "sd_notify");
    else if (svc->readiness == BT_SVCSPEC_READY_FD)
        snprintf(readiness, sizeof(readiness), "fd:%d", svc->ready_fd);
    struct bt_bundle_options o = {
        .readiness = readiness[0] ? readiness : NULL,
        .name = svc->name,
        .rootfs = rootfs_path,
        .command = (const char *const *)svc->command,
        .command_count = svc->command_len,
        .env = (const char *const *)svc->env,
        .env_count = svc->env_len,
        .workdir = svc->workdir,
        .user = svc->user,
        .hostname = svc->hostname,
        .memory = (long long)svc->memory,
        .cpus = svc->milli_cpus / 1000.0,
        .pids_limit = svc->pids,
        .io_weight = svc->io_weight,
        .rlimits = svc->rlimits,
        .rlimit_count = svc->rlimits_len,
        .mounts = mounts,
        .mount_count = svc->mounts_len,
        .network = svc->network == BT_SVCSPEC_NETWORK_HOST ? "host" : "none",
    };
    return build(&o, &service_words, out_json, err);
}

/* mkdir -p DIR: parents 0711 (others may pass through, as to /run/bottle/bundles), DIR 0700. */
static int make_dirs(const char *dir, struct bt_err *err)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof(buf), "%s", dir) >= (int)sizeof(buf))
        return bt_err_sys(err, ENAMETOOLONG, "create %s", dir);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/' || p[-1] == '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0711) < 0 && errno != EEXIST)
            return bt_err_sys(err, errno, "create %s", buf);
        *p = '/';
    }
    if (mkdir(buf, 0700) < 0) {
        struct stat st;
        if (errno != EEXIST)
            return bt_err_sys(err, errno, "create %s", dir);
        if (stat(buf, &st) < 0)
            return bt_err_sys(err, errno, "create %s", dir);
        if (!S_ISDIR(st.st_mode))
            return bt_err_sys(err, ENOTDIR, "create %s", dir);
    }
    return 0;
}

static int write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

int bt_bundle_write(const char *dir, const char *json, struct bt_err *err)
{
    int ret = make_dirs(dir, err);
    if (ret < 0)
        return ret;
    char path[PATH_MAX], tmp[PATH_MAX];
    if (snprintf(path, sizeof(path), "%s/config.json", dir) >= (int)sizeof(path) ||
        snprintf(tmp, sizeof(tmp), "%s/.config.json.XXXXXX", dir) >= (int)sizeof(tmp))
        return bt_err_sys(err, ENAMETOOLONG, "write %s/config.json", dir);
    cleanup_close int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return bt_err_sys(err, errno, "write %s", path);
    ret = write_all(fd, json, strlen(json));
    if (ret == 0 && fchmod(fd, 0644) < 0)
        ret = -errno;
    if (ret == 0 && fsync(fd) < 0)
        ret = -errno;
    if (ret == 0 && close(bt_take_fd(&fd)) < 0)
        ret = -errno;
    if (ret == 0 && rename(tmp, path) < 0)
        ret = -errno;
    if (ret < 0) {
        unlink(tmp);
        return bt_err_sys(err, -ret, "write %s", path);
    }
    return 0;
}
