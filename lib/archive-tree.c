/* Layer trees of the store (overlayfs format) turned back into tarballs (commit, export) and
 * stacked into one flat tree (copy and btrfs drivers). Everything works on directory fds and
 * *at() calls with no symlink followed, so a symlink in a layer never redirects a write. */
#include "archive-tar.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cleanup.h"

static bool is_whiteout(const struct stat *st)
{
    return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

static bool is_opaque(int dir_fd)
{
    char value[4];
    ssize_t n = fgetxattr(dir_fd, "trusted.overlay.opaque", value, sizeof(value));
    return n == 1 && value[0] == 'y';
}

static bool skip_xattr(const char *name)
{
    return strncmp(name, "trusted.", 8) == 0 || strcmp(name, "security.selinux") == 0;
}

/* Calls FN(name, ctx) for the xattrs of FD worth keeping. */
static void copy_xattrs(int from_fd, int to_fd, struct archive_entry *e)
{
    char names[4096], value[4096];
    ssize_t len = flistxattr(from_fd, names, sizeof(names));
    for (ssize_t i = 0; i < len; i += (ssize_t)strlen(names + i) + 1) {
        const char *name = names + i;
        if (skip_xattr(name))
            continue;
        ssize_t n = fgetxattr(from_fd, name, value, sizeof(value));
        if (n < 0)
            continue;
        if (to_fd >= 0)
            fsetxattr(to_fd, name, value, (size_t)n, 0);
        if (e)
            archive_entry_xattr_add_entry(e, name, value, (size_t)n);
    }
}

static int sorted_entries(int dir_fd, struct dirent ***list)
{
    int fd = dup(dir_fd);
    if (fd < 0)
        return -errno;
    lseek(fd, 0, SEEK_SET);
    int n = scandirat(fd, ".", list, NULL, alphasort);
    int saved = errno;
    close(fd);
    return n < 0 ? -saved : n;
}

static bool dot(const char *name)
{
    return strcmp(name, ".") == 0 || strcmp(name, "..") == 0;
}

/* ---- tree -> tar ---- */

struct link_seen {
    dev_t dev;
    ino_t ino;
    char *path;
};

struct writer {
    struct archive *a;
    int out_fd;
    struct bt_digest digest;
    uint64_t size;
    struct link_seen *links;
    size_t n_links, cap_links;
    struct bt_err *err;
    char buf[64 * 1024];
};

static la_ssize_t write_out(struct archive *a, void *data, const void *buf, size_t len)
{
    (void)a;
    struct writer *w = data;
    const char *p = buf;
    size_t left = len;
    while (left) {
        ssize_t n = write(w->out_fd, p, left);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        left -= (size_t)n;
    }
    bt_digest_update(&w->digest, buf, len);
    w->size += len;
    return (la_ssize_t)len;
}

static int header(struct writer *w, struct archive_entry *e)
{
    if (archive_write_header(w->a, e) != ARCHIVE_OK)
        return bt_err_msg(w->err, EIO, "write %s: %s", archive_entry_pathname(e),
                          archive_error_string(w->a));
    return 0;
}

static int add_marker(struct writer *w, const char *dir, const char *name, const struct stat *st)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s%s.wh.%s", dir, dir[0] ? "/" : "", name);
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, path);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, 0);
    archive_entry_set_mtime(e, st->st_mtim.tv_sec, 0);
    int ret = header(w, e);
    archive_entry_free(e);
    return ret;
}

static int write_dir(struct writer *w, int dir_fd, const char *rel);

static int write_one(struct writer *w, int dir_fd, const char *rel, const char *name)
{
    struct stat st;
    if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return bt_err_sys(w->err, errno, "stat %s", name);
    if (is_whiteout(&st))
        return add_marker(w, rel, name, &st);
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s%s%s", rel, rel[0] ? "/" : "", name);
    struct archive_entry *e = archive_entry_new();
    archive_entry_copy_stat(e, &st);
    archive_entry_set_pathname(e, path);
    archive_entry_set_atime(e, st.st_mtim.tv_sec, 0);
    archive_entry_unset_ctime(e);
    archive_entry_set_ino64(e, 0);
    archive_entry_set_dev(e, 0);
    archive_entry_set_nlink(e, 1);
    cleanup_close int fd = -1;
    int ret = 0;
    if (S_ISREG(st.st_mode) && st.st_nlink > 1) {
        for (size_t i = 0; i < w->n_links; i++) {
            if (w->links[i].dev == st.st_dev && w->links[i].ino == st.st_ino) {
                archive_entry_set_hardlink(e, w->links[i].path);
                archive_entry_set_size(e, 0);
                ret = header(w, e);
                archive_entry_free(e);
                return ret;
            }
        }
        if (w->n_links == w->cap_links) {
            w->cap_links = w->cap_links ? 2 * w->cap_links : 64;
            w->links = realloc(w->links, w->cap_links * sizeof(*w->links));
        }
        w->links[w->n_links++] = (struct link_seen){st.st_dev, st.st_ino, strdup(path)};
    }
    if (S_ISLNK(st.st_mode)) {
        char target[PATH_MAX];
        ssize_t n = readlinkat(dir_fd, name, target, sizeof(target) - 1);
        if (n < 0) {
            archive_entry_free(e);
            return bt_err_sys(w->err, errno, "readlink %s", path);
        }
        target[n] = '\0';
        archive_entry_set_symlink(e, target);
    } else if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
        fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
            archive_entry_free(e);
            return bt_err_sys(w->err, errno, "open %s", path);
        }
        /* With redirect_dir or metacopy on, an upper dir entry may stand for data that is
         * only in a lower layer: such a tree is no layer on its own. */
        if (fgetxattr(fd, "trusted.overlay.redirect", NULL, 0) >= 0 ||
            fgetxattr(fd, "trusted.overlay.metacopy", NULL, 0) >= 0) {
            archive_entry_free(e);
            return bt_err_msg(w->err, ENOTSUP,
                              "%s: an overlayfs redirect or metacopy (mounted with redirect_dir "
                              "or metacopy on), which makes no layer",
                              path);
        }
        copy_xattrs(fd, -1, e);
    }
    ret = header(w, e);
    archive_entry_free(e);
    if (ret < 0)
        return ret;
    if (S_ISREG(st.st_mode)) {
        ssize_t n;
        while ((n = read(fd, w->buf, sizeof(w->buf))) > 0)
            if (archive_write_data(w->a, w->buf, (size_t)n) != n)
                return bt_err_msg(w->err, EIO, "write %s: %s", path, archive_error_string(w->a));
        if (n < 0)
            return bt_err_sys(w->err, errno, "read %s", path);
    } else if (S_ISDIR(st.st_mode)) {
        if (is_opaque(fd) && (ret = add_marker(w, path, ".wh..opq", &st)) < 0)
            return ret;
        return write_dir(w, fd, path);
    }
    return 0;
}

static int write_dir(struct writer *w, int dir_fd, const char *rel)
{
    struct dirent **list;
    int n = sorted_entries(dir_fd, &list);
    if (n < 0)
        return bt_err_sys(w->err, -n, "read the directory %s", rel[0] ? rel : ".");
    int ret = 0;
    for (int i = 0; i < n; i++) {
        if (ret == 0 && !dot(list[i]->d_name))
            ret = write_one(w, dir_fd, rel, list[i]->d_name);
        free(list[i]);
    }
    free(list);
    return ret;
}

int bt_archive_write_tree(const char *dir, int out_fd, char digest[BT_DIGEST_LEN], uint64_t *size,
                          struct bt_err *err)
{
    cleanup_close int dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0)
        return bt_err_sys(err, errno, "open %s", dir);
    struct writer *w = calloc(1, sizeof(*w));
    if (!w)
        return bt_err_msg(err, ENOMEM, "out of memory");
    w->out_fd = out_fd;
    w->err = err;
    w->a = archive_write_new();
    int ret = bt_digest_init(&w->digest);
    if (ret < 0 || !w->a) {
        ret = bt_err_msg(err, ENOMEM, "out of memory");
        goto out;
    }
    archive_write_set_format_pax_restricted(w->a);
    archive_write_add_filter_none(w->a);
    archive_write_set_bytes_in_last_block(w->a, 1);
    if (archive_write_open(w->a, w, NULL, write_out, NULL) != ARCHIVE_OK) {
        ret = bt_err_msg(err, EIO, "write the tar: %s", archive_error_string(w->a));
        goto out;
    }
    ret = write_dir(w, dir_fd, "");
    if (archive_write_close(w->a) != ARCHIVE_OK && ret == 0)
        ret = bt_err_msg(err, EIO, "write the tar: %s", archive_error_string(w->a));
    if (ret == 0) {
        bt_digest_final(&w->digest, digest);
        *size = w->size;
    }
out:
    bt_digest_abort(&w->digest);
    if (w->a)
        archive_write_free(w->a);
    for (size_t i = 0; i < w->n_links; i++)
        free(w->links[i].path);
    free(w->links);
    free(w);
    return ret;
}

/* ---- layer tree on top of a flat tree ---- */

/* rm -rf NAME in DIR_FD, never following a symlink. */
static int remove_at(int dir_fd, const char *name)
{
    struct stat st;
    if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return errno == ENOENT ? 0 : -errno;
    if (!S_ISDIR(st.st_mode))
        return unlinkat(dir_fd, name, 0) < 0 ? -errno : 0;
    int fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return -errno;
    }
    struct dirent *de;
    int ret = 0;
    while (ret == 0 && (de = readdir(d)))
        if (!dot(de->d_name))
            ret = remove_at(fd, de->d_name);
    closedir(d);
    if (ret == 0 && unlinkat(dir_fd, name, AT_REMOVEDIR) < 0)
        ret = -errno;
    return ret;
}

static int empty_dir(int fd)
{
    struct dirent **list;
    int n = sorted_entries(fd, &list);
    if (n < 0)
        return n;
    int ret = 0;
    for (int i = 0; i < n; i++) {
        if (ret == 0 && !dot(list[i]->d_name))
            ret = remove_at(fd, list[i]->d_name);
        free(list[i]);
    }
    free(list);
    return ret;
}

struct applier {
    struct link_seen *links; /* path: relative to dest, of the first copy */
    size_t n_links, cap_links;
    int dest_root;
    struct bt_err *err;
};

static int copy_data(int from, int to)
{
    for (;;) {
        ssize_t n = copy_file_range(from, NULL, to, NULL, 1 << 30, 0);
        if (n == 0)
            return 0;
        if (n < 0) {
            if (errno != EXDEV && errno != ENOSYS && errno != EINVAL)
                return -errno;
            char buf[65536];
            while ((n = read(from, buf, sizeof(buf))) > 0)
                if (write(to, buf, (size_t)n) != n)
                    return -EIO;
            return n < 0 ? -errno : 0;
        }
    }
}

static int apply_dir(struct applier *ap, int from_dir, int to_dir, const char *rel);

static int apply_one(struct applier *ap, int from_dir, int to_dir, const char *rel,
                     const char *name)
{
    struct bt_err *err = ap->err;
    struct stat st;
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s%s%s", rel, rel[0] ? "/" : "", name);
    if (fstatat(from_dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return bt_err_sys(err, errno, "stat %s", path);
    int ret;
    if (is_whiteout(&st)) {
        if ((ret = remove_at(to_dir, name)) < 0)
            return bt_err_sys(err, -ret, "remove %s", path);
        return 0;
    }
    struct stat old;
    bool exists = fstatat(to_dir, name, &old, AT_SYMLINK_NOFOLLOW) == 0;
    if (S_ISDIR(st.st_mode)) {
        cleanup_close int from = openat(from_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
        if (from < 0)
            return bt_err_sys(err, errno, "open %s", path);
        if (exists && !S_ISDIR(old.st_mode) && (ret = remove_at(to_dir, name)) < 0)
            return bt_err_sys(err, -ret, "replace %s", path);
        if ((!exists || !S_ISDIR(old.st_mode)) && mkdirat(to_dir, name, 0700) < 0)
            return bt_err_sys(err, errno, "mkdir %s", path);
        cleanup_close int to = openat(to_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
        if (to < 0)
            return bt_err_sys(err, errno, "open %s", path);
        if (exists && S_ISDIR(old.st_mode) && is_opaque(from) && (ret = empty_dir(to)) < 0)
            return bt_err_sys(err, -ret, "empty %s", path);
        if (fchown(to, st.st_uid, st.st_gid) < 0 || fchmod(to, st.st_mode & 07777) < 0)
            return bt_err_sys(err, errno, "chown/chmod %s", path);
        copy_xattrs(from, to, NULL);
        if ((ret = apply_dir(ap, from, to, path)) < 0)
            return ret;
        struct timespec times[2] = {st.st_atim, st.st_mtim};
        futimens(to, times);
        return 0;
    }
    if (exists && (ret = remove_at(to_dir, name)) < 0)
        return bt_err_sys(err, -ret, "replace %s", path);
    if (S_ISREG(st.st_mode) && st.st_nlink > 1) {
        for (size_t i = 0; i < ap->n_links; i++) {
            if (ap->links[i].dev == st.st_dev && ap->links[i].ino == st.st_ino) {
                if (linkat(ap->dest_root, ap->links[i].path, to_dir, name, 0) == 0)
                    return 0;
                break; /* the first copy was replaced since: copy again */
            }
        }
        if (ap->n_links == ap->cap_links) {
            ap->cap_links = ap->cap_links ? 2 * ap->cap_links : 64;
            ap->links = realloc(ap->links, ap->cap_links * sizeof(*ap->links));
        }
        ap->links[ap->n_links++] = (struct link_seen){st.st_dev, st.st_ino, strdup(path)};
    }
    if (S_ISREG(st.st_mode)) {
        cleanup_close int from = openat(from_dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        cleanup_close int to =
            openat(to_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (from < 0 || to < 0)
            return bt_err_sys(err, errno, "copy %s", path);
        if ((ret = copy_data(from, to)) < 0)
            return bt_err_sys(err, -ret, "copy %s", path);
        if (fchown(to, st.st_uid, st.st_gid) < 0 || fchmod(to, st.st_mode & 07777) < 0)
            return bt_err_sys(err, errno, "chown/chmod %s", path);
        copy_xattrs(from, to, NULL);
        struct timespec times[2] = {st.st_atim, st.st_mtim};
        futimens(to, times);
        return 0;
    }
    if (S_ISLNK(st.st_mode)) {
        char target[PATH_MAX];
        ssize_t n = readlinkat(from_dir, name, target, sizeof(target) - 1);
        if (n < 0)
            return bt_err_sys(err, errno, "readlink %s", path);
        target[n] = '\0';
        if (symlinkat(target, to_dir, name) < 0)
            return bt_err_sys(err, errno, "symlink %s", path);
    } else if (mknodat(to_dir, name, st.st_mode, st.st_rdev) < 0) {
        return bt_err_sys(err, errno, "mknod %s", path);
    }
    fchownat(to_dir, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW);
    if (!S_ISLNK(st.st_mode))
        fchmodat(to_dir, name, st.st_mode & 07777, 0);
    struct timespec times[2] = {st.st_atim, st.st_mtim};
    utimensat(to_dir, name, times, AT_SYMLINK_NOFOLLOW);
    return 0;
}

static int apply_dir(struct applier *ap, int from_dir, int to_dir, const char *rel)
{
    struct dirent **list;
    int n = sorted_entries(from_dir, &list);
    if (n < 0)
        return bt_err_sys(ap->err, -n, "read the directory %s", rel[0] ? rel : ".");
    int ret = 0;
    for (int i = 0; i < n; i++) {
        if (ret == 0 && !dot(list[i]->d_name))
            ret = apply_one(ap, from_dir, to_dir, rel, list[i]->d_name);
        free(list[i]);
    }
    free(list);
    return ret;
}

int bt_archive_apply_tree(const char *layer, const char *dest, struct bt_err *err)
{
    cleanup_close int from = open(layer, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (from < 0)
        return bt_err_sys(err, errno, "open %s", layer);
    cleanup_close int to = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (to < 0)
        return bt_err_sys(err, errno, "open %s", dest);
    struct applier ap = {.dest_root = to, .err = err};
    if (is_opaque(from)) {
        int ret = empty_dir(to);
        if (ret < 0)
            return bt_err_sys(err, -ret, "empty %s", dest);
    }
    int ret = apply_dir(&ap, from, to, "");
    for (size_t i = 0; i < ap.n_links; i++)
        free(ap.links[i].path);
    free(ap.links);
    return ret;
}

/* ---- a flat tree against its base: the differences as a layer tree ---- */

static bool same_entry(int base_dir, const struct stat *b, int changed_dir, const struct stat *c,
                       const char *name)
{
    if ((b->st_mode & S_IFMT) != (c->st_mode & S_IFMT) || b->st_mode != c->st_mode ||
        b->st_uid != c->st_uid || b->st_gid != c->st_gid)
        return false;
    if (S_ISDIR(c->st_mode))
        return true; /* a directory's mtime changes with its entries: those are compared */
    if (b->st_size != c->st_size || b->st_rdev != c->st_rdev ||
        b->st_mtim.tv_sec != c->st_mtim.tv_sec || b->st_mtim.tv_nsec != c->st_mtim.tv_nsec)
        return false;
    if (S_ISLNK(c->st_mode)) {
        char t1[PATH_MAX], t2[PATH_MAX];
        ssize_t n1 = readlinkat(base_dir, name, t1, sizeof(t1));
        ssize_t n2 = readlinkat(changed_dir, name, t2, sizeof(t2));
        return n1 == n2 && n1 >= 0 && memcmp(t1, t2, (size_t)n1) == 0;
    }
    return true;
}

static bool dir_empty(int fd)
{
    struct dirent **list;
    int n = sorted_entries(fd, &list);
    for (int i = 0; i < n; i++)
        free(list[i]);
    if (n >= 0)
        free(list);
    return n == 2;
}

static int diff_dir(struct applier *ap, int base_dir, int changed_dir, int out_dir, const char *rel)
{
    struct bt_err *err = ap->err;
    struct dirent **list;
    int n = sorted_entries(changed_dir, &list), ret = 0;
    if (n < 0)
        return bt_err_sys(err, -n, "read the directory %s", rel[0] ? rel : ".");
    for (int i = 0; i < n && ret == 0; i++) {
        const char *name = list[i]->d_name;
        struct stat c, b;
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s%s%s", rel, rel[0] ? "/" : "", name);
        if (dot(name))
            continue;
        if (fstatat(changed_dir, name, &c, AT_SYMLINK_NOFOLLOW) < 0) {
            ret = bt_err_sys(err, errno, "stat %s", path);
            break;
        }
        bool in_base = base_dir >= 0 && fstatat(base_dir, name, &b, AT_SYMLINK_NOFOLLOW) == 0;
        if (!S_ISDIR(c.st_mode)) {
            if (!in_base || !same_entry(base_dir, &b, changed_dir, &c, name))
                ret = apply_one(ap, changed_dir, out_dir, rel, name);
            continue;
        }
        cleanup_close int from = openat(changed_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
        cleanup_close int base = in_base && S_ISDIR(b.st_mode)
                                     ? openat(base_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
                                     : -1;
        if (from < 0 || mkdirat(out_dir, name, 0700) < 0) {
            ret = bt_err_sys(err, errno, "diff %s", path);
            break;
        }
        cleanup_close int to = openat(out_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
        if (to < 0) {
            ret = bt_err_sys(err, errno, "open %s", path);
            break;
        }
        if ((ret = diff_dir(ap, base, from, to, path)) < 0)
            break;
        if (base >= 0 && same_entry(base_dir, &b, changed_dir, &c, name) && dir_empty(to)) {
            unlinkat(out_dir, name, AT_REMOVEDIR); /* nothing changed in it */
            continue;
        }
        if (fchown(to, c.st_uid, c.st_gid) < 0 || fchmod(to, c.st_mode & 07777) < 0)
            ret = bt_err_sys(err, errno, "chown/chmod %s", path);
        copy_xattrs(from, to, NULL);
    }
    for (int i = 0; i < n; i++)
        free(list[i]);
    free(list);
    if (ret < 0 || base_dir < 0)
        return ret;
    /* What the base has and the tree lost: whiteouts. */
    n = sorted_entries(base_dir, &list);
    if (n < 0)
        return bt_err_sys(err, -n, "read the base directory %s", rel[0] ? rel : ".");
    for (int i = 0; i < n; i++) {
        const char *name = list[i]->d_name;
        struct stat st;
        if (ret == 0 && !dot(name) && fstatat(changed_dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0 &&
            errno == ENOENT && mknodat(out_dir, name, S_IFCHR | 0, makedev(0, 0)) < 0)
            ret = bt_err_sys(err, errno, "whiteout %s%s%s", rel, rel[0] ? "/" : "", name);
        free(list[i]);
    }
    free(list);
    return ret;
}

int bt_archive_diff_tree(const char *base, const char *changed, const char *out, struct bt_err *err)
{
    cleanup_close int base_fd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    cleanup_close int changed_fd = open(changed, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    cleanup_close int out_fd = open(out, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (base_fd < 0 || changed_fd < 0 || out_fd < 0)
        return bt_err_sys(err, errno, "open %s, %s or %s", base, changed, out);
    struct applier ap = {.dest_root = out_fd, .err = err};
    int ret = diff_dir(&ap, base_fd, changed_fd, out_fd, "");
    for (size_t i = 0; i < ap.n_links; i++)
        free(ap.links[i].path);
    free(ap.links);
    return ret;
}
