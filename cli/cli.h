/* The bottle command: one thin file per verb over lib/. Every verb takes --root, --state (or
 * BOTTLE_ROOT, BOTTLE_STATE) and -h; bad usage exits 125 with one line. */
#ifndef BT_CLI_H
#define BT_CLI_H

#include <json-c/json.h>
#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "bundle.h"
#include "err.h"
#include "exitfile.h"
#include "image.h"
#include "name.h"
#include "rpc.h"

struct cli_globals {
    const char *root;  /* --root: images, layers, logs (default /var/lib/bottle) */
    const char *state; /* --state: sockets, pids, bundles (default /run/bottle) */
    const char *self;  /* the directory bottle runs from, to find bottle-shim and bottle-init */
};

/* Prints "bottle: MESSAGE" and exits 125. */
void cli_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Path of a sibling program (bottle-shim, bottle-init) of the running bottle. */
const char *cli_program_path(const struct cli_globals *globals, const char *name, char *buf,
                             size_t len);

int cli_cmd_spec(const struct cli_globals *globals, int argc, char **argv);
int cli_cmd_run(const struct cli_globals *globals, int argc, char **argv);
int cli_cmd_exec(const struct cli_globals *globals, int argc, char **argv);
int cli_cmd_kill(const struct cli_globals *globals, int argc, char **argv);
int cli_cmd_logs(const struct cli_globals *globals, int argc, char **argv);
int cli_cmd_ps(const struct cli_globals *globals, int argc, char **argv);
int cli_cmd_inspect(const struct cli_globals *globals, int argc, char **argv);
int cli_cmd_rm(const struct cli_globals *globals, int argc, char **argv);
int cli_cmd_image(const struct cli_globals *globals, int argc, char **argv);
int cli_cmd_commit(const struct cli_globals *globals, int argc, char **argv);
/* daemon.c: verbs that talk to bottled */
int cli_cmd_start(const struct cli_globals *globals, int argc, char **argv);
int cli_cmd_stop(const struct cli_globals *globals, int argc, char **argv);
int cli_cmd_restart(const struct cli_globals *globals, int argc, char **argv);
int cli_cmd_pause(const struct cli_globals *globals, int argc, char **argv);
int cli_cmd_resume(const struct cli_globals *globals, int argc, char **argv);
int cli_cmd_events(const struct cli_globals *globals, int argc, char **argv);
int cli_cmd_stats(const struct cli_globals *globals, int argc, char **argv);
int cli_cmd_update(const struct cli_globals *globals, int argc, char **argv);
int cli_cmd_wait(const struct cli_globals *globals, int argc, char **argv);

/* bottled.c: the connection to bottled. cli_bottled_open returns 0, or -ENOTCONN with ERR
 * when bottled is not running; cli_bottled_connect says so in one line and exits 125;
 * cli_bottled_call sends one request (PARAMS taken over) and waits for its reply, returning as
 * bt_rpc_call does or -ENOTCONN (clear REPLY in every case). */
int cli_bottled_open(const struct cli_globals *globals, struct bt_rpc_client *client,
                     struct bt_err *err);
void cli_bottled_connect(const struct cli_globals *globals, struct bt_rpc_client *client);
bool cli_bottled_running(const struct cli_globals *globals);
int cli_bottled_call(const struct cli_globals *globals, const char *method, json_object *params,
                     int timeout_ms, struct bt_rpc_message *reply, struct bt_err *err);

/* daemon.c: how long a verb waits for bottled's answer */
#define CLI_DAEMON_TIMEOUT_MS 10000

/* bottled's error code for a name it does not supervise. */
#define CLI_BOTTLED_NO_SUCH (-32004)

/* cli_bottled_call that returns the result (the caller's to put) and exits 125 on any failure:
 * "bottled is not running (...); start it with: ..." or "WHAT: MESSAGE". TIMEOUT_MS -1: none. */
json_object *cli_bottled_ask(const struct cli_globals *globals, const char *method,
                             json_object *params, int timeout_ms, const char *what);

/* {"name": NAME}, to add more params to. */
json_object *cli_bottled_name_params(const char *name);

/* Parses a size ("512m", "1g", bytes); exits 125 on a bad one. (run.c) */
long long cli_parse_size(const char *text);
/* run-bottled.c: `run -d` as a service of bottled's (docker flags → service spec → apply) */
int cli_run_via_bottled(const struct cli_globals *globals, const struct bt_bundle_options *o,
                        const char *restart);
/* apply.c: specs handed to bottled */
int cli_cmd_apply(const struct cli_globals *globals, int argc, char **argv);
/* Asks bottled to remove unit NAME (one that came from apply). 0 when removed; -ENOENT when
 * bottled does not know NAME; -ENOTCONN when bottled is not running; else ERR says why. */
int cli_bottled_rm(const struct cli_globals *globals, const char *name, bool force,
                   struct bt_err *err);

/* ---- state.c: containers as the shim leaves them in STATE/containers/NAME ---- */

#define CLI_NAME_MAX BT_NAME_MAX

/* How long the CLI waits for a shim to answer. */
#define CLI_SHIM_TIMEOUT_MS 5000

enum cli_status {
    CLI_STATUS_CREATED, /* the shim is still setting it up */
    CLI_STATUS_RUNNING,
    CLI_STATUS_EXITED,  /* an exit record exists */
    CLI_STATUS_LOST,    /* neither running nor an exit record: the shim died */
    CLI_STATUS_UNKNOWN, /* the shim is there but did not answer */
};

struct cli_container {
    char name[CLI_NAME_MAX + 1];
    char state_dir[PATH_MAX];   /* STATE/containers/NAME */
    char log_dir[PATH_MAX];     /* ROOT/containers/NAME */
    pid_t pid;                  /* the init, as the host sees it; 0 before the pid file exists */
    pid_t shim_pid;             /* 0 when unknown */
    enum cli_status status;     /* as of cli_container_status */
    struct bt_exit_record exit; /* CLI_STATUS_EXITED */
    /* From the shim's "state" reply (CLI_STATUS_RUNNING only). */
    long long started_at_ns;
    char bundle[PATH_MAX];
};

/* Fills C for container NAME without asking its shim. Fails with "no such container: NAME"
 * (-ENOENT) when STATE/containers/NAME does not exist, or "invalid container name" (-EINVAL). */
int cli_container_find(const struct cli_globals *globals, const char *name, struct cli_container *c,
                       struct bt_err *err);

/* Connects to the container's shim socket. Fails with one line that says why: "container NAME
 * is not running" (-ESRCH) when it has exited or its shim is gone, else the socket's error. */
int cli_container_connect(const struct cli_container *c, struct bt_rpc_client *client,
                          struct bt_err *err);

/* Works out C's status: the exit record, else the shim's "state" (which fills pid, shim_pid,
 * started_at_ns and bundle). Returns 0, or -errno with ERR filled when the shim could be
 * reached but did not answer properly (the status is then CLI_STATUS_UNKNOWN). */
int cli_container_status(struct cli_container *c, struct bt_err *err);

/* "created", "running", "exited", "lost" or "unknown". */
const char *cli_status_name(enum cli_status status);

/* Calls "state" on CLIENT and fills C's pid, shim_pid, started_at_ns and bundle. Returns 0 when
 * the shim says the container runs, -ESRCH when it says it has exited, or -errno. */
int cli_shim_state(struct bt_rpc_client *client, struct cli_container *c, struct bt_err *err);

/* Parses a non-negative decimal number (for --tail, -t). Returns false when it is not one. */
bool cli_parse_count(const char *text, long long *value);

/* ---- run.c: docker-style options; the container itself is described by lib/bundle ---- */

#define CLI_LIST_MAX 64

struct cli_run_options {
    struct bt_bundle_options container; /* what config.json says; its lists point into the
                                         * arrays below */
    const char *bundle;
    bool remove, detach, interactive;
    const char *env[CLI_LIST_MAX];
    const char *ulimits[CLI_LIST_MAX];
    const char *volumes[CLI_LIST_MAX];
    const char *tmpfs[CLI_LIST_MAX];
    const char *cap_add[CLI_LIST_MAX];
    const char *cap_drop[CLI_LIST_MAX];
    const char *init_args[CLI_LIST_MAX];
    size_t init_arg_count;
    const char *storage;       /* dir (default), overlay or btrfs; with an IMAGE also copy */
    const char *image;         /* IMAGE instead of --rootfs */
    const char *cgroup_parent; /* --cgroup-parent: the container's cgroup is P/NAME */
    const char *restart;       /* --restart POLICY: -d under bottled */
};

/* ---- image.c: bottle run IMAGE ---- */

struct cli_image_run {
    struct bt_image image;
    enum bt_image_driver driver;
    char root[PATH_MAX];         /* --root, absolute */
    char rootfs[PATH_MAX + 300]; /* ROOT/containers/NAME/rootfs */
    char source[PATH_MAX];       /* what bottle-shim gets: btrfs subvolume */
};

/* Resolves O->image, picks the driver (O->storage or the best for --root), sets O's rootfs,
 * root_path and image defaults, makes the container's storage when the driver copies, and
 * notes the image in ROOT/containers/NAME. Dies with one line on failure. */
void cli_run_image_prepare(const struct cli_globals *globals, struct cli_run_options *o,
                           struct cli_image_run *run);

/* The container's storage now belongs to bottle-shim: bottle's exit no longer removes it. */
void cli_run_image_keep(void);

/* Appends bottle-shim's storage arguments to ARGS at N; returns the new N. */
int cli_run_image_args(const struct cli_image_run *run, const char **args, int n);

#endif
