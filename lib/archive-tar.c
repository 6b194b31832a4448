/* Safe extraction of one layer tarball into an empty directory of the store. libarchive
 * decompresses and parses; every name is cleaned here and every file, directory and link is
 * made with *at() calls relative to a directory opened with openat2(RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS), so that no name, symlink or hardlink in the archive can reach outside. */
#include "archive-tar.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cleanup.h"

#define BUF_SIZE (128 * 1024)

int bt_digest_init(struct bt_digest *d)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(ctx);
        d->ctx = NULL;
        return -ENOMEM;
    }
    d->ctx = ctx;
    return 0;
}

void bt_digest_update(struct bt_digest *d, const void *buf, size_t len)
{
    if (d->ctx && len)
        EVP_DigestUpdate(d->ctx, buf, len);
}

void bt_digest_final(struct bt_digest *d, char out[BT_DIGEST_LEN])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    out[0] = '\0';
    if (!d->ctx)
        return;
    EVP_DigestFinal_ex(d->ctx, md, &n);
    bt_digest_abort(d);
    int used = snprintf(out, BT_DIGEST_LEN, "sha256:");
    for (unsigned int i = 0; i < n && used + 2 < BT_DIGEST_LEN; i++)
        used += snprintf(out + used, (size_t)(BT_DIGEST_LEN - used), "%02x", md[i]);
}

void bt_digest_abort(struct bt_digest *d)
{
    EVP_MD_CTX_free(d->ctx);
    d->ctx = NULL;
}

bool bt_digest_valid(const char *text)
{
    if (!text || strncmp(text, "sha256:", 7) != 0 || strlen(text) != 71)
        return false;
    for (const char *p = text + 7; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}

ssize_t bt_archive_read_fd(void *ctx, void *buf, size_t len, struct bt_err *err)
{
    int fd = *(int *)ctx;
    for (;;) {
        ssize_t n = read(fd, buf, len);
        if (n >= 0)
            return n;
        if (errno != EINTR)
            return bt_err_sys(err, errno, "read");
    }
}

ssize_t bt_archive_read_entry(void *ctx, void *buf, size_t len, struct bt_err *err)
{
    struct archive *a = ctx;
    la_ssize_t n = archive_read_data(a, buf, len);
    if (n < 0)
        return bt_err_msg(err, EINVAL, "truncated or corrupt archive (%s)",
                          archive_error_string(a) ? archive_error_string(a) : "read error");
    return n;
}

/* The two stages: compressed bytes from the input into the raw reader, which decompresses;
 * its output into the tar reader. Each stage hashes what passes through it. */
struct pipeline {
    const struct bt_archive_input *in;
    const struct bt_archive_limits *limits;
    struct archive *raw, *tar;
    struct bt_digest compressed, uncompressed;
    uint64_t read_total, progress_at;
    char inbuf[BUF_SIZE], rawbuf[BUF_SIZE];
    struct bt_err *err;
    int failed; /* -errno from the input, so that libarchive's message does not replace it */
};

static la_ssize_t read_compressed(struct archive *a, void *data, const void **buffer)
{
    (void)a;
    struct pipeline *p = data;
    ssize_t n = p->in->read(p->in->ctx, p->inbuf, sizeof(p->inbuf), p->err);
    if (n < 0) {
        p->failed = (int)n;
        return -1;
    }
    bt_digest_update(&p->compressed, p->inbuf, (size_t)n);
    p->read_total += (uint64_t)n;
    if (p->limits && p->limits->progress && p->read_total - p->progress_at >= (1 << 20)) {
        p->progress_at = p->read_total;
        p->limits->progress(p->limits->progress_ctx, p->read_total);
    }
    *buffer = p->inbuf;
    return n;
}

static la_ssize_t read_uncompressed(struct archive *a, void *data, const void **buffer)
{
    (void)a;
    struct pipeline *p = data;
    la_ssize_t n = archive_read_data(p->raw, p->rawbuf, sizeof(p->rawbuf));
    if (n < 0)
        return -1;
    bt_digest_update(&p->uncompressed, p->rawbuf, (size_t)n);
    *buffer = p->rawbuf;
    return n;
}

static int archive_fail(struct pipeline *p, struct archive *a, const char *what)
{
    if (p->failed)
        return p->failed;
    const char *why = archive_error_string(a);
    return bt_err_msg(p->err, EINVAL, "truncated or corrupt archive: %s%s%s", what, why ? ": " : "",
                      why ? why : "");
}

/* Cleans NAME into OUT: no leading '/', no "." or empty parts; fails on "..". */
static int clean_name(const char *name, char *out, size_t len, bool *absolute, struct bt_err *err)
{
    *absolute = name[0] == '/';
    size_t used = 0;
    const char *p = name;
    while (*p) {
        while (*p == '/')
            p++;
        const char *end = strchrnul(p, '/');
        size_t n = (size_t)(end - p);
        if (n == 0)
            break;
        if (n == 1 && p[0] == '.') {
            p = end;
            continue;
        }
        if (n == 2 && p[0] == '.' && p[1] == '.')
            return bt_err_msg(err, EINVAL, "entry '%s': '..' in the name", name);
        if (used + n + 2 > len)
            return bt_err_msg(err, ENAMETOOLONG, "entry '%s': the name is too long", name);
        if (used)
            out[used++] = '/';
        memcpy(out + used, p, n);
        used += n;
        p = end;
    }
    out[used] = '\0';
    return 0;
}

static int open_beneath(int dir_fd, const char *name, int flags)
{
    struct open_how how = {
        .flags = (uint64_t)(flags | O_CLOEXEC | O_NOFOLLOW),
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
    };
    int fd = (int)syscall(SYS_openat2, dir_fd, name, &how, sizeof(how));
    return fd < 0 ? -errno : fd;
}

/* Opens the directory that holds PATH's last part, creating missing directories (0755), and
 * points *BASE at that part. Returns the fd or -errno. */
static int open_parent(int root_fd, char *path, const char **base, const char *entry,
                       struct bt_err *err)
{
    char *slash = strrchr(path, '/');
    if (!slash) {
        *base = path;
        int fd = dup(root_fd);
        return fd < 0 ? bt_err_sys(err, errno, "dup") : fd;
    }
    *slash = '\0';
    *base = slash + 1;
    cleanup_close int fd = open_beneath(root_fd, path, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        *slash = '/';
        return bt_take_fd(&fd);
    }
    /* Walk it part by part, creating what is missing. */
    fd = dup(root_fd);
    char *part = path;
    int ret = 0;
    while (part) {
        char *next = strchr(part, '/');
        if (next)
            *next = '\0';
        int child = open_beneath(fd, part, O_RDONLY | O_DIRECTORY);
        if (child == -ENOENT) {
            if (mkdirat(fd, part, 0755) < 0 && errno != EEXIST)
                ret = bt_err_sys(err, errno, "entry '%s': create its directory", entry);
            else
                child = open_beneath(fd, part, O_RDONLY | O_DIRECTORY);
        }
        struct stat st;
        bool is_link =
            child < 0 && fstatat(fd, part, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
        if (next)
            *next = '/';
        if (ret < 0)
            break;
        if (child < 0) {
            if (child == -ELOOP || is_link)
                ret = bt_err_msg(err, EINVAL, "entry '%s': a parent directory is a symlink", entry);
            else if (child == -ENOTDIR)
                ret = bt_err_msg(err, EINVAL, "entry '%s': a parent is not a directory", entry);
            else
                ret = bt_err_sys(err, -child, "entry '%s': open its directory", entry);
            break;
        }
        close(fd);
        fd = child;
        part = next ? next + 1 : NULL;
    }
    *slash = '/';
    if (ret < 0)
        return ret;
    return bt_take_fd(&fd);
}

/* Makes room for a new entry BASE in DIR_FD. A directory stays when a directory replaces it. */
static int make_room(int dir_fd, const char *base, bool want_dir, bool *is_dir, const char *entry,
                     struct bt_err *err)
{
    struct stat st;
    *is_dir = false;
    if (fstatat(dir_fd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return errno == ENOENT ? 0 : bt_err_sys(err, errno, "entry '%s': stat", entry);
    if (S_ISDIR(st.st_mode)) {
        if (want_dir) {
            *is_dir = true;
            return 0;
        }
        if (unlinkat(dir_fd, base, AT_REMOVEDIR) < 0)
            return bt_err_sys(err, errno, "entry '%s': replace a directory", entry);
        return 0;
    }
    if (unlinkat(dir_fd, base, 0) < 0)
        return bt_err_sys(err, errno, "entry '%s': replace", entry);
    return 0;
}

static void set_xattrs(int fd, struct archive_entry *e)
{
    const char *name;
    const void *value;
    size_t size;
    archive_entry_xattr_reset(e);
    while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
        /* trusted.overlay.* would let a layer fake whiteouts; selinux labels are the host's. */
        if (strncmp(name, "trusted.", 8) == 0 || strcmp(name, "security.selinux") == 0)
            continue;
        fsetxattr(fd, name, value, size, 0);
    }
}

static mode_t entry_mode(struct archive_entry *e, const struct bt_archive_limits *limits,
                         struct bt_archive_stats *stats)
{
    mode_t mode = archive_entry_perm(e) & 07777;
    if ((mode & (S_ISUID | S_ISGID)) && !(limits && limits->keep_setuid) &&
        archive_entry_filetype(e) == AE_IFREG) {
        mode &= (mode_t) ~(S_ISUID | S_ISGID);
        stats->setuid_cleared++;
    }
    return mode;
}

static int write_file(struct pipeline *p, int dir_fd, const char *base, struct archive_entry *e,
                      struct bt_archive_stats *stats, const char *entry)
{
    struct bt_err *err = p->err;
    la_int64_t size = archive_entry_size(e);
    uint64_t max = p->limits ? p->limits->max_bytes : 0;
    if (size < 0 || (max && ((uint64_t)size > max || stats->bytes + (uint64_t)size > max)))
        return bt_err_msg(err, EFBIG, "entry '%s': %lld bytes go beyond the limit of %llu bytes",
                          entry, (long long)size, (unsigned long long)max);
    cleanup_close int fd =
        openat(dir_fd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return bt_err_sys(err, errno, "entry '%s': create", entry);
    const void *buf;
    size_t len;
    la_int64_t offset;
    int r;
    while ((r = archive_read_data_block(p->tar, &buf, &len, &offset)) == ARCHIVE_OK) {
        if (offset < 0 || (uint64_t)offset + len > (uint64_t)size)
            return bt_err_msg(err, EINVAL, "entry '%s': data beyond its size", entry);
        const char *at = buf;
        while (len) {
            ssize_t n = pwrite(fd, at, len, offset);
            if (n < 0)
                return bt_err_sys(err, errno, "entry '%s': write", entry);
            at += n;
            len -= (size_t)n;
            offset += n;
        }
    }
    if (r != ARCHIVE_EOF)
        return archive_fail(p, p->tar, entry);
    if (ftruncate(fd, size) < 0)
        return bt_err_sys(err, errno, "entry '%s': truncate", entry);
    stats->bytes += (uint64_t)size;
    if (fchown(fd, archive_entry_uid(e), archive_entry_gid(e)) < 0)
        return bt_err_sys(err, errno, "entry '%s': chown", entry);
    if (fchmod(fd, entry_mode(e, p->limits, stats)) < 0)
        return bt_err_sys(err, errno, "entry '%s': chmod", entry);
    set_xattrs(fd, e);
    struct timespec times[2] = {{.tv_sec = archive_entry_atime(e)},
                                {.tv_sec = archive_entry_mtime(e)}};
    futimens(fd, times);
    return 0;
}

static int write_hardlink(int root_fd, int dir_fd, const char *base, const char *target,
                          const char *entry, struct bt_err *err)
{
    char clean[PATH_MAX];
    bool absolute;
    int ret = clean_name(target, clean, sizeof(clean), &absolute, err);
    if (ret < 0)
        return bt_err_wrap(err, "hardlink '%s'", entry);
    char *slash = strrchr(clean, '/');
    const char *target_base = clean;
    cleanup_close int target_dir = -1;
    if (slash) {
        *slash = '\0';
        target_base = slash + 1;
        target_dir = open_beneath(root_fd, clean, O_PATH | O_DIRECTORY);
    } else {
        target_dir = dup(root_fd);
    }
    struct stat st;
    if (target_dir < 0 || !clean[0] ||
        fstatat(target_dir, target_base, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return bt_err_msg(err, EINVAL, "entry '%s': hardlink to '%s', which is not in the layer",
                          entry, target);
    if (S_ISDIR(st.st_mode))
        return bt_err_msg(err, EINVAL, "entry '%s': hardlink to a directory", entry);
    if (linkat(target_dir, target_base, dir_fd, base, 0) < 0)
        return bt_err_sys(err, errno, "entry '%s': link", entry);
    return 0;
}

static int extract_entry(struct pipeline *p, int root_fd, struct archive_entry *e,
                         struct bt_archive_stats *stats)
{
    struct bt_err *err = p->err;
    const char *name = archive_entry_pathname(e);
    if (!name)
        return bt_err_msg(err, EINVAL, "an entry without a name");
    char path[PATH_MAX];
    bool absolute;
    int ret = clean_name(name, path, sizeof(path), &absolute, err);
    if (ret < 0)
        return ret;
    if (absolute)
        stats->absolute_names++;
    if (!path[0])
        return 0; /* "./": the layer's root keeps the store's mode */
    const char *base;
    cleanup_close int dir_fd = open_parent(root_fd, path, &base, name, err);
    if (dir_fd < 0)
        return dir_fd;
    mode_t type = archive_entry_filetype(e);
    const char *hardlink = archive_entry_hardlink(e);

    if (strncmp(base, ".wh.", 4) == 0) {
        if (strcmp(base, ".wh..wh..opq") == 0) {
            if (fsetxattr(dir_fd, "trusted.overlay.opaque", "y", 1, 0) < 0)
                return bt_err_sys(err, errno, "entry '%s': mark its directory opaque", name);
        } else if (strncmp(base, ".wh..wh.", 8) != 0) { /* aufs's own files are dropped */
            const char *victim = base + 4;
            bool is_dir;
            if (!victim[0] || strcmp(victim, ".") == 0 || strcmp(victim, "..") == 0)
                return bt_err_msg(err, EINVAL, "entry '%s': an empty whiteout", name);
            if ((ret = make_room(dir_fd, victim, false, &is_dir, name, err)) < 0)
                return ret;
            if (mknodat(dir_fd, victim, S_IFCHR | 0, makedev(0, 0)) < 0)
                return bt_err_sys(err, errno, "entry '%s': create the whiteout", name);
        }
        stats->entries++;
        return 0;
    }

    if (!hardlink && (type == AE_IFCHR || type == AE_IFBLK || type == AE_IFSOCK)) {
        stats->devices_skipped++;
        return 0;
    }
    bool is_dir;
    if ((ret = make_room(dir_fd, base, !hardlink && type == AE_IFDIR, &is_dir, name, err)) < 0)
        return ret;
    stats->entries++;
    if (hardlink)
        return write_hardlink(root_fd, dir_fd, base, hardlink, name, err);
    switch (type) {
    case AE_IFREG: return write_file(p, dir_fd, base, e, stats, name);
    case AE_IFDIR: {
        if (!is_dir && mkdirat(dir_fd, base, 0700) < 0)
            return bt_err_sys(err, errno, "entry '%s': mkdir", name);
        cleanup_close int fd = open_beneath(dir_fd, base, O_RDONLY | O_DIRECTORY);
        if (fd < 0)
            return bt_err_sys(err, -fd, "entry '%s': open", name);
        if (fchown(fd, archive_entry_uid(e), archive_entry_gid(e)) < 0 ||
            fchmod(fd, entry_mode(e, p->limits, stats)) < 0)
            return bt_err_sys(err, errno, "entry '%s': chown/chmod", name);
        set_xattrs(fd, e);
        return 0;
    }
    case AE_IFLNK: {
        const char *target = archive_entry_symlink(e);
        /* A symlink may point anywhere: it is resolved inside the container, never here. */
        if (!target || symlinkat(target, dir_fd, base) < 0)
            return bt_err_sys(err, target ? errno : EINVAL, "entry '%s': symlink", name);
        fchownat(dir_fd, base, archive_entry_uid(e), archive_entry_gid(e), AT_SYMLINK_NOFOLLOW);
        struct timespec times[2] = {{.tv_sec = archive_entry_mtime(e)},
                                    {.tv_sec = archive_entry_mtime(e)}};
        utimensat(dir_fd, base, times, AT_SYMLINK_NOFOLLOW);
        return 0;
    }
    case AE_IFIFO:
        if (mknodat(dir_fd, base, S_IFIFO | 0600, 0) < 0 ||
            fchownat(dir_fd, base, archive_entry_uid(e), archive_entry_gid(e),
                     AT_SYMLINK_NOFOLLOW) < 0 ||
            fchmodat(dir_fd, base, entry_mode(e, p->limits, stats), 0) < 0)
            return bt_err_sys(err, errno, "entry '%s': mkfifo", name);
        return 0;
    default: return bt_err_msg(err, EINVAL, "entry '%s': unknown file type", name);
    }
}

static int run_pipeline(struct pipeline *p, int dest_fd, struct bt_archive_stats *stats)
{
    struct bt_err *err = p->err;
    p->raw = archive_read_new();
    p->tar = archive_read_new();
    if (!p->raw || !p->tar)
        return bt_err_msg(err, ENOMEM, "out of memory");
    archive_read_support_filter_all(p->raw);
    archive_read_support_format_raw(p->raw);
    if (archive_read_open(p->raw, p, NULL, read_compressed, NULL) != ARCHIVE_OK)
        return archive_fail(p, p->raw, "open");
    struct archive_entry *e;
    int r = archive_read_next_header(p->raw, &e);
    if (r == ARCHIVE_EOF)
        return bt_err_msg(err, EINVAL, "an empty file is no layer");
    if (r != ARCHIVE_OK)
        return archive_fail(p, p->raw, "header");
    archive_read_support_format_tar(p->tar);
    archive_read_support_format_gnutar(p->tar);
    if (archive_read_open(p->tar, p, NULL, read_uncompressed, NULL) != ARCHIVE_OK)
        return archive_fail(p, p->tar, "open the tar");
    int ret;
    while ((r = archive_read_next_header(p->tar, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
        if ((ret = extract_entry(p, dest_fd, e, stats)) < 0)
            return ret;
    }
    if (r != ARCHIVE_EOF)
        return archive_fail(p, p->tar, "tar");
    /* The digests cover the padding after the tar's end too. */
    la_ssize_t n;
    while ((n = archive_read_data(p->raw, p->rawbuf, sizeof(p->rawbuf))) > 0)
        bt_digest_update(&p->uncompressed, p->rawbuf, (size_t)n);
    if (n < 0)
        return archive_fail(p, p->raw, "after the tar");
    ssize_t m;
    while ((m = p->in->read(p->in->ctx, p->inbuf, sizeof(p->inbuf), err)) > 0)
        bt_digest_update(&p->compressed, p->inbuf, (size_t)m);
    if (m < 0)
        return (int)m;
    return 0;
}

int bt_archive_extract(const struct bt_archive_input *in, int dest_fd,
                       const struct bt_archive_limits *limits, struct bt_archive_stats *stats,
                       struct bt_err *err)
{
    memset(stats, 0, sizeof(*stats));
    struct pipeline *p = calloc(1, sizeof(*p));
    if (!p)
        return bt_err_msg(err, ENOMEM, "out of memory");
    p->in = in;
    p->limits = limits;
    p->err = err;
    int ret = bt_digest_init(&p->compressed);
    if (ret == 0)
        ret = bt_digest_init(&p->uncompressed);
    if (ret < 0)
        ret = bt_err_msg(err, ENOMEM, "sha256: out of memory");
    else
        ret = run_pipeline(p, dest_fd, stats);
    if (ret == 0) {
        bt_digest_final(&p->compressed, stats->digest);
        bt_digest_final(&p->uncompressed, stats->diff_id);
    }
    bt_digest_abort(&p->compressed);
    bt_digest_abort(&p->uncompressed);
    if (p->tar)
        archive_read_free(p->tar);
    if (p->raw)
        archive_read_free(p->raw);
    free(p);
    return ret;
}
