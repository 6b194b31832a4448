/* Container root storage: see rootfs.h. Image layers and image subvolumes are only ever read:
 * every write goes to the per-container upper dir or snapshot. */
#include "rootfs.h"
#include "cleanup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/btrfs.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

/* fsconfig(2) copies a string value with strndup_user(value, 256). */
#define FSCONFIG_STRING_MAX 256

/* mkdir -p for host paths that bottle chose itself (state and storage dirs). */
static int make_dirs(const char *path, mode_t mode)
{
    char buf[PATH_MAX];
    if (strlen(path) >= sizeof(buf))
        return -ENAMETOOLONG;
    strcpy(buf, path);
    for (char *p = buf + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char saved = *p;
        *p = '\0';
        if (mkdir(buf, mode) < 0 && errno != EEXIST)
            return -errno;
        *p = saved;
        if (!saved)
            break;
    }
    struct stat st;
    if (stat(path, &st) < 0)
        return -errno;
    return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

/* Splits PATH into its parent directory (into PARENT) and last component (returned, a pointer
 * into PATH). NULL when PATH has no usable last component. */
static const char *split_path(const char *path, char *parent, size_t len)
{
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        n--;
    if (n == 0 || n >= len)
        return NULL;
    memcpy(parent, path, n);
    parent[n] = '\0';
    char *slash = strrchr(parent, '/');
    const char *name;
    if (!slash) {
        name = path;
        strcpy(parent, ".");
    } else {
        name = path + (slash - parent) + 1;
        if (slash == parent)
            slash[1] = '\0';
        else
            *slash = '\0';
    }
    if (!*name || *name == '/' || strncmp(name, ".", 2) == 0 || strncmp(name, "..", 3) == 0)
        return NULL;
    return name;
}

/* Appends TEXT to BUF at *USED, escaping the characters that overlayfs splits on. */
static int append_escaped(char *buf, size_t len, size_t *used, const char *text, bool escape)
{
    for (const char *p = text; *p; p++) {
        if (escape && (*p == '\\' || *p == ':' || *p == ',')) {
            if (*used + 1 >= len)
                return -E2BIG;
            buf[(*used)++] = '\\';
        }
        if (*used + 1 >= len)
            return -E2BIG;
        buf[(*used)++] = *p;
    }
    buf[*used] = '\0';
    return 0;
}

int bt_rootfs_overlay_options(const char *const *layers, size_t n_layers, const char *upper,
                              const char *work, char *buf, size_t len)
{
    size_t used = 0;
    if (len == 0)
        return -E2BIG;
    buf[0] = '\0';
    int ret = append_escaped(buf, len, &used, "lowerdir=", false);
    for (size_t i = n_layers; ret == 0 && i-- > 0;) {
        ret = append_escaped(buf, len, &used, layers[i], true);
        if (ret == 0 && i > 0)
            ret = append_escaped(buf, len, &used, ":", false);
    }
    if (ret == 0 && upper) {
        ret = append_escaped(buf, len, &used, ",upperdir=", false);
        if (ret == 0)
            ret = append_escaped(buf, len, &used, upper, true);
        if (ret == 0)
            ret = append_escaped(buf, len, &used, ",workdir=", false);
        if (ret == 0)
            ret = append_escaped(buf, len, &used, work, true);
    }
    return ret < 0 ? ret : (int)used;
}

static int check_overlay_args(const char *const *layers, size_t n_layers, const char *upper,
                              const char *work, const char *target, struct bt_err *err)
{
    if (n_layers == 0)
        return bt_err_msg(err, EINVAL, "overlay on %s: no layers", target);
    if (!upper != !work)
        return bt_err_msg(err, EINVAL, "overlay on %s: upper and work go together", target);
    for (size_t i = 0; i < n_layers; i++)
        if (!layers[i] || !*layers[i])
            return bt_err_msg(err, EINVAL, "overlay on %s: layer %zu is empty", target, i);
    const char *dirs[] = {upper, work, target};
    for (size_t i = 0; i < 3; i++) {
        int ret = dirs[i] ? make_dirs(dirs[i], 0755) : 0;
        if (ret < 0)
            return bt_err_sys(err, -ret, "create %s", dirs[i]);
    }
    return 0;
}

int bt_rootfs_overlay_mount_legacy(const char *const *layers, size_t n_layers, const char *upper,
                                   const char *work, const char *target, struct bt_err *err)
{
    int ret = check_overlay_args(layers, n_layers, upper, work, target, err);
    if (ret < 0)
        return ret;
    /* mount(2) copies at most one page of options and would cut the rest off silently. */
    long page = sysconf(_SC_PAGESIZE);
    char options[65536];
    size_t len = page > 0 && (size_t)page < sizeof(options) ? (size_t)page : 4096;
    ret = bt_rootfs_overlay_options(layers, n_layers, upper, work, options, len);
    if (ret == -E2BIG)
        return bt_err_msg(err, E2BIG,
                          "overlay on %s: the options of %zu layers are overlong for mount(2), "
                          "which takes %zu bytes (a kernel with lowerdir+, 6.8, has no limit)",
                          target, n_layers, len - 1);
    if (mount("overlay", target, "overlay", 0, options) < 0)
        return bt_err_sys(err, errno, "mount overlay on %s", target);
    return 0;
}

/* Formats the error of a failed fsopen/fsconfig step, with the kernel's own message that the
 * fs context keeps for us ("e overlay: failed to resolve '/x': -2"). */
static int fs_context_error(int fs_fd, struct bt_err *err, int errnum, const char *what,
                            const char *target)
{
    char log[256];
    ssize_t n = read(fs_fd, log, sizeof(log) - 1);
    if (n > 2) {
        log[n] = '\0';
        log[strcspn(log, "\n")] = '\0';
        return bt_err_sys(err, errnum, "overlay on %s: %s (%s)", target, what, log + 2);
    }
    return bt_err_sys(err, errnum, "overlay on %s: %s", target, what);
}

/* One fsconfig string; a path too long for fsconfig goes in as /proc/self/fd/N. */
static int set_path(int fs_fd, const char *key, const char *path)
{
    if (strlen(path) < FSCONFIG_STRING_MAX)
        return syscall(SYS_fsconfig, fs_fd, FSCONFIG_SET_STRING, key, path, 0) < 0 ? -errno : 0;
    cleanup_close int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    char proc_path[32];
    snprintf(proc_path, sizeof(proc_path), "/proc/self/fd/%d", fd);
    return syscall(SYS_fsconfig, fs_fd, FSCONFIG_SET_STRING, key, proc_path, 0) < 0 ? -errno : 0;
}

int bt_rootfs_overlay_mount(const char *const *layers, size_t n_layers, const char *upper,
                            const char *work, const char *target, struct bt_err *err)
{
    int ret = check_overlay_args(layers, n_layers, upper, work, target, err);
    if (ret < 0)
        return ret;
    cleanup_close int fs_fd = (int)syscall(SYS_fsopen, "overlay", FSOPEN_CLOEXEC);
    if (fs_fd < 0) {
        if (errno == ENOSYS)
            return bt_rootfs_overlay_mount_legacy(layers, n_layers, upper, work, target, err);
        return bt_err_sys(err, errno, "overlay on %s: fsopen", target);
    }
    /* Each "lowerdir+" appends a layer below the previous ones: the top first. */
    for (size_t i = n_layers; i-- > 0;) {
        ret = set_path(fs_fd, "lowerdir+", layers[i]);
        if (ret == -EINVAL && i == n_layers - 1) {
            /* Before Linux 6.8 overlayfs knows no "lowerdir+". */
            close(bt_take_fd(&fs_fd));
            return bt_rootfs_overlay_mount_legacy(layers, n_layers, upper, work, target, err);
        }
        if (ret < 0)
            return fs_context_error(fs_fd, err, -ret, "lower layer", layers[i]);
    }
    if (upper) {
        ret = set_path(fs_fd, "upperdir", upper);
        if (ret == 0)
            ret = set_path(fs_fd, "workdir", work);
        if (ret < 0)
            return fs_context_error(fs_fd, err, -ret, "upper or work dir", target);
    }
    if (syscall(SYS_fsconfig, fs_fd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
        return fs_context_error(fs_fd, err, errno, "create", target);
    cleanup_close int mount_fd = (int)syscall(SYS_fsmount, fs_fd, FSMOUNT_CLOEXEC, 0);
    if (mount_fd < 0)
        return fs_context_error(fs_fd, err, errno, "fsmount", target);
    if (syscall(SYS_move_mount, mount_fd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
        return bt_err_sys(err, errno, "overlay on %s: move_mount", target);
    return 0;
}

bool bt_rootfs_is_btrfs_subvolume(const char *path)
{
    struct stat st;
    struct statfs fs;
    /* The root of every subvolume is inode 256 (BTRFS_FIRST_FREE_OBJECTID). */
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode) && st.st_ino == 256 &&
           statfs(path, &fs) == 0 && fs.f_type == BTRFS_SUPER_MAGIC;
}

/* Opens the parent of PATH and copies its last component into NAME (LEN bytes). */
static int open_parent(const char *path, char *name, size_t len, struct bt_err *err)
{
    char parent[PATH_MAX];
    const char *last = split_path(path, parent, sizeof(parent));
    if (!last)
        return bt_err_msg(err, EINVAL, "%s: not a usable subvolume path", path);
    size_t n = strcspn(last, "/");
    if (n >= len)
        return bt_err_msg(err, ENAMETOOLONG, "%s: name too long", path);
    memcpy(name, last, n);
    name[n] = '\0';
    int fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return bt_err_sys(err, errno, "open %s", parent);
    return fd;
}

int bt_rootfs_btrfs_subvolume_create(const char *path, struct bt_err *err)
{
    struct btrfs_ioctl_vol_args args;
    memset(&args, 0, sizeof(args));
    cleanup_close int parent_fd = open_parent(path, args.name, sizeof(args.name), err);
    if (parent_fd < 0)
        return parent_fd;
    if (ioctl(parent_fd, BTRFS_IOC_SUBVOL_CREATE, &args) < 0)
        return bt_err_sys(err, errno, "create subvolume %s", path);
    return 0;
}

int bt_rootfs_btrfs_snapshot(const char *source, const char *dest, bool readonly,
                             struct bt_err *err)
{
    if (!bt_rootfs_is_btrfs_subvolume(source))
        return bt_err_msg(err, EINVAL, "%s is not a btrfs subvolume", source);
    struct btrfs_ioctl_vol_args_v2 args;
    memset(&args, 0, sizeof(args));
    cleanup_close int parent_fd = open_parent(dest, args.name, sizeof(args.name), err);
    if (parent_fd < 0)
        return parent_fd;
    cleanup_close int source_fd = open(source, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (source_fd < 0)
        return bt_err_sys(err, errno, "open %s", source);
    args.fd = source_fd;
    args.flags = readonly ? BTRFS_SUBVOL_RDONLY : 0;
    if (ioctl(parent_fd, BTRFS_IOC_SNAP_CREATE_V2, &args) < 0)
        return bt_err_sys(err, errno, "snapshot %s to %s", source, dest);
    return 0;
}

int bt_rootfs_btrfs_delete(const char *path, struct bt_err *err)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return errno == ENOENT ? 0 : bt_err_sys(err, errno, "stat %s", path);
    if (!bt_rootfs_is_btrfs_subvolume(path))
        return bt_err_msg(err, EINVAL, "%s is not a btrfs subvolume", path);
    struct btrfs_ioctl_vol_args args;
    memset(&args, 0, sizeof(args));
    cleanup_close int parent_fd = open_parent(path, args.name, sizeof(args.name), err);
    if (parent_fd < 0)
        return parent_fd;
    if (ioctl(parent_fd, BTRFS_IOC_SNAP_DESTROY, &args) < 0 && errno != ENOENT)
        return bt_err_sys(err, errno, "delete subvolume %s", path);
    return 0;
}

static int mount_id(int dir_fd, const char *name, uint64_t *id, mode_t *mode)
{
    struct statx stx;
    if (statx(dir_fd, name, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_TYPE | STATX_MNT_ID,
              &stx) < 0)
        return -errno;
    if (!(stx.stx_mask & STATX_MNT_ID))
        return -ENOSYS;
    *id = stx.stx_mnt_id;
    *mode = stx.stx_mode;
    return 0;
}

static int remove_at(int dir_fd, const char *name, uint64_t mnt, int depth, char *path)
{
    uint64_t id = 0;
    mode_t mode = 0;
    int ret = mount_id(dir_fd, name, &id, &mode);
    if (ret < 0)
        return ret == -ENOENT ? 0 : ret;
    if (!S_ISDIR(mode))
        return unlinkat(dir_fd, name, 0) < 0 && errno != ENOENT ? -errno : 0;
    if (id != mnt) {
        snprintf(path, PATH_MAX, "%s", name);
        return -EBUSY;
    }
    if (depth > 512)
        return -ELOOP;
    int fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : -errno;
    cleanup_closedir DIR *dir = fdopendir(fd);
    if (!dir) {
        close(fd);
        return -errno;
    }
    struct dirent *entry;
    while ((errno = 0, entry = readdir(dir))) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
            continue;
        ret = remove_at(dirfd(dir), entry->d_name, mnt, depth + 1, path);
        if (ret < 0)
            return ret;
    }
    if (errno)
        return -errno;
    /* An empty btrfs subvolume goes with rmdir too (Linux 4.18). */
    if (unlinkat(dir_fd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
        return -errno;
    return 0;
}

int bt_rootfs_remove_tree(const char *path, struct bt_err *err)
{
    char parent[PATH_MAX], where[PATH_MAX] = "";
    const char *name = split_path(path, parent, sizeof(parent));
    if (!name)
        return bt_err_msg(err, EINVAL, "refusing to remove %s", path);
    cleanup_close int parent_fd = open(parent, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (parent_fd < 0)
        return errno == ENOENT ? 0 : bt_err_sys(err, errno, "open %s", parent);
    uint64_t parent_id = 0, id = 0;
    mode_t mode = 0;
    int ret = mount_id(parent_fd, ".", &parent_id, &mode);
    if (ret < 0)
        return bt_err_sys(err, -ret, "statx %s", parent);
    ret = mount_id(parent_fd, name, &id, &mode);
    if (ret == -ENOENT)
        return 0;
    if (ret < 0)
        return bt_err_sys(err, -ret, "statx %s", path);
    if (S_ISDIR(mode) && id != parent_id)
        return bt_err_msg(err, EBUSY, "refusing to remove %s: it is a mount point", path);
    ret = remove_at(parent_fd, name, parent_id, 0, where);
    if (ret == -EBUSY && where[0])
        return bt_err_msg(err, EBUSY, "refusing to remove %s: %s inside is a mount point", path,
                          where);
    if (ret < 0)
        return bt_err_sys(err, -ret, "remove %s", path);
    return 0;
}

int bt_rootfs_prepare(const struct bt_rootfs *rootfs, const char **root, struct bt_err *err)
{
    int ret;
    switch (rootfs->kind) {
    case BT_ROOTFS_DIR:
        if (!rootfs->image)
            return bt_err_msg(err, EINVAL, "rootfs: no directory");
        *root = rootfs->image;
        return 0;
    case BT_ROOTFS_OVERLAY:
        if (!rootfs->target)
            return bt_err_msg(err, EINVAL, "rootfs: overlay without a mount point");
        ret = bt_rootfs_overlay_mount(rootfs->layers, rootfs->n_layers, rootfs->upper, rootfs->work,
                                      rootfs->target, err);
        if (ret < 0)
            return ret;
        *root = rootfs->target;
        return 0;
    case BT_ROOTFS_BTRFS:
        if (!rootfs->image || !rootfs->target)
            return bt_err_msg(err, EINVAL, "rootfs: btrfs needs an image and a snapshot path");
        /* A restarted container keeps its snapshot, as docker keeps its writable layer. */
        if (!bt_rootfs_is_btrfs_subvolume(rootfs->target)) {
            char parent[PATH_MAX];
            if (!split_path(rootfs->target, parent, sizeof(parent)))
                return bt_err_msg(err, EINVAL, "%s: not a usable snapshot path", rootfs->target);
            ret = make_dirs(parent, 0755);
            if (ret < 0)
                return bt_err_sys(err, -ret, "create %s", parent);
            ret = bt_rootfs_btrfs_snapshot(rootfs->image, rootfs->target, false, err);
            if (ret < 0)
                return ret;
        }
        *root = rootfs->target;
        return 0;
    }
    return bt_err_msg(err, EINVAL, "rootfs: unknown kind %d", (int)rootfs->kind);
}

int bt_rootfs_release(const struct bt_rootfs *rootfs, struct bt_err *err)
{
    if (rootfs->kind != BT_ROOTFS_OVERLAY || !rootfs->target)
        return 0;
    /* EINVAL: not a mount point (any more). */
    if (umount2(rootfs->target, MNT_DETACH | UMOUNT_NOFOLLOW) < 0 && errno != EINVAL &&
        errno != ENOENT)
        return bt_err_sys(err, errno, "unmount %s", rootfs->target);
    return 0;
}

int bt_rootfs_remove(const struct bt_rootfs *rootfs, struct bt_err *err)
{
    int ret = bt_rootfs_release(rootfs, err);
    if (ret < 0)
        return ret;
    switch (rootfs->kind) {
    case BT_ROOTFS_DIR: return 0;
    case BT_ROOTFS_OVERLAY:
        if (rootfs->upper && (ret = bt_rootfs_remove_tree(rootfs->upper, err)) < 0)
            return ret;
        if (rootfs->work && (ret = bt_rootfs_remove_tree(rootfs->work, err)) < 0)
            return ret;
        if (rootfs->target && rmdir(rootfs->target) < 0 && errno != ENOENT)
            return bt_err_sys(err, errno, "remove %s", rootfs->target);
        return 0;
    case BT_ROOTFS_BTRFS: return rootfs->target ? bt_rootfs_btrfs_delete(rootfs->target, err) : 0;
    }
    return bt_err_msg(err, EINVAL, "rootfs: unknown kind %d", (int)rootfs->kind);
}
