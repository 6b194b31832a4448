/* The storage under a container's root: a plain directory, an overlayfs of read-only image
 * layers with a per-container upper dir, or a writable btrfs snapshot of an image subvolume;
 * and their tear-down. It never writes to an image layer or an image subvolume.
 * Read-only roots (--read-only) are bt_mount_config.readonly_root, applied after pivot_root. */
#ifndef BT_ROOTFS_H
#define BT_ROOTFS_H

#include "err.h"

#include <stdbool.h>
#include <stddef.h>

enum bt_rootfs_kind {
    BT_ROOTFS_DIR,     /* image is the root itself; nothing to prepare or remove */
    BT_ROOTFS_OVERLAY, /* layers + upper + work mounted as overlayfs on target */
    BT_ROOTFS_BTRFS,   /* image is a btrfs subvolume; target its per-container snapshot */
};

struct bt_rootfs {
    enum bt_rootfs_kind kind;
    const char *image;         /* DIR: the root; BTRFS: the image subvolume */
    const char *const *layers; /* OVERLAY: read-only layer dirs, the base FIRST (the order of */
    size_t n_layers;           /* an image manifest); the last one wins */
    const char *upper, *work;  /* OVERLAY: per-container dirs on one filesystem, created if
                                  missing; upper NULL gives a read-only overlay of the layers */
    const char *target;        /* OVERLAY: the mount point (created if missing); BTRFS: the
                                  snapshot (made with its parent dirs, or reused) */
};

/* Makes the root of a container ready and points *ROOT at the directory to hand to
 * bt_mount_config.rootfs (ROOTFS->image or ROOTFS->target). An overlay is mounted in the
 * caller's mount namespace: call it in the container's, so that the mount dies with it.
 * Returns 0 or -errno with ERR set. */
int bt_rootfs_prepare(const struct bt_rootfs *rootfs, const char **root, struct bt_err *err);

/* Undoes what prepare mounted (a lazy unmount of the overlay), keeping the container's data.
 * Idempotent. Returns 0 or -errno. */
int bt_rootfs_release(const struct bt_rootfs *rootfs, struct bt_err *err);

/* Release, then delete the container's own data: the overlay's upper and work dirs (and the
 * empty mount point), or the btrfs snapshot. Idempotent: what is gone already is no error.
 * Returns 0 or -errno. */
int bt_rootfs_remove(const struct bt_rootfs *rootfs, struct bt_err *err);

/* Mounts an overlay of LAYERS (base first) with UPPER and WORK (both NULL for a read-only
 * overlay) on TARGET with the new mount API, one "lowerdir+" per layer, so that there is no
 * limit on the number or length of the layers but the kernel's (500 layers); a path of 256
 * bytes or more is passed as /proc/self/fd/N. Falls back to bt_rootfs_overlay_mount_legacy
 * when the kernel has no fsopen or no "lowerdir+" (before 6.8). Returns 0 or -errno. */
int bt_rootfs_overlay_mount(const char *const *layers, size_t n_layers, const char *upper,
                            const char *work, const char *target, struct bt_err *err);

/* The same with mount(2) and one option string; -E2BIG ("overlong") when the string does not
 * fit in the page that mount(2) copies. */
int bt_rootfs_overlay_mount_legacy(const char *const *layers, size_t n_layers, const char *upper,
                                   const char *work, const char *target, struct bt_err *err);

/* Writes "lowerdir=TOP:...:BASE[,upperdir=U,workdir=W]" into BUF, escaping '\\', ':' and ','.
 * Returns its length, or -E2BIG when it needs LEN bytes or more. */
int bt_rootfs_overlay_options(const char *const *layers, size_t n_layers, const char *upper,
                              const char *work, char *buf, size_t len);

/* True when PATH is the top of a btrfs subvolume. */
bool bt_rootfs_is_btrfs_subvolume(const char *path);

/* Creates the empty subvolume PATH (BTRFS_IOC_SUBVOL_CREATE on its parent). Returns 0 or
 * -errno. */
int bt_rootfs_btrfs_subvolume_create(const char *path, struct bt_err *err);

/* Creates DEST as a snapshot of the subvolume SOURCE (BTRFS_IOC_SNAP_CREATE_V2), writable
 * unless READONLY. Returns 0 or -errno (-EEXIST when DEST exists). */
int bt_rootfs_btrfs_snapshot(const char *source, const char *dest, bool readonly,
                             struct bt_err *err);

/* Deletes the subvolume PATH (BTRFS_IOC_SNAP_DESTROY on its parent). A missing PATH is no
 * error; a PATH that is not a subvolume is -EINVAL. Returns 0 or -errno. */
int bt_rootfs_btrfs_delete(const char *path, struct bt_err *err);

/* rm -rf PATH without following symlinks and without entering another mount: a mount point
 * inside (or PATH itself being one) gives -EBUSY and stops. A missing PATH is no error.
 * Returns 0 or -errno. */
int bt_rootfs_remove_tree(const char *path, struct bt_err *err);

#endif
