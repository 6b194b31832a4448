/* The shim's control socket (STATE/containers/ID/shim.sock, 0600, root only): newline-delimited
 * JSON-RPC. Methods: "state", "kill" {signal, all}. Event: "exited" {exit record}. A client may
 * come and go at any time; one that floods, sends garbage or stops reading is dropped, and
 * can never stall the shim (non-blocking sockets, bounded buffers, send timeouts). */
#include "shim.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "rpc.h"
#include "sig.h"

/* Requests are small: a line longer than this is hostile. */
#define CLIENT_LINE_MAX 65536
#define SEND_TIMEOUT_MS 200

int shim_serve_listen(struct shim_container *container, struct bt_err *err)
{
    char path[700];
    snprintf(path, sizeof(path), "%s/shim.sock", container->state_dir);
    container->listen_fd = bt_rpc_listen(path, 16, err);
    return container->listen_fd < 0 ? container->listen_fd : 0;
}

static void drop_client(struct shim_container *container, int index)
{
    struct shim_client *client = container->clients[index];
    close(client->fd);
    bt_rpc_buf_free(&client->buf);
    free(client);
    container->clients[index] = NULL;
}

void shim_serve_accept(struct shim_container *container)
{
    for (;;) {
        int fd = bt_rpc_accept(container->listen_fd);
        if (fd < 0)
            return;
        struct bt_rpc_peer peer;
        if (bt_rpc_peer(fd, &peer) < 0 || peer.uid != 0) { /* the socket is 0600 too */
            close(fd);
            continue;
        }
        int slot = -1;
        for (int i = 0; i < SHIM_CLIENTS_MAX && slot < 0; i++)
            if (!container->clients[i])
                slot = i;
        struct shim_client *client = slot >= 0 ? calloc(1, sizeof(*client)) : NULL;
        if (!client) {
            close(fd);
            continue;
        }
        client->fd = fd;
        bt_rpc_buf_init(&client->buf, CLIENT_LINE_MAX);
        container->clients[slot] = client;
    }
}

static json_object *state_json(const struct shim_container *container)
{
    json_object *obj = json_object_new_object();
    json_object_object_add(obj, "id", json_object_new_string(container->options->id));
    json_object_object_add(obj, "pid", json_object_new_int(container->pid));
    json_object_object_add(obj, "status",
                           json_object_new_string(container->exited ? "exited" : "running"));
    json_object_object_add(obj, "shim_pid", json_object_new_int(getpid()));
    json_object_object_add(obj, "started_at_ns", json_object_new_int64(container->started_at_ns));
    json_object_object_add(obj, "bundle", json_object_new_string(container->options->bundle));
    json_object_object_add(obj, "ready", json_object_new_boolean(container->notify.ready));
    return obj;
}

static json_object *handle_kill(struct shim_container *container, json_object *params, int *code,
                                const char **message)
{
    json_object *value;
    int sig = SIGTERM;
    bool all = false;
    if (params && json_object_object_get_ex(params, "signal", &value)) {
        sig = json_object_is_type(value, json_type_int)
                  ? json_object_get_int(value)
                  : bt_sig_parse(json_object_get_string(value));
        if (sig < 1 || sig > BT_SIG_MAX) {
            *code = BT_RPC_INVALID_PARAMS;
            *message = "invalid signal";
            return NULL;
        }
    }
    if (params && json_object_object_get_ex(params, "all", &value))
        all = json_object_get_boolean(value);
    if (container->exited) {
        *code = -32001;
        *message = "the container is not running";
        return NULL;
    }
    int ret;
    struct bt_err err = {0};
    if (all && container->has_cgroup)
        ret = sig == SIGKILL ? bt_cgroup_kill(&container->cgroup, &err)
                             : bt_cgroup_signal(&container->cgroup, sig, &err);
    else
        ret = (int)syscall(SYS_pidfd_send_signal, container->pidfd, sig, NULL, 0);
    if (ret < 0) {
        *code = -32002;
        *message = "kill failed";
        return NULL;
    }
    return json_object_new_object();
}

static void handle_line(struct shim_container *container, struct shim_client *client,
                        const char *line, size_t len)
{
    struct bt_rpc_message msg;
    json_object *reply = NULL;
    int code = bt_rpc_parse(line, len, &msg);
    if (code) {
        reply = bt_rpc_parse_error_reply(&msg, code);
    } else if (msg.kind == BT_RPC_KIND_REQUEST) {
        const char *message = NULL;
        json_object *result = NULL;
        code = 0;
        if (strcmp(msg.method, "state") == 0)
            result = state_json(container);
        else if (strcmp(msg.method, "kill") == 0)
            result = handle_kill(container, msg.params, &code, &message);
        else
            code = BT_RPC_METHOD_NOT_FOUND;
        reply = code ? bt_rpc_error(msg.id, code, message, NULL) : bt_rpc_result(msg.id, result);
    }
    if (reply) {
        struct bt_err err = {0};
        bt_rpc_send(client->fd, reply, SEND_TIMEOUT_MS, &err);
        json_object_put(reply);
    }
    bt_rpc_message_clear(&msg);
}

void shim_serve_client(struct shim_container *container, int index)
{
    struct shim_client *client = container->clients[index];
    ssize_t n = bt_rpc_buf_read(&client->buf, client->fd);
    if (n == 0 || (n < 0 && n != -EAGAIN && n != -EMSGSIZE)) {
        drop_client(container, index);
        return;
    }
    const char *line;
    size_t len;
    int got;
    while ((got = bt_rpc_buf_next_line(&client->buf, &line, &len)) == 1)
        handle_line(container, client, line, len);
    if (got == -EMSGSIZE) {
        json_object *reply = bt_rpc_error(NULL, BT_RPC_INVALID_REQUEST, "line too long", NULL);
        struct bt_err err = {0};
        bt_rpc_send(client->fd, reply, SEND_TIMEOUT_MS, &err);
        json_object_put(reply);
        drop_client(container, index);
    }
}

void shim_serve_exited(struct shim_container *container, const char *exit_json)
{
    for (int i = 0; i < SHIM_CLIENTS_MAX; i++) {
        if (!container->clients[i])
            continue;
        json_object *params = json_tokener_parse(exit_json);
        json_object *event = bt_rpc_notification("exited", params);
        struct bt_err err = {0};
        if (bt_rpc_send(container->clients[i]->fd, event, SEND_TIMEOUT_MS, &err) < 0)
            drop_client(container, i);
        json_object_put(event);
    }
}

void shim_serve_close(struct shim_container *container)
{
    for (int i = 0; i < SHIM_CLIENTS_MAX; i++)
        if (container->clients[i])
            drop_client(container, i);
    if (container->listen_fd >= 0) {
        char path[700];
        snprintf(path, sizeof(path), "%s/shim.sock", container->state_dir);
        unlink(path);
        close(container->listen_fd);
        container->listen_fd = -1;
    }
}
