/* bottled's control socket, STATE/bottled.sock (0600, peer checked with SO_PEERCRED: root
 * only): newline-delimited JSON-RPC 2.0. Methods: ps, inspect, start, stop, restart, kill,
 * events (subscribe, with a replay since a sequence number). A client that sends garbage gets
 * an error; one that floods past the line cap, or stops reading while its queue is full, is
 * dropped: none can stall bottled or the other clients. */
#include "sup.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "rpc.h"
#include "sig.h"

#define CLIENT_LINE_MAX  65536
#define CLIENT_QUEUE_MAX (4 << 20) /* bytes written but not yet taken by a client */

struct sup_client {
    struct sup *sup;
    uv_pipe_t pipe;
    struct bt_rpc_buf buf;
    bool subscribed;
    bool closing;
    int slot;
};

static void on_client_closed(uv_handle_t *handle)
{
    struct sup_client *client = handle->data;
    bt_rpc_buf_free(&client->buf);
    free(client);
}

static void drop(struct sup_client *client)
{
    if (client->closing)
        return;
    client->closing = true;
    client->sup->clients[client->slot] = NULL;
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

void sup_control_broadcast(struct sup *sup, uint64_t seq, const char *json)
{
    (void)seq;
    for (int i = 0; i < SUP_CLIENTS_MAX; i++) {
        struct sup_client *client = sup->clients[i];
        if (client && client->subscribed)
            send_event(client, json);
    }
}

static json_object *service_json(const struct sup_service *svc)
{
    json_object *obj = json_object_new_object();
    json_object_object_add(obj, "name", json_object_new_string(svc->name));
    json_object_object_add(obj, "state", json_object_new_string(sup_state_name(svc->state)));
    json_object_object_add(obj, "wanted", json_object_new_string(svc->wanted_up ? "up" : "down"));
    json_object_object_add(obj, "pid", json_object_new_int(svc->init_pid));
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

/* Runs METHOD; returns the result, or NULL with *CODE and *MESSAGE set. */
static json_object *dispatch(struct sup_client *client, const char *method, json_object *params,
                             int *code, const char **message)
{
    struct sup *sup = client->sup;
    if (strcmp(method, "ps") == 0) {
        json_object *list = json_object_new_array();
        for (struct sup_service *svc = sup->services; svc; svc = svc->next)
            json_object_array_add(list, service_json(svc));
        return list;
    }
    if (strcmp(method, "events") == 0) {
        json_object *value;
        uint64_t since = 0;
        if (params && json_object_object_get_ex(params, "since", &value))
            since = (uint64_t)json_object_get_int64(value);
        /* Replay what is still kept, in order, then stream. */
        uint64_t first =
            sup->event_seq > SUP_EVENTS_KEPT ? sup->event_seq - SUP_EVENTS_KEPT + 1 : 1;
        for (uint64_t seq = since + 1 > first ? since + 1 : first; seq <= sup->event_seq; seq++) {
            const char *json = sup->events[seq % SUP_EVENTS_KEPT].json;
            if (json && sup->events[seq % SUP_EVENTS_KEPT].seq == seq)
                send_event(client, json);
        }
        client->subscribed = true;
        json_object *result = json_object_new_object();
        json_object_object_add(result, "seq", json_object_new_int64((int64_t)sup->event_seq));
        return result;
    }
    if (strcmp(method, "apply") == 0 || strcmp(method, "rm") == 0)
        return dispatch_specs(sup, method, params, code, message);
    static const char *const per_service[] = {"inspect", "start", "stop", "restart", "kill", NULL};
    bool known = false;
    for (const char *const *m = per_service; *m && !known; m++)
        known = strcmp(method, *m) == 0;
    if (!known) {
        *code = BT_RPC_METHOD_NOT_FOUND;
        *message = NULL;
        return NULL;
    }
    const char *name = param_string(params, "name");
    struct sup_service *svc = name ? sup_find(sup, name) : NULL;
    struct sup_tree *tree = name && !svc ? sup_tree_find(sup, name) : NULL;
    if (tree)
        return dispatch_tree(tree, method, code, message);
    if (!svc) {
        *code = -32004;
        *message = name ? "no such service" : "missing params.name";
        return NULL;
    }
    if (strcmp(method, "inspect") == 0)
        return service_json(svc);
    if (strcmp(method, "start") == 0) {
        sup_service_handle(svc, SUP_EV_START, NULL);
        return service_json(svc);
    }
    if (strcmp(method, "stop") == 0) {
        sup_service_handle(svc, SUP_EV_STOP, NULL);
        return service_json(svc);
    }
    if (strcmp(method, "restart") == 0) {
        if (svc->state == SUP_RUNNING || svc->state == SUP_STARTING) {
            svc->restart_pending = true;
            sup_service_handle(svc, SUP_EV_STOP, NULL);
        } else {
            sup_service_handle(svc, SUP_EV_START, NULL);
        }
        return service_json(svc);
    }
    if (strcmp(method, "kill") == 0) {
        const char *text = param_string(params, "signal");
        int sig = text ? bt_sig_parse(text) : SIGKILL;
        json_object *value;
        if (!text && params && json_object_object_get_ex(params, "signal", &value) &&
            json_object_is_type(value, json_type_int))
            sig = json_object_get_int(value);
        if (sig < 1 || sig > BT_SIG_MAX) {
            *code = BT_RPC_INVALID_PARAMS;
            *message = "invalid signal";
            return NULL;
        }
        bool all = params && json_object_object_get_ex(params, "all", &value) &&
                   json_object_get_boolean(value);
        if (svc->state != SUP_RUNNING && svc->state != SUP_STOPPING) {
            *code = -32001;
            *message = "the service is not running";
            return NULL;
        }
        sup_shim_signal(svc, sig, all);
        return service_json(svc);
    }
    *code = BT_RPC_METHOD_NOT_FOUND;
    *message = NULL;
    return NULL;
}

static void handle_line(struct sup_client *client, const char *line, size_t len)
{
    struct bt_rpc_message msg;
    int code = bt_rpc_parse(line, len, &msg);
    if (code) {
        send_json(client, bt_rpc_parse_error_reply(&msg, code));
    } else if (msg.kind == BT_RPC_KIND_REQUEST) {
        const char *message = NULL;
        code = 0;
        json_object *result = dispatch(client, msg.method, msg.params, &code, &message);
        send_json(client,
                  code ? bt_rpc_error(msg.id, code, message, NULL) : bt_rpc_result(msg.id, result));
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
    int fed = bt_rpc_buf_feed(&client->buf, buf->base, (size_t)n);
    const char *line;
    size_t len;
    int got;
    while (!client->closing && (got = bt_rpc_buf_next_line(&client->buf, &line, &len)) == 1)
        handle_line(client, line, len);
    if (fed == -EMSGSIZE || got == -EMSGSIZE) {
        send_json(client, bt_rpc_error(NULL, BT_RPC_INVALID_REQUEST, "line too long", NULL));
        drop(client);
    }
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
    int slot = -1;
    for (int i = 0; i < SUP_CLIENTS_MAX && slot < 0; i++)
        if (!sup->clients[i])
            slot = i;
    if (uv_fileno((uv_handle_t *)&client->pipe, &fd) < 0 || bt_rpc_peer(fd, &peer) < 0 ||
        peer.uid != 0 || slot < 0) {
        client->closing = true;
        uv_close((uv_handle_t *)&client->pipe, on_client_closed);
        return;
    }
    client->slot = slot;
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
