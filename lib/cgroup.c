/* cgroups v1, v2 and hybrid: see cgroup.h. Everything is derived from mountinfo and from the
 * files each hierarchy offers; nothing here may touch a cgroup outside the one it was given
 * (the parents are only created, and in v2 get controllers enabled). */
#include "cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"

/* How long bt_cgroup_kill repeats SIGKILL when it cannot freeze the cgroup. */
#define KILL_TIMEOUT_MS 5000
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

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* ---- files ---------------------------------------------------------------------------- */

static int join_path(char *buf, size_t len, const char *dir, const char *file)
{
    int n = snprintf(buf, len, "%s/%s", dir, file);
    return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static bool file_exists(const char *dir, const char *file)
{
    char path[PATH_MAX];
    return join_path(path, sizeof(path), dir, file) == 0 && access(path, F_OK) == 0;
}

/* Reads DIR/FILE into BUF, NUL-terminated, without the trailing newline. Returns the length or
 * -errno (-EFBIG when it does not fit). */
static int read_at(const char *dir, const char *file, char *buf, size_t len)
{
    char path[PATH_MAX];
    int ret = join_path(path, sizeof(path), dir, file);
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
static int write_at(const char *dir, const char *file, const char *value, struct bt_err *err)
{
    char path[PATH_MAX];
    if (join_path(path, sizeof(path), dir, file) < 0)
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
static int parse_u64(const char *text, uint64_t *value)
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

static int read_u64(const char *dir, const char *file, uint64_t *value)
{
    char buf[64];
    int ret = read_at(dir, file, buf, sizeof(buf));
    return ret < 0 ? ret : parse_u64(buf, value);
}

/* Finds "KEY VALUE" in flat-keyed TEXT such as cgroup.events or memory.oom_control. */
static int find_key(const char *text, const char *key, uint64_t *value)
{
    size_t klen = strlen(key);
    for (const char *line = text; *line;) {
        if (strncmp(line, key, klen) == 0 && line[klen] == ' ')
            return parse_u64(line + klen + 1, value);
        const char *next = strchr(line, '\n');
        if (!next)
            break;
        line = next + 1;
    }
    return -ENODATA;
}

static int read_key(const char *dir, const char *file, const char *key, uint64_t *value)
{
    char buf[4096];
    int ret = read_at(dir, file, buf, sizeof(buf));
    return ret < 0 ? ret : find_key(buf, key, value);
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

    struct bt_cgroup_hierarchy h = {.unified = unified};
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
        if (!h->unified || read_at(h->mount, "cgroup.controllers", list, sizeof(list)) < 0)
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
    return bt_cgroup_layout_parse(layout, "/proc/self/mountinfo", err);
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
    return join_path(buf, len, h->mount, cg->path);
}

/* The cgroup's directory for CONTROLLER, or -ENOTSUP naming what is missing. */
static int locate(const struct bt_cgroup *cg, enum bt_cgroup_controller controller, char *dir,
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
    if (read_at(dir, "cgroup.controllers", offered, sizeof(offered)) < 0 ||
        read_at(dir, "cgroup.subtree_control", enabled, sizeof(enabled)) < 0)
        return;
    for (size_t i = 0; i < sizeof(v2_enabled) / sizeof(v2_enabled[0]); i++) {
        const char *name = v2_names[v2_enabled[i]];
        if (!has_word(offered, name) || has_word(enabled, name))
            continue;
        char value[32];
        snprintf(value, sizeof(value), "+%s", name);
        struct bt_err err = {0};
        if (write_at(dir, "cgroup.subtree_control", value, &err) < 0)
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
        int ret = read_at(dir, files[i], value, sizeof(value));
        if (ret != 0) {
            if (ret < 0)
                return bt_err_sys(err, -ret, "read %s/%s", dir, files[i]);
            continue;
        }
        ret = read_at(parent, files[i], value, sizeof(value));
        if (ret < 0)
            return bt_err_sys(err, -ret, "read %s/%s", parent, files[i]);
        ret = write_at(dir, files[i], value, err);
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
        int ret = write_at(dir, "cgroup.procs", value, err);
        if (ret < 0)
            return bt_err_wrap(err, "move pid %d into cgroup %s", (int)pid, cg->path);
    }
    return 0;
}

/* ---- limits --------------------------------------------------------------------------- */

static void format_limit(char *buf, size_t len, int64_t value, bool unified)
{
    if (value == BT_CGROUP_MAX)
        snprintf(buf, len, "%s", unified ? "max" : "-1");
    else
        snprintf(buf, len, "%" PRId64, value);
}

static int set_memory_v1(const char *dir, int64_t limit, int64_t swap, struct bt_err *err)
{
    char limit_text[32], swap_text[32];
    format_limit(limit_text, sizeof(limit_text), limit, false);
    bool have_memsw = file_exists(dir, "memory.memsw.limit_in_bytes");
    /* runc: unlimited memory with the swap left alone makes memory+swap unlimited too. */
    if (limit == BT_CGROUP_MAX && swap == BT_CGROUP_KEEP && have_memsw)
        swap = BT_CGROUP_MAX;
    if (swap != BT_CGROUP_KEEP && !have_memsw) {
        if (swap == BT_CGROUP_MAX)
            swap = BT_CGROUP_KEEP; /* nothing to lift without swap accounting */
        else
            return bt_err_msg(err, ENOTSUP,
                              "%s: no memory.memsw.limit_in_bytes: a swap limit needs swap "
                              "accounting (boot with swapaccount=1)",
                              dir);
    }
    format_limit(swap_text, sizeof(swap_text), swap, false);
    if (swap == BT_CGROUP_KEEP)
        return write_at(dir, "memory.limit_in_bytes", limit_text, err);
    if (limit == BT_CGROUP_KEEP)
        return write_at(dir, "memory.memsw.limit_in_bytes", swap_text, err);

    /* The kernel keeps limit <= memsw at every step: raise memsw first when the new memsw is
     * above the current limit, lower the limit first otherwise (runc's order). */
    uint64_t current;
    int ret = read_u64(dir, "memory.limit_in_bytes", &current);
    if (ret < 0)
        return bt_err_sys(err, -ret, "read %s/memory.limit_in_bytes", dir);
    if (swap == BT_CGROUP_MAX || (uint64_t)swap > current) {
        ret = write_at(dir, "memory.memsw.limit_in_bytes", swap_text, err);
        return ret < 0 ? ret : write_at(dir, "memory.limit_in_bytes", limit_text, err);
    }
    ret = write_at(dir, "memory.limit_in_bytes", limit_text, err);
    return ret < 0 ? ret : write_at(dir, "memory.memsw.limit_in_bytes", swap_text, err);
}

static int set_memory_v2(const char *dir, int64_t limit, int64_t swap, struct bt_err *err)
{
    char text[32];
    if (limit != BT_CGROUP_KEEP) {
        format_limit(text, sizeof(text), limit, true);
        int ret = write_at(dir, "memory.max", text, err);
        if (ret < 0)
            return ret;
    }
    if (swap == BT_CGROUP_KEEP)
        return 0;
    if (!file_exists(dir, "memory.swap.max")) {
        if (swap == BT_CGROUP_MAX)
            return 0;
        return bt_err_msg(err, ENOTSUP,
                          "%s: no memory.swap.max: a swap limit needs swap accounting", dir);
    }
    if (swap == BT_CGROUP_MAX)
        return write_at(dir, "memory.swap.max", "max", err);
    /* v2 limits swap alone; OCI and v1 limit memory+swap. */
    uint64_t memory = (uint64_t)limit;
    if (limit == BT_CGROUP_KEEP) {
        int ret = read_u64(dir, "memory.max", &memory);
        if (ret < 0)
            return bt_err_sys(err, -ret, "read %s/memory.max", dir);
    }
    if (limit == BT_CGROUP_MAX || memory == UINT64_MAX)
        return bt_err_msg(err, EINVAL, "%s: a memory+swap limit needs a memory limit", dir);
    if ((uint64_t)swap < memory)
        return bt_err_msg(err, EINVAL,
                          "memory+swap limit %" PRId64 " is below the memory limit %" PRIu64, swap,
                          memory);
    snprintf(text, sizeof(text), "%" PRIu64, (uint64_t)swap - memory);
    return write_at(dir, "memory.swap.max", text, err);
}

int bt_cgroup_set_memory(const struct bt_cgroup *cg, int64_t limit, int64_t swap,
                         struct bt_err *err)
{
    if (limit < BT_CGROUP_MAX || swap < BT_CGROUP_MAX)
        return bt_err_msg(err, EINVAL, "negative memory limit");
    if (limit > 0 && swap > 0 && swap < limit)
        return bt_err_msg(err, EINVAL,
                          "memory+swap limit %" PRId64 " is below the memory limit %" PRId64, swap,
                          limit);
    if (limit == BT_CGROUP_KEEP && swap == BT_CGROUP_KEEP)
        return 0;
    char dir[PATH_MAX];
    bool unified;
    int ret = locate(cg, BT_CGROUP_MEMORY, dir, sizeof(dir), &unified, err);
    if (ret == 0)
        ret = unified ? set_memory_v2(dir, limit, swap, err) : set_memory_v1(dir, limit, swap, err);
    return ret < 0 ? bt_err_wrap(err, "set memory limit of cgroup %s", cg->path) : 0;
}

static int set_bandwidth(const struct bt_cgroup *cg, int64_t quota, uint64_t period,
                         struct bt_err *err)
{
    char dir[PATH_MAX], text[64];
    bool unified;
    int ret = locate(cg, BT_CGROUP_CPU, dir, sizeof(dir), &unified, err);
    if (ret < 0)
        return ret;
    if (unified) {
        /* cpu.max holds both: fill in the one that stays. */
        char current[64] = "max 100000";
        read_at(dir, "cpu.max", current, sizeof(current));
        char *space = strchr(current, ' ');
        if (!space)
            return bt_err_msg(err, EIO, "%s/cpu.max: unexpected '%s'", dir, current);
        *space = '\0';
        char quota_text[32], period_text[32];
        if (quota == BT_CGROUP_KEEP)
            snprintf(quota_text, sizeof(quota_text), "%s", current);
        else
            format_limit(quota_text, sizeof(quota_text), quota, true);
        if (period == 0)
            snprintf(period_text, sizeof(period_text), "%s", space + 1);
        else
            snprintf(period_text, sizeof(period_text), "%" PRIu64, period);
        snprintf(text, sizeof(text), "%s %s", quota_text, period_text);
        return write_at(dir, "cpu.max", text, err);
    }
    /* v1 checks quota/period against the parent's bandwidth at each write: a smaller period
     * can be refused (EINVAL) until the quota is written, so retry it then (runc). */
    bool period_pending = false;
    if (period) {
        snprintf(text, sizeof(text), "%" PRIu64, period);
        ret = write_at(dir, "cpu.cfs_period_us", text, err);
        if (ret < 0 && (ret != -EINVAL || quota == BT_CGROUP_KEEP))
            return ret;
        period_pending = ret < 0;
    }
    if (quota != BT_CGROUP_KEEP) {
        format_limit(text, sizeof(text), quota, false);
        ret = write_at(dir, "cpu.cfs_quota_us", text, err);
        if (ret < 0)
            return ret;
    }
    if (period_pending) {
        snprintf(text, sizeof(text), "%" PRIu64, period);
        return write_at(dir, "cpu.cfs_period_us", text, err);
    }
    return 0;
}

int bt_cgroup_set_cpu(const struct bt_cgroup *cg, int64_t quota_us, uint64_t period_us,
                      uint64_t shares, struct bt_err *err)
{
    if (quota_us < BT_CGROUP_MAX)
        return bt_err_msg(err, EINVAL, "negative cpu quota %" PRId64, quota_us);
    int ret = 0;
    if (shares) {
        char dir[PATH_MAX], text[32];
        bool unified;
        ret = locate(cg, BT_CGROUP_CPU, dir, sizeof(dir), &unified, err);
        if (ret == 0 && unified) {
            /* The kernel's range for shares is 2..262144, for weight 1..10000. */
            uint64_t s = shares < 2 ? 2 : shares > 262144 ? 262144 : shares;
            snprintf(text, sizeof(text), "%" PRIu64, 1 + ((s - 2) * 9999) / 262142);
            ret = write_at(dir, "cpu.weight", text, err);
        } else if (ret == 0) {
            snprintf(text, sizeof(text), "%" PRIu64, shares);
            ret = write_at(dir, "cpu.shares", text, err);
        }
    }
    if (ret == 0 && (quota_us != BT_CGROUP_KEEP || period_us != 0))
        ret = set_bandwidth(cg, quota_us, period_us, err);
    return ret < 0 ? bt_err_wrap(err, "set cpu limit of cgroup %s", cg->path) : 0;
}

int bt_cgroup_get_cpu(const struct bt_cgroup *cg, int64_t *quota_us, uint64_t *period_us,
                      struct bt_err *err)
{
    char dir[PATH_MAX], text[64];
    bool unified;
    int ret = locate(cg, BT_CGROUP_CPU, dir, sizeof(dir), &unified, err);
    if (ret < 0)
        return bt_err_wrap(err, "cgroup %s", cg->path);
    uint64_t quota = 0, period = 0;
    if (unified) {
        ret = read_at(dir, "cpu.max", text, sizeof(text));
        char *space = ret >= 0 ? strchr(text, ' ') : NULL;
        if (ret >= 0 &&
            (!space || parse_u64(text, &quota) < 0 || parse_u64(space + 1, &period) < 0))
            ret = -EIO;
        if (ret < 0)
            return bt_err_sys(err, -ret, "read %s/cpu.max", dir);
        *quota_us = quota == UINT64_MAX ? BT_CGROUP_MAX : (int64_t)quota;
    } else {
        ret = read_at(dir, "cpu.cfs_quota_us", text, sizeof(text));
        if (ret < 0)
            return bt_err_sys(err, -ret, "read %s/cpu.cfs_quota_us", dir);
        long long q = strtoll(text, NULL, 10);
        *quota_us = q < 0 ? BT_CGROUP_MAX : q;
        ret = read_u64(dir, "cpu.cfs_period_us", &period);
        if (ret < 0)
            return bt_err_sys(err, -ret, "read %s/cpu.cfs_period_us", dir);
    }
    *period_us = period;
    return 0;
}

int bt_cgroup_set_cpuset(const struct bt_cgroup *cg, const char *cpus, const char *mems,
                         struct bt_err *err)
{
    if (!cpus && !mems)
        return 0;
    char dir[PATH_MAX];
    int ret = locate(cg, BT_CGROUP_CPUSET, dir, sizeof(dir), NULL, err);
    if (ret == 0 && cpus)
        ret = write_at(dir, "cpuset.cpus", cpus, err);
    if (ret == 0 && mems)
        ret = write_at(dir, "cpuset.mems", mems, err);
    return ret < 0 ? bt_err_wrap(err, "set cpuset of cgroup %s", cg->path) : 0;
}

int bt_cgroup_set_pids(const struct bt_cgroup *cg, int64_t max, struct bt_err *err)
{
    if (max < BT_CGROUP_MAX)
        return bt_err_msg(err, EINVAL, "negative pids limit %" PRId64, max);
    if (max == BT_CGROUP_KEEP)
        return 0;
    char dir[PATH_MAX], text[32];
    int ret = locate(cg, BT_CGROUP_PIDS, dir, sizeof(dir), NULL, err);
    format_limit(text, sizeof(text), max, true); /* "max" on v1 too */
    if (ret == 0)
        ret = write_at(dir, "pids.max", text, err);
    return ret < 0 ? bt_err_wrap(err, "set pids limit of cgroup %s", cg->path) : 0;
}

int bt_cgroup_set_io_weight(const struct bt_cgroup *cg, unsigned weight, struct bt_err *err)
{
    if (weight == 0)
        return 0;
    if (weight < 10 || weight > 1000)
        return bt_err_msg(err, EINVAL, "io weight %u is outside 10..1000", weight);
    char dir[PATH_MAX], text[32];
    bool unified;
    int ret = locate(cg, BT_CGROUP_BLKIO, dir, sizeof(dir), &unified, err);
    snprintf(text, sizeof(text), "%u", weight);
    if (ret < 0) {
        /* already reported */
    } else if (unified && file_exists(dir, "io.bfq.weight")) {
        ret = write_at(dir, "io.bfq.weight", text, err);
    } else if (unified) {
        snprintf(text, sizeof(text), "%u", 1 + (weight - 10) * 9999 / 990);
        ret = write_at(dir, "io.weight", text, err);
    } else if (file_exists(dir, "blkio.weight")) {
        ret = write_at(dir, "blkio.weight", text, err);
    } else if (file_exists(dir, "blkio.bfq.weight")) {
        ret = write_at(dir, "blkio.bfq.weight", text, err);
    } else {
        ret = bt_err_msg(err, ENOTSUP,
                         "%s has neither blkio.weight (CFQ) nor blkio.bfq.weight (BFQ): the "
                         "block I/O scheduler offers no weights",
                         dir);
    }
    return ret < 0 ? bt_err_wrap(err, "set io weight of cgroup %s", cg->path) : 0;
}

static void format_device_number(char *buf, size_t len, int64_t number)
{
    if (number < 0)
        snprintf(buf, len, "*");
    else
        snprintf(buf, len, "%" PRId64, number);
}

int bt_cgroup_set_devices(const struct bt_cgroup *cg, const struct bt_cgroup_device *rules,
                          size_t count, struct bt_err *err)
{
    if (count == 0)
        return 0;
    char dir[PATH_MAX];
    const struct bt_cgroup_hierarchy *h = bt_cgroup_layout_find(&cg->layout, BT_CGROUP_DEVICES);
    if (!h && bt_cgroup_layout_unified(&cg->layout))
        return bt_err_msg(err, ENOTSUP,
                          "cgroup %s: device rules on cgroup v2 need an eBPF device filter, "
                          "which bottle does not support yet",
                          cg->path);
    int ret = locate(cg, BT_CGROUP_DEVICES, dir, sizeof(dir), NULL, err);
    if (ret < 0)
        return bt_err_wrap(err, "set device rules of cgroup %s", cg->path);
    for (size_t i = 0; i < count; i++) {
        const struct bt_cgroup_device *rule = &rules[i];
        const char *access = rule->access[0] ? rule->access : "rwm";
        if ((rule->type != 'a' && rule->type != 'b' && rule->type != 'c') ||
            strspn(access, "rwm") != strlen(access))
            return bt_err_msg(err, EINVAL, "device rule %zu: type '%c', access '%s'", i,
                              rule->type ? rule->type : '?', access);
        char major[24], minor[24], line[80];
        format_device_number(major, sizeof(major), rule->type == 'a' ? -1 : rule->major);
        format_device_number(minor, sizeof(minor), rule->type == 'a' ? -1 : rule->minor);
        snprintf(line, sizeof(line), "%c %s:%s %s", rule->type, major, minor, access);
        ret = write_at(dir, rule->allow ? "devices.allow" : "devices.deny", line, err);
        if (ret < 0)
            return bt_err_wrap(err, "set device rules of cgroup %s", cg->path);
    }
    return 0;
}

int bt_cgroup_apply(const struct bt_cgroup *cg, const struct bt_cgroup_resources *r,
                    struct bt_err *err)
{
    int ret = bt_cgroup_set_memory(cg, r->memory_limit, r->memory_swap, err);
    if (ret == 0)
        ret = bt_cgroup_set_cpu(cg, r->cpu_quota_us, r->cpu_period_us, r->cpu_shares, err);
    if (ret == 0)
        ret = bt_cgroup_set_cpuset(cg, r->cpuset_cpus, r->cpuset_mems, err);
    if (ret == 0)
        ret = bt_cgroup_set_pids(cg, r->pids_max, err);
    if (ret == 0)
        ret = bt_cgroup_set_io_weight(cg, r->io_weight, err);
    if (ret == 0)
        ret = bt_cgroup_set_devices(cg, r->devices, r->device_count, err);
    return ret;
}

int bt_cgroup_read(const struct bt_cgroup *cg, enum bt_cgroup_controller controller,
                   const char *file, char *buf, size_t len, struct bt_err *err)
{
    char dir[PATH_MAX];
    int ret = locate(cg, controller, dir, sizeof(dir), NULL, err);
    if (ret < 0)
        return bt_err_wrap(err, "cgroup %s", cg->path);
    ret = read_at(dir, file, buf, len);
    return ret < 0 ? bt_err_sys(err, -ret, "read %s/%s", dir, file) : ret;
}

int bt_cgroup_write(const struct bt_cgroup *cg, enum bt_cgroup_controller controller,
                    const char *file, const char *value, struct bt_err *err)
{
    char dir[PATH_MAX];
    int ret = locate(cg, controller, dir, sizeof(dir), NULL, err);
    return ret < 0 ? bt_err_wrap(err, "cgroup %s", cg->path) : write_at(dir, file, value, err);
}

/* ---- processes ------------------------------------------------------------------------ */

typedef int (*dir_fn)(const char *dir, void *data);

/* Calls FN for DIR and every cgroup below it: parents first, or children first with POST.
 * DIR is a PATH_MAX buffer, extended in place. A missing DIR is an empty tree. */
static int walk_tree(char *dir, bool post, dir_fn fn, void *data, int depth)
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

static int walk_hierarchy(const struct bt_cgroup *cg, const struct bt_cgroup_hierarchy *h,
                          bool post, dir_fn fn, void *data)
{
    char dir[PATH_MAX];
    if (bt_cgroup_dir(cg, h, dir, sizeof(dir)) < 0)
        return -ENAMETOOLONG;
    return walk_tree(dir, post, fn, data, 0);
}

struct pid_visit {
    int (*fn)(pid_t pid, void *data);
    void *data;
};

/* Calls FN for every pid in DIR/cgroup.procs, read in chunks so that any number fits. */
static int read_pids(const char *dir, void *data)
{
    const struct pid_visit *visit = data;
    char path[PATH_MAX], buf[4096];
    if (join_path(path, sizeof(path), dir, "cgroup.procs") < 0)
        return -ENAMETOOLONG;
    cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : -errno;
    size_t have = 0;
    for (;;) {
        ssize_t n = read(fd, buf + have, sizeof(buf) - 1 - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno == ENODEV ? 0 : -errno; /* removed under us */
        have += (size_t)n;
        buf[have] = '\0';
        char *line = buf, *newline;
        while ((newline = strchr(line, '\n')) || (n == 0 && *line)) {
            if (newline)
                *newline = '\0';
            long pid = strtol(line, NULL, 10);
            int ret = pid > 0 ? visit->fn((pid_t)pid, visit->data) : 0;
            if (ret != 0)
                return ret;
            line = newline ? newline + 1 : line + strlen(line);
        }
        if (n == 0)
            return 0;
        have = strlen(line);
        memmove(buf, line, have);
    }
}

static int stop_at_first(pid_t pid, void *data)
{
    (void)pid;
    (void)data;
    return 1;
}

static bool hierarchy_empty(const struct bt_cgroup *cg, const struct bt_cgroup_hierarchy *h)
{
    if (h->unified) {
        char dir[PATH_MAX];
        uint64_t populated;
        if (bt_cgroup_dir(cg, h, dir, sizeof(dir)) < 0)
            return false;
        int ret = read_key(dir, "cgroup.events", "populated", &populated);
        if (ret == 0 || ret == -ENOENT)
            return ret == -ENOENT || populated == 0;
    }
    struct pid_visit visit = {stop_at_first, NULL};
    return walk_hierarchy(cg, h, false, read_pids, &visit) == 0;
}

bool bt_cgroup_is_empty(const struct bt_cgroup *cg)
{
    for (int i = 0; i < cg->layout.count; i++) {
        if (!hierarchy_empty(cg, &cg->layout.hierarchies[i]))
            return false;
    }
    return true;
}

/* Opens cgroup.events of the unified hierarchy, whose poll(2) reports POLLPRI on change. */
static int open_events(const struct bt_cgroup *cg)
{
    const struct bt_cgroup_hierarchy *h = bt_cgroup_layout_unified(&cg->layout);
    char dir[PATH_MAX], path[PATH_MAX];
    if (!h || bt_cgroup_dir(cg, h, dir, sizeof(dir)) < 0 ||
        join_path(path, sizeof(path), dir, "cgroup.events") < 0)
        return -1;
    return open(path, O_RDONLY | O_CLOEXEC);
}

/* Reads the whole of an events fd again: kernfs re-arms POLLPRI on read. */
static int reread(int fd, char *buf, size_t len)
{
    if (lseek(fd, 0, SEEK_SET) < 0)
        return -errno;
    ssize_t n = read(fd, buf, len - 1);
    if (n < 0)
        return -errno;
    buf[n] = '\0';
    return (int)n;
}

int bt_cgroup_wait_empty(const struct bt_cgroup *cg, int timeout_ms, struct bt_err *err)
{
    int64_t deadline = now_ms() + (timeout_ms < 0 ? 0 : timeout_ms);
    cleanup_close int fd = open_events(cg);
    int delay = 1;
    for (;;) {
        char buf[256];
        if (fd >= 0)
            reread(fd, buf, sizeof(buf));
        if (bt_cgroup_is_empty(cg))
            return 0;
        int64_t left = timeout_ms < 0 ? 1000 : deadline - now_ms();
        if (left <= 0)
            return bt_err_msg(err, ETIMEDOUT, "cgroup %s still has processes after %d ms", cg->path,
                              timeout_ms);
        if (fd >= 0) {
            /* The cap covers v1 hierarchies of a hybrid host, which give no event. */
            struct pollfd pfd = {.fd = fd, .events = POLLPRI};
            poll(&pfd, 1, (int)(left < 50 ? left : 50));
        } else {
            sleep_ms((int)(left < delay ? left : delay));
            delay = delay * 2 > 20 ? 20 : delay * 2;
        }
    }
}

static int call_fn(pid_t pid, void *data)
{
    const struct pid_visit *visit = data;
    return visit->fn(pid, visit->data);
}

/* The hierarchy whose membership stands for the cgroup's. */
static const struct bt_cgroup_hierarchy *primary(const struct bt_cgroup *cg)
{
    const struct bt_cgroup_hierarchy *h = bt_cgroup_layout_unified(&cg->layout);
    if (!h)
        h = bt_cgroup_layout_find(&cg->layout, BT_CGROUP_FREEZER);
    return h ? h : &cg->layout.hierarchies[0];
}

int bt_cgroup_for_each_pid(const struct bt_cgroup *cg, int (*fn)(pid_t pid, void *data), void *data,
                           struct bt_err *err)
{
    struct pid_visit inner = {fn, data};
    struct pid_visit visit = {call_fn, &inner};
    int ret = walk_hierarchy(cg, primary(cg), false, read_pids, &visit);
    return ret < 0 ? bt_err_sys(err, -ret, "list processes of cgroup %s", cg->path) : ret;
}

struct signal_job {
    int sig;
    int count;
};

static int send_signal(pid_t pid, void *data)
{
    struct signal_job *job = data;
    /* Never the caller, should it be a member by mistake. */
    if (pid != getpid() && kill(pid, job->sig) == 0)
        job->count++;
    return 0;
}

/* Signals every pid of every hierarchy (a process joined to some hierarchies only is found
 * too; a second signal to the same process is harmless). */
static int signal_everywhere(const struct bt_cgroup *cg, int sig)
{
    struct signal_job job = {sig, 0};
    struct pid_visit visit = {send_signal, &job};
    for (int i = 0; i < cg->layout.count; i++)
        walk_hierarchy(cg, &cg->layout.hierarchies[i], false, read_pids, &visit);
    return job.count;
}

int bt_cgroup_signal(const struct bt_cgroup *cg, int sig, struct bt_err *err)
{
    struct signal_job job = {sig, 0};
    struct pid_visit visit = {send_signal, &job};
    int ret = walk_hierarchy(cg, primary(cg), false, read_pids, &visit);
    return ret < 0 ? bt_err_sys(err, -ret, "signal processes of cgroup %s", cg->path) : job.count;
}

/* ---- freezer -------------------------------------------------------------------------- */

/* Waits for "KEY WANT" in DIR/cgroup.events. Returns 0, -ETIMEDOUT or -errno. */
static int wait_event_value(const char *dir, const char *key, uint64_t want, int timeout_ms)
{
    char path[PATH_MAX], buf[256];
    if (join_path(path, sizeof(path), dir, "cgroup.events") < 0)
        return -ENAMETOOLONG;
    cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int64_t deadline = now_ms() + timeout_ms;
    for (;;) {
        uint64_t value;
        int ret = reread(fd, buf, sizeof(buf));
        if (ret < 0)
            return ret;
        if (find_key(buf, key, &value) == 0 && value == want)
            return 0;
        int64_t left = deadline - now_ms();
        if (left <= 0)
            return -ETIMEDOUT;
        struct pollfd pfd = {.fd = fd, .events = POLLPRI};
        poll(&pfd, 1, (int)(left < 100 ? left : 100));
    }
}

/* The v2 core freezer's directory when the unified hierarchy is used and has one (>= 5.2). */
static bool v2_freezer(const struct bt_cgroup *cg, char *dir, size_t len)
{
    const struct bt_cgroup_hierarchy *h = bt_cgroup_layout_unified(&cg->layout);
    return h && bt_cgroup_dir(cg, h, dir, len) == 0 && file_exists(dir, "cgroup.freeze");
}

static bool v1_freezer(const struct bt_cgroup *cg, char *dir, size_t len)
{
    const struct bt_cgroup_hierarchy *h = bt_cgroup_layout_find(&cg->layout, BT_CGROUP_FREEZER);
    return h && !h->unified && bt_cgroup_dir(cg, h, dir, len) == 0;
}

static int freeze_v1(const char *dir, struct bt_err *err)
{
    int64_t deadline = now_ms() + BT_CGROUP_FREEZE_TIMEOUT_MS;
    char state[32] = "";
    for (int i = 0;; i++) {
        /* A freeze can stall in FREEZING (a task in vfork, or forking while the freezer walks
         * the cgroup): thawing and freezing again gets it going, as runc does. */
        if (i % 50 == 49) {
            write_at(dir, "freezer.state", "THAWED", NULL);
            sleep_ms(1);
        }
        int ret = write_at(dir, "freezer.state", "FROZEN", err);
        if (ret < 0)
            return ret;
        ret = read_at(dir, "freezer.state", state, sizeof(state));
        if (ret < 0)
            return bt_err_sys(err, -ret, "read %s/freezer.state", dir);
        if (strcmp(state, "FROZEN") == 0)
            return 0;
        if (now_ms() >= deadline)
            break;
        sleep_ms(i < 10 ? 1 : 10);
    }
    write_at(dir, "freezer.state", "THAWED", NULL);
    return bt_err_msg(err, EBUSY, "%s/freezer.state still %s after %d ms", dir, state,
                      BT_CGROUP_FREEZE_TIMEOUT_MS);
}

static int freeze_v2(const char *dir, struct bt_err *err)
{
    int ret = write_at(dir, "cgroup.freeze", "1", err);
    if (ret < 0)
        return ret;
    ret = wait_event_value(dir, "frozen", 1, BT_CGROUP_FREEZE_TIMEOUT_MS);
    if (ret == 0)
        return 0;
    write_at(dir, "cgroup.freeze", "0", NULL);
    if (ret == -ETIMEDOUT)
        return bt_err_msg(err, EBUSY, "%s: not frozen after %d ms", dir,
                          BT_CGROUP_FREEZE_TIMEOUT_MS);
    return bt_err_sys(err, -ret, "read %s/cgroup.events", dir);
}

/* PREFER_V1 picks the v1 freezer when both exist (the kill sweep: v1 membership). */
static int freeze(const struct bt_cgroup *cg, bool prefer_v1, struct bt_err *err)
{
    char dir[PATH_MAX];
    if (prefer_v1 && v1_freezer(cg, dir, sizeof(dir)))
        return freeze_v1(dir, err);
    if (v2_freezer(cg, dir, sizeof(dir)))
        return freeze_v2(dir, err);
    if (v1_freezer(cg, dir, sizeof(dir)))
        return freeze_v1(dir, err);
    return bt_err_msg(err, ENOTSUP, "cgroup %s: no freezer (no v1 freezer mount, no cgroup2)",
                      cg->path);
}

int bt_cgroup_freeze(const struct bt_cgroup *cg, struct bt_err *err)
{
    int ret = freeze(cg, false, err);
    return ret < 0 ? bt_err_wrap(err, "freeze cgroup %s", cg->path) : 0;
}

/* Writes a thaw; a cgroup that is gone (or never had the file) needs none. */
static int thaw_dir(const char *dir, const char *file, const char *value, struct bt_err *err)
{
    int ret = write_at(dir, file, value, NULL);
    if (ret == -ENOENT)
        return 0;
    return ret < 0 ? bt_err_sys(err, -ret, "write %s to %s/%s", value, dir, file) : 0;
}

static int thaw_v1_dir(const char *dir, void *data)
{
    return thaw_dir(dir, "freezer.state", "THAWED", data);
}

static int thaw_v2_dir(const char *dir, void *data)
{
    return thaw_dir(dir, "cgroup.freeze", "0", data);
}

int bt_cgroup_thaw(const struct bt_cgroup *cg, struct bt_err *err)
{
    /* Every freezer and every descendant: a cgroup frozen by itself stays frozen when only its
     * parent is thawed, and on v1 a SIGKILLed task only dies once thawed. */
    int ret = 0;
    for (int i = 0; i < cg->layout.count && ret == 0; i++) {
        const struct bt_cgroup_hierarchy *h = &cg->layout.hierarchies[i];
        if (h->unified)
            ret = walk_hierarchy(cg, h, false, thaw_v2_dir, err);
        else if (h->controllers & BT_CGROUP_BIT(BT_CGROUP_FREEZER))
            ret = walk_hierarchy(cg, h, false, thaw_v1_dir, err);
    }
    char dir[PATH_MAX];
    if (ret == 0 && v2_freezer(cg, dir, sizeof(dir)))
        wait_event_value(dir, "frozen", 0, 1000);
    return ret < 0 ? bt_err_wrap(err, "thaw cgroup %s", cg->path) : 0;
}

bool bt_cgroup_is_frozen(const struct bt_cgroup *cg)
{
    char dir[PATH_MAX], text[32];
    uint64_t frozen;
    if (v1_freezer(cg, dir, sizeof(dir)) && read_at(dir, "freezer.state", text, sizeof(text)) > 0 &&
        strcmp(text, "THAWED") != 0)
        return true;
    if (v2_freezer(cg, dir, sizeof(dir))) {
        if (read_at(dir, "cgroup.freeze", text, sizeof(text)) > 0 && strcmp(text, "1") == 0)
            return true;
        if (read_key(dir, "cgroup.events", "frozen", &frozen) == 0 && frozen)
            return true;
    }
    return false;
}

/* ---- kill ----------------------------------------------------------------------------- */

static int count_pid(pid_t pid, void *data)
{
    (void)pid;
    (*(int *)data)++;
    return 0;
}

int bt_cgroup_kill(const struct bt_cgroup *cg, struct bt_err *err)
{
    const struct bt_cgroup_hierarchy *u = bt_cgroup_layout_unified(&cg->layout);
    char dir[PATH_MAX];
    if (u && bt_cgroup_dir(cg, u, dir, sizeof(dir)) == 0 && file_exists(dir, "cgroup.kill")) {
        /* Linux >= 5.14: the kernel kills the whole subtree, forks included, frozen or not. */
        int ret = write_at(dir, "cgroup.kill", "1", NULL);
        if (ret < 0 && ret != -ENOENT) /* ENOENT: removed meanwhile */
            return bt_err_sys(err, -ret, "kill cgroup %s: write 1 to %s/cgroup.kill", cg->path,
                              dir);
        /* The v2 freezer lets SIGKILL through; thaw anyway so that the cgroup can be reused
         * (a restart into a cgroup left frozen would freeze the new init at once). */
        if (ret == 0 && bt_cgroup_is_frozen(cg))
            bt_cgroup_thaw(cg, NULL);
        if (ret == 0 && cg->layout.mode == BT_CGROUP_MODE_UNIFIED)
            return 0;
        /* Hybrid: a process that joined only v1 hierarchies would survive; those the kernel
         * just killed leave within milliseconds. */
        if (ret == 0 && bt_cgroup_wait_empty(cg, 1000, NULL) == 0)
            return 0;
    }

    int64_t deadline = now_ms() + KILL_TIMEOUT_MS;
    bool v1 = cg->layout.mode != BT_CGROUP_MODE_UNIFIED, try_freeze = true;
    for (int round = 0; now_ms() < deadline; round++) {
        if (bt_cgroup_is_empty(cg))
            return 0;
        /* Frozen, nothing can fork or exit, so the pids read are exactly the members and none
         * is recycled before it gets its SIGKILL (which v1 delivers at the thaw). A freeze
         * that failed once (a task stuck in the kernel) is not waited for again. */
        struct bt_err freeze_err = {0};
        bool frozen = try_freeze && freeze(cg, v1, &freeze_err) == 0;
        if (!frozen && try_freeze)
            bt_log_debug("cgroup: kill without freezing: %s", freeze_err.msg);
        try_freeze = frozen;
        int count = signal_everywhere(cg, SIGKILL);
        bt_cgroup_thaw(cg, NULL);
        bt_log_debug("cgroup %s: kill round %d: %d processes%s", cg->path, round, count,
                     frozen ? " (frozen)" : "");
        if (frozen)
            return 0;
        bt_cgroup_wait_empty(cg, round < 10 ? 10 * (round + 1) : 100, NULL);
    }
    int left = 0;
    bt_cgroup_for_each_pid(cg, count_pid, &left, NULL);
    if (left == 0 && bt_cgroup_is_empty(cg))
        return 0;
    return bt_err_msg(err, EBUSY,
                      "kill cgroup %s: %d processes still there after %d ms of SIGKILL (stuck "
                      "in the kernel, or forking with no freezer to stop them)",
                      cg->path, left, KILL_TIMEOUT_MS);
}

/* ---- OOM and stats -------------------------------------------------------------------- */

int bt_cgroup_oom_fd(const struct bt_cgroup *cg, struct bt_err *err)
{
    char dir[PATH_MAX], path[PATH_MAX];
    bool unified;
    int ret = locate(cg, BT_CGROUP_MEMORY, dir, sizeof(dir), &unified, err);
    if (ret < 0)
        return bt_err_wrap(err, "cgroup %s", cg->path);
    if (unified) {
        if (join_path(path, sizeof(path), dir, "memory.events") < 0)
            return bt_err_msg(err, ENAMETOOLONG, "cgroup path too long: %s", cg->path);
        cleanup_close int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (fd < 0)
            return bt_err_sys(err, errno, "inotify_init1");
        if (inotify_add_watch(fd, path, IN_MODIFY) < 0)
            return bt_err_sys(err, errno, "inotify_add_watch %s", path);
        return bt_take_fd(&fd);
    }
    if (join_path(path, sizeof(path), dir, "memory.oom_control") < 0)
        return bt_err_msg(err, ENAMETOOLONG, "cgroup path too long: %s", cg->path);
    cleanup_close int control = open(path, O_RDONLY | O_CLOEXEC);
    if (control < 0)
        return bt_err_sys(err, errno, "open %s", path);
    cleanup_close int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd < 0)
        return bt_err_sys(err, errno, "eventfd");
    /* The kernel keeps its own reference to the control file; ours can go. */
    char line[64];
    snprintf(line, sizeof(line), "%d %d", fd, control);
    ret = write_at(dir, "cgroup.event_control", line, err);
    if (ret < 0)
        return bt_err_wrap(err, "register OOM notification of cgroup %s", cg->path);
    return bt_take_fd(&fd);
}

int bt_cgroup_oom_drain(int fd)
{
    int count = 0;
    for (;;) {
        char buf[4096] __attribute__((aligned(8)));
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno == EAGAIN ? count : -errno;
        if (n == 0)
            return count;
        if (n == sizeof(uint64_t)) { /* eventfd: the number of events */
            uint64_t value;
            memcpy(&value, buf, sizeof(value));
            count += (int)value;
            continue;
        }
        for (ssize_t off = 0; off + (ssize_t)sizeof(struct inotify_event) <= n;) {
            struct inotify_event event;
            memcpy(&event, buf + off, sizeof(event));
            off += (ssize_t)(sizeof(event) + event.len);
            count++;
        }
    }
}

int bt_cgroup_oom_kills(const struct bt_cgroup *cg, uint64_t *count, struct bt_err *err)
{
    char dir[PATH_MAX];
    bool unified;
    int ret = locate(cg, BT_CGROUP_MEMORY, dir, sizeof(dir), &unified, err);
    if (ret < 0)
        return bt_err_wrap(err, "cgroup %s", cg->path);
    const char *file = unified ? "memory.events" : "memory.oom_control";
    ret = read_key(dir, file, "oom_kill", count);
    if (ret == -ENODATA)
        return bt_err_msg(err, ENOTSUP, "%s/%s has no oom_kill count (Linux < 4.13)", dir, file);
    return ret < 0 ? bt_err_sys(err, -ret, "read %s/%s", dir, file) : 0;
}

int bt_cgroup_stats(const struct bt_cgroup *cg, struct bt_cgroup_stats *stats, struct bt_err *err)
{
    stats->memory_usage = stats->memory_limit = stats->cpu_usage_ns = BT_CGROUP_STAT_NONE;
    stats->pids_current = stats->oom_kills = BT_CGROUP_STAT_NONE;
    if (!bt_cgroup_exists(cg))
        return bt_err_msg(err, ENOENT, "cgroup %s does not exist", cg->path);
    char dir[PATH_MAX];
    bool unified;
    if (locate(cg, BT_CGROUP_MEMORY, dir, sizeof(dir), &unified, NULL) == 0) {
        read_u64(dir, unified ? "memory.current" : "memory.usage_in_bytes", &stats->memory_usage);
        read_u64(dir, unified ? "memory.max" : "memory.limit_in_bytes", &stats->memory_limit);
        /* v1 reports "unlimited" as the largest page-aligned value. */
        if (stats->memory_limit >= (UINT64_MAX >> 2))
            stats->memory_limit = BT_CGROUP_STAT_NONE;
        bt_cgroup_oom_kills(cg, &stats->oom_kills, NULL);
    }
    const struct bt_cgroup_hierarchy *h = bt_cgroup_layout_find(&cg->layout, BT_CGROUP_CPUACCT);
    if (h && bt_cgroup_dir(cg, h, dir, sizeof(dir)) == 0) {
        read_u64(dir, "cpuacct.usage", &stats->cpu_usage_ns);
    } else if ((h = bt_cgroup_layout_unified(&cg->layout)) &&
               bt_cgroup_dir(cg, h, dir, sizeof(dir)) == 0) {
        uint64_t usec; /* core cpu.stat: there with or without the cpu controller */
        if (read_key(dir, "cpu.stat", "usage_usec", &usec) == 0)
            stats->cpu_usage_ns = usec * 1000;
    }
    if (locate(cg, BT_CGROUP_PIDS, dir, sizeof(dir), NULL, NULL) == 0)
        read_u64(dir, "pids.current", &stats->pids_current);
    return 0;
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
    int64_t deadline = now_ms() + (timeout_ms < 0 ? 0 : timeout_ms);
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
        while ((ret = walk_hierarchy(cg, &cg->layout.hierarchies[i], true, remove_dir, failed)) ==
                   -EBUSY &&
               (timeout_ms < 0 || now_ms() < deadline))
            sleep_ms(5);
        if (ret < 0)
            return bt_err_sys(err, -ret, "remove cgroup %s: rmdir %s", cg->path,
                              failed[0] ? failed : cg->layout.hierarchies[i].mount);
    }
    return 0;
}
