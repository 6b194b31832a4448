/* The resource limits of one cgroup: memory, cpu, cpuset, pids, io weight and device rules,
 * each written the way v1 or v2 wants it. A setter only writes the limits it is given, and only
 * in the cgroup's own directories. */
#include "cgroup-internal.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void format_limit(char *buf, size_t len, int64_t value, bool unified)
{
    if (value == BT_CGROUP_MAX)
        snprintf(buf, len, "%s", unified ? "max" : "-1");
    else
        snprintf(buf, len, "%" PRId64, value);
}

static int set_memory_v1(const char *dir, int64_t limit, int64_t swap, struct bt_err *err)
{
    char limit_text[32], swap_text[32];
    format_limit(limit_text, sizeof(limit_text), limit, false);
    bool have_memsw = bt_cgroup_i_file_exists(dir, "memory.memsw.limit_in_bytes");
    /* runc: unlimited memory with the swap left alone makes memory+swap unlimited too. */
    if (limit == BT_CGROUP_MAX && swap == BT_CGROUP_KEEP && have_memsw)
        swap = BT_CGROUP_MAX;
    if (swap != BT_CGROUP_KEEP && !have_memsw) {
        if (swap == BT_CGROUP_MAX)
            swap = BT_CGROUP_KEEP; /* nothing to lift without swap accounting */
        else
            return bt_err_msg(err, ENOTSUP,
                              "%s: no memory.memsw.limit_in_bytes: a swap limit needs swap "
                              "accounting (boot with swapaccount=1)",
                              dir);
    }
    format_limit(swap_text, sizeof(swap_text), swap, false);
    if (swap == BT_CGROUP_KEEP)
        return bt_cgroup_i_write_at(dir, "memory.limit_in_bytes", limit_text, err);
    if (limit == BT_CGROUP_KEEP)
        return bt_cgroup_i_write_at(dir, "memory.memsw.limit_in_bytes", swap_text, err);

    /* The kernel keeps limit <= memsw at every step: raise memsw first when the new memsw is
     * above the current limit, lower the limit first otherwise (runc's order). */
    uint64_t current;
    int ret = bt_cgroup_i_read_u64(dir, "memory.limit_in_bytes", &current);
    if (ret < 0)
        return bt_err_sys(err, -ret, "read %s/memory.limit_in_bytes", dir);
    if (swap == BT_CGROUP_MAX || (uint64_t)swap > current) {
        ret = bt_cgroup_i_write_at(dir, "memory.memsw.limit_in_bytes", swap_text, err);
        return ret < 0 ? ret : bt_cgroup_i_write_at(dir, "memory.limit_in_bytes", limit_text, err);
    }
    ret = bt_cgroup_i_write_at(dir, "memory.limit_in_bytes", limit_text, err);
    return ret < 0 ? ret : bt_cgroup_i_write_at(dir, "memory.memsw.limit_in_bytes", swap_text, err);
}

static int set_memory_v2(const char *dir, int64_t limit, int64_t swap, struct bt_err *err)
{
    char text[32];
    if (limit != BT_CGROUP_KEEP) {
        format_limit(text, sizeof(text), limit, true);
        int ret = bt_cgroup_i_write_at(dir, "memory.max", text, err);
        if (ret < 0)
            return ret;
    }
    if (swap == BT_CGROUP_KEEP)
        return 0;
    if (!bt_cgroup_i_file_exists(dir, "memory.swap.max")) {
        if (swap == BT_CGROUP_MAX)
            return 0;
        return bt_err_msg(err, ENOTSUP,
                          "%s: no memory.swap.max: a swap limit needs swap accounting", dir);
    }
    if (swap == BT_CGROUP_MAX)
        return bt_cgroup_i_write_at(dir, "memory.swap.max", "max", err);
    /* v2 limits swap alone; OCI and v1 limit memory+swap. */
    uint64_t memory = (uint64_t)limit;
    if (limit == BT_CGROUP_KEEP) {
        int ret = bt_cgroup_i_read_u64(dir, "memory.max", &memory);
        if (ret < 0)
            return bt_err_sys(err, -ret, "read %s/memory.max", dir);
    }
    if (limit == BT_CGROUP_MAX || memory == UINT64_MAX)
        return bt_err_msg(err, EINVAL, "%s: a memory+swap limit needs a memory limit", dir);
    if ((uint64_t)swap < memory)
        return bt_err_msg(err, EINVAL,
                          "memory+swap limit %" PRId64 " is below the memory limit %" PRIu64, swap,
                          memory);
    snprintf(text, sizeof(text), "%" PRIu64, (uint64_t)swap - memory);
    return bt_cgroup_i_write_at(dir, "memory.swap.max", text, err);
}

int bt_cgroup_set_memory(const struct bt_cgroup *cg, int64_t limit, int64_t swap,
                         struct bt_err *err)
{
    if (limit < BT_CGROUP_MAX || swap < BT_CGROUP_MAX)
        return bt_err_msg(err, EINVAL, "negative memory limit");
    if (limit > 0 && swap > 0 && swap < limit)
        return bt_err_msg(err, EINVAL,
                          "memory+swap limit %" PRId64 " is below the memory limit %" PRId64, swap,
                          limit);
    if (limit == BT_CGROUP_KEEP && swap == BT_CGROUP_KEEP)
        return 0;
    char dir[PATH_MAX];
    bool unified;
    int ret = bt_cgroup_i_locate(cg, BT_CGROUP_MEMORY, dir, sizeof(dir), &unified, err);
    if (ret == 0)
        ret = unified ? set_memory_v2(dir, limit, swap, err) : set_memory_v1(dir, limit, swap, err);
    return ret < 0 ? bt_err_wrap(err, "set memory limit of cgroup %s", cg->path) : 0;
}

static int set_bandwidth(const struct bt_cgroup *cg, int64_t quota, uint64_t period,
                         struct bt_err *err)
{
    char dir[PATH_MAX], text[64];
    bool unified;
    int ret = bt_cgroup_i_locate(cg, BT_CGROUP_CPU, dir, sizeof(dir), &unified, err);
    if (ret < 0)
        return ret;
    if (unified) {
        /* cpu.max holds both: fill in the one that stays. */
        char current[64] = "max 100000";
        bt_cgroup_i_read_at(dir, "cpu.max", current, sizeof(current));
        char *space = strchr(current, ' ');
        if (!space)
            return bt_err_msg(err, EIO, "%s/cpu.max: unexpected '%s'", dir, current);
        *space = '\0';
        char quota_text[32], period_text[32];
        if (quota == BT_CGROUP_KEEP)
            snprintf(quota_text, sizeof(quota_text), "%s", current);
        else
            format_limit(quota_text, sizeof(quota_text), quota, true);
        if (period == 0)
            snprintf(period_text, sizeof(period_text), "%s", space + 1);
        else
            snprintf(period_text, sizeof(period_text), "%" PRIu64, period);
        snprintf(text, sizeof(text), "%s %s", quota_text, period_text);
        return bt_cgroup_i_write_at(dir, "cpu.max", text, err);
    }
    /* v1 checks quota/period against the parent's bandwidth at each write: a smaller period
     * can be refused (EINVAL) until the quota is written, so retry it then (runc). */
    bool period_pending = false;
    if (period) {
        snprintf(text, sizeof(text), "%" PRIu64, period);
        ret = bt_cgroup_i_write_at(dir, "cpu.cfs_period_us", text, err);
        if (ret < 0 && (ret != -EINVAL || quota == BT_CGROUP_KEEP))
            return ret;
        period_pending = ret < 0;
    }
    if (quota != BT_CGROUP_KEEP) {
        format_limit(text, sizeof(text), quota, false);
        ret = bt_cgroup_i_write_at(dir, "cpu.cfs_quota_us", text, err);
        if (ret < 0)
            return ret;
    }
    if (period_pending) {
        snprintf(text, sizeof(text), "%" PRIu64, period);
        return bt_cgroup_i_write_at(dir, "cpu.cfs_period_us", text, err);
    }
    return 0;
}

int bt_cgroup_set_cpu(const struct bt_cgroup *cg, int64_t quota_us, uint64_t period_us,
                      uint64_t shares, struct bt_err *err)
{
    if (quota_us < BT_CGROUP_MAX)
        return bt_err_msg(err, EINVAL, "negative cpu quota %" PRId64, quota_us);
    int ret = 0;
    if (shares) {
        char dir[PATH_MAX], text[32];
        bool unified;
        ret = bt_cgroup_i_locate(cg, BT_CGROUP_CPU, dir, sizeof(dir), &unified, err);
        if (ret == 0 && unified) {
            /* The kernel's range for shares is 2..262144, for weight 1..10000. */
            uint64_t s = shares < 2 ? 2 : shares > 262144 ? 262144 : shares;
            snprintf(text, sizeof(text), "%" PRIu64, 1 + ((s - 2) * 9999) / 262142);
            ret = bt_cgroup_i_write_at(dir, "cpu.weight", text, err);
        } else if (ret == 0) {
            snprintf(text, sizeof(text), "%" PRIu64, shares);
            ret = bt_cgroup_i_write_at(dir, "cpu.shares", text, err);
        }
    }
    if (ret == 0 && (quota_us != BT_CGROUP_KEEP || period_us != 0))
        ret = set_bandwidth(cg, quota_us, period_us, err);
    return ret < 0 ? bt_err_wrap(err, "set cpu limit of cgroup %s", cg->path) : 0;
}

int bt_cgroup_get_cpu(const struct bt_cgroup *cg, int64_t *quota_us, uint64_t *period_us,
                      struct bt_err *err)
{
    char dir[PATH_MAX], text[64];
    bool unified;
    int ret = bt_cgroup_i_locate(cg, BT_CGROUP_CPU, dir, sizeof(dir), &unified, err);
    if (ret < 0)
        return bt_err_wrap(err, "cgroup %s", cg->path);
    uint64_t quota = 0, period = 0;
    if (unified) {
        ret = bt_cgroup_i_read_at(dir, "cpu.max", text, sizeof(text));
        char *space = ret >= 0 ? strchr(text, ' ') : NULL;
        if (ret >= 0 && (!space || bt_cgroup_i_parse_u64(text, &quota) < 0 ||
                         bt_cgroup_i_parse_u64(space + 1, &period) < 0))
            ret = -EIO;
        if (ret < 0)
            return bt_err_sys(err, -ret, "read %s/cpu.max", dir);
        *quota_us = quota == UINT64_MAX ? BT_CGROUP_MAX : (int64_t)quota;
    } else {
        ret = bt_cgroup_i_read_at(dir, "cpu.cfs_quota_us", text, sizeof(text));
        if (ret < 0)
            return bt_err_sys(err, -ret, "read %s/cpu.cfs_quota_us", dir);
        long long q = strtoll(text, NULL, 10);
        *quota_us = q < 0 ? BT_CGROUP_MAX : q;
        ret = bt_cgroup_i_read_u64(dir, "cpu.cfs_period_us", &period);
        if (ret < 0)
            return bt_err_sys(err, -ret, "read %s/cpu.cfs_period_us", dir);
    }
    *period_us = period;
    return 0;
}

int bt_cgroup_set_cpuset(const struct bt_cgroup *cg, const char *cpus, const char *mems,
                         struct bt_err *err)
{
    if (!cpus && !mems)
        return 0;
    char dir[PATH_MAX];
    int ret = bt_cgroup_i_locate(cg, BT_CGROUP_CPUSET, dir, sizeof(dir), NULL, err);
    if (ret == 0 && cpus)
        ret = bt_cgroup_i_write_at(dir, "cpuset.cpus", cpus, err);
    if (ret == 0 && mems)
        ret = bt_cgroup_i_write_at(dir, "cpuset.mems", mems, err);
    return ret < 0 ? bt_err_wrap(err, "set cpuset of cgroup %s", cg->path) : 0;
}

int bt_cgroup_set_pids(const struct bt_cgroup *cg, int64_t max, struct bt_err *err)
{
    if (max < BT_CGROUP_MAX)
        return bt_err_msg(err, EINVAL, "negative pids limit %" PRId64, max);
    if (max == BT_CGROUP_KEEP)
        return 0;
    char dir[PATH_MAX], text[32];
    int ret = bt_cgroup_i_locate(cg, BT_CGROUP_PIDS, dir, sizeof(dir), NULL, err);
    format_limit(text, sizeof(text), max, true); /* "max" on v1 too */
    if (ret == 0)
        ret = bt_cgroup_i_write_at(dir, "pids.max", text, err);
    return ret < 0 ? bt_err_wrap(err, "set pids limit of cgroup %s", cg->path) : 0;
}

int bt_cgroup_set_io_weight(const struct bt_cgroup *cg, unsigned weight, struct bt_err *err)
{
    if (weight == 0)
        return 0;
    if (weight < 10 || weight > 1000)
        return bt_err_msg(err, EINVAL, "io weight %u is outside 10..1000", weight);
    char dir[PATH_MAX], text[32];
    bool unified;
    int ret = bt_cgroup_i_locate(cg, BT_CGROUP_BLKIO, dir, sizeof(dir), &unified, err);
    snprintf(text, sizeof(text), "%u", weight);
    if (ret < 0) {
        /* already reported */
    } else if (unified && bt_cgroup_i_file_exists(dir, "io.bfq.weight")) {
        ret = bt_cgroup_i_write_at(dir, "io.bfq.weight", text, err);
    } else if (unified) {
        snprintf(text, sizeof(text), "%u", 1 + (weight - 10) * 9999 / 990);
        ret = bt_cgroup_i_write_at(dir, "io.weight", text, err);
    } else if (bt_cgroup_i_file_exists(dir, "blkio.weight")) {
        ret = bt_cgroup_i_write_at(dir, "blkio.weight", text, err);
    } else if (bt_cgroup_i_file_exists(dir, "blkio.bfq.weight")) {
        ret = bt_cgroup_i_write_at(dir, "blkio.bfq.weight", text, err);
    } else {
        ret = bt_err_msg(err, ENOTSUP,
                         "%s has neither blkio.weight (CFQ) nor blkio.bfq.weight (BFQ): the "
                         "block I/O scheduler offers no weights",
                         dir);
    }
    return ret < 0 ? bt_err_wrap(err, "set io weight of cgroup %s", cg->path) : 0;
}

static void format_device_number(char *buf, size_t len, int64_t number)
{
    if (number < 0)
        snprintf(buf, len, "*");
    else
        snprintf(buf, len, "%" PRId64, number);
}

int bt_cgroup_set_devices(const struct bt_cgroup *cg, const struct bt_cgroup_device *rules,
                          size_t count, struct bt_err *err)
{
    if (count == 0)
        return 0;
    char dir[PATH_MAX];
    const struct bt_cgroup_hierarchy *h = bt_cgroup_layout_find(&cg->layout, BT_CGROUP_DEVICES);
    if (!h && bt_cgroup_layout_unified(&cg->layout))
        return bt_err_msg(err, ENOTSUP,
                          "cgroup %s: device rules on cgroup v2 need an eBPF device filter, "
                          "which bottle does not support yet",
                          cg->path);
    int ret = bt_cgroup_i_locate(cg, BT_CGROUP_DEVICES, dir, sizeof(dir), NULL, err);
    if (ret < 0)
        return bt_err_wrap(err, "set device rules of cgroup %s", cg->path);
    for (size_t i = 0; i < count; i++) {
        const struct bt_cgroup_device *rule = &rules[i];
        const char *access = rule->access[0] ? rule->access : "rwm";
        if ((rule->type != 'a' && rule->type != 'b' && rule->type != 'c') ||
            strspn(access, "rwm") != strlen(access))
            return bt_err_msg(err, EINVAL, "device rule %zu: type '%c', access '%s'", i,
                              rule->type ? rule->type : '?', access);
        char major[24], minor[24], line[80];
        format_device_number(major, sizeof(major), rule->type == 'a' ? -1 : rule->major);
        format_device_number(minor, sizeof(minor), rule->type == 'a' ? -1 : rule->minor);
        snprintf(line, sizeof(line), "%c %s:%s %s", rule->type, major, minor, access);
        ret = bt_cgroup_i_write_at(dir, rule->allow ? "devices.allow" : "devices.deny", line, err);
        if (ret < 0)
            return bt_err_wrap(err, "set device rules of cgroup %s", cg->path);
    }
    return 0;
}

int bt_cgroup_apply(const struct bt_cgroup *cg, const struct bt_cgroup_resources *r,
                    struct bt_err *err)
{
    int ret = bt_cgroup_set_memory(cg, r->memory_limit, r->memory_swap, err);
    if (ret == 0)
        ret = bt_cgroup_set_cpu(cg, r->cpu_quota_us, r->cpu_period_us, r->cpu_shares, err);
    if (ret == 0)
        ret = bt_cgroup_set_cpuset(cg, r->cpuset_cpus, r->cpuset_mems, err);
    if (ret == 0)
        ret = bt_cgroup_set_pids(cg, r->pids_max, err);
    if (ret == 0)
        ret = bt_cgroup_set_io_weight(cg, r->io_weight, err);
    if (ret == 0)
        ret = bt_cgroup_set_devices(cg, r->devices, r->device_count, err);
    return ret;
}
