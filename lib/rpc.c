/* Newline-delimited JSON-RPC 2.0: see rpc.h. Whatever a peer sends, memory stays bounded by the
 * line cap, and every malformed message gets the JSON-RPC error that the spec names. */
#include "rpc.h"

#include "cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* How much bt_rpc_buf_read asks the kernel for at once. */
#define READ_CHUNK (64 * 1024)
/* Deeper JSON is refused as a parse error (json-c recurses). */
#define JSON_DEPTH 64

const char *bt_rpc_code_message(int code)
{
    switch (code) {
    case BT_RPC_PARSE_ERROR: return "Parse error";
    case BT_RPC_INVALID_REQUEST: return "Invalid Request";
    case BT_RPC_METHOD_NOT_FOUND: return "Method not found";
    case BT_RPC_INVALID_PARAMS: return "Invalid params";
    case BT_RPC_INTERNAL_ERROR: return "Internal error";
    default: return "Server error";
    }
}

/* ---- Messages ------------------------------------------------------------------------------ */

static struct json_object *new_message(void)
{
    struct json_object *msg = json_object_new_object();
    if (msg && json_object_object_add(msg, "jsonrpc", json_object_new_string("2.0")) < 0) {
        json_object_put(msg);
        return NULL;
    }
    return msg;
}

/* Adds KEY: VALUE (taken over) to MSG; on failure frees both and returns NULL. A NULL VALUE is
 * JSON null, unless REQUIRED, which means that making VALUE failed. */
static struct json_object *add(struct json_object *msg, const char *key, struct json_object *value,
                               bool required)
{
    if (!msg || (required && !value) || json_object_object_add(msg, key, value) < 0) {
        json_object_put(value);
        json_object_put(msg);
        return NULL;
    }
    return msg;
}

struct json_object *bt_rpc_request(int64_t id, const char *method, struct json_object *params)
{
    struct json_object *msg = new_message();
    msg = add(msg, "id", json_object_new_int64(id), true);
    msg = add(msg, "method", json_object_new_string(method), true);
    if (params)
        return add(msg, "params", params, true);
    return msg;
}

struct json_object *bt_rpc_notification(const char *method, struct json_object *params)
{
    struct json_object *msg = add(new_message(), "method", json_object_new_string(method), true);
    if (params)
        return add(msg, "params", params, true);
    return msg;
}

struct json_object *bt_rpc_result(struct json_object *id, struct json_object *result)
{
    struct json_object *msg = add(new_message(), "id", json_object_get(id), false);
    return add(msg, "result", result, false);
}

struct json_object *bt_rpc_error(struct json_object *id, int code, const char *message,
                                 struct json_object *data)
{
    struct json_object *error = json_object_new_object();
    error = add(error, "code", json_object_new_int(code), true);
    error = add(error, "message",
                json_object_new_string(message ? message : bt_rpc_code_message(code)), true);
    if (data)
        error = add(error, "data", data, true);
    struct json_object *msg = add(new_message(), "id", json_object_get(id), false);
    return add(msg, "error", error, true);
}

char *bt_rpc_format(struct json_object *msg, size_t *len)
{
    size_t n;
    const char *text = json_object_to_json_string_length(
        msg, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
    if (!text)
        return NULL;
    char *line = malloc(n + 2);
    if (!line)
        return NULL;
    memcpy(line, text, n);
    line[n] = '\n';
    line[n + 1] = '\0';
    *len = n + 1;
    return line;
}

void bt_rpc_message_clear(struct bt_rpc_message *msg)
{
    json_object_put(msg->root);
    memset(msg, 0, sizeof(*msg));
}

static bool valid_id(struct json_object *id)
{
    /* null, a string or a number; fractions are allowed but discouraged by the spec */
    return !id || json_object_is_type(id, json_type_string) ||
           json_object_is_type(id, json_type_int) || json_object_is_type(id, json_type_double);
}

static int invalid(struct bt_rpc_message *msg, const char *problem)
{
    msg->problem = problem;
    return BT_RPC_INVALID_REQUEST;
}

int bt_rpc_parse(const char *line, size_t len, struct bt_rpc_message *msg)
{
    memset(msg, 0, sizeof(*msg));
    if (len > INT_MAX) {
        msg->problem = "message too long";
        return BT_RPC_PARSE_ERROR;
    }
    struct json_tokener *tok = json_tokener_new_ex(JSON_DEPTH);
    if (!tok) {
        msg->problem = "out of memory";
        return BT_RPC_INTERNAL_ERROR;
    }
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    struct json_object *root = json_tokener_parse_ex(tok, line, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    if (jerr == json_tokener_continue) {
        /* A number or a literal at the very end needs a delimiter to be complete. */
        root = json_tokener_parse_ex(tok, " ", 1);
        jerr = json_tokener_get_error(tok);
    }
    json_tokener_free(tok);
    if (jerr != json_tokener_success) {
        msg->problem = jerr == json_tokener_error_depth ? "JSON nested too deep" : "not JSON";
        return BT_RPC_PARSE_ERROR;
    }
    msg->root = root;
    if (!json_object_is_type(root, json_type_object))
        return invalid(msg, json_object_is_type(root, json_type_array)
                                ? "batch requests are not supported"
                                : "not a JSON object");

    struct json_object *version, *id = NULL, *method, *params, *result, *error;
    bool has_id = json_object_object_get_ex(root, "id", &id);
    if (has_id && valid_id(id))
        msg->id = id;
    if (!json_object_object_get_ex(root, "jsonrpc", &version) ||
        !json_object_is_type(version, json_type_string) ||
        strcmp(json_object_get_string(version), "2.0") != 0)
        return invalid(msg, "missing \"jsonrpc\": \"2.0\"");
    if (has_id && !valid_id(id))
        return invalid(msg, "\"id\" must be a string, a number or null");

    if (json_object_object_get_ex(root, "method", &method)) {
        if (!json_object_is_type(method, json_type_string))
            return invalid(msg, "\"method\" must be a string");
        msg->method = json_object_get_string(method);
        msg->kind = has_id ? BT_RPC_KIND_REQUEST : BT_RPC_KIND_NOTIFICATION;
        if (json_object_object_get_ex(root, "params", &params)) {
            if (!json_object_is_type(params, json_type_object) &&
                !json_object_is_type(params, json_type_array))
                return invalid(msg, "\"params\" must be an object or an array");
            msg->params = params;
        }
        return 0;
    }

    bool has_result = json_object_object_get_ex(root, "result", &result);
    bool has_error = json_object_object_get_ex(root, "error", &error);
    if (!has_result && !has_error)
        return invalid(msg, "missing \"method\"");
    if (has_result && has_error)
        return invalid(msg, "both \"result\" and \"error\"");
    if (!has_id)
        return invalid(msg, "a response without \"id\"");
    if (has_result) {
        msg->kind = BT_RPC_KIND_RESULT;
        msg->result = result;
        return 0;
    }
    struct json_object *code, *message;
    if (!json_object_is_type(error, json_type_object) ||
        !json_object_object_get_ex(error, "code", &code) ||
        !json_object_is_type(code, json_type_int) ||
        !json_object_object_get_ex(error, "message", &message) ||
        !json_object_is_type(message, json_type_string))
        return invalid(msg, "\"error\" needs an integer \"code\" and a string \"message\"");
    msg->kind = BT_RPC_KIND_ERROR;
    msg->error_code = json_object_get_int(code);
    msg->error_message = json_object_get_string(message);
    json_object_object_get_ex(error, "data", &msg->error_data);
    return 0;
}

struct json_object *bt_rpc_parse_error_reply(const struct bt_rpc_message *msg, int code)
{
    char text[256];
    snprintf(text, sizeof(text), "%s: %s", bt_rpc_code_message(code),
             msg->problem ? msg->problem : "unknown");
    return bt_rpc_error(msg->id, code, text, NULL);
}

/* ---- Framing ------------------------------------------------------------------------------- */

void bt_rpc_buf_init(struct bt_rpc_buf *buf, size_t max_line)
{
    memset(buf, 0, sizeof(*buf));
    buf->max_line = max_line ? max_line : BT_RPC_LINE_MAX;
}

void bt_rpc_buf_free(struct bt_rpc_buf *buf)
{
    free(buf->data);
    bt_rpc_buf_init(buf, buf->max_line);
}

static void buf_compact(struct bt_rpc_buf *buf)
{
    if (buf->start == 0)
        return;
    memmove(buf->data, buf->data + buf->start, buf->len - buf->start);
    buf->complete -= buf->start;
    buf->len -= buf->start;
    buf->start = 0;
}

static int buf_reserve(struct bt_rpc_buf *buf, size_t more)
{
    size_t need = buf->len + more + 1;
    if (need <= buf->cap)
        return 0;
    size_t cap = buf->cap ? buf->cap : 4096;
    while (cap < need)
        cap *= 2;
    /* Doubling must not take a buffer that only ever needs a line and a read to twice that. */
    size_t bound = buf->max_line + READ_CHUNK + 2;
    if (cap > bound)
        cap = need > bound ? need : bound;
    char *data = realloc(buf->data, cap);
    if (!data)
        return -ENOMEM;
    buf->data = data;
    buf->cap = cap;
    return 0;
}

/* Checks N new bytes at P against max_line and returns how many to keep: all of them, or after an
 * overflow (which it records) those up to their last complete line. *AFTER_NL gets the offset
 * just after the last newline kept (0: none). */
static size_t scan_new(struct bt_rpc_buf *buf, const char *p, size_t n, size_t *after_nl)
{
    size_t line = buf->len - buf->complete, off = 0;
    *after_nl = 0;
    while (off < n) {
        const char *nl = memchr(p + off, '\n', n - off);
        size_t segment = (nl ? (size_t)(nl - p) : n) - off;
        if (line + segment > buf->max_line) {
            buf->overflow = true;
            return *after_nl;
        }
        if (!nl)
            break;
        off = (size_t)(nl - p) + 1;
        line = 0;
        *after_nl = off;
    }
    return n;
}

/* Accounts for KEEP bytes now at data + len. */
static void buf_commit(struct bt_rpc_buf *buf, size_t keep, size_t after_nl)
{
    if (buf->overflow && keep == 0) {
        buf->len = buf->complete; /* the line in progress is the one that overflowed */
        return;
    }
    if (after_nl)
        buf->complete = buf->len + after_nl;
    buf->len += keep;
}

int bt_rpc_buf_feed(struct bt_rpc_buf *buf, const void *bytes, size_t len)
{
    if (buf->overflow)
        return -EMSGSIZE;
    size_t after_nl, keep = scan_new(buf, bytes, len, &after_nl);
    buf_compact(buf);
    if (keep && buf_reserve(buf, keep) < 0) {
        buf->overflow = false;
        return -ENOMEM;
    }
    if (keep)
        memcpy(buf->data + buf->len, bytes, keep);
    buf_commit(buf, keep, after_nl);
    return buf->overflow ? -EMSGSIZE : 0;
}

ssize_t bt_rpc_buf_read(struct bt_rpc_buf *buf, int fd)
{
    if (buf->overflow)
        return -EMSGSIZE;
    buf_compact(buf);
    if (buf_reserve(buf, READ_CHUNK) < 0)
        return -ENOMEM;
    ssize_t n;
    do
        n = read(fd, buf->data + buf->len, READ_CHUNK);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return errno == EWOULDBLOCK ? -EAGAIN : -errno;
    size_t after_nl, keep = scan_new(buf, buf->data + buf->len, (size_t)n, &after_nl);
    buf_commit(buf, keep, after_nl);
    return buf->overflow ? -EMSGSIZE : n;
}

int bt_rpc_buf_next_line(struct bt_rpc_buf *buf, const char **line, size_t *len)
{
    if (buf->start >= buf->complete)
        return buf->overflow ? -EMSGSIZE : 0;
    char *s = buf->data + buf->start;
    char *nl = memchr(s, '\n', buf->complete - buf->start);
    size_t n = (size_t)(nl - s);
    buf->start += n + 1;
    *nl = '\0';
    if (n > 0 && s[n - 1] == '\r')
        s[--n] = '\0';
    *line = s;
    *len = n;
    return 1;
}

/* ---- Sockets ------------------------------------------------------------------------------- */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t deadline_after(int timeout_ms)
{
    return timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
}

/* Milliseconds left until DEADLINE, for poll: -1 when there is none. */
static int time_left(int64_t deadline)
{
    if (deadline < 0)
        return -1;
    int64_t left = deadline - now_ms();
    return left <= 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
}

/* Waits for EVENTS on FD until DEADLINE. Returns 0, -ETIMEDOUT or -errno. */
static int wait_fd(int fd, short events, int64_t deadline)
{
    for (;;) {
        struct pollfd pfd = {.fd = fd, .events = events};
        int n = poll(&pfd, 1, time_left(deadline));
        if (n > 0)
            return 0;
        if (n == 0)
            return -ETIMEDOUT;
        if (errno != EINTR)
            return -errno;
    }
}

static int send_all(int fd, const char *p, size_t len, int64_t deadline, struct bt_err *err)
{
    bool is_socket = true;
    size_t off = 0;
    while (off < len) {
        ssize_t n =
            is_socket ? send(fd, p + off, len - off, MSG_NOSIGNAL) : write(fd, p + off, len - off);
        if (n >= 0) {
            off += (size_t)n;
            continue;
        }
        if (errno == EINTR)
            continue;
        if (errno == ENOTSOCK && is_socket) {
            is_socket = false;
            continue;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return bt_err_sys(err, errno, "send");
        int r = wait_fd(fd, POLLOUT, deadline);
        if (r < 0)
            return bt_err_sys(err, -r, "send");
    }
    return 0;
}

int bt_rpc_send(int fd, struct json_object *msg, int timeout_ms, struct bt_err *err)
{
    size_t len;
    cleanup_free char *line = bt_rpc_format(msg, &len);
    if (!line)
        return bt_err_sys(err, ENOMEM, "format a message");
    return send_all(fd, line, len, deadline_after(timeout_ms), err);
}

/* Splits PATH into DIR (a buffer of PATH_MAX) and its last component. */
static const char *split_path(const char *path, char *dir)
{
    const char *slash = strrchr(path, '/');
    if (!slash) {
        strcpy(dir, ".");
        return path;
    }
    size_t n = slash == path ? 1 : (size_t)(slash - path);
    memcpy(dir, path, n);
    dir[n] = '\0';
    return slash + 1;
}

/* Fills ADDR with DIR/NAME, or with /proc/self/fd/N/NAME through an O_PATH fd of DIR (left in
 * *DIRFD) when that does not fit in sun_path (108 bytes). Returns the address length or -errno. */
static int unix_addr(const char *dir, const char *name, struct sockaddr_un *addr, int *dirfd)
{
    memset(addr, 0, sizeof(*addr));
    addr->sun_family = AF_UNIX;
    int n = snprintf(addr->sun_path, sizeof(addr->sun_path), "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= sizeof(addr->sun_path)) {
        if (*dirfd < 0)
            *dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (*dirfd < 0)
            return -errno;
        n = snprintf(addr->sun_path, sizeof(addr->sun_path), "/proc/self/fd/%d/%s", *dirfd, name);
        if (n < 0 || (size_t)n >= sizeof(addr->sun_path))
            return -ENAMETOOLONG;
    }
    return (int)(offsetof(struct sockaddr_un, sun_path) + (size_t)n + 1);
}

int bt_rpc_connect(const char *path, int timeout_ms, struct bt_err *err)
{
    char dir[PATH_MAX];
    if (strlen(path) >= sizeof(dir))
        return bt_err_sys(err, ENAMETOOLONG, "connect %s", path);
    const char *name = split_path(path, dir);
    struct sockaddr_un addr;
    cleanup_close int dirfd = -1;
    int addr_len = unix_addr(dir, name, &addr, &dirfd);
    if (addr_len < 0)
        return bt_err_sys(err, -addr_len, "connect %s", path);
    cleanup_close int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return bt_err_sys(err, errno, "socket");
    int64_t deadline = deadline_after(timeout_ms);
    for (;;) {
        if (connect(fd, (struct sockaddr *)&addr, (socklen_t)addr_len) == 0)
            return bt_take_fd(&fd);
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN) {
            /* A unix socket's backlog is full: connect(2) gives no wake-up for that, so retry. */
            if (time_left(deadline) == 0)
                return bt_err_sys(err, ETIMEDOUT, "connect %s", path);
            struct timespec pause = {0, 10 * 1000 * 1000};
            nanosleep(&pause, NULL);
            continue;
        }
        if (errno != EINPROGRESS)
            return bt_err_sys(err, errno, "connect %s", path);
        int r = wait_fd(fd, POLLOUT, deadline);
        if (r < 0)
            return bt_err_sys(err, -r, "connect %s", path);
        int so_error = 0;
        socklen_t so_len = sizeof(so_error);
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &so_len) < 0)
            so_error = errno;
        if (so_error)
            return bt_err_sys(err, so_error, "connect %s", path);
        return bt_take_fd(&fd);
    }
}

int bt_rpc_listen(const char *path, int backlog, struct bt_err *err)
{
    static unsigned counter;
    char dir[PATH_MAX], tmp[64];
    if (strlen(path) >= sizeof(dir))
        return bt_err_sys(err, ENAMETOOLONG, "listen %s", path);
    const char *name = split_path(path, dir);
    if (!*name)
        return bt_err_msg(err, EINVAL, "listen %s: not a file name", path);
    cleanup_close int dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0)
        return bt_err_sys(err, errno, "open %s", dir);
    snprintf(tmp, sizeof(tmp), ".rpc-%ld-%u.tmp", (long)getpid(), counter++);
    unlinkat(dirfd, tmp, 0);
    struct sockaddr_un addr;
    int addr_len = unix_addr(dir, tmp, &addr, &dirfd);
    if (addr_len < 0)
        return bt_err_sys(err, -addr_len, "listen %s", path);
    cleanup_close int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return bt_err_sys(err, errno, "socket");
    if (bind(fd, (struct sockaddr *)&addr, (socklen_t)addr_len) < 0)
        return bt_err_sys(err, errno, "bind %s/%s", dir, tmp);
    /* Nobody can connect before listen(2), so the mode the umask gave bind is never usable. */
    if (fchmodat(dirfd, tmp, 0600, 0) < 0 || listen(fd, backlog) < 0 ||
        renameat(dirfd, tmp, dirfd, name) < 0) {
        int errnum = errno;
        unlinkat(dirfd, tmp, 0);
        return bt_err_sys(err, errnum, "listen %s", path);
    }
    return bt_take_fd(&fd);
}

int bt_rpc_accept(int listen_fd)
{
    for (;;) {
        int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0)
            return fd;
        if (errno != EINTR)
            return errno == EWOULDBLOCK ? -EAGAIN : -errno;
    }
}

int bt_rpc_peer(int fd, struct bt_rpc_peer *peer)
{
    struct ucred cred;
    socklen_t len = sizeof(cred);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
        return -errno;
    peer->pid = cred.pid;
    peer->uid = cred.uid;
    peer->gid = cred.gid;
    return 0;
}

/* ---- A blocking client --------------------------------------------------------------------- */

void bt_rpc_client_init(struct bt_rpc_client *client, int fd)
{
    memset(client, 0, sizeof(*client));
    client->fd = fd;
    client->next_id = 1;
    bt_rpc_buf_init(&client->buf, 0);
}

int bt_rpc_client_open(struct bt_rpc_client *client, const char *path, int timeout_ms,
                       struct bt_err *err)
{
    int fd = bt_rpc_connect(path, timeout_ms, err);
    if (fd < 0)
        return fd;
    bt_rpc_client_init(client, fd);
    return 0;
}

void bt_rpc_client_close(struct bt_rpc_client *client)
{
    if (client->fd >= 0)
        close(client->fd);
    client->fd = -1;
    bt_rpc_buf_free(&client->buf);
}

static int read_message(struct bt_rpc_client *client, int64_t deadline, struct bt_rpc_message *msg,
                        struct bt_err *err)
{
    memset(msg, 0, sizeof(*msg));
    for (;;) {
        const char *line;
        size_t len;
        int r = bt_rpc_buf_next_line(&client->buf, &line, &len);
        if (r < 0)
            return bt_err_msg(err, EMSGSIZE, "a message longer than %zu bytes",
                              client->buf.max_line);
        if (r > 0) {
            if (bt_rpc_parse(line, len, msg) == 0)
                return 0;
            const char *problem = msg->problem;
            bt_rpc_message_clear(msg);
            return bt_err_msg(err, EPROTO, "an invalid message: %s", problem);
        }
        r = wait_fd(client->fd, POLLIN, deadline);
        if (r == -ETIMEDOUT)
            return bt_err_msg(err, ETIMEDOUT, "no answer in time");
        if (r < 0)
            return bt_err_sys(err, -r, "poll");
        ssize_t n = bt_rpc_buf_read(&client->buf, client->fd);
        if (n == 0)
            return bt_err_msg(err, ECONNRESET, "the connection was closed");
        if (n < 0 && n != -EAGAIN && n != -EMSGSIZE)
            return bt_err_sys(err, (int)-n, "read");
    }
}

int bt_rpc_client_read(struct bt_rpc_client *client, int timeout_ms, struct bt_rpc_message *msg,
                       struct bt_err *err)
{
    return read_message(client, deadline_after(timeout_ms), msg, err);
}

static bool has_id(const struct bt_rpc_message *msg, int64_t id)
{
    return msg->id && json_object_is_type(msg->id, json_type_int) &&
           json_object_get_int64(msg->id) == id;
}

int bt_rpc_call(struct bt_rpc_client *client, const char *method, struct json_object *params,
                int timeout_ms, struct bt_rpc_message *reply, struct bt_err *err)
{
    memset(reply, 0, sizeof(*reply));
    int64_t deadline = deadline_after(timeout_ms);
    int64_t id = client->next_id++;
    struct json_object *request = bt_rpc_request(id, method, params);
    if (!request)
        return bt_err_sys(err, ENOMEM, "%s", method);
    size_t len;
    cleanup_free char *line = bt_rpc_format(request, &len);
    json_object_put(request);
    if (!line)
        return bt_err_sys(err, ENOMEM, "%s", method);
    int r = send_all(client->fd, line, len, deadline, err);
    if (r < 0)
        return bt_err_wrap(err, "%s", method);
    for (;;) {
        r = read_message(client, deadline, reply, err);
        if (r < 0)
            return bt_err_wrap(err, "%s", method);
        if (reply->kind == BT_RPC_KIND_NOTIFICATION && client->on_notify)
            client->on_notify(reply, client->notify_data);
        bool ours = has_id(reply, id);
        /* An error with a null id is the server refusing a line it could not read: ours. */
        if (reply->kind == BT_RPC_KIND_ERROR && (ours || !reply->id))
            return bt_err_msg(err, EREMOTEIO, "%s: %s", method, reply->error_message);
        if (reply->kind == BT_RPC_KIND_RESULT && ours)
            return 0;
        bt_rpc_message_clear(reply); /* events, stale responses */
    }
}
