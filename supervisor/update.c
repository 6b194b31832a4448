/* `bottle update`: memory, cpus and pids limits changed live through the running container's
 * cgroup, and kept as overrides on top of the spec so that the next start (a restart, or the
 * next bottled) gets them too. An override lasts while the spec's own value is the one it
 * replaced: a spec edited afterwards wins. */
#include "sup.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cgroup.h"

static const char *const limit_names[SUP_LIMIT_COUNT] = {"memory", "milli_cpus", "pids"};

/* The spec's own value of LIMIT (0: none). */
static uint64_t spec_value(const struct bt_svcspec_service *spec, enum sup_limit limit)
{
    switch (limit) {
    case SUP_LIMIT_MEMORY: return spec->memory;
    case SUP_LIMIT_CPUS: return spec->milli_cpus;
    case SUP_LIMIT_PIDS: return spec->pids;
    default: return 0;
    }
}

static bool override_applies(const struct sup_service *svc, enum sup_limit limit)
{
    const struct sup_override *o = &svc->overrides[limit];
    return o->set && o->base == spec_value(svc->spec, limit);
}

uint64_t sup_update_value(const struct sup_service *svc, enum sup_limit limit)
{
    return override_applies(svc, limit) ? svc->overrides[limit].value
                                        : spec_value(svc->spec, limit);
}

const struct bt_svcspec_service *sup_update_effective(struct sup_service *svc)
{
    svc->effective = *svc->spec; /* shallow: the pointers stay the node's */
    if (override_applies(svc, SUP_LIMIT_MEMORY))
        svc->effective.memory = svc->overrides[SUP_LIMIT_MEMORY].value;
    if (override_applies(svc, SUP_LIMIT_CPUS))
        svc->effective.milli_cpus = (uint32_t)svc->overrides[SUP_LIMIT_CPUS].value;
    if (override_applies(svc, SUP_LIMIT_PIDS))
        svc->effective.pids = (uint32_t)svc->overrides[SUP_LIMIT_PIDS].value;
    return &svc->effective;
}

static int write_limit(const struct bt_cgroup *cg, enum sup_limit limit, uint64_t value,
                       struct bt_err *err)
{
    switch (limit) {
    case SUP_LIMIT_MEMORY:
        /* The swap limit is left alone: bottled's bundles set none. */
        return bt_cgroup_set_memory(cg, value ? (int64_t)value : BT_CGROUP_MAX, BT_CGROUP_KEEP,
                                    err);
    case SUP_LIMIT_CPUS:
        /* A 100 ms period, as lib/bundle.c writes "cpus". */
        return bt_cgroup_set_cpu(cg, value ? (int64_t)(value * 100) : BT_CGROUP_MAX, 100000, 0,
                                 err);
    case SUP_LIMIT_PIDS: return bt_cgroup_set_pids(cg, value ? (int64_t)value : BT_CGROUP_MAX, err);
    default: return -EINVAL;
    }
}

int sup_update_limits(struct sup_service *svc, const bool set[SUP_LIMIT_COUNT],
                      const uint64_t values[SUP_LIMIT_COUNT], struct bt_err *err)
{
    struct bt_cgroup cg;
    bool live = svc->state == SUP_RUNNING || svc->state == SUP_STOPPING;
    if (live) {
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/%s", svc->sup->cgroup_parent, svc->name);
        int ret = bt_cgroup_init(&cg, NULL, path, 0, err);
        if (ret < 0)
            return ret;
    }
    int ret = 0;
    for (int limit = 0; limit < SUP_LIMIT_COUNT && ret == 0; limit++) {
        if (!set[limit])
            continue;
        if (live && (ret = write_limit(&cg, limit, values[limit], err)) < 0) {
            bt_err_wrap(err, "update %s", limit_names[limit]);
            break;
        }
        svc->overrides[limit] = (struct sup_override){
            .set = true, .value = values[limit], .base = spec_value(svc->spec, limit)};
    }
    sup_persist(svc);
    char limits[256];
    sup_update_persist(svc, limits, sizeof(limits));
    sup_event(svc->sup, "updated", svc, "\"live\":%s%s", live ? "true" : "false", limits);
    return ret;
}

void sup_update_persist(const struct sup_service *svc, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int limit = 0; limit < SUP_LIMIT_COUNT; limit++) {
        const struct sup_override *o = &svc->overrides[limit];
        if (!o->set || used >= len)
            continue;
        int n = snprintf(buf + used, len - used,
                         ",\"override_%s\":{\"value\":%" PRIu64 ",\"base\":%" PRIu64 "}",
                         limit_names[limit], o->value, o->base);
        if (n > 0)
            used += (size_t)n;
    }
}

void sup_update_restore(struct sup_service *svc, json_object *obj)
{
    for (int limit = 0; limit < SUP_LIMIT_COUNT; limit++) {
        char key[64];
        json_object *o, *value, *base;
        snprintf(key, sizeof(key), "override_%s", limit_names[limit]);
        if (!json_object_object_get_ex(obj, key, &o) ||
            !json_object_object_get_ex(o, "value", &value) ||
            !json_object_object_get_ex(o, "base", &base))
            continue;
        svc->overrides[limit] = (struct sup_override){
            .set = true,
            .value = (uint64_t)json_object_get_int64(value),
            .base = (uint64_t)json_object_get_int64(base),
        };
    }
}
