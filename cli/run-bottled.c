/* bottle run -d under bottled: the docker flags become a service spec that bottled applies,
 * so that bottled owns the container (restart policy, ps, stop, re-adoption) as dockerd does.
 * Only what a service spec can say goes this way; the caller keeps the standalone shim for
 * the rest (and for when bottled is not running). */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "procattr.h"

extern char **environ;

static json_object *string_array(const char *const *items, size_t count)
{
    json_object *array = json_object_new_array();
    for (size_t i = 0; i < count; i++)
        json_object_array_add(array, json_object_new_string(items[i]));
    return array;
}

/* docker's -e NAME takes the value from our environment, and is left out when unset. */
static json_object *env_array(const struct bt_bundle_options *o)
{
    json_object *array = json_object_new_array();
    for (size_t i = 0; i < o->env_count; i++) {
        const char *entry = o->env[i];
        if (strchr(entry, '=')) {
            json_object_array_add(array, json_object_new_string(entry));
            continue;
        }
        const char *value = getenv(entry);
        if (!value)
            continue;
        char *pair = NULL;
        if (asprintf(&pair, "%s=%s", entry, value) < 0)
            cli_die("out of memory");
        json_object_array_add(array, json_object_new_string(pair));
        free(pair);
    }
    return array;
}

/* -v SRC:DST[:ro|rw] and --tmpfs DST as the spec's mounts. */
static json_object *mounts_array(const struct bt_bundle_options *o)
{
    json_object *array = json_object_new_array();
    for (size_t i = 0; i < o->volume_count; i++) {
        char spec[PATH_MAX * 2 + 8];
        snprintf(spec, sizeof(spec), "%s", o->volumes[i]);
        char *target = strchr(spec, ':');
        if (!target)
            cli_die("-v %s: expected SRC:DST[:ro|rw]", o->volumes[i]);
        *target++ = '\0';
        char *mode = strchr(target, ':');
        if (mode)
            *mode++ = '\0';
        if (mode && strcmp(mode, "ro") != 0 && strcmp(mode, "rw") != 0)
            cli_die("-v %s: the mode must be ro or rw", o->volumes[i]);
        char source[PATH_MAX];
        if (!realpath(spec, source))
            cli_die("-v %s: %s: %s", o->volumes[i], spec, strerror(errno));
        json_object *mount = json_object_new_object();
        json_object_object_add(mount, "source", json_object_new_string(source));
        json_object_object_add(mount, "target", json_object_new_string(target));
        if (mode && strcmp(mode, "ro") == 0)
            json_object_object_add(mount, "readonly", json_object_new_boolean(true));
        json_object_array_add(array, mount);
    }
    for (size_t i = 0; i < o->tmpfs_count; i++) {
        json_object *mount = json_object_new_object();
        json_object_object_add(mount, "type", json_object_new_string("tmpfs"));
        json_object_object_add(mount, "target", json_object_new_string(o->tmpfs[i]));
        json_object_array_add(array, mount);
    }
    return array;
}

static json_object *rlimits_object(const struct bt_bundle_options *o)
{
    json_object *obj = json_object_new_object();
    for (size_t i = 0; i < o->ulimit_count; i++) {
        struct bt_rlimit limit;
        struct bt_err err = {0};
        if (bt_procattr_parse_ulimit(o->ulimits[i], &limit, &err) < 0)
            cli_die("--ulimit %s: %s", o->ulimits[i], err.msg);
        json_object *pair = json_object_new_object();
        json_object_object_add(pair, "soft", json_object_new_int64((int64_t)limit.soft));
        json_object_object_add(pair, "hard", json_object_new_int64((int64_t)limit.hard));
        json_object_object_add(obj, bt_procattr_rlimit_name(limit.resource), pair);
    }
    return obj;
}

int cli_run_via_bottled(const struct cli_globals *globals, const struct bt_bundle_options *o,
                        const char *restart)
{
    char rootfs[PATH_MAX];
    if (!realpath(o->rootfs, rootfs))
        cli_die("--rootfs %s: %s", o->rootfs, strerror(errno));
    json_object *spec = json_object_new_object();
    json_object_object_add(spec, "name", json_object_new_string(o->name));
    json_object_object_add(spec, "rootfs", json_object_new_string(rootfs));
    static const char *const default_command[] = {"sh"};
    json_object_object_add(spec, "command",
                           o->command_count ? string_array(o->command, o->command_count)
                                            : string_array(default_command, 1));
    json_object_object_add(spec, "env", env_array(o));
    if (o->workdir)
        json_object_object_add(spec, "workdir", json_object_new_string(o->workdir));
    if (o->user)
        json_object_object_add(spec, "user", json_object_new_string(o->user));
    if (o->hostname)
        json_object_object_add(spec, "hostname", json_object_new_string(o->hostname));
    json_object_object_add(spec, "restart", json_object_new_string(restart ? restart : "no"));
    json_object *resources = json_object_new_object();
    if (o->memory)
        json_object_object_add(resources, "memory", json_object_new_int64(o->memory));
    if (o->cpus > 0)
        json_object_object_add(resources, "cpus", json_object_new_double(o->cpus));
    if (o->pids_limit)
        json_object_object_add(resources, "pids", json_object_new_int64(o->pids_limit));
    json_object_object_add(spec, "resources", resources);
    json_object_object_add(spec, "rlimits", rlimits_object(o));
    json_object_object_add(spec, "mounts", mounts_array(o));
    json_object_object_add(spec, "network",
                           json_object_new_string(o->network ? o->network : "none"));
    const char *text = json_object_to_json_string_ext(spec, JSON_C_TO_STRING_PLAIN);
    json_object *params = json_object_new_object();
    json_object_object_add(params, "spec", json_object_new_string(text));
    json_object_object_add(params, "file", json_object_new_string("bottle run"));
    json_object_object_add(params, "create", json_object_new_boolean(true)); /* a new name */
    json_object_put(spec);

    struct bt_rpc_client client;
    struct bt_rpc_message reply;
    struct bt_err err = {0};
    cli_bottled_connect(globals, &client);
    int ret = bt_rpc_call(&client, "apply", params, 10000, &reply, &err);
    bt_rpc_message_clear(&reply);
    if (ret < 0) {
        bt_rpc_client_close(&client);
        cli_die("%s", err.msg);
    }
    /* Like docker run -d: back once it was started, or with the reason it could not be. */
    for (int tries = 0; tries < 600; tries++) {
        json_object *query = json_object_new_object();
        json_object_object_add(query, "name", json_object_new_string(o->name));
        ret = bt_rpc_call(&client, "inspect", query, 5000, &reply, &err);
        json_object *state = NULL, *last = NULL, *code = NULL;
        const char *now = "";
        if (ret == 0 && json_object_object_get_ex(reply.result, "state", &state))
            now = json_object_get_string(state);
        bool failed = strcmp(now, "down") == 0 &&
                      json_object_object_get_ex(reply.result, "last_exit", &last) &&
                      json_object_object_get_ex(last, "code", &code) &&
                      json_object_get_int(code) == 125;
        bool started = strcmp(now, "starting") != 0 && !failed;
        bt_rpc_message_clear(&reply);
        if (ret < 0 || failed) {
            bt_rpc_client_close(&client);
            cli_die("container %s could not be started (bottle events --since 0 says why)",
                    o->name);
        }
        if (started)
            break;
        usleep(50000);
    }
    bt_rpc_client_close(&client);
    printf("%s\n", o->name);
    return 0;
}
