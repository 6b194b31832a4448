/* bottle logs: a detached container's k8s-file log (ROOT/containers/NAME/container.log and its
 * rotated files), stdout records to stdout and stderr records to stderr, partial (P) records
 * joined back into their lines. -f follows across rotations until the container exits: the
 * shim's socket says "exited" (or closes) only after the last record is in the file. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "logfile.h"

static const char usage[] = "Usage: bottle logs [-f] [--tail N] [--timestamps] NAME\n"
                            "\n"
                            "  -f, --follow      go on printing until the container exits\n"
                            "  -n, --tail N      only the last N lines (default all)\n"
                            "  -t, --timestamps  start each line with its time (RFC 3339)\n";

/* Where each stream stands: a line is started (its timestamp printed) or not. */
struct output {
    bool timestamps;
    bool mid_line[2];
    int last_stream;
};

static FILE *stream_file(enum bt_logfile_stream stream)
{
    return stream == BT_LOGFILE_STDERR ? stderr : stdout;
}

/* Writes LEN bytes of STREAM; ENDS_LINE: they finish the line. Flushes the other stream first
 * when the stream changes, so that a terminal shows both in the order they were logged. */
static void emit(struct output *out, enum bt_logfile_stream stream, const char *timestamp,
                 size_t timestamp_len, const char *data, size_t len, bool ends_line)
{
    FILE *f = stream_file(stream);
    if (out->last_stream != (int)stream && out->last_stream >= 0)
        fflush(stream_file((enum bt_logfile_stream)out->last_stream));
    out->last_stream = (int)stream;
    if (out->timestamps && !out->mid_line[stream]) {
        fwrite(timestamp, 1, timestamp_len, f);
        fputc(' ', f);
    }
    fwrite(data, 1, len, f);
    if (ends_line && (len == 0 || data[len - 1] != '\n'))
        fputc('\n', f);
    out->mid_line[stream] = !ends_line;
}

static int emit_line(const struct bt_logfile_line *line, void *data)
{
    emit(data, line->stream, line->timestamp, strlen(line->timestamp), line->data, line->len,
         line->complete);
    return 0;
}

/* Prints every record up to the current end. */
static void drain(struct bt_logfile_reader *reader, struct output *out)
{
    struct bt_logfile_record rec;
    struct bt_err err = {0};
    int ret;
    while ((ret = bt_logfile_reader_next(reader, &rec, &err)) == 1)
        emit(out, rec.stream, rec.timestamp, rec.timestamp_len, rec.content, rec.content_len,
             !rec.partial);
    fflush(stdout);
    fflush(stderr);
    if (ret < 0)
        cli_die("logs: %s", err.msg);
}

/* Reads what the shim sent; true once it said "exited" or went away. */
static bool shim_done(struct bt_rpc_client *client)
{
    ssize_t n = bt_rpc_buf_read(&client->buf, client->fd);
    if (n == 0 || (n < 0 && n != -EAGAIN))
        return true;
    const char *line;
    size_t len;
    bool done = false;
    while (bt_rpc_buf_next_line(&client->buf, &line, &len) == 1) {
        struct bt_rpc_message msg;
        if (bt_rpc_parse(line, len, &msg) == 0 && msg.kind == BT_RPC_KIND_NOTIFICATION &&
            strcmp(msg.method, "exited") == 0)
            done = true;
        bt_rpc_message_clear(&msg);
    }
    return done;
}

static void follow(struct bt_logfile_reader *reader, struct output *out,
                   struct bt_rpc_client *client)
{
    struct bt_err err = {0};
    int watch_fd = bt_logfile_reader_watch_fd(reader, &err);
    if (watch_fd < 0)
        cli_die("logs: cannot follow: %s", err.msg);
    bool done = false;
    for (;;) {
        drain(reader, out);
        if (done)
            return;
        struct pollfd fds[2] = {{.fd = watch_fd, .events = POLLIN},
                                {.fd = client->fd, .events = POLLIN}};
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            cli_die("logs: poll: %s", strerror(errno));
        }
        if (fds[0].revents)
            bt_logfile_reader_drain(reader);
        if (fds[1].revents && shim_done(client))
            done = true; /* one more drain: the shim logged everything before it said so */
    }
}

int cli_cmd_logs(const struct cli_globals *globals, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"follow", no_argument, NULL, 'f'},
        {"tail", required_argument, NULL, 'n'},
        {"timestamps", no_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    bool follow_flag = false;
    long long tail = -1;
    struct output out = {.last_stream = -1};
    int opt;
    while ((opt = getopt_long(argc, argv, "+fn:th", longopts, NULL)) != -1) {
        switch (opt) {
        case 'f': follow_flag = true; break;
        case 'n':
            if (strcmp(optarg, "all") == 0)
                tail = -1;
            else if (!cli_parse_count(optarg, &tail))
                cli_die("logs: invalid --tail '%s' (a number or 'all')", optarg);
            break;
        case 't': out.timestamps = true; break;
        case 'h': fputs(usage, stdout); return 0;
        default: fputs(usage, stderr); return 125;
        }
    }
    if (optind + 1 != argc)
        cli_die("logs: exactly one container name is needed (see 'bottle logs -h')");
    const char *name = argv[optind];

    struct bt_err err = {0};
    struct cli_container container;
    bool known = cli_container_find(globals, name, &container, &err) == 0;
    if (!known && err.code != ENOENT)
        cli_die("%s", err.msg);
    char path[PATH_MAX + 32];
    snprintf(path, sizeof(path), "%s/container.log", container.log_dir);
    struct stat st;
    if (!known && lstat(container.log_dir, &st) < 0)
        cli_die("no such container: %s", name); /* neither state nor logs */

    /* Connect before reading, so that no exit can slip between the end of the file and the
     * moment we start to wait for it. */
    struct bt_rpc_client client = {.fd = -1};
    bool live = false;
    if (follow_flag && known) {
        struct bt_err ignored = {0};
        live = cli_container_connect(&container, &client, &ignored) == 0;
    }
    struct bt_logfile_reader *reader = bt_logfile_reader_open(path, &err);
    if (!reader) {
        if (err.code == ENOENT)
            cli_die("container %s has no log (only detached containers have one)", name);
        cli_die("logs: %s", err.msg);
    }
    if (tail >= 0) {
        int ret = bt_logfile_reader_tail(reader, (size_t)tail, emit_line, &out, &err);
        if (ret < 0)
            cli_die("logs: %s", err.msg);
    }
    if (live)
        follow(reader, &out, &client);
    else
        drain(reader, &out);
    /* A stream that ends without a newline stays that way, as the container wrote it. */
    bt_logfile_reader_close(reader);
    if (live)
        bt_rpc_client_close(&client);
    return 0;
}
