/* The whole network sequence of a bridged container for bottle-net: up (bridge, NAT tables,
 * veth, address, route), down (the reverse, the lease, and the bridge with its last lease) and
 * reconcile (down for every container whose shim is gone). Nothing is made that has no record. */
#include "net.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "proc.h"

struct bridge_job {
    const struct bt_net_config *config;
    const char *leases_dir;
    struct bt_err *err;
};

static int bridge_up(void *arg)
{
    struct bridge_job *job = arg;
    int ret = bt_net_link_bridge(job->config, job->err);
    /* The table is made with the bridge (a bridge outlives its containers only while one of
     * them holds a lease, and both go together): one nftables transaction less per start. */
    return ret <= 0 ? ret : bt_net_nft_bridge(job->config, job->err);
}

int bt_net_up(const struct bt_net_record *record, const char *netns_path, struct bt_err *err)
{
    cleanup_close int netns = open(netns_path, O_RDONLY | O_CLOEXEC);
    if (netns < 0)
        return bt_err_sys(err, errno, "open %s", netns_path);
    struct bridge_job job = {&record->config, record->leases_dir, err};
    int ret = bt_net_ipam_locked(record->leases_dir, record->config.bridge, bridge_up, &job, err);
    if (ret < 0)
        return ret;
    ret = bt_net_link_container(record, netns, err);
    if (ret == 0 && record->config.ports_len)
        ret = bt_net_nft_container(record, err);
    if (ret < 0) {
        struct bt_err ignored = {0};
        bt_net_link_delete(record->veth, &ignored);
        bt_net_nft_delete(record->table, &ignored);
    }
    return ret;
}

static int bridge_down(void *arg)
{
    struct bridge_job *job = arg;
    size_t count = 0;
    int ret = bt_net_ipam_count(job->leases_dir, job->config->bridge, &count, job->err);
    if (ret < 0 || count > 0)
        return ret;
    char table[48];
    bt_net_nft_bridge_table(job->config->bridge, table, sizeof(table));
    ret = bt_net_nft_delete(table, job->err);
    int ret2 = bt_net_link_delete(job->config->bridge, job->err);
    return ret < 0 ? ret : ret2;
}

int bt_net_down(const char *state_dir, struct bt_err *err)
{
    char path[PATH_MAX];
    struct bt_net_record record;
    snprintf(path, sizeof(path), "%s/net", state_dir);
    if (access(path, F_OK) < 0)
        return 0;
    int ret = bt_net_record_read(path, &record, err);
    if (ret < 0)
        return ret;
    /* Every step is tried whatever the others did; the first error is reported. */
    struct bt_err step = {0};
    int first = bt_net_link_delete(record.veth, &step);
    if (first < 0)
        *err = step;
    /* A container without published ports has no table (bt_net_up makes none). */
    if (record.config.ports_len && (ret = bt_net_nft_delete(record.table, &step)) < 0 && first == 0)
        first = ret, *err = step;
    size_t left = 1;
    if (record.leases_dir[0] &&
        (ret = bt_net_ipam_release(record.leases_dir, record.config.bridge, record.id, &left,
                                   &step)) < 0 &&
        first == 0)
        first = ret, *err = step;
    if (ret == 0 && left == 0) {
        struct bridge_job job = {&record.config, record.leases_dir, &step};
        if ((ret = bt_net_ipam_locked(record.leases_dir, record.config.bridge, bridge_down, &job,
                                      &step)) < 0 &&
            first == 0)
            first = ret, *err = step;
    }
    if (first == 0)
        unlink(path);
    return first;
}

/* True when STATE_DIR/shim.pid names a live bottle-shim. */
static bool shim_alive(const char *state_dir)
{
    char path[PATH_MAX], value[32], exe[PATH_MAX];
    snprintf(path, sizeof(path), "%s/shim.pid", state_dir);
    if (bt_proc_read_file(path, 0, value, sizeof(value)) < 0)
        return false;
    snprintf(path, sizeof(path), "/proc/%d/exe", atoi(value));
    ssize_t n = readlink(path, exe, sizeof(exe) - 1);
    if (n <= 0)
        return false;
    exe[n] = '\0';
    const char *base = strrchr(exe, '/');
    return base && strncmp(base + 1, "bottle-shim", 11) == 0;
}

/* Frees the leases in LEASES_DIR/BRIDGE.leases whose container under CONTAINERS is not alive,
 * then removes the bridge when none is left. */
static int reconcile_bridge(const char *leases_dir, const char *containers, const char *bridge,
                            struct bt_err *err)
{
    cleanup_free char *text = NULL;
    int ret = bt_net_ipam_list(leases_dir, bridge, &text, err);
    if (ret < 0)
        return ret;
    size_t left = 0;
    bool any = false;
    for (char *line = text, *end; line && *line; line = end ? end + 1 : NULL) {
        end = strchr(line, '\n');
        if (end)
            *end = '\0';
        char *id = strchr(line, ' ');
        if (!id)
            continue;
        id++;
        char dir[PATH_MAX + 80];
        snprintf(dir, sizeof(dir), "%s/%s", containers, id);
        if (shim_alive(dir)) {
            any = true;
            continue;
        }
        if ((ret = bt_net_ipam_release(leases_dir, bridge, id, &left, err)) < 0)
            return ret;
    }
    if (any)
        return 0;
    struct bt_net_config config = {0};
    snprintf(config.bridge, sizeof(config.bridge), "%s", bridge);
    struct bridge_job job = {&config, leases_dir, err};
    return bt_net_ipam_locked(leases_dir, bridge, bridge_down, &job, err);
}

int bt_net_reconcile_now(const char *state_root, struct bt_err *err)
{
    char containers[PATH_MAX], leases[PATH_MAX];
    snprintf(containers, sizeof(containers), "%s/containers", state_root);
    snprintf(leases, sizeof(leases), "%s/net", state_root);
    int first = 0;
    struct bt_err step = {0};
    cleanup_closedir DIR *dir = opendir(containers);
    struct dirent *entry;
    while (dir && (entry = readdir(dir))) {
        if (entry->d_name[0] == '.')
            continue;
        char path[PATH_MAX + 256];
        snprintf(path, sizeof(path), "%s/%s", containers, entry->d_name);
        if (shim_alive(path))
            continue;
        int ret = bt_net_down(path, &step);
        if (ret < 0 && first == 0)
            first = ret, *err = step;
    }
    cleanup_closedir DIR *ldir = opendir(leases);
    while (ldir && (entry = readdir(ldir))) {
        size_t len = strlen(entry->d_name);
        if (len <= 7 || strcmp(entry->d_name + len - 7, ".leases") != 0 || len - 7 > 15)
            continue;
        char bridge[16];
        memcpy(bridge, entry->d_name, len - 7);
        bridge[len - 7] = '\0';
        if (!bt_net_valid_ifname(bridge))
            continue;
        int ret = reconcile_bridge(leases, containers, bridge, &step);
        if (ret < 0 && first == 0)
            first = ret, *err = step;
    }
    return first;
}
