/* bottled's control socket, STATE/bottled.sock (0600, peer checked with SO_PEERCRED: root
 * only): newline-delimited JSON-RPC 2.0. Methods: ps, inspect, start, stop, restart, kill,
 * pause, resume, stats, update, wait, events (subscribe, with a replay since a sequence
 * number); docs/bottled.md has their params. A client that sends garbage gets an error; one
 * that floods past the line cap, or stops reading while its queue is full, is dropped; when
 * every slot is taken the longest-idle client is let go: none can stall bottled or the others. */
#include "sup.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "rpc.h"
#include "sig.h"
#include "svcspec.h"

#define CLIENT_LINE_MAX  65536
#define CLIENT_QUEUE_MAX (4 << 20) /* bytes written but not yet taken by a client */

/* Application error codes. */
#define ERR_NOT_RUNNING (-32001)
#define ERR_NO_SUCH     (-32004)

struct sup_client {
    struct sup *sup;
    uv_pipe_t pipe;
    struct bt_rpc_buf buf;
    bool subscribed;
    bool closing;
    int slot;
    uint64_t last_active;      /* uv_now of its last request: who goes when all slots are taken */
    struct sup_reply *replies; /* answers still to come (pause, resume, wait) */
};

struct sup_reply {
    struct sup_client *client; /* NULL once it went away */
    json_object *id;
    struct sup_reply *next; /* the client's other pending replies */
};

/* `bottle wait`: answered at the first event after which the service is there. */
enum wait_for { WAIT_RUNNING, WAIT_READY, WAIT_STOPPED };

struct sup_wait {
    struct sup_reply *reply;
    char name[BT_SVCSPEC_NAME_MAX + 1];
    enum wait_for until;
    struct sup_wait *next;
};

static void on_client_closed(uv_handle_t *handle)
{
    struct sup_client *client = handle->data;
    bt_rpc_buf_free(&client->buf);
    free(client);
}

static void drop_waits(struct sup *sup, const struct sup_client *client);

static void drop(struct sup_client *client)
{
    if (client->closing)
        return;
    client->closing = true;
    client->sup->clients[client->slot] = NULL;
    drop_waits(client->sup, client);
    for (struct sup_reply *reply = client->replies; reply; reply = reply->next)
        reply->client = NULL; /* their owners still finish them */
    client->replies = NULL;
    uv_close((uv_handle_t *)&client->pipe, on_client_closed);
}

static void on_written(uv_write_t *req, int status)
{
    (void)status;
    free(req->data);
    free(req);
}

static void send_line(struct sup_client *client, const char *text, size_t len)
{
    if (client->closing)
        return;
    if (uv_stream_get_write_queue_size((uv_stream_t *)&client->pipe) > CLIENT_QUEUE_MAX) {
        drop(client); /* it stopped reading */
        return;
    }
    uv_write_t *req = malloc(sizeof(*req));
    char *copy = malloc(len + 1);
    if (!req || !copy) {
        free(req);
        free(copy);
        return;
    }
    memcpy(copy, text, len);
    copy[len] = '\n';
    req->data = copy;
    uv_buf_t buf = uv_buf_init(copy, (unsigned)len + 1);
    if (uv_write(req, (uv_stream_t *)&client->pipe, &buf, 1, on_written) < 0) {
        free(copy);
        free(req);
        drop(client);
    }
}

static void send_json(struct sup_client *client, json_object *msg)
{
    const char *text = json_object_to_json_string_ext(msg, JSON_C_TO_STRING_PLAIN);
    send_line(client, text, strlen(text));
    json_object_put(msg);
}

/* An event goes out as a JSON-RPC notification {"method": "event", "params": EVENT}. */
static void send_event(struct sup_client *client, const char *json)
{
    char *line = NULL;
    int len = asprintf(&line, "{\"jsonrpc\":\"2.0\",\"method\":\"event\",\"params\":%s}", json);
    if (len > 0)
        send_line(client, line, (size_t)len);
    free(line);
}

static void check_waits(struct sup *sup);

void sup_control_broadcast(struct sup *sup, uint64_t seq, const char *json)
{
    (void)seq;
    for (int i = 0; i < SUP_CLIENTS_MAX; i++) {
        struct sup_client *client = sup->clients[i];
        if (client && client->subscribed)
            send_event(client, json);
    }
    /* Every state change comes with an event. */
    check_waits(sup);
}

/* ---- replies that come later ---------------------------------------------------------- */

static struct sup_reply *reply_new(struct sup_client *client, json_object *id)
{
    struct sup_reply *reply = calloc(1, sizeof(*reply));
    if (!reply)
        return NULL;
    reply->client = client;
    reply->id = id ? json_object_get(id) : NULL;
    reply->next = client->replies;
    client->replies = reply;
    return reply;
}

static void reply_free(struct sup_reply *reply)
{
    if (reply->client) {
        struct sup_reply **p = &reply->client->replies;
        while (*p && *p != reply)
            p = &(*p)->next;
        if (*p)
            *p = reply->next;
    }
    json_object_put(reply->id);
    free(reply);
}

void sup_reply_send(struct sup_reply *reply, json_object *result)
{
    if (reply->client)
        send_json(reply->client, bt_rpc_result(reply->id, result));
    else
        json_object_put(result);
    reply_free(reply);
}

void sup_reply_error(struct sup_reply *reply, int code, const char *message)
{
    if (reply->client)
        send_json(reply->client, bt_rpc_error(reply->id, code, message, NULL));
    reply_free(reply);
}

/* True when the service or tree NAME is there; *GONE when there is no such unit. A tree is
 * running and ready once all its children are (state up), stopped once all are down. */
static bool wait_reached(struct sup *sup, const char *name, enum wait_for until, bool *gone)
{
    struct sup_service *svc = sup_find(sup, name);
    struct sup_tree *tree = svc ? NULL : sup_tree_find(sup, name);
    *gone = !svc && !tree;
    if (tree)
        return until == WAIT_STOPPED ? sup_tree_is_down(tree) : tree->state == SUP_TREE_UP;
    if (!svc)
        return false;
    switch (until) {
    case WAIT_RUNNING: return svc->state == SUP_RUNNING;
    case WAIT_READY: return svc->state == SUP_RUNNING && svc->ready;
    case WAIT_STOPPED: return svc->state == SUP_DOWN;
    }
    return false;
}

static json_object *unit_json(struct sup *sup, const char *name)
{
    struct sup_service *svc = sup_find(sup, name);
    return svc ? sup_service_json(svc) : sup_tree_json(sup_tree_find(sup, name));
}

static void check_waits(struct sup *sup)
{
    struct sup_wait **p = &sup->waits;
    while (*p) {
        struct sup_wait *wait = *p;
        bool gone;
        if (!wait_reached(sup, wait->name, wait->until, &gone) && !gone) {
            p = &wait->next;
            continue;
        }
        *p = wait->next;
        if (!gone)
            sup_reply_send(wait->reply, unit_json(sup, wait->name));
        else
            sup_reply_error(wait->reply, ERR_NO_SUCH, "no such service");
        free(wait);
    }
}

/* CLIENT went away (a `bottle wait` that timed out): its waits go too. */
static void drop_waits(struct sup *sup, const struct sup_client *client)
{
    struct sup_wait **p = &sup->waits;
    while (*p) {
        struct sup_wait *wait = *p;
        if (wait->reply->client != client) {
            p = &wait->next;
            continue;
        }
        *p = wait->next;
        reply_free(wait->reply);
        free(wait);
    }
}

json_object *sup_service_json(const struct sup_service *svc)
{
    json_object *obj = json_object_new_object();
    json_object_object_add(obj, "name", json_object_new_string(svc->name));
    json_object_object_add(obj, "state", json_object_new_string(sup_state_name(svc->state)));
    json_object_object_add(obj, "wanted", json_object_new_string(svc->wanted_up ? "up" : "down"));
    json_object_object_add(obj, "paused", json_object_new_boolean(svc->paused));
    json_object_object_add(obj, "ready", json_object_new_boolean(svc->ready));
    json_object_object_add(obj, "pid", json_object_new_int(svc->init_pid));
    uint64_t uptime = svc->state == SUP_RUNNING && svc->up_since_ms
                          ? uv_now(svc->sup->loop) - svc->up_since_ms
                          : 0;
    json_object_object_add(obj, "uptime_ms", json_object_new_int64((int64_t)uptime));
    json_object_object_add(obj, "restarts", json_object_new_int64(svc->restarts));
    json_object_object_add(obj, "failures", json_object_new_int64(svc->failures));
    if (svc->tree)
        json_object_object_add(obj, "tree", json_object_new_string(svc->tree->name));
    json_object_object_add(obj, "ready", json_object_new_boolean(svc->ready));
    json_object *last = json_object_new_object();
    json_object_object_add(last, "code", json_object_new_int(svc->last_exit.code));
    json_object_object_add(last, "signal", json_object_new_int(svc->last_exit.signal));
    json_object_object_add(last, "oom", json_object_new_boolean(svc->last_exit.oom));
    json_object_object_add(obj, "last_exit", last);
    json_object_object_add(obj, "health",
                           sup_health_status(svc) ? json_object_new_string(sup_health_status(svc))
                                                  : NULL);
    /* The limits the next start applies (with `bottle update`'s overrides): 0 is none. */
    json_object *limits = json_object_new_object();
    json_object_object_add(limits, "memory",
                           json_object_new_int64((int64_t)sup_update_value(svc, SUP_LIMIT_MEMORY)));
    json_object_object_add(limits, "cpus",
                           json_object_new_double(sup_update_value(svc, SUP_LIMIT_CPUS) / 1000.0));
    json_object_object_add(limits, "pids",
                           json_object_new_int64((int64_t)sup_update_value(svc, SUP_LIMIT_PIDS)));
    json_object_object_add(obj, "limits", limits);
    return obj;
}

/* inspect: the service and where its container's files are. */
static json_object *inspect_json(const struct sup_service *svc)
{
    json_object *obj = sup_service_json(svc);
    char path[4096];
    snprintf(path, sizeof(path), "%s/containers/%s", svc->sup->state, svc->name);
    json_object_object_add(obj, "state_dir", json_object_new_string(path));
    snprintf(path, sizeof(path), "%s/containers/%s/container.log", svc->sup->root, svc->name);
    json_object_object_add(obj, "log_path", json_object_new_string(path));
    snprintf(path, sizeof(path), "%s/%s", svc->sup->cgroup_parent, svc->name);
    json_object_object_add(obj, "cgroup", json_object_new_string(path));
    json_object_object_add(obj, "shim_pid", json_object_new_int(svc->shim_pid));
    json_object_object_add(obj, "restart",
                           json_object_new_string(svc->spec->restart == BT_SVCSPEC_RESTART_NO ? "no"
                                                  : svc->spec->restart == BT_SVCSPEC_RESTART_ALWAYS
                                                      ? "always"
                                                      : "on-failure"));
    return obj;
}

static const char *param_string(json_object *params, const char *key)
{
    json_object *value;
    if (!params || !json_object_object_get_ex(params, key, &value) ||
        !json_object_is_type(value, json_type_string))
        return NULL;
    return json_object_get_string(value);
}

/* A tree answers inspect, start, stop and restart; it acts through its children. */
static json_object *dispatch_tree(struct sup_tree *tree, const char *method, int *code,
                                  const char **message)
{
    if (strcmp(method, "start") == 0)
        sup_tree_start(tree);
    else if (strcmp(method, "stop") == 0)
        sup_tree_stop(tree);
    else if (strcmp(method, "restart") == 0)
        sup_tree_restart(tree);
    else if (strcmp(method, "inspect") != 0) {
        *code = BT_RPC_INVALID_PARAMS;
        *message = "a tree cannot do that: name one of its services";
        return NULL;
    }
    return sup_tree_json(tree);
}

/* apply {spec: TEXT, file: LABEL} and rm {name, force}: the set of units changes. */
static json_object *dispatch_specs(struct sup *sup, const char *method, json_object *params,
                                   int *code, const char **message)
{
    static char why[sizeof(((struct bt_err *)0)->msg)];
    struct bt_err err = {0};
    char name[BT_SVCSPEC_NAME_MAX + 1] = "";
    const char *action = NULL;
    int ret;
    if (strcmp(method, "apply") == 0) {
        const char *text = param_string(params, "spec");
        const char *label = param_string(params, "file");
        if (!text) {
            *code = BT_RPC_INVALID_PARAMS;
            *message = "missing params.spec";
            return NULL;
        }
        json_object *value;
        bool create = params && json_object_object_get_ex(params, "create", &value) &&
                      json_object_get_boolean(value);
        ret = sup_specs_apply(sup, text, label ? label : "apply", create, &action, name, &err);
    } else {
        const char *unit = param_string(params, "name");
        json_object *value;
        bool force = params && json_object_object_get_ex(params, "force", &value) &&
                     json_object_get_boolean(value);
        if (!unit) {
            *code = BT_RPC_INVALID_PARAMS;
            *message = "missing params.name";
            return NULL;
        }
        snprintf(name, sizeof(name), "%s", unit);
        ret = sup_specs_rm(sup, unit, force, &err);
        action = "removed";
    }
    if (ret < 0) {
        snprintf(why, sizeof(why), "%s", err.msg);
        *code = ret == -ENOENT ? -32004 : -32001;
        *message = why;
        return NULL;
    }
    json_object *result = json_object_new_object();
    json_object_object_add(result, "name", json_object_new_string(name));
    json_object_object_add(result, "action", json_object_new_string(action));
    return result;
}

/* A number param: 1 with *VALUE, 0 when absent, -1 when not a number. */
static int param_number(json_object *params, const char *key, double *value)
{
    json_object *v;
    if (!params || !json_object_object_get_ex(params, key, &v))
        return 0;
    if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double))
        return -1;
    *value = json_object_get_double(v);
    return 1;
}

/* What one call asks for, and how it went. */
struct call {
    struct sup_client *client;
    json_object *id;
    json_object *params;
    struct sup_service *svc;
    int code;            /* 0: RESULT answers now, or the answer is deferred */
    const char *message; /* with CODE */
    bool deferred;       /* a sup_reply was taken: nothing to send now */
    char text[BT_ERR_MSG_MAX];
};

static json_object *refuse(struct call *call, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static json_object *refuse(struct call *call, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(call->text, sizeof(call->text), fmt, ap);
    va_end(ap);
    call->code = code;
    call->message = call->text;
    return NULL;
}

static json_object *do_events(struct call *call)
{
    struct sup *sup = call->client->sup;
    double since = 0;
    if (param_number(call->params, "since", &since) < 0 || since < 0)
        return refuse(call, BT_RPC_INVALID_PARAMS, "since: expected a sequence number");
    /* Replay what is still kept, in order, then stream. */
    uint64_t first = sup_events_first(sup);
    uint64_t from = since >= (double)sup->event_seq ? sup->event_seq + 1 : (uint64_t)since + 1;
    for (uint64_t seq = from > first ? from : first; seq <= sup->event_seq; seq++) {
        const char *json = sup_events_get(sup, seq);
        if (json)
            send_event(call->client, json);
    }
    call->client->subscribed = true;
    json_object *result = json_object_new_object();
    json_object_object_add(result, "seq", json_object_new_int64((int64_t)sup->event_seq));
    /* Events between `since` and the oldest kept are gone: say so rather than let a gap pass. */
    json_object_object_add(result, "first", json_object_new_int64((int64_t)first));
    json_object_object_add(result, "truncated", json_object_new_boolean(from < first));
    return result;
}

static json_object *do_stop(struct call *call)
{
    struct sup_service *svc = call->svc;
    double timeout;
    int has = param_number(call->params, "timeout_s", &timeout);
    if (has < 0 || (has && (timeout < 0 || timeout > 86400 * 365)))
        return refuse(call, BT_RPC_INVALID_PARAMS, "timeout_s: expected seconds (>= 0)");
    if (has && (svc->state == SUP_RUNNING || svc->state == SUP_STARTING)) {
        svc->stop_timeout_set = true;
        svc->stop_timeout_ms = (uint64_t)(timeout * 1000);
    }
    sup_service_handle(svc, SUP_EV_STOP, NULL);
    return sup_service_json(svc);
}

static json_object *do_kill(struct call *call)
{
    struct sup_service *svc = call->svc;
    const char *text = param_string(call->params, "signal");
    int sig = text ? bt_sig_parse(text) : SIGKILL;
    json_object *value;
    if (!text && call->params && json_object_object_get_ex(call->params, "signal", &value) &&
        json_object_is_type(value, json_type_int))
        sig = json_object_get_int(value);
    if (sig < 1 || sig > BT_SIG_MAX)
        return refuse(call, BT_RPC_INVALID_PARAMS, "invalid signal");
    bool all = call->params && json_object_object_get_ex(call->params, "all", &value) &&
               json_object_get_boolean(value);
    if (svc->state != SUP_RUNNING && svc->state != SUP_STOPPING)
        return refuse(call, ERR_NOT_RUNNING, "%s is not running (%s)", svc->name,
                      sup_state_name(svc->state));
    /* A frozen process keeps any other signal pending until it is thawed. */
    if (svc->paused && sig != SIGKILL)
        return refuse(call, ERR_NOT_RUNNING, "%s is paused: resume it first (or send KILL)",
                      svc->name);
    sup_shim_signal(svc, sig, all);
    if (svc->paused) /* v1 delivers the SIGKILL only once thawed */
        sup_freeze_release(svc, "the service was killed", true);
    return sup_service_json(svc);
}

static json_object *do_freeze(struct call *call, bool pause)
{
    struct sup_reply *reply = reply_new(call->client, call->id);
    if (!reply)
        return refuse(call, BT_RPC_INTERNAL_ERROR, "out of memory");
    const char *message = NULL;
    int code = pause ? sup_freeze_pause(call->svc, reply, &message)
                     : sup_freeze_resume(call->svc, reply, &message);
    if (code) {
        reply_free(reply);
        return refuse(call, code, "%s", message);
    }
    call->deferred = true;
    return NULL;
}

static json_object *do_stats(struct call *call)
{
    struct sup *sup = call->client->sup;
    struct bt_err err = {0};
    if (call->svc) {
        if (call->svc->state != SUP_RUNNING && call->svc->state != SUP_STOPPING)
            return refuse(call, ERR_NOT_RUNNING, "%s is not running (%s)", call->svc->name,
                          sup_state_name(call->svc->state));
        json_object *stats = sup_stats_json(call->svc, &err);
        return stats ? stats : refuse(call, BT_RPC_INTERNAL_ERROR, "%s", err.msg);
    }
    json_object *list = json_object_new_array();
    for (struct sup_service *svc = sup->services; svc; svc = svc->next) {
        if (svc->state != SUP_RUNNING && svc->state != SUP_STOPPING)
            continue;
        json_object *stats = sup_stats_json(svc, &err);
        if (stats) /* one that exits meanwhile is simply not listed */
            json_object_array_add(list, stats);
    }
    return list;
}

static json_object *do_update(struct call *call)
{
    /* Ranges as in service specs; 0 lifts a limit. */
    static const struct {
        const char *key;
        double min, max, scale;
    } keys[SUP_LIMIT_COUNT] = {
        [SUP_LIMIT_MEMORY] = {"memory", 1 << 20, 1125899906842624.0 * 1024, 1},
        [SUP_LIMIT_CPUS] = {"cpus", 0.01, 1024, 1000},
        [SUP_LIMIT_PIDS] = {"pids", 1, 4194304, 1},
    };
    bool set[SUP_LIMIT_COUNT] = {false};
    uint64_t values[SUP_LIMIT_COUNT] = {0};
    bool any = false;
    for (int i = 0; i < SUP_LIMIT_COUNT; i++) {
        double value;
        int has = param_number(call->params, keys[i].key, &value);
        if (has < 0 || (has && value != 0 && (value < keys[i].min || value > keys[i].max)))
            return refuse(call, BT_RPC_INVALID_PARAMS, "%s: expected 0 (no limit) or %g..%g",
                          keys[i].key, keys[i].min, keys[i].max);
        if (has) {
            set[i] = any = true;
            values[i] = (uint64_t)(value * keys[i].scale + 0.5);
        }
    }
    if (!any)
        return refuse(call, BT_RPC_INVALID_PARAMS, "nothing to update: memory, cpus or pids");
    struct bt_err err = {0};
    if (sup_update_limits(call->svc, set, values, &err) < 0)
        return refuse(call, ERR_NOT_RUNNING, "%s: %s", call->svc->name, err.msg);
    return inspect_json(call->svc);
}

static json_object *do_wait(struct call *call)
{
    static const char *const names[] = {
        [WAIT_RUNNING] = "running", [WAIT_READY] = "ready", [WAIT_STOPPED] = "stopped"};
    const char *text = param_string(call->params, "for");
    int until = -1;
    for (int i = 0; text && i < 3; i++)
        if (strcmp(text, names[i]) == 0)
            until = i;
    if (until < 0)
        return refuse(call, BT_RPC_INVALID_PARAMS, "for: expected running, ready or stopped");
    const char *name = param_string(call->params, "name");
    bool gone;
    if (wait_reached(call->client->sup, name, until, &gone))
        return unit_json(call->client->sup, name);
    struct sup_wait *wait = calloc(1, sizeof(*wait));
    struct sup_reply *reply = wait ? reply_new(call->client, call->id) : NULL;
    if (!reply) {
        free(wait);
        return refuse(call, BT_RPC_INTERNAL_ERROR, "out of memory");
    }
    wait->reply = reply;
    wait->until = until;
    snprintf(wait->name, sizeof(wait->name), "%s", name);
    wait->next = call->client->sup->waits;
    call->client->sup->waits = wait;
    call->deferred = true;
    return NULL;
}

static json_object *do_restart(struct call *call)
{
    struct sup_service *svc = call->svc;
    if (svc->state == SUP_RUNNING || svc->state == SUP_STARTING) {
        svc->restart_pending = true;
        sup_service_handle(svc, SUP_EV_STOP, NULL);
    } else {
        sup_service_handle(svc, SUP_EV_START, NULL);
    }
    return sup_service_json(svc);
}

static json_object *do_start(struct call *call)
{
    sup_service_handle(call->svc, SUP_EV_START, NULL);
    return sup_service_json(call->svc);
}

static json_object *do_inspect(struct call *call)
{
    return inspect_json(call->svc);
}

static json_object *do_pause(struct call *call)
{
    return do_freeze(call, true);
}

static json_object *do_resume(struct call *call)
{
    return do_freeze(call, false);
}

/* apply and rm: dispatch_specs, in the table's shape. */
static json_object *do_specs(struct call *call, const char *method)
{
    const char *message = NULL;
    int code = 0;
    json_object *result = dispatch_specs(call->client->sup, method, call->params, &code, &message);
    if (!result) {
        call->code = code;
        call->message = message;
    }
    return result;
}

static json_object *do_apply(struct call *call)
{
    return do_specs(call, "apply");
}

static json_object *do_rm(struct call *call)
{
    return do_specs(call, "rm");
}

static json_object *do_ps(struct call *call)
{
    json_object *list = json_object_new_array();
    for (struct sup_service *svc = call->client->sup->services; svc; svc = svc->next)
        json_object_array_add(list, sup_service_json(svc));
    return list;
}

/* NAME: the method needs params.name; OPTIONAL_NAME: it may have one. */
enum { NO_NAME, NAME, OPTIONAL_NAME };

static const struct {
    const char *method;
    int name;
    json_object *(*fn)(struct call *call);
} methods[] = {
    {"ps", NO_NAME, do_ps},        {"events", NO_NAME, do_events},
    {"inspect", NAME, do_inspect}, {"start", NAME, do_start},
    {"stop", NAME, do_stop},       {"restart", NAME, do_restart},
    {"kill", NAME, do_kill},       {"pause", NAME, do_pause},
    {"resume", NAME, do_resume},   {"update", NAME, do_update},
    {"wait", NAME, do_wait},       {"stats", OPTIONAL_NAME, do_stats},
    {"apply", NO_NAME, do_apply},  {"rm", NO_NAME, do_rm},
};

/* Runs the call; returns the result, or NULL with CALL's code and message set (or deferred). */
static json_object *dispatch(struct call *call, const char *method)
{
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        if (strcmp(method, methods[i].method) != 0)
            continue;
        if (methods[i].name != NO_NAME) {
            const char *name = param_string(call->params, "name");
            call->svc = name ? sup_find(call->client->sup, name) : NULL;
            if (!name && methods[i].name == NAME)
                return refuse(call, ERR_NO_SUCH, "missing params.name");
            /* A tree answers inspect, start, stop and restart; it acts through its children. */
            struct sup_tree *tree =
                name && !call->svc ? sup_tree_find(call->client->sup, name) : NULL;
            if (tree && methods[i].fn != do_wait)
                return dispatch_tree(tree, method, &call->code, &call->message);
            if (name && !call->svc && !tree)
                return refuse(call, ERR_NO_SUCH, "no such service");
        }
        return methods[i].fn(call);
    }
    call->code = BT_RPC_METHOD_NOT_FOUND;
    return NULL;
}

static void handle_line(struct sup_client *client, const char *line, size_t len)
{
    struct bt_rpc_message msg;
    int code = bt_rpc_parse(line, len, &msg);
    if (code) {
        send_json(client, bt_rpc_parse_error_reply(&msg, code));
    } else if (msg.kind == BT_RPC_KIND_REQUEST) {
        struct call call = {.client = client, .id = msg.id, .params = msg.params};
        json_object *result = dispatch(&call, msg.method);
        if (call.code)
            send_json(client, bt_rpc_error(msg.id, call.code, call.message, NULL));
        else if (!call.deferred)
            send_json(client, bt_rpc_result(msg.id, result));
    }
    bt_rpc_message_clear(&msg);
}

static void on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
    (void)handle;
    static char chunk[65536];
    (void)suggested;
    *buf = uv_buf_init(chunk, sizeof(chunk));
}

static void on_read(uv_stream_t *stream, ssize_t n, const uv_buf_t *buf)
{
    struct sup_client *client = stream->data;
    if (n < 0) {
        drop(client);
        return;
    }
    if (n == 0)
        return;
    client->last_active = uv_now(client->sup->loop);
    int fed = bt_rpc_buf_feed(&client->buf, buf->base, (size_t)n);
    const char *line;
    size_t len;
    int got = 0;
    while (!client->closing && (got = bt_rpc_buf_next_line(&client->buf, &line, &len)) == 1)
        handle_line(client, line, len);
    if (fed == -EMSGSIZE || got == -EMSGSIZE) {
        send_json(client, bt_rpc_error(NULL, BT_RPC_INVALID_REQUEST, "line too long", NULL));
        drop(client);
    }
}

/* A free slot; when every one is taken, the one of the client idle the longest that neither
 * streams events nor waits for an answer (one that sent half a line and hangs, say). */
static int free_slot(struct sup *sup)
{
    struct sup_client *idlest = NULL;
    for (int i = 0; i < SUP_CLIENTS_MAX; i++) {
        struct sup_client *client = sup->clients[i];
        if (!client)
            return i;
        if (!client->subscribed && !client->replies &&
            (!idlest || client->last_active < idlest->last_active))
            idlest = client;
    }
    if (!idlest)
        return -1;
    int slot = idlest->slot;
    bt_log_info("control: %d clients: letting the longest idle one go", SUP_CLIENTS_MAX);
    drop(idlest);
    return slot;
}

static void on_connection(uv_stream_t *server, int status)
{
    struct sup *sup = server->data;
    if (status < 0)
        return;
    struct sup_client *client = calloc(1, sizeof(*client));
    if (!client)
        return;
    client->sup = sup;
    uv_pipe_init(sup->loop, &client->pipe, 0);
    client->pipe.data = client;
    if (uv_accept(server, (uv_stream_t *)&client->pipe) < 0) {
        client->closing = true;
        uv_close((uv_handle_t *)&client->pipe, on_client_closed);
        return;
    }
    bt_rpc_buf_init(&client->buf, CLIENT_LINE_MAX);
    uv_os_fd_t fd;
    struct bt_rpc_peer peer;
    int slot = free_slot(sup);
    if (uv_fileno((uv_handle_t *)&client->pipe, &fd) < 0 || bt_rpc_peer(fd, &peer) < 0 ||
        peer.uid != 0 || slot < 0) {
        client->closing = true;
        uv_close((uv_handle_t *)&client->pipe, on_client_closed);
        return;
    }
    client->slot = slot;
    client->last_active = uv_now(sup->loop);
    sup->clients[slot] = client;
    uv_read_start((uv_stream_t *)&client->pipe, on_alloc, on_read);
}

int sup_control_listen(struct sup *sup, struct bt_err *err)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/bottled.sock", sup->state);
    int fd = bt_rpc_listen(path, 64, err);
    if (fd < 0)
        return fd;
    uv_pipe_init(sup->loop, &sup->control, 0);
    sup->control.data = sup;
    int ret = uv_pipe_open(&sup->control, fd);
    if (ret == 0)
        ret = uv_listen((uv_stream_t *)&sup->control, 64, on_connection);
    if (ret < 0)
        return bt_err_msg(err, -ret, "listen on %s: %s", path, uv_strerror(ret));
    return 0;
}

static void on_control_closed(uv_handle_t *handle)
{
    (void)handle;
}

void sup_control_close(struct sup *sup)
{
    for (int i = 0; i < SUP_CLIENTS_MAX; i++)
        if (sup->clients[i])
            drop(sup->clients[i]);
    char path[4096];
    snprintf(path, sizeof(path), "%s/bottled.sock", sup->state);
    unlink(path);
    uv_close((uv_handle_t *)&sup->control, on_control_closed);
}
