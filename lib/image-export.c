/* bottle image export and bottle commit: layers of the store written back as tarballs (an OCI
 * layout in one tar, with docker's manifest.json beside it), and a container's overlay upper
 * dir turned into a new layer. The store is only added to, under its lock. */
#include "image.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "archive-tar.h"
#include "cleanup.h"
#include "rootfs.h"

struct blob {
    char digest[BT_DIGEST_LEN];
    uint64_t size;
    int fd;           /* a temporary file, or -1 */
    const char *text; /* or this text */
};

static const char *oci_arch(void)
{
    static struct utsname u;
    if (uname(&u) < 0)
        return "amd64";
    if (strcmp(u.machine, "x86_64") == 0)
        return "amd64";
    if (strcmp(u.machine, "aarch64") == 0)
        return "arm64";
    return u.machine;
}

static void text_blob(struct blob *b, const char *text)
{
    struct bt_digest d;
    bt_digest_init(&d);
    bt_digest_update(&d, text, strlen(text));
    bt_digest_final(&d, b->digest);
    b->size = strlen(text);
    b->text = text;
    b->fd = -1;
}

static int add_file(struct archive *a, const char *name, const struct blob *b, struct bt_err *err)
{
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, (la_int64_t)b->size);
    archive_entry_set_mtime(e, time(NULL), 0);
    int ret = 0;
    if (archive_write_header(a, e) != ARCHIVE_OK)
        ret = bt_err_msg(err, EIO, "write %s: %s", name, archive_error_string(a));
    archive_entry_free(e);
    if (ret < 0)
        return ret;
    if (b->text) {
        if (archive_write_data(a, b->text, b->size) != (la_ssize_t)b->size)
            return bt_err_msg(err, EIO, "write %s: %s", name, archive_error_string(a));
        return 0;
    }
    char buf[65536];
    ssize_t n;
    lseek(b->fd, 0, SEEK_SET);
    while ((n = read(b->fd, buf, sizeof(buf))) > 0)
        if (archive_write_data(a, buf, (size_t)n) != n)
            return bt_err_msg(err, EIO, "write %s: %s", name, archive_error_string(a));
    return n < 0 ? bt_err_sys(err, errno, "read %s", name) : 0;
}

static void blob_path(const struct blob *b, char *out, size_t len)
{
    snprintf(out, len, "blobs/sha256/%s", b->digest + 7);
}

static json_object *descriptor(const char *type, const struct blob *b)
{
    json_object *d = json_object_new_object();
    json_object_object_add(d, "mediaType", json_object_new_string(type));
    json_object_object_add(d, "digest", json_object_new_string(b->digest));
    json_object_object_add(d, "size", json_object_new_int64((int64_t)b->size));
    return d;
}

static int write_layout(struct archive *a, const struct bt_image *img, struct blob *layers,
                        struct bt_err *err)
{
    json_object *config = json_object_new_object();
    json_object_object_add(config, "architecture", json_object_new_string(oci_arch()));
    json_object_object_add(config, "os", json_object_new_string("linux"));
    json_object *record_config = json_object_object_get(img->json, "config");
    json_object_object_add(config, "config",
                           record_config ? json_object_get(record_config)
                                         : json_object_new_object());
    json_object *rootfs = json_object_new_object(), *ids = json_object_new_array();
    json_object_object_add(rootfs, "type", json_object_new_string("layers"));
    for (size_t i = 0; i < img->n_layers; i++)
        json_object_array_add(ids, json_object_new_string(layers[i].digest));
    json_object_object_add(rootfs, "diff_ids", ids);
    json_object_object_add(config, "rootfs", rootfs);
    struct blob config_blob, manifest_blob;
    text_blob(&config_blob, json_object_to_json_string_ext(config, JSON_C_TO_STRING_PLAIN));

    json_object *manifest = json_object_new_object(), *list = json_object_new_array();
    json_object_object_add(manifest, "schemaVersion", json_object_new_int(2));
    json_object_object_add(manifest, "mediaType",
                           json_object_new_string("application/vnd.oci.image.manifest.v1+json"));
    json_object_object_add(manifest, "config",
                           descriptor("application/vnd.oci.image.config.v1+json", &config_blob));
    for (size_t i = 0; i < img->n_layers; i++)
        json_object_array_add(list,
                              descriptor("application/vnd.oci.image.layer.v1.tar", &layers[i]));
    json_object_object_add(manifest, "layers", list);
    text_blob(&manifest_blob, json_object_to_json_string_ext(manifest, JSON_C_TO_STRING_PLAIN));

    /* The tag is what follows the last ':' after the last '/' (skopeo's and umoci's ref). */
    const char *slash = strrchr(img->name, '/'), *colon = strrchr(img->name, ':');
    bool tagged = colon && (!slash || colon > slash);
    json_object *index = json_object_new_object(), *manifests = json_object_new_array();
    json_object *entry = descriptor("application/vnd.oci.image.manifest.v1+json", &manifest_blob);
    json_object *annotations = json_object_new_object();
    json_object_object_add(annotations, "org.opencontainers.image.ref.name",
                           json_object_new_string(tagged ? colon + 1 : "latest"));
    json_object_object_add(annotations, "io.containerd.image.name",
                           json_object_new_string(img->name));
    json_object_object_add(entry, "annotations", annotations);
    json_object_array_add(manifests, entry);
    json_object_object_add(index, "schemaVersion", json_object_new_int(2));
    json_object_object_add(index, "manifests", manifests);

    char path[PATH_MAX], tag[BT_IMAGE_NAME_MAX + 16];
    snprintf(tag, sizeof(tag), "%s%s", img->name, tagged ? "" : ":latest");
    json_object *docker = json_object_new_array(), *one = json_object_new_object();
    blob_path(&config_blob, path, sizeof(path));
    json_object_object_add(one, "Config", json_object_new_string(path));
    json_object *tags = json_object_new_array(), *paths = json_object_new_array();
    json_object_array_add(tags, json_object_new_string(tag));
    json_object_object_add(one, "RepoTags", tags);
    for (size_t i = 0; i < img->n_layers; i++) {
        blob_path(&layers[i], path, sizeof(path));
        json_object_array_add(paths, json_object_new_string(path));
    }
    json_object_object_add(one, "Layers", paths);
    json_object_array_add(docker, one);

    struct blob layout, index_blob, docker_blob;
    text_blob(&layout, "{\"imageLayoutVersion\":\"1.0.0\"}");
    text_blob(&index_blob, json_object_to_json_string_ext(index, JSON_C_TO_STRING_PLAIN));
    text_blob(&docker_blob, json_object_to_json_string_ext(docker, JSON_C_TO_STRING_PLAIN));
    int ret = add_file(a, "oci-layout", &layout, err);
    for (size_t i = 0; ret == 0 && i < img->n_layers; i++) {
        blob_path(&layers[i], path, sizeof(path));
        ret = add_file(a, path, &layers[i], err);
    }
    if (ret == 0) {
        blob_path(&config_blob, path, sizeof(path));
        ret = add_file(a, path, &config_blob, err);
    }
    if (ret == 0) {
        blob_path(&manifest_blob, path, sizeof(path));
        ret = add_file(a, path, &manifest_blob, err);
    }
    if (ret == 0)
        ret = add_file(a, "index.json", &index_blob, err);
    if (ret == 0)
        ret = add_file(a, "manifest.json", &docker_blob, err);
    json_object_put(config);
    json_object_put(manifest);
    json_object_put(index);
    json_object_put(docker);
    return ret;
}

int bt_image_export(const char *root, const char *name, const char *file, struct bt_err *err)
{
    struct bt_image img;
    int ret = bt_image_resolve(root, name, &img, err);
    if (ret < 0)
        return ret;
    struct blob *layers = calloc(img.n_layers + 1, sizeof(*layers));
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof(tmp), "%s.tmp%d", file, (int)getpid());
    struct archive *a = NULL;
    for (size_t i = 0; i < img.n_layers; i++)
        layers[i].fd = -1;
    for (size_t i = 0; i < img.n_layers && ret == 0; i++) {
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/tmp/export.XXXXXX", root);
        layers[i].fd = mkostemp(path, O_CLOEXEC);
        if (layers[i].fd < 0) {
            ret = bt_err_sys(err, errno, "create %s", path);
            break;
        }
        unlink(path);
        ret = bt_archive_write_tree(img.layer_dirs[i], layers[i].fd, layers[i].digest,
                                    &layers[i].size, err);
    }
    if (ret == 0) {
        a = archive_write_new();
        archive_write_set_format_pax_restricted(a);
        archive_write_add_filter_none(a);
        if (archive_write_open_filename(a, tmp) != ARCHIVE_OK)
            ret = bt_err_msg(err, EIO, "create %s: %s", tmp, archive_error_string(a));
        else
            ret = write_layout(a, &img, layers, err);
        if (archive_write_close(a) != ARCHIVE_OK && ret == 0)
            ret = bt_err_msg(err, EIO, "write %s: %s", tmp, archive_error_string(a));
        archive_write_free(a);
        if (ret == 0 && rename(tmp, file) < 0)
            ret = bt_err_sys(err, errno, "rename %s", tmp);
        if (ret < 0)
            unlink(tmp);
    }
    for (size_t i = 0; i < img.n_layers; i++)
        if (layers[i].fd >= 0)
            close(layers[i].fd);
    free(layers);
    bt_image_free(&img);
    return ret;
}

int bt_image_commit(const char *root, const char *base, const char *upper, const char *name,
                    struct bt_err *err)
{
    if (!bt_image_name_valid(name))
        return bt_err_msg(err, EINVAL, "invalid image name '%s'", name);
    struct bt_image img;
    int ret = bt_image_resolve(root, base, &img, err);
    if (ret < 0)
        return ret;
    cleanup_close int lock = bt_image_lock(root, err);
    if (lock < 0) {
        bt_image_free(&img);
        return lock;
    }
    char path[PATH_MAX], dir[PATH_MAX], tree[PATH_MAX + 8];
    snprintf(path, sizeof(path), "%s/tmp/commit.XXXXXX", root);
    cleanup_close int fd = mkostemp(path, O_CLOEXEC);
    if (fd < 0) {
        bt_image_free(&img);
        return bt_err_sys(err, errno, "create %s", path);
    }
    unlink(path);
    char digest[BT_DIGEST_LEN];
    uint64_t size;
    struct bt_archive_stats stats;
    dir[0] = '\0';
    ret = bt_archive_write_tree(upper, fd, digest, &size, err);
    if (ret == 0)
        ret = bt_image_tmpdir(root, "layer", dir, err);
    if (ret == 0) {
        snprintf(tree, sizeof(tree), "%s/tree", dir);
        if (mkdir(tree, 0755) < 0)
            ret = bt_err_sys(err, errno, "create %s", tree);
    }
    if (ret == 0) {
        /* Through the extractor: the new layer is exactly what its digest says. */
        cleanup_close int tree_fd = open(tree, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct bt_archive_input in = {bt_archive_read_fd, &fd};
        struct bt_archive_limits limits = {.keep_setuid = true};
        lseek(fd, 0, SEEK_SET);
        ret = bt_archive_extract(&in, tree_fd, &limits, &stats, err);
    }
    if (ret == 0 && (ret = bt_image_layer_install(root, dir, stats.diff_id, stats.bytes, err)) == 0)
        dir[0] = '\0';
    if (ret == 0) {
        const char **ids = calloc(img.n_layers + 2, sizeof(char *));
        for (size_t i = 0; i < img.n_layers; i++)
            ids[i] = img.layer_ids[i];
        ids[img.n_layers] = stats.diff_id;
        /* The new image's id: the digest of its layer list, as there is no config blob. */
        struct bt_digest d;
        char id[BT_DIGEST_LEN];
        bt_digest_init(&d);
        for (size_t i = 0; i <= img.n_layers; i++)
            bt_digest_update(&d, ids[i], strlen(ids[i]));
        bt_digest_final(&d, id);
        ret = bt_image_save(root, name, id, ids, img.n_layers + 1,
                            json_object_object_get(img.json, "config"), err);
        free(ids);
    }
    if (dir[0])
        bt_rootfs_remove_tree(dir, NULL);
    bt_image_free(&img);
    return ret;
}
