/* Parsed specs compared and written back: deep equality for SIGHUP reloads, and JSON that
 * bt_svcspec_parse reads back into an equal spec, for the specs bottled persists. */
#include "svcspec-internal.h"
#include "procattr.h"
#include "sig.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- equality ---- */

static bool same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool same_strv(char *const *a, size_t a_len, char *const *b, size_t b_len)
{
    if (a_len != b_len)
        return false;
    for (size_t i = 0; i < a_len; i++)
        if (strcmp(a[i], b[i]) != 0)
            return false;
    return true;
}

static bool same_health(const struct bt_svcspec_health *a, const struct bt_svcspec_health *b)
{
    return a->kind == b->kind && same_strv(a->exec, a->exec_len, b->exec, b->exec_len) &&
           same_str(a->tcp_host, b->tcp_host) && a->tcp_port == b->tcp_port &&
           a->interval_ms == b->interval_ms && a->timeout_ms == b->timeout_ms &&
           a->start_period_ms == b->start_period_ms && a->retries == b->retries &&
           a->on_unhealthy == b->on_unhealthy;
}

static bool same_lists(const struct bt_svcspec_service *a, const struct bt_svcspec_service *b)
{
    if (a->rlimits_len != b->rlimits_len || a->ports_len != b->ports_len ||
        a->mounts_len != b->mounts_len)
        return false;
    for (size_t i = 0; i < a->rlimits_len; i++)
        if (a->rlimits[i].resource != b->rlimits[i].resource ||
            a->rlimits[i].soft != b->rlimits[i].soft || a->rlimits[i].hard != b->rlimits[i].hard)
            return false;
    for (size_t i = 0; i < a->ports_len; i++) {
        const struct bt_svcspec_port *x = &a->ports[i], *y = &b->ports[i];
        if (strcmp(x->host_ip, y->host_ip) != 0 || x->host_port != y->host_port ||
            x->container_port != y->container_port || x->udp != y->udp)
            return false;
    }
    for (size_t i = 0; i < a->mounts_len; i++) {
        const struct bt_svcspec_mount *x = &a->mounts[i], *y = &b->mounts[i];
        if (x->type != y->type || !same_str(x->source, y->source) ||
            strcmp(x->target, y->target) != 0 || x->readonly != y->readonly)
            return false;
    }
    return true;
}

bool bt_svcspec_equal(const struct bt_svcspec_service *a, const struct bt_svcspec_service *b)
{
    return strcmp(a->name, b->name) == 0 && same_str(a->rootfs, b->rootfs) &&
           same_str(a->image, b->image) &&
           same_strv(a->command, a->command_len, b->command, b->command_len) &&
           same_strv(a->env, a->env_len, b->env, b->env_len) && same_str(a->workdir, b->workdir) &&
           same_str(a->user, b->user) && same_str(a->hostname, b->hostname) &&
           a->restart == b->restart && a->unless_stopped == b->unless_stopped &&
           a->max_failures == b->max_failures &&
           memcmp(a->success_exit_codes, b->success_exit_codes, sizeof(a->success_exit_codes)) ==
               0 &&
           a->backoff_initial_ms == b->backoff_initial_ms &&
           a->backoff_max_ms == b->backoff_max_ms && a->backoff_reset_ms == b->backoff_reset_ms &&
           a->stop_signal == b->stop_signal && a->stop_timeout_ms == b->stop_timeout_ms &&
           a->start_timeout_ms == b->start_timeout_ms && a->memory == b->memory &&
           a->milli_cpus == b->milli_cpus && a->pids == b->pids && a->io_weight == b->io_weight &&
           a->network == b->network && same_lists(a, b) && a->readiness == b->readiness &&
           a->ready_fd == b->ready_fd && same_health(&a->health, &b->health);
}

bool bt_svcspec_node_equal(const struct bt_svcspec_node *a, const struct bt_svcspec_node *b)
{
    if (a->kind != b->kind)
        return false;
    if (a->kind == BT_SVCSPEC_SERVICE)
        return bt_svcspec_equal(&a->service, &b->service);
    const struct bt_svcspec_tree *x = &a->tree, *y = &b->tree;
    if (strcmp(x->name, y->name) != 0 || x->strategy != y->strategy ||
        x->max_restarts != y->max_restarts || x->period_ms != y->period_ms ||
        x->children_len != y->children_len)
        return false;
    for (size_t i = 0; i < x->children_len; i++)
        if (!bt_svcspec_node_equal(x->children[i], y->children[i]))
            return false;
    return true;
}

/* ---- JSON ---- */

/* Builds an object and remembers whether any allocation failed, so that the serialiser reads
 * straight through and checks once at the end. */
struct writer {
    bool failed;
};

static struct json_object *check(struct writer *w, struct json_object *obj)
{
    if (!obj)
        w->failed = true;
    return obj;
}

static void put(struct writer *w, struct json_object *obj, const char *key,
                struct json_object *value)
{
    if (!obj || !value || json_object_object_add(obj, key, value) < 0) {
        w->failed = true;
        json_object_put(value);
    }
}

static void append(struct writer *w, struct json_object *array, struct json_object *value)
{
    if (!array || !value || json_object_array_add(array, value) < 0) {
        w->failed = true;
        json_object_put(value);
    }
}

static struct json_object *new_str(struct writer *w, const char *text)
{
    return check(w, json_object_new_string(text));
}

static struct json_object *new_int(struct writer *w, int64_t value)
{
    return check(w, json_object_new_int64(value));
}

/* MILLI thousandths as the shortest decimal ("0.5", "10"): json-c would print 0.1 as
 * 0.10000000000000001. */
static struct json_object *new_milli(struct writer *w, uint64_t milli)
{
    char text[32];
    if (milli % 1000 == 0)
        return new_int(w, (int64_t)(milli / 1000));
    bt_svcspec_i_seconds(text, sizeof(text), milli);
    return check(w, json_object_new_double_s((double)milli / 1000, text));
}

static struct json_object *new_strv(struct writer *w, char *const *strv, size_t len)
{
    struct json_object *array = check(w, json_object_new_array());
    for (size_t i = 0; i < len; i++)
        append(w, array, new_str(w, strv[i]));
    return array;
}

/* The largest unit that divides BYTES exactly ("256M"), or the bytes as a number. */
static struct json_object *new_size(struct writer *w, uint64_t bytes)
{
    static const char units[] = "PTGMK";
    char text[32];
    for (int i = 0; units[i]; i++) {
        unsigned shift = 10 * (unsigned)(5 - i);
        if (bytes % (UINT64_C(1) << shift) == 0) {
            snprintf(text, sizeof(text), "%" PRIu64 "%c", bytes >> shift, units[i]);
            return new_str(w, text);
        }
    }
    return new_int(w, (int64_t)bytes);
}

static struct json_object *new_limit(struct writer *w, rlim_t value)
{
    return value == RLIM_INFINITY ? new_str(w, "unlimited") : new_int(w, (int64_t)value);
}

static struct json_object *rlimits_object(struct writer *w, const struct bt_svcspec_service *svc)
{
    struct json_object *obj = check(w, json_object_new_object());
    for (size_t i = 0; i < svc->rlimits_len; i++) {
        const struct bt_rlimit *limit = &svc->rlimits[i];
        char name[32];
        /* "RLIMIT_NOFILE" as the spec writes it: "nofile". */
        snprintf(name, sizeof(name), "%s", bt_procattr_rlimit_name(limit->resource) + 7);
        for (char *s = name; *s; s++)
            *s = (char)tolower((unsigned char)*s);
        if (limit->soft == limit->hard) {
            put(w, obj, name, new_limit(w, limit->soft));
            continue;
        }
        struct json_object *pair = check(w, json_object_new_object());
        put(w, pair, "soft", new_limit(w, limit->soft));
        put(w, pair, "hard", new_limit(w, limit->hard));
        put(w, obj, name, pair);
    }
    return obj;
}

static struct json_object *port_string(struct writer *w, const struct bt_svcspec_port *port)
{
    char text[96];
    const char *ip = port->host_ip;
    bool v6 = strchr(ip, ':') != NULL;
    snprintf(text, sizeof(text), "%s%s%s%s%u:%u%s", v6 ? "[" : "", ip, v6 ? "]" : "",
             *ip ? ":" : "", port->host_port, port->container_port, port->udp ? "/udp" : "");
    return new_str(w, text);
}

static struct json_object *mounts_array(struct writer *w, const struct bt_svcspec_service *svc)
{
    struct json_object *array = check(w, json_object_new_array());
    for (size_t i = 0; i < svc->mounts_len; i++) {
        const struct bt_svcspec_mount *mount = &svc->mounts[i];
        struct json_object *obj = check(w, json_object_new_object());
        if (mount->type == BT_SVCSPEC_MOUNT_TMPFS)
            put(w, obj, "type", new_str(w, "tmpfs"));
        else
            put(w, obj, "source", new_str(w, mount->source));
        put(w, obj, "target", new_str(w, mount->target));
        if (mount->readonly)
            put(w, obj, "readonly", check(w, json_object_new_boolean(1)));
        append(w, array, obj);
    }
    return array;
}

static struct json_object *health_object(struct writer *w, const struct bt_svcspec_health *health)
{
    static const char *const actions[] = {
        [BT_SVCSPEC_UNHEALTHY_RESTART] = "restart",
        [BT_SVCSPEC_UNHEALTHY_STOP] = "stop",
        [BT_SVCSPEC_UNHEALTHY_NONE] = "none",
    };
    struct json_object *obj = check(w, json_object_new_object());
    if (health->kind == BT_SVCSPEC_HEALTH_EXEC) {
        put(w, obj, "exec", new_strv(w, health->exec, health->exec_len));
    } else if (!health->tcp_host) {
        put(w, obj, "tcp", new_int(w, health->tcp_port));
    } else {
        char text[300];
        bool v6 = strchr(health->tcp_host, ':') != NULL;
        snprintf(text, sizeof(text), "%s%s%s:%u", v6 ? "[" : "", health->tcp_host, v6 ? "]" : "",
                 health->tcp_port);
        put(w, obj, "tcp", new_str(w, text));
    }
    put(w, obj, "interval_s", new_milli(w, health->interval_ms));
    put(w, obj, "timeout_s", new_milli(w, health->timeout_ms));
    put(w, obj, "retries", new_int(w, health->retries));
    put(w, obj, "start_period_s", new_milli(w, health->start_period_ms));
    put(w, obj, "on_unhealthy", new_str(w, actions[health->on_unhealthy]));
    return obj;
}

static void put_policy(struct writer *w, struct json_object *obj,
                       const struct bt_svcspec_service *svc)
{
    char restart[48] = "no", signal[32];
    if (svc->restart == BT_SVCSPEC_RESTART_ALWAYS)
        strcpy(restart, svc->unless_stopped ? "unless-stopped" : "always");
    else if (svc->restart == BT_SVCSPEC_RESTART_ON_FAILURE && !svc->max_failures)
        strcpy(restart, "on-failure");
    else if (svc->restart == BT_SVCSPEC_RESTART_ON_FAILURE)
        snprintf(restart, sizeof(restart), "on-failure:%" PRIu32, svc->max_failures);
    put(w, obj, "restart", new_str(w, restart));
    struct json_object *codes = check(w, json_object_new_array());
    for (int code = 0; code < 256; code++)
        if (bt_svcspec_exit_is_success(svc, code))
            append(w, codes, new_int(w, code));
    put(w, obj, "success_exit_codes", codes);
    struct json_object *backoff = check(w, json_object_new_object());
    put(w, backoff, "initial_ms", new_int(w, (int64_t)svc->backoff_initial_ms));
    put(w, backoff, "max_ms", new_int(w, (int64_t)svc->backoff_max_ms));
    put(w, backoff, "reset_after_s", new_milli(w, svc->backoff_reset_ms));
    put(w, obj, "backoff", backoff);
    struct json_object *stop = check(w, json_object_new_object());
    put(w, stop, "signal", new_str(w, bt_sig_name(svc->stop_signal, signal, sizeof(signal))));
    put(w, stop, "timeout_s", new_milli(w, svc->stop_timeout_ms));
    put(w, obj, "stop", stop);
    put(w, obj, "start_timeout_s", new_milli(w, svc->start_timeout_ms));
}

static struct json_object *service_object(struct writer *w, const struct bt_svcspec_service *svc)
{
    static const char *const networks[] = {
        [BT_SVCSPEC_NETWORK_NONE] = "none",
        [BT_SVCSPEC_NETWORK_HOST] = "host",
        [BT_SVCSPEC_NETWORK_BRIDGE] = "bridge",
    };
    static const char *const readiness[] = {
        [BT_SVCSPEC_READY_EXEC] = "exec",
        [BT_SVCSPEC_READY_SD_NOTIFY] = "sd_notify",
        [BT_SVCSPEC_READY_HEALTH] = "health",
    };
    struct json_object *obj = check(w, json_object_new_object());
    put(w, obj, "name", new_str(w, svc->name));
    put(w, obj, svc->rootfs ? "rootfs" : "image",
        new_str(w, svc->rootfs ? svc->rootfs : svc->image));
    put(w, obj, "command", new_strv(w, svc->command, svc->command_len));
    if (svc->env_len)
        put(w, obj, "env", new_strv(w, svc->env, svc->env_len));
    const char *const keys[] = {"workdir", "user", "hostname"};
    const char *const values[] = {svc->workdir, svc->user, svc->hostname};
    for (size_t i = 0; i < 3; i++)
        if (values[i])
            put(w, obj, keys[i], new_str(w, values[i]));
    put_policy(w, obj, svc);
    if (svc->memory || svc->milli_cpus || svc->pids || svc->io_weight) {
        struct json_object *resources = check(w, json_object_new_object());
        if (svc->memory)
            put(w, resources, "memory", new_size(w, svc->memory));
        if (svc->milli_cpus)
            put(w, resources, "cpus", new_milli(w, svc->milli_cpus));
        if (svc->pids)
            put(w, resources, "pids", new_int(w, svc->pids));
        if (svc->io_weight)
            put(w, resources, "io_weight", new_int(w, svc->io_weight));
        put(w, obj, "resources", resources);
    }
    if (svc->rlimits_len)
        put(w, obj, "rlimits", rlimits_object(w, svc));
    put(w, obj, "network", new_str(w, networks[svc->network]));
    if (svc->ports_len) {
        struct json_object *ports = check(w, json_object_new_array());
        for (size_t i = 0; i < svc->ports_len; i++)
            append(w, ports, port_string(w, &svc->ports[i]));
        put(w, obj, "ports", ports);
    }
    if (svc->mounts_len)
        put(w, obj, "mounts", mounts_array(w, svc));
    if (svc->health.kind != BT_SVCSPEC_HEALTH_NONE)
        put(w, obj, "health", health_object(w, &svc->health));
    if (svc->readiness == BT_SVCSPEC_READY_FD) {
        struct json_object *fd = check(w, json_object_new_object());
        put(w, fd, "fd", new_int(w, svc->ready_fd));
        put(w, obj, "readiness", fd);
    } else {
        put(w, obj, "readiness", new_str(w, readiness[svc->readiness]));
    }
    return obj;
}

static struct json_object *node_object(struct writer *w, const struct bt_svcspec_node *node)
{
    static const char *const strategies[] = {
        [BT_SVCSPEC_ONE_FOR_ONE] = "one_for_one",
        [BT_SVCSPEC_ONE_FOR_ALL] = "one_for_all",
        [BT_SVCSPEC_REST_FOR_ONE] = "rest_for_one",
    };
    if (node->kind == BT_SVCSPEC_SERVICE)
        return service_object(w, &node->service);
    const struct bt_svcspec_tree *tree = &node->tree;
    struct json_object *obj = check(w, json_object_new_object());
    put(w, obj, "name", new_str(w, tree->name));
    put(w, obj, "strategy", new_str(w, strategies[tree->strategy]));
    struct json_object *intensity = check(w, json_object_new_object());
    put(w, intensity, "max_restarts", new_int(w, tree->max_restarts));
    put(w, intensity, "period_s", new_milli(w, tree->period_ms));
    put(w, obj, "intensity", intensity);
    struct json_object *children = check(w, json_object_new_array());
    for (size_t i = 0; i < tree->children_len; i++)
        append(w, children, node_object(w, tree->children[i]));
    put(w, obj, "children", children);
    return obj;
}

int bt_svcspec_to_json(const struct bt_svcspec_node *node, char **out, struct bt_err *err)
{
    struct writer w = {0};
    *out = NULL;
    cleanup_json struct json_object *obj = node_object(&w, node);
    const char *text = w.failed ? NULL
                                : json_object_to_json_string_ext(
                                      obj, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                               JSON_C_TO_STRING_NOSLASHESCAPE);
    if (!text || asprintf(out, "%s\n", text) < 0) {
        *out = NULL;
        return bt_err_sys(err, ENOMEM, "serialising the spec of %s",
                          node->kind == BT_SVCSPEC_TREE ? node->tree.name : node->service.name);
    }
    return 0;
}
