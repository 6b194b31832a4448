/* cgroups v1, v2 and hybrid (see cgroup.h): the layout, and one cgroup's creation, joining,
 * files and removal, with the helpers lib/cgroup-*.c share. Everything is derived from mountinfo
 * and from the files each hierarchy offers; nothing here may touch a cgroup outside the one it
 * was given (the parents are only created, and in v2 get controllers enabled). */
#include "cgroup-internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"

/* How deep bottle descends into cgroups that a container made below its own. */
#define WALK_DEPTH_MAX 64

static const char *const v1_names[BT_CGROUP_CONTROLLER_COUNT] = {
    "cpu",  "cpuacct", "cpuset",  "memory",   "devices",    "freezer", "blkio",
    "pids", "hugetlb", "net_cls", "net_prio", "perf_event", "rdma",    "misc",
};

/* NULL where v2 has no controller of that name. */
static const char *const v2_names[BT_CGROUP_CONTROLLER_COUNT] = {
    "cpu",  NULL,      "cpuset", "memory", NULL,         NULL,   "io",
    "pids", "hugetlb", NULL,     NULL,     "perf_event", "rdma", "misc",
};

/* The v2 controllers that bottle's setters use and therefore enables down the path. */
static const enum bt_cgroup_controller v2_enabled[] = {
    BT_CGROUP_CPU, BT_CGROUP_CPUSET, BT_CGROUP_BLKIO, BT_CGROUP_MEMORY, BT_CGROUP_PIDS,
};

int64_t bt_cgroup_i_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void bt_cgroup_i_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* ---- files ---------------------------------------------------------------------------- */

int bt_cgroup_i_join_path(char *buf, size_t len, const char *dir, const char *file)
{
    int n = snprintf(buf, len, "%s/%s", dir, file);
    return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

bool bt_cgroup_i_file_exists(const char *dir, const char *file)
{
    char path[PATH_MAX];
    return bt_cgroup_i_join_path(path, sizeof(path), dir, file) == 0 && access(path, F_OK) == 0;
}

/* Reads DIR/FILE into BUF, NUL-terminated, without the trailing newline. Returns the length or
 * -errno (-EFBIG when it does not fit). */
int bt_cgroup_i_read_at(const char *dir, const char *file, char *buf, size_t len)
{
    char path[PATH_MAX];
    int ret = bt_cgroup_i_join_path(path, sizeof(path), dir, file);
    if (ret < 0)
        return ret;
    cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    if (len == 0)
        return -EFBIG;
    size_t have = 0;
    for (;;) {
        char probe;
        bool full = have + 1 >= len; /* then only check for the end of the file */
        ssize_t n = full ? read(fd, &probe, 1) : read(fd, buf + have, len - 1 - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            break;
        if (full)
            return -EFBIG;
        have += (size_t)n;
    }
    while (have > 0 && buf[have - 1] == '\n')
        have--;
    buf[have] = '\0';
    return (int)have;
}

/* Writes VALUE to DIR/FILE in one write(2), as the kernel wants. */
int bt_cgroup_i_write_at(const char *dir, const char *file, const char *value, struct bt_err *err)
{
    char path[PATH_MAX];
    if (bt_cgroup_i_join_path(path, sizeof(path), dir, file) < 0)
        return bt_err_msg(err, ENAMETOOLONG, "path too long: %s/%s", dir, file);
    cleanup_close int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd < 0)
        return bt_err_sys(err, errno, "open %s", path);
    size_t len = strlen(value);
    ssize_t n;
    do
        n = write(fd, value, len);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return bt_err_sys(err, errno, "write '%s' to %s", value, path);
    if ((size_t)n != len)
        return bt_err_msg(err, EIO, "short write of '%s' to %s", value, path);
    return 0;
}

/* "max" reads as UINT64_MAX. */
int bt_cgroup_i_parse_u64(const char *text, uint64_t *value)
{
    if (strncmp(text, "max", 3) == 0) {
        *value = UINT64_MAX;
        return 0;
    }
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || end == text)
        return -EINVAL;
    *value = v;
    return 0;
}

int bt_cgroup_i_read_u64(const char *dir, const char *file, uint64_t *value)
{
    char buf[64];
    int ret = bt_cgroup_i_read_at(dir, file, buf, sizeof(buf));
    return ret < 0 ? ret : bt_cgroup_i_parse_u64(buf, value);
}

/* Finds "KEY VALUE" in flat-keyed TEXT such as cgroup.events or memory.oom_control. */
int bt_cgroup_i_find_key(const char *text, const char *key, uint64_t *value)
{
    size_t klen = strlen(key);
    for (const char *line = text; *line;) {
        if (strncmp(line, key, klen) == 0 && line[klen] == ' ')
            return bt_cgroup_i_parse_u64(line + klen + 1, value);
        const char *next = strchr(line, '\n');
        if (!next)
            break;
        line = next + 1;
    }
    return -ENODATA;
}

int bt_cgroup_i_read_key(const char *dir, const char *file, const char *key, uint64_t *value)
{
    char buf[4096];
    int ret = bt_cgroup_i_read_at(dir, file, buf, sizeof(buf));
    return ret < 0 ? ret : bt_cgroup_i_find_key(buf, key, value);
}

/* Whole-word search in a space-separated list such as cgroup.controllers. */
static bool has_word(const char *list, const char *word)
{
    size_t len = strlen(word);
    for (const char *p = list; (p = strstr(p, word)); p += len) {
        if ((p == list || p[-1] == ' ') && (p[len] == '\0' || p[len] == ' ' || p[len] == '\n'))
            return true;
    }
    return false;
}

/* ---- layout --------------------------------------------------------------------------- */

const char *bt_cgroup_mode_name(enum bt_cgroup_mode mode)
{
    switch (mode) {
    case BT_CGROUP_MODE_LEGACY: return "legacy";
    case BT_CGROUP_MODE_HYBRID: return "hybrid";
    case BT_CGROUP_MODE_UNIFIED: return "unified";
    case BT_CGROUP_MODE_NONE: break;
    }
    return "none";
}

const char *bt_cgroup_controller_name(enum bt_cgroup_controller controller)
{
    return (unsigned)controller < BT_CGROUP_CONTROLLER_COUNT ? v1_names[controller] : NULL;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s)
{
    char *out = s;
    for (char *in = s; *in; in++) {
        if (in[0] == '\\' && in[1] >= '0' && in[1] <= '3' && in[2] >= '0' && in[2] <= '7' &&
            in[3] >= '0' && in[3] <= '7') {
            *out++ = (char)((in[1] - '0') * 64 + (in[2] - '0') * 8 + (in[3] - '0'));
            in += 3;
        } else {
            *out++ = *in;
        }
    }
    *out = '\0';
}

static void compute_mode(struct bt_cgroup_layout *layout)
{
    bool v1 = false, v2 = false;
    for (int i = 0; i < layout->count; i++) {
        if (layout->hierarchies[i].unified)
            v2 = true;
        else
            v1 = true;
    }
    layout->mode = v1 && v2 ? BT_CGROUP_MODE_HYBRID
                   : v1     ? BT_CGROUP_MODE_LEGACY
                   : v2     ? BT_CGROUP_MODE_UNIFIED
                            : BT_CGROUP_MODE_NONE;
}

/* "36 25 0:31 / /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory" */
static void parse_mount_line(struct bt_cgroup_layout *layout, char *line)
{
    /* The third field, before strtok cuts the line up. */
    unsigned major = 0, minor = 0;
    dev_t dev = sscanf(line, "%*s %*s %u:%u", &major, &minor) == 2 ? makedev(major, minor) : 0;
    char *sep = strstr(line, " - ");
    if (!sep)
        return;
    *sep = '\0';
    char *save = NULL;
    char *fstype = strtok_r(sep + 3, " \n", &save);
    char *source = fstype ? strtok_r(NULL, " \n", &save) : NULL;
    char *options = source ? strtok_r(NULL, " \n", &save) : NULL;
    if (!options)
        return;
    bool unified = strcmp(fstype, "cgroup2") == 0;
    if (!unified && strcmp(fstype, "cgroup") != 0)
        return;

    /* The mount point is the fifth field. */
    char *mount = NULL;
    save = NULL;
    char *field = strtok_r(line, " ", &save);
    for (int i = 1; field && i < 5; i++)
        field = strtok_r(NULL, " ", &save);
    mount = field;
    if (!mount)
        return;
    unescape_octal(mount);
    if (strlen(mount) >= BT_CGROUP_MOUNT_MAX) {
        bt_log_debug("cgroup: mount point too long, ignored: %s", mount);
        return;
    }

    struct bt_cgroup_hierarchy h = {.unified = unified, .dev = dev};
    if (!unified) {
        save = NULL;
        for (char *opt = strtok_r(options, ",", &save); opt; opt = strtok_r(NULL, ",", &save)) {
            if (strcmp(opt, "name=systemd") == 0)
                h.systemd = true;
            for (int c = 0; c < BT_CGROUP_CONTROLLER_COUNT; c++) {
                if (strcmp(opt, v1_names[c]) == 0)
                    h.controllers |= BT_CGROUP_BIT(c);
            }
        }
        if (!h.controllers && !h.systemd)
            return; /* another named hierarchy: not ours */
    }
    for (int i = 0; i < layout->count; i++) {
        const struct bt_cgroup_hierarchy *old = &layout->hierarchies[i];
        if (old->unified == h.unified && old->controllers == h.controllers &&
            old->systemd == h.systemd)
            return; /* a second mount of the same hierarchy */
    }
    if (layout->count == BT_CGROUP_HIERARCHY_MAX) {
        bt_log_warn("cgroup: more than %d hierarchies, ignoring %s", BT_CGROUP_HIERARCHY_MAX,
                    mount);
        return;
    }
    strcpy(h.mount, mount);
    layout->hierarchies[layout->count++] = h;
}

int bt_cgroup_layout_parse(struct bt_cgroup_layout *layout, const char *mountinfo,
                           struct bt_err *err)
{
    memset(layout, 0, sizeof(*layout));
    cleanup_fclose FILE *file = fopen(mountinfo, "re");
    if (!file)
        return bt_err_sys(err, errno, "open %s", mountinfo);
    cleanup_free char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, file) > 0)
        parse_mount_line(layout, line);

    for (int i = 0; i < layout->count; i++) {
        struct bt_cgroup_hierarchy *h = &layout->hierarchies[i];
        char list[512];
        if (!h->unified ||
            bt_cgroup_i_read_at(h->mount, "cgroup.controllers", list, sizeof(list)) < 0)
            continue;
        for (int c = 0; c < BT_CGROUP_CONTROLLER_COUNT; c++) {
            if (v2_names[c] && has_word(list, v2_names[c]))
                h->controllers |= BT_CGROUP_BIT(c);
        }
    }
    compute_mode(layout);
    if (layout->mode == BT_CGROUP_MODE_NONE)
        return bt_err_msg(err, ENOENT, "no cgroup filesystem is mounted (read %s)", mountinfo);
    return 0;
}

int bt_cgroup_layout_detect(struct bt_cgroup_layout *layout, struct bt_err *err)
{
    int ret = bt_cgroup_layout_parse(layout, "/proc/self/mountinfo", err);
    if (ret < 0)
        return ret;
    /* A hierarchy mounted over (a tmpfs on /sys/fs/cgroup, say) is still in mountinfo, in no
     * order that tells: keep only those whose mount point really is that file system now. */
    int kept = 0;
    for (int i = 0; i < layout->count; i++) {
        struct stat st;
        const struct bt_cgroup_hierarchy *h = &layout->hierarchies[i];
        if (stat(h->mount, &st) == 0 && (!h->dev || st.st_dev == h->dev))
            layout->hierarchies[kept++] = *h;
        else
            bt_log_debug("cgroup: %s is hidden, ignored", h->mount);
    }
    layout->count = kept;
    compute_mode(layout);
    if (layout->mode == BT_CGROUP_MODE_NONE)
        return bt_err_msg(err, ENOENT,
                          "no cgroup filesystem is visible (read /proc/self/mountinfo)");
    return 0;
}

const struct bt_cgroup_hierarchy *bt_cgroup_layout_unified(const struct bt_cgroup_layout *layout)
{
    for (int i = 0; i < layout->count; i++) {
        if (layout->hierarchies[i].unified)
            return &layout->hierarchies[i];
    }
    return NULL;
}

const struct bt_cgroup_hierarchy *bt_cgroup_layout_find(const struct bt_cgroup_layout *layout,
                                                        enum bt_cgroup_controller controller)
{
    if ((unsigned)controller >= BT_CGROUP_CONTROLLER_COUNT)
        return NULL;
    for (int i = 0; i < layout->count; i++) {
        const struct bt_cgroup_hierarchy *h = &layout->hierarchies[i];
        if (!h->unified && (h->controllers & BT_CGROUP_BIT(controller)))
            return h;
    }
    const struct bt_cgroup_hierarchy *h = bt_cgroup_layout_unified(layout);
    return h && (h->controllers & BT_CGROUP_BIT(controller)) ? h : NULL;
}

/* ---- one cgroup ----------------------------------------------------------------------- */

int bt_cgroup_init(struct bt_cgroup *cg, const struct bt_cgroup_layout *layout, const char *path,
                   unsigned flags, struct bt_err *err)
{
    memset(cg, 0, sizeof(*cg));
    if (layout) {
        cg->layout = *layout;
    } else {
        int ret = bt_cgroup_layout_detect(&cg->layout, err);
        if (ret < 0)
            return ret;
    }
    if (flags & BT_CGROUP_V1_ONLY) {
        int kept = 0;
        for (int i = 0; i < cg->layout.count; i++) {
            if (!cg->layout.hierarchies[i].unified)
                cg->layout.hierarchies[kept++] = cg->layout.hierarchies[i];
        }
        cg->layout.count = kept;
        compute_mode(&cg->layout);
        if (kept == 0)
            return bt_err_msg(err, ENOTSUP, "cgroup: v1 requested but no v1 hierarchy is mounted");
    }
    cg->flags = flags;

    size_t out = 0;
    for (const char *p = path ? path : ""; *p;) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        const char *end = strchrnul(p, '/');
        size_t n = (size_t)(end - p);
        if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
            return bt_err_msg(err, EINVAL, "cgroup path '%s': '.' and '..' are not allowed", path);
        if (memchr(p, '\n', n))
            return bt_err_msg(err, EINVAL, "cgroup path has a newline");
        if (out + n + 2 > sizeof(cg->path))
            return bt_err_msg(err, ENAMETOOLONG, "cgroup path too long: %s", path);
        if (out)
            cg->path[out++] = '/';
        memcpy(cg->path + out, p, n);
        out += n;
        p = end;
    }
    cg->path[out] = '\0';
    if (out == 0)
        return bt_err_msg(err, EINVAL, "cgroup path '%s' names the root cgroup", path ? path : "");
    return 0;
}

int bt_cgroup_dir(const struct bt_cgroup *cg, const struct bt_cgroup_hierarchy *h, char *buf,
                  size_t len)
{
    return bt_cgroup_i_join_path(buf, len, h->mount, cg->path);
}

/* The cgroup's directory for CONTROLLER, or -ENOTSUP naming what is missing. */
int bt_cgroup_i_locate(const struct bt_cgroup *cg, enum bt_cgroup_controller controller, char *dir,
                       size_t len, bool *unified, struct bt_err *err)
{
    const struct bt_cgroup_hierarchy *h = bt_cgroup_layout_find(&cg->layout, controller);
    if (!h)
        return bt_err_msg(err, ENOTSUP,
                          "no %s controller on this host (no cgroup v1 mount of it, and "
                          "cgroup2's cgroup.controllers does not offer it)",
                          v1_names[controller]);
    if (unified)
        *unified = h->unified;
    if (bt_cgroup_dir(cg, h, dir, len) < 0)
        return bt_err_msg(err, ENAMETOOLONG, "cgroup path too long: %s", cg->path);
    return 0;
}

bool bt_cgroup_exists(const struct bt_cgroup *cg)
{
    for (int i = 0; i < cg->layout.count; i++) {
        char dir[PATH_MAX];
        struct stat st;
        if (bt_cgroup_dir(cg, &cg->layout.hierarchies[i], dir, sizeof(dir)) == 0 &&
            stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
            return true;
    }
    return false;
}

/* ---- create and join ------------------------------------------------------------------ */

/* v2: enables the controllers bottle uses in DIR's cgroup.subtree_control. Not fatal: a
 * controller that cannot be enabled shows up later as a missing file when it is set. */
static void enable_subtree(const char *dir)
{
    char offered[512], enabled[512];
    if (bt_cgroup_i_read_at(dir, "cgroup.controllers", offered, sizeof(offered)) < 0 ||
        bt_cgroup_i_read_at(dir, "cgroup.subtree_control", enabled, sizeof(enabled)) < 0)
        return;
    for (size_t i = 0; i < sizeof(v2_enabled) / sizeof(v2_enabled[0]); i++) {
        const char *name = v2_names[v2_enabled[i]];
        if (!has_word(offered, name) || has_word(enabled, name))
            continue;
        char value[32];
        snprintf(value, sizeof(value), "+%s", name);
        struct bt_err err = {0};
        if (bt_cgroup_i_write_at(dir, "cgroup.subtree_control", value, &err) < 0)
            bt_log_debug("cgroup: %s", err.msg);
    }
}

/* v1 cpuset: a new cgroup starts with empty cpus and mems, and nothing can join it until they
 * are set, so copy the parent's. */
static int cpuset_inherit(const char *dir, struct bt_err *err)
{
    static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
    char parent[PATH_MAX];
    snprintf(parent, sizeof(parent), "%s", dir);
    char *slash = strrchr(parent, '/');
    if (!slash)
        return 0;
    *slash = '\0';
    for (size_t i = 0; i < 2; i++) {
        char value[4096];
        int ret = bt_cgroup_i_read_at(dir, files[i], value, sizeof(value));
        if (ret != 0) {
            if (ret < 0)
                return bt_err_sys(err, -ret, "read %s/%s", dir, files[i]);
            continue;
        }
        ret = bt_cgroup_i_read_at(parent, files[i], value, sizeof(value));
        if (ret < 0)
            return bt_err_sys(err, -ret, "read %s/%s", parent, files[i]);
        ret = bt_cgroup_i_write_at(dir, files[i], value, err);
        if (ret < 0)
            return ret;
    }
    return 0;
}

static int create_in(const struct bt_cgroup *cg, const struct bt_cgroup_hierarchy *h,
                     struct bt_err *err)
{
    char dir[PATH_MAX];
    size_t len = strlen(h->mount);
    memcpy(dir, h->mount, len + 1);
    bool cpuset = !h->unified && (h->controllers & BT_CGROUP_BIT(BT_CGROUP_CPUSET));
    for (const char *p = cg->path; *p;) {
        const char *end = strchrnul(p, '/');
        size_t n = (size_t)(end - p);
        if (h->unified)
            enable_subtree(dir); /* in the parent, before the child exists */
        if (len + 1 + n >= sizeof(dir))
            return bt_err_msg(err, ENAMETOOLONG, "cgroup path too long: %s", cg->path);
        dir[len++] = '/';
        memcpy(dir + len, p, n);
        len += n;
        dir[len] = '\0';
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
            return bt_err_sys(err, errno, "mkdir %s", dir);
        if (cpuset) {
            int ret = cpuset_inherit(dir, err);
            if (ret < 0)
                return ret;
        }
        p = *end ? end + 1 : end;
    }
    return 0;
}

int bt_cgroup_create(const struct bt_cgroup *cg, struct bt_err *err)
{
    for (int i = 0; i < cg->layout.count; i++) {
        int ret = create_in(cg, &cg->layout.hierarchies[i], err);
        if (ret < 0)
            return bt_err_wrap(err, "create cgroup %s", cg->path);
    }
    return 0;
}

int bt_cgroup_join(const struct bt_cgroup *cg, pid_t pid, struct bt_err *err)
{
    char value[24];
    snprintf(value, sizeof(value), "%d", (int)pid);
    for (int i = 0; i < cg->layout.count; i++) {
        char dir[PATH_MAX];
        if (bt_cgroup_dir(cg, &cg->layout.hierarchies[i], dir, sizeof(dir)) < 0)
            return bt_err_msg(err, ENAMETOOLONG, "cgroup path too long: %s", cg->path);
        int ret = bt_cgroup_i_write_at(dir, "cgroup.procs", value, err);
        if (ret < 0)
            return bt_err_wrap(err, "move pid %d into cgroup %s", (int)pid, cg->path);
    }
    return 0;
}

/* ---- reading and writing its files ---------------------------------------------------- */

int bt_cgroup_read(const struct bt_cgroup *cg, enum bt_cgroup_controller controller,
                   const char *file, char *buf, size_t len, struct bt_err *err)
{
    char dir[PATH_MAX];
    int ret = bt_cgroup_i_locate(cg, controller, dir, sizeof(dir), NULL, err);
    if (ret < 0)
        return bt_err_wrap(err, "cgroup %s", cg->path);
    ret = bt_cgroup_i_read_at(dir, file, buf, len);
    return ret < 0 ? bt_err_sys(err, -ret, "read %s/%s", dir, file) : ret;
}

int bt_cgroup_write(const struct bt_cgroup *cg, enum bt_cgroup_controller controller,
                    const char *file, const char *value, struct bt_err *err)
{
    char dir[PATH_MAX];
    int ret = bt_cgroup_i_locate(cg, controller, dir, sizeof(dir), NULL, err);
    return ret < 0 ? bt_err_wrap(err, "cgroup %s", cg->path)
                   : bt_cgroup_i_write_at(dir, file, value, err);
}

/* ---- walking a cgroup's subtree ------------------------------------------------------- */

/* Calls FN for DIR and every cgroup below it: parents first, or children first with POST.
 * DIR is a PATH_MAX buffer, extended in place. A missing DIR is an empty tree. */
static int walk_tree(char *dir, bool post, bt_cgroup_i_dir_fn fn, void *data, int depth)
{
    int ret = 0;
    if (!post && (ret = fn(dir, data)) != 0)
        return ret;
    cleanup_closedir DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? 0 : -errno;
    size_t len = strlen(dir);
    struct dirent *entry;
    while (ret == 0 && (entry = readdir(d))) {
        if (entry->d_type != DT_DIR || strcmp(entry->d_name, ".") == 0 ||
            strcmp(entry->d_name, "..") == 0)
            continue;
        if (depth >= WALK_DEPTH_MAX)
            return -ELOOP;
        if (len + 1 + strlen(entry->d_name) >= PATH_MAX)
            return -ENAMETOOLONG;
        dir[len] = '/';
        strcpy(dir + len + 1, entry->d_name);
        ret = walk_tree(dir, post, fn, data, depth + 1);
        dir[len] = '\0';
    }
    if (ret == 0 && post)
        ret = fn(dir, data);
    return ret;
}

int bt_cgroup_i_walk_hierarchy(const struct bt_cgroup *cg, const struct bt_cgroup_hierarchy *h,
                               bool post, bt_cgroup_i_dir_fn fn, void *data)
{
    char dir[PATH_MAX];
    if (bt_cgroup_dir(cg, h, dir, sizeof(dir)) < 0)
        return -ENAMETOOLONG;
    return walk_tree(dir, post, fn, data, 0);
}

/* ---- remove --------------------------------------------------------------------------- */

static int remove_dir(const char *dir, void *data)
{
    if (rmdir(dir) == 0 || errno == ENOENT)
        return 0;
    int saved = errno;
    snprintf(data, PATH_MAX, "%s", dir);
    return -saved;
}

int bt_cgroup_remove(const struct bt_cgroup *cg, int timeout_ms, struct bt_err *err)
{
    if (!bt_cgroup_exists(cg))
        return 0;
    int64_t deadline = bt_cgroup_i_now_ms() + (timeout_ms < 0 ? 0 : timeout_ms);
    bt_cgroup_thaw(cg, NULL);
    if (!bt_cgroup_is_empty(cg)) {
        int ret = bt_cgroup_kill(cg, err);
        if (ret == 0)
            ret = bt_cgroup_wait_empty(cg, timeout_ms, err);
        if (ret < 0)
            return bt_err_wrap(err, "remove cgroup %s", cg->path);
    }
    for (int i = 0; i < cg->layout.count; i++) {
        char failed[PATH_MAX] = "";
        int ret;
        /* rmdir may briefly say EBUSY while the last exits are accounted. */
        while ((ret = bt_cgroup_i_walk_hierarchy(cg, &cg->layout.hierarchies[i], true, remove_dir,
                                                 failed)) == -EBUSY &&
               (timeout_ms < 0 || bt_cgroup_i_now_ms() < deadline))
            bt_cgroup_i_sleep_ms(5);
        if (ret < 0)
            return bt_err_sys(err, -ret, "remove cgroup %s: rmdir %s", cg->path,
                              failed[0] ? failed : cg->layout.hierarchies[i].mount);
    }
    return 0;
}
