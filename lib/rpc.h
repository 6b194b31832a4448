/* Newline-delimited JSON-RPC 2.0 on unix stream sockets, shared by bottled (which wraps it in
 * libuv), the shim (poll) and the CLI (blocking). One message per line, compact JSON (newlines
 * inside strings are escaped). No event loop in here: bytes go in with bt_rpc_buf_feed, lines
 * come out with bt_rpc_buf_next_line, and a line longer than the cap is refused, never buffered
 * without bound. */
#ifndef BT_RPC_H
#define BT_RPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "err.h"

/* The longest line accepted by default (without its newline). */
#define BT_RPC_LINE_MAX (1024 * 1024)

/* JSON-RPC 2.0 error codes. Application codes are outside -32768 … -32000, or in the
 * implementation-defined range -32099 … -32000. */
#define BT_RPC_PARSE_ERROR      (-32700)
#define BT_RPC_INVALID_REQUEST  (-32600)
#define BT_RPC_METHOD_NOT_FOUND (-32601)
#define BT_RPC_INVALID_PARAMS   (-32602)
#define BT_RPC_INTERNAL_ERROR   (-32603)

/* The standard message of a JSON-RPC error code ("Parse error", …), or "Server error". */
const char *bt_rpc_code_message(int code);

/* ---- Messages ------------------------------------------------------------------------------
 * Builders return a new object the caller owns (json_object_put), or NULL when out of memory.
 * PARAMS, RESULT and DATA are taken over (also on failure), as json_object_object_add does;
 * ID is borrowed (a reference is added). */

/* {"jsonrpc":"2.0","id":ID,"method":METHOD,"params":PARAMS}; no "params" when PARAMS is NULL. */
struct json_object *bt_rpc_request(int64_t id, const char *method, struct json_object *params);

/* An event: a request without "id", which gets no response. */
struct json_object *bt_rpc_notification(const char *method, struct json_object *params);

/* {"jsonrpc":"2.0","id":ID,"result":RESULT}; ID NULL gives "id":null, RESULT NULL "result":null. */
struct json_object *bt_rpc_result(struct json_object *id, struct json_object *result);

/* {"jsonrpc":"2.0","id":ID,"error":{"code":CODE,"message":MESSAGE[,"data":DATA]}}. MESSAGE NULL
 * uses bt_rpc_code_message(CODE). */
struct json_object *bt_rpc_error(struct json_object *id, int code, const char *message,
                                 struct json_object *data);

/* Serialises MSG as one line: compact JSON and "\n". Returns a malloc'ed string (its length in
 * *LEN) or NULL when out of memory. */
char *bt_rpc_format(struct json_object *msg, size_t *len);

enum bt_rpc_kind {
    BT_RPC_KIND_REQUEST,      /* method and id */
    BT_RPC_KIND_NOTIFICATION, /* method, no id */
    BT_RPC_KIND_RESULT,       /* id and result */
    BT_RPC_KIND_ERROR,        /* id (may be null) and error */
};

/* A parsed message. Every pointer borrows from root, which the message owns. */
struct bt_rpc_message {
    struct json_object *root;
    enum bt_rpc_kind kind;
    struct json_object *id;     /* NULL for a notification, or when it was not valid */
    const char *method;         /* requests and notifications */
    struct json_object *params; /* object or array, or NULL when absent */
    struct json_object *result; /* BT_RPC_KIND_RESULT (may be NULL for "result":null) */
    int error_code;             /* BT_RPC_KIND_ERROR */
    const char *error_message;  /* BT_RPC_KIND_ERROR */
    struct json_object *error_data;
    const char *problem; /* when bt_rpc_parse failed: what was wrong, for the error reply */
};

/* Parses one line (LEN bytes, without its newline) into MSG. Returns 0, or a JSON-RPC error
 * code (not an errno): BT_RPC_PARSE_ERROR for text that is not one JSON value (nesting deeper
 * than 64 included), BT_RPC_INVALID_REQUEST for a value that is not a JSON-RPC 2.0 object (not
 * an object — batches are not supported —, no "jsonrpc":"2.0", neither "method" nor
 * "result"/"error", a wrong type). On failure MSG->problem says why and MSG->id holds the id when
 * one could be read (else NULL, which replies with "id":null), so that a server replies with
 * bt_rpc_parse_error_reply. Either way call bt_rpc_message_clear afterwards. */
int bt_rpc_parse(const char *line, size_t len, struct bt_rpc_message *msg);

/* The error response for a failed bt_rpc_parse that returned CODE. */
struct json_object *bt_rpc_parse_error_reply(const struct bt_rpc_message *msg, int code);

/* Drops MSG's reference to its JSON and zeroes it. */
void bt_rpc_message_clear(struct bt_rpc_message *msg);

/* ---- Framing -------------------------------------------------------------------------------
 * A connection's input buffer, for any event loop. It holds at most max_line bytes of the line
 * in progress, plus the complete lines of the last feed that were not taken yet: take every line
 * after each feed. */
struct bt_rpc_buf {
    char *data;
    size_t start;    /* first byte not yet taken */
    size_t complete; /* end of the last complete line */
    size_t len;      /* end of the data */
    size_t cap;
    size_t max_line;
    bool overflow; /* a line longer than max_line came: the connection is done */
};

/* MAX_LINE 0 means BT_RPC_LINE_MAX. */
void bt_rpc_buf_init(struct bt_rpc_buf *buf, size_t max_line);
void bt_rpc_buf_free(struct bt_rpc_buf *buf);

/* Appends LEN bytes. Returns 0, -ENOMEM, or -EMSGSIZE once a line grew past max_line: the bytes
 * of that line are thrown away, the complete lines before it can still be taken, and then
 * bt_rpc_buf_next_line returns -EMSGSIZE: reply with BT_RPC_INVALID_REQUEST and close. */
int bt_rpc_buf_feed(struct bt_rpc_buf *buf, const void *bytes, size_t len);

/* Reads once from FD (non-blocking or not) into BUF. Returns the number of bytes read, 0 at end
 * of file, -EAGAIN, -EMSGSIZE as bt_rpc_buf_feed, or -errno. */
ssize_t bt_rpc_buf_read(struct bt_rpc_buf *buf, int fd);

/* Takes the next complete line: returns 1 with *LINE (NUL-terminated in place, without "\n" or
 * a "\r" before it) and *LEN, valid until the next feed or read; 0 when no complete line is
 * there; -EMSGSIZE after an overflow, once the lines before it were taken. */
int bt_rpc_buf_next_line(struct bt_rpc_buf *buf, const char **line, size_t *len);

/* ---- Sockets ------------------------------------------------------------------------------- */

/* Sends MSG as one line, waiting at most TIMEOUT_MS (-1: no limit) for room in a non-blocking
 * socket. Never raises SIGPIPE. Returns 0, -ETIMEDOUT, -EPIPE or another -errno with ERR filled. */
int bt_rpc_send(int fd, struct json_object *msg, int timeout_ms, struct bt_err *err);

/* Connects to the unix stream socket at PATH (any length: long paths go through
 * /proc/self/fd), retrying while the listener's backlog is full, for at most TIMEOUT_MS.
 * Returns a non-blocking CLOEXEC fd or -errno with ERR filled. */
int bt_rpc_connect(const char *path, int timeout_ms, struct bt_err *err);

/* Creates a non-blocking CLOEXEC socket listening at PATH with mode 0600: bound to a temporary
 * name in the same directory, chmod'ed and listening before it is renamed to PATH, so that
 * nobody can connect to it with other permissions and a stale socket at PATH is replaced
 * atomically (make sure no live server owns PATH). Returns the fd or -errno with ERR filled. */
int bt_rpc_listen(const char *path, int backlog, struct bt_err *err);

/* accept4 with SOCK_NONBLOCK | SOCK_CLOEXEC. Returns the fd, -EAGAIN, or -errno. */
int bt_rpc_accept(int listen_fd);

/* The peer's credentials at connect time (SO_PEERCRED); the caller decides whom to trust. */
struct bt_rpc_peer {
    pid_t pid;
    uid_t uid;
    gid_t gid;
};

/* Returns 0 or -errno. */
int bt_rpc_peer(int fd, struct bt_rpc_peer *peer);

/* ---- A blocking client ---------------------------------------------------------------------
 * One call at a time; ids count up from 1. Notifications that come while waiting for a response
 * go to on_notify when it is set (the message is cleared after it returns), else are skipped. */
typedef void (*bt_rpc_notify_fn)(const struct bt_rpc_message *msg, void *data);

struct bt_rpc_client {
    int fd;
    int64_t next_id;
    struct bt_rpc_buf buf;
    bt_rpc_notify_fn on_notify;
    void *notify_data;
};

/* Connects to PATH (see bt_rpc_connect). Returns 0 or -errno with ERR filled. */
int bt_rpc_client_open(struct bt_rpc_client *client, const char *path, int timeout_ms,
                       struct bt_err *err);

/* Uses FD (a connected stream socket, e.g. one end of a socketpair), which CLIENT then owns. */
void bt_rpc_client_init(struct bt_rpc_client *client, int fd);

/* Closes the socket and frees the buffer. */
void bt_rpc_client_close(struct bt_rpc_client *client);

/* Waits at most TIMEOUT_MS (-1: no limit) for the next message of any kind (`bottle events`).
 * Returns 0 with MSG filled (bt_rpc_message_clear it), -ETIMEDOUT, -ECONNRESET when the peer
 * closed, -EPROTO for an invalid message, -EMSGSIZE, or -errno, with ERR filled. */
int bt_rpc_client_read(struct bt_rpc_client *client, int timeout_ms, struct bt_rpc_message *msg,
                       struct bt_err *err);

/* Sends a request for METHOD with PARAMS (taken over, may be NULL) and waits for the response
 * with its id, for at most TIMEOUT_MS in all. Returns 0 with REPLY holding the result (in
 * reply->result); -EREMOTEIO when the server answered with an error: REPLY holds it (error_code,
 * error_message, error_data) and ERR says "METHOD: MESSAGE"; or -ETIMEDOUT, -ECONNRESET, … with
 * ERR filled. Call bt_rpc_message_clear(REPLY) in every case. */
int bt_rpc_call(struct bt_rpc_client *client, const char *method, struct json_object *params,
                int timeout_ms, struct bt_rpc_message *reply, struct bt_err *err);

#endif
