/* The container's storage under ROOT/containers/ID: with --storage overlay, upper/ and work/
 * beside the rootfs/ mount point, the overlay itself mounted inside the container's mount
 * namespace (so it dies with it); with --storage btrfs, rootfs/ is a writable snapshot of the
 * image subvolume. Prepared before the spec is loaded, because the bundle's root.path is that
 * rootfs/ directory. Removing a container removes all of it; the image is never written. */
#include "shim.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "log.h"

static int make_dir(const char *path, struct bt_err *err)
{
    if (mkdir(path, 0700) < 0 && errno != EEXIST)
        return bt_err_sys(err, errno, "create %s", path);
    return 0;
}

int shim_storage_prepare(struct shim_container *container, struct bt_err *err)
{
    const struct shim_options *opt = container->options;
    struct shim_storage *st = &container->storage;
    memset(&st->rootfs, 0, sizeof(st->rootfs));
    st->rootfs.kind = opt->storage;
    char path[sizeof(st->dir)];
    if (opt->storage == BT_ROOTFS_DIR) {
        /* bottle run IMAGE --storage copy: the rootfs is the container's own copy of the
         * image, which goes with the container. */
        snprintf(path, sizeof(path), "%s/containers/%s/image-copy", opt->root, opt->id);
        if (access(path, F_OK) == 0)
            snprintf(st->dir, sizeof(st->dir), "%s/containers/%s", opt->root, opt->id);
        return 0;
    }
    snprintf(path, sizeof(path), "%s", opt->root);
    make_dir(path, err);
    snprintf(path, sizeof(path), "%s/containers", opt->root);
    make_dir(path, err);
    snprintf(st->dir, sizeof(st->dir), "%s/containers/%s", opt->root, opt->id);
    snprintf(st->target, sizeof(st->target), "%s/rootfs", st->dir);
    int ret = make_dir(st->dir, err);
    if (ret < 0)
        return ret;
    st->rootfs.target = st->target;
    if (opt->storage == BT_ROOTFS_OVERLAY) {
        if (opt->layer_count == 0)
            return bt_err_msg(err, EINVAL, "--storage overlay needs at least one --layer");
        snprintf(st->upper, sizeof(st->upper), "%s/upper", st->dir);
        snprintf(st->work, sizeof(st->work), "%s/work", st->dir);
        if ((ret = make_dir(st->upper, err)) < 0 || (ret = make_dir(st->work, err)) < 0 ||
            (ret = make_dir(st->target, err)) < 0)
            return ret;
        /* The merged "/" takes the upper dir's owner and mode: give it the top layer's, or a
         * non-root user could not even enter "/" (0700). */
        struct stat top;
        if (stat(opt->layers[opt->layer_count - 1], &top) == 0 &&
            (chown(st->upper, top.st_uid, top.st_gid) < 0 ||
             chmod(st->upper, top.st_mode & 07777) < 0))
            return bt_err_sys(err, errno, "set the mode of %s", st->upper);
        st->rootfs.layers = opt->layers;
        st->rootfs.n_layers = (size_t)opt->layer_count;
        st->rootfs.upper = st->upper;
        st->rootfs.work = st->work;
        return 0;
    }
    /* btrfs: the snapshot is made here, in the host's mount namespace: it is no mount. */
    if (!opt->image)
        return bt_err_msg(err, EINVAL, "--storage btrfs needs --image SUBVOLUME");
    if (!bt_rootfs_is_btrfs_subvolume(opt->image))
        return bt_err_msg(err, EINVAL, "--storage btrfs: %s is not a btrfs subvolume", opt->image);
    struct stat image_st, dir_st;
    if (stat(opt->image, &image_st) < 0 || stat(st->dir, &dir_st) < 0)
        return bt_err_sys(err, errno, "stat %s", opt->image);
    struct statfs fs;
    if (statfs(st->dir, &fs) < 0 || fs.f_type != BTRFS_SUPER_MAGIC)
        return bt_err_msg(err, EXDEV,
                          "--storage btrfs: the snapshot must be on the same btrfs as %s, but "
                          "--root %s is not on btrfs",
                          opt->image, opt->root);
    st->rootfs.image = opt->image;
    const char *root;
    return bt_rootfs_prepare(&st->rootfs, &root, err);
}

int shim_storage_mount(const struct shim_container *container, struct bt_err *err)
{
    const struct shim_storage *st = &container->storage;
    if (st->rootfs.kind != BT_ROOTFS_OVERLAY)
        return 0;
    /* Nothing mounted here may propagate to the host. */
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        return bt_err_sys(err, errno, "make / private");
    const char *root;
    return bt_rootfs_prepare(&st->rootfs, &root, err);
}

void shim_storage_remove(struct shim_container *container)
{
    struct shim_storage *st = &container->storage;
    if (!st->dir[0])
        return;
    struct bt_err err = {0};
    char path[sizeof(st->dir) + 16];
    if (st->rootfs.kind == BT_ROOTFS_DIR) {
        snprintf(path, sizeof(path), "%s/rootfs", st->dir);
        if (bt_rootfs_remove_tree(path, &err) < 0)
            bt_log_warn("remove the container's copy of its image: %s", err.msg);
        snprintf(path, sizeof(path), "%s/image-copy", st->dir);
        unlink(path);
    }
    snprintf(path, sizeof(path), "%s/image.json", st->dir); /* lib/image's note */
    unlink(path);
    if (st->rootfs.kind == BT_ROOTFS_DIR)
        rmdir(st->dir);
    else if (bt_rootfs_remove(&st->rootfs, &err) < 0)
        bt_log_warn("remove the container's storage: %s", err.msg);
    else if (rmdir(st->dir) < 0 && errno != ENOENT && errno != ENOTEMPTY)
        bt_log_warn("remove %s: %s", st->dir, strerror(errno));
}
