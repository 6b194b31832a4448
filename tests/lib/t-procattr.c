/* Unit tests for lib/procattr.c: rlimit names and docker's --ulimit, rlimits (lowering, and
 * the clear failure to raise a hard limit), oom_score_adj, no_new_privs, umask, the user, and
 * the passwd/group lookup inside a rootfs that must never reach the host's files. */
#include "procattr.h"
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static bool is_root;
static char tmpdir[64];

/* The text after "\nKEY:\t" up to the end of its line, into OUT. */
static const char *status_field(const char *status, const char *key, char *out, size_t len)
{
    char pattern[32];
    snprintf(pattern, sizeof(pattern), "\n%s:", key);
    const char *p = strstr(status, pattern);
    out[0] = '\0';
    if (!p)
        return out;
    p += strlen(pattern);
    while (*p == '\t' || *p == ' ')
        p++;
    size_t n = strcspn(p, "\n");
    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    snprintf(out, len, "%.*s", (int)n, p);
    return out;
}

/* "SOFT HARD" of one row of /proc/PID/limits ("Max open files"). */
static const char *limits_row(pid_t pid, const char *row, char *out, size_t len)
{
    char path[64], text[4096];
    snprintf(path, sizeof(path), pid ? "/proc/%d/limits" : "/proc/self/limits", (int)pid);
    read_file(path, text, sizeof(text));
    out[0] = '\0';
    const char *p = strstr(text, row);
    if (!p)
        return out;
    char soft[32], hard[32];
    if (sscanf(p + strlen(row), "%31s %31s", soft, hard) == 2)
        snprintf(out, len, "%s %s", soft, hard);
    return out;
}

static bool have_sys_resource(void)
{
    struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3};
    struct __user_cap_data_struct data[2] = {{0}};
    return syscall(SYS_capget, &header, data) == 0 &&
           (data[CAP_TO_INDEX(CAP_SYS_RESOURCE)].effective & CAP_TO_MASK(CAP_SYS_RESOURCE));
}

/* What a child reports through its pipe. */
struct report {
    int ret[4];
    char msg[4][BT_ERR_MSG_MAX];
    char text[4][128];
};

typedef void (*child_fn)(struct report *report);

static int run_child(child_fn fn, struct report *report)
{
    int fds[2];
    pid_t pid = report_fork(fds, report, sizeof(*report));
    if (pid == 0) {
        fn(report);
        _exit(write(fds[1], report, sizeof(*report)) == (ssize_t)sizeof(*report) ? 0 : 3);
    }
    return report_wait(pid, fds[0], report, sizeof(*report));
}

static void keep(struct report *report, int slot, int ret, const struct bt_err *err)
{
    report->ret[slot] = ret;
    memcpy(report->msg[slot], err->msg, sizeof(report->msg[slot]));
}

static void test_rlimit_names(void)
{
    struct bt_err err = {0};
    struct bt_rlimit limit;
    is_int(bt_procattr_rlimit_from_name("RLIMIT_NOFILE", &err), RLIMIT_NOFILE, "RLIMIT_NOFILE");
    is_int(bt_procattr_rlimit_from_name("nofile", &err), RLIMIT_NOFILE, "nofile");
    is_int(bt_procattr_rlimit_from_name("rlimit_NProc", &err), RLIMIT_NPROC, "rlimit_NProc");
    ok(bt_procattr_rlimit_from_name("bogus", &err) == -EINVAL &&
           strcmp(err.msg, "unknown rlimit 'bogus'") == 0,
       "an unknown rlimit is -EINVAL and named");
    is_str(bt_procattr_rlimit_name(RLIMIT_NOFILE), "RLIMIT_NOFILE", "name of RLIMIT_NOFILE");
    ok(bt_procattr_rlimit_name(999) == NULL, "no name for an unknown resource");
    int round_trips = 0;
    for (int resource = 0; resource < RLIM_NLIMITS; resource++) {
        const char *name = bt_procattr_rlimit_name(resource);
        round_trips += name && bt_procattr_rlimit_from_name(name, NULL) == resource &&
                       bt_procattr_rlimit_from_name(name + 7, NULL) == resource;
    }
    is_int(round_trips, RLIM_NLIMITS, "every resource round-trips through both names");

    ok(bt_procattr_parse_ulimit("nofile=1024:2048", &limit, &err) == 0 &&
           limit.resource == RLIMIT_NOFILE && limit.soft == 1024 && limit.hard == 2048,
       "--ulimit nofile=1024:2048");
    ok(bt_procattr_parse_ulimit("nproc=512", &limit, &err) == 0 && limit.resource == RLIMIT_NPROC &&
           limit.soft == 512 && limit.hard == 512,
       "--ulimit nproc=512 sets both limits");
    ok(bt_procattr_parse_ulimit("core=unlimited", &limit, &err) == 0 &&
           limit.soft == RLIM_INFINITY && limit.hard == RLIM_INFINITY &&
           bt_procattr_parse_ulimit("core=0:-1", &limit, &err) == 0 && limit.soft == 0 &&
           limit.hard == RLIM_INFINITY,
       "unlimited and -1");
    ok(bt_procattr_parse_ulimit("nofile=2048:1024", &limit, &err) == -EINVAL &&
           strcmp(err.msg, "ulimit soft limit must be less than or equal to hard limit: 2048 > "
                           "1024") == 0,
       "soft above hard: docker's message");
    ok(bt_procattr_parse_ulimit("bogus=1", &limit, &err) == -EINVAL &&
           strcmp(err.msg, "invalid ulimit type: bogus") == 0,
       "unknown type: docker's message");
    ok(bt_procattr_parse_ulimit("nofile", &limit, &err) == -EINVAL &&
           strcmp(err.msg, "invalid ulimit argument: nofile") == 0 &&
           bt_procattr_parse_ulimit("nofile=12x", &limit, &err) == -EINVAL &&
           bt_procattr_parse_ulimit("nofile=", &limit, &err) == -EINVAL &&
           bt_procattr_parse_ulimit("nofile=1:99999999999999999999999", &limit, &err) == -EINVAL,
       "malformed --ulimit values are refused");
}

static void child_lower(struct report *report)
{
    struct bt_err err = {0};
    struct bt_rlimit limits[] = {{RLIMIT_NOFILE, 512, 1024}, {RLIMIT_CORE, 0, 4096}};
    keep(report, 0, bt_procattr_set_rlimits(0, limits, 2, &err), &err);
    limits_row(0, "Max open files", report->text[0], sizeof(report->text[0]));
    limits_row(0, "Max core file size", report->text[1], sizeof(report->text[1]));
}

static void child_raise(struct report *report)
{
    struct bt_err err = {0};
    struct rlimit current;
    getrlimit(RLIMIT_NOFILE, &current);
    /* Raise to fs.nr_open, the highest the kernel allows at all. */
    char text[32];
    read_file("/proc/sys/fs/nr_open", text, sizeof(text));
    rlim_t nr_open = strtoull(text, NULL, 10);
    if (current.rlim_max >= nr_open) { /* already there: make room first */
        struct bt_rlimit lower = {RLIMIT_NOFILE, 1024, nr_open / 2};
        bt_procattr_set_rlimits(0, &lower, 1, &err);
        getrlimit(RLIMIT_NOFILE, &current);
    }
    struct bt_rlimit raise = {RLIMIT_NOFILE, current.rlim_cur, nr_open};
    keep(report, 0, bt_procattr_set_rlimits(0, &raise, 1, &err), &err);
    snprintf(report->text[0], sizeof(report->text[0]),
             "cannot raise RLIMIT_NOFILE hard limit to %llu (current %llu): Operation not "
             "permitted (CAP_SYS_RESOURCE missing)",
             (unsigned long long)nr_open, (unsigned long long)current.rlim_max);
    /* Above fs.nr_open even CAP_SYS_RESOURCE does not help. */
    struct bt_rlimit beyond = {RLIMIT_NOFILE, 1024, nr_open + 1};
    keep(report, 1, bt_procattr_set_rlimits(0, &beyond, 1, &err), &err);
    snprintf(report->text[1], sizeof(report->text[1]),
             "cannot set RLIMIT_NOFILE hard limit to %llu: above fs.nr_open (%llu): Operation not "
             "permitted",
             (unsigned long long)nr_open + 1, (unsigned long long)nr_open);
    struct bt_rlimit inverted = {RLIMIT_NOFILE, 2048, 1024};
    keep(report, 2, bt_procattr_set_rlimits(0, &inverted, 1, &err), &err);
    limits_row(0, "Max open files", report->text[2], sizeof(report->text[2]));
}

static void test_rlimits(void)
{
    struct report report;
    struct bt_err err = {0};
    run_child(child_lower, &report);
    is_int(report.ret[0], 0, "lowering NOFILE and CORE works");
    is_str(report.text[0], "512 1024", "/proc/self/limits shows NOFILE 512 1024");
    is_str(report.text[1], "0 4096", "and CORE 0 4096");

    run_child(child_raise, &report);
    if (!have_sys_resource()) {
        is_int(report.ret[0], -EPERM, "raising the NOFILE hard limit fails with -EPERM");
        is_str(report.msg[0], report.text[0], "with one clear line");
    } else {
        is_int(report.ret[0], 0, "raising the NOFILE hard limit works with CAP_SYS_RESOURCE");
        skip("this host has CAP_SYS_RESOURCE: no message to check");
    }
    ok(report.ret[1] == -EPERM && strcmp(report.msg[1], report.text[1]) == 0,
       "a NOFILE hard limit above fs.nr_open names fs.nr_open");
    ok(report.ret[2] == -EINVAL && strcmp(report.msg[2], "invalid RLIMIT_NOFILE: soft limit 2048 "
                                                         "is above the hard limit 1024") == 0,
       "soft above hard is refused before the kernel sees it");
    ok(strcmp(report.text[2], "") != 0 && strcmp(report.text[2], "2048 1024") != 0,
       "and nothing changed");

    /* prlimit on another process, as runc does from outside. */
    int fds[2];
    if (pipe(fds) < 0)
        return;
    pid_t pid = fork();
    if (pid == 0) {
        char c;
        close(fds[1]);
        alarm(10);
        _exit(read(fds[0], &c, 1) < 0);
    }
    close(fds[0]);
    struct bt_rlimit limit = {RLIMIT_NOFILE, 100, 200};
    char row[64];
    ok(bt_procattr_set_rlimits(pid, &limit, 1, &err) == 0 &&
           strcmp(limits_row(pid, "Max open files", row, sizeof(row)), "100 200") == 0,
       "prlimit on another pid shows in /proc/PID/limits");
    close(fds[1]);
    waitpid(pid, NULL, 0);
}

static void child_oom(struct report *report)
{
    struct bt_err err = {0};
    int value = 0;
    keep(report, 0, bt_procattr_set_oom_score_adj(0, 500, &err), &err);
    read_file("/proc/self/oom_score_adj", report->text[0], sizeof(report->text[0]));
    keep(report, 1, bt_procattr_set_oom_score_adj(0, 100, &err), &err);
    bt_procattr_get_oom_score_adj(0, &value);
    snprintf(report->text[1], sizeof(report->text[1]), "%d", value);
    keep(report, 2, bt_procattr_set_oom_score_adj(0, -500, &err), &err);
    keep(report, 3, bt_procattr_set_oom_score_adj(0, 1001, &err), &err);
}

static void test_oom(void)
{
    struct report report;
    run_child(child_oom, &report);
    ok(report.ret[0] == 0 && strcmp(report.text[0], "500\n") == 0,
       "oom_score_adj 500 shows in /proc/self/oom_score_adj");
    ok(report.ret[1] == 0 && strcmp(report.text[1], "100") == 0,
       "going back down to 100 (above the minimum 0) works");
    if (!have_sys_resource())
        ok(report.ret[2] == -EACCES &&
               strcmp(report.msg[2], "cannot lower oom_score_adj to -500 (current 100): "
                                     "Permission denied (CAP_SYS_RESOURCE missing)") == 0,
           "going below 0 fails and names CAP_SYS_RESOURCE");
    else
        is_int(report.ret[2], 0, "going below 0 works with CAP_SYS_RESOURCE");
    ok(report.ret[3] == -EINVAL &&
           strcmp(report.msg[3], "oom_score_adj 1001 is out of range (-1000..1000)") == 0,
       "1001 is out of range");
}

static void child_nnp_umask(struct report *report)
{
    struct bt_err err = {0};
    char status[4096];
    read_file("/proc/self/status", status, sizeof(status));
    status_field(status, "NoNewPrivs", report->text[0], sizeof(report->text[0]));
    keep(report, 0, bt_procattr_set_no_new_privs(&err), &err);
    keep(report, 1, bt_procattr_set_umask(027, &err), &err);
    keep(report, 2, bt_procattr_set_umask(01000, &err), &err);
    read_file("/proc/self/status", status, sizeof(status));
    status_field(status, "NoNewPrivs", report->text[1], sizeof(report->text[1]));
    status_field(status, "Umask", report->text[2], sizeof(report->text[2]));
}

static void test_nnp_umask(void)
{
    struct report report;
    run_child(child_nnp_umask, &report);
    ok(report.ret[0] == 0 && strcmp(report.text[0], "0") == 0 && strcmp(report.text[1], "1") == 0,
       "no_new_privs: NoNewPrivs goes from 0 to 1");
    ok(report.ret[1] == 0 && strcmp(report.text[2], "0027") == 0, "umask 027 shows as 0027");
    ok(report.ret[2] == -EINVAL && strstr(report.msg[2], "01000") != NULL,
       "umask 01000 is refused");
}

static void child_user(struct report *report)
{
    struct bt_err err = {0};
    char status[4096];
    struct bt_user user = {.uid = 4321, .gid = 1234, .group_count = 3, .groups = {10, 20, 30}};
    keep(report, 0, bt_procattr_set_user(&user, &err), &err);
    read_file("/proc/self/status", status, sizeof(status));
    status_field(status, "Uid", report->text[0], sizeof(report->text[0]));
    status_field(status, "Gid", report->text[1], sizeof(report->text[1]));
    status_field(status, "Groups", report->text[2], sizeof(report->text[2]));
    struct bt_user back = {0};
    keep(report, 1, bt_procattr_set_user(&back, &err), &err);
}

static void test_user(void)
{
    struct report report;
    run_child(child_user, &report);
    is_int(report.ret[0], 0, "set_user(4321:1234, groups 10 20 30)");
    is_str(report.text[0], "4321\t4321\t4321\t4321", "Uid: real, effective, saved, fs");
    is_str(report.text[1], "1234\t1234\t1234\t1234", "Gid: real, effective, saved, fs");
    is_str(report.text[2], "10 20 30", "Groups: 10 20 30");
    ok(report.ret[1] == -EPERM && strcmp(report.msg[1], "setgroups (0 additional groups): "
                                                        "Operation not permitted") == 0,
       "there is no way back to root, and the error says which step failed");
}

/* ---- the passwd lookup ---- */

static void write_text(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
        diag("cannot write %s: %s", path, strerror(errno));
    if (fd >= 0)
        close(fd);
}

static void make_dirs(const char *path)
{
    char buf[512];
    snprintf(buf, sizeof(buf), "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        mkdir(buf, 0755);
        *p = '/';
    }
    mkdir(buf, 0755);
}

/* Makes TMPDIR/NAME/etc and returns an O_PATH fd of TMPDIR/NAME. */
static int make_root(const char *name, bool with_etc)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s%s", tmpdir, name, with_etc ? "/etc" : "");
    make_dirs(path);
    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    return open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

static bool user_is(const struct bt_user *user, uid_t uid, gid_t gid, size_t count,
                    const gid_t *groups)
{
    if (user->uid != uid || user->gid != gid || user->group_count != count) {
        diag("  got %u:%u with %zu groups", (unsigned)user->uid, (unsigned)user->gid,
             user->group_count);
        return false;
    }
    for (size_t i = 0; i < count; i++)
        if (user->groups[i] != groups[i])
            return false;
    return true;
}

static void test_resolve(void)
{
    struct bt_err err = {0};
    struct bt_user user;
    char path[512];
    const gid_t alice_groups[] = {10, 29}, root_groups[] = {10};

    int root = make_root("root", true);
    snprintf(path, sizeof(path), "%s/root/etc/passwd", tmpdir);
    write_text(path, "root:x:0:0:root:/root:/bin/sh\n"
                     "mallory:x:abc:0::/:/bin/sh\n"
                     "\n"
                     "alice:x:1000:1000:Alice:/home/alice:/bin/sh\n"
                     "dup:x:1000:7::/:/bin/sh\n"
                     "nolf:x:1500:1500::/:/bin/sh");
    snprintf(path, sizeof(path), "%s/root/etc/group", tmpdir);
    write_text(path, "root:x:0:\n"
                     "wheel:x:10:root,alice\n"
                     "alice:x:1000:\n"
                     "audio:x:29:bob,alice\n"
                     "malice:x:30:alicex,xalice\n");
    ok(bt_procattr_resolve_user(root, "alice", &user, &err) == 0 &&
           user_is(&user, 1000, 1000, 2, alice_groups),
       "alice: 1000:1000, additional groups 10 29 from the member lists");
    ok(bt_procattr_resolve_user(root, "1000", &user, &err) == 0 &&
           user_is(&user, 1000, 1000, 2, alice_groups),
       "1000: the first passwd entry with that uid, and its groups");
    ok(bt_procattr_resolve_user(root, "alice:wheel", &user, &err) == 0 &&
           user_is(&user, 1000, 10, 0, NULL),
       "alice:wheel: an explicit group, no additional groups");
    ok(bt_procattr_resolve_user(root, "alice:5000", &user, &err) == 0 &&
           user_is(&user, 1000, 5000, 0, NULL),
       "alice:5000: a numeric group need not exist");
    ok(bt_procattr_resolve_user(root, "2000", &user, &err) == 0 && user_is(&user, 2000, 0, 0, NULL),
       "2000: a numeric user need not exist (gid 0)");
    ok(bt_procattr_resolve_user(root, "2000:audio", &user, &err) == 0 &&
           user_is(&user, 2000, 29, 0, NULL),
       "2000:audio");
    ok(bt_procattr_resolve_user(root, "", &user, &err) == 0 && user_is(&user, 0, 0, 1, root_groups),
       "the empty spec is root, with root's groups");
    ok(bt_procattr_resolve_user(root, "alice:", &user, &err) == 0 &&
           user_is(&user, 1000, 1000, 2, alice_groups),
       "alice: with an empty group is alice");
    ok(bt_procattr_resolve_user(root, "nolf", &user, &err) == 0 &&
           user_is(&user, 1500, 1500, 0, NULL),
       "a last line without a newline is read");
    ok(bt_procattr_resolve_user(root, "bob", &user, &err) == -ENOENT &&
           strcmp(err.msg, "unable to find user bob: no matching entries in passwd file") == 0,
       "an unknown name fails with runc's message");
    ok(bt_procattr_resolve_user(root, "alice:nogroup", &user, &err) == -ENOENT &&
           strcmp(err.msg, "unable to find group nogroup: no matching entries in group file") == 0,
       "an unknown group fails with runc's message");
    ok(bt_procattr_resolve_user(root, "mallory", &user, &err) == -ENOENT,
       "a malformed passwd line is skipped, never read as uid 0");
    ok(bt_procattr_resolve_user(root, "4294967296", &user, &err) == -ERANGE &&
           bt_procattr_resolve_user(root, "1:2147483648", &user, &err) == -ERANGE,
       "ids above 2^31-1 are out of range");
    close(root);

    /* etc/passwd -> /etc/passwd: the host's file is one absolute symlink away. */
    int evil = make_root("evil", true);
    snprintf(path, sizeof(path), "%s/evil/etc/passwd", tmpdir);
    if (symlink("/etc/passwd", path) < 0)
        diag("symlink: %s", strerror(errno));
    int ret = bt_procattr_resolve_user(evil, "nobody", &user, &err);
    ok(ret < 0 && user.uid != 65534, "a symlink to /etc/passwd never reaches the host's file");
    diag("  %s", err.msg);
    close(evil);

    /* Absolute and ..-escaping symlinks to a file outside: resolved inside the root. */
    char outside[256];
    snprintf(outside, sizeof(outside), "%s/outside", tmpdir);
    make_dirs(outside);
    snprintf(path, sizeof(path), "%s/passwd", outside);
    write_text(path, "evil:x:4242:4242::/:/bin/sh\n");
    int inside = make_root("inside", true);
    snprintf(path, sizeof(path), "%s/inside/etc/passwd", tmpdir);
    char target[300];
    snprintf(target, sizeof(target), "%s/passwd", outside);
    if (symlink(target, path) < 0)
        diag("symlink: %s", strerror(errno));
    snprintf(path, sizeof(path), "%s/inside%s", tmpdir, outside);
    make_dirs(path);
    snprintf(path, sizeof(path), "%s/inside%s/passwd", tmpdir, outside);
    write_text(path, "evil:x:1111:1111::/:/bin/sh\n");
    ok(bt_procattr_resolve_user(inside, "evil", &user, &err) == 0 &&
           user_is(&user, 1111, 1111, 0, NULL),
       "an absolute symlink resolves inside the rootfs (1111), not on the host (4242)");
    close(inside);

    int escape = make_root("escape", true);
    snprintf(path, sizeof(path), "%s/escape/etc/passwd", tmpdir);
    snprintf(target, sizeof(target), "../../../../../../../../..%s/passwd", outside);
    if (symlink(target, path) < 0)
        diag("symlink: %s", strerror(errno));
    ret = bt_procattr_resolve_user(escape, "evil", &user, &err);
    ok(ret == -ENOENT && user.uid != 4242, "a ../ symlink cannot climb out of the rootfs");
    close(escape);

    int fifo = make_root("fifo", true);
    snprintf(path, sizeof(path), "%s/fifo/etc/passwd", tmpdir);
    mkfifo(path, 0644);
    ok(bt_procattr_resolve_user(fifo, "alice", &user, &err) == -EINVAL &&
           strcmp(err.msg, "/etc/passwd in the container is not a regular file") == 0,
       "a FIFO at etc/passwd is refused instead of hanging");
    close(fifo);

    int empty = make_root("empty", false);
    ok(bt_procattr_resolve_user(empty, "1000:50", &user, &err) == 0 &&
           user_is(&user, 1000, 50, 0, NULL) &&
           bt_procattr_resolve_user(empty, "alice", &user, &err) == -ENOENT,
       "without etc/passwd numbers work and names fail");
    close(empty);

    int big = make_root("big", true);
    snprintf(path, sizeof(path), "%s/big/etc/passwd", tmpdir);
    write_text(path, "alice:x:1000:1000::/:/bin/sh\n");
    static char long_group[70000 + 64];
    memset(long_group, 'a', sizeof(long_group));
    memcpy(long_group, "huge:x:5:", 9);
    strcpy(long_group + 70000, ",alice\n");
    snprintf(path, sizeof(path), "%s/big/etc/group", tmpdir);
    write_text(path, long_group);
    ok(bt_procattr_resolve_user(big, "alice", &user, &err) == -EFBIG &&
           strstr(err.msg, "/etc/group in the container has a line over") != NULL,
       "a group line over 64 KiB fails clearly");
    close(big);
}

static void child_resolve_and_switch(struct report *report)
{
    struct bt_err err = {0};
    struct bt_user user;
    char path[256], status[4096];
    snprintf(path, sizeof(path), "%s/root", tmpdir);
    int root = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    keep(report, 0, bt_procattr_resolve_user(root, "alice", &user, &err), &err);
    if (report->ret[0] == 0)
        keep(report, 1, bt_procattr_set_user(&user, &err), &err);
    read_file("/proc/self/status", status, sizeof(status));
    status_field(status, "Uid", report->text[0], sizeof(report->text[0]));
    status_field(status, "Groups", report->text[1], sizeof(report->text[1]));
}

int main(void)
{
    plan(54);
    tap_alarm(30);
    is_root = geteuid() == 0;
    make_tmpdir(tmpdir, sizeof(tmpdir), "t-procattr");
    test_rlimit_names();
    tap_alarm(30);
    test_rlimits();
    tap_alarm(30);
    test_oom();
    tap_alarm(30);
    test_nnp_umask();
    tap_alarm(30);
    if (is_root)
        test_user();
    else
        skip_n(5, "needs root");
    tap_alarm(30);
    test_resolve();
    tap_alarm(30);
    if (is_root) {
        struct report report;
        run_child(child_resolve_and_switch, &report);
        ok(report.ret[0] == 0 && report.ret[1] == 0 &&
               strcmp(report.text[0], "1000\t1000\t1000\t1000") == 0 &&
               strcmp(report.text[1], "10 29") == 0,
           "resolve alice in the rootfs, then set_user: Uid 1000, Groups 10 29");
    } else {
        skip("needs root");
    }
    remove_tree(tmpdir);
    return done();
}
