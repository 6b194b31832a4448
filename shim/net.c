/* bottle-shim's side of container networking: the address lease and the /etc files are
 * made here, before the clone (plain files, so the static shim can); the links and nftables
 * rules by bottle-net, which links libmnl and libnftables, while the child waits. */
#include "shim-net.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "net.h"
#include "log.h"

/* One container per shim: its network lives here rather than in struct shim_container. */
static struct {
    bool bridge; /* prepare made a record: down must run */
    char files[3][600];
} net;

static const char *const file_names[3] = {"resolv.conf", "hosts", "hostname"};

int shim_net_prepare(struct shim_container *container, struct bt_err *err)
{
    struct bt_net_record record;
    memset(&record, 0, sizeof(record));
    int ret = bt_net_config_from_spec(container->spec, &record.config, err);
    if (ret < 0)
        return bt_err_wrap(err, "%s", container->spec->config_path);
    if (record.config.mode != BT_NET_BRIDGE)
        return 0;
    if (container->options->no_netns_name)
        return bt_err_msg(err, EINVAL, "bridge networking needs the named netns");
    snprintf(record.id, sizeof(record.id), "%s", container->options->id);
    snprintf(record.leases_dir, sizeof(record.leases_dir), "%s/net",
             container->options->state_root);
    bt_net_record_names(&record, container->state_dir);
    ret = bt_net_ipam_alloc(record.leases_dir, &record.config, record.id, &record.address, err);
    if (ret < 0)
        return ret;
    char path[600];
    snprintf(path, sizeof(path), "%s/net", container->state_dir);
    ret = bt_net_record_write(path, &record, err);
    if (ret < 0) {
        struct bt_err ignored = {0};
        bt_net_ipam_release(record.leases_dir, record.config.bridge, record.id, NULL, &ignored);
        return ret;
    }
    net.bridge = true;
    const char *hostname =
        container->spec->hostname ? container->spec->hostname : container->options->id;
    ret = bt_net_write_files(container->state_dir, NULL, hostname, record.address, err);
    if (ret < 0)
        return ret;
    for (int i = 0; i < 3; i++)
        snprintf(net.files[i], sizeof(net.files[i]), "%s/%s", container->state_dir, file_names[i]);
    return 0;
}

size_t shim_net_mounts(struct bt_mount *mounts)
{
    static const char *const targets[3] = {"/etc/resolv.conf", "/etc/hosts", "/etc/hostname"};
    if (!net.bridge || !net.files[0][0])
        return 0;
    for (int i = 0; i < 3; i++)
        mounts[i] = (struct bt_mount){.source = net.files[i],
                                      .target = targets[i],
                                      .type = "bind",
                                      .flags = MS_BIND,
                                      .propagation = 0};
    return 3;
}

int shim_net_up(struct shim_container *container, struct bt_err *err)
{
    if (!net.bridge)
        return 0;
    char netns[64];
    snprintf(netns, sizeof(netns), "/proc/%d/ns/net", (int)container->pid);
    const char *argv[] = {"bottle-net", "up", container->state_dir, netns, NULL};
    int ret = bt_net_helper_run(argv, err);
    return ret < 0 ? bt_err_wrap(err, "network") : 0;
}

void shim_net_down(struct shim_container *container)
{
    if (!net.bridge)
        return;
    const char *argv[] = {"bottle-net", "down", container->state_dir, NULL};
    struct bt_err err = {0};
    if (bt_net_helper_run(argv, &err) < 0)
        bt_log_warn("network: %s", err.msg);
    for (int i = 0; i < 3; i++)
        if (net.files[i][0])
            unlink(net.files[i]);
    net.bridge = false;
}
