/* The container's mount table, built inside its new mount namespace before the init is
 * exec'd: rootfs bind, OCI mounts, /dev, masked and read-only paths, pivot_root. Every target
 * is resolved inside the rootfs (openat2 RESOLVE_IN_ROOT) so that a symlink in the image can
 * never make a mount or a mkdir land on the host. Never chroot. */
#ifndef BT_MOUNT_H
#define BT_MOUNT_H

#include "err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One entry of the OCI mounts list, its options already parsed (lib/spec). */
struct bt_mount {
    const char *source;        /* host path for a bind; a label ("proc", "tmpfs") otherwise */
    const char *target;        /* path inside the rootfs; resolved in it, missing dirs created */
    const char *type;          /* "proc", "tmpfs", ...; "bind" or NULL for a bind mount */
    unsigned long flags;       /* MS_* flags: MS_BIND, MS_REC, MS_RDONLY, MS_NOSUID, ... */
    unsigned long propagation; /* MS_PRIVATE, MS_SLAVE, MS_SHARED, MS_UNBINDABLE (|MS_REC), 0 */
    const char *data;          /* filesystem options ("mode=755,size=65536k") or NULL */
    uint64_t rec_attr_set;     /* MOUNT_ATTR_* set on the whole tree with mount_setattr (rro) */
    uint64_t rec_attr_clr;     /* MOUNT_ATTR_* cleared on the whole tree (rrw) */
};

/* What bt_mount_setup builds. Only rootfs is required. */
struct bt_mount_config {
    const char *rootfs;            /* the container's root directory (host path) */
    const struct bt_mount *mounts; /* mounted in order (a parent before its children) */
    size_t n_mounts;
    const char *const *masked_paths;   /* NULL-terminated, or NULL: /dev/null or ro tmpfs */
    const char *const *readonly_paths; /* NULL-terminated, or NULL: bound onto itself, ro */
    unsigned long rootfs_propagation;  /* for "/", before and after the pivot; 0 means
                                          MS_REC|MS_PRIVATE (crun's default) */
    bool readonly_root;                /* remount "/" read-only last (--read-only) */
    bool setup_dev;      /* the standard /dev nodes and symlinks; a tmpfs /dev if none in mounts */
    const char *console; /* a pty slave to bind onto /dev/console, or NULL */
};

/* crun's defaults (`crun spec`): /proc, /dev (tmpfs), /dev/pts, /dev/shm, /dev/mqueue and /sys
 * read-only. The /sys/fs/cgroup entry is left out: it depends on the host's cgroup layout. */
extern const struct bt_mount bt_mount_defaults[];
extern const size_t bt_mount_defaults_count;
/* crun's default maskedPaths and readonlyPaths, NULL-terminated. */
extern const char *const bt_mount_default_masked_paths[];
extern const char *const bt_mount_default_readonly_paths[];

/* Builds the container's mounts in the caller's mount namespace, which must be a new one
 * (unshare(CLONE_NEWNS) first): makes "/" rprivate (or rootfs_propagation), binds the rootfs
 * onto itself, mounts every entry of MOUNTS with its target resolved inside the rootfs,
 * creates the /dev nodes (mknod, or a bind of the host's node where mknod is not permitted,
 * as in a user namespace), the /dev symlinks and /dev/console, masks and read-only paths,
 * then pivot_root(".", ".") and a lazy unmount of the old root so that nothing of the host
 * stays reachable, chdir("/"), and last the read-only remount of "/".
 *
 * /proc must be mounted on the host side (it is used to reach opened targets) and, for a
 * proc mount in MOUNTS, the caller must already be in the container's pid namespace.
 * A sysfs mount that fails with EPERM (user namespace without its own network namespace)
 * falls back to a read-only recursive bind of the host's /sys, an mqueue one to a bind of the
 * host's /dev/mqueue; devpts retries without gid=5 when that gid is not mapped.
 *
 * It refuses (-EINVAL, before touching anything) to run in the mount namespace of /proc's
 * PID 1, which means that the caller forgot to unshare.
 *
 * Returns 0 or -errno with ERR naming the step and the path. On failure the mount namespace
 * is half built: the caller must abandon it (exit), not reuse it. Allocates nothing; safe in
 * a child after fork of a single-threaded parent, not async-signal-safe (snprintf). */
int bt_mount_setup(const struct bt_mount_config *config, struct bt_err *err);

/* Opens PATH (relative to ROOT_FD, or absolute meaning the root) with openat2
 * RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS as O_PATH|O_CLOEXEC: every symlink and ".." is
 * resolved as if ROOT_FD were "/". Returns the fd (owned by the caller) or -errno. */
int bt_mount_open_in_root(int root_fd, const char *path);

/* Like bt_mount_open_in_root, but first creates what is missing, inside the root: the parent
 * directories (0755) and the last component, a directory when DIRECTORY is true, an empty
 * file (0644) otherwise. Symlinks met on the way, dangling ones included, are followed inside
 * the root, so that their targets are created there too. Returns an O_PATH fd or -errno. */
int bt_mount_create_in_root(int root_fd, const char *path, bool directory);

#endif
