/* Unit tests for lib/rpc.c: JSON-RPC 2.0 messages, line framing against hostile input, the
 * listening socket, SO_PEERCRED and the blocking client's timeouts. */
#include "rpc.h"
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

static char tmpdir[64];
static char longdir[256]; /* a subdirectory whose socket paths do not fit in sun_path */

/* Also runs from the alarm handler (case_alarm_cleanup). */
static void remove_tmpdir(void)
{
    if (longdir[0])
        remove_flat_dir(longdir);
    if (tmpdir[0])
        remove_flat_dir(tmpdir);
}

static long elapsed_ms(const struct timespec *since)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - since->tv_sec) * 1000 + (now.tv_nsec - since->tv_nsec) / 1000000;
}

static bool formats_as(struct json_object *msg, const char *want)
{
    size_t len;
    char *line = msg ? bt_rpc_format(msg, &len) : NULL;
    bool same = line && strcmp(line, want) == 0;
    if (!same)
        diag("got %s", line ? line : "(null)");
    free(line);
    json_object_put(msg);
    return same;
}

static void test_messages(void)
{
    case_alarm(10);
    struct json_object *params = json_object_new_object();
    json_object_object_add(params, "name", json_object_new_string("redis\n"));
    ok(formats_as(bt_rpc_request(7, "stop", params),
                  "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"stop\",\"params\":{\"name\":"
                  "\"redis\\n\"}}\n"),
       "a request is one line, newlines escaped");
    ok(formats_as(bt_rpc_notification("exited", NULL),
                  "{\"jsonrpc\":\"2.0\",\"method\":\"exited\"}\n"),
       "a notification has no id");
    struct json_object *id = json_object_new_string("a");
    ok(formats_as(bt_rpc_result(id, json_object_new_int(3)),
                  "{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"result\":3}\n"),
       "a result echoes the id");
    ok(formats_as(bt_rpc_error(id, BT_RPC_METHOD_NOT_FOUND, NULL, NULL),
                  "{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"error\":{\"code\":-32601,\"message\":"
                  "\"Method not found\"}}\n"),
       "an error carries code and message");
    json_object_put(id);

    struct bt_rpc_message msg;
    const char *line = "{\"jsonrpc\":\"2.0\",\"method\":\"ps\",\"params\":[1]}";
    ok(bt_rpc_parse(line, strlen(line), &msg) == 0 && msg.kind == BT_RPC_KIND_NOTIFICATION &&
           strcmp(msg.method, "ps") == 0 && json_object_is_type(msg.params, json_type_array),
       "parse a notification");
    bt_rpc_message_clear(&msg);
    line = "{\"jsonrpc\":\"2.0\",\"id\":9,\"error\":{\"code\":-32000,\"message\":\"busy\"}}";
    ok(bt_rpc_parse(line, strlen(line), &msg) == 0 && msg.kind == BT_RPC_KIND_ERROR &&
           msg.error_code == -32000 && strcmp(msg.error_message, "busy") == 0,
       "parse an error response");
    bt_rpc_message_clear(&msg);
}

/* Parses LINE and checks that it is refused with CODE and that the reply says so with id WANT_ID
 * (a JSON text). */
static void refused(const char *line, int code, const char *want_id, const char *what)
{
    struct bt_rpc_message msg;
    int got = bt_rpc_parse(line, strlen(line), &msg);
    struct json_object *reply = bt_rpc_parse_error_reply(&msg, code);
    struct json_object *error, *reply_code, *reply_id;
    bool right = got == code && json_object_object_get_ex(reply, "error", &error) &&
                 json_object_object_get_ex(error, "code", &reply_code) &&
                 json_object_get_int(reply_code) == code &&
                 json_object_object_get_ex(reply, "id", &reply_id) &&
                 strcmp(json_object_to_json_string(reply_id), want_id) == 0;
    ok(right, "%s → %d (%s)", what, code, msg.problem ? msg.problem : "?");
    if (!right)
        diag("parse returned %d, reply %s", got, json_object_to_json_string(reply));
    json_object_put(reply);
    bt_rpc_message_clear(&msg);
}

static void test_invalid(void)
{
    case_alarm(10);
    refused("garbage", BT_RPC_PARSE_ERROR, "null", "garbage");
    refused("{\"jsonrpc\":\"2.0\",\"id\":1,", BT_RPC_PARSE_ERROR, "null", "truncated JSON");
    refused("{\"jsonrpc\":\"2.0\",\"id\":5}", BT_RPC_INVALID_REQUEST, "5", "missing method");
    refused("{\"id\":6,\"method\":\"ps\"}", BT_RPC_INVALID_REQUEST, "6", "missing jsonrpc");
    refused("[1,2]", BT_RPC_INVALID_REQUEST, "null", "a batch");
    refused("42", BT_RPC_INVALID_REQUEST, "null", "not an object");
    refused("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ps\",\"params\":\"x\"}",
            BT_RPC_INVALID_REQUEST, "2", "params that are a string");
}

static void test_framing(void)
{
    case_alarm(20);
    struct bt_rpc_buf buf;
    const char *line;
    size_t len;
    bt_rpc_buf_init(&buf, 0);
    const char *text = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ps\"}\r\n{\"jsonrpc\"";
    int early = 0;
    for (size_t i = 0; i < strlen(text); i++) {
        bt_rpc_buf_feed(&buf, text + i, 1);
        if (text[i] != '\n' && bt_rpc_buf_next_line(&buf, &line, &len) != 0)
            early++;
        if (text[i] == '\n')
            break;
    }
    ok(early == 0 && bt_rpc_buf_next_line(&buf, &line, &len) == 1 && len == 38 &&
           strcmp(line, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ps\"}") == 0,
       "a line fed one byte at a time comes out whole, without its CR LF");
    is_int(bt_rpc_buf_next_line(&buf, &line, &len), 0, "and then nothing");
    bt_rpc_buf_free(&buf);

    /* One valid line, then 2 MiB without a newline. */
    bt_rpc_buf_init(&buf, 0);
    bt_rpc_buf_feed(&buf, "{}\n", 3);
    char *junk = malloc(64 * 1024);
    memset(junk, 'x', 64 * 1024);
    int ret = 0, feeds = 0;
    size_t biggest = 0;
    for (int i = 0; i < 32 && ret == 0; i++, feeds++) {
        ret = bt_rpc_buf_feed(&buf, junk, 64 * 1024);
        biggest = buf.cap > biggest ? buf.cap : biggest;
    }
    for (int i = 0; i < 16; i++)
        bt_rpc_buf_feed(&buf, junk, 64 * 1024);
    free(junk);
    ok(ret == -EMSGSIZE && feeds == 17, "2 MiB without a newline: refused once past 1 MiB");
    ok(biggest <= BT_RPC_LINE_MAX + 64 * 1024 + 2 && buf.cap == biggest && buf.len < 16,
       "the buffer stayed bounded (%zu bytes) and dropped the line", biggest);
    ok(bt_rpc_buf_next_line(&buf, &line, &len) == 1 && strcmp(line, "{}") == 0,
       "the line before it still comes out");
    is_int(bt_rpc_buf_next_line(&buf, &line, &len), -EMSGSIZE, "then the error, to report");
    bt_rpc_buf_free(&buf);
}

/* A server on FD for the round trip: "echo" sends an event and then the params back, "slow"
 * answers one byte at a time, anything else is not found; a line that is too long gets an error
 * and the connection is closed. Exits 0 when the peer closed, 3 when the buffer grew too big. */
static void serve(int fd)
{
    struct bt_rpc_buf buf;
    bt_rpc_buf_init(&buf, 0);
    for (;;) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        poll(&pfd, 1, -1);
        ssize_t n = bt_rpc_buf_read(&buf, fd);
        if (n == 0)
            _exit(0);
        if (buf.cap > BT_RPC_LINE_MAX + 64 * 1024 + 2)
            _exit(3);
        const char *line;
        size_t len;
        int r;
        while ((r = bt_rpc_buf_next_line(&buf, &line, &len)) > 0) {
            struct bt_rpc_message msg;
            int code = bt_rpc_parse(line, len, &msg);
            struct json_object *reply;
            if (code != 0) {
                reply = bt_rpc_parse_error_reply(&msg, code);
            } else if (strcmp(msg.method, "echo") == 0) {
                struct json_object *event = bt_rpc_notification("event", NULL);
                bt_rpc_send(fd, event, 1000, NULL);
                json_object_put(event);
                reply = bt_rpc_result(msg.id, json_object_get(msg.params));
            } else if (strcmp(msg.method, "slow") == 0) {
                reply = NULL;
                struct json_object *result = bt_rpc_result(msg.id, json_object_new_string("ok"));
                size_t out_len;
                char *out = bt_rpc_format(result, &out_len);
                for (size_t i = 0; i < out_len; i++) {
                    if (send(fd, out + i, 1, MSG_NOSIGNAL) != 1)
                        _exit(4);
                    usleep(200);
                }
                free(out);
                json_object_put(result);
            } else {
                reply = bt_rpc_error(msg.id, BT_RPC_METHOD_NOT_FOUND, NULL, NULL);
            }
            if (reply)
                bt_rpc_send(fd, reply, 1000, NULL);
            json_object_put(reply);
            bt_rpc_message_clear(&msg);
        }
        if (r == -EMSGSIZE) {
            struct json_object *reply =
                bt_rpc_error(NULL, BT_RPC_INVALID_REQUEST, "request longer than 1 MiB", NULL);
            bt_rpc_send(fd, reply, 1000, NULL);
            json_object_put(reply);
            _exit(buf.cap > BT_RPC_LINE_MAX + 64 * 1024 + 2 ? 3 : 0);
        }
    }
}

static pid_t start_server(int *client_fd)
{
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        close(pair[0]);
        serve(pair[1]);
    }
    close(pair[1]);
    *client_fd = pair[0];
    return pid;
}

static void count_event(const struct bt_rpc_message *msg, void *data)
{
    if (strcmp(msg->method, "event") == 0)
        (*(int *)data)++;
}

static void test_round_trip(void)
{
    case_alarm(20);
    struct bt_err err = {0};
    int fd = -1, events = 0, status;
    pid_t server = start_server(&fd);
    struct bt_rpc_client client;
    bt_rpc_client_init(&client, fd);
    client.on_notify = count_event;
    client.notify_data = &events;

    struct bt_rpc_message reply;
    struct json_object *params = json_object_new_object();
    json_object_object_add(params, "n", json_object_new_int(42));
    int ret = bt_rpc_call(&client, "echo", params, 2000, &reply, &err);
    struct json_object *n;
    ok(ret == 0 && reply.kind == BT_RPC_KIND_RESULT &&
           json_object_object_get_ex(reply.result, "n", &n) && json_object_get_int(n) == 42,
       "request and response over a socketpair");
    if (ret < 0)
        diag("%s", err.msg);
    bt_rpc_message_clear(&reply);
    is_int(events, 1, "the event sent before the response went to on_notify");

    ret = bt_rpc_call(&client, "slow", NULL, 5000, &reply, &err);
    ok(ret == 0 && strcmp(json_object_get_string(reply.result), "ok") == 0,
       "a response written one byte at a time is reassembled");
    bt_rpc_message_clear(&reply);

    ret = bt_rpc_call(&client, "nope", NULL, 2000, &reply, &err);
    ok(ret == -EREMOTEIO && reply.error_code == BT_RPC_METHOD_NOT_FOUND &&
           strcmp(err.msg, "nope: Method not found") == 0,
       "an error response: -EREMOTEIO, the code, and \"%s\"", err.msg);
    bt_rpc_message_clear(&reply);

    /* 2 MiB without a newline: the server refuses it and hangs up. */
    char *junk = malloc(2 * 1024 * 1024);
    memset(junk, 'x', 2 * 1024 * 1024);
    size_t sent = 0;
    while (sent < 2 * 1024 * 1024) {
        ssize_t w = send(fd, junk + sent, 2 * 1024 * 1024 - sent, MSG_NOSIGNAL);
        if (w <= 0)
            break;
        sent += (size_t)w;
    }
    free(junk);
    ret = bt_rpc_client_read(&client, 2000, &reply, &err);
    ok(ret == 0 && reply.kind == BT_RPC_KIND_ERROR && reply.error_code == BT_RPC_INVALID_REQUEST &&
           reply.id == NULL,
       "a 2 MiB line gets -32600 with id null before the server hangs up");
    bt_rpc_message_clear(&reply);
    waitpid(server, &status, 0);
    ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "and the server's buffer stayed bounded");
    ret = bt_rpc_client_read(&client, 2000, &reply, &err);
    is_int(ret, -ECONNRESET, "then the client sees the connection closed");
    bt_rpc_client_close(&client);
}

static void test_socket(void)
{
    case_alarm(20);
    struct bt_err err = {0};
    char path[128];
    snprintf(path, sizeof(path), "%s/bottled.sock", tmpdir);
    mode_t old_umask = umask(0);
    int listen_fd = bt_rpc_listen(path, 16, &err);
    umask(old_umask);
    struct stat st;
    ok(listen_fd >= 0 && stat(path, &st) == 0 && S_ISSOCK(st.st_mode) &&
           (st.st_mode & 07777) == 0600,
       "the socket is created with mode 0600 even under umask 0");
    if (listen_fd < 0)
        diag("%s", err.msg);
    int entries = 0;
    DIR *dir = opendir(tmpdir);
    for (struct dirent *de; dir && (de = readdir(dir));)
        entries += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
    if (dir)
        closedir(dir);
    is_int(entries, 2, "no temporary name is left behind (the socket and the long dir)");

    int client = bt_rpc_connect(path, 1000, &err);
    int server = -1;
    struct pollfd pfd = {.fd = listen_fd, .events = POLLIN};
    if (client >= 0 && poll(&pfd, 1, 1000) == 1)
        server = bt_rpc_accept(listen_fd);
    struct bt_rpc_peer peer = {0};
    int peer_ret = server >= 0 ? bt_rpc_peer(server, &peer) : -EBADF;
    ok(peer_ret == 0 && peer.pid == getpid() && peer.uid == getuid() && peer.gid == getgid(),
       "SO_PEERCRED gives our pid %d, uid %d, gid %d", (int)peer.pid, (int)peer.uid, (int)peer.gid);
    close(client);
    close(server);

    /* A server that accepts nothing and never answers. */
    struct bt_rpc_client waiting;
    struct bt_rpc_message reply;
    ok(bt_rpc_client_open(&waiting, path, 1000, &err) == 0, "connect to a silent server");
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    int ret = bt_rpc_call(&waiting, "ps", NULL, 300, &reply, &err);
    long ms = elapsed_ms(&start);
    ok(ret == -ETIMEDOUT && ms >= 290 && ms < 3000, "the call times out after %ld ms: %s", ms,
       err.msg);
    bt_rpc_message_clear(&reply);
    bt_rpc_client_close(&waiting);
    close(listen_fd);

    ok(bt_rpc_connect(path, 1000, &err) == -ECONNREFUSED, "nobody listening: ECONNREFUSED");
    unlink(path);
    ok(bt_rpc_connect(path, 1000, &err) == -ENOENT, "no socket: ENOENT");

    /* A path longer than sun_path's 108 bytes works both ways. */
    char long_path[sizeof(longdir) + 32];
    snprintf(long_path, sizeof(long_path), "%s/shim.sock", longdir);
    listen_fd = bt_rpc_listen(long_path, 4, &err);
    client = listen_fd >= 0 ? bt_rpc_connect(long_path, 1000, &err) : -1;
    ok(strlen(long_path) > 108 && listen_fd >= 0 && client >= 0,
       "listen and connect at a %zu-byte path", strlen(long_path));
    close(client);
    close(listen_fd);
    unlink(long_path);
}

int main(void)
{
    plan(35);
    make_tmpdir(tmpdir, sizeof(tmpdir), "t-rpc");
    /* Every case runs under its own alarm, which removes the directory on a timeout. */
    case_alarm_cleanup = remove_tmpdir;
    snprintf(longdir, sizeof(longdir), "%s/%0120d", tmpdir, 0);
    if (mkdir(longdir, 0700) < 0) {
        printf("Bail out! mkdir: %s\n", strerror(errno));
        return 1;
    }
    test_messages();
    test_invalid();
    test_framing();
    test_round_trip();
    test_socket();
    remove_tmpdir();
    struct stat st;
    ok(stat(tmpdir, &st) < 0, "the temporary directory is gone");
    return done();
}
