/* What the CLI knows about a container until bottled exists: the files the shim keeps in
 * STATE/containers/NAME (pid, shim.pid, exit, shim.sock) and its "state" method. Reads only:
 * every change to a running container goes through the shim's socket. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "name.h"

bool cli_parse_count(const char *text, long long *value)
{
    char *end;
    if (!text || !*text || *text == '-' || *text == '+')
        return false;
    errno = 0;
    *value = strtoll(text, &end, 10);
    return errno == 0 && *end == '\0';
}

/* A pid file: one decimal number and a newline. 0 when missing or malformed. */
static pid_t read_pid_file(const char *dir, const char *name)
{
    char path[PATH_MAX + 16], text[32];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, text, sizeof(text) - 1);
    if (n <= 0)
        return 0;
    text[n] = '\0';
    char *end;
    long pid = strtol(text, &end, 10);
    if (end == text || (*end && *end != '\n') || pid <= 0 || pid > 0x7fffffff)
        return 0;
    return (pid_t)pid;
}

int cli_container_find(const struct cli_globals *globals, const char *name, struct cli_container *c,
                       struct bt_err *err)
{
    memset(c, 0, sizeof(*c));
    if (!bt_name_valid(name))
        return bt_err_msg(err, EINVAL, "invalid container name '%s'", name);
    snprintf(c->name, sizeof(c->name), "%s", name);
    if ((size_t)snprintf(c->state_dir, sizeof(c->state_dir), "%s/containers/%s", globals->state,
                         name) >= sizeof(c->state_dir) ||
        (size_t)snprintf(c->log_dir, sizeof(c->log_dir), "%s/containers/%s", globals->root, name) >=
            sizeof(c->log_dir))
        return bt_err_msg(err, ENAMETOOLONG, "state or root path too long");
    struct stat st;
    if (lstat(c->state_dir, &st) < 0 || !S_ISDIR(st.st_mode))
        return bt_err_msg(err, ENOENT, "no such container: %s", name);
    c->pid = read_pid_file(c->state_dir, "pid");
    c->shim_pid = read_pid_file(c->state_dir, "shim.pid");
    c->status = CLI_STATUS_CREATED;
    return 0;
}

/* The exit record, when there is one. */
static bool read_exit(struct cli_container *c)
{
    char path[PATH_MAX + 16];
    struct bt_err ignored = {0};
    snprintf(path, sizeof(path), "%s/exit", c->state_dir);
    return bt_exitfile_read(path, &c->exit, &ignored) == 0;
}

int cli_container_connect(const struct cli_container *c, struct bt_rpc_client *client,
                          struct bt_err *err)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof(path), "%s/shim.sock", c->state_dir);
    struct bt_err connect_err = {0};
    int ret = bt_rpc_client_open(client, path, CLI_SHIM_TIMEOUT_MS, &connect_err);
    if (ret == 0)
        return 0;
    struct cli_container copy = *c;
    if (read_exit(&copy))
        return bt_err_msg(err, ESRCH, "container %s is not running (it exited with %d)", c->name,
                          copy.exit.exit_code);
    if (ret == -ENOENT || ret == -ECONNREFUSED)
        return bt_err_msg(err, ESRCH, "container %s is not running%s", c->name,
                          c->pid ? " (its shim is gone)" : " yet");
    *err = connect_err;
    return bt_err_wrap(err, "container %s", c->name);
}

static long long get_int64(json_object *obj, const char *key)
{
    json_object *value;
    return json_object_object_get_ex(obj, key, &value) ? json_object_get_int64(value) : 0;
}

int cli_shim_state(struct bt_rpc_client *client, struct cli_container *c, struct bt_err *err)
{
    struct bt_rpc_message reply;
    int ret = bt_rpc_call(client, "state", NULL, CLI_SHIM_TIMEOUT_MS, &reply, err);
    if (ret < 0) {
        bt_rpc_message_clear(&reply);
        return bt_err_wrap(err, "container %s", c->name);
    }
    json_object *result = reply.result, *value;
    if (!result || !json_object_is_type(result, json_type_object)) {
        bt_rpc_message_clear(&reply);
        return bt_err_msg(err, EPROTO, "container %s: the shim's state is not an object", c->name);
    }
    long long pid = get_int64(result, "pid"), shim_pid = get_int64(result, "shim_pid");
    c->pid = pid > 0 && pid <= 0x7fffffff ? (pid_t)pid : 0;
    c->shim_pid = shim_pid > 0 && shim_pid <= 0x7fffffff ? (pid_t)shim_pid : 0;
    c->started_at_ns = get_int64(result, "started_at_ns");
    c->bundle[0] = '\0';
    if (json_object_object_get_ex(result, "bundle", &value) &&
        json_object_is_type(value, json_type_string))
        snprintf(c->bundle, sizeof(c->bundle), "%s", json_object_get_string(value));
    bool running = json_object_object_get_ex(result, "status", &value) &&
                   json_object_is_type(value, json_type_string) &&
                   strcmp(json_object_get_string(value), "running") == 0;
    bt_rpc_message_clear(&reply);
    if (!c->pid)
        return bt_err_msg(err, EPROTO, "container %s: the shim sent no pid", c->name);
    return running ? 0 : -ESRCH;
}

int cli_container_status(struct cli_container *c, struct bt_err *err)
{
    /* The shim writes the exit record before it closes its socket, and its socket exists
     * before the pid file: no exit record and nobody listening means the shim died. */
    if (read_exit(c)) {
        c->status = CLI_STATUS_EXITED;
        return 0;
    }
    struct bt_rpc_client client;
    struct bt_err ignored = {0};
    if (cli_container_connect(c, &client, &ignored) < 0) {
        if (read_exit(c))
            c->status = CLI_STATUS_EXITED;
        else
            c->status = c->pid ? CLI_STATUS_LOST : CLI_STATUS_CREATED;
        return 0;
    }
    int ret = cli_shim_state(&client, c, err);
    bt_rpc_client_close(&client);
    if (ret == -ESRCH || (ret < 0 && read_exit(c))) {
        /* Exited between our looks: the record is there, or about to be. */
        c->status = read_exit(c) ? CLI_STATUS_EXITED : CLI_STATUS_LOST;
        return 0;
    }
    if (ret < 0) {
        c->status = CLI_STATUS_UNKNOWN;
        return ret;
    }
    c->status = CLI_STATUS_RUNNING;
    return 0;
}

const char *cli_status_name(enum cli_status status)
{
    switch (status) {
    case CLI_STATUS_CREATED: return "created";
    case CLI_STATUS_RUNNING: return "running";
    case CLI_STATUS_EXITED: return "exited";
    case CLI_STATUS_LOST: return "lost";
    case CLI_STATUS_UNKNOWN: return "unknown";
    }
    return "unknown";
}
