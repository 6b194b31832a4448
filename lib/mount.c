/* The container's mount table: see mount.h. Runs in the child's new mount namespace; every
 * path inside the rootfs is reached through an fd opened with RESOLVE_IN_ROOT and mounted onto
 * through /proc/self/fd/N, never through a string path that a symlink could redirect. */
#include "mount.h"
#include "cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

/* Enough for "/proc/self/fd/" and any int. */
#define FD_PATH_MAX 32

/* The per-mount flags that a bind remount may change; the rest are not mount flags. */
#define BIND_REMOUNT_FLAGS                                                                         \
    (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME |     \
     MS_STRICTATIME | MS_NOSYMFOLLOW)
#define ATIME_FLAGS       (MS_NOATIME | MS_RELATIME | MS_STRICTATIME)
#define PROPAGATION_FLAGS (MS_PRIVATE | MS_SLAVE | MS_SHARED | MS_UNBINDABLE)

const struct bt_mount bt_mount_defaults[] = {
    {.source = "proc",
     .target = "/proc",
     .type = "proc",
     .flags = MS_NOSUID | MS_NODEV | MS_NOEXEC},
    {.source = "tmpfs",
     .target = "/dev",
     .type = "tmpfs",
     .flags = MS_NOSUID | MS_STRICTATIME,
     .data = "mode=755,size=65536k"},
    {.source = "devpts",
     .target = "/dev/pts",
     .type = "devpts",
     .flags = MS_NOSUID | MS_NOEXEC,
     .data = "newinstance,ptmxmode=0666,mode=0620,gid=5"},
    {.source = "shm",
     .target = "/dev/shm",
     .type = "tmpfs",
     .flags = MS_NOSUID | MS_NOEXEC | MS_NODEV,
     .data = "mode=1777,size=65536k"},
    {.source = "mqueue",
     .target = "/dev/mqueue",
     .type = "mqueue",
     .flags = MS_NOSUID | MS_NOEXEC | MS_NODEV},
    {.source = "sysfs",
     .target = "/sys",
     .type = "sysfs",
     .flags = MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY},
};
const size_t bt_mount_defaults_count = sizeof(bt_mount_defaults) / sizeof(bt_mount_defaults[0]);

const char *const bt_mount_default_masked_paths[] = {
    "/proc/acpi",
    "/proc/asound",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/sys/firmware",
    "/proc/scsi",
    NULL,
};

const char *const bt_mount_default_readonly_paths[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};

/* The standard nodes of the runtime spec ("Default Devices"). */
static const struct {
    const char *name;
    unsigned major, minor;
} default_devices[] = {
    {"null", 1, 3},   {"zero", 1, 5},    {"full", 1, 7},
    {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
};

static const struct {
    const char *name, *target;
} default_symlinks[] = {
    {"fd", "/proc/self/fd"},       {"stdin", "/proc/self/fd/0"}, {"stdout", "/proc/self/fd/1"},
    {"stderr", "/proc/self/fd/2"}, {"ptmx", "pts/ptmx"},
};

static const char *fd_path(char buf[FD_PATH_MAX], int fd)
{
    snprintf(buf, FD_PATH_MAX, "/proc/self/fd/%d", fd);
    return buf;
}

int bt_mount_open_in_root(int root_fd, const char *path)
{
    struct open_how how = {
        .flags = O_PATH | O_CLOEXEC,
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
    };
    while (*path == '/')
        path++;
    if (!*path)
        path = ".";
    /* RESOLVE_IN_ROOT answers EAGAIN when a rename or mount raced with the walk. */
    for (int attempt = 0; attempt < 16; attempt++) {
        long fd = syscall(SYS_openat2, root_fd, path, &how, sizeof(how));
        if (fd >= 0)
            return (int)fd;
        if (errno != EAGAIN)
            break;
    }
    return -errno;
}

/* Removes the last component of the root-relative PATH in place ("a/b" → "a", "a" → ""). */
static void drop_last(char *path)
{
    char *slash = strrchr(path, '/');
    if (slash)
        *slash = '\0';
    else
        path[0] = '\0';
}

static int append_component(char *path, size_t len, const char *component, size_t component_len)
{
    size_t used = strlen(path);
    if (used + 1 + component_len + 1 > len)
        return -ENAMETOOLONG;
    if (used)
        path[used++] = '/';
    memcpy(path + used, component, component_len);
    path[used + component_len] = '\0';
    return 0;
}

int bt_mount_create_in_root(int root_fd, const char *path, bool directory)
{
    int fd = bt_mount_open_in_root(root_fd, path);
    if (fd != -ENOENT)
        return fd;

    /* Walk by hand: DONE is the part already resolved, symlink-free and relative to the root;
     * TODO what is left. A symlink's target is pushed in front of TODO, so that a dangling
     * link gets its target created inside the root rather than failing or escaping. Each step
     * reopens DONE with RESOLVE_IN_ROOT, and the final open below is the kernel's own. */
    char done[PATH_MAX] = "", todo[PATH_MAX], link[PATH_MAX];
    if (strlen(path) >= sizeof(todo))
        return -ENAMETOOLONG;
    strcpy(todo, path);
    int links = 0;
    for (;;) {
        char *start = todo;
        while (*start == '/')
            start++;
        if (!*start)
            break;
        size_t component_len = strcspn(start, "/");
        char component[NAME_MAX + 1];
        if (component_len > NAME_MAX)
            return -ENAMETOOLONG;
        memcpy(component, start, component_len);
        component[component_len] = '\0';
        const char *rest = start + component_len;
        bool last = strspn(rest, "/") == strlen(rest);
        memmove(todo, rest, strlen(rest) + 1);

        if (strcmp(component, ".") == 0)
            continue;
        if (strcmp(component, "..") == 0) {
            drop_last(done);
            continue;
        }
        cleanup_close int dir_fd = bt_mount_open_in_root(root_fd, done);
        if (dir_fd < 0)
            return dir_fd;
        struct stat st;
        if (fstatat(dir_fd, component, &st, AT_SYMLINK_NOFOLLOW) == 0) {
            if (S_ISLNK(st.st_mode)) {
                if (++links > 40)
                    return -ELOOP;
                ssize_t n = readlinkat(dir_fd, component, link, sizeof(link) - 1);
                if (n < 0)
                    return -errno;
                link[n] = '\0';
                if ((size_t)n + 1 + strlen(todo) + 1 > sizeof(todo))
                    return -ENAMETOOLONG;
                memmove(todo + n + 1, todo, strlen(todo) + 1);
                memcpy(todo, link, (size_t)n);
                todo[n] = '/';
                if (link[0] == '/')
                    done[0] = '\0';
                continue;
            }
            if (!last && !S_ISDIR(st.st_mode))
                return -ENOTDIR;
        } else if (errno != ENOENT) {
            return -errno;
        } else if (!last || directory) {
            if (mkdirat(dir_fd, component, 0755) < 0 && errno != EEXIST)
                return -errno;
        } else {
            int file_fd = openat(dir_fd, component,
                                 O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
            if (file_fd < 0 && errno != EEXIST)
                return -errno;
            if (file_fd >= 0)
                close(file_fd);
        }
        int ret = append_component(done, sizeof(done), component, component_len);
        if (ret < 0)
            return ret;
    }
    return bt_mount_open_in_root(root_fd, path);
}

/* The per-mount flags of the mount FD lives on, as MS_* flags. A bind remount sets all of
 * them at once, so whatever the caller does not mean to change must be passed back: the
 * source's nosuid/nodev/noexec (and in a user namespace these and the atime flags are locked:
 * leaving one out is EPERM). crun does the same (get_remount_flags). */
static unsigned long mount_flags_of(int fd)
{
    struct statvfs st;
    if (fstatvfs(fd, &st) < 0)
        return 0;
    unsigned long flags = 0;
    if (st.f_flag & ST_RDONLY)
        flags |= MS_RDONLY;
    if (st.f_flag & ST_NOSUID)
        flags |= MS_NOSUID;
    if (st.f_flag & ST_NODEV)
        flags |= MS_NODEV;
    if (st.f_flag & ST_NOEXEC)
        flags |= MS_NOEXEC;
    if (st.f_flag & ST_NOATIME)
        flags |= MS_NOATIME;
    if (st.f_flag & ST_NODIRATIME)
        flags |= MS_NODIRATIME;
    if (st.f_flag & ST_RELATIME)
        flags |= MS_RELATIME;
    if (!(flags & (MS_NOATIME | MS_RELATIME)))
        flags |= MS_STRICTATIME;
    return flags;
}

/* Remounts the bind mount now on top of TARGET with FLAGS added to the flags it has. */
static int remount_bind(int root_fd, const char *target, unsigned long flags, struct bt_err *err)
{
    char buf[FD_PATH_MAX];
    /* The fd opened before the mount points under it: reopen to get the new mount's root. */
    cleanup_close int fd = bt_mount_open_in_root(root_fd, target);
    if (fd < 0)
        return bt_err_sys(err, -fd, "open %s", target);
    unsigned long have = mount_flags_of(fd);
    if (flags & ATIME_FLAGS)
        have &= ~ATIME_FLAGS;
    flags = (flags | have) & BIND_REMOUNT_FLAGS;
    if (mount(NULL, fd_path(buf, fd), NULL, MS_BIND | MS_REMOUNT | flags, NULL) < 0)
        return bt_err_sys(err, errno, "remount %s", target);
    return 0;
}

static int set_propagation(int root_fd, const char *target, unsigned long propagation,
                           struct bt_err *err)
{
    char buf[FD_PATH_MAX];
    cleanup_close int fd = bt_mount_open_in_root(root_fd, target);
    if (fd < 0)
        return bt_err_sys(err, -fd, "open %s", target);
    if (mount(NULL, fd_path(buf, fd), NULL, propagation, NULL) < 0)
        return bt_err_sys(err, errno, "set propagation of %s", target);
    return 0;
}

static int set_attr_recursive(int root_fd, const char *target, uint64_t set, uint64_t clear,
                              struct bt_err *err)
{
    cleanup_close int fd = bt_mount_open_in_root(root_fd, target);
    if (fd < 0)
        return bt_err_sys(err, -fd, "open %s", target);
    struct mount_attr attr = {.attr_set = set, .attr_clr = clear};
    if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
        return bt_err_sys(err, errno, "set recursive attributes of %s", target);
    return 0;
}

/* Copies DATA into BUF without its "gid=N" option. */
static void strip_gid(const char *data, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    while (*data) {
        size_t n = strcspn(data, ",");
        if (strncmp(data, "gid=", 4) != 0 && used + n + 2 <= len) {
            if (used)
                buf[used++] = ',';
            memcpy(buf + used, data, n);
            used += n;
            buf[used] = '\0';
        }
        data += n;
        if (*data == ',')
            data++;
    }
}

static bool is_bind(const struct bt_mount *m)
{
    return (m->flags & MS_BIND) || !m->type || strcmp(m->type, "bind") == 0 ||
           strcmp(m->type, "rbind") == 0;
}

static int mount_entry(int root_fd, const struct bt_mount *m, struct bt_err *err);

/* A sysfs or mqueue that the kernel refuses in this user namespace: bind the host's instead. */
static int mount_host_instead(int root_fd, const struct bt_mount *m, const char *host,
                              struct bt_err *err)
{
    struct stat st;
    if (stat(host, &st) < 0)
        return bt_err_sys(err, EPERM, "mount %s on %s (and the host has no %s to bind)", m->type,
                          m->target, host);
    struct bt_mount bind = {
        .source = host,
        .target = m->target,
        .type = "bind",
        .flags = MS_BIND | MS_REC | (m->flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC)),
        .rec_attr_set = (m->flags & MS_RDONLY) ? MOUNT_ATTR_RDONLY : 0,
    };
    return mount_entry(root_fd, &bind, err);
}

static int mount_entry(int root_fd, const struct bt_mount *m, struct bt_err *err)
{
    char buf[FD_PATH_MAX];
    if (!m->target || !*m->target)
        return bt_err_msg(err, EINVAL, "mount of %s has no target", m->source ? m->source : "?");
    bool bind = is_bind(m);
    if (bind && !m->source)
        return bt_err_msg(err, EINVAL, "bind mount on %s has no source", m->target);

    cleanup_close int fd = -1;
    if (m->flags & MS_REMOUNT) {
        fd = bt_mount_open_in_root(root_fd, m->target);
        if (fd < 0)
            return bt_err_sys(err, -fd, "open %s", m->target);
        unsigned long flags = m->flags;
        if (flags & MS_BIND)
            flags = MS_BIND | MS_REMOUNT | ((flags | mount_flags_of(fd)) & BIND_REMOUNT_FLAGS);
        if (mount(NULL, fd_path(buf, fd), NULL, flags, m->data) < 0)
            return bt_err_sys(err, errno, "remount %s", m->target);
        return 0;
    }

    bool directory = true;
    if (bind) {
        struct stat st;
        if (stat(m->source, &st) < 0)
            return bt_err_sys(err, errno, "bind source %s for %s", m->source, m->target);
        directory = S_ISDIR(st.st_mode);
    }
    fd = bt_mount_create_in_root(root_fd, m->target, directory);
    if (fd < 0)
        return bt_err_sys(err, -fd, "create mount point %s", m->target);

    if (bind) {
        bool recursive = (m->flags & MS_REC) || (m->type && strcmp(m->type, "rbind") == 0);
        if (mount(m->source, fd_path(buf, fd), NULL, MS_BIND | (recursive ? MS_REC : 0), NULL) < 0)
            return bt_err_sys(err, errno, "bind %s on %s", m->source, m->target);
        if (m->flags & BIND_REMOUNT_FLAGS) {
            int ret = remount_bind(root_fd, m->target, m->flags & BIND_REMOUNT_FLAGS, err);
            if (ret < 0)
                return ret;
        }
    } else {
        const char *source = m->source ? m->source : m->type;
        unsigned long flags = m->flags & ~PROPAGATION_FLAGS;
        if (mount(source, fd_path(buf, fd), m->type, flags, m->data) < 0) {
            int saved = errno;
            /* sysfs needs the network namespace's owner, mqueue the ipc one's (userns). */
            if (saved == EPERM && strcmp(m->type, "sysfs") == 0)
                return mount_host_instead(root_fd, m, "/sys", err);
            if (saved == EPERM && strcmp(m->type, "mqueue") == 0)
                return mount_host_instead(root_fd, m, "/dev/mqueue", err);
            /* devpts refuses gid=5 when that gid is not mapped in the user namespace. */
            char data[1024];
            if (saved == EINVAL && strcmp(m->type, "devpts") == 0 && m->data &&
                strstr(m->data, "gid=") && strlen(m->data) < sizeof(data)) {
                strip_gid(m->data, data, sizeof(data));
                if (mount(source, buf, m->type, flags, data) == 0)
                    goto mounted;
                saved = errno;
            }
            return bt_err_sys(err, saved, "mount %s on %s", m->type, m->target);
        }
    }
mounted:
    if (m->propagation) {
        int ret = set_propagation(root_fd, m->target, m->propagation, err);
        if (ret < 0)
            return ret;
    }
    if (m->rec_attr_set || m->rec_attr_clr)
        return set_attr_recursive(root_fd, m->target, m->rec_attr_set, m->rec_attr_clr, err);
    return 0;
}

/* True when PATH names "/dev" (any number of slashes, "dev" or "/dev/"). */
static bool is_dev(const char *path)
{
    while (*path == '/')
        path++;
    if (strncmp(path, "dev", 3) != 0)
        return false;
    path += 3;
    while (*path == '/')
        path++;
    return *path == '\0';
}

static int create_devices(int root_fd, const char *console, struct bt_err *err)
{
    char buf[FD_PATH_MAX], path[64];
    cleanup_close int dev_fd = bt_mount_create_in_root(root_fd, "/dev", true);
    if (dev_fd < 0)
        return bt_err_sys(err, -dev_fd, "open /dev");
    for (size_t i = 0; i < sizeof(default_devices) / sizeof(default_devices[0]); i++) {
        const char *name = default_devices[i].name;
        dev_t dev = makedev(default_devices[i].major, default_devices[i].minor);
        if (mknodat(dev_fd, name, S_IFCHR | 0666, dev) == 0) {
            /* mknod applies the umask. */
            if (fchmodat(dev_fd, name, 0666, 0) < 0)
                return bt_err_sys(err, errno, "chmod /dev/%s", name);
            continue;
        }
        if (errno == EEXIST)
            continue;
        if (errno != EPERM)
            return bt_err_sys(err, errno, "mknod /dev/%s", name);
        /* No CAP_MKNOD here (a user namespace): bind the host's node, as crun does. */
        snprintf(path, sizeof(path), "/dev/%s", name);
        cleanup_close int fd = bt_mount_create_in_root(root_fd, path, false);
        if (fd < 0)
            return bt_err_sys(err, -fd, "create %s", path);
        if (mount(path, fd_path(buf, fd), NULL, MS_BIND, NULL) < 0)
            return bt_err_sys(err, errno, "bind %s", path);
    }
    for (size_t i = 0; i < sizeof(default_symlinks) / sizeof(default_symlinks[0]); i++) {
        if (symlinkat(default_symlinks[i].target, dev_fd, default_symlinks[i].name) < 0 &&
            errno != EEXIST)
            return bt_err_sys(err, errno, "symlink /dev/%s", default_symlinks[i].name);
    }
    if (console) {
        cleanup_close int fd = bt_mount_create_in_root(root_fd, "/dev/console", false);
        if (fd < 0)
            return bt_err_sys(err, -fd, "create /dev/console");
        if (mount(console, fd_path(buf, fd), NULL, MS_BIND, NULL) < 0)
            return bt_err_sys(err, errno, "bind %s on /dev/console", console);
    }
    return 0;
}

/* Hides PATH: /dev/null over a file, an empty read-only tmpfs over a directory (runc's and
 * crun's way). A path that does not exist needs no mask. */
static int mask_path(int root_fd, const char *path, struct bt_err *err)
{
    char buf[FD_PATH_MAX];
    cleanup_close int fd = bt_mount_open_in_root(root_fd, path);
    if (fd == -ENOENT)
        return 0;
    if (fd < 0)
        return bt_err_sys(err, -fd, "open masked path %s", path);
    struct stat st;
    if (fstat(fd, &st) < 0)
        return bt_err_sys(err, errno, "stat masked path %s", path);
    int ret = S_ISDIR(st.st_mode) ? mount("tmpfs", fd_path(buf, fd), "tmpfs",
                                          MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0k")
                                  : mount("/dev/null", fd_path(buf, fd), NULL, MS_BIND, NULL);
    if (ret < 0)
        return bt_err_sys(err, errno, "mask %s", path);
    return 0;
}

static int readonly_path(int root_fd, const char *path, struct bt_err *err)
{
    char buf[FD_PATH_MAX];
    cleanup_close int fd = bt_mount_open_in_root(root_fd, path);
    if (fd == -ENOENT)
        return 0;
    if (fd < 0)
        return bt_err_sys(err, -fd, "open read-only path %s", path);
    fd_path(buf, fd);
    if (mount(buf, buf, NULL, MS_BIND | MS_REC, NULL) < 0)
        return bt_err_sys(err, errno, "bind read-only path %s", path);
    return remount_bind(root_fd, path, MS_RDONLY, err);
}

/* pivot_root(2) refuses a new root whose parent mount is shared: make the mount that holds
 * ROOTFS private (the first ancestor that is a mount point). */
static int make_parent_private(const char *rootfs, struct bt_err *err)
{
    char dir[PATH_MAX];
    if (strlen(rootfs) >= sizeof(dir))
        return bt_err_msg(err, ENAMETOOLONG, "rootfs path too long");
    strcpy(dir, rootfs);
    for (;;) {
        char *slash = strrchr(dir, '/');
        if (!slash)
            return 0;
        if (slash == dir)
            slash[1] = '\0';
        else
            *slash = '\0';
        if (mount(NULL, dir, NULL, MS_PRIVATE, NULL) == 0)
            return 0;
        if (errno != EINVAL)
            return bt_err_sys(err, errno, "make %s private", dir);
        if (strcmp(dir, "/") == 0)
            return 0;
    }
}

/* runc's and crun's trick: pivot_root(".", ".") stacks the old root on the new one, and a lazy
 * unmount of "." (taken through the old root's fd) drops it, so no put_old directory is left
 * behind and nothing of the host stays reachable. */
static int pivot(int root_fd, struct bt_err *err)
{
    cleanup_close int old_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (old_fd < 0)
        return bt_err_sys(err, errno, "open /");
    if (fchdir(root_fd) < 0)
        return bt_err_sys(err, errno, "chdir to the rootfs");
    if (syscall(SYS_pivot_root, ".", ".") < 0)
        return bt_err_sys(err, errno, "pivot_root");
    if (fchdir(old_fd) < 0)
        return bt_err_sys(err, errno, "chdir to the old root");
    /* So that the unmount does not propagate to the host through a shared peer. */
    if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
        return bt_err_sys(err, errno, "make the old root rslave");
    if (umount2(".", MNT_DETACH) < 0)
        return bt_err_sys(err, errno, "unmount the old root");
    if (chdir("/") < 0)
        return bt_err_sys(err, errno, "chdir /");
    return 0;
}

/* True when the caller shares the mount namespace of PID 1 (of /proc's pid namespace, the
 * host's init until the container's /proc is mounted): the caller forgot to unshare, and
 * going on would make the host's mounts private and pivot the host's root away. */
static bool in_init_mount_namespace(void)
{
    struct stat self, init;
    return stat("/proc/self/ns/mnt", &self) == 0 && stat("/proc/1/ns/mnt", &init) == 0 &&
           self.st_ino == init.st_ino && self.st_dev == init.st_dev;
}

int bt_mount_setup(const struct bt_mount_config *config, struct bt_err *err)
{
    int ret;
    if (!config->rootfs || config->rootfs[0] != '/')
        return bt_err_msg(err, EINVAL, "rootfs must be an absolute path");
    if (in_init_mount_namespace())
        return bt_err_msg(err, EINVAL,
                          "refusing to set up mounts in the mount namespace of PID 1 "
                          "(unshare CLONE_NEWNS first)");
    unsigned long propagation = config->rootfs_propagation;
    if (!propagation)
        propagation = MS_REC | MS_PRIVATE;
    if (mount(NULL, "/", NULL, propagation, NULL) < 0)
        return bt_err_sys(err, errno, "set the propagation of /");
    ret = make_parent_private(config->rootfs, err);
    if (ret < 0)
        return ret;
    /* pivot_root needs the new root to be a mount point. */
    if (mount(config->rootfs, config->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
        return bt_err_sys(err, errno, "bind the rootfs %s", config->rootfs);
    cleanup_close int root_fd = open(config->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root_fd < 0)
        return bt_err_sys(err, errno, "open the rootfs %s", config->rootfs);

    bool have_dev = false;
    for (size_t i = 0; i < config->n_mounts; i++)
        have_dev = have_dev || (config->mounts[i].target && is_dev(config->mounts[i].target));
    if (config->setup_dev && !have_dev) {
        ret = mount_entry(root_fd, &bt_mount_defaults[1], err);
        if (ret < 0)
            return ret;
    }
    for (size_t i = 0; i < config->n_mounts; i++) {
        ret = mount_entry(root_fd, &config->mounts[i], err);
        if (ret < 0)
            return ret;
    }
    if (config->setup_dev) {
        ret = create_devices(root_fd, config->console, err);
        if (ret < 0)
            return ret;
    }
    for (const char *const *p = config->masked_paths; p && *p; p++) {
        ret = mask_path(root_fd, *p, err);
        if (ret < 0)
            return ret;
    }
    for (const char *const *p = config->readonly_paths; p && *p; p++) {
        ret = readonly_path(root_fd, *p, err);
        if (ret < 0)
            return ret;
    }
    ret = pivot(root_fd, err);
    if (ret < 0)
        return ret;
    /* The parent was made private for pivot_root, and the new root with it: now give "/" the
     * propagation that was asked for (rshared, rslave). */
    if (config->rootfs_propagation && mount(NULL, "/", NULL, propagation, NULL) < 0)
        return bt_err_sys(err, errno, "set the propagation of the new /");
    if (config->readonly_root) {
        cleanup_close int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        unsigned long flags = fd >= 0 ? mount_flags_of(fd) : 0;
        if (mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | flags, NULL) < 0)
            return bt_err_sys(err, errno, "remount / read-only");
    }
    return 0;
}
