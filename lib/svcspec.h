/* bottled's own service and tree specs (DESIGN.md, "Service and tree specs"): strict loading of
 * one JSON file (one service or one tree) or of a directory of them into plain C structs with
 * every default filled in, deep equality for SIGHUP reloads, and serialisation back to JSON for
 * specs applied at run time. Never ignores a key it does not understand, and never touches the
 * paths a spec names: checking rootfs, sources and images is the caller's job. */
#ifndef BT_SVCSPEC_H
#define BT_SVCSPEC_H

#include "err.h"
#include "procattr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Limits: a spec beyond them is refused, not truncated. */
#define BT_SVCSPEC_FILE_MAX   (1u << 20) /* bytes of one spec file */
#define BT_SVCSPEC_NAME_MAX   64         /* [A-Za-z0-9][A-Za-z0-9_.-]{0,63} */
#define BT_SVCSPEC_DEPTH_MAX  8          /* trees nest at most this deep (the root tree is 1) */
#define BT_SVCSPEC_STRING_MAX 4096       /* paths, user, image, hosts */
#define BT_SVCSPEC_ARG_MAX    131072     /* one command/env/health.exec entry (MAX_ARG_STRLEN) */
#define BT_SVCSPEC_ARGS_MAX   4096       /* entries in command, env, health.exec */
#define BT_SVCSPEC_ITEMS_MAX  1024       /* ports, mounts, children */

/* Defaults, as DESIGN.md gives them. */
#define BT_SVCSPEC_BACKOFF_INITIAL_MS  100
#define BT_SVCSPEC_BACKOFF_MAX_MS      30000
#define BT_SVCSPEC_BACKOFF_RESET_MS    10000
#define BT_SVCSPEC_STOP_TIMEOUT_MS     10000
#define BT_SVCSPEC_START_TIMEOUT_MS    90000 /* systemd's TimeoutStartSec; 0 in a spec: none */
#define BT_SVCSPEC_HEALTH_INTERVAL_MS  10000
#define BT_SVCSPEC_HEALTH_TIMEOUT_MS   5000
#define BT_SVCSPEC_HEALTH_RETRIES      3
#define BT_SVCSPEC_INTENSITY_RESTARTS  5
#define BT_SVCSPEC_INTENSITY_PERIOD_MS 30000

enum bt_svcspec_restart {
    BT_SVCSPEC_RESTART_NO,
    BT_SVCSPEC_RESTART_ON_FAILURE,
    BT_SVCSPEC_RESTART_ALWAYS, /* also "unless-stopped", with unless_stopped set */
};

enum bt_svcspec_network {
    BT_SVCSPEC_NETWORK_NONE, /* the default: a new, empty network namespace */
    BT_SVCSPEC_NETWORK_HOST,
    BT_SVCSPEC_NETWORK_BRIDGE, /* parsed; bottled may refuse it for now */
};

enum bt_svcspec_readiness {
    BT_SVCSPEC_READY_EXEC, /* the default: ready once init has exec'd the command */
    BT_SVCSPEC_READY_SD_NOTIFY,
    BT_SVCSPEC_READY_HEALTH, /* the first passing health check; needs "health" */
    BT_SVCSPEC_READY_FD,     /* s6 style: the service writes a newline to ready_fd */
};

enum bt_svcspec_health_kind {
    BT_SVCSPEC_HEALTH_NONE, /* no "health": every other health field is 0/NULL */
    BT_SVCSPEC_HEALTH_EXEC,
    BT_SVCSPEC_HEALTH_TCP,
};

enum bt_svcspec_on_unhealthy {
    BT_SVCSPEC_UNHEALTHY_RESTART, /* the default: a failed health check is a failure */
    BT_SVCSPEC_UNHEALTHY_STOP,
    BT_SVCSPEC_UNHEALTHY_NONE, /* report only */
};

enum bt_svcspec_mount_type {
    BT_SVCSPEC_MOUNT_BIND, /* the default when "type" is absent */
    BT_SVCSPEC_MOUNT_TMPFS,
};

enum bt_svcspec_strategy {
    BT_SVCSPEC_ONE_FOR_ONE, /* the default */
    BT_SVCSPEC_ONE_FOR_ALL,
    BT_SVCSPEC_REST_FOR_ONE,
};

/* One of "ports": "[IP:]HOST:CONTAINER[/udp]" ("/tcp" is the default and may be written). */
struct bt_svcspec_port {
    char host_ip[46];   /* normalised IPv4 or IPv6 address (inet_ntop); "" when absent: all */
    uint16_t host_port; /* 1..65535 */
    uint16_t container_port;
    bool udp; /* false: tcp */
};

struct bt_svcspec_mount {
    enum bt_svcspec_mount_type type;
    char *source; /* bind: an absolute host path; tmpfs: NULL */
    char *target; /* absolute, no ".." component, not "/"; unique within the service */
    bool readonly;
};

struct bt_svcspec_health {
    enum bt_svcspec_health_kind kind;
    char **exec; /* EXEC: the command run in the container, NULL-terminated; else NULL */
    size_t exec_len;
    char *tcp_host;    /* TCP: host name or address without brackets, NULL when only a port was
                        * given (the container's loopback); else NULL */
    uint16_t tcp_port; /* TCP: 1..65535; else 0 */
    uint64_t interval_ms, timeout_ms, start_period_ms;
    uint32_t retries; /* consecutive failures that make the service unhealthy, >= 1 */
    enum bt_svcspec_on_unhealthy on_unhealthy;
};

/* A service. Every pointer is owned by the service; optional strings are NULL when absent;
 * lists have a _len and string lists are also NULL-terminated (env is an empty list, never
 * NULL). Durations are milliseconds ("timeout_s": 1.5 is 1500; specs are precise to 1 ms). */
struct bt_svcspec_service {
    char name[BT_SVCSPEC_NAME_MAX + 1];
    char *rootfs; /* absolute host path, or NULL when image is set (exactly one is set) */
    char *image;
    char **command; /* at least one entry */
    size_t command_len;
    char **env; /* NAME=VALUE, each NAME at most once */
    size_t env_len;
    char *workdir;  /* absolute, or NULL */
    char *user;     /* "uid[:gid]" or "name[:group]", resolved in the rootfs later; or NULL */
    char *hostname; /* or NULL: the caller uses the service's name */

    enum bt_svcspec_restart restart; /* default no */
    bool unless_stopped;             /* "unless-stopped": restart is ALWAYS */
    uint32_t max_failures;           /* "on-failure:N": N (1..INT32_MAX); 0: no limit */
    uint64_t success_exit_codes[4];  /* bit N of the 256: exit code N is not a failure; default
                                      * {0}. Test with bt_svcspec_exit_is_success */

    uint64_t backoff_initial_ms, backoff_max_ms, backoff_reset_ms;
    int stop_signal; /* 1..64, default SIGTERM */
    uint64_t stop_timeout_ms;
    uint64_t start_timeout_ms; /* 0: wait for readiness forever */

    /* resources: 0 means no limit */
    uint64_t memory;     /* bytes, 1M..1024P ("256M", "1g", "1.5GiB" or bytes in a spec) */
    uint32_t milli_cpus; /* "cpus": 0.5 is 500; 10..1024000 */
    uint32_t pids;       /* 1..4194304 */
    uint32_t io_weight;  /* 10..1000 */

    struct bt_rlimit *rlimits; /* sorted by resource, each at most once; soft <= hard */
    size_t rlimits_len;

    enum bt_svcspec_network network;
    struct bt_svcspec_port *ports; /* only with network bridge */
    size_t ports_len;
    struct bt_svcspec_mount *mounts;
    size_t mounts_len;

    enum bt_svcspec_readiness readiness;
    int ready_fd; /* READY_FD: 3..1023; else 0 */
    struct bt_svcspec_health health;
};

struct bt_svcspec_node;

/* A supervision tree: children start in order and stop in reverse order. */
struct bt_svcspec_tree {
    char name[BT_SVCSPEC_NAME_MAX + 1];
    enum bt_svcspec_strategy strategy;
    uint32_t max_restarts; /* more than this many restarts in period_ms escalate; 0..1000000 */
    uint64_t period_ms;
    struct bt_svcspec_node **children; /* at least one, owned */
    size_t children_len;
};

enum bt_svcspec_kind {
    BT_SVCSPEC_SERVICE,
    BT_SVCSPEC_TREE,
};

/* What one spec file holds, or one child of a tree: a service or a tree. */
struct bt_svcspec_node {
    enum bt_svcspec_kind kind;
    char *file; /* the file (label) it came from for a top-level node; NULL for a child */
    union {
        struct bt_svcspec_service service; /* kind == BT_SVCSPEC_SERVICE */
        struct bt_svcspec_tree tree;       /* kind == BT_SVCSPEC_TREE */
    };
};

/* The top-level nodes of a spec directory, in file-name order; free with bt_svcspec_list_free. */
struct bt_svcspec_list {
    struct bt_svcspec_node **nodes;
    size_t len;
};

/* Called by bt_svcspec_load_dir once per refused file with its one-line error. */
typedef void bt_svcspec_error_fn(const struct bt_err *err, void *data);

/* Parses the NUL-terminated TEXT of one spec file; messages name it FILE_LABEL. On success
 * stores a new node in *OUT (free it with bt_svcspec_free; its file is a copy of FILE_LABEL)
 * and returns 0. On failure leaves *OUT NULL, fills ERR with one line and returns -EINVAL (or
 * -ENOMEM). A message reads "FILE: KEY.PATH: reason" ("redis.json: restart: expected no,
 * on-failure[:N], always or unless-stopped, got 'sometimes'"), with key paths such as
 * "children[1].health.interval_s", or "FILE:LINE:COLUMN: invalid JSON: reason".
 *
 * Refused: unknown keys, wrong types, out-of-range values, duplicate keys, bad durations,
 * sizes, signals, ports and rlimits; relative paths; a service with both or neither of rootfs
 * and image, or without command; duplicate names anywhere in the file, env names, mount
 * targets or published host ports; ports without network bridge; readiness "health" without
 * health; a tree without children or nested deeper than BT_SVCSPEC_DEPTH_MAX. */
int bt_svcspec_parse(const char *text, const char *file_label, struct bt_svcspec_node **out,
                     struct bt_err *err);

/* Reads PATH (a regular file of at most BT_SVCSPEC_FILE_MAX bytes; messages name it PATH) and
 * parses it as bt_svcspec_parse. Returns 0, -EINVAL for a bad spec, or -errno when PATH cannot
 * be read ("PATH: No such file or directory"). */
int bt_svcspec_load_file(const char *path, struct bt_svcspec_node **out, struct bt_err *err);

/* Loads every NAME.json of DIR (NAME not starting with '.') in strcmp order into *OUT, which is
 * overwritten (not freed). A file that fails (a bad spec, unreadable, or a name that an earlier
 * file already uses, anywhere in its tree) is left out and reported to ON_ERROR (may be NULL) with
 * its message naming DIR/FILE; it never stops the others. Returns 0 when DIR could be read
 * (whatever the files held), or -errno with ERR filled and OUT empty. */
int bt_svcspec_load_dir(const char *dir, struct bt_svcspec_list *out, bt_svcspec_error_fn *on_error,
                        void *data, struct bt_err *err);

/* Frees NODE and everything it owns (a tree's children too). NULL is fine. */
void bt_svcspec_free(struct bt_svcspec_node *node);

/* Frees every node of LIST and its array, and leaves LIST empty. */
void bt_svcspec_list_free(struct bt_svcspec_list *list);

/* True when exit status CODE (0..255) is not a failure for SERVICE. */
bool bt_svcspec_exit_is_success(const struct bt_svcspec_service *service, int code);

/* Deep equality of two services, every field (name included): what a SIGHUP reload compares
 * to decide whether a running service is left alone. Lists compare in order (rlimits are
 * sorted, so their order in the file does not matter). */
bool bt_svcspec_equal(const struct bt_svcspec_service *a, const struct bt_svcspec_service *b);

/* Deep equality of two nodes: same kind; services as bt_svcspec_equal; trees by name,
 * strategy, intensity and their children in order. The file is ignored. */
bool bt_svcspec_node_equal(const struct bt_svcspec_node *a, const struct bt_svcspec_node *b);

/* The node named NAME in ROOT (ROOT itself or any descendant), or NULL. */
const struct bt_svcspec_node *bt_svcspec_find(const struct bt_svcspec_node *root, const char *name);

/* Serialises NODE (a service or a whole tree) into a new NUL-terminated, pretty-printed JSON
 * text ending with a newline, every default written out, that bt_svcspec_parse reads back into
 * an equal node. Stores it in *OUT (caller frees) and returns 0, or -ENOMEM with ERR filled. */
int bt_svcspec_to_json(const struct bt_svcspec_node *node, char **out, struct bt_err *err);

#endif
