/* What a cgroup reports: the OOM notification fd (inotify on v2's memory.events, an eventfd
 * on v1's memory.oom_control), the OOM kill count and the usage statistics. Only reads, except
 * for registering the v1 eventfd. */
#include "cgroup-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "cleanup.h"

int bt_cgroup_oom_fd(const struct bt_cgroup *cg, struct bt_err *err)
{
    char dir[PATH_MAX], path[PATH_MAX];
    bool unified;
    int ret = bt_cgroup_i_locate(cg, BT_CGROUP_MEMORY, dir, sizeof(dir), &unified, err);
    if (ret < 0)
        return bt_err_wrap(err, "cgroup %s", cg->path);
    if (unified) {
        if (bt_cgroup_i_join_path(path, sizeof(path), dir, "memory.events") < 0)
            return bt_err_msg(err, ENAMETOOLONG, "cgroup path too long: %s", cg->path);
        cleanup_close int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (fd < 0)
            return bt_err_sys(err, errno, "inotify_init1");
        if (inotify_add_watch(fd, path, IN_MODIFY) < 0)
            return bt_err_sys(err, errno, "inotify_add_watch %s", path);
        return bt_take_fd(&fd);
    }
    if (bt_cgroup_i_join_path(path, sizeof(path), dir, "memory.oom_control") < 0)
        return bt_err_msg(err, ENAMETOOLONG, "cgroup path too long: %s", cg->path);
    cleanup_close int control = open(path, O_RDONLY | O_CLOEXEC);
    if (control < 0)
        return bt_err_sys(err, errno, "open %s", path);
    cleanup_close int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd < 0)
        return bt_err_sys(err, errno, "eventfd");
    /* The kernel keeps its own reference to the control file; ours can go. */
    char line[64];
    snprintf(line, sizeof(line), "%d %d", fd, control);
    ret = bt_cgroup_i_write_at(dir, "cgroup.event_control", line, err);
    if (ret < 0)
        return bt_err_wrap(err, "register OOM notification of cgroup %s", cg->path);
    return bt_take_fd(&fd);
}

int bt_cgroup_oom_drain(int fd)
{
    int count = 0;
    for (;;) {
        char buf[4096] __attribute__((aligned(8)));
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno == EAGAIN ? count : -errno;
        if (n == 0)
            return count;
        if (n == sizeof(uint64_t)) { /* eventfd: the number of events */
            uint64_t value;
            memcpy(&value, buf, sizeof(value));
            count += (int)value;
            continue;
        }
        for (ssize_t off = 0; off + (ssize_t)sizeof(struct inotify_event) <= n;) {
            struct inotify_event event;
            memcpy(&event, buf + off, sizeof(event));
            off += (ssize_t)(sizeof(event) + event.len);
            count++;
        }
    }
}

int bt_cgroup_oom_kills(const struct bt_cgroup *cg, uint64_t *count, struct bt_err *err)
{
    char dir[PATH_MAX];
    bool unified;
    int ret = bt_cgroup_i_locate(cg, BT_CGROUP_MEMORY, dir, sizeof(dir), &unified, err);
    if (ret < 0)
        return bt_err_wrap(err, "cgroup %s", cg->path);
    const char *file = unified ? "memory.events" : "memory.oom_control";
    ret = bt_cgroup_i_read_key(dir, file, "oom_kill", count);
    if (ret == -ENODATA)
        return bt_err_msg(err, ENOTSUP, "%s/%s has no oom_kill count (Linux < 4.13)", dir, file);
    return ret < 0 ? bt_err_sys(err, -ret, "read %s/%s", dir, file) : 0;
}

int bt_cgroup_stats(const struct bt_cgroup *cg, struct bt_cgroup_stats *stats, struct bt_err *err)
{
    stats->memory_usage = stats->memory_limit = stats->cpu_usage_ns = BT_CGROUP_STAT_NONE;
    stats->pids_current = stats->pids_limit = stats->oom_kills = BT_CGROUP_STAT_NONE;
    if (!bt_cgroup_exists(cg))
        return bt_err_msg(err, ENOENT, "cgroup %s does not exist", cg->path);
    char dir[PATH_MAX];
    bool unified;
    if (bt_cgroup_i_locate(cg, BT_CGROUP_MEMORY, dir, sizeof(dir), &unified, NULL) == 0) {
        bt_cgroup_i_read_u64(dir, unified ? "memory.current" : "memory.usage_in_bytes",
                             &stats->memory_usage);
        bt_cgroup_i_read_u64(dir, unified ? "memory.max" : "memory.limit_in_bytes",
                             &stats->memory_limit);
        /* v1 reports "unlimited" as the largest page-aligned value. */
        if (stats->memory_limit >= (UINT64_MAX >> 2))
            stats->memory_limit = BT_CGROUP_STAT_NONE;
        bt_cgroup_oom_kills(cg, &stats->oom_kills, NULL);
    }
    const struct bt_cgroup_hierarchy *h = bt_cgroup_layout_find(&cg->layout, BT_CGROUP_CPUACCT);
    if (h && bt_cgroup_dir(cg, h, dir, sizeof(dir)) == 0) {
        bt_cgroup_i_read_u64(dir, "cpuacct.usage", &stats->cpu_usage_ns);
    } else if ((h = bt_cgroup_layout_unified(&cg->layout)) &&
               bt_cgroup_dir(cg, h, dir, sizeof(dir)) == 0) {
        uint64_t usec; /* core cpu.stat: there with or without the cpu controller */
        if (bt_cgroup_i_read_key(dir, "cpu.stat", "usage_usec", &usec) == 0)
            stats->cpu_usage_ns = usec * 1000;
    }
    if (bt_cgroup_i_locate(cg, BT_CGROUP_PIDS, dir, sizeof(dir), NULL, NULL) == 0) {
        bt_cgroup_i_read_u64(dir, "pids.current", &stats->pids_current);
        bt_cgroup_i_read_u64(dir, "pids.max", &stats->pids_limit); /* "max": UINT64_MAX */
    }
    return 0;
}
