/* bottle-shim: creates one container from an OCI bundle and babysits it. It is the container
 * init's parent (only it can wait for it), owns its stdio and log, and records its exit
 * status in the state dir before it tells anyone. It must never leave a mount, cgroup,
 * netns or directory behind when the container is deleted. */
#ifndef BT_SHIM_H
#define BT_SHIM_H

#include <stdbool.h>
#include <sys/types.h>

#include "cgroup.h"
#include "err.h"
#include "spec.h"

#define SHIM_INIT_ARGS_MAX 16

struct shim_options {
    const char *bundle;        /* the OCI bundle directory */
    const char *id;            /* the container's name: [A-Za-z0-9][A-Za-z0-9_.-]{0,63} */
    const char *state_root;    /* --state, default /run/bottle */
    const char *init_path;     /* bottle-init on the host (default: beside bottle-shim) */
    const char *cgroup_parent; /* default "bottle"; spec's cgroupsPath wins */
    bool foreground;           /* stay attached: `bottle run` */
    bool netns_name;           /* bind-mount a new net ns at /run/netns/ID */
    bool remove_bundle;        /* the bundle was made for this run: delete it at the end */
    const char *init_args[SHIM_INIT_ARGS_MAX + 1]; /* extra bottle-init options */
    int init_args_count;
    int ready_fd; /* detached: where to report "started" or the error, or -1 */
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

/* Waits for the init to exit, forwarding the signals bottle-shim receives (foreground) and
 * serving the control socket (detached). Returns the init's wait status. */
int shim_run(struct shim_container *container);

#endif
