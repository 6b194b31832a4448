/* Layer tarballs in and out of the store, through libarchive: extraction into an empty
 * directory in overlayfs's format (whiteouts as 0/0 character devices, opaque directories as
 * trusted.overlay.opaque=y) with every write made beneath that directory (openat2
 * RESOLVE_BENEATH, no symlink followed), and the reverse for commit and export. It never
 * writes outside the directory it is given, whatever the archive says. */
#ifndef BT_ARCHIVE_H
#define BT_ARCHIVE_H

#include "err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct archive;

/* "sha256:" and 64 hex digits. */
#define BT_DIGEST_LEN 72

/* A running SHA-256 (OpenSSL's EVP). */
struct bt_digest {
    void *ctx;
};
int bt_digest_init(struct bt_digest *d);
void bt_digest_update(struct bt_digest *d, const void *buf, size_t len);
/* Writes "sha256:HEX" into OUT and frees the context. */
void bt_digest_final(struct bt_digest *d, char out[BT_DIGEST_LEN]);
/* Frees the context without a result (idempotent). */
void bt_digest_abort(struct bt_digest *d);
/* True when TEXT is "sha256:" and 64 lowercase hex digits. */
bool bt_digest_valid(const char *text);

/* Where a layer's bytes come from: READ returns the number of bytes put in BUF, 0 at the end,
 * or -errno (with ERR set by the reader when it knows more). */
struct bt_archive_input {
    ssize_t (*read)(void *ctx, void *buf, size_t len, struct bt_err *err);
    void *ctx;
};

/* A file descriptor as an input (CTX points to the int). */
ssize_t bt_archive_read_fd(void *ctx, void *buf, size_t len, struct bt_err *err);
/* The data of the current entry of a libarchive reader (CTX is the struct archive *). */
ssize_t bt_archive_read_entry(void *ctx, void *buf, size_t len, struct bt_err *err);

struct bt_archive_limits {
    uint64_t max_bytes; /* the most file content one layer may hold; 0: no limit */
    bool keep_setuid;   /* keep setuid/setgid bits (cleared by default) */
    /* Called now and then with the compressed bytes read so far (may be NULL). */
    void (*progress)(void *ctx, uint64_t bytes);
    void *progress_ctx;
};

/* What one extraction did. */
struct bt_archive_stats {
    char digest[BT_DIGEST_LEN];  /* of the bytes as read (compressed) */
    char diff_id[BT_DIGEST_LEN]; /* of the uncompressed tar */
    uint64_t entries, bytes;     /* entries written and their file content */
    uint64_t devices_skipped;    /* device nodes left out */
    uint64_t setuid_cleared;     /* files whose setuid/setgid bits were dropped */
    uint64_t absolute_names;     /* names that started with '/' and were made relative */
};

/* Extracts the (plain, gzip, zstd, xz, bzip2) tar read from IN into the directory DEST_FD,
 * which should be empty. Names are made relative ('/' stripped); an entry with a ".." part, a
 * hardlink to a missing or outside file, a parent that is a symlink or not a directory, or
 * content beyond LIMITS->max_bytes fails the whole extraction (-EINVAL, -EFBIG) with a message
 * that names the entry; device nodes are skipped, setuid bits cleared (counted in STATS).
 * ".wh.NAME" becomes a 0/0 character device NAME and ".wh..wh..opq" the trusted.overlay.opaque
 * xattr of its directory (overlayfs's format); trusted.* xattrs of the archive are dropped.
 * Corrupt or truncated input fails with -EINVAL. The digests in STATS cover every byte of the
 * input. On failure DEST_FD holds a partial tree that the caller removes. Returns 0 or -errno. */
int bt_archive_extract(const struct bt_archive_input *in, int dest_fd,
                       const struct bt_archive_limits *limits, struct bt_archive_stats *stats,
                       struct bt_err *err);

/* Writes the tree DIR (a layer in the store, or a container's overlay upper dir) as an
 * uncompressed pax tar to OUT_FD, whiteouts turned back into ".wh." files; stores the tar's
 * digest in DIGEST and its length in *SIZE. Returns 0 or -errno. */
int bt_archive_write_tree(const char *dir, int out_fd, char digest[BT_DIGEST_LEN], uint64_t *size,
                          struct bt_err *err);

/* Copies the layer tree LAYER (store format) on top of the tree DEST, as overlayfs would show
 * it: a whiteout removes DEST's entry, an opaque directory first empties DEST's. Used to
 * flatten an image for the copy and btrfs drivers. Returns 0 or -errno. */
int bt_archive_apply_tree(const char *layer, const char *dest, struct bt_err *err);

/* Writes into the empty directory OUT, as a layer tree (store format), how the flat tree
 * CHANGED differs from the flat tree BASE: new and changed entries (type, mode, owner, size,
 * mtime, symlink target), and a whiteout for each entry BASE has and CHANGED lost. Used to
 * commit containers of the copy and btrfs drivers. Returns 0 or -errno. */
int bt_archive_diff_tree(const char *base, const char *changed, const char *out,
                         struct bt_err *err);

#endif
