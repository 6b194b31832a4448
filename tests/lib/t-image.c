/* Unit tests for the image store's building blocks: names, digests, driver names, and
 * bt_archive_extract on tarballs written here with libarchive (whiteouts in overlayfs format,
 * '..' refused, a symlinked parent refused, digests of compressed and plain input), then
 * bt_archive_apply_tree and bt_archive_write_tree on the result. */
#include "archive-tar.h"
#include "image.h"
#include "tap.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

static char tmp[64];

/* A tar (gzip when GZIP) at PATH from "f:NAME" (a file), "d:NAME" and "l:NAME:TARGET" specs. */
static void make_tar(const char *path, bool gzip, const char *const *specs)
{
    struct archive *a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    if (gzip)
        archive_write_add_filter_gzip(a);
    archive_write_open_filename(a, path);
    for (; *specs; specs++) {
        struct archive_entry *e = archive_entry_new();
        char name[256];
        snprintf(name, sizeof(name), "%s", *specs + 2);
        char *target = strchr(name, ':');
        if (target)
            *target++ = '\0';
        archive_entry_set_pathname(e, name);
        archive_entry_set_perm(e, 0755);
        switch (**specs) {
        case 'd': archive_entry_set_filetype(e, AE_IFDIR); break;
        case 'l':
            archive_entry_set_filetype(e, AE_IFLNK);
            archive_entry_set_symlink(e, target);
            break;
        default: archive_entry_set_filetype(e, AE_IFREG); archive_entry_set_size(e, 3);
        }
        archive_write_header(a, e);
        if (**specs == 'f')
            archive_write_data(a, "abc", 3);
        archive_entry_free(e);
    }
    archive_write_close(a);
    archive_write_free(a);
}

static int extract(const char *tar, const char *dest, struct bt_archive_stats *stats,
                   struct bt_err *err)
{
    mkdir(dest, 0755);
    int fd = open(tar, O_RDONLY), dir = open(dest, O_RDONLY | O_DIRECTORY);
    struct bt_archive_input in = {bt_archive_read_fd, &fd};
    struct bt_archive_limits limits = {0};
    int ret = bt_archive_extract(&in, dir, &limits, stats, err);
    close(fd);
    close(dir);
    return ret;
}

static bool is_whiteout(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
}

static void test_names(void)
{
    ok(bt_image_name_valid("redis"), "a plain name");
    ok(bt_image_name_valid("docker.io/library/redis:7.2"), "a registry path with a tag");
    ok(bt_image_name_valid("a@sha256:00"), "a digest reference");
    ok(!bt_image_name_valid("../x"), "'..' refused");
    ok(!bt_image_name_valid("/abs"), "a leading '/' refused");
    ok(!bt_image_name_valid("a//b"), "'//' refused");
    ok(!bt_image_name_valid(""), "empty refused");
    ok(!bt_image_name_valid("a b"), "a space refused");
    ok(bt_digest_valid("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
       "a digest");
    ok(!bt_digest_valid("sha256:E3B0"), "a short digest refused");
    enum bt_image_driver driver;
    struct bt_err err = {0};
    ok(bt_image_driver_parse("btrfs", &driver, &err) == 0 && driver == BT_IMAGE_DRIVER_BTRFS,
       "driver btrfs");
    ok(bt_image_driver_parse("zfs", &driver, &err) == -EINVAL && strstr(err.msg, "zfs"),
       "driver zfs refused: %s", err.msg);
}

static void test_extract(void)
{
    char tar[PATH_MAX], dest[PATH_MAX], path[PATH_MAX + 64];
    snprintf(tar, sizeof(tar), "%s/layer.tar.gz", tmp);
    snprintf(dest, sizeof(dest), "%s/layer", tmp);
    static const char *const specs[] = {
        "d:etc",  "f:etc/keep", "f:etc/.wh.gone", "d:opq", "f:opq/.wh..wh..opq", "f:opq/new",
        "f:/abs", NULL};
    make_tar(tar, true, specs);
    struct bt_archive_stats stats;
    struct bt_err err = {0};
    int ret = extract(tar, dest, &stats, &err);
    ok(ret == 0, "a gzip layer extracts: %s", err.msg);
    snprintf(path, sizeof(path), "%s/etc/gone", dest);
    ok(is_whiteout(path), ".wh.gone became a 0/0 character device");
    snprintf(path, sizeof(path), "%s/etc/.wh.gone", dest);
    ok(access(path, F_OK) < 0, "no .wh. file is left");
    char value[4] = "";
    snprintf(path, sizeof(path), "%s/opq", dest);
    ok(getxattr(path, "trusted.overlay.opaque", value, sizeof(value)) == 1 && value[0] == 'y',
       ".wh..wh..opq made its directory opaque");
    snprintf(path, sizeof(path), "%s/abs", dest);
    ok(access(path, F_OK) == 0 && stats.absolute_names == 1, "/abs was made relative");
    ok(bt_digest_valid(stats.digest) && bt_digest_valid(stats.diff_id) &&
           strcmp(stats.digest, stats.diff_id) != 0,
       "compressed and uncompressed digests differ");

    /* The same tar uncompressed: its digest is the diff id above. */
    char plain[PATH_MAX], dest2[PATH_MAX];
    snprintf(plain, sizeof(plain), "%s/layer.tar", tmp);
    snprintf(dest2, sizeof(dest2), "%s/layer2", tmp);
    make_tar(plain, false, specs);
    struct bt_archive_stats stats2;
    ok(extract(plain, dest2, &stats2, &err) == 0 && strcmp(stats2.digest, stats2.diff_id) == 0,
       "an uncompressed layer: digest == diff id");

    /* Stacked on a flat tree: the whiteout removes, the opaque dir hides what was there. */
    char flat[PATH_MAX];
    snprintf(flat, sizeof(flat), "%s/flat", tmp);
    mkdir(flat, 0755);
    snprintf(path, sizeof(path), "%s/etc", flat);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/etc/gone", flat);
    close(open(path, O_CREAT | O_WRONLY, 0644));
    snprintf(path, sizeof(path), "%s/opq", flat);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/opq/old", flat);
    close(open(path, O_CREAT | O_WRONLY, 0644));
    ok(bt_archive_apply_tree(dest, flat, &err) == 0, "apply the layer: %s", err.msg);
    snprintf(path, sizeof(path), "%s/etc/gone", flat);
    bool gone = access(path, F_OK) < 0;
    snprintf(path, sizeof(path), "%s/opq/old", flat);
    bool hidden = access(path, F_OK) < 0;
    snprintf(path, sizeof(path), "%s/opq/new", flat);
    ok(gone && hidden && access(path, F_OK) == 0, "whiteout and opaque dir applied");

    /* Back to a tar: the whiteouts are .wh. files again, and it extracts to the same tree. */
    snprintf(path, sizeof(path), "%s/back.tar", tmp);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    char digest[BT_DIGEST_LEN];
    uint64_t size;
    ok(bt_archive_write_tree(dest, fd, digest, &size, &err) == 0 && size > 0,
       "write the layer back as a tar");
    close(fd);
    snprintf(dest2, sizeof(dest2), "%s/layer3", tmp);
    ok(extract(path, dest2, &stats2, &err) == 0 && strcmp(stats2.diff_id, digest) == 0,
       "the written tar extracts, with the digest write_tree gave");
    snprintf(path, sizeof(path), "%s/etc/gone", dest2);
    ok(is_whiteout(path), "its whiteout survived the round trip");
}

static void test_hostile(void)
{
    char tar[PATH_MAX], dest[PATH_MAX];
    struct bt_archive_stats stats;
    struct bt_err err = {0};
    snprintf(tar, sizeof(tar), "%s/dots.tar", tmp);
    snprintf(dest, sizeof(dest), "%s/dots", tmp);
    static const char *const dots[] = {"f:a/../../escape", NULL};
    make_tar(tar, false, dots);
    ok(extract(tar, dest, &stats, &err) == -EINVAL && strstr(err.msg, "'..'"), "'..' refused: %s",
       err.msg);
    char path[PATH_MAX + 16];
    snprintf(path, sizeof(path), "%s/escape", tmp);
    ok(access(path, F_OK) < 0, "nothing escaped");

    snprintf(tar, sizeof(tar), "%s/link.tar", tmp);
    snprintf(dest, sizeof(dest), "%s/link", tmp);
    char spec[PATH_MAX + 16];
    snprintf(spec, sizeof(spec), "l:out:%s", tmp);
    const char *const link[] = {spec, "f:out/pwned", NULL};
    make_tar(tar, false, link);
    bt_err_clear(&err);
    ok(extract(tar, dest, &stats, &err) == -EINVAL && strstr(err.msg, "symlink"),
       "a symlinked parent refused: %s", err.msg);
    snprintf(path, sizeof(path), "%s/pwned", tmp);
    ok(access(path, F_OK) < 0, "nothing written through the symlink");

    snprintf(tar, sizeof(tar), "%s/garbage.tar", tmp);
    int fd = open(tar, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    char noise[2048];
    for (size_t i = 0; i < sizeof(noise); i++)
        noise[i] = (char)(i * 7 + 3);
    ok(write(fd, noise, sizeof(noise)) == (ssize_t)sizeof(noise), "write noise");
    close(fd);
    snprintf(dest, sizeof(dest), "%s/garbage", tmp);
    bt_err_clear(&err);
    ok(extract(tar, dest, &stats, &err) == -EINVAL && strstr(err.msg, "corrupt"),
       "noise refused: %s", err.msg);
}

int main(void)
{
    plan(30);
    tap_alarm(60);
    if (geteuid() != 0) {
        skip("needs root (mknod of whiteouts, trusted xattrs)");
        return done();
    }
    snprintf(tmp, sizeof(tmp), "/tmp/t-image.XXXXXX");
    if (!mkdtemp(tmp))
        return 1;
    test_names();
    test_extract();
    test_hostile();
    char command[PATH_MAX + 16];
    snprintf(command, sizeof(command), "rm -rf %s", tmp);
    if (system(command) != 0)
        diag("could not remove %s", tmp);
    return done();
}
