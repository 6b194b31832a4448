/* Building a container's config.json from docker-style `bottle run` options: start from the
 * default spec (bottle spec) and change what the options say. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "caps.h"
#include "cleanup.h"
#include "procattr.h"
#include "spec.h"

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

static json_object *string_array(const char *const *items, int count)
{
    json_object *array = json_object_new_array();
    for (int i = 0; i < count; i++)
        json_object_array_add(array, json_object_new_string(items[i]));
    return array;
}

static int set_env(json_object *process, const char *const *env, int count, struct bt_err *err)
{
    json_object *list = get(process, "env");
    for (int i = 0; i < count; i++) {
        char entry[8192];
        const char *eq = strchr(env[i], '=');
        if (eq == env[i])
            return bt_err_msg(err, EINVAL, "invalid environment variable '%s'", env[i]);
        if (!eq) { /* -e NAME takes the value from our environment, as docker does */
            const char *value = getenv(env[i]);
            if (!value)
                continue;
            snprintf(entry, sizeof(entry), "%s=%s", env[i], value);
        } else {
            snprintf(entry, sizeof(entry), "%s", env[i]);
        }
        size_t key_len = (size_t)(strchr(entry, '=') - entry);
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
    json_object *mount = json_object_new_object();
    json_object_object_add(mount, "destination", json_object_new_string(target));
    json_object_object_add(mount, "type", json_object_new_string("bind"));
    json_object_object_add(mount, "source", json_object_new_string(real));
    const char *options[] = {"rbind", "rprivate", mode && strcmp(mode, "ro") == 0 ? "ro" : "rw"};
    json_object_object_add(mount, "options", string_array(options, 3));
    json_object_array_add(mounts, mount);
    return 0;
}

static void add_tmpfs(json_object *mounts, const char *target)
{
    json_object *mount = json_object_new_object();
    json_object_object_add(mount, "destination", json_object_new_string(target));
    json_object_object_add(mount, "type", json_object_new_string("tmpfs"));
    json_object_object_add(mount, "source", json_object_new_string("tmpfs"));
    const char *options[] = {"nosuid", "nodev", "noexec"};
    json_object_object_add(mount, "options", string_array(options, 3));
    json_object_array_add(mounts, mount);
}

static int set_user(json_object *process, const char *rootfs, const char *user_spec,
                    struct bt_err *err)
{
    cleanup_close int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        return bt_err_sys(err, errno, "open rootfs %s", rootfs);
    struct bt_user user;
    int ret = bt_procattr_resolve_user(rootfd, user_spec, &user, err);
    if (ret < 0)
        return bt_err_wrap(err, "-u %s", user_spec);
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

static int set_rlimits(json_object *process, const char *const *ulimits, int count,
                       struct bt_err *err)
{
    json_object *list = get(process, "rlimits");
    for (int i = 0; i < count; i++) {
        struct bt_rlimit limit;
        int ret = bt_procattr_parse_ulimit(ulimits[i], &limit, err);
        if (ret < 0)
            return bt_err_wrap(err, "--ulimit %s", ulimits[i]);
        const char *name = bt_procattr_rlimit_name(limit.resource);
        for (size_t j = json_object_array_length(list); j-- > 0;) {
            const char *type =
                json_object_get_string(get(json_object_array_get_idx(list, j), "type"));
            if (type && strcmp(type, name) == 0)
                json_object_array_del_idx(list, j, 1);
        }
        json_object *entry = json_object_new_object();
        json_object_object_add(entry, "type", json_object_new_string(name));
        json_object_object_add(entry, "soft", json_object_new_uint64(limit.soft));
        json_object_object_add(entry, "hard", json_object_new_uint64(limit.hard));
        json_object_array_add(list, entry);
    }
    return 0;
}

static int set_caps(json_object *process, const struct cli_run_options *o, struct bt_err *err)
{
    uint64_t set;
    int ret = bt_caps_tweak(BT_CAPS_DOCKER_DEFAULT, o->cap_add, (size_t)o->cap_add_count,
                            o->cap_drop, (size_t)o->cap_drop_count, &set, err);
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

static void set_namespaces(json_object *linux_obj, const struct cli_run_options *o)
{
    json_object *list = get(linux_obj, "namespaces");
    if (o->network && strcmp(o->network, "host") == 0) {
        for (size_t j = json_object_array_length(list); j-- > 0;) {
            const char *type =
                json_object_get_string(get(json_object_array_get_idx(list, j), "type"));
            if (type && strcmp(type, "network") == 0)
                json_object_array_del_idx(list, j, 1);
        }
    }
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
}

static void set_resources(json_object *linux_obj, const struct cli_run_options *o)
{
    json_object *resources = get_or_add(linux_obj, "resources");
    if (o->memory > 0) {
        json_object *memory = get_or_add(resources, "memory");
        json_object_object_add(memory, "limit", json_object_new_int64(o->memory));
    }
    if (o->cpus > 0) {
        json_object *cpu = get_or_add(resources, "cpu");
        json_object_object_add(cpu, "quota", json_object_new_int64((long long)(o->cpus * 100000)));
        json_object_object_add(cpu, "period", json_object_new_int64(100000));
    }
    if (o->pids_limit > 0) {
        json_object *pids = get_or_add(resources, "pids");
        json_object_object_add(pids, "limit", json_object_new_int64(o->pids_limit));
    }
}

int cli_bundle_build(const struct cli_run_options *o, char **out, struct bt_err *err)
{
    cleanup_free char *text = bt_spec_default_json();
    if (!text)
        return bt_err_sys(err, ENOMEM, "default spec");
    json_object *spec = json_tokener_parse(text);
    if (!spec)
        return bt_err_msg(err, EINVAL, "cannot parse the default spec");
    int ret = 0;
    char rootfs[PATH_MAX];
    if (!realpath(o->rootfs, rootfs)) {
        ret = bt_err_sys(err, errno, "--rootfs %s", o->rootfs);
        goto out;
    }
    json_object *root = get(spec, "root");
    json_object_object_add(root, "path",
                           json_object_new_string(o->root_path ? o->root_path : rootfs));
    json_object_object_add(root, "readonly", json_object_new_boolean(o->read_only));
    json_object *process = get(spec, "process");
    json_object_object_add(process, "terminal", json_object_new_boolean(o->tty));
    if (o->command) {
        int count = 0;
        while (o->command[count])
            count++;
        json_object_object_add(process, "args",
                               string_array((const char *const *)o->command, count));
    }
    if (o->workdir)
        json_object_object_add(process, "cwd", json_object_new_string(o->workdir));
    json_object_object_add(spec, "hostname",
                           json_object_new_string(o->hostname ? o->hostname : o->name));
    if ((ret = set_env(process, o->env, o->env_count, err)) < 0 ||
        (o->user && (ret = set_user(process, rootfs, o->user, err)) < 0) ||
        (ret = set_rlimits(process, o->ulimits, o->ulimit_count, err)) < 0 ||
        (ret = set_caps(process, o, err)) < 0)
        goto out;
    json_object *mounts = get(spec, "mounts");
    for (int i = 0; i < o->volume_count; i++)
        if ((ret = add_volume(mounts, o->volumes[i], err)) < 0)
            goto out;
    for (int i = 0; i < o->tmpfs_count; i++) {
        if (o->tmpfs[i][0] != '/') {
            ret = bt_err_msg(err, EINVAL, "--tmpfs %s: the path must be absolute", o->tmpfs[i]);
            goto out;
        }
        add_tmpfs(mounts, o->tmpfs[i]);
    }
    json_object *linux_obj = get(spec, "linux");
    set_namespaces(linux_obj, o);
    set_resources(linux_obj, o);
    *out = strdup(json_object_to_json_string_ext(spec, JSON_C_TO_STRING_PRETTY |
                                                           JSON_C_TO_STRING_NOSLASHESCAPE));
    if (!*out)
        ret = bt_err_sys(err, ENOMEM, "config.json");
out:
    json_object_put(spec);
    return ret;
}
