/* Unit tests for lib/mount.c. Each case runs as PID 1 of a new pid namespace inside a new mount
 * namespace (a user namespace too for one case), so that no mount reaches the host; the host
 * side checks afterwards that nothing escaped the rootfs. */
#include "mount.h"
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <sched.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#ifndef MQUEUE_MAGIC
#define MQUEUE_MAGIC 0x19800202
#endif

/* ---- the harness: one forked child per case, TAP counts handed back in shared memory ---- */

/* Maps root (only) into a new user namespace of our own. */
static int enter_userns(void)
{
    if (unshare(CLONE_NEWUSER) < 0)
        return -errno;
    int ret = write_file("/proc/self/setgroups", "deny");
    if (ret == 0)
        ret = write_file("/proc/self/uid_map", "0 0 1");
    if (ret == 0)
        ret = write_file("/proc/self/gid_map", "0 0 1");
    return ret;
}

enum { IN_USERNS = 1 };
/* The number of assertions of case_userns, skipped where there is no user namespace. */
#define USERNS_CASE_TESTS 7

/* Runs FN(ARG) as PID 1 of new mount and pid namespaces (and a user namespace first with
 * IN_USERNS); a case that dies or hangs fails here, and the next case still runs. */
static void run_case(const char *name, void (*fn)(void *), void *arg, int options)
{
    pid_t pid = case_fork(120, 60);
    if (pid == 0) {
        int ret = (options & IN_USERNS) ? enter_userns() : 0;
        if (ret < 0 && (options & IN_USERNS)) {
            /* Hosts may forbid user namespaces (sysctls, seccomp in a CI container). */
            skip_n(USERNS_CASE_TESTS, "no user namespace here");
            diag("%s: %s", name, strerror(-ret));
            child_done(0);
        }
        if (unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC) < 0) {
            diag("%s: cannot make namespaces: %s", name, strerror(errno));
            _exit(4);
        }
        case_run_child(fn, arg, 50);
    }
    case_wait(name, pid);
}

/* ---- fixtures ---- */

static char tmp[PATH_MAX];
static char rootfs[PATH_MAX];
static dev_t host_root_dev, host_pts_dev;
static bool host_has_kcore, host_has_sysrq;
static char sys_writable[64];

/* The busybox rootfs of tests/mkrootfs, or a bare skeleton when busybox is not there: these
 * tests never exec anything in it. */
static int make_rootfs(void)
{
    path_in(rootfs, tmp, "rootfs");
    pid_t pid = fork();
    if (pid == 0) {
        int null_fd = open("/dev/null", O_WRONLY);
        dup2(null_fd, STDOUT_FILENO);
        dup2(null_fd, STDERR_FILENO);
        execl("tests/mkrootfs", "mkrootfs", rootfs, (char *)NULL);
        _exit(127);
    }
    int status;
    if (pid > 0 && waitpid(pid, &status, 0) == pid && status == 0)
        return 0;
    diag("tests/mkrootfs failed: using a bare skeleton");
    const char *dirs[] = {"", "/etc", "/proc", "/sys", "/dev", "/tmp", "/bin"};
    char path[PATH_MAX];
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        snprintf(path, sizeof(path), "%s%s", rootfs, dirs[i]);
        if (mkdir(path, 0755) < 0 && errno != EEXIST)
            return -errno;
    }
    path_in(path, rootfs, "etc/hostname");
    return write_file(path, "bottle\n");
}

/* errno of opening PATH for writing (0 when it opens). */
static int open_write_errno(const char *path, int flags)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC | flags, 0644);
    if (fd < 0)
        return errno;
    close(fd);
    return 0;
}

static long fs_type(const char *path)
{
    struct statfs fs;
    return statfs(path, &fs) == 0 ? (long)fs.f_type : -errno;
}

static unsigned long vfs_flags(const char *path)
{
    struct statvfs st;
    return statvfs(path, &st) == 0 ? st.f_flag : 0;
}

/* The top-most line of /proc/self/mountinfo whose mount point is MOUNT_POINT. */
static bool mountinfo_line(const char *mount_point, char *out, size_t len)
{
    FILE *f = fopen("/proc/self/mountinfo", "re");
    if (!f)
        return false;
    char line[4096];
    bool found = false;
    while (fgets(line, sizeof(line), f)) {
        char point[PATH_MAX];
        if (sscanf(line, "%*d %*d %*s %*s %4095s", point) == 1 && strcmp(point, mount_point) == 0) {
            snprintf(out, len, "%s", line);
            found = true;
        }
    }
    fclose(f);
    return found;
}

static struct bt_mount_config default_config(void)
{
    struct bt_mount_config config = {
        .rootfs = rootfs,
        .mounts = bt_mount_defaults,
        .n_mounts = bt_mount_defaults_count,
        .masked_paths = bt_mount_default_masked_paths,
        .readonly_paths = bt_mount_default_readonly_paths,
        .setup_dev = true,
    };
    return config;
}

static bool setup_ok(const struct bt_mount_config *config, const char *what)
{
    struct bt_err err = {0};
    int ret = bt_mount_setup(config, &err);
    if (!ok(ret == 0, "%s: bt_mount_setup succeeds", what))
        diag("  %s", err.msg);
    return ret == 0;
}

/* ---- cases ---- */

static void case_pivot(void *arg)
{
    (void)arg;
    char path[PATH_MAX], buf[PATH_MAX], line[4096];
    struct bt_mount_config config = default_config();
    if (!setup_ok(&config, "pivot"))
        child_done(1);
    ok(getpid() == 1, "pivot: we are PID 1 of the new pid namespace");
    ok(getcwd(buf, sizeof(buf)) && strcmp(buf, "/") == 0, "pivot: the cwd is the new /");
    ssize_t n = readlink("/proc/1/root", buf, sizeof(buf) - 1);
    buf[n > 0 ? n : 0] = '\0';
    is_str(buf, "/", "pivot: /proc/1/root is the new root");
    ok(access("/proc/1/root/.bt-rootfs-marker", F_OK) == 0,
       "pivot: /proc/1/root shows the rootfs' own files");
    path_in(path, tmp, "host-marker");
    ok(access(path, F_OK) < 0 && errno == ENOENT, "pivot: a host file is not reachable");

    /* The old root was detached: no mount of the host's root filesystem at its own "/". */
    FILE *f = fopen("/proc/self/mountinfo", "re");
    int host_roots = 0, mounts = 0;
    char dev[32];
    snprintf(dev, sizeof(dev), "%u:%u", major(host_root_dev), minor(host_root_dev));
    while (f && fgets(line, sizeof(line), f)) {
        char majmin[32], root[PATH_MAX], point[PATH_MAX];
        mounts++;
        if (sscanf(line, "%*d %*d %31s %4095s %4095s", majmin, root, point) == 3 &&
            strcmp(majmin, dev) == 0 && strcmp(root, "/") == 0)
            host_roots++;
    }
    if (f)
        fclose(f);
    is_int(host_roots, 0, "pivot: no mount of the host root in mountinfo");
    ok(mounts > 0 && mounts < 40, "pivot: only the container's mounts are left (%d)", mounts);
    ok(mountinfo_line("/", line, sizeof(line)) && strstr(line, rootfs + strlen("/")),
       "pivot: / is the rootfs bind");
    ok(access("/proc/self/fd/0", F_OK) == 0 || errno == ENOENT, "pivot: /proc works");
}

static void case_dev(void *arg)
{
    (void)arg;
    char buf[64], line[4096];
    struct stat st;
    /* A pty of the host's devpts, to appear as /dev/console. */
    int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    const char *slave = master >= 0 ? ptsname(master) : NULL;
    struct stat slave_st = {0};
    if (slave)
        stat(slave, &slave_st);
    struct bt_mount_config config = default_config();
    config.console = slave;
    if (!setup_ok(&config, "dev"))
        child_done(1);

    ok(fs_type("/dev") == TMPFS_MAGIC, "dev: /dev is a tmpfs");
    ok(stat("/dev", &st) == 0 && (st.st_mode & 07777) == 0755, "dev: /dev has mode 755");
    ok(vfs_flags("/dev") & ST_NOSUID, "dev: /dev is nosuid");
    static const struct {
        const char *path;
        unsigned major, minor;
    } nodes[] = {{"/dev/null", 1, 3},   {"/dev/zero", 1, 5},    {"/dev/full", 1, 7},
                 {"/dev/random", 1, 8}, {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0}};
    int good = 0;
    for (size_t i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++) {
        if (lstat(nodes[i].path, &st) == 0 && S_ISCHR(st.st_mode) &&
            st.st_rdev == makedev(nodes[i].major, nodes[i].minor) && (st.st_mode & 0777) == 0666)
            good++;
        else
            diag("  %s is wrong", nodes[i].path);
    }
    is_int(good, 6, "dev: null zero full random urandom tty are 0666 char devices");

    int fd = open("/dev/zero", O_RDONLY);
    memset(buf, 'x', sizeof(buf));
    ok(fd >= 0 && read(fd, buf, sizeof(buf)) == sizeof(buf) && buf[0] == 0 && buf[63] == 0,
       "dev: /dev/zero reads zeros");
    close(fd);
    fd = open("/dev/null", O_WRONLY);
    ok(fd >= 0 && write(fd, "abc", 3) == 3, "dev: /dev/null takes writes");
    close(fd);
    fd = open("/dev/full", O_WRONLY);
    ok(fd >= 0 && write(fd, "abc", 3) < 0 && errno == ENOSPC, "dev: /dev/full is full");
    close(fd);
    fd = open("/dev/urandom", O_RDONLY);
    ok(fd >= 0 && read(fd, buf, 16) == 16, "dev: /dev/urandom reads");
    close(fd);

    static const char *const links[][2] = {{"/dev/fd", "/proc/self/fd"},
                                           {"/dev/stdin", "/proc/self/fd/0"},
                                           {"/dev/stdout", "/proc/self/fd/1"},
                                           {"/dev/stderr", "/proc/self/fd/2"},
                                           {"/dev/ptmx", "pts/ptmx"}};
    good = 0;
    for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
        ssize_t n = readlink(links[i][0], buf, sizeof(buf) - 1);
        buf[n > 0 ? n : 0] = '\0';
        good += strcmp(buf, links[i][1]) == 0;
    }
    is_int(good, 5, "dev: fd stdin stdout stderr ptmx symlinks");
    ok(lstat("/dev/core", &st) < 0 && errno == ENOENT, "dev: no /dev/core");

    ok(fs_type("/dev/shm") == TMPFS_MAGIC, "dev: /dev/shm is a tmpfs");
    ok(fs_type("/dev/mqueue") == MQUEUE_MAGIC, "dev: /dev/mqueue is an mqueue");
    ok(fs_type("/dev/pts") == DEVPTS_SUPER_MAGIC, "dev: /dev/pts is a devpts");
    ok(stat("/dev/pts", &st) == 0 && st.st_dev != host_pts_dev,
       "dev: /dev/pts is not the host's devpts");
    ok(mountinfo_line("/dev/pts", line, sizeof(line)) && strstr(line, "ptmxmode=666") &&
           strstr(line, "mode=620") && strstr(line, "gid=5"),
       "dev: /dev/pts has ptmxmode=666, mode=620, gid=5");
    int pty = posix_openpt(O_RDWR | O_NOCTTY);
    const char *name = pty >= 0 ? ptsname(pty) : NULL;
    is_str(name, "/dev/pts/0", "dev: the first pty of the new instance is /dev/pts/0");
    if (pty >= 0)
        close(pty);
    ok(slave && stat("/dev/console", &st) == 0 && S_ISCHR(st.st_mode) &&
           st.st_rdev == slave_st.st_rdev,
       "dev: /dev/console is the console pty");
}

static void case_masked(void *arg)
{
    (void)arg;
    char buf[64];
    struct stat st;
    const char *masked[] = {"/proc/kcore", "/proc/timer_list", "/proc/keys",    "/sys/firmware",
                            "/secret-dir", "/secret-file",     "/no/such/path", NULL};
    const char *readonly[] = {"/proc/sys", "/proc/sysrq-trigger", "/ro-dir", "/ro-file", "/missing",
                              NULL};
    struct bt_mount_config config = default_config();
    config.masked_paths = masked;
    config.readonly_paths = readonly;
    if (!setup_ok(&config, "masked"))
        child_done(1);

    /* Some kernels (this CI's) are built without /proc/kcore or /proc/sysrq-trigger. */
    if (host_has_kcore) {
        ok(stat("/proc/kcore", &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3),
           "masked: /proc/kcore is /dev/null");
        is_int(read_file("/proc/kcore", buf, sizeof(buf)), 0, "masked: /proc/kcore reads 0 bytes");
    } else {
        skip("masked: this kernel has no /proc/kcore");
        skip("masked: this kernel has no /proc/kcore");
    }
    if (host_has_sysrq)
        is_int(open_write_errno("/proc/sysrq-trigger", 0), EROFS,
               "readonly: writing /proc/sysrq-trigger fails with EROFS");
    else
        skip("readonly: this kernel has no /proc/sysrq-trigger");
    ok(stat("/proc/timer_list", &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3),
       "masked: /proc/timer_list is /dev/null");
    is_int(read_file("/proc/timer_list", buf, sizeof(buf)), 0,
           "masked: /proc/timer_list reads 0 bytes");
    is_int(read_file("/proc/keys", buf, sizeof(buf)), 0, "masked: /proc/keys reads 0 bytes");
    is_int(open_write_errno("/proc/sys/kernel/hostname", 0), EROFS,
           "readonly: writing /proc/sys fails with EROFS");
    DIR *dir = opendir("/sys/firmware");
    int entries = 0;
    struct dirent *entry;
    while (dir && (entry = readdir(dir)))
        entries += entry->d_name[0] != '.';
    if (dir)
        closedir(dir);
    ok(dir && entries == 0, "masked: /sys/firmware is empty");
    is_int(open_write_errno("/sys/firmware/x", O_CREAT), EROFS,
           "masked: /sys/firmware refuses new files");
    ok(access("/secret-dir/file", F_OK) < 0 && errno == ENOENT,
       "masked: a directory of the rootfs is hidden");
    is_int(read_file("/secret-file", buf, sizeof(buf)), 0,
           "masked: a file of the rootfs is hidden");
    is_int(read_file("/ro-dir/file", buf, sizeof(buf)), 5, "readonly: a read-only dir reads");
    is_int(open_write_errno("/ro-dir/new", O_CREAT), EROFS, "readonly: and refuses writes");
    is_int(read_file("/ro-file", buf, sizeof(buf)), 5, "readonly: a read-only file reads");
    is_int(open_write_errno("/ro-file", 0), EROFS, "readonly: and refuses writes");
    ok(vfs_flags("/sys") & ST_RDONLY, "sysfs is read-only");
    if (sys_writable[0])
        is_int(open_write_errno(sys_writable, 0), EROFS, "writing to %s fails with EROFS",
               sys_writable);
    else
        skip("no writable file in /sys/kernel to try");
}

struct escape_names {
    char etc_dir[64], up_dir[64], nowhere[64], dotdot[64];
};

static void case_escape(void *arg)
{
    struct escape_names *names = arg;
    char targets[5][PATH_MAX], path[PATH_MAX];
    snprintf(targets[0], PATH_MAX, "/esc-etc/%s", names->etc_dir);
    snprintf(targets[1], PATH_MAX, "/esc-up/%s", names->up_dir);
    snprintf(targets[2], PATH_MAX, "/esc-dangling/x");
    snprintf(targets[3], PATH_MAX, "../../../../%s", names->dotdot);
    snprintf(targets[4], PATH_MAX, "/esc-etc");
    struct bt_mount mounts[6] = {bt_mount_defaults[0]};
    for (int i = 0; i < 5; i++)
        mounts[i + 1] = (struct bt_mount){.source = "tmpfs", .target = targets[i], .type = "tmpfs"};
    struct bt_mount_config config = {.rootfs = rootfs, .mounts = mounts, .n_mounts = 6};
    if (!setup_ok(&config, "escape"))
        child_done(1);
    ok(fs_type("/etc") == TMPFS_MAGIC,
       "escape: a mount on a symlink to /etc lands on the rootfs' /etc");
    snprintf(path, sizeof(path), "/%s", names->up_dir);
    ok(fs_type(path) == TMPFS_MAGIC, "escape: a symlink to ../../.. stays at the rootfs' /");
    snprintf(path, sizeof(path), "/%s/deeper/x", names->nowhere);
    ok(fs_type(path) == TMPFS_MAGIC,
       "escape: a dangling symlink's target is created in the rootfs");
    snprintf(path, sizeof(path), "/%s", names->dotdot);
    ok(fs_type(path) == TMPFS_MAGIC, "escape: a target with ../../.. stays in the rootfs");
}

struct bind_paths {
    char rw[PATH_MAX], ro[PATH_MAX], file[PATH_MAX], nosuid[PATH_MAX], rec[PATH_MAX];
};

static void case_bind(void *arg)
{
    struct bind_paths *paths = arg;
    char buf[64], path[PATH_MAX];
    /* Sources with flags of their own, made in this namespace only. */
    if (mount("tmpfs", paths->nosuid, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k") < 0)
        diag("mount nosuid source: %s", strerror(errno));
    path_in(path, paths->rec, "sub");
    if (mount("tmpfs", path, "tmpfs", 0, "size=64k") < 0)
        diag("mount rec source: %s", strerror(errno));
    struct bt_mount mounts[] = {
        bt_mount_defaults[0],
        {.source = paths->rw, .target = "/data-rw", .type = "bind", .flags = MS_BIND},
        {.source = paths->ro, .target = "/data-ro", .flags = MS_BIND | MS_RDONLY},
        {.source = paths->file, .target = "/etc/bt-file", .flags = MS_BIND | MS_RDONLY},
        {.source = paths->nosuid, .target = "/nosuid-ro", .flags = MS_BIND | MS_RDONLY},
        {.source = paths->rec,
         .target = "/rec-ro",
         .flags = MS_BIND | MS_REC,
         .rec_attr_set = MOUNT_ATTR_RDONLY},
        {.source = "tmpfs", .target = "/scratch", .type = "tmpfs", .data = "size=1m,mode=700"},
    };
    struct bt_mount_config config = {
        .rootfs = rootfs, .mounts = mounts, .n_mounts = sizeof(mounts) / sizeof(mounts[0])};
    if (!setup_ok(&config, "bind"))
        child_done(1);
    is_int(write_file("/data-rw/new", "written"), 0, "bind: a rw bind takes writes");
    is_int(read_file("/data-ro/file", buf, sizeof(buf)), 5, "bind: a ro bind reads");
    is_int(write_file("/data-ro/new", "x"), -EROFS, "bind: a ro bind refuses writes with EROFS");
    is_int(read_file("/etc/bt-file", buf, sizeof(buf)), 4, "bind: a file bind reads");
    is_int(open_write_errno("/etc/bt-file", 0), EROFS, "bind: a ro file bind refuses writes");
    unsigned long flags = vfs_flags("/nosuid-ro");
    ok((flags & ST_RDONLY) && (flags & ST_NOSUID) && (flags & ST_NODEV),
       "bind: the ro remount kept the source's nosuid and nodev");
    is_int(open_write_errno("/rec-ro/sub/x", O_CREAT), EROFS,
           "bind: rro makes the submounts read-only too");
    struct stat st;
    ok(fs_type("/scratch") == TMPFS_MAGIC && stat("/scratch", &st) == 0 &&
           (st.st_mode & 0777) == 0700,
       "tmpfs: mounted with its options");
}

static void case_readonly_root(void *arg)
{
    (void)arg;
    struct bt_mount_config config = default_config();
    config.readonly_root = true;
    if (!setup_ok(&config, "read-only root"))
        child_done(1);
    ok(vfs_flags("/") & ST_RDONLY, "read-only root: / is read-only");
    ok(mkdir("/newdir", 0755) < 0 && errno == EROFS, "read-only root: mkdir fails with EROFS");
    is_int(open_write_errno("/etc/hostname", 0), EROFS, "read-only root: writes fail with EROFS");
    is_int(open_write_errno("/dev/null", 0), 0, "read-only root: /dev/null still takes writes");
    is_int(write_file("/dev/shm/x", "x"), 0, "read-only root: /dev/shm is writable");
}

static void case_propagation(void *arg)
{
    unsigned long propagation = *(unsigned long *)arg;
    char line[4096];
    struct bt_mount_config config = {.rootfs = rootfs,
                                     .mounts = bt_mount_defaults,
                                     .n_mounts = 1,
                                     .rootfs_propagation = propagation};
    if (!setup_ok(&config, propagation & MS_SHARED ? "rshared root" : "rslave root"))
        child_done(1);
    ok(mountinfo_line("/", line, sizeof(line)) &&
           (propagation & MS_SHARED ? strstr(line, "shared:") != NULL
                                    : strstr(line, "shared:") == NULL),
       "rootfs propagation: / is %s", propagation & MS_SHARED ? "shared" : "not shared");
}

static void case_dev_only(void *arg)
{
    (void)arg;
    struct bt_mount_config config = {
        .rootfs = rootfs, .mounts = bt_mount_defaults, .n_mounts = 1, .setup_dev = true};
    if (!setup_ok(&config, "setup_dev alone"))
        child_done(1);
    struct stat st;
    ok(fs_type("/dev") == TMPFS_MAGIC && stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode),
       "setup_dev without a /dev mount mounts a tmpfs with the nodes");
}

static void case_errors(void *arg)
{
    (void)arg;
    struct bt_err err = {0};
    struct bt_mount bad_bind = {.source = "/no/such/source", .target = "/x", .type = "bind"};
    struct bt_mount_config config = {.rootfs = rootfs, .mounts = &bad_bind, .n_mounts = 1};
    int ret = bt_mount_setup(&config, &err);
    is_int(ret, -ENOENT, "errors: a missing bind source fails");
    ok(strstr(err.msg, "/no/such/source") != NULL, "errors: and the message names it (%s)",
       err.msg);
    bt_err_clear(&err);
    struct bt_mount bad_type = {.source = "x", .target = "/bt-bad-type", .type = "bt-nonsense"};
    config.mounts = &bad_type;
    ret = bt_mount_setup(&config, &err);
    is_int(ret, -ENODEV, "errors: an unknown filesystem type fails");
    ok(strstr(err.msg, "/bt-bad-type") != NULL, "errors: and the message names the target (%s)",
       err.msg);
    config.rootfs = "relative/path";
    is_int(bt_mount_setup(&config, &err), -EINVAL, "errors: a relative rootfs is refused");
}

/* With a /proc of our own pid namespace, PID 1 is us: in its mount namespace, the guard
 * against a forgotten unshare must refuse (and if it did not, only this namespace suffers). */
static void case_guard(void *arg)
{
    (void)arg;
    struct bt_err err = {0};
    if (mount("proc", "/proc", "proc", 0, NULL) < 0)
        diag("mount proc: %s", strerror(errno));
    struct bt_mount_config config = default_config();
    int ret = bt_mount_setup(&config, &err);
    ok(ret == -EINVAL && strstr(err.msg, "PID 1"),
       "guard: refused in the mount namespace of PID 1 (%s)", err.msg);
    char cwd[PATH_MAX];
    ok(getcwd(cwd, sizeof(cwd)) && strcmp(cwd, "/") != 0 && access(tmp, F_OK) == 0,
       "guard: nothing was pivoted");
}

static void case_userns(void *arg)
{
    (void)arg;
    struct stat st;
    char line[4096];
    struct bt_mount_config config = default_config();
    if (!setup_ok(&config, "userns"))
        child_done(1);
    ok(stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3),
       "userns: /dev/null is the null device");
    ok(mountinfo_line("/dev/null", line, sizeof(line)),
       "userns: it is a bind of the host's node (no mknod in a user namespace)");
    is_int(open_write_errno("/dev/null", 0), 0, "userns: /dev/null takes writes");
    ok(access("/sys/kernel", F_OK) == 0 && (vfs_flags("/sys") & ST_RDONLY),
       "userns: /sys is the host's, bound read-only");
    ok(fs_type("/dev/pts") == DEVPTS_SUPER_MAGIC, "userns: devpts without the unmapped gid=5");
    is_int(read_file("/proc/timer_list", line, sizeof(line)), 0,
           "userns: /proc/timer_list is masked");
}

int main(void)
{
    plan(94);
    if (case_counts_init() < 0)
        return 1;
    make_tmpdir(tmp, sizeof(tmp), "bt-t-mount");
    char path[PATH_MAX], path2[PATH_MAX];
    struct stat st;
    stat("/", &st);
    host_root_dev = st.st_dev;
    stat("/dev/pts", &st);
    host_pts_dev = st.st_dev;
    if (make_rootfs() < 0) {
        diag("cannot make the rootfs");
        return 1;
    }
    path_in(path, rootfs, ".bt-rootfs-marker");
    write_file(path, "rootfs");
    path_in(path, tmp, "host-marker");
    write_file(path, "host");

    run_case("pivot", case_pivot, NULL, 0);
    run_case("dev", case_dev, NULL, 0);

    path_in(path, rootfs, "secret-dir");
    mkdir(path, 0755);
    path_in(path, rootfs, "secret-dir/file");
    write_file(path, "secret");
    path_in(path, rootfs, "secret-file");
    write_file(path, "secret");
    path_in(path, rootfs, "ro-dir");
    mkdir(path, 0755);
    path_in(path, rootfs, "ro-dir/file");
    write_file(path, "ro-ok");
    path_in(path, rootfs, "ro-file");
    write_file(path, "ro-ok");
    host_has_kcore = access("/proc/kcore", F_OK) == 0;
    host_has_sysrq = access("/proc/sysrq-trigger", F_OK) == 0;
    const char *sys_files[] = {"/sys/kernel/rcu_expedited", "/sys/kernel/uevent_helper",
                               "/sys/kernel/profiling"};
    for (size_t i = 0; i < sizeof(sys_files) / sizeof(sys_files[0]) && !sys_writable[0]; i++)
        if (access(sys_files[i], W_OK) == 0)
            snprintf(sys_writable, sizeof(sys_writable), "%s", sys_files[i]);
    run_case("masked", case_masked, NULL, 0);

    /* Symlinks planted in the image, each of which would escape if followed on the host. */
    struct escape_names names;
    snprintf(names.etc_dir, sizeof(names.etc_dir), "bt-esc-etc-%d", getpid());
    snprintf(names.up_dir, sizeof(names.up_dir), "bt-esc-up-%d", getpid());
    snprintf(names.nowhere, sizeof(names.nowhere), "bt-esc-nowhere-%d", getpid());
    snprintf(names.dotdot, sizeof(names.dotdot), "bt-esc-dotdot-%d", getpid());
    path_in(path, rootfs, "esc-etc");
    symlink("/etc", path);
    path_in(path, rootfs, "esc-up");
    symlink("../../..", path);
    path_in(path, rootfs, "esc-dangling");
    snprintf(path2, sizeof(path2), "/%s/deeper", names.nowhere);
    symlink(path2, path);
    struct stat etc_before, etc_after;
    stat("/etc", &etc_before);
    run_case("escape", case_escape, &names, 0);
    stat("/etc", &etc_after);
    snprintf(path, sizeof(path), "/etc/%s", names.etc_dir);
    ok(access(path, F_OK) < 0 && etc_before.st_mtim.tv_nsec == etc_after.st_mtim.tv_nsec &&
           etc_before.st_mtim.tv_sec == etc_after.st_mtim.tv_sec,
       "escape: the host's /etc is untouched");
    path_in(path2, rootfs, "etc");
    path_in(path, path2, names.etc_dir);
    ok(access(path, F_OK) == 0, "escape: the mount point was made in the rootfs' /etc");
    snprintf(path, sizeof(path), "/%s", names.up_dir);
    snprintf(path2, sizeof(path2), "/%s", names.nowhere);
    ok(access(path, F_OK) < 0 && access(path2, F_OK) < 0, "escape: nothing made at the host's /");
    snprintf(path, sizeof(path), "/%s", names.dotdot);
    snprintf(path2, sizeof(path2), "/tmp/%s", names.dotdot);
    ok(access(path, F_OK) < 0 && access(path2, F_OK) < 0, "escape: nor above the rootfs");
    path_in(path2, rootfs, names.nowhere);
    path_in(path, path2, "deeper/x");
    ok(access(path, F_OK) == 0, "escape: the dangling link's target was made in the rootfs");

    struct bind_paths paths;
    path_in(paths.rw, tmp, "src-rw");
    path_in(paths.ro, tmp, "src-ro");
    path_in(paths.file, tmp, "src-file");
    path_in(paths.nosuid, tmp, "src-nosuid");
    path_in(paths.rec, tmp, "src-rec");
    mkdir(paths.rw, 0755);
    mkdir(paths.ro, 0755);
    mkdir(paths.nosuid, 0755);
    mkdir(paths.rec, 0755);
    path_in(path, paths.rec, "sub");
    mkdir(path, 0755);
    path_in(path, paths.ro, "file");
    write_file(path, "ro-ok");
    write_file(paths.file, "file");
    run_case("bind", case_bind, &paths, 0);
    char buf[64];
    path_in(path, paths.rw, "new");
    is_int(read_file(path, buf, sizeof(buf)), 7, "bind: the write reached the host's source");
    path_in(path, paths.ro, "new");
    is_int(write_file(path, "x"), 0, "bind: the ro bind's source is still writable on the host");

    run_case("read-only root", case_readonly_root, NULL, 0);
    run_case("setup_dev alone", case_dev_only, NULL, 0);
    unsigned long propagation = MS_REC | MS_SLAVE;
    run_case("rslave", case_propagation, &propagation, 0);
    propagation = MS_REC | MS_SHARED;
    run_case("rshared", case_propagation, &propagation, 0);
    run_case("errors", case_errors, NULL, 0);
    run_case("guard", case_guard, NULL, 0);
    run_case("userns", case_userns, NULL, IN_USERNS);

    if (remove_tree(tmp) < 0)
        diag("cleanup of %s: %s", tmp, strerror(errno));
    ok(access(tmp, F_OK) < 0, "the temporary dir is removed");
    return done();
}
