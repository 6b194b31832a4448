/* The processes of one cgroup: listing and signalling them, waiting for the cgroup to empty,
 * the v1 and v2 freezers, and the kill that freezes, signals and thaws. Never signals the
 * caller, even when it is a member by mistake. */
#include "cgroup-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"

/* How long bt_cgroup_kill repeats SIGKILL when it cannot freeze the cgroup. */
#define KILL_TIMEOUT_MS 5000

/* ---- processes ------------------------------------------------------------------------ */

struct pid_visit {
    int (*fn)(pid_t pid, void *data);
    void *data;
};

/* Calls FN for every pid in DIR/cgroup.procs, read in chunks so that any number fits. */
static int read_pids(const char *dir, void *data)
{
    const struct pid_visit *visit = data;
    char path[PATH_MAX], buf[4096];
    if (bt_cgroup_i_join_path(path, sizeof(path), dir, "cgroup.procs") < 0)
        return -ENAMETOOLONG;
    cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : -errno;
    size_t have = 0;
    for (;;) {
        ssize_t n = read(fd, buf + have, sizeof(buf) - 1 - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno == ENODEV ? 0 : -errno; /* removed under us */
        have += (size_t)n;
        buf[have] = '\0';
        char *line = buf, *newline;
        while ((newline = strchr(line, '\n')) || (n == 0 && *line)) {
            if (newline)
                *newline = '\0';
            long pid = strtol(line, NULL, 10);
            int ret = pid > 0 ? visit->fn((pid_t)pid, visit->data) : 0;
            if (ret != 0)
                return ret;
            line = newline ? newline + 1 : line + strlen(line);
        }
        if (n == 0)
            return 0;
        have = strlen(line);
        memmove(buf, line, have);
    }
}

static int stop_at_first(pid_t pid, void *data)
{
    (void)pid;
    (void)data;
    return 1;
}

static bool hierarchy_empty(const struct bt_cgroup *cg, const struct bt_cgroup_hierarchy *h)
{
    if (h->unified) {
        char dir[PATH_MAX];
        uint64_t populated;
        if (bt_cgroup_dir(cg, h, dir, sizeof(dir)) < 0)
            return false;
        int ret = bt_cgroup_i_read_key(dir, "cgroup.events", "populated", &populated);
        if (ret == 0 || ret == -ENOENT)
            return ret == -ENOENT || populated == 0;
    }
    struct pid_visit visit = {stop_at_first, NULL};
    return bt_cgroup_i_walk_hierarchy(cg, h, false, read_pids, &visit) == 0;
}

bool bt_cgroup_is_empty(const struct bt_cgroup *cg)
{
    for (int i = 0; i < cg->layout.count; i++) {
        if (!hierarchy_empty(cg, &cg->layout.hierarchies[i]))
            return false;
    }
    return true;
}

/* Opens cgroup.events of the unified hierarchy, whose poll(2) reports POLLPRI on change. */
static int open_events(const struct bt_cgroup *cg)
{
    const struct bt_cgroup_hierarchy *h = bt_cgroup_layout_unified(&cg->layout);
    char dir[PATH_MAX], path[PATH_MAX];
    if (!h || bt_cgroup_dir(cg, h, dir, sizeof(dir)) < 0 ||
        bt_cgroup_i_join_path(path, sizeof(path), dir, "cgroup.events") < 0)
        return -1;
    return open(path, O_RDONLY | O_CLOEXEC);
}

/* Reads the whole of an events fd again: kernfs re-arms POLLPRI on read. */
static int reread(int fd, char *buf, size_t len)
{
    if (lseek(fd, 0, SEEK_SET) < 0)
        return -errno;
    ssize_t n = read(fd, buf, len - 1);
    if (n < 0)
        return -errno;
    buf[n] = '\0';
    return (int)n;
}

int bt_cgroup_wait_empty(const struct bt_cgroup *cg, int timeout_ms, struct bt_err *err)
{
    int64_t deadline = bt_cgroup_i_now_ms() + (timeout_ms < 0 ? 0 : timeout_ms);
    cleanup_close int fd = open_events(cg);
    int delay = 1;
    for (;;) {
        char buf[256];
        if (fd >= 0)
            reread(fd, buf, sizeof(buf));
        if (bt_cgroup_is_empty(cg))
            return 0;
        int64_t left = timeout_ms < 0 ? 1000 : deadline - bt_cgroup_i_now_ms();
        if (left <= 0)
            return bt_err_msg(err, ETIMEDOUT, "cgroup %s still has processes after %d ms", cg->path,
                              timeout_ms);
        if (fd >= 0) {
            /* The cap covers v1 hierarchies of a hybrid host, which give no event. */
            struct pollfd pfd = {.fd = fd, .events = POLLPRI};
            poll(&pfd, 1, (int)(left < 50 ? left : 50));
        } else {
            bt_cgroup_i_sleep_ms((int)(left < delay ? left : delay));
            delay = delay * 2 > 20 ? 20 : delay * 2;
        }
    }
}

static int call_fn(pid_t pid, void *data)
{
    const struct pid_visit *visit = data;
    return visit->fn(pid, visit->data);
}

/* The hierarchy whose membership stands for the cgroup's. */
static const struct bt_cgroup_hierarchy *primary(const struct bt_cgroup *cg)
{
    const struct bt_cgroup_hierarchy *h = bt_cgroup_layout_unified(&cg->layout);
    if (!h)
        h = bt_cgroup_layout_find(&cg->layout, BT_CGROUP_FREEZER);
    return h ? h : &cg->layout.hierarchies[0];
}

int bt_cgroup_for_each_pid(const struct bt_cgroup *cg, int (*fn)(pid_t pid, void *data), void *data,
                           struct bt_err *err)
{
    struct pid_visit inner = {fn, data};
    struct pid_visit visit = {call_fn, &inner};
    int ret = bt_cgroup_i_walk_hierarchy(cg, primary(cg), false, read_pids, &visit);
    return ret < 0 ? bt_err_sys(err, -ret, "list processes of cgroup %s", cg->path) : ret;
}

struct signal_job {
    int sig;
    int count;
};

static int send_signal(pid_t pid, void *data)
{
    struct signal_job *job = data;
    /* Never the caller, should it be a member by mistake. */
    if (pid != getpid() && kill(pid, job->sig) == 0)
        job->count++;
    return 0;
}

/* Signals every pid of every hierarchy (a process joined to some hierarchies only is found
 * too; a second signal to the same process is harmless). */
static int signal_everywhere(const struct bt_cgroup *cg, int sig)
{
    struct signal_job job = {sig, 0};
    struct pid_visit visit = {send_signal, &job};
    for (int i = 0; i < cg->layout.count; i++)
        bt_cgroup_i_walk_hierarchy(cg, &cg->layout.hierarchies[i], false, read_pids, &visit);
    return job.count;
}

int bt_cgroup_signal(const struct bt_cgroup *cg, int sig, struct bt_err *err)
{
    struct signal_job job = {sig, 0};
    struct pid_visit visit = {send_signal, &job};
    int ret = bt_cgroup_i_walk_hierarchy(cg, primary(cg), false, read_pids, &visit);
    return ret < 0 ? bt_err_sys(err, -ret, "signal processes of cgroup %s", cg->path) : job.count;
}

/* ---- freezer -------------------------------------------------------------------------- */

/* Waits for "KEY WANT" in DIR/cgroup.events. Returns 0, -ETIMEDOUT or -errno. */
static int wait_event_value(const char *dir, const char *key, uint64_t want, int timeout_ms)
{
    char path[PATH_MAX], buf[256];
    if (bt_cgroup_i_join_path(path, sizeof(path), dir, "cgroup.events") < 0)
        return -ENAMETOOLONG;
    cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int64_t deadline = bt_cgroup_i_now_ms() + timeout_ms;
    for (;;) {
        uint64_t value;
        int ret = reread(fd, buf, sizeof(buf));
        if (ret < 0)
            return ret;
        if (bt_cgroup_i_find_key(buf, key, &value) == 0 && value == want)
            return 0;
        int64_t left = deadline - bt_cgroup_i_now_ms();
        if (left <= 0)
            return -ETIMEDOUT;
        struct pollfd pfd = {.fd = fd, .events = POLLPRI};
        poll(&pfd, 1, (int)(left < 100 ? left : 100));
    }
}

/* The v2 core freezer's directory when the unified hierarchy is used and has one (>= 5.2). */
static bool v2_freezer(const struct bt_cgroup *cg, char *dir, size_t len)
{
    const struct bt_cgroup_hierarchy *h = bt_cgroup_layout_unified(&cg->layout);
    return h && bt_cgroup_dir(cg, h, dir, len) == 0 &&
           bt_cgroup_i_file_exists(dir, "cgroup.freeze");
}

static bool v1_freezer(const struct bt_cgroup *cg, char *dir, size_t len)
{
    const struct bt_cgroup_hierarchy *h = bt_cgroup_layout_find(&cg->layout, BT_CGROUP_FREEZER);
    return h && !h->unified && bt_cgroup_dir(cg, h, dir, len) == 0;
}

static int freeze_v1(const char *dir, struct bt_err *err)
{
    int64_t deadline = bt_cgroup_i_now_ms() + BT_CGROUP_FREEZE_TIMEOUT_MS;
    char state[32] = "";
    for (int i = 0;; i++) {
        /* A freeze can stall in FREEZING (a task in vfork, or forking while the freezer walks
         * the cgroup): thawing and freezing again gets it going, as runc does. */
        if (i % 50 == 49) {
            bt_cgroup_i_write_at(dir, "freezer.state", "THAWED", NULL);
            bt_cgroup_i_sleep_ms(1);
        }
        int ret = bt_cgroup_i_write_at(dir, "freezer.state", "FROZEN", err);
        if (ret < 0)
            return ret;
        ret = bt_cgroup_i_read_at(dir, "freezer.state", state, sizeof(state));
        if (ret < 0)
            return bt_err_sys(err, -ret, "read %s/freezer.state", dir);
        if (strcmp(state, "FROZEN") == 0)
            return 0;
        if (bt_cgroup_i_now_ms() >= deadline)
            break;
        bt_cgroup_i_sleep_ms(i < 10 ? 1 : 10);
    }
    bt_cgroup_i_write_at(dir, "freezer.state", "THAWED", NULL);
    return bt_err_msg(err, EBUSY, "%s/freezer.state still %s after %d ms", dir, state,
                      BT_CGROUP_FREEZE_TIMEOUT_MS);
}

static int freeze_v2(const char *dir, struct bt_err *err)
{
    int ret = bt_cgroup_i_write_at(dir, "cgroup.freeze", "1", err);
    if (ret < 0)
        return ret;
    ret = wait_event_value(dir, "frozen", 1, BT_CGROUP_FREEZE_TIMEOUT_MS);
    if (ret == 0)
        return 0;
    bt_cgroup_i_write_at(dir, "cgroup.freeze", "0", NULL);
    if (ret == -ETIMEDOUT)
        return bt_err_msg(err, EBUSY, "%s: not frozen after %d ms", dir,
                          BT_CGROUP_FREEZE_TIMEOUT_MS);
    return bt_err_sys(err, -ret, "read %s/cgroup.events", dir);
}

/* PREFER_V1 picks the v1 freezer when both exist (the kill sweep: v1 membership). */
static int freeze(const struct bt_cgroup *cg, bool prefer_v1, struct bt_err *err)
{
    char dir[PATH_MAX];
    if (prefer_v1 && v1_freezer(cg, dir, sizeof(dir)))
        return freeze_v1(dir, err);
    if (v2_freezer(cg, dir, sizeof(dir)))
        return freeze_v2(dir, err);
    if (v1_freezer(cg, dir, sizeof(dir)))
        return freeze_v1(dir, err);
    return bt_err_msg(err, ENOTSUP, "cgroup %s: no freezer (no v1 freezer mount, no cgroup2)",
                      cg->path);
}

int bt_cgroup_freeze(const struct bt_cgroup *cg, struct bt_err *err)
{
    int ret = freeze(cg, false, err);
    return ret < 0 ? bt_err_wrap(err, "freeze cgroup %s", cg->path) : 0;
}

/* Writes a thaw; a cgroup that is gone (or never had the file) needs none. */
static int thaw_dir(const char *dir, const char *file, const char *value, struct bt_err *err)
{
    int ret = bt_cgroup_i_write_at(dir, file, value, NULL);
    if (ret == -ENOENT)
        return 0;
    return ret < 0 ? bt_err_sys(err, -ret, "write %s to %s/%s", value, dir, file) : 0;
}

static int thaw_v1_dir(const char *dir, void *data)
{
    return thaw_dir(dir, "freezer.state", "THAWED", data);
}

static int thaw_v2_dir(const char *dir, void *data)
{
    return thaw_dir(dir, "cgroup.freeze", "0", data);
}

int bt_cgroup_thaw(const struct bt_cgroup *cg, struct bt_err *err)
{
    /* Every freezer and every descendant: a cgroup frozen by itself stays frozen when only its
     * parent is thawed, and on v1 a SIGKILLed task only dies once thawed. */
    int ret = 0;
    for (int i = 0; i < cg->layout.count && ret == 0; i++) {
        const struct bt_cgroup_hierarchy *h = &cg->layout.hierarchies[i];
        if (h->unified)
            ret = bt_cgroup_i_walk_hierarchy(cg, h, false, thaw_v2_dir, err);
        else if (h->controllers & BT_CGROUP_BIT(BT_CGROUP_FREEZER))
            ret = bt_cgroup_i_walk_hierarchy(cg, h, false, thaw_v1_dir, err);
    }
    char dir[PATH_MAX];
    if (ret == 0 && v2_freezer(cg, dir, sizeof(dir)))
        wait_event_value(dir, "frozen", 0, 1000);
    return ret < 0 ? bt_err_wrap(err, "thaw cgroup %s", cg->path) : 0;
}

bool bt_cgroup_is_frozen(const struct bt_cgroup *cg)
{
    char dir[PATH_MAX], text[32];
    uint64_t frozen;
    if (v1_freezer(cg, dir, sizeof(dir)) &&
        bt_cgroup_i_read_at(dir, "freezer.state", text, sizeof(text)) > 0 &&
        strcmp(text, "THAWED") != 0)
        return true;
    if (v2_freezer(cg, dir, sizeof(dir))) {
        if (bt_cgroup_i_read_at(dir, "cgroup.freeze", text, sizeof(text)) > 0 &&
            strcmp(text, "1") == 0)
            return true;
        if (bt_cgroup_i_read_key(dir, "cgroup.events", "frozen", &frozen) == 0 && frozen)
            return true;
    }
    return false;
}

int bt_cgroup_freezer_begin(const struct bt_cgroup *cg, bool frozen, struct bt_cgroup_freezer *f,
                            struct bt_err *err)
{
    memset(f, 0, sizeof(*f));
    f->frozen = frozen;
    if (v2_freezer(cg, f->dir, sizeof(f->dir))) {
        f->unified = true;
        if (bt_cgroup_i_join_path(f->events, sizeof(f->events), f->dir, "cgroup.events") < 0)
            return bt_err_msg(err, ENAMETOOLONG, "cgroup %s: path too long", cg->path);
        return bt_cgroup_i_write_at(f->dir, "cgroup.freeze", frozen ? "1" : "0", err);
    }
    if (!v1_freezer(cg, f->dir, sizeof(f->dir)))
        return bt_err_msg(err, ENOTSUP, "cgroup %s: no freezer (no v1 freezer mount, no cgroup2)",
                          cg->path);
    return bt_cgroup_i_write_at(f->dir, "freezer.state", frozen ? "FROZEN" : "THAWED", err);
}

int bt_cgroup_freezer_check(struct bt_cgroup_freezer *f, struct bt_err *err)
{
    if (f->unified) {
        uint64_t value;
        int ret = bt_cgroup_i_read_key(f->dir, "cgroup.events", "frozen", &value);
        if (ret < 0)
            return bt_err_sys(err, -ret, "read %s", f->events);
        return value == (f->frozen ? 1 : 0);
    }
    char state[32];
    int ret = bt_cgroup_i_read_at(f->dir, "freezer.state", state, sizeof(state));
    if (ret < 0)
        return bt_err_sys(err, -ret, "read %s/freezer.state", f->dir);
    if (strcmp(state, f->frozen ? "FROZEN" : "THAWED") == 0)
        return 1;
    /* FREEZING: a task in vfork, or forking while the freezer walks the cgroup, can stall it;
     * thawing and freezing again gets it going, as in freeze_v1. */
    if (f->frozen && ++f->checks % 50 == 0)
        bt_cgroup_i_write_at(f->dir, "freezer.state", "THAWED", NULL);
    ret = bt_cgroup_i_write_at(f->dir, "freezer.state", f->frozen ? "FROZEN" : "THAWED", err);
    return ret < 0 ? ret : 0;
}

/* ---- kill ----------------------------------------------------------------------------- */

static int count_pid(pid_t pid, void *data)
{
    (void)pid;
    (*(int *)data)++;
    return 0;
}

int bt_cgroup_kill(const struct bt_cgroup *cg, struct bt_err *err)
{
    const struct bt_cgroup_hierarchy *u = bt_cgroup_layout_unified(&cg->layout);
    char dir[PATH_MAX];
    if (u && bt_cgroup_dir(cg, u, dir, sizeof(dir)) == 0 &&
        bt_cgroup_i_file_exists(dir, "cgroup.kill")) {
        /* Linux >= 5.14: the kernel kills the whole subtree, forks included, frozen or not. */
        int ret = bt_cgroup_i_write_at(dir, "cgroup.kill", "1", NULL);
        if (ret < 0 && ret != -ENOENT) /* ENOENT: removed meanwhile */
            return bt_err_sys(err, -ret, "kill cgroup %s: write 1 to %s/cgroup.kill", cg->path,
                              dir);
        /* The v2 freezer lets SIGKILL through; thaw anyway so that the cgroup can be reused
         * (a restart into a cgroup left frozen would freeze the new init at once). */
        if (ret == 0 && bt_cgroup_is_frozen(cg))
            bt_cgroup_thaw(cg, NULL);
        if (ret == 0 && cg->layout.mode == BT_CGROUP_MODE_UNIFIED)
            return 0;
        /* Hybrid: a process that joined only v1 hierarchies would survive; those the kernel
         * just killed leave within milliseconds. */
        if (ret == 0 && bt_cgroup_wait_empty(cg, 1000, NULL) == 0)
            return 0;
    }

    int64_t deadline = bt_cgroup_i_now_ms() + KILL_TIMEOUT_MS;
    bool v1 = cg->layout.mode != BT_CGROUP_MODE_UNIFIED, try_freeze = true;
    for (int round = 0; bt_cgroup_i_now_ms() < deadline; round++) {
        if (bt_cgroup_is_empty(cg))
            return 0;
        /* Frozen, nothing can fork or exit, so the pids read are exactly the members and none
         * is recycled before it gets its SIGKILL (which v1 delivers at the thaw). A freeze
         * that failed once (a task stuck in the kernel) is not waited for again. */
        struct bt_err freeze_err = {0};
        bool frozen = try_freeze && freeze(cg, v1, &freeze_err) == 0;
        if (!frozen && try_freeze)
            bt_log_debug("cgroup: kill without freezing: %s", freeze_err.msg);
        try_freeze = frozen;
        int count = signal_everywhere(cg, SIGKILL);
        bt_cgroup_thaw(cg, NULL);
        bt_log_debug("cgroup %s: kill round %d: %d processes%s", cg->path, round, count,
                     frozen ? " (frozen)" : "");
        if (frozen)
            return 0;
        bt_cgroup_wait_empty(cg, round < 10 ? 10 * (round + 1) : 100, NULL);
    }
    int left = 0;
    bt_cgroup_for_each_pid(cg, count_pid, &left, NULL);
    if (left == 0 && bt_cgroup_is_empty(cg))
        return 0;
    return bt_err_msg(err, EBUSY,
                      "kill cgroup %s: %d processes still there after %d ms of SIGKILL (stuck "
                      "in the kernel, or forking with no freezer to stop them)",
                      cg->path, left, KILL_TIMEOUT_MS);
}
