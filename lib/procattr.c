/* Process attributes: see procattr.h. Runs between fork and exec: no malloc and no stdio here
 * (snprintf into stack buffers only), and the passwd/group reader uses one stack buffer. */
#include "procattr.h"
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* ---- rlimits ---- */

static const struct {
    int resource;
    const char *name;
} rlimit_names[] = {
    {RLIMIT_AS, "RLIMIT_AS"},
    {RLIMIT_CORE, "RLIMIT_CORE"},
    {RLIMIT_CPU, "RLIMIT_CPU"},
    {RLIMIT_DATA, "RLIMIT_DATA"},
    {RLIMIT_FSIZE, "RLIMIT_FSIZE"},
    {RLIMIT_LOCKS, "RLIMIT_LOCKS"},
    {RLIMIT_MEMLOCK, "RLIMIT_MEMLOCK"},
    {RLIMIT_MSGQUEUE, "RLIMIT_MSGQUEUE"},
    {RLIMIT_NICE, "RLIMIT_NICE"},
    {RLIMIT_NOFILE, "RLIMIT_NOFILE"},
    {RLIMIT_NPROC, "RLIMIT_NPROC"},
    {RLIMIT_RSS, "RLIMIT_RSS"},
    {RLIMIT_RTPRIO, "RLIMIT_RTPRIO"},
    {RLIMIT_RTTIME, "RLIMIT_RTTIME"},
    {RLIMIT_SIGPENDING, "RLIMIT_SIGPENDING"},
    {RLIMIT_STACK, "RLIMIT_STACK"},
};

#define RLIMIT_PREFIX     "RLIMIT_"
#define RLIMIT_PREFIX_LEN (sizeof(RLIMIT_PREFIX) - 1)

int bt_procattr_rlimit_from_name(const char *name, struct bt_err *err)
{
    const char *bare =
        strncasecmp(name, RLIMIT_PREFIX, RLIMIT_PREFIX_LEN) == 0 ? name + RLIMIT_PREFIX_LEN : name;
    for (size_t i = 0; i < sizeof(rlimit_names) / sizeof(rlimit_names[0]); i++)
        if (strcasecmp(rlimit_names[i].name + RLIMIT_PREFIX_LEN, bare) == 0)
            return rlimit_names[i].resource;
    return bt_err_msg(err, EINVAL, "unknown rlimit '%s'", name);
}

const char *bt_procattr_rlimit_name(int resource)
{
    for (size_t i = 0; i < sizeof(rlimit_names) / sizeof(rlimit_names[0]); i++)
        if (rlimit_names[i].resource == resource)
            return rlimit_names[i].name;
    return NULL;
}

/* "unlimited" or the decimal value, into BUF. */
static const char *format_limit(rlim_t value, char *buf, size_t len)
{
    if (value == RLIM_INFINITY)
        snprintf(buf, len, "unlimited");
    else
        snprintf(buf, len, "%llu", (unsigned long long)value);
    return buf;
}

/* A whole decimal number, "unlimited" or "-1". Returns 0 or -EINVAL. */
static int parse_limit(const char *text, size_t len, rlim_t *value)
{
    if ((len == 9 && strncasecmp(text, "unlimited", 9) == 0) ||
        (len == 2 && strncmp(text, "-1", 2) == 0)) {
        *value = RLIM_INFINITY;
        return 0;
    }
    if (len == 0 || len > 20)
        return -EINVAL;
    unsigned long long result = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] < '0' || text[i] > '9')
            return -EINVAL;
        unsigned digit = (unsigned)(text[i] - '0');
        if (result > (ULLONG_MAX - digit) / 10)
            return -EINVAL;
        result = result * 10 + digit;
    }
    if ((rlim_t)result == RLIM_INFINITY)
        return -EINVAL;
    *value = (rlim_t)result;
    return 0;
}

int bt_procattr_parse_ulimit(const char *arg, struct bt_rlimit *limit, struct bt_err *err)
{
    const char *equals = strchr(arg, '=');
    if (!equals)
        return bt_err_msg(err, EINVAL, "invalid ulimit argument: %s", arg);
    char name[32];
    size_t name_len = (size_t)(equals - arg);
    if (name_len == 0 || name_len >= sizeof(name))
        return bt_err_msg(err, EINVAL, "invalid ulimit type: %.*s", (int)name_len, arg);
    memcpy(name, arg, name_len);
    name[name_len] = '\0';
    int resource = bt_procattr_rlimit_from_name(name, NULL);
    if (resource < 0)
        return bt_err_msg(err, EINVAL, "invalid ulimit type: %s", name);

    const char *soft_text = equals + 1;
    const char *colon = strchr(soft_text, ':');
    size_t soft_len = colon ? (size_t)(colon - soft_text) : strlen(soft_text);
    rlim_t soft, hard;
    if (parse_limit(soft_text, soft_len, &soft) < 0)
        return bt_err_msg(err, EINVAL, "invalid ulimit value in %s", arg);
    if (!colon)
        hard = soft;
    else if (parse_limit(colon + 1, strlen(colon + 1), &hard) < 0)
        return bt_err_msg(err, EINVAL, "invalid ulimit value in %s", arg);
    if (soft > hard) {
        char soft_buf[24], hard_buf[24];
        return bt_err_msg(err, EINVAL,
                          "ulimit soft limit must be less than or equal to hard limit: %s > %s",
                          format_limit(soft, soft_buf, sizeof(soft_buf)),
                          format_limit(hard, hard_buf, sizeof(hard_buf)));
    }
    limit->resource = resource;
    limit->soft = soft;
    limit->hard = hard;
    return 0;
}

/* Reads a small decimal file such as /proc/sys/fs/nr_open. Returns 0 or -errno. */
static int read_long(const char *path, long *value)
{
    char buf[32];
    int n = bt_proc_read_file(path, 0, buf, sizeof(buf));
    if (n <= 0)
        return n < 0 ? n : -EINVAL;
    char *end;
    errno = 0;
    *value = strtol(buf, &end, 10);
    if (errno || end == buf)
        return -EINVAL;
    return 0;
}

/* True when CAP_SYS_RESOURCE is in the caller's effective set. A raw capget(2) rather than
 * lib/caps, so that this module stands alone (its unit test links it without caps.o). */
static bool have_sys_resource(void)
{
    struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof(data));
    return syscall(SYS_capget, &header, data) == 0 &&
           (data[CAP_TO_INDEX(CAP_SYS_RESOURCE)].effective & CAP_TO_MASK(CAP_SYS_RESOURCE));
}

/* Why the kernel may refuse: a hint for the end of the message. */
static const char *sys_resource_hint(void)
{
    /* The kernel checks capable(CAP_SYS_RESOURCE), that is in the initial user namespace. */
    return have_sys_resource() ? "CAP_SYS_RESOURCE is needed in the initial user namespace"
                               : "CAP_SYS_RESOURCE missing";
}

static int set_rlimit(pid_t pid, const struct bt_rlimit *limit, struct bt_err *err)
{
    char number[24];
    const char *name = bt_procattr_rlimit_name(limit->resource);
    if (!name) {
        snprintf(number, sizeof(number), "%d", limit->resource);
        return bt_err_msg(err, EINVAL, "unknown rlimit resource %s", number);
    }
    char soft_buf[24], hard_buf[24], old_buf[24];
    format_limit(limit->soft, soft_buf, sizeof(soft_buf));
    format_limit(limit->hard, hard_buf, sizeof(hard_buf));
    if (limit->soft > limit->hard)
        return bt_err_msg(err, EINVAL, "invalid %s: soft limit %s is above the hard limit %s", name,
                          soft_buf, hard_buf);

    struct rlimit old, wanted = {.rlim_cur = limit->soft, .rlim_max = limit->hard};
    if (prlimit(pid, limit->resource, NULL, &old) < 0)
        return bt_err_sys(err, errno, "cannot read %s", name);
    if (prlimit(pid, limit->resource, &wanted, NULL) == 0)
        return 0;
    int saved = errno;
    format_limit(old.rlim_max, old_buf, sizeof(old_buf));
    long nr_open;
    /* The kernel refuses NOFILE above fs.nr_open with EPERM too, whatever the capabilities. */
    if (saved == EPERM && limit->resource == RLIMIT_NOFILE &&
        read_long("/proc/sys/fs/nr_open", &nr_open) == 0 && nr_open >= 0 &&
        limit->hard != RLIM_INFINITY && limit->hard > (rlim_t)nr_open)
        return bt_err_sys(err, saved, "cannot set %s hard limit to %s: above fs.nr_open (%ld)",
                          name, hard_buf, nr_open);
    if (saved == EPERM && limit->resource == RLIMIT_NOFILE && limit->hard == RLIM_INFINITY)
        return bt_err_sys(err, saved, "cannot set %s hard limit to unlimited: above fs.nr_open",
                          name);
    if (saved == EPERM && limit->hard > old.rlim_max)
        return bt_err_msg(err, saved, "cannot raise %s hard limit to %s (current %s): %s (%s)",
                          name, hard_buf, old_buf, strerror(saved), sys_resource_hint());
    return bt_err_sys(err, saved, "cannot set %s to %s:%s (current hard limit %s)", name, soft_buf,
                      hard_buf, old_buf);
}

int bt_procattr_set_rlimits(pid_t pid, const struct bt_rlimit *limits, size_t count,
                            struct bt_err *err)
{
    for (size_t i = 0; i < count; i++) {
        int ret = set_rlimit(pid, &limits[i], err);
        if (ret < 0)
            return ret;
    }
    return 0;
}

/* ---- oom_score_adj, no_new_privs, umask ---- */

static void oom_path(pid_t pid, char *buf, size_t len)
{
    if (pid)
        snprintf(buf, len, "/proc/%d/oom_score_adj", (int)pid);
    else
        snprintf(buf, len, "/proc/self/oom_score_adj");
}

int bt_procattr_get_oom_score_adj(pid_t pid, int *value)
{
    char path[64];
    long result;
    oom_path(pid, path, sizeof(path));
    int ret = read_long(path, &result);
    if (ret == 0)
        *value = (int)result;
    return ret;
}

int bt_procattr_set_oom_score_adj(pid_t pid, int value, struct bt_err *err)
{
    if (value < -1000 || value > 1000)
        return bt_err_msg(err, EINVAL, "oom_score_adj %d is out of range (-1000..1000)", value);
    char path[64], text[16];
    oom_path(pid, path, sizeof(path));
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return bt_err_sys(err, errno, "open %s", path);
    int len = snprintf(text, sizeof(text), "%d", value);
    ssize_t written = write(fd, text, (size_t)len);
    int saved = errno;
    close(fd);
    if (written == len)
        return 0;
    if (written >= 0)
        saved = EIO;
    int current;
    if (bt_procattr_get_oom_score_adj(pid, &current) < 0)
        return bt_err_sys(err, saved, "cannot set oom_score_adj to %d", value);
    /* The kernel answers EACCES below the lowest value a CAP_SYS_RESOURCE holder has set
     * (signal->oom_score_adj_min, 0 unless set), not below the current value. */
    if (saved == EACCES)
        return bt_err_msg(err, saved, "cannot lower oom_score_adj to %d (current %d): %s (%s)",
                          value, current, strerror(saved), sys_resource_hint());
    return bt_err_sys(err, saved, "cannot set oom_score_adj to %d (current %d)", value, current);
}

int bt_procattr_set_no_new_privs(struct bt_err *err)
{
    if (prctl(PR_SET_NO_NEW_PRIVS, 1UL, 0UL, 0UL, 0UL) < 0)
        return bt_err_sys(err, errno, "prctl(PR_SET_NO_NEW_PRIVS)");
    return 0;
}

int bt_procattr_set_umask(mode_t mask, struct bt_err *err)
{
    if (mask & ~(mode_t)0777)
        return bt_err_msg(err, EINVAL, "umask 0%o is not within 0777", (unsigned)mask);
    umask(mask);
    return 0;
}

/* ---- user ---- */

/* True when this user namespace forbids setgroups(2) (/proc/self/setgroups is "deny"). */
static bool setgroups_denied(void)
{
    char buf[16];
    int fd = open("/proc/self/setgroups", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    return n >= 4 && strncmp(buf, "deny", 4) == 0;
}

int bt_procattr_set_user(const struct bt_user *user, struct bt_err *err)
{
    if (user->group_count > BT_USER_GROUPS_MAX)
        return bt_err_msg(err, EINVAL, "%zu additional groups: at most %d", user->group_count,
                          BT_USER_GROUPS_MAX);
    if (setgroups(user->group_count, user->group_count ? user->groups : NULL) < 0) {
        int saved = errno;
        if (!(saved == EPERM && user->group_count == 0 && setgroups_denied()))
            return bt_err_sys(err, saved, "setgroups (%zu additional groups)", user->group_count);
    }
    if (setresgid(user->gid, user->gid, user->gid) < 0)
        return bt_err_sys(err, errno, "setresgid(%u)", (unsigned)user->gid);
    if (setresuid(user->uid, user->uid, user->uid) < 0)
        return bt_err_sys(err, errno, "setresuid(%u)", (unsigned)user->uid);
    return 0;
}

/* runc's limit for ids: they must fit a signed 32-bit int. */
#define ID_MAX 2147483647UL

/* Parses a whole decimal id. Returns 1 for a number, 0 for anything else, -ERANGE for a
 * number above ID_MAX. */
static int parse_id(const char *text, size_t len, unsigned long *id)
{
    if (len == 0)
        return 0;
    unsigned long value = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] < '0' || text[i] > '9')
            return 0;
        value = value * 10 + (unsigned long)(text[i] - '0');
        if (value > ID_MAX)
            return -ERANGE;
    }
    *id = value;
    return 1;
}

/* Opens PATH ("etc/passwd") below ROOTFD without ever leaving it. Returns an fd or -errno. */
static int open_in_root(int rootfd, const char *dir, const char *base)
{
    char path[64];
    snprintf(path, sizeof(path), "%s/%s", dir, base);
    /* O_NONBLOCK: a FIFO planted at etc/passwd must not hang us; it is refused below. */
    int flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
    struct open_how how = {
        .flags = (uint64_t)flags,
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
    };
    int fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
    if (fd < 0 && errno == ENOSYS) {
        /* Linux < 5.6: refuse every symlink on the way instead of resolving it in the root. */
        int dirfd = openat(rootfd, dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dirfd < 0)
            return -errno;
        fd = openat(dirfd, base, flags | O_NOFOLLOW);
        int saved = errno;
        close(dirfd);
        errno = saved;
    }
    if (fd < 0)
        return -errno;
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return -EINVAL;
    }
    return fd;
}

/* Reads lines of a colon-separated file with one caller-owned buffer, no allocation. */
struct line_reader {
    int fd;
    char *buf;
    size_t size, start, end;
    bool eof;
};

/* Sets *LINE to the next line without its newline, NUL-terminated. Returns 1, 0 at the end, or
 * -EFBIG for a line longer than the buffer, -errno for a read error. */
static int next_line(struct line_reader *reader, char **line)
{
    for (;;) {
        char *newline = memchr(reader->buf + reader->start, '\n', reader->end - reader->start);
        if (newline || (reader->eof && reader->start < reader->end)) {
            char *end = newline ? newline : reader->buf + reader->end;
            *end = '\0';
            *line = reader->buf + reader->start;
            reader->start = newline ? (size_t)(newline - reader->buf) + 1 : reader->end;
            return 1;
        }
        if (reader->eof)
            return 0;
        if (reader->start > 0) {
            memmove(reader->buf, reader->buf + reader->start, reader->end - reader->start);
            reader->end -= reader->start;
            reader->start = 0;
        }
        /* Keep one byte for the NUL of a last line without a newline. */
        if (reader->end + 1 >= reader->size)
            return -EFBIG;
        ssize_t n = read(reader->fd, reader->buf + reader->end, reader->size - 1 - reader->end);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            reader->eof = true;
        reader->end += (size_t)n;
    }
}

/* Splits LINE at ':' into at most MAX fields. Returns the number of fields. */
static size_t split_fields(char *line, char **fields, size_t max)
{
    size_t count = 0;
    while (count < max) {
        fields[count++] = line;
        char *colon = strchr(line, ':');
        if (!colon)
            break;
        *colon = '\0';
        line = colon + 1;
    }
    return count;
}

/* True when the comma-separated LIST holds NAME. */
static bool list_has(const char *list, const char *name)
{
    size_t len = strlen(name);
    for (const char *p = list; *p;) {
        const char *comma = strchr(p, ',');
        size_t item = comma ? (size_t)(comma - p) : strlen(p);
        if (item == len && strncmp(p, name, len) == 0)
            return true;
        if (!comma)
            break;
        p = comma + 1;
    }
    return false;
}

#define LINE_MAX_BYTES 65536

struct lookup {
    const char *user_arg;
    unsigned long uid_arg;
    int uid_numeric;
    const char *group_arg;
    unsigned long gid_arg;
    int gid_numeric;
    char matched_name[256];
    bool group_found;
};

/* Opens etc/FILE in the root: -ENOENT means "empty file". */
static int open_db(int rootfd, const char *file, struct bt_err *err)
{
    int fd = open_in_root(rootfd, "etc", file);
    if (fd == -ENOENT)
        return fd;
    if (fd == -EINVAL)
        return bt_err_msg(err, EINVAL, "/etc/%s in the container is not a regular file", file);
    if (fd < 0)
        return bt_err_sys(err, -fd, "cannot open /etc/%s in the container", file);
    return fd;
}

static int scan_passwd(int rootfd, struct lookup *lookup, struct bt_user *user, char *buf,
                       struct bt_err *err)
{
    int fd = open_db(rootfd, "passwd", err);
    if (fd == -ENOENT)
        return 0;
    if (fd < 0)
        return fd;
    struct line_reader reader = {.fd = fd, .buf = buf, .size = LINE_MAX_BYTES};
    char *line;
    int ret;
    while ((ret = next_line(&reader, &line)) > 0) {
        char *fields[7];
        unsigned long uid, gid;
        /* name:password:uid:gid:gecos:home:shell; malformed lines are skipped, never read as
         * uid 0. */
        if (split_fields(line, fields, 7) < 4 ||
            parse_id(fields[2], strlen(fields[2]), &uid) != 1 ||
            parse_id(fields[3], strlen(fields[3]), &gid) != 1)
            continue;
        bool match;
        if (!*lookup->user_arg)
            match = uid == 0;
        else if (lookup->uid_numeric)
            match = uid == lookup->uid_arg;
        else
            match = strcmp(fields[0], lookup->user_arg) == 0;
        if (!match)
            continue;
        user->uid = (uid_t)uid;
        user->gid = (gid_t)gid;
        snprintf(lookup->matched_name, sizeof(lookup->matched_name), "%s", fields[0]);
        break;
    }
    close(fd);
    if (ret == -EFBIG)
        return bt_err_msg(err, EFBIG, "/etc/passwd in the container has a line over %d bytes",
                          LINE_MAX_BYTES - 1);
    if (ret < 0)
        return bt_err_sys(err, -ret, "cannot read /etc/passwd in the container");
    return 0;
}

static int scan_group(int rootfd, struct lookup *lookup, struct bt_user *user, char *buf,
                      struct bt_err *err)
{
    int fd = open_db(rootfd, "group", err);
    if (fd == -ENOENT)
        return 0;
    if (fd < 0)
        return fd;
    struct line_reader reader = {.fd = fd, .buf = buf, .size = LINE_MAX_BYTES};
    char *line;
    int ret;
    while ((ret = next_line(&reader, &line)) > 0) {
        char *fields[4];
        unsigned long gid;
        /* name:password:gid:member,member */
        size_t count = split_fields(line, fields, 4);
        if (count < 3 || parse_id(fields[2], strlen(fields[2]), &gid) != 1)
            continue;
        if (*lookup->group_arg) {
            bool match = lookup->gid_numeric ? gid == lookup->gid_arg
                                             : strcmp(fields[0], lookup->group_arg) == 0;
            if (match) {
                /* The first match wins, as in runc. */
                user->gid = (gid_t)gid;
                lookup->group_found = true;
                break;
            }
            continue;
        }
        if (count < 4 || !list_has(fields[3], lookup->matched_name))
            continue;
        if (user->group_count == BT_USER_GROUPS_MAX) {
            close(fd);
            return bt_err_msg(err, E2BIG, "user %s is in more than %d groups", lookup->matched_name,
                              BT_USER_GROUPS_MAX);
        }
        user->groups[user->group_count++] = (gid_t)gid;
    }
    close(fd);
    if (ret == -EFBIG)
        return bt_err_msg(err, EFBIG, "/etc/group in the container has a line over %d bytes",
                          LINE_MAX_BYTES - 1);
    if (ret < 0)
        return bt_err_sys(err, -ret, "cannot read /etc/group in the container");
    return 0;
}

int bt_procattr_resolve_user(int rootfd, const char *spec, struct bt_user *user, struct bt_err *err)
{
    char user_arg[256];
    struct lookup lookup = {.user_arg = user_arg, .group_arg = ""};
    const char *colon = strchr(spec, ':');
    size_t user_len = colon ? (size_t)(colon - spec) : strlen(spec);
    if (user_len >= sizeof(user_arg))
        return bt_err_msg(err, EINVAL, "user name in '%s' is too long", spec);
    memcpy(user_arg, spec, user_len);
    user_arg[user_len] = '\0';
    if (colon)
        lookup.group_arg = colon + 1;

    lookup.uid_numeric = parse_id(user_arg, user_len, &lookup.uid_arg);
    if (lookup.uid_numeric < 0)
        return bt_err_msg(err, ERANGE, "uid %s is out of range (0..%lu)", user_arg, ID_MAX);
    lookup.gid_numeric = parse_id(lookup.group_arg, strlen(lookup.group_arg), &lookup.gid_arg);
    if (lookup.gid_numeric < 0)
        return bt_err_msg(err, ERANGE, "gid %s is out of range (0..%lu)", lookup.group_arg, ID_MAX);

    user->uid = 0;
    user->gid = 0;
    user->group_count = 0;
    char buf[LINE_MAX_BYTES];
    int ret = scan_passwd(rootfd, &lookup, user, buf, err);
    if (ret < 0)
        return ret;
    if (!lookup.matched_name[0] && *user_arg) {
        /* An unknown name is an error; an unknown number is fine, with gid 0. */
        if (!lookup.uid_numeric)
            return bt_err_msg(err, ENOENT,
                              "unable to find user %s: no matching entries in passwd file",
                              user_arg);
        user->uid = (uid_t)lookup.uid_arg;
    }
    if (*lookup.group_arg || lookup.matched_name[0]) {
        ret = scan_group(rootfd, &lookup, user, buf, err);
        if (ret < 0)
            return ret;
        if (*lookup.group_arg && !lookup.group_found) {
            if (!lookup.gid_numeric)
                return bt_err_msg(err, ENOENT,
                                  "unable to find group %s: no matching entries in group file",
                                  lookup.group_arg);
            user->gid = (gid_t)lookup.gid_arg;
        }
    }
    return 0;
}
