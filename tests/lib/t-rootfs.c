/* Unit tests for lib/rootfs.c: overlay layers and whiteouts, the legacy option string, btrfs
 * snapshots on a loop-mounted image, removal. Each mounting case runs in a child with its own
 * mount namespace; the host side then looks at the layers, which must be untouched. */
#include "mount.h"
#include "rootfs.h"
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/loop.h>
#include <sched.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

/* ---- the harness: one forked child per case, TAP counts handed back in shared memory ---- */

/* Runs FN(ARG) in a child with a new mount namespace (and, with NEW_PID, as PID 1 of a new
 * pid namespace). A case that dies or hangs fails here, and the next case still runs. */
static void run_case(const char *name, void (*fn)(void *), void *arg, bool new_pid)
{
    pid_t pid = case_fork(180, 120);
    if (pid == 0) {
        if (unshare(CLONE_NEWNS | (new_pid ? CLONE_NEWPID : 0)) < 0 ||
            mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
            diag("%s: cannot make namespaces: %s", name, strerror(errno));
            _exit(4);
        }
        if (!new_pid) {
            fn(arg);
            child_done(0);
        }
        case_run_child(fn, arg, 110);
    }
    case_wait(name, pid);
}

/* ---- helpers ---- */

static char tmp[PATH_MAX];

/* The file's text (up to 63 bytes), or "" when it cannot be read. */
static const char *read_text(const char *path)
{
    static char buf[64];
    read_file(path, buf, sizeof(buf));
    return buf;
}

static const char *read_in(const char *dir, const char *name)
{
    char path[PATH_MAX];
    return read_text(path_in(path, dir, name));
}

static int write_in(const char *dir, const char *name, const char *text)
{
    char path[PATH_MAX];
    return write_file(path_in(path, dir, name), text);
}

static bool exists_in(const char *dir, const char *name)
{
    char path[PATH_MAX];
    struct stat st;
    return lstat(path_in(path, dir, name), &st) == 0;
}

/* overlayfs' whiteout: a 0/0 character device. */
static bool is_whiteout(const char *dir, const char *name)
{
    char path[PATH_MAX];
    struct stat st;
    return lstat(path_in(path, dir, name), &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == 0;
}

static int make_dir_in(char *path, const char *dir, const char *name)
{
    path_in(path, dir, name);
    return mkdir(path, 0755) < 0 && errno != EEXIST ? -errno : 0;
}

/* Runs ARGV with its output thrown away; returns the exit status, or 127. */
static int run(const char *const argv[])
{
    pid_t pid = fork();
    if (pid == 0) {
        int null_fd = open("/dev/null", O_WRONLY);
        dup2(null_fd, STDOUT_FILENO);
        dup2(null_fd, STDERR_FILENO);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    int status;
    if (pid < 0 || waitpid(pid, &status, 0) < 0)
        return 127;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* ---- overlay ---- */

struct overlay_fixture {
    char base[PATH_MAX], mid[PATH_MAX], top[PATH_MAX];
    char upper[PATH_MAX], work[PATH_MAX], target[PATH_MAX];
    const char *layers[3];
};

static void overlay_fixture(struct overlay_fixture *fx, const char *name)
{
    char dir[PATH_MAX];
    make_dir_in(dir, tmp, name);
    make_dir_in(fx->base, dir, "base");
    make_dir_in(fx->mid, dir, "mid");
    make_dir_in(fx->top, dir, "top");
    path_in(fx->upper, dir, "upper");
    path_in(fx->work, dir, "work");
    path_in(fx->target, dir, "merged");
    write_in(fx->base, "f", "base");
    write_in(fx->mid, "f", "mid");
    write_in(fx->top, "f", "top");
    write_in(fx->base, "g", "base");
    write_in(fx->mid, "g", "mid");
    write_in(fx->base, "only-base", "b");
    write_in(fx->mid, "only-mid", "m");
    write_in(fx->base, "delete-me", "d");
    write_in(fx->base, "change-me", "old");
    fx->layers[0] = fx->base;
    fx->layers[1] = fx->mid;
    fx->layers[2] = fx->top;
}

static void case_overlay(void *arg)
{
    struct overlay_fixture *fx = arg;
    struct bt_err err = {0};
    struct bt_rootfs rootfs = {.kind = BT_ROOTFS_OVERLAY,
                               .layers = fx->layers,
                               .n_layers = 3,
                               .upper = fx->upper,
                               .work = fx->work,
                               .target = fx->target};
    const char *root = NULL;
    int ret = bt_rootfs_prepare(&rootfs, &root, &err);
    if (!ok(ret == 0 && root == fx->target, "overlay: prepare mounts the layers"))
        diag("  %s", err.msg);
    is_str(read_in(root, "f"), "top", "overlay: the last layer wins");
    is_str(read_in(root, "g"), "mid", "overlay: the middle layer is above the base");
    is_str(read_in(root, "only-base"), "b", "overlay: the base shows through");
    ok(exists_in(root, "only-mid"), "overlay: every layer is there");
    char path[PATH_MAX];
    ok(unlink(path_in(path, root, "delete-me")) == 0, "overlay: delete a file of the base");
    ok(!exists_in(root, "delete-me"), "overlay: the file is gone from the container");
    is_int(write_in(root, "new", "new"), 0, "overlay: write a new file");
    is_int(write_in(root, "change-me", "new"), 0, "overlay: change a file of the base");
    is_int(bt_rootfs_release(&rootfs, &err), 0, "overlay: release unmounts");
    ok(!exists_in(fx->target, "f"), "overlay: the mount point is empty again");
    is_int(bt_rootfs_release(&rootfs, &err), 0, "overlay: release twice is fine");
}

static void case_overlay_legacy(void *arg)
{
    struct overlay_fixture *fx = arg;
    struct bt_err err = {0};
    int ret = bt_rootfs_overlay_mount_legacy(fx->layers, 3, fx->upper, fx->work, fx->target, &err);
    if (!ok(ret == 0, "legacy overlay: mounts"))
        diag("  %s", err.msg);
    is_str(read_in(fx->target, "f"), "top", "legacy overlay: the last layer wins");
    is_str(read_in(fx->target, "g"), "mid", "legacy overlay: the middle layer is above the base");
    is_str(read_in(fx->target, "only-base"), "b", "legacy overlay: the base shows through");
    umount2(fx->target, MNT_DETACH);

    /* A read-only overlay (no upper) refuses writes. */
    ret = bt_rootfs_overlay_mount(fx->layers, 3, NULL, NULL, fx->target, &err);
    ok(ret == 0 && write_in(fx->target, "x", "x") == -EROFS,
       "read-only overlay: no upper, no writes (EROFS)");
    umount2(fx->target, MNT_DETACH);
}

struct many_fixture {
    const char *layers[64];
    size_t n;
    char target[PATH_MAX];
    char storage[64][PATH_MAX];
    char odd[2][PATH_MAX];
};

static void case_overlay_many(void *arg)
{
    struct many_fixture *fx = arg;
    struct bt_err err = {0};
    int ret = bt_rootfs_overlay_mount(fx->layers, fx->n, NULL, NULL, fx->target, &err);
    if (!ok(ret == 0, "many layers: %zu long layers mount with lowerdir+", fx->n))
        diag("  %s", err.msg);
    char want[16];
    snprintf(want, sizeof(want), "%zu", fx->n - 1);
    is_str(read_in(fx->target, "f"), want, "many layers: the last layer wins");
    ok(exists_in(fx->target, "layer-0") && exists_in(fx->target, "layer-40"),
       "many layers: the base and a layer of 256+ bytes are there");
    umount2(fx->target, MNT_DETACH);
    bt_err_clear(&err);
    ret = bt_rootfs_overlay_mount_legacy(fx->layers, fx->n, NULL, NULL, fx->target, &err);
    ok(ret == -E2BIG && strstr(err.msg, "overlong"),
       "many layers: mount(2) reports the options as overlong (%s)", err.msg);

    /* ':' and ',' in a layer's name, escaped for mount(2), passed as they are to lowerdir+. */
    const char *odd[] = {fx->odd[0], fx->odd[1]};
    ret = bt_rootfs_overlay_mount_legacy(odd, 2, NULL, NULL, fx->target, &err);
    ok(ret == 0 && strcmp(read_in(fx->target, "f"), "odd1") == 0,
       "odd names: legacy options escape ':' and ','");
    umount2(fx->target, MNT_DETACH);
    ret = bt_rootfs_overlay_mount(odd, 2, NULL, NULL, fx->target, &err);
    ok(ret == 0 && strcmp(read_in(fx->target, "f"), "odd1") == 0,
       "odd names: lowerdir+ takes them as they are");
    umount2(fx->target, MNT_DETACH);
}

/* The whole path of bottle-shim: an overlay of the busybox rootfs, bt_mount_setup on it,
 * then changes made from inside the container. */
static void case_overlay_container(void *arg)
{
    struct overlay_fixture *fx = arg;
    struct bt_err err = {0};
    struct bt_rootfs rootfs = {.kind = BT_ROOTFS_OVERLAY,
                               .layers = fx->layers,
                               .n_layers = 2,
                               .upper = fx->upper,
                               .work = fx->work,
                               .target = fx->target};
    const char *root = NULL;
    int ret = bt_rootfs_prepare(&rootfs, &root, &err);
    struct bt_mount_config config = {.rootfs = root,
                                     .mounts = bt_mount_defaults,
                                     .n_mounts = bt_mount_defaults_count,
                                     .masked_paths = bt_mount_default_masked_paths,
                                     .readonly_paths = bt_mount_default_readonly_paths,
                                     .setup_dev = true};
    if (ret == 0)
        ret = bt_mount_setup(&config, &err);
    if (!ok(ret == 0, "container: overlay rootfs prepared and pivoted into"))
        diag("  %s", err.msg);
    is_str(read_text("/etc/layer"), "top", "container: the top layer's file is there");
    ok(unlink("/etc/hostname") == 0 && access("/etc/hostname", F_OK) < 0,
       "container: delete /etc/hostname of the base layer");
    is_int(write_file("/new-file", "new"), 0, "container: write /new-file");
}

/* ---- btrfs ---- */

static const char *find_mkfs_btrfs(void)
{
    static const char *const candidates[] = {"/usr/sbin/mkfs.btrfs", "/sbin/mkfs.btrfs",
                                             "/usr/bin/mkfs.btrfs", "/bin/mkfs.btrfs"};
    for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++)
        if (access(candidates[i], X_OK) == 0)
            return candidates[i];
    return NULL;
}

/* Attaches IMAGE to a free loop device with LO_FLAGS_AUTOCLEAR: it detaches by itself once
 * the returned fd is closed and the filesystem unmounted (the child's namespace gone). */
static int loop_attach(const char *image, char *device, size_t len)
{
    int control = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
    int image_fd = open(image, O_RDWR | O_CLOEXEC);
    int fd = -1;
    for (int attempt = 0; control >= 0 && image_fd >= 0 && attempt < 20; attempt++) {
        int n = ioctl(control, LOOP_CTL_GET_FREE);
        if (n < 0)
            break;
        snprintf(device, len, "/dev/loop%d", n);
        fd = open(device, O_RDWR | O_CLOEXEC);
        if (fd < 0)
            continue;
        struct loop_config config = {.fd = (unsigned)image_fd};
        config.info.lo_flags = LO_FLAGS_AUTOCLEAR;
        if (ioctl(fd, LOOP_CONFIGURE, &config) == 0)
            break;
        close(fd);
        fd = -1;
        if (errno != EBUSY)
            break;
    }
    if (control >= 0)
        close(control);
    if (image_fd >= 0)
        close(image_fd);
    return fd;
}

/* True once /dev/loopN has no backing file (polls: the detach may lag the unmount). */
static bool loop_detached(const char *device)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof(path), "/sys/block/%s/loop/backing_file", device + strlen("/dev/")) >=
        (int)sizeof(path))
        return false;
    for (int i = 0; i < 50; i++) {
        if (access(path, F_OK) < 0)
            return true;
        usleep(100000);
    }
    return false;
}

struct btrfs_fixture {
    char device[64], mnt[PATH_MAX];
};

static void case_btrfs(void *arg)
{
    struct btrfs_fixture *fx = arg;
    struct bt_err err = {0};
    char image[PATH_MAX], containers[PATH_MAX], c1[PATH_MAX], c2[PATH_MAX], plain[PATH_MAX];
    if (!ok(mount(fx->device, fx->mnt, "btrfs", 0, NULL) == 0, "btrfs: the image mounts"))
        diag("  mount %s: %s", fx->device, strerror(errno));
    path_in(image, fx->mnt, "image");
    path_in(containers, fx->mnt, "containers");
    path_in(c1, containers, "c1");
    path_in(c2, containers, "c2");
    int ret = bt_rootfs_btrfs_subvolume_create(image, &err);
    if (!ok(ret == 0 && bt_rootfs_is_btrfs_subvolume(image), "btrfs: the image is a subvolume"))
        diag("  %s", err.msg);
    write_in(image, "file", "image");

    struct bt_rootfs rootfs = {.kind = BT_ROOTFS_BTRFS, .image = image, .target = c1};
    const char *root = NULL;
    ret = bt_rootfs_prepare(&rootfs, &root, &err);
    if (!ok(ret == 0 && root == rootfs.target && bt_rootfs_is_btrfs_subvolume(c1),
            "btrfs: prepare makes a snapshot subvolume"))
        diag("  %s", err.msg);
    is_str(read_in(c1, "file"), "image", "btrfs: the snapshot has the image's files");
    write_in(c1, "file", "container");
    write_in(c1, "new", "new");
    is_str(read_in(image, "file"), "image", "btrfs: a change in the snapshot leaves the image");
    ok(!exists_in(image, "new"), "btrfs: a new file does not reach the image");
    struct bt_rootfs other = {.kind = BT_ROOTFS_BTRFS, .image = image, .target = c2};
    ret = bt_rootfs_prepare(&other, &root, &err);
    ok(ret == 0 && strcmp(read_in(c2, "file"), "image") == 0 && !exists_in(c2, "new"),
       "btrfs: a second container gets its own snapshot");
    ret = bt_rootfs_prepare(&rootfs, &root, &err);
    is_str(ret == 0 ? read_in(c1, "new") : "", "new", "btrfs: prepare again reuses the snapshot");

    is_int(bt_rootfs_remove(&rootfs, &err), 0, "btrfs: remove deletes the snapshot");
    ok(!exists_in(containers, "c1"), "btrfs: the snapshot is gone");
    is_int(bt_rootfs_remove(&rootfs, &err), 0, "btrfs: remove twice is fine");
    is_str(read_in(image, "file"), "image", "btrfs: the image is intact");
    is_int(bt_rootfs_remove(&other, &err), 0, "btrfs: the second snapshot is deleted too");

    make_dir_in(plain, fx->mnt, "plain");
    is_int(bt_rootfs_btrfs_delete(plain, &err), -EINVAL, "btrfs: delete refuses a plain dir");
    is_int(bt_rootfs_btrfs_snapshot(plain, c1, false, &err), -EINVAL,
           "btrfs: snapshot refuses a plain dir");
    ret = bt_rootfs_btrfs_snapshot(image, c1, true, &err);
    ok(ret == 0 && write_in(c1, "x", "x") == -EROFS, "btrfs: a read-only snapshot refuses writes");
    is_int(bt_rootfs_btrfs_delete(c1, &err), 0, "btrfs: a read-only snapshot is deleted");
    ok(umount2(fx->mnt, 0) == 0, "btrfs: the image unmounts (nothing left busy)");
}

/* ---- removal ---- */

static void case_remove_tree_mount(void *arg)
{
    const char *dir = arg;
    char mount_point[PATH_MAX];
    struct bt_err err = {0};
    make_dir_in(mount_point, dir, "mnt");
    mount("tmpfs", mount_point, "tmpfs", 0, "size=64k");
    write_in(mount_point, "precious", "x");
    is_int(bt_rootfs_remove_tree(dir, &err), -EBUSY, "remove_tree: stops at a mount inside");
    ok(exists_in(mount_point, "precious"), "remove_tree: and the mounted files are untouched");
    is_int(bt_rootfs_remove_tree(mount_point, &err), -EBUSY,
           "remove_tree: refuses a mount point itself");
    umount2(mount_point, MNT_DETACH);
}

int main(void)
{
    plan(75);
    if (case_counts_init() < 0)
        return 1;
    make_tmpdir(tmp, sizeof(tmp), "bt-t-rootfs");
    struct bt_err err = {0};
    char path[PATH_MAX], dir[PATH_MAX];
    const char *root = NULL;

    /* A plain directory is its own root. */
    struct bt_rootfs plain = {.kind = BT_ROOTFS_DIR, .image = tmp};
    ok(bt_rootfs_prepare(&plain, &root, &err) == 0 && root == tmp, "dir: the root is the dir");
    ok(bt_rootfs_release(&plain, &err) == 0 && bt_rootfs_remove(&plain, &err) == 0 &&
           access(tmp, F_OK) == 0,
       "dir: release and remove leave it alone");

    /* The legacy option string. */
    char options[256];
    const char *layers[] = {"/l/base", "/l/a:b", "/l/c,d\\e"};
    int len = bt_rootfs_overlay_options(layers, 3, "/u", "/w", options, sizeof(options));
    is_str(options, "lowerdir=/l/c\\,d\\\\e:/l/a\\:b:/l/base,upperdir=/u,workdir=/w",
           "options: top layer first, special characters escaped");
    is_int(len, (int)strlen(options), "options: the length is returned");
    is_int(bt_rootfs_overlay_options(layers, 3, "/u", "/w", options, 20), -E2BIG,
           "options: too long for the buffer");

    /* Three layers, then the upper dir seen from the host. */
    struct overlay_fixture fx;
    overlay_fixture(&fx, "overlay");
    run_case("overlay", case_overlay, &fx, false);
    ok(is_whiteout(fx.upper, "delete-me"), "overlay: the deletion left a whiteout in upper");
    is_str(read_in(fx.base, "delete-me"), "d", "overlay: the lower layer still has the file");
    is_str(read_in(fx.upper, "new"), "new", "overlay: the new file is in upper");
    ok(!exists_in(fx.base, "new") && !exists_in(fx.mid, "new") && !exists_in(fx.top, "new"),
       "overlay: and in no layer");
    is_str(read_in(fx.upper, "change-me"), "new", "overlay: the changed file was copied up");
    is_str(read_in(fx.base, "change-me"), "old", "overlay: the layer's copy is unchanged");

    struct overlay_fixture legacy;
    overlay_fixture(&legacy, "legacy");
    run_case("legacy overlay", case_overlay_legacy, &legacy, false);

    /* 60 layers of 100+ bytes each (one of 256+): over a page of mount(2) options. */
    static struct many_fixture many;
    char long_name[128];
    memset(long_name, 'L', 100);
    long_name[100] = '\0';
    make_dir_in(dir, tmp, "many");
    many.n = 60;
    for (size_t i = 0; i < many.n; i++) {
        char name[160];
        snprintf(name, sizeof(name), "%s-%zu", long_name, i);
        if (i == 40) {
            char deep[PATH_MAX];
            make_dir_in(deep, dir, long_name);
            path_in(path, deep, long_name);
            mkdir(path, 0755);
            path_in(many.storage[i], path, name);
        } else {
            path_in(many.storage[i], dir, name);
        }
        mkdir(many.storage[i], 0755);
        snprintf(name, sizeof(name), "layer-%zu", i);
        write_in(many.storage[i], name, "x");
        snprintf(name, sizeof(name), "%zu", i);
        write_in(many.storage[i], "f", name);
        many.layers[i] = many.storage[i];
    }
    ok(strlen(many.storage[40]) >= 256, "many layers: layer 40's path is %zu bytes",
       strlen(many.storage[40]));
    path_in(many.odd[0], dir, "odd:colon");
    path_in(many.odd[1], dir, "odd,comma\\back");
    mkdir(many.odd[0], 0755);
    mkdir(many.odd[1], 0755);
    write_in(many.odd[0], "f", "odd0");
    write_in(many.odd[1], "f", "odd1");
    make_dir_in(many.target, dir, "merged");
    run_case("many layers", case_overlay_many, &many, false);

    /* The busybox rootfs as the base layer of a real container. */
    struct overlay_fixture container;
    make_dir_in(dir, tmp, "container");
    path_in(container.base, dir, "base");
    make_dir_in(container.mid, dir, "top");
    path_in(path, container.mid, "etc");
    mkdir(path, 0755);
    write_in(path, "layer", "top");
    path_in(container.upper, dir, "upper");
    path_in(container.work, dir, "work");
    path_in(container.target, dir, "merged");
    container.layers[0] = container.base;
    container.layers[1] = container.mid;
    const char *mkrootfs[] = {"tests/mkrootfs", container.base, NULL};
    if (run(mkrootfs) == 0) {
        run_case("container", case_overlay_container, &container, true);
        path_in(path, container.upper, "etc");
        ok(is_whiteout(path, "hostname"), "container: /etc/hostname is a whiteout in upper");
        path_in(path, container.base, "etc");
        is_str(read_in(path, "hostname"), "bottle\n", "container: the base layer is untouched");
        is_str(read_in(container.upper, "new-file"), "new", "container: /new-file is in upper");
        ok(!exists_in(container.base, "new-file"), "container: and not in the base layer");
    } else {
        for (int i = 0; i < 8; i++)
            skip("tests/mkrootfs failed (busybox-static missing?)");
    }

    /* Removal deletes what the container owned and nothing else. */
    struct bt_rootfs overlay = {.kind = BT_ROOTFS_OVERLAY,
                                .layers = fx.layers,
                                .n_layers = 3,
                                .upper = fx.upper,
                                .work = fx.work,
                                .target = fx.target};
    int ret = bt_rootfs_remove(&overlay, &err);
    if (!ok(ret == 0, "overlay remove: succeeds"))
        diag("  %s", err.msg);
    ok(access(fx.upper, F_OK) < 0 && access(fx.work, F_OK) < 0 && access(fx.target, F_OK) < 0,
       "overlay remove: upper, work and the mount point are gone");
    is_str(read_in(fx.base, "delete-me"), "d", "overlay remove: the layers stay");
    is_int(bt_rootfs_remove(&overlay, &err), 0, "overlay remove: twice is fine");

    make_dir_in(dir, tmp, "remove");
    run_case("remove_tree", case_remove_tree_mount, dir, false);
    is_int(bt_rootfs_remove_tree(dir, &err), 0, "remove_tree: removes once nothing is mounted");
    path_in(path, tmp, "link-target");
    mkdir(path, 0755);
    write_in(path, "keep", "x");
    make_dir_in(dir, tmp, "with-link");
    path_in(options, dir, "link");
    symlink(path, options);
    ok(bt_rootfs_remove_tree(dir, &err) == 0 && access(dir, F_OK) < 0 && exists_in(path, "keep"),
       "remove_tree: does not follow symlinks");

    /* btrfs on a loop device. */
    const char *mkfs = find_mkfs_btrfs();
    if (!mkfs) {
        for (int i = 0; i < 22; i++)
            skip("mkfs.btrfs not found (apt-get install btrfs-progs)");
    } else {
        static struct btrfs_fixture bfx;
        char image[PATH_MAX];
        path_in(image, tmp, "btrfs.img");
        int fd = open(image, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        ok(fd >= 0 && ftruncate(fd, 256 << 20) == 0, "btrfs: a 256 MiB sparse image file");
        if (fd >= 0)
            close(fd);
        const char *mkfs_argv[] = {mkfs, "-q", "-f", image, NULL};
        is_int(run(mkfs_argv), 0, "btrfs: mkfs.btrfs");
        int loop_fd = loop_attach(image, bfx.device, sizeof(bfx.device));
        ok(loop_fd >= 0, "btrfs: attached to %s", bfx.device);
        make_dir_in(bfx.mnt, tmp, "btrfs");
        run_case("btrfs", case_btrfs, &bfx, false);
        if (loop_fd >= 0) {
            ioctl(loop_fd, LOOP_CLR_FD);
            close(loop_fd);
        }
        ok(loop_fd >= 0 && loop_detached(bfx.device), "btrfs: the loop device is detached");
    }

    if (bt_rootfs_remove_tree(tmp, &err) < 0)
        diag("cleanup: %s", err.msg);
    ok(access(tmp, F_OK) < 0, "the temporary dir is removed");
    return done();
}
