/* One container's cgroup on cgroup v1, v2 (unified) and hybrid hosts, behind one interface:
 * layout detection from /proc/self/mountinfo (never hard-coded), create/join, limits, the
 * freezer, killing every process, OOM notification, stats and removal. Used by bottle-shim
 * and bottled; it must never kill or remove anything outside the cgroup it was given.
 *
 * Hierarchies used: v1, one directory per mounted controller hierarchy plus name=systemd;
 * v2, the unified one; hybrid, both, the cgroup2 mount holding membership only, so that its
 * core files (cgroup.kill, cgroup.freeze, cgroup.events) work even when it has no controller.
 * A resource is set where its controller lives: the v1 mount when one exists, otherwise the
 * unified hierarchy when its cgroup.controllers lists it.
 *
 * Every action returns 0 or -errno and fills the caller's struct bt_err (may be NULL). Not
 * async-signal-safe; nothing here may run between fork and exec. */
#ifndef BT_CGROUP_H
#define BT_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"

/* Limit values: BT_CGROUP_KEEP leaves the current setting alone (so a zeroed
 * struct bt_cgroup_resources changes nothing), BT_CGROUP_MAX means "no limit". */
#define BT_CGROUP_KEEP 0
#define BT_CGROUP_MAX  (-1)

#define BT_CGROUP_HIERARCHY_MAX 16
#define BT_CGROUP_MOUNT_MAX     256
#define BT_CGROUP_PATH_MAX      256

/* Freezing gives up (and thaws again) after this long. */
#define BT_CGROUP_FREEZE_TIMEOUT_MS 2000

enum bt_cgroup_mode {
    BT_CGROUP_MODE_NONE,    /* no cgroup filesystem mounted */
    BT_CGROUP_MODE_LEGACY,  /* v1 hierarchies only */
    BT_CGROUP_MODE_HYBRID,  /* v1 hierarchies plus a cgroup2 mount */
    BT_CGROUP_MODE_UNIFIED, /* cgroup2 only */
};

/* Controllers by their v1 name; BT_CGROUP_BLKIO is "io" on v2. devices and freezer exist only
 * as v1 controllers (v2 uses eBPF and the core cgroup.freeze), cpuacct only on v1 (v2 has the
 * core cpu.stat). */
enum bt_cgroup_controller {
    BT_CGROUP_CPU,
    BT_CGROUP_CPUACCT,
    BT_CGROUP_CPUSET,
    BT_CGROUP_MEMORY,
    BT_CGROUP_DEVICES,
    BT_CGROUP_FREEZER,
    BT_CGROUP_BLKIO,
    BT_CGROUP_PIDS,
    BT_CGROUP_HUGETLB,
    BT_CGROUP_NET_CLS,
    BT_CGROUP_NET_PRIO,
    BT_CGROUP_PERF_EVENT,
    BT_CGROUP_RDMA,
    BT_CGROUP_MISC,
    BT_CGROUP_CONTROLLER_COUNT
};

#define BT_CGROUP_BIT(controller) (1U << (controller))

struct bt_cgroup_hierarchy {
    char mount[BT_CGROUP_MOUNT_MAX]; /* mount point, e.g. /sys/fs/cgroup/memory */
    dev_t dev;                       /* its file system's device, from mountinfo */
    unsigned controllers;            /* BT_CGROUP_BIT()s: v1 bound controllers; v2 the ones
                                        listed in the mount's cgroup.controllers */
    bool unified;                    /* the cgroup2 hierarchy */
    bool systemd;                    /* the v1 name=systemd hierarchy */
};

struct bt_cgroup_layout {
    enum bt_cgroup_mode mode;
    int count;
    struct bt_cgroup_hierarchy hierarchies[BT_CGROUP_HIERARCHY_MAX];
};

/* Reads /proc/self/mountinfo. Returns 0, or -ENOENT when no cgroup filesystem is mounted. */
int bt_cgroup_layout_detect(struct bt_cgroup_layout *layout, struct bt_err *err);

/* The same from any mountinfo-format file (tests, or another process's /proc/PID/mountinfo).
 * The first mount of each hierarchy wins; v1 mounts of named hierarchies other than
 * name=systemd are ignored. */
int bt_cgroup_layout_parse(struct bt_cgroup_layout *layout, const char *mountinfo,
                           struct bt_err *err);

/* Where CONTROLLER's files are: its v1 hierarchy, else the unified one when it offers the
 * controller, else NULL. Points into LAYOUT. */
const struct bt_cgroup_hierarchy *bt_cgroup_layout_find(const struct bt_cgroup_layout *layout,
                                                        enum bt_cgroup_controller controller);

/* The cgroup2 hierarchy, or NULL. */
const struct bt_cgroup_hierarchy *bt_cgroup_layout_unified(const struct bt_cgroup_layout *layout);

/* "none", "legacy", "hybrid", "unified". */
const char *bt_cgroup_mode_name(enum bt_cgroup_mode mode);

/* The v1 name ("blkio", "memory"), or NULL for an out-of-range value. */
const char *bt_cgroup_controller_name(enum bt_cgroup_controller controller);

/* Flags for bt_cgroup_init. */
enum {
    /* Hybrid host: ignore the cgroup2 mount and behave exactly as on a pure v1 host (v1 freezer,
     * freeze+SIGKILL+thaw instead of cgroup.kill). */
    BT_CGROUP_V1_ONLY = 1 << 0,
};

/* One container's cgroup. Self-contained (holds a copy of the layout); no heap. */
struct bt_cgroup {
    struct bt_cgroup_layout layout;
    char path[BT_CGROUP_PATH_MAX]; /* normalised: no leading, trailing or doubled '/' */
    unsigned flags;
};

/* Prepares CG for PATH, e.g. "bottle/redis", below the root of every hierarchy; a leading '/'
 * means the same. Refuses (-EINVAL) an empty path, the root itself, "." and ".." components.
 * LAYOUT NULL detects the host's. Touches no file. */
int bt_cgroup_init(struct bt_cgroup *cg, const struct bt_cgroup_layout *layout, const char *path,
                   unsigned flags, struct bt_err *err);

/* Writes the cgroup's directory in hierarchy H ("MOUNT/PATH") into BUF. Returns 0 or
 * -ENAMETOOLONG. */
int bt_cgroup_dir(const struct bt_cgroup *cg, const struct bt_cgroup_hierarchy *h, char *buf,
                  size_t len);

/* mkdir -p in every hierarchy. v1 cpuset: each level's empty cpuset.cpus/mems is copied from
 * its parent (else nothing could join). v2: enables cpu, cpuset, io, memory and pids in
 * cgroup.subtree_control of every ancestor that offers them (not in the leaf, which holds
 * the processes). Idempotent: an existing cgroup is fine. */
int bt_cgroup_create(const struct bt_cgroup *cg, struct bt_err *err);

/* Moves PID (0: the caller) into the cgroup in every hierarchy (cgroup.procs). */
int bt_cgroup_join(const struct bt_cgroup *cg, pid_t pid, struct bt_err *err);

/* Limits. Every setter works on a populated cgroup too (live update); a controller that the
 * host lacks gives -ENOTSUP with a message naming it.
 *
 * Memory: LIMIT in bytes; SWAP is memory+swap (as OCI's memory.swap and docker's
 * --memory-swap): SWAP == LIMIT forbids swapping. v1 memory.limit_in_bytes and
 * memory.memsw.limit_in_bytes, written in the order the kernel accepts (memsw >= limit at
 * every step); v2 memory.max and memory.swap.max = SWAP - LIMIT. Asking for a swap limit
 * without swap accounting (no memsw / swap.max file) gives -ENOTSUP. */
int bt_cgroup_set_memory(const struct bt_cgroup *cg, int64_t limit, int64_t swap,
                         struct bt_err *err);

/* CPU bandwidth QUOTA_US per PERIOD_US (v1 cpu.cfs_quota_us/cfs_period_us, v2 cpu.max) and
 * SHARES (v1 cpu.shares; v2 cpu.weight = 1 + ((shares - 2) * 9999) / 262142, as runc/crun). */
int bt_cgroup_set_cpu(const struct bt_cgroup *cg, int64_t quota_us, uint64_t period_us,
                      uint64_t shares, struct bt_err *err);

/* Reads the bandwidth back: *QUOTA_US is BT_CGROUP_MAX when unlimited. */
int bt_cgroup_get_cpu(const struct bt_cgroup *cg, int64_t *quota_us, uint64_t *period_us,
                      struct bt_err *err);

/* cpuset.cpus / cpuset.mems ("0-3,5"); NULL leaves one alone. */
int bt_cgroup_set_cpuset(const struct bt_cgroup *cg, const char *cpus, const char *mems,
                         struct bt_err *err);

/* pids.max. */
int bt_cgroup_set_pids(const struct bt_cgroup *cg, int64_t max, struct bt_err *err);

/* Block I/O weight on the v1 scale (10..1000, docker's --blkio-weight). v1 blkio.weight
 * (CFQ) or blkio.bfq.weight (BFQ); -ENOTSUP when the scheduler offers neither. v2
 * io.bfq.weight when present, else io.weight = 1 + (weight - 10) * 9999 / 990. */
int bt_cgroup_set_io_weight(const struct bt_cgroup *cg, unsigned weight, struct bt_err *err);

/* One device rule, as OCI linux.resources.devices. */
struct bt_cgroup_device {
    bool allow;
    char type;      /* 'a' (all), 'b' or 'c' */
    int64_t major;  /* -1: any */
    int64_t minor;  /* -1: any */
    char access[4]; /* subset of "rwm"; "" means "rwm" */
};

/* Writes the rules in order to v1 devices.allow / devices.deny (so start with a deny-all
 * rule to get an allow-list); no rules is a no-op on every host. On a live cgroup a deny-all
 * followed by allows leaves a short window where the allowed devices are denied too. v2 needs an
 * eBPF program, which bottle does not load yet: -ENOTSUP, never a silent success. */
int bt_cgroup_set_devices(const struct bt_cgroup *cg, const struct bt_cgroup_device *rules,
                          size_t count, struct bt_err *err);

/* Everything at once; zeroed fields (BT_CGROUP_KEEP, NULL, 0) are left alone. */
struct bt_cgroup_resources {
    int64_t memory_limit;
    int64_t memory_swap;
    int64_t cpu_quota_us;
    uint64_t cpu_period_us;
    uint64_t cpu_shares;
    const char *cpuset_cpus;
    const char *cpuset_mems;
    int64_t pids_max;
    unsigned io_weight;
    const struct bt_cgroup_device *devices;
    size_t device_count;
};

int bt_cgroup_apply(const struct bt_cgroup *cg, const struct bt_cgroup_resources *resources,
                    struct bt_err *err);

/* Raw access to FILE of CONTROLLER's hierarchy ("memory.stat"). read: NUL-terminated, the
 * trailing newline removed; returns the length or -errno. */
int bt_cgroup_read(const struct bt_cgroup *cg, enum bt_cgroup_controller controller,
                   const char *file, char *buf, size_t len, struct bt_err *err);
int bt_cgroup_write(const struct bt_cgroup *cg, enum bt_cgroup_controller controller,
                    const char *file, const char *value, struct bt_err *err);

/* Freezer. The v2 core cgroup.freeze is used when the unified hierarchy is in use (v2 and
 * hybrid; it waits for "frozen 1" in cgroup.events), else the v1 freezer (writes FROZEN until
 * freezer.state reads FROZEN, kicking it with THAWED now and then, as runc does). Bounded by
 * BT_CGROUP_FREEZE_TIMEOUT_MS: on timeout the cgroup is thawed again and -EBUSY returned.
 * -ENOTSUP without any freezer. */
int bt_cgroup_freeze(const struct bt_cgroup *cg, struct bt_err *err);

/* Thaws the cgroup and every descendant in every freezer present (a cgroup frozen by the
 * other freezer, or a child frozen on its own, is thawed too) and waits up to 1 s for v2's
 * "frozen 0". Idempotent; a missing cgroup is not an error. */
int bt_cgroup_thaw(const struct bt_cgroup *cg, struct bt_err *err);

/* True when a freezer holds the cgroup frozen or freezing (a thaw is needed). */
bool bt_cgroup_is_frozen(const struct bt_cgroup *cg);

/* The same freezer without blocking, for event loops (bottled): bt_cgroup_freezer_begin writes
 * the request (FROZEN true: freeze, false: thaw) to the freezer bt_cgroup_freeze would use, and
 * bt_cgroup_freezer_check says whether the cgroup got there. v2: the state changes
 * asynchronously and F->events names the cgroup.events file whose modification (inotify
 * IN_MODIFY, or POLLPRI) says "check now". v1 (F->events empty): freezer.state goes FREEZING
 * -> FROZEN with no notification, so the caller checks again on a short timer; each check
 * writes the request again (and now and then thaws first, as bt_cgroup_freeze does, to get a
 * stalled FREEZING going). */
struct bt_cgroup_freezer {
    bool unified;           /* v2 cgroup.freeze, else v1 freezer.state */
    bool frozen;            /* the request */
    unsigned checks;        /* v1: how often it was checked */
    char dir[4096];         /* the cgroup's directory in the freezer's hierarchy */
    char events[4096 + 16]; /* v2: DIR/cgroup.events; v1: "" */
};

/* Returns 0, -ENOTSUP without any freezer, -ENOENT when the cgroup does not exist, or -errno. */
int bt_cgroup_freezer_begin(const struct bt_cgroup *cg, bool frozen, struct bt_cgroup_freezer *f,
                            struct bt_err *err);

/* 1 when the cgroup is in the requested state, 0 not yet, or -errno. */
int bt_cgroup_freezer_check(struct bt_cgroup_freezer *f, struct bt_err *err);

/* Sends SIGKILL to every process of the cgroup and its descendants, so that none survives
 * or escapes by forking. With cgroup.kill (v2/hybrid, Linux >= 5.14) one write does it (on
 * hybrid, it then waits up to 1 s for the killed to leave the v1 hierarchies too, and falls
 * back to the sweep for a process that joined v1 only). The sweep: freeze, SIGKILL every pid
 * in cgroup.procs of every hierarchy, thaw (the pids are read while frozen, so none can fork
 * or be recycled in between); without a working freezer, SIGKILL is repeated until the
 * cgroup is empty, for up to 5 s. Leaves the cgroup thawed. Returns 0 once every process has
 * a SIGKILL pending (they may still be exiting: see bt_cgroup_wait_empty), or -EBUSY when
 * processes remain after all that. Blocks: at most ~1 s on v2/hybrid, and
 * BT_CGROUP_FREEZE_TIMEOUT_MS + 5 s in the worst v1 case. */
int bt_cgroup_kill(const struct bt_cgroup *cg, struct bt_err *err);

/* Sends SIG to every process listed (no freeze: a pid that exits meanwhile may be recycled,
 * so prefer bt_cgroup_kill for SIGKILL). Returns the number signalled or -errno. */
int bt_cgroup_signal(const struct bt_cgroup *cg, int sig, struct bt_err *err);

/* True when no process is in the cgroup or a descendant, in any hierarchy (v2: cgroup.events
 * "populated 0"; v1: every cgroup.procs empty). Zombies do not count. A missing cgroup is
 * empty. */
bool bt_cgroup_is_empty(const struct bt_cgroup *cg);

/* Waits up to TIMEOUT_MS (< 0: forever) for bt_cgroup_is_empty. Sleeps in poll(POLLPRI) on
 * cgroup.events where the unified hierarchy is in use, else in short sleeps (1..20 ms).
 * Returns 0 or -ETIMEDOUT. */
int bt_cgroup_wait_empty(const struct bt_cgroup *cg, int timeout_ms, struct bt_err *err);

/* Calls FN for every pid in the cgroup and its descendants, read from one hierarchy (the
 * unified one if used, else the freezer's, else the first). Stops at and returns FN's
 * non-zero value. */
int bt_cgroup_for_each_pid(const struct bt_cgroup *cg, int (*fn)(pid_t pid, void *data), void *data,
                           struct bt_err *err);

/* OOM notification: returns an fd (O_CLOEXEC, O_NONBLOCK; the caller closes it) that becomes
 * readable after an OOM event in the cgroup. v1: an eventfd registered on memory.oom_control
 * through cgroup.event_control; it also fires once when the cgroup is removed. v2: an inotify
 * fd watching memory.events (IN_MODIFY), which fires on any change of that file (high, max,
 * oom, oom_kill). Either way the fd only says "look now": drain it with bt_cgroup_oom_drain
 * and compare bt_cgroup_oom_kills with the last value. poll(2) or uv_poll on the fd works. */
int bt_cgroup_oom_fd(const struct bt_cgroup *cg, struct bt_err *err);

/* Reads everything pending from an fd of bt_cgroup_oom_fd. Returns the number of
 * notifications (eventfd counter or inotify events), 0 when none, or -errno. */
int bt_cgroup_oom_drain(int fd);

/* The number of processes the OOM killer killed in the cgroup: v1 "oom_kill N" of
 * memory.oom_control (Linux >= 4.13), v2 "oom_kill N" of memory.events. */
int bt_cgroup_oom_kills(const struct bt_cgroup *cg, uint64_t *count, struct bt_err *err);

/* Stats; a field the host cannot provide is BT_CGROUP_STAT_NONE. */
#define BT_CGROUP_STAT_NONE UINT64_MAX
struct bt_cgroup_stats {
    uint64_t memory_usage; /* bytes: v1 memory.usage_in_bytes, v2 memory.current */
    uint64_t memory_limit; /* bytes, BT_CGROUP_STAT_NONE when unlimited or unknown */
    uint64_t cpu_usage_ns; /* v1 cpuacct.usage, v2 cpu.stat usage_usec * 1000 */
    uint64_t pids_current; /* pids.current */
    uint64_t pids_limit;   /* pids.max, BT_CGROUP_STAT_NONE when unlimited or unknown */
    uint64_t oom_kills;
};

int bt_cgroup_stats(const struct bt_cgroup *cg, struct bt_cgroup_stats *stats, struct bt_err *err);

/* Removes the cgroup and every descendant from every hierarchy (children first): thaws,
 * kills what is left (bt_cgroup_kill) and waits up to TIMEOUT_MS for it to empty. Idempotent,
 * also for leftovers of a crashed run (a directory missing from some hierarchies, nested
 * cgroups the container made). Parents ("bottle") are left in place. -EBUSY when processes
 * remain after TIMEOUT_MS. */
int bt_cgroup_remove(const struct bt_cgroup *cg, int timeout_ms, struct bt_err *err);

/* True when the cgroup's directory exists in at least one hierarchy. */
bool bt_cgroup_exists(const struct bt_cgroup *cg);

#endif
