/* Images under --root: a content-addressed layer store (ROOT/layers/sha256/HEX/tree, each
 * layer extracted once in overlayfs's format, named by the digest of its uncompressed tar),
 * image records (ROOT/images/NAME.json: layers base first and the image's config), flat
 * btrfs subvolumes for the btrfs driver, and the garbage collection of what no image uses.
 * A store write is made in ROOT/tmp and renamed into place only when complete. */
#ifndef BT_IMAGE_H
#define BT_IMAGE_H

#include "err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BT_IMAGE_NAME_MAX 255
#define BT_IMAGE_ID_LEN   72 /* "sha256:" + 64 hex + NUL */

/* The most layers a container of an image may stack (bottle-shim's --layer limit). */
#define BT_IMAGE_LAYERS_MAX 128

/* An image as bt_image_resolve gives it. Strings point into data the struct owns. */
struct bt_image {
    const char *name;
    const char *id;    /* "sha256:..." of its config */
    size_t n_layers;   /* 0 for an empty image */
    char **layer_ids;  /* "sha256:..." diff ids, base first */
    char **layer_dirs; /* ROOT/layers/sha256/HEX/tree, base first: overlay lowerdirs */
    uint64_t size;     /* bytes of all its layers */
    long long created; /* import time (seconds since the epoch) */
    /* The config's defaults; counts 0 when unset. */
    const char **entrypoint;
    size_t entrypoint_count;
    const char **cmd;
    size_t cmd_count;
    const char **env;
    size_t env_count;
    const char *workdir, *user, *stop_signal; /* NULL when unset */
    const char **ports;                       /* ExposedPorts keys, "80/tcp" */
    size_t port_count;
    void *json; /* the record (json_object) */
};

enum bt_image_driver {
    BT_IMAGE_DRIVER_AUTO,
    BT_IMAGE_DRIVER_OVERLAY, /* layers as lowerdirs, a per-container upper dir */
    BT_IMAGE_DRIVER_BTRFS,   /* image = read-only subvolume, container = writable snapshot */
    BT_IMAGE_DRIVER_COPY,    /* the layers copied into a per-container directory */
};

/* "overlay", "btrfs", "copy" (AUTO: "auto"). */
const char *bt_image_driver_name(enum bt_image_driver driver);
/* Parses a driver name; -EINVAL with a message for anything else. */
int bt_image_driver_parse(const char *text, enum bt_image_driver *driver, struct bt_err *err);
/* The driver AUTO means for ROOT: btrfs when ROOT is on btrfs, else overlay when the kernel
 * has overlayfs, else copy. */
enum bt_image_driver bt_image_driver_choose(const char *root);

/* True when NAME can name an image: 1..255 of [A-Za-z0-9._:@/-], not starting with '.', '/'
 * or '-', no "..", no "//". */
bool bt_image_name_valid(const char *name);

/* Loads image NAME from ROOT and checks that its layers are in the store. Returns 0 or -errno
 * ("no such image: NAME" -ENOENT, "image NAME: layer ... is missing from the store"). Free
 * with bt_image_free. */
int bt_image_resolve(const char *root, const char *name, struct bt_image *img, struct bt_err *err);
void bt_image_free(struct bt_image *img);

/* The topmost layer of IMG (n_layers >= 1) that has etc/passwd, else the top one: where the
 * users and groups of a container of IMG are looked up before its layers are mounted. */
const char *bt_image_passwd_layer(const struct bt_image *img);

/* Calls FN for every image in ROOT, in name order. Returns 0 or -errno. */
int bt_image_list(const char *root, int (*fn)(const struct bt_image *img, void *ctx), void *ctx,
                  struct bt_err *err);

/* Removes image NAME, then collects the garbage. Refuses (-EBUSY) while a container made from
 * it still has its storage ("image NAME is used by container C"). Returns 0 or -errno. */
int bt_image_remove(const char *root, const char *name, struct bt_err *err);

/* Deletes layers and btrfs subvolumes that no image uses, and leftovers in ROOT/tmp.
 * *FREED gets the bytes freed (may be NULL). Returns 0 or -errno. */
int bt_image_gc(const char *root, uint64_t *freed, struct bt_err *err);

/* ---- for the importers (lib/image-import.c, lib/image-export.c) ---- */

/* Takes ROOT's store lock (flock on ROOT/.image-lock, created with ROOT/{images,layers,tmp}).
 * Returns the fd to close to unlock, or -errno. */
int bt_image_lock(const char *root, struct bt_err *err);

/* Makes a fresh directory ROOT/tmp/WHAT.XXXXXX into PATH (PATH_MAX). Returns 0 or -errno. */
int bt_image_tmpdir(const char *root, const char *what, char *path, struct bt_err *err);

/* ROOT/layers/sha256/HEX for DIFF_ID into PATH; true when that layer is in the store. */
bool bt_image_layer_path(const char *root, const char *diff_id, char *path, size_t len);

/* Moves the extracted layer DIR (ROOT/tmp/..., holding tree/) into the store as DIFF_ID,
 * recording SIZE; if the store has it already, DIR is removed instead. Returns 0 or -errno. */
int bt_image_layer_install(const char *root, const char *dir, const char *diff_id, uint64_t size,
                           struct bt_err *err);

/* Writes the record of image NAME (atomically; an existing NAME is replaced): its layer diff
 * ids (base first), ID, and CONFIG, the "config" object of an OCI image config (json_object, may
 * be NULL; not taken). Every layer must be in the store. Returns 0 or -errno. */
int bt_image_save(const char *root, const char *name, const char *id, const char *const *layers,
                  size_t n_layers, void *config, struct bt_err *err);

/* The flat read-only btrfs subvolume of IMG (ROOT/btrfs/HEX), made from its layers when
 * missing; PATH gets its path. Needs ROOT on btrfs. Returns 0 or -errno. */
int bt_image_btrfs_subvolume(const char *root, const struct bt_image *img, char *path, size_t len,
                             struct bt_err *err);

/* Copies IMG's layers, stacked, into DEST (created; must not exist). Returns 0 or -errno. */
int bt_image_flatten(const struct bt_image *img, const char *dest, struct bt_err *err);

/* Records in ROOT/containers/CONTAINER/image.json that CONTAINER was made from IMG with DRIVER,
 * so that `image rm` refuses while it exists and `commit` finds its image. Returns 0 or -errno. */
int bt_image_note_container(const char *root, const char *container, const struct bt_image *img,
                            enum bt_image_driver driver, struct bt_err *err);

/* Reads what bt_image_note_container wrote: IMAGE (BT_IMAGE_NAME_MAX + 1) and *DRIVER. Returns 0,
 * -ENOENT ("container C was not made from an image") or -errno. */
int bt_image_container_origin(const char *root, const char *container, char *image,
                              enum bt_image_driver *driver, struct bt_err *err);

/* ---- lib/image-import.c ---- */

struct bt_image_import_options {
    const char *name;            /* NULL: the archive's tag, else the file's base name */
    uint64_t max_bytes;          /* per layer, see bt_archive_limits; 0: 64 GiB */
    bool keep_setuid;            /* keep setuid/setgid bits */
    enum bt_image_driver driver; /* BTRFS (or AUTO on btrfs) also builds the subvolume */
    bool progress;               /* progress lines on stderr (a terminal) */
};

/* What an import did, for the one line the CLI prints. */
struct bt_image_import_result {
    char name[BT_IMAGE_NAME_MAX + 1];
    char format[32]; /* "docker-export", "docker-save", "oci-layout", "directory" */
    size_t layers, layers_new;
    uint64_t devices_skipped, setuid_cleared, absolute_names;
};

/* Imports FILE (a flat rootfs tar, a docker save archive, an OCI layout as a directory or
 * tar; any compression libarchive knows) into ROOT. Digests are checked against the manifest
 * and the config's diff_ids. A failed import leaves no image record and no layer behind.
 * Returns 0 or -errno. */
int bt_image_import(const char *root, const char *file, const struct bt_image_import_options *o,
                    struct bt_image_import_result *result, struct bt_err *err);

/* Imports the directory DIR (a rootfs) as one layer of image NAME. Returns 0 or -errno. */
int bt_image_import_dir(const char *root, const char *dir, const struct bt_image_import_options *o,
                        struct bt_image_import_result *result, struct bt_err *err);

/* ---- lib/image-export.c ---- */

/* Writes image NAME as an OCI image layout in a tar at FILE (written as FILE.tmp, then renamed),
 * with a docker-style manifest.json too, so that docker load, skopeo (oci-archive:) and umoci
 * (unpacked) read it. Returns 0 or -errno. */
int bt_image_export(const char *root, const char *name, const char *file, struct bt_err *err);

/* Turns the overlay upper dir UPPER (a container's changes) into a new layer on top of image
 * BASE, saved as image NAME. Returns 0 or -errno. */
int bt_image_commit(const char *root, const char *base, const char *upper, const char *name,
                    struct bt_err *err);

#endif
