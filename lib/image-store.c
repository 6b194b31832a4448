/* The image store under --root: records, layer directories, locking, removal and garbage
 * collection, the storage driver choice. No archive is read here (bottled links this without
 * libarchive); it never deletes a layer that an image record names. */
#include "image.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "rootfs.h"

const char *bt_image_driver_name(enum bt_image_driver driver)
{
    switch (driver) {
    case BT_IMAGE_DRIVER_OVERLAY: return "overlay";
    case BT_IMAGE_DRIVER_BTRFS: return "btrfs";
    case BT_IMAGE_DRIVER_COPY: return "copy";
    default: return "auto";
    }
}

int bt_image_driver_parse(const char *text, enum bt_image_driver *driver, struct bt_err *err)
{
    static const enum bt_image_driver all[] = {BT_IMAGE_DRIVER_AUTO, BT_IMAGE_DRIVER_OVERLAY,
                                               BT_IMAGE_DRIVER_BTRFS, BT_IMAGE_DRIVER_COPY};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        if (strcmp(text, bt_image_driver_name(all[i])) == 0) {
            *driver = all[i];
            return 0;
        }
    }
    return bt_err_msg(err, EINVAL, "storage driver '%s': must be overlay, btrfs, copy or auto",
                      text);
}

static bool kernel_has_overlay(void)
{
    cleanup_fclose FILE *f = fopen("/proc/filesystems", "re");
    char line[128];
    while (f && fgets(line, sizeof(line), f))
        if (strstr(line, "\toverlay\n"))
            return true;
    /* Not loaded yet is not missing: the module loads on the first mount. */
    return access("/sys/module/overlay", F_OK) == 0 || f == NULL;
}

enum bt_image_driver bt_image_driver_choose(const char *root)
{
    struct statfs fs;
    if (statfs(root, &fs) == 0 && fs.f_type == BTRFS_SUPER_MAGIC)
        return BT_IMAGE_DRIVER_BTRFS;
    return kernel_has_overlay() ? BT_IMAGE_DRIVER_OVERLAY : BT_IMAGE_DRIVER_COPY;
}

bool bt_image_name_valid(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len > BT_IMAGE_NAME_MAX || name[0] == '.' || name[0] == '/' || name[0] == '-')
        return false;
    if (strstr(name, "..") || strstr(name, "//") || name[len - 1] == '/')
        return false;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              strchr("._:@/-", *p)))
            return false;
    return true;
}

/* ROOT/images/NAME.json with '/' as '+' (not a name character). */
static void record_path(const char *root, const char *name, char *path, size_t len)
{
    int n = snprintf(path, len, "%s/images/", root);
    for (const char *p = name; *p && (size_t)n + 6 < len; p++)
        path[n++] = *p == '/' ? '+' : *p;
    snprintf(path + n, len - (size_t)n, ".json");
}

static int mkdir_p(const char *path, struct bt_err *err)
{
    char buf[PATH_MAX];
    snprintf(buf, sizeof(buf), "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(buf, 0711) < 0 && errno != EEXIST)
                return bt_err_sys(err, errno, "create %s", buf);
            *p = '/';
        }
    }
    if (mkdir(buf, 0700) < 0 && errno != EEXIST)
        return bt_err_sys(err, errno, "create %s", buf);
    return 0;
}

int bt_image_lock(const char *root, struct bt_err *err)
{
    static const char *const dirs[] = {"images", "layers/sha256", "tmp"};
    char path[PATH_MAX];
    int ret;
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", root, dirs[i]);
        if ((ret = mkdir_p(path, err)) < 0)
            return ret;
    }
    snprintf(path, sizeof(path), "%s/.image-lock", root);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return bt_err_sys(err, errno, "open %s", path);
    if (flock(fd, LOCK_EX) < 0) {
        ret = bt_err_sys(err, errno, "lock %s", path);
        close(fd);
        return ret;
    }
    return fd;
}

int bt_image_tmpdir(const char *root, const char *what, char *path, struct bt_err *err)
{
    snprintf(path, PATH_MAX, "%s/tmp/%s.XXXXXX", root, what);
    if (!mkdtemp(path))
        return bt_err_sys(err, errno, "create a directory in %s/tmp", root);
    return 0;
}

bool bt_image_layer_path(const char *root, const char *diff_id, char *path, size_t len)
{
    snprintf(path, len, "%s/layers/sha256/%s", root, diff_id + 7);
    char tree[PATH_MAX + 8];
    snprintf(tree, sizeof(tree), "%s/tree", path);
    return access(tree, F_OK) == 0;
}

static int write_file_atomic(const char *path, const char *text, struct bt_err *err)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof(tmp), "%s.tmp%d", path, (int)getpid());
    cleanup_close int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return bt_err_sys(err, errno, "create %s", tmp);
    size_t len = strlen(text);
    if (write(fd, text, len) != (ssize_t)len || fsync(fd) < 0) {
        int ret = bt_err_sys(err, errno ? errno : EIO, "write %s", tmp);
        unlink(tmp);
        return ret;
    }
    if (rename(tmp, path) < 0) {
        int ret = bt_err_sys(err, errno, "rename %s", tmp);
        unlink(tmp);
        return ret;
    }
    return 0;
}

int bt_image_layer_install(const char *root, const char *dir, const char *diff_id, uint64_t size,
                           struct bt_err *err)
{
    char path[PATH_MAX], meta[PATH_MAX + 8], text[64];
    snprintf(meta, sizeof(meta), "%s/size", dir);
    snprintf(text, sizeof(text), "%llu\n", (unsigned long long)size);
    int ret = write_file_atomic(meta, text, err);
    if (ret < 0)
        return ret;
    if (bt_image_layer_path(root, diff_id, path, sizeof(path)))
        return bt_rootfs_remove_tree(dir, err); /* stored once: the copy goes */
    bt_rootfs_remove_tree(path, NULL);          /* a half-installed leftover (no tree/) */
    if (rename(dir, path) < 0)
        return bt_err_sys(err, errno, "move the layer %s into the store", diff_id);
    return 0;
}

static uint64_t layer_size(const char *root, const char *diff_id)
{
    char path[PATH_MAX], text[32] = "";
    snprintf(path, sizeof(path), "%s/layers/sha256/%s/size", root, diff_id + 7);
    cleanup_fclose FILE *f = fopen(path, "re");
    if (f && !fgets(text, sizeof(text), f))
        text[0] = '\0';
    return strtoull(text, NULL, 10);
}

static bool digest_ok(const char *text)
{
    if (!text || strncmp(text, "sha256:", 7) != 0 || strlen(text) != 71)
        return false;
    return strspn(text + 7, "0123456789abcdef") == 64;
}

int bt_image_save(const char *root, const char *name, const char *id, const char *const *layers,
                  size_t n_layers, void *config, struct bt_err *err)
{
    if (!bt_image_name_valid(name))
        return bt_err_msg(err, EINVAL, "invalid image name '%s'", name);
    json_object *record = json_object_new_object();
    json_object *list = json_object_new_array();
    uint64_t size = 0;
    char path[PATH_MAX];
    for (size_t i = 0; i < n_layers; i++) {
        if (!digest_ok(layers[i]) || !bt_image_layer_path(root, layers[i], path, sizeof(path))) {
            json_object_put(record);
            json_object_put(list);
            return bt_err_msg(err, ENOENT, "layer %s is not in the store", layers[i]);
        }
        json_object_array_add(list, json_object_new_string(layers[i]));
        size += layer_size(root, layers[i]);
    }
    json_object_object_add(record, "name", json_object_new_string(name));
    json_object_object_add(record, "id", json_object_new_string(id));
    json_object_object_add(record, "layers", list);
    json_object_object_add(record, "size", json_object_new_int64((int64_t)size));
    json_object_object_add(record, "created", json_object_new_int64((int64_t)time(NULL)));
    json_object_object_add(record, "config",
                           config ? json_object_get(config) : json_object_new_object());
    record_path(root, name, path, sizeof(path));
    int ret = write_file_atomic(
        path, json_object_to_json_string_ext(record, JSON_C_TO_STRING_PLAIN), err);
    json_object_put(record);
    return ret;
}

static const char **string_list(json_object *obj, size_t *count)
{
    *count = 0;
    if (!obj || !json_object_is_type(obj, json_type_array))
        return NULL;
    size_t n = json_object_array_length(obj);
    const char **list = calloc(n + 1, sizeof(*list));
    for (size_t i = 0; list && i < n; i++) {
        json_object *item = json_object_array_get_idx(obj, i);
        if (json_object_is_type(item, json_type_string))
            list[(*count)++] = json_object_get_string(item);
    }
    return list;
}

static const char *string_of(json_object *obj, const char *key)
{
    json_object *value;
    if (!json_object_object_get_ex(obj, key, &value) ||
        !json_object_is_type(value, json_type_string))
        return NULL;
    const char *text = json_object_get_string(value);
    return text[0] ? text : NULL;
}

const char *bt_image_passwd_layer(const struct bt_image *img)
{
    for (size_t i = img->n_layers; i-- > 0;) {
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/etc/passwd", img->layer_dirs[i]);
        if (access(path, F_OK) == 0)
            return img->layer_dirs[i];
    }
    return img->layer_dirs[img->n_layers - 1];
}

void bt_image_free(struct bt_image *img)
{
    for (size_t i = 0; i < img->n_layers; i++) {
        if (img->layer_dirs)
            free(img->layer_dirs[i]);
    }
    free(img->layer_dirs);
    free(img->layer_ids);
    free(img->entrypoint);
    free(img->cmd);
    free(img->env);
    free(img->ports);
    json_object_put(img->json);
    memset(img, 0, sizeof(*img));
}

static int load_record(const char *root, const char *path, struct bt_image *img, struct bt_err *err)
{
    memset(img, 0, sizeof(*img));
    json_object *record = json_object_from_file(path);
    if (!record)
        return bt_err_msg(err, EINVAL, "%s: not an image record", path);
    img->json = record;
    json_object *layers, *config = NULL, *value;
    img->name = string_of(record, "name");
    img->id = string_of(record, "id");
    if (!img->name || !img->id || !json_object_object_get_ex(record, "layers", &layers) ||
        !json_object_is_type(layers, json_type_array)) {
        bt_image_free(img);
        return bt_err_msg(err, EINVAL, "%s: not an image record", path);
    }
    if (json_object_object_get_ex(record, "size", &value))
        img->size = (uint64_t)json_object_get_int64(value);
    if (json_object_object_get_ex(record, "created", &value))
        img->created = json_object_get_int64(value);
    size_t n;
    img->layer_ids = (char **)string_list(layers, &n);
    img->n_layers = n;
    img->layer_dirs = calloc(n + 1, sizeof(char *));
    for (size_t i = 0; i < n; i++) {
        char dir[PATH_MAX];
        if (!digest_ok(img->layer_ids[i])) {
            bt_image_free(img);
            return bt_err_msg(err, EINVAL, "%s: bad layer digest", path);
        }
        snprintf(dir, sizeof(dir), "%s/layers/sha256/%s/tree", root, img->layer_ids[i] + 7);
        img->layer_dirs[i] = strdup(dir);
    }
    json_object_object_get_ex(record, "config", &config);
    if (config && json_object_is_type(config, json_type_object)) {
        img->entrypoint =
            string_list(json_object_object_get(config, "Entrypoint"), &img->entrypoint_count);
        img->cmd = string_list(json_object_object_get(config, "Cmd"), &img->cmd_count);
        img->env = string_list(json_object_object_get(config, "Env"), &img->env_count);
        img->workdir = string_of(config, "WorkingDir");
        img->user = string_of(config, "User");
        img->stop_signal = string_of(config, "StopSignal");
        json_object *ports = json_object_object_get(config, "ExposedPorts");
        if (ports && json_object_is_type(ports, json_type_object)) {
            img->ports = calloc((size_t)json_object_object_length(ports) + 1, sizeof(char *));
            json_object_object_foreach(ports, key, unused)
            {
                (void)unused;
                img->ports[img->port_count++] = key;
            }
        }
    }
    return 0;
}

int bt_image_resolve(const char *root, const char *name, struct bt_image *img, struct bt_err *err)
{
    memset(img, 0, sizeof(*img));
    if (!bt_image_name_valid(name))
        return bt_err_msg(err, EINVAL, "invalid image name '%s'", name);
    char path[PATH_MAX];
    record_path(root, name, path, sizeof(path));
    if (access(path, F_OK) < 0)
        return bt_err_msg(err, ENOENT, "no such image: %s", name);
    int ret = load_record(root, path, img, err);
    if (ret < 0)
        return ret;
    for (size_t i = 0; i < img->n_layers; i++) {
        if (access(img->layer_dirs[i], F_OK) < 0) {
            ret = bt_err_msg(err, ENOENT, "image %s: layer %s is missing from the store", name,
                             img->layer_ids[i]);
            bt_image_free(img);
            return ret;
        }
    }
    return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

int bt_image_list(const char *root, int (*fn)(const struct bt_image *img, void *ctx), void *ctx,
                  struct bt_err *err)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s/images", root);
    struct dirent **list;
    int n = scandir(dir, &list, NULL, by_name);
    if (n < 0)
        return errno == ENOENT ? 0 : bt_err_sys(err, errno, "read %s", dir);
    int ret = 0;
    for (int i = 0; i < n; i++) {
        const char *entry = list[i]->d_name;
        size_t len = strlen(entry);
        if (ret == 0 && len > 5 && strcmp(entry + len - 5, ".json") == 0) {
            char path[PATH_MAX + 256];
            struct bt_image img;
            struct bt_err ignored = {0};
            snprintf(path, sizeof(path), "%s/%s", dir, entry);
            if (load_record(root, path, &img, &ignored) == 0) {
                ret = fn(&img, ctx);
                bt_image_free(&img);
            }
        }
        free(list[i]);
    }
    free(list);
    return ret;
}

/* ---- containers made from images ---- */

int bt_image_note_container(const char *root, const char *container, const struct bt_image *img,
                            enum bt_image_driver driver, struct bt_err *err)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/containers/%s", root, container);
    int ret = mkdir_p(path, err);
    if (ret < 0)
        return ret;
    json_object *note = json_object_new_object();
    json_object_object_add(note, "image", json_object_new_string(img->name));
    json_object_object_add(note, "id", json_object_new_string(img->id));
    json_object_object_add(note, "driver", json_object_new_string(bt_image_driver_name(driver)));
    snprintf(path, sizeof(path), "%s/containers/%s/image.json", root, container);
    ret =
        write_file_atomic(path, json_object_to_json_string_ext(note, JSON_C_TO_STRING_PLAIN), err);
    json_object_put(note);
    return ret;
}

int bt_image_container_origin(const char *root, const char *container, char *image,
                              enum bt_image_driver *driver, struct bt_err *err)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/containers/%s/image.json", root, container);
    json_object *note = json_object_from_file(path);
    if (!note)
        return bt_err_msg(err, ENOENT, "container %s was not made from an image", container);
    const char *name = string_of(note, "image"), *kind = string_of(note, "driver");
    int ret = 0;
    if (!name || !kind || bt_image_driver_parse(kind, driver, err) < 0)
        ret = bt_err_msg(err, EINVAL, "%s: not a container's image note", path);
    else
        snprintf(image, BT_IMAGE_NAME_MAX + 1, "%s", name);
    json_object_put(note);
    return ret;
}

/* True while container NAME still has its storage (or runs from a copy). */
static bool container_alive(const char *root, const char *name)
{
    static const char *const parts[] = {"rootfs", "upper"};
    char path[PATH_MAX];
    for (size_t i = 0; i < 2; i++) {
        snprintf(path, sizeof(path), "%s/containers/%s/%s", root, name, parts[i]);
        if (access(path, F_OK) == 0)
            return true;
    }
    return false;
}

static int find_user(const char *root, const char *image, char *user, size_t len)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s/containers", root);
    cleanup_closedir DIR *d = opendir(dir);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char origin[BT_IMAGE_NAME_MAX + 1];
        enum bt_image_driver driver;
        if (bt_image_container_origin(root, de->d_name, origin, &driver, NULL) == 0 &&
            strcmp(origin, image) == 0 && container_alive(root, de->d_name)) {
            snprintf(user, len, "%s", de->d_name);
            return 1;
        }
    }
    return 0;
}

int bt_image_remove(const char *root, const char *name, struct bt_err *err)
{
    struct bt_image img;
    int ret = bt_image_resolve(root, name, &img, err);
    if (ret < 0 && ret != -ENOENT)
        return ret;
    if (ret == -ENOENT) {
        char path[PATH_MAX];
        record_path(root, name, path, sizeof(path));
        if (access(path, F_OK) < 0)
            return ret; /* no such image */
    } else {
        bt_image_free(&img);
    }
    cleanup_close int lock = bt_image_lock(root, err);
    if (lock < 0)
        return lock;
    char user[256];
    if (find_user(root, name, user, sizeof(user)))
        return bt_err_msg(err, EBUSY, "image %s is used by container %s (bottle rm %s first)", name,
                          user, user);
    char path[PATH_MAX];
    record_path(root, name, path, sizeof(path));
    if (unlink(path) < 0)
        return bt_err_sys(err, errno, "remove %s", path);
    close(bt_take_fd(&lock));
    return bt_image_gc(root, NULL, err);
}

/* ---- garbage collection ---- */

struct in_use {
    char **ids; /* layer digests and image ids */
    size_t n, cap;
};

static int collect(const struct bt_image *img, void *ctx)
{
    struct in_use *used = ctx;
    for (size_t i = 0; i <= img->n_layers; i++) {
        if (used->n == used->cap) {
            used->cap = used->cap ? used->cap * 2 : 64;
            used->ids = realloc(used->ids, used->cap * sizeof(char *));
        }
        used->ids[used->n++] = strdup(i < img->n_layers ? img->layer_ids[i] + 7 : img->id + 7);
    }
    return 0;
}

static bool is_used(const struct in_use *used, const char *hex)
{
    for (size_t i = 0; i < used->n; i++)
        if (strcmp(used->ids[i], hex) == 0)
            return true;
    return false;
}

static uint64_t tree_blocks(const char *path)
{
    /* Good enough for a report: the size file of a layer. */
    char file[PATH_MAX + 512], text[32] = "";
    snprintf(file, sizeof(file), "%s/size", path);
    cleanup_fclose FILE *f = fopen(file, "re");
    if (f && !fgets(text, sizeof(text), f))
        text[0] = '\0';
    return strtoull(text, NULL, 10);
}

int bt_image_gc(const char *root, uint64_t *freed, struct bt_err *err)
{
    cleanup_close int lock = bt_image_lock(root, err);
    if (lock < 0)
        return lock;
    struct in_use used = {0};
    int ret = bt_image_list(root, collect, &used, err);
    uint64_t total = 0;
    static const char *const dirs[] = {"layers/sha256", "btrfs", "tmp"};
    for (size_t k = 0; ret == 0 && k < 3; k++) {
        char dir[PATH_MAX];
        snprintf(dir, sizeof(dir), "%s/%s", root, dirs[k]);
        cleanup_closedir DIR *d = opendir(dir);
        struct dirent *de;
        while (ret == 0 && d && (de = readdir(d))) {
            if (de->d_name[0] == '.' || (k < 2 && is_used(&used, de->d_name)))
                continue;
            char path[PATH_MAX + 256];
            snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
            if (k == 0)
                total += tree_blocks(path);
            if (k == 1 || bt_rootfs_is_btrfs_subvolume(path))
                ret = bt_rootfs_btrfs_delete(path, err);
            else
                ret = bt_rootfs_remove_tree(path, err);
        }
    }
    for (size_t i = 0; i < used.n; i++)
        free(used.ids[i]);
    free(used.ids);
    if (freed)
        *freed = total;
    return ret;
}
