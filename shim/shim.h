/* bottle-shim: creates one container from an OCI bundle and babysits it. It is the container
 * init's parent (only it can wait for it), owns its stdio and log, and records its exit
 * status in the state dir before it tells anyone. It must never leave a mount, cgroup,
 * netns or directory behind when the container is deleted. */
#ifndef BT_SHIM_H
#define BT_SHIM_H

#include <stdbool.h>
#include <stdint.h>
#include <termios.h>
#include <sys/types.h>

#include "cgroup.h"
#include "err.h"
#include "mount.h"
#include "rootfs.h"
#include "rpc.h"
#include "spec.h"

#define SHIM_INIT_ARGS_MAX 16
#define SHIM_LAYERS_MAX    128

struct shim_options {
    const char *bundle;        /* the OCI bundle directory */
    const char *id;            /* the container's name: [A-Za-z0-9][A-Za-z0-9_.-]{0,63} */
    const char *state_root;    /* --state, default /run/bottle */
    const char *init_path;     /* bottle-init on the host (default: beside bottle-shim) */
    const char *cgroup_parent; /* default "bottle"; spec's cgroupsPath wins */
    bool foreground;           /* stay attached: `bottle run` */
    bool no_netns_name;        /* do not bind a new net ns at /run/netns/ID */
    bool remove_bundle;        /* the bundle was made for this run: delete it at the end */
    const char *init_args[SHIM_INIT_ARGS_MAX + 1]; /* extra bottle-init options */
    int init_args_count;
    int ready_fd;                /* detached: where to report "started" or the error, or -1 */
    const char *log_path;        /* detached: the k8s-file log (default ROOT/containers/ID/...) */
    const char *root;            /* --root, default $BOTTLE_ROOT or /var/lib/bottle */
    long long log_max_size;      /* bytes per log file before rotation */
    int log_max_files;           /* rotated files kept */
    enum bt_rootfs_kind storage; /* --storage: dir (root.path as is), overlay or btrfs */
    const char *layers[SHIM_LAYERS_MAX + 1]; /* --layer: overlay's read-only layers, base first */
    int layer_count;
    const char *image; /* --image: btrfs subvolume to snapshot */
    bool remove;       /* --rm: remove state, storage and log when the container exits */
};

#define SHIM_CLIENTS_MAX 64

struct bt_logfile;

/* A client of the control socket. */
struct shim_client {
    int fd;
    struct bt_rpc_buf buf;
};

/* ROOT/containers/ID/{rootfs,upper,work} for the overlay and btrfs drivers. */
struct shim_storage {
    struct bt_rootfs rootfs;
    char dir[512], target[560], upper[560], work[560];
};

/* Readiness the container reports to the shim (the annotation org.bottle.readiness): sd_notify
 * READY=1 on a NOTIFY_SOCKET, or a newline on an s6 notification fd. Fds are -1 when unused. */
struct shim_notify {
    bool enabled;  /* shim_notify_prepare ran: the fds below are meaningful */
    int socket_fd; /* sd_notify: the datagram socket at STATE_DIR/notify/notify.sock */
    int pipe_fd;   /* fd: the read end of the notification pipe */
    int child_fd;  /* fd: the write end, until the clone has it */
    int target_fd; /* fd: N, the fd number the service writes to */
    bool ready;    /* READY=1 or the newline came: STATE_DIR/ready was written */
    char dir[560]; /* STATE_DIR/notify, bind-mounted at /run/notify */
    char env[64];  /* NOTIFY_SOCKET=/run/notify/notify.sock, or "" */
};

/* One container being created or run. */
struct shim_container {
    const struct shim_options *options;
    struct bt_spec *spec;
    char state_dir[512]; /* STATE/containers/ID */
    pid_t pid;           /* the init, as the host sees it */
    int pidfd;
    bool has_cgroup;
    struct bt_cgroup cgroup;
    int oom_fd;           /* -1 when no memory controller */
    char netns_path[256]; /* /run/netns/ID when we made it, else "" */
    long long started_at_ns;
    int stdio_pipes[2][2]; /* detached: the container's stdout and stderr, else -1 */
    struct bt_logfile *log;
    int listen_fd; /* STATE/containers/ID/shim.sock */
    struct shim_client *clients[SHIM_CLIENTS_MAX];
    bool exited;
    int exit_status;
    int tty_master;     /* process.terminal: the pty's master, else -1 */
    char tty_slave[64]; /* its slave's path */
    bool tty_raw;       /* the caller's terminal is in raw mode: restore tty_saved */
    struct termios tty_saved;
    bool stdin_closed;
    struct shim_storage storage;
    struct shim_notify notify;
};

/* Parses bottle-shim's command line; exits 125 with a message on bad usage. */
void shim_parse_options(struct shim_options *options, int argc, char **argv);

/* Makes a sealed in-memory copy of bottle-init at PATH and returns its fd (CLOEXEC): the
 * container's init runs from it, so nothing in the container can reach or rewrite the host's
 * binary (the CVE-2019-5736 class). Returns the fd or -errno with ERR filled. */
int shim_init_memfd(const char *path, struct bt_err *err);

/* Creates the cgroup (when the spec or options ask for one) and the container: clone into the
 * new namespaces, id maps, cgroup join, then in the child the rootfs, mounts, hostname,
 * sysctls, rlimits, user, capabilities and exec of bottle-init. Returns 0 once bottle-init
 * runs, or -errno with ERR filled (everything made is undone). */
int shim_create(struct shim_container *container, struct bt_err *err);

/* Removes what shim_create made: cgroup (killing what is left), named netns. Idempotent. */
void shim_destroy(struct shim_container *container);

/* A state dir that is already there: -EEXIST when the name is in use, else the leftovers of
 * a crashed shim are removed and 0 returned. record writes STATE_DIR/NAME = VALUE atomically,
 * for what a later check must find (cgroup, netns). */
int shim_stale_check(struct shim_container *container, struct bt_err *err);
void shim_stale_record(const struct shim_container *container, const char *name, const char *value);

/* Storage: prepare makes the directories (overlay) or the snapshot (btrfs) before the spec is
 * loaded; mount runs in the child, in the container's mount namespace; remove deletes the
 * container's own data (never the image). */
int shim_storage_prepare(struct shim_container *container, struct bt_err *err);
int shim_storage_mount(const struct shim_container *container, struct bt_err *err);
void shim_storage_remove(struct shim_container *container);

/* Detached: makes the pipes for the container's stdout and stderr and opens the log. */
int shim_io_prepare(struct shim_container *container, struct bt_err *err);

/* The child's side: the pipes onto fds 1 and 2 (no-op in the foreground). */
void shim_io_child(const struct shim_container *container);

/* The parent's side after the clone: closes the write ends. */
void shim_io_parent(struct shim_container *container);

/* Moves what the container wrote into the log; DRAIN reads until EOF (at exit). */
void shim_io_pump(struct shim_container *container, int stream, bool drain);

/* Flushes and closes the log and the pipes. */
void shim_io_close(struct shim_container *container);

/* The control socket: listen at STATE/containers/ID/shim.sock. */
int shim_serve_listen(struct shim_container *container, struct bt_err *err);

/* Accepts a client, handles its input, sends the exited event to every client. */
void shim_serve_accept(struct shim_container *container);
void shim_serve_client(struct shim_container *container, int index);
void shim_serve_exited(struct shim_container *container, const char *exit_json);
void shim_serve_close(struct shim_container *container);

/* A state dir that is already there: -EEXIST when the name is in use, else the leftovers of
 * a crashed shim are removed and 0 returned. record writes STATE_DIR/NAME = VALUE atomically,
 * for what a later check must find (cgroup, netns). */
int shim_stale_check(struct shim_container *container, struct bt_err *err);
void shim_stale_record(const struct shim_container *container, const char *name, const char *value);

/* Storage: prepare makes the directories (overlay) or the snapshot (btrfs) before the spec is
 * loaded; mount runs in the child, in the container's mount namespace; remove deletes the
 * container's own data (never the image). */
int shim_storage_prepare(struct shim_container *container, struct bt_err *err);
int shim_storage_mount(const struct shim_container *container, struct bt_err *err);
void shim_storage_remove(struct shim_container *container);

/* Detached: makes the pipes for the container's stdout and stderr and opens the log. */
int shim_io_prepare(struct shim_container *container, struct bt_err *err);

/* The child's side: the pipes onto fds 1 and 2 (no-op in the foreground). */
void shim_io_child(const struct shim_container *container);

/* The parent's side after the clone: closes the write ends. */
void shim_io_parent(struct shim_container *container);

/* Moves what the container wrote on STREAM (0 stdout, 1 stderr) into the log; DRAIN reads
 * until the pipe is empty. */
void shim_io_pump(struct shim_container *container, int stream, bool drain);

/* Flushes and closes the log and the pipes. */
void shim_io_close(struct shim_container *container);

/* The terminal: a pty made before the clone; the child makes SLAVE_FD its stdio and
 * controlling terminal; the parent puts the caller's terminal in raw mode (foreground);
 * input/output copy bytes; resize follows SIGWINCH; close restores the caller's terminal. */
int shim_tty_prepare(struct shim_container *container, struct bt_err *err);
int shim_tty_child(int slave_fd, struct bt_err *err);
void shim_tty_parent(struct shim_container *container);
void shim_tty_resize(struct shim_container *container);
void shim_tty_input(struct shim_container *container);
void shim_tty_output(struct shim_container *container);
void shim_tty_close(struct shim_container *container);

/* The control socket at STATE/containers/ID/shim.sock: listen, accept, serve a client, send
 * the exited event to every client, close. */
int shim_serve_listen(struct shim_container *container, struct bt_err *err);
void shim_serve_accept(struct shim_container *container);
void shim_serve_client(struct shim_container *container, int index);
void shim_serve_exited(struct shim_container *container, const char *exit_json);
void shim_serve_close(struct shim_container *container);

/* Readiness (notify.c). prepare reads the annotation and makes the socket or the pipe (before
 * the clone); mount fills the bind mount of the socket's directory (returns true when there is
 * one); child_fd is the write end the child must place at target_fd; parent closes the
 * child's end after the clone; read handles a readable socket or pipe; close undoes prepare.
 * STATE_DIR/ready (written atomically, content "sd_notify" or "fd") tells bottled. */
int shim_notify_prepare(struct shim_container *container, struct bt_err *err);
bool shim_notify_mount(const struct shim_container *container, struct bt_mount *mount);
void shim_notify_parent(struct shim_container *container);
void shim_notify_read_socket(struct shim_container *container);
void shim_notify_read_pipe(struct shim_container *container);
void shim_notify_close(struct shim_container *container);

/* Waits for the init to exit, forwarding the signals bottle-shim receives (foreground) and
 * serving the control socket (detached). Returns the init's wait status. */
int shim_run(struct shim_container *container);

#endif
