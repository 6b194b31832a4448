/* `bottle stats`: what a running service's cgroup says about it (cpu time, memory and pids
 * with their limits, OOM kills), read on request from v1 or v2 files. Reads only, never
 * blocks on anything but those small files. */
#include "sup.h"

#include <limits.h>
#include <stdio.h>

#include "cgroup.h"

static json_object *number_or_null(uint64_t value)
{
    return value == BT_CGROUP_STAT_NONE ? NULL : json_object_new_int64((int64_t)value);
}

json_object *sup_stats_json(const struct sup_service *svc, struct bt_err *err)
{
    struct bt_cgroup cg;
    struct bt_cgroup_stats stats;
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s", svc->sup->cgroup_parent, svc->name);
    if (bt_cgroup_init(&cg, NULL, path, 0, err) < 0 || bt_cgroup_stats(&cg, &stats, err) < 0)
        return NULL;
    int64_t quota = BT_CGROUP_MAX;
    uint64_t period = 0;
    bt_cgroup_get_cpu(&cg, &quota, &period, NULL);

    json_object *obj = json_object_new_object();
    json_object_object_add(obj, "name", json_object_new_string(svc->name));
    json_object_object_add(obj, "state", json_object_new_string(sup_state_name(svc->state)));
    json_object_object_add(obj, "paused", json_object_new_boolean(svc->paused));
    json_object_object_add(obj, "pid", json_object_new_int(svc->init_pid));
    json_object_object_add(obj, "cpu_usage_ns", number_or_null(stats.cpu_usage_ns));
    /* The bandwidth limit in cpus (quota / period), null when unlimited. */
    json_object_object_add(
        obj, "cpus",
        quota > 0 && period > 0 ? json_object_new_double((double)quota / (double)period) : NULL);
    json_object_object_add(obj, "memory_usage", number_or_null(stats.memory_usage));
    json_object_object_add(obj, "memory_limit", number_or_null(stats.memory_limit));
    json_object_object_add(obj, "pids_current", number_or_null(stats.pids_current));
    json_object_object_add(obj, "pids_limit", number_or_null(stats.pids_limit));
    json_object_object_add(obj, "oom_kills", number_or_null(stats.oom_kills));
    return obj;
}
