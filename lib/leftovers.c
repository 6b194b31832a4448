/* A container's leftovers on the host: see leftovers.h. */
#include "leftovers.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "cgroup.h"
#include "net.h"
#include "proc.h"
#include "rootfs.h"

static int read_record(const char *dir, const char *name, char *buf, size_t len)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    int ret = bt_proc_read_file(path, O_NOFOLLOW, buf, len);
    buf[strcspn(buf, "\n")] = '\0';
    return ret < 0 ? ret : 0;
}

int bt_leftovers_kill(const char *state_dir, struct bt_err *err)
{
    char value[PATH_MAX];
    int ret = 0;
    if (read_record(state_dir, "cgroup", value, sizeof(value)) == 0 && value[0]) {
        struct bt_cgroup cgroup;
        int r = bt_cgroup_init(&cgroup, NULL, value, 0, err);
        if (r == 0)
            r = bt_cgroup_remove(&cgroup, 5000, err);
        if (r < 0)
            ret = bt_err_wrap(err, "leftover cgroup %s", value);
    }
    /* The network before the netns goes: bottle-net removes the veth, the nftables table
     * and the lease the record names (and the bridge with its last lease). */
    snprintf(value, sizeof(value), "%s/net", state_dir);
    if (access(value, F_OK) == 0) {
        const char *argv[] = {"bottle-net", "down", state_dir, NULL};
        struct bt_err net_err = {0};
        if (bt_net_helper_run(argv, &net_err) < 0 && ret == 0) {
            if (err)
                *err = net_err;
            ret = bt_err_wrap(err, "leftover network");
        }
    }
    /* Only our own names: the record could have been tampered with. */
    if (read_record(state_dir, "netns", value, sizeof(value)) == 0 &&
        strncmp(value, "/run/netns/", 11) == 0 && !strstr(value, "/..")) {
        umount2(value, MNT_DETACH);
        if (unlink(value) < 0 && errno != ENOENT && ret == 0)
            ret = bt_err_sys(err, errno, "remove %s", value);
    }
    return ret;
}

int bt_leftovers_remove_storage(const char *dir, struct bt_err *err)
{
    char rootfs[PATH_MAX];
    if ((size_t)snprintf(rootfs, sizeof(rootfs), "%s/rootfs", dir) >= sizeof(rootfs))
        return bt_err_msg(err, ENAMETOOLONG, "%s: path too long", dir);
    umount2(rootfs, MNT_DETACH | UMOUNT_NOFOLLOW); /* EINVAL when it is no mount: fine */
    if (bt_rootfs_is_btrfs_subvolume(rootfs)) {
        int ret = bt_rootfs_btrfs_delete(rootfs, err);
        if (ret < 0)
            return ret;
    }
    return bt_rootfs_remove_tree(dir, err);
}
