/* bottle image import: docker export tars, docker save archives (classic and with an OCI
 * index), OCI image layouts (directory or tar), and rootfs directories, into the layer store.
 * Every layer is extracted into ROOT/tmp and checked against the digests the archive claims
 * before anything is renamed into the store; a failure leaves no record and no layer behind. */
#include "image.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "archive-tar.h"
#include "cleanup.h"
#include "rootfs.h"

#define SMALL_MAX         (4u << 20)   /* members kept in memory: manifests and configs */
#define SMALL_ALL         (256u << 20) /* at most this much of them */
#define DEFAULT_MAX_BYTES (64ull << 30)

struct member {
    char *name;
    char *data; /* NULL for a symlink */
    size_t size;
    char *link; /* a symlink's target, as a member name (docker save links duplicate layers) */
};

/* Where the image's files are: an OCI layout directory, or an archive read twice (small
 * members first, layers streamed in a second pass). */
struct source {
    const char *file;
    int dir_fd; /* -1 for an archive */
    struct member *members;
    size_t n_members;
    bool flat; /* an archive with members no image archive has: a docker export */
};

struct job {
    char member[PATH_MAX];       /* name in the source */
    char digest[BT_DIGEST_LEN];  /* expected digest of the member ("" when unknown) */
    char diff_id[BT_DIGEST_LEN]; /* expected, then the real uncompressed digest */
    char tmp[PATH_MAX];          /* ROOT/tmp/layer.XXXXXX, "" when none */
    bool done;
    struct bt_archive_stats stats;
};

struct import {
    const char *root;
    const struct bt_image_import_options *o;
    struct bt_image_import_result *result;
    struct source src;
    struct job *jobs;
    size_t n_jobs;
    json_object *config; /* the whole image config */
    char id[BT_DIGEST_LEN];
    char tag[BT_IMAGE_NAME_MAX + 1];
    struct bt_err *err;
};

static void clean_member_name(const char *in, char *out, size_t len)
{
    while (in[0] == '.' && in[1] == '/')
        in += 2;
    while (in[0] == '/')
        in++;
    snprintf(out, len, "%s", in);
    size_t n = strlen(out);
    while (n > 0 && out[n - 1] == '/')
        out[--n] = '\0';
}

/* Members that docker save and OCI layouts have; anything else means a flat rootfs tar. */
static bool image_member(const char *name)
{
    static const char *const top[] = {"",           "manifest.json", "repositories",
                                      "index.json", "oci-layout",    "blobs",
                                      "blobs/",     "blobs/sha256",  "blobs/sha256/"};
    for (size_t i = 0; i < sizeof(top) / sizeof(top[0]); i++)
        if (strcmp(name, top[i]) == 0)
            return true;
    if (strncmp(name, "blobs/sha256/", 13) == 0 && !strchr(name + 13, '/'))
        return true;
    /* docker save: HEX.json, HEX.tar (skopeo), HEX/{layer.tar,json,VERSION} */
    size_t hex = strspn(name, "0123456789abcdef");
    if (hex == 64 &&
        (!name[64] || strcmp(name + 64, ".json") == 0 || strcmp(name + 64, ".tar") == 0 ||
         (name[64] == '/' && !strchr(name + 65, '/'))))
        return true;
    return false;
}

/* Cleans the member name IN ("a/../b" is "b"); fails when it climbs out of the archive. */
static int resolve_dots(const char *in, char *out, size_t len)
{
    size_t used = 0;
    const char *p = in;
    while (*p) {
        const char *end = strchrnul(p, '/');
        size_t n = (size_t)(end - p);
        if (n == 2 && p[0] == '.' && p[1] == '.') {
            if (used == 0)
                return -EINVAL;
            while (used > 0 && out[used - 1] != '/')
                used--;
            if (used > 0)
                used--;
        } else if (n && !(n == 1 && p[0] == '.')) {
            if (used + n + 2 > len)
                return -ENAMETOOLONG;
            if (used)
                out[used++] = '/';
            memcpy(out + used, p, n);
            used += n;
        }
        p = *end ? end + 1 : end;
    }
    out[used] = '\0';
    return 0;
}

static int scan_archive(struct import *im)
{
    struct archive *a = archive_read_new();
    archive_read_support_filter_all(a);
    archive_read_support_format_tar(a);
    archive_read_support_format_gnutar(a);
    int ret = 0;
    if (archive_read_open_filename(a, im->src.file, 1 << 16) != ARCHIVE_OK) {
        ret = bt_err_msg(im->err, EINVAL, "%s: not an archive (%s)", im->src.file,
                         archive_error_string(a));
        goto out;
    }
    struct archive_entry *e;
    size_t kept = 0;
    int r;
    while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
        char name[PATH_MAX];
        clean_member_name(archive_entry_pathname(e) ? archive_entry_pathname(e) : "", name,
                          sizeof(name));
        if (!image_member(name)) {
            im->src.flat = true;
            goto out;
        }
        if (archive_entry_filetype(e) == AE_IFLNK && archive_entry_symlink(e)) {
            /* Relative to the link's directory; kept only when it stays in the archive. */
            char target[PATH_MAX], joined[2 * PATH_MAX + 2];
            const char *slash = strrchr(name, '/');
            snprintf(joined, sizeof(joined), "%.*s%s", slash ? (int)(slash - name + 1) : 0, name,
                     archive_entry_symlink(e));
            if (resolve_dots(joined, target, sizeof(target)) == 0) {
                im->src.members =
                    realloc(im->src.members, (im->src.n_members + 1) * sizeof(struct member));
                im->src.members[im->src.n_members++] =
                    (struct member){strdup(name), NULL, 0, strdup(target)};
            }
            continue;
        }
        la_int64_t size = archive_entry_size(e);
        if (archive_entry_filetype(e) != AE_IFREG || size < 0 || (uint64_t)size > SMALL_MAX ||
            kept + (size_t)size > SMALL_ALL)
            continue;
        char *data = malloc((size_t)size + 1);
        la_ssize_t got = data ? archive_read_data(a, data, (size_t)size) : -1;
        if (got != size) {
            free(data);
            ret = bt_err_msg(im->err, EINVAL, "%s: truncated or corrupt archive (%s)", im->src.file,
                             archive_error_string(a) ? archive_error_string(a) : name);
            goto out;
        }
        data[size] = '\0';
        im->src.members = realloc(im->src.members, (im->src.n_members + 1) * sizeof(struct member));
        im->src.members[im->src.n_members++] =
            (struct member){strdup(name), data, (size_t)size, NULL};
        kept += (size_t)size;
    }
    if (r != ARCHIVE_EOF)
        ret = bt_err_msg(im->err, EINVAL, "%s: truncated or corrupt archive (%s)", im->src.file,
                         archive_error_string(a));
out:
    archive_read_free(a);
    return ret;
}

static int open_in_dir(int dir_fd, const char *name)
{
    struct open_how how = {.flags = O_RDONLY | O_CLOEXEC,
                           .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS};
    int fd = (int)syscall(SYS_openat2, dir_fd, name, &how, sizeof(how));
    return fd < 0 ? -errno : fd;
}

/* The small file NAME of the source, NUL-terminated; NULL when missing. */
static const struct member *get_member(struct import *im, const char *name)
{
    for (int hops = 0; hops < 8; hops++) {
        const struct member *m = NULL;
        for (size_t i = 0; i < im->src.n_members && !m; i++)
            if (strcmp(im->src.members[i].name, name) == 0)
                m = &im->src.members[i];
        if (!m)
            break;
        if (!m->link)
            return m;
        name = m->link;
    }
    if (im->src.dir_fd < 0)
        return NULL;
    cleanup_close int fd = open_in_dir(im->src.dir_fd, name);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > SMALL_MAX)
        return NULL;
    char *data = malloc((size_t)st.st_size + 1);
    if (!data || read(fd, data, (size_t)st.st_size) != st.st_size) {
        free(data);
        return NULL;
    }
    data[st.st_size] = '\0';
    im->src.members = realloc(im->src.members, (im->src.n_members + 1) * sizeof(struct member));
    im->src.members[im->src.n_members] =
        (struct member){strdup(name), data, (size_t)st.st_size, NULL};
    return &im->src.members[im->src.n_members++];
}

static void digest_of(const struct member *m, char out[BT_DIGEST_LEN])
{
    struct bt_digest d;
    bt_digest_init(&d);
    bt_digest_update(&d, m->data, m->size);
    bt_digest_final(&d, out);
}

/* The JSON member NAME; with DIGEST, its content must have that digest. */
static json_object *get_json(struct import *im, const char *name, const char *digest, int *ret)
{
    const struct member *m = get_member(im, name);
    if (!m) {
        *ret = bt_err_msg(im->err, EINVAL, "%s: %s is missing", im->src.file, name);
        return NULL;
    }
    if (digest) {
        char got[BT_DIGEST_LEN];
        digest_of(m, got);
        if (strcmp(got, digest) != 0) {
            *ret = bt_err_msg(im->err, EINVAL, "%s: digest mismatch: expected %s, got %s", name,
                              digest, got);
            return NULL;
        }
    }
    json_object *obj = json_tokener_parse(m->data);
    if (!obj || !json_object_is_type(obj, json_type_object)) {
        json_object_put(obj);
        *ret = bt_err_msg(im->err, EINVAL, "%s: %s is not a JSON object", im->src.file, name);
        return NULL;
    }
    return obj;
}

static const char *str(json_object *obj, const char *key)
{
    json_object *v;
    if (!obj || !json_object_object_get_ex(obj, key, &v) ||
        !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

static json_object *array(json_object *obj, const char *key)
{
    json_object *v;
    if (!obj || !json_object_object_get_ex(obj, key, &v) ||
        !json_object_is_type(v, json_type_array))
        return NULL;
    return v;
}

static int blob_name(struct import *im, const char *digest, char *out, size_t len)
{
    if (!bt_digest_valid(digest))
        return bt_err_msg(im->err, EINVAL, "bad digest '%s'", digest ? digest : "(none)");
    snprintf(out, len, "blobs/sha256/%s", digest + 7);
    return 0;
}

static int add_jobs(struct import *im, size_t n)
{
    im->jobs = calloc(n ? n : 1, sizeof(struct job));
    im->n_jobs = n;
    return im->jobs ? 0 : bt_err_msg(im->err, ENOMEM, "out of memory");
}

/* The config's rootfs.diff_ids, one per layer. */
static int expect_diff_ids(struct import *im, const char *config_name)
{
    json_object *rootfs = json_object_object_get(im->config, "rootfs");
    json_object *ids = array(rootfs, "diff_ids");
    size_t n = ids ? json_object_array_length(ids) : 0;
    if (n != im->n_jobs)
        return bt_err_msg(im->err, EINVAL, "%s: the config lists %zu layer digests for %zu layers",
                          config_name, n, im->n_jobs);
    for (size_t i = 0; i < n; i++) {
        const char *id = json_object_get_string(json_object_array_get_idx(ids, i));
        if (!bt_digest_valid(id))
            return bt_err_msg(im->err, EINVAL, "%s: bad layer digest '%s'", config_name,
                              id ? id : "");
        snprintf(im->jobs[i].diff_id, BT_DIGEST_LEN, "%s", id);
    }
    return 0;
}

static int plan_docker_save(struct import *im)
{
    int ret = 0;
    json_object *manifest = NULL;
    const struct member *m = get_member(im, "manifest.json");
    if (m)
        manifest = json_tokener_parse(m->data);
    json_object *first = manifest && json_object_is_type(manifest, json_type_array)
                             ? json_object_array_get_idx(manifest, 0)
                             : NULL;
    const char *config_name = str(first, "Config");
    json_object *layers = array(first, "Layers");
    if (!config_name || !layers) {
        json_object_put(manifest);
        return bt_err_msg(im->err, EINVAL, "%s: manifest.json has no Config or Layers",
                          im->src.file);
    }
    json_object *tags = array(first, "RepoTags");
    if (tags && json_object_array_length(tags) > 0)
        snprintf(im->tag, sizeof(im->tag), "%s",
                 json_object_get_string(json_object_array_get_idx(tags, 0)));
    /* Newer docker names blobs by digest: then the name is what the content must hash to. */
    char expect[BT_DIGEST_LEN] = "";
    if (strncmp(config_name, "blobs/sha256/", 13) == 0)
        snprintf(expect, sizeof(expect), "sha256:%s", config_name + 13);
    else if (strlen(config_name) == 69 && strcmp(config_name + 64, ".json") == 0)
        snprintf(expect, sizeof(expect), "sha256:%.64s", config_name);
    if (!(im->config = get_json(im, config_name, expect[0] ? expect : NULL, &ret)))
        goto out;
    digest_of(get_member(im, config_name), im->id);
    size_t n = json_object_array_length(layers);
    if ((ret = add_jobs(im, n)) < 0 || (ret = expect_diff_ids(im, config_name)) < 0)
        goto out;
    for (size_t i = 0; i < n; i++) {
        struct job *job = &im->jobs[i];
        const char *name = json_object_get_string(json_object_array_get_idx(layers, i));
        clean_member_name(name ? name : "", job->member, sizeof(job->member));
        if (strncmp(job->member, "blobs/sha256/", 13) == 0)
            snprintf(job->digest, sizeof(job->digest), "sha256:%s", job->member + 13);
    }
    snprintf(im->result->format, sizeof(im->result->format), "docker-save");
out:
    json_object_put(manifest);
    return ret;
}

/* The entry of a multi-platform index for this machine (linux and its architecture), else
 * the first one. */
static json_object *pick_platform(json_object *list)
{
    struct utsname u;
    const char *arch = "amd64";
    if (uname(&u) == 0 && strcmp(u.machine, "x86_64") != 0)
        arch = strcmp(u.machine, "aarch64") == 0 ? "arm64" : u.machine;
    for (size_t i = 0; i < json_object_array_length(list); i++) {
        json_object *entry = json_object_array_get_idx(list, i);
        json_object *platform = json_object_object_get(entry, "platform");
        const char *os = str(platform, "os"), *cpu = str(platform, "architecture");
        if (os && cpu && strcmp(os, "linux") == 0 && strcmp(cpu, arch) == 0)
            return entry;
    }
    return json_object_array_get_idx(list, 0);
}

static int plan_oci(struct import *im)
{
    int ret = 0;
    json_object *index = get_json(im, "index.json", NULL, &ret), *manifest = NULL;
    if (!index)
        return ret;
    char name[PATH_MAX];
    json_object *descriptor = NULL;
    /* An index may point at another index (skopeo, multi-platform): follow the first entry. */
    for (int depth = 0; depth < 4; depth++) {
        json_object *list = array(index, "manifests");
        descriptor = list ? pick_platform(list) : NULL;
        if (!descriptor) {
            ret = bt_err_msg(im->err, EINVAL, "%s: the index lists no manifest", im->src.file);
            goto out;
        }
        json_object *annotations = json_object_object_get(descriptor, "annotations");
        const char *ref = str(annotations, "org.opencontainers.image.ref.name");
        if (ref && !im->tag[0])
            snprintf(im->tag, sizeof(im->tag), "%s", ref);
        const char *digest = str(descriptor, "digest");
        if ((ret = blob_name(im, digest, name, sizeof(name))) < 0)
            goto out;
        json_object *next = get_json(im, name, digest, &ret);
        if (!next)
            goto out;
        const char *type = str(descriptor, "mediaType");
        if (type && strstr(type, "index")) {
            json_object_put(index);
            index = next;
            continue;
        }
        manifest = next;
        break;
    }
    if (!manifest) {
        ret = bt_err_msg(im->err, EINVAL, "%s: indexes nested too deep", im->src.file);
        goto out;
    }
    json_object *config = json_object_object_get(manifest, "config");
    json_object *layers = array(manifest, "layers");
    const char *config_digest = str(config, "digest");
    if (!layers || (ret = blob_name(im, config_digest, name, sizeof(name))) < 0) {
        ret = ret < 0 ? ret
                      : bt_err_msg(im->err, EINVAL, "%s: the manifest has no layers", im->src.file);
        goto out;
    }
    if (!(im->config = get_json(im, name, config_digest, &ret)))
        goto out;
    snprintf(im->id, sizeof(im->id), "%s", config_digest);
    size_t n = json_object_array_length(layers);
    if ((ret = add_jobs(im, n)) < 0 || (ret = expect_diff_ids(im, name)) < 0)
        goto out;
    for (size_t i = 0; i < n; i++) {
        const char *digest = str(json_object_array_get_idx(layers, i), "digest");
        if ((ret = blob_name(im, digest, im->jobs[i].member, sizeof(im->jobs[i].member))) < 0)
            goto out;
        snprintf(im->jobs[i].digest, BT_DIGEST_LEN, "%s", digest);
    }
    snprintf(im->result->format, sizeof(im->result->format), "oci-layout");
out:
    json_object_put(index);
    json_object_put(manifest);
    return ret;
}

static void progress(void *ctx, uint64_t bytes)
{
    const struct job *job = ctx;
    fprintf(stderr, "\rimport %.19s: %llu MiB", job->diff_id[0] ? job->diff_id : job->member,
            (unsigned long long)(bytes >> 20));
}

static int extract_job(struct import *im, struct job *job, struct bt_archive_input *in)
{
    int ret = bt_image_tmpdir(im->root, "layer", job->tmp, im->err);
    if (ret < 0)
        return ret;
    char tree[PATH_MAX + 8];
    snprintf(tree, sizeof(tree), "%s/tree", job->tmp);
    if (mkdir(tree, 0755) < 0)
        return bt_err_sys(im->err, errno, "create %s", tree);
    cleanup_close int fd = open(tree, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return bt_err_sys(im->err, errno, "open %s", tree);
    struct bt_archive_limits limits = {
        .max_bytes = im->o->max_bytes ? im->o->max_bytes : DEFAULT_MAX_BYTES,
        .keep_setuid = im->o->keep_setuid,
        .progress = im->o->progress ? progress : NULL,
        .progress_ctx = job,
    };
    ret = bt_archive_extract(in, fd, &limits, &job->stats, im->err);
    if (im->o->progress)
        fprintf(stderr, "\r\033[K");
    if (ret < 0)
        return bt_err_wrap(im->err, "layer %s", job->member);
    if (job->digest[0] && strcmp(job->digest, job->stats.digest) != 0)
        return bt_err_msg(im->err, EINVAL, "layer %s: digest mismatch: expected %s, got %s",
                          job->member, job->digest, job->stats.digest);
    if (job->diff_id[0] && strcmp(job->diff_id, job->stats.diff_id) != 0)
        return bt_err_msg(im->err, EINVAL,
                          "layer %s: digest mismatch: the config says %s, the content is %s",
                          job->member, job->diff_id, job->stats.diff_id);
    snprintf(job->diff_id, sizeof(job->diff_id), "%s", job->stats.diff_id);
    job->done = true;
    im->result->devices_skipped += job->stats.devices_skipped;
    im->result->setuid_cleared += job->stats.setuid_cleared;
    im->result->absolute_names += job->stats.absolute_names;
    im->result->layers_new++;
    return 0;
}

/* Marks the jobs whose layer the store has already (nothing to read for them) and the repeats
 * of an earlier job. */
static bool settled(struct import *im, size_t i)
{
    struct job *job = &im->jobs[i];
    char path[PATH_MAX];
    if (job->done)
        return true;
    if (job->diff_id[0] && bt_image_layer_path(im->root, job->diff_id, path, sizeof(path))) {
        job->done = true;
        return true;
    }
    return false;
}

/* The other jobs that read the same member get its result, if the config agrees. */
static int copy_result(struct import *im, const struct job *from, const char *member)
{
    for (size_t k = 0; k < im->n_jobs; k++) {
        struct job *other = &im->jobs[k];
        if (other == from || other->done || strcmp(other->member, member) != 0)
            continue;
        if (other->diff_id[0] && strcmp(other->diff_id, from->diff_id) != 0)
            return bt_err_msg(im->err, EINVAL,
                              "layer %s: digest mismatch: the config says %s, the content is %s",
                              member, other->diff_id, from->diff_id);
        snprintf(other->diff_id, sizeof(other->diff_id), "%s", from->diff_id);
        other->done = true;
    }
    return 0;
}

/* A layer named through a symlink member is read from the link's target. */
static void follow_links(struct import *im, struct job *job)
{
    for (int hops = 0; hops < 8; hops++) {
        const struct member *m = NULL;
        for (size_t i = 0; i < im->src.n_members && !m; i++)
            if (strcmp(im->src.members[i].name, job->member) == 0)
                m = &im->src.members[i];
        if (!m || !m->link)
            return;
        snprintf(job->member, sizeof(job->member), "%s", m->link);
    }
}

static int extract_layers(struct import *im)
{
    int ret = 0;
    for (size_t i = 0; im->src.dir_fd < 0 && i < im->n_jobs; i++)
        follow_links(im, &im->jobs[i]);
    if (im->src.dir_fd >= 0) {
        for (size_t i = 0; i < im->n_jobs && ret == 0; i++) {
            if (settled(im, i))
                continue;
            int fd = open_in_dir(im->src.dir_fd, im->jobs[i].member);
            if (fd < 0)
                return bt_err_sys(im->err, -fd, "%s: layer %s", im->src.file, im->jobs[i].member);
            struct bt_archive_input in = {bt_archive_read_fd, &fd};
            ret = extract_job(im, &im->jobs[i], &in);
            close(fd);
            if (ret == 0)
                ret = copy_result(im, &im->jobs[i], im->jobs[i].member);
        }
        return ret;
    }
    struct archive *a = archive_read_new();
    archive_read_support_filter_all(a);
    archive_read_support_format_tar(a);
    archive_read_support_format_gnutar(a);
    if (archive_read_open_filename(a, im->src.file, 1 << 16) != ARCHIVE_OK) {
        ret = bt_err_msg(im->err, EINVAL, "%s: %s", im->src.file, archive_error_string(a));
        goto out;
    }
    struct archive_entry *e;
    int r;
    while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
        char name[PATH_MAX];
        clean_member_name(archive_entry_pathname(e) ? archive_entry_pathname(e) : "", name,
                          sizeof(name));
        for (size_t i = 0; i < im->n_jobs; i++) {
            if (settled(im, i) || strcmp(im->jobs[i].member, name) != 0)
                continue;
            struct bt_archive_input in = {bt_archive_read_entry, a};
            if ((ret = extract_job(im, &im->jobs[i], &in)) < 0 ||
                (ret = copy_result(im, &im->jobs[i], name)) < 0)
                goto out;
            break;
        }
    }
    if (r != ARCHIVE_EOF) {
        ret = bt_err_msg(im->err, EINVAL, "%s: truncated or corrupt archive (%s)", im->src.file,
                         archive_error_string(a));
        goto out;
    }
    for (size_t i = 0; i < im->n_jobs; i++)
        if (!settled(im, i)) {
            ret = bt_err_msg(im->err, EINVAL, "%s: layer %s is missing", im->src.file,
                             im->jobs[i].member);
            goto out;
        }
out:
    archive_read_free(a);
    return ret;
}

static void default_name(struct import *im, const char *file)
{
    if (im->tag[0])
        return;
    const char *base = strrchr(file, '/');
    base = base && base[1] ? base + 1 : file;
    snprintf(im->tag, sizeof(im->tag), "%s", base);
    char *dot = strchr(im->tag, '.');
    if (dot && dot != im->tag)
        *dot = '\0';
}

static int finish(struct import *im)
{
    const char *name = im->o->name ? im->o->name : im->tag;
    if (!bt_image_name_valid(name))
        return bt_err_msg(im->err, EINVAL, "invalid image name '%s' (give NAME)", name);
    const char **ids = calloc(im->n_jobs + 1, sizeof(char *));
    int ret = 0;
    for (size_t i = 0; i < im->n_jobs && ret == 0; i++) {
        struct job *job = &im->jobs[i];
        ids[i] = job->diff_id;
        if (job->tmp[0] && (ret = bt_image_layer_install(im->root, job->tmp, job->diff_id,
                                                         job->stats.bytes, im->err)) == 0)
            job->tmp[0] = '\0';
    }
    if (!im->id[0] && im->n_jobs)
        snprintf(im->id, sizeof(im->id), "%s", im->jobs[im->n_jobs - 1].diff_id);
    json_object *config = im->config ? json_object_object_get(im->config, "config") : NULL;
    if (ret == 0)
        ret = bt_image_save(im->root, name, im->id, ids, im->n_jobs, config, im->err);
    free(ids);
    snprintf(im->result->name, sizeof(im->result->name), "%s", name);
    im->result->layers = im->n_jobs;
    return ret;
}

static void cleanup(struct import *im)
{
    for (size_t i = 0; i < im->n_jobs; i++)
        if (im->jobs[i].tmp[0])
            bt_rootfs_remove_tree(im->jobs[i].tmp, NULL);
    free(im->jobs);
    for (size_t i = 0; i < im->src.n_members; i++) {
        free(im->src.members[i].name);
        free(im->src.members[i].data);
        free(im->src.members[i].link);
    }
    free(im->src.members);
    if (im->src.dir_fd >= 0)
        close(im->src.dir_fd);
    json_object_put(im->config);
}

/* The btrfs driver gets its subvolume at import, so that creating containers is a snapshot. */
static void prebuild(const char *root, const struct bt_image_import_options *o, const char *name)
{
    enum bt_image_driver driver = o->driver;
    if (driver == BT_IMAGE_DRIVER_AUTO)
        driver = bt_image_driver_choose(root);
    if (driver != BT_IMAGE_DRIVER_BTRFS)
        return;
    struct bt_image img;
    struct bt_err err = {0};
    char path[PATH_MAX];
    if (bt_image_resolve(root, name, &img, &err) == 0) {
        if (bt_image_btrfs_subvolume(root, &img, path, sizeof(path), &err) < 0)
            fprintf(stderr, "bottle: warning: %s\n", err.msg);
        bt_image_free(&img);
    }
}

int bt_image_import(const char *root, const char *file, const struct bt_image_import_options *o,
                    struct bt_image_import_result *result, struct bt_err *err)
{
    memset(result, 0, sizeof(*result));
    struct import im = {.root = root, .o = o, .result = result, .err = err};
    im.src.file = file;
    im.src.dir_fd = -1;
    struct stat st;
    if (stat(file, &st) < 0)
        return bt_err_sys(err, errno, "%s", file);
    cleanup_close int lock = bt_image_lock(root, err);
    if (lock < 0)
        return lock;
    int ret;
    bool flat = false;
    if (S_ISDIR(st.st_mode)) {
        im.src.dir_fd = open(file, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (im.src.dir_fd < 0)
            return bt_err_sys(err, errno, "open %s", file);
        ret = get_member(&im, "oci-layout")
                  ? plan_oci(&im)
                  : bt_err_msg(err, EINVAL,
                               "%s: a directory without oci-layout (for a rootfs: --dir DIR NAME)",
                               file);
    } else if ((ret = scan_archive(&im)) == 0) {
        if (im.src.flat || (!get_member(&im, "manifest.json") && !get_member(&im, "index.json"))) {
            /* docker export: the whole file is the one layer. */
            flat = true;
            ret = add_jobs(&im, 1);
            snprintf(im.jobs[0].member, sizeof(im.jobs[0].member), "%s", file);
            snprintf(result->format, sizeof(result->format), "docker-export");
            cleanup_close int fd = open(file, O_RDONLY | O_CLOEXEC);
            struct bt_archive_input in = {bt_archive_read_fd, &fd};
            if (fd < 0)
                ret = bt_err_sys(err, errno, "open %s", file);
            else if (ret == 0)
                ret = extract_job(&im, &im.jobs[0], &in);
            im.tag[0] = '\0';
        } else if (get_member(&im, "manifest.json")) {
            ret = plan_docker_save(&im);
        } else {
            ret = plan_oci(&im);
        }
    }
    if (ret == 0 && !flat)
        ret = extract_layers(&im);
    if (ret == 0) {
        default_name(&im, file);
        ret = finish(&im);
    }
    cleanup(&im);
    close(bt_take_fd(&lock));
    if (ret == 0)
        prebuild(root, o, result->name);
    return ret;
}

int bt_image_import_dir(const char *root, const char *dir, const struct bt_image_import_options *o,
                        struct bt_image_import_result *result, struct bt_err *err)
{
    memset(result, 0, sizeof(*result));
    if (!o->name)
        return bt_err_msg(err, EINVAL, "image import --dir needs a NAME");
    struct import im = {.root = root, .o = o, .result = result, .err = err};
    im.src.file = dir;
    im.src.dir_fd = -1;
    cleanup_close int lock = bt_image_lock(root, err);
    if (lock < 0)
        return lock;
    /* Through a tar, so that the layer has a digest and passes the same checks as any. */
    char tar[PATH_MAX];
    snprintf(tar, sizeof(tar), "%s/tmp/dir.XXXXXX", root);
    cleanup_close int fd = mkostemp(tar, O_CLOEXEC);
    if (fd < 0)
        return bt_err_sys(err, errno, "create %s", tar);
    unlink(tar);
    char digest[BT_DIGEST_LEN];
    uint64_t size;
    int ret = bt_archive_write_tree(dir, fd, digest, &size, err);
    if (ret == 0 && (ret = add_jobs(&im, 1)) == 0) {
        lseek(fd, 0, SEEK_SET);
        snprintf(im.jobs[0].member, sizeof(im.jobs[0].member), "%s", dir);
        struct bt_archive_input in = {bt_archive_read_fd, &fd};
        ret = extract_job(&im, &im.jobs[0], &in);
    }
    snprintf(result->format, sizeof(result->format), "directory");
    if (ret == 0)
        ret = finish(&im);
    cleanup(&im);
    close(bt_take_fd(&lock));
    if (ret == 0)
        prebuild(root, o, result->name);
    return ret;
}

/* ---- drivers that need a flat tree ---- */

int bt_image_flatten(const struct bt_image *img, const char *dest, struct bt_err *err)
{
    if (mkdir(dest, 0755) < 0 && errno != EEXIST)
        return bt_err_sys(err, errno, "create %s", dest);
    for (size_t i = 0; i < img->n_layers; i++) {
        int ret = bt_archive_apply_tree(img->layer_dirs[i], dest, err);
        if (ret < 0)
            return bt_err_wrap(err, "image %s: layer %s", img->name, img->layer_ids[i]);
    }
    return 0;
}

int bt_image_btrfs_subvolume(const char *root, const struct bt_image *img, char *path, size_t len,
                             struct bt_err *err)
{
    snprintf(path, len, "%s/btrfs/%s", root, img->id + 7);
    if (bt_rootfs_is_btrfs_subvolume(path))
        return 0;
    /* Under the store's lock: gc must not delete the half-made subvolume in ROOT/tmp. */
    cleanup_close int lock = bt_image_lock(root, err);
    if (lock < 0)
        return lock;
    if (bt_rootfs_is_btrfs_subvolume(path))
        return 0; /* made by another bottle meanwhile */
    char dir[PATH_MAX], tmp[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s/btrfs", root);
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        return bt_err_sys(err, errno, "create %s", dir);
    snprintf(tmp, sizeof(tmp), "%s/tmp/btrfs-%d", root, (int)getpid());
    bt_rootfs_btrfs_delete(tmp, NULL);
    int ret = bt_rootfs_btrfs_subvolume_create(tmp, err);
    if (ret < 0)
        return ret;
    ret = bt_image_flatten(img, tmp, err);
    /* Read-only, so that no container can change what the others snapshot. */
    if (ret == 0)
        ret = bt_rootfs_btrfs_snapshot(tmp, path, true, err);
    bt_rootfs_btrfs_delete(tmp, NULL);
    return ret;
}
