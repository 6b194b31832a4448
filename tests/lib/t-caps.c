/* Unit tests for lib/caps.c: names both ways, docker's default set and --cap-add/--cap-drop,
 * and bt_caps_apply in forked children (the sets in /proc/self/status, before and after exec,
 * and actions that the dropped capabilities would have allowed). */
#include "caps.h"
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdint.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>

#define NOBODY 65534

static const char *const docker_names[] = {
    "CHOWN",  "DAC_OVERRIDE", "FSETID",  "FOWNER",           "MKNOD",      "NET_RAW", "SETGID",
    "SETUID", "SETFCAP",      "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL",    "AUDIT_WRITE",
};

static bool is_root;

/* The hex value after "\nKEY:" in a /proc/PID/status text; UINT64_MAX when absent. */
static uint64_t status_hex(const char *status, const char *key)
{
    char pattern[32];
    snprintf(pattern, sizeof(pattern), "\n%s:", key);
    const char *p = strstr(status, pattern);
    return p ? strtoull(p + strlen(pattern), NULL, 16) : UINT64_MAX;
}

/* The decimal value after "\nKEY:" (the first column for Uid/Gid). */
static long status_long(const char *status, const char *key)
{
    char pattern[32];
    snprintf(pattern, sizeof(pattern), "\n%s:", key);
    const char *p = strstr(status, pattern);
    return p ? strtol(p + strlen(pattern), NULL, 10) : -1;
}

struct sets {
    uint64_t bounding, effective, permitted, inheritable, ambient;
    long uid;
};

static void parse_sets(const char *status, struct sets *sets)
{
    sets->bounding = status_hex(status, "CapBnd");
    sets->effective = status_hex(status, "CapEff");
    sets->permitted = status_hex(status, "CapPrm");
    sets->inheritable = status_hex(status, "CapInh");
    sets->ambient = status_hex(status, "CapAmb");
    sets->uid = status_long(status, "Uid");
}

/* What a child reports through its pipe. */
struct report {
    int ret;                  /* of the step under test */
    char msg[BT_ERR_MSG_MAX]; /* its error text */
    struct sets before_exec;  /* /proc/self/status right after the change */
    int hostname_before;      /* sethostname before bt_caps_apply: 0 or errno */
    int hostname_after;       /* and after */
    int mount_errno;
    int settimeofday_errno;
    int bind_errno;
};

typedef void (*child_fn)(struct report *report, const void *arg);

/* Forks; the child runs FN, sends REPORT back and, when EXEC_STATUS, replaces itself with
 * `cat /proc/self/status` so that the parent also sees the sets after execve. Returns 0 when
 * the child exited 0. */
static int run_child(child_fn fn, const void *arg, struct report *report, bool exec_status,
                     char *status_out, size_t status_len)
{
    int report_pipe[2], status_pipe[2];
    if (pipe2(status_pipe, O_CLOEXEC) < 0)
        return -1;
    pid_t pid = report_fork(report_pipe, report, sizeof(*report));
    if (pid == 0) {
        close(status_pipe[0]);
        fn(report, arg);
        char status[4096];
        read_file("/proc/self/status", status, sizeof(status));
        parse_sets(status, &report->before_exec);
        if (write(report_pipe[1], report, sizeof(*report)) != (ssize_t)sizeof(*report))
            _exit(3);
        if (exec_status && report->ret == 0) {
            dup2(status_pipe[1], STDOUT_FILENO);
            execl("/bin/cat", "cat", "/proc/self/status", (char *)NULL);
            _exit(127);
        }
        _exit(0);
    }
    close(status_pipe[1]);
    /* /proc/self/status fits in the pipe: cat's output can wait until cat is reaped. */
    int ret = report_wait(pid, report_pipe[0], report, sizeof(*report));
    if (status_out)
        status_out[read_full(status_pipe[0], status_out, status_len - 1)] = '\0';
    close(status_pipe[0]);
    return ret;
}

static void test_names(void)
{
    struct bt_err err = {0};
    char buf[BT_CAPS_NAME_MAX];
    is_int(bt_caps_from_name("CAP_NET_ADMIN", &err), CAP_NET_ADMIN, "CAP_NET_ADMIN parses");
    is_int(bt_caps_from_name("NET_ADMIN", &err), CAP_NET_ADMIN, "NET_ADMIN parses");
    is_int(bt_caps_from_name("net_admin", &err), CAP_NET_ADMIN, "net_admin parses");
    is_int(bt_caps_from_name("cap_Net_Admin", &err), CAP_NET_ADMIN, "cap_Net_Admin parses");
    is_int(bt_caps_from_name("CAP_CHECKPOINT_RESTORE", &err), 40, "a recent capability parses");
    is_int(bt_caps_from_name("bogus", &err), -EINVAL, "an unknown name is -EINVAL");
    is_str(err.msg, "unknown capability: \"CAP_BOGUS\"", "docker's message for it");
    is_int(bt_caps_from_name("CAP_ALL", &err), -EINVAL, "CAP_ALL is unknown, as in docker");
    is_str(err.msg, "unknown capability: \"CAP_ALL\"", "named CAP_ALL");
    ok(bt_caps_from_name("ALL", &err) == -EINVAL && strstr(err.msg, "ALL") != NULL,
       "ALL is not a single capability");
    ok(bt_caps_from_name("", &err) == -EINVAL && bt_caps_from_name("CAP_", &err) == -EINVAL,
       "empty names are refused");

    is_str(bt_caps_name(CAP_NET_ADMIN, buf, sizeof(buf)), "CAP_NET_ADMIN", "12 is CAP_NET_ADMIN");
    is_str(bt_caps_name(CAP_CHOWN, buf, sizeof(buf)), "CAP_CHOWN", "0 is CAP_CHOWN");
    is_str(bt_caps_name(63, buf, sizeof(buf)), "CAP_63", "an unnamed capability gets a number");
    int last = bt_caps_last_cap(), round_trips = 0;
    for (int cap = 0; cap <= last; cap++) {
        bt_caps_name((unsigned)cap, buf, sizeof(buf));
        round_trips += bt_caps_from_name(buf, NULL) == cap;
    }
    is_int(round_trips, last + 1, "every capability of the kernel round-trips through its name");
    char text[16];
    read_file("/proc/sys/kernel/cap_last_cap", text, sizeof(text));
    is_int(last, atoi(text), "bt_caps_last_cap agrees with /proc/sys/kernel/cap_last_cap");
}

static void test_sets(void)
{
    struct bt_err err = {0};
    char buf[1024], status[4096];
    uint64_t set = 0;
    is_int(__builtin_popcountll(BT_CAPS_DOCKER_DEFAULT), 14, "docker's default has 14 entries");
    bt_caps_format(BT_CAPS_DOCKER_DEFAULT, buf, sizeof(buf));
    is_str(buf,
           "CAP_CHOWN,CAP_DAC_OVERRIDE,CAP_FOWNER,CAP_FSETID,CAP_KILL,CAP_SETGID,CAP_SETUID,"
           "CAP_SETPCAP,CAP_NET_BIND_SERVICE,CAP_NET_RAW,CAP_SYS_CHROOT,CAP_MKNOD,CAP_AUDIT_WRITE,"
           "CAP_SETFCAP",
           "docker's default set, by name");
    ok(bt_caps_parse_list(docker_names, 14, &set, &err) == 0 && set == BT_CAPS_DOCKER_DEFAULT,
       "docker's list of names parses to the same set");
    ok(bt_caps_format(0, buf, sizeof(buf)) == 0 && buf[0] == '\0', "the empty set formats as ''");
    ok(bt_caps_format(BT_CAPS_DOCKER_DEFAULT, buf, 10) > 10 && strlen(buf) == 9,
       "format truncates and reports the full length");

    read_file("/proc/self/status", status, sizeof(status));
    is_int(bt_caps_available(), status_hex(status, "CapBnd"), "ALL is the current bounding set");
    struct bt_caps current;
    ok(bt_caps_get_current(&current, &err) == 0 &&
           current.effective == status_hex(status, "CapEff") &&
           current.permitted == status_hex(status, "CapPrm") &&
           current.inheritable == status_hex(status, "CapInh") &&
           current.ambient == status_hex(status, "CapAmb") &&
           current.bounding == status_hex(status, "CapBnd"),
       "bt_caps_get_current matches /proc/self/status");
    is_int(bt_caps_have_effective(CAP_CHOWN), (current.effective & BT_CAP(CAP_CHOWN)) != 0,
           "bt_caps_have_effective");

    const char *all[] = {"all", "net_admin"};
    ok(bt_caps_parse_list(all, 2, &set, &err) == 0 &&
           set == (bt_caps_available() | BT_CAP(CAP_NET_ADMIN)),
       "a list with ALL is every available capability");
    const char *bad[] = {"CHOWN", "NOPE"};
    ok(bt_caps_parse_list(bad, 2, &set, &err) == -EINVAL &&
           strcmp(err.msg, "unknown capability: \"CAP_NOPE\"") == 0,
       "a list with an unknown name fails and names it");

    struct bt_caps caps;
    bt_caps_set_docker(&caps, BT_CAPS_DOCKER_DEFAULT, 0);
    ok(caps.bounding == BT_CAPS_DOCKER_DEFAULT && caps.effective == BT_CAPS_DOCKER_DEFAULT &&
           caps.permitted == BT_CAPS_DOCKER_DEFAULT && !caps.inheritable && !caps.ambient,
       "docker's spec for root: bounding, effective, permitted");
    bt_caps_set_docker(&caps, BT_CAPS_DOCKER_DEFAULT, 1000);
    ok(caps.bounding == BT_CAPS_DOCKER_DEFAULT && !caps.effective && !caps.permitted &&
           !caps.inheritable && !caps.ambient,
       "docker's spec for another user: bounding only");
}

/* Whether bt_caps_tweak gave WANT, or, where this process lacks one of the added capabilities
 * NEEDED (a test run inside a container), docker's refusal. */
static bool tweak_is(int ret, uint64_t out, uint64_t needed, uint64_t want)
{
    if ((bt_caps_available() & needed) != needed)
        return ret == -EPERM;
    return ret == 0 && out == want;
}

static void test_tweak(void)
{
    struct bt_err err = {0};
    uint64_t out = 0, available = bt_caps_available(), base = BT_CAPS_DOCKER_DEFAULT & available;
    const char *drop_all[] = {"ALL"}, *add_nbs[] = {"NET_BIND_SERVICE"};
    int ret = bt_caps_tweak(BT_CAPS_DOCKER_DEFAULT, add_nbs, 1, drop_all, 1, &out, &err);
    ok(tweak_is(ret, out, BT_CAP(CAP_NET_BIND_SERVICE), BT_CAP(CAP_NET_BIND_SERVICE)),
       "--cap-drop ALL --cap-add NET_BIND_SERVICE gives exactly that");
    ok(bt_caps_tweak(BT_CAPS_DOCKER_DEFAULT, NULL, 0, drop_all, 1, &out, &err) == 0 && out == 0,
       "--cap-drop ALL alone gives nothing");
    ok(bt_caps_tweak(BT_CAPS_DOCKER_DEFAULT, NULL, 0, NULL, 0, &out, &err) == 0 && out == base,
       "no flags give the default set");
    const char *drops[] = {"NET_RAW", "chown"};
    ok(bt_caps_tweak(BT_CAPS_DOCKER_DEFAULT, NULL, 0, drops, 2, &out, &err) == 0 &&
           out == (base & ~(BT_CAP(CAP_NET_RAW) | BT_CAP(CAP_CHOWN))),
       "--cap-drop NET_RAW --cap-drop chown removes both");
    const char *adds[] = {"cap_sys_admin"};
    ret = bt_caps_tweak(BT_CAPS_DOCKER_DEFAULT, adds, 1, NULL, 0, &out, &err);
    ok(tweak_is(ret, out, BT_CAP(CAP_SYS_ADMIN), base | BT_CAP(CAP_SYS_ADMIN)),
       "--cap-add cap_sys_admin adds it");
    const char *add_all[] = {"ALL"}, *drop_raw[] = {"NET_RAW"};
    ok(bt_caps_tweak(BT_CAPS_DOCKER_DEFAULT, add_all, 1, drop_raw, 1, &out, &err) == 0 &&
           out == (available & ~BT_CAP(CAP_NET_RAW)),
       "--cap-add ALL --cap-drop NET_RAW is every available one but NET_RAW");
    ok(bt_caps_tweak(BT_CAPS_DOCKER_DEFAULT, add_all, 1, drop_all, 1, &out, &err) == 0 &&
           out == available,
       "--cap-add ALL wins over --cap-drop ALL, as in docker");
    const char *drop_add[] = {"KILL"}, *add_kill[] = {"KILL"};
    ret = bt_caps_tweak(BT_CAPS_DOCKER_DEFAULT, add_kill, 1, drop_add, 1, &out, &err);
    ok(tweak_is(ret, out, BT_CAP(CAP_KILL), base | BT_CAP(CAP_KILL)),
       "a capability both dropped and added is added, as in docker");
    const char *unknown[] = {"FLY"};
    ok(bt_caps_tweak(BT_CAPS_DOCKER_DEFAULT, unknown, 1, NULL, 0, &out, &err) == -EINVAL &&
           strcmp(err.msg, "unknown capability: \"CAP_FLY\"") == 0,
       "--cap-add FLY fails with docker's message");
    ok(bt_caps_tweak(BT_CAPS_DOCKER_DEFAULT, NULL, 0, unknown, 1, &out, &err) == -EINVAL,
       "--cap-drop FLY fails too");
    const char *resource[] = {"SYS_RESOURCE"};
    if (!(available & BT_CAP(CAP_SYS_RESOURCE))) {
        ok(bt_caps_tweak(BT_CAPS_DOCKER_DEFAULT, resource, 1, NULL, 0, &out, &err) == -EPERM &&
               strcmp(err.msg, "capability not supported by your kernel or not available in the "
                               "current environment: \"CAP_SYS_RESOURCE\"") == 0,
           "--cap-add of a capability this host lacks fails and names it");
        ok(bt_caps_tweak(BT_CAPS_DOCKER_DEFAULT, NULL, 0, resource, 1, &out, &err) == 0 &&
               out == base,
           "--cap-drop of a capability this host lacks is a no-op");
    } else {
        ok(bt_caps_tweak(BT_CAPS_DOCKER_DEFAULT, resource, 1, NULL, 0, &out, &err) == 0 &&
               (out & BT_CAP(CAP_SYS_RESOURCE)),
           "--cap-add SYS_RESOURCE (this host has it)");
        ok(bt_caps_tweak(BT_CAPS_DOCKER_DEFAULT, NULL, 0, resource, 1, &out, &err) == 0 &&
               out == base,
           "--cap-drop SYS_RESOURCE (not in the default set) is a no-op");
    }
}

/* A child that drops to docker's default set, trying privileged actions around it. */
static void child_default(struct report *report, const void *arg)
{
    (void)arg;
    struct bt_err err = {0};
    struct bt_caps caps;
    /* Private namespaces, so that nothing leaks to the host if a drop did not work. */
    if (unshare(CLONE_NEWUTS | CLONE_NEWNS) < 0 ||
        mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
        report->ret = -errno;
        snprintf(report->msg, sizeof(report->msg), "unshare: %s", strerror(errno));
        return;
    }
    report->hostname_before = sethostname("before", 6) < 0 ? errno : 0;
    bt_caps_set_docker(&caps, BT_CAPS_DOCKER_DEFAULT, 0);
    report->ret = bt_caps_apply(&caps, &err);
    memcpy(report->msg, err.msg, sizeof(report->msg));
    report->hostname_after = sethostname("after", 5) < 0 ? errno : 0;
    report->mount_errno = mount("none", "/tmp", "tmpfs", 0, NULL) < 0 ? errno : 0;
    struct timeval now;
    gettimeofday(&now, NULL);
    /* The same time again: harmless even if the drop had failed. */
    report->settimeofday_errno = settimeofday(&now, NULL) < 0 ? errno : 0;
}

static void test_apply_default(void)
{
    struct report report;
    char status[4096];
    struct sets after_exec;
    uint64_t want = BT_CAPS_DOCKER_DEFAULT;
    int ret = run_child(child_default, NULL, &report, true, status, sizeof(status));
    ok(ret == 0 && report.ret == 0, "bt_caps_apply(docker default) in a child");
    if (report.ret)
        diag("  %s", report.msg);
    ok(report.before_exec.bounding == want && report.before_exec.effective == want &&
           report.before_exec.permitted == want,
       "CapBnd/CapEff/CapPrm are exactly the default set");
    ok(report.before_exec.inheritable == 0 && report.before_exec.ambient == 0,
       "CapInh and CapAmb are empty");
    parse_sets(status, &after_exec);
    ok(after_exec.bounding == want && after_exec.effective == want && after_exec.permitted == want,
       "after execve too (cat /proc/self/status)");
    is_int(report.hostname_before, 0, "sethostname works before the drop (new UTS namespace)");
    is_int(report.hostname_after, EPERM, "sethostname fails with EPERM after it");
    is_int(report.mount_errno, EPERM, "mount fails with EPERM without CAP_SYS_ADMIN");
    is_int(report.settimeofday_errno, EPERM, "settimeofday fails with EPERM without CAP_SYS_TIME");
}

static void child_apply_caps(struct report *report, const void *arg)
{
    struct bt_err err = {0};
    report->ret = bt_caps_apply(arg, &err);
    memcpy(report->msg, err.msg, sizeof(report->msg));
}

static void test_apply_only(void)
{
    struct report report;
    struct bt_caps caps = {.bounding = BT_CAP(CAP_NET_BIND_SERVICE),
                           .effective = BT_CAP(CAP_NET_BIND_SERVICE),
                           .permitted = BT_CAP(CAP_NET_BIND_SERVICE)};
    run_child(child_apply_caps, &caps, &report, false, NULL, 0);
    ok(report.ret == 0 && report.before_exec.bounding == BT_CAP(CAP_NET_BIND_SERVICE) &&
           report.before_exec.effective == BT_CAP(CAP_NET_BIND_SERVICE) &&
           report.before_exec.permitted == BT_CAP(CAP_NET_BIND_SERVICE),
       "drop ALL + add NET_BIND_SERVICE: CapBnd/CapEff/CapPrm are exactly 0x400");

    struct bt_caps bad = {.bounding = BT_CAPS_DOCKER_DEFAULT, .effective = BT_CAP(CAP_KILL)};
    run_child(child_apply_caps, &bad, &report, false, NULL, 0);
    ok(report.ret == -EINVAL &&
           strcmp(report.msg, "effective capability CAP_KILL is not in the permitted set") == 0,
       "effective outside permitted is refused and named");
    struct bt_caps bad_ambient = {.bounding = BT_CAPS_DOCKER_DEFAULT,
                                  .permitted = BT_CAP(CAP_KILL),
                                  .ambient = BT_CAP(CAP_KILL)};
    run_child(child_apply_caps, &bad_ambient, &report, false, NULL, 0);
    ok(report.ret == -EINVAL && strcmp(report.msg, "ambient capability CAP_KILL must also be "
                                                   "permitted and inheritable") == 0,
       "ambient outside permitted and inheritable is refused and named");
    if (bt_caps_last_cap() < 63) {
        struct bt_caps future = {.bounding = BT_CAP(63)};
        run_child(child_apply_caps, &future, &report, false, NULL, 0);
        ok(report.ret == -EINVAL && strstr(report.msg, "capability 63 is not known") != NULL,
           "a capability the kernel does not know is refused");
    } else {
        skip("this kernel knows 64 capabilities");
    }
    if (!(bt_caps_available() & BT_CAP(CAP_SYS_RESOURCE))) {
        struct bt_caps more = {.bounding = BT_CAP(CAP_SYS_RESOURCE),
                               .permitted = BT_CAP(CAP_SYS_RESOURCE)};
        run_child(child_apply_caps, &more, &report, false, NULL, 0);
        ok(report.ret == -EPERM &&
               strcmp(report.msg, "cannot grant CAP_SYS_RESOURCE: this process does not hold "
                                  "it") == 0,
           "granting a capability this process lacks fails before any change");
    } else {
        skip("this host has CAP_SYS_RESOURCE");
    }
}

/* Keeps only caps without CAP_SETPCAP, then asks for a smaller bounding set. */
static void child_no_setpcap(struct report *report, const void *arg)
{
    (void)arg;
    struct bt_err err = {0};
    struct bt_caps first = {.bounding = bt_caps_available(),
                            .effective = BT_CAP(CAP_KILL),
                            .permitted = BT_CAP(CAP_KILL)};
    struct bt_caps second = {.bounding = BT_CAPS_DOCKER_DEFAULT};
    report->ret = bt_caps_apply(&first, &err);
    if (report->ret == 0)
        report->ret = bt_caps_apply(&second, &err);
    memcpy(report->msg, err.msg, sizeof(report->msg));
}

struct user_case {
    bool keep;
    struct bt_caps caps;
};

/* What bt_procattr_set_user does (this test links caps.o alone). */
static int become_nobody(struct bt_err *err)
{
    if (setgroups(0, NULL) < 0 || setresgid(NOBODY, NOBODY, NOBODY) < 0 ||
        setresuid(NOBODY, NOBODY, NOBODY) < 0)
        return bt_err_sys(err, errno, "becoming nobody");
    return 0;
}

/* Root → nobody with the ambient NET_BIND_SERVICE, then binds port 80 in a new netns. */
static void child_user_ambient(struct report *report, const void *arg)
{
    const struct user_case *user_case = arg;
    struct bt_err err = {0};
    if (unshare(CLONE_NEWNET) < 0) {
        report->ret = -errno;
        snprintf(report->msg, sizeof(report->msg), "unshare(CLONE_NEWNET): %s", strerror(errno));
        return;
    }
    report->ret = user_case->keep ? bt_caps_keep_across_setuid(&err) : 0;
    if (report->ret == 0)
        report->ret = become_nobody(&err);
    if (report->ret == 0)
        report->ret = bt_caps_apply(&user_case->caps, &err);
    memcpy(report->msg, err.msg, sizeof(report->msg));
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(80)};
    report->bind_errno = bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ? errno : 0;
    close(fd);
}

static void test_apply_user(void)
{
    struct report report;
    char status[4096];
    struct sets after_exec;
    uint64_t nbs = BT_CAP(CAP_NET_BIND_SERVICE);
    struct user_case with_ambient = {
        .keep = true,
        .caps = {.bounding = BT_CAPS_DOCKER_DEFAULT,
                 .effective = nbs,
                 .permitted = nbs,
                 .inheritable = nbs,
                 .ambient = nbs},
    };
    int ret = run_child(child_user_ambient, &with_ambient, &report, true, status, sizeof(status));
    ok(ret == 0 && report.ret == 0, "keep + setresuid(nobody) + bt_caps_apply(ambient NBS)");
    if (report.ret)
        diag("  %s", report.msg);
    ok(report.before_exec.uid == NOBODY && report.before_exec.ambient == nbs &&
           report.before_exec.effective == nbs && report.before_exec.permitted == nbs &&
           report.before_exec.bounding == BT_CAPS_DOCKER_DEFAULT,
       "as nobody: CapAmb, CapEff and CapPrm hold NET_BIND_SERVICE only");
    is_int(report.bind_errno, 0, "nobody can bind port 80");
    parse_sets(status, &after_exec);
    ok(after_exec.uid == NOBODY && after_exec.ambient == nbs && after_exec.effective == nbs &&
           after_exec.permitted == nbs,
       "the ambient capability survives execve as nobody");

    struct user_case without_keep = with_ambient;
    without_keep.keep = false;
    run_child(child_user_ambient, &without_keep, &report, false, NULL, 0);
    ok(report.ret == -EPERM && strstr(report.msg, "cannot grant CAP_NET_BIND_SERVICE") &&
           strstr(report.msg, "bt_caps_keep_across_setuid"),
       "without keep, the uid change empties the permitted set and the error says so");
    is_int(report.bind_errno, EACCES, "and nobody cannot bind port 80");

    struct user_case docker_user = {.keep = true};
    bt_caps_set_docker(&docker_user.caps, BT_CAPS_DOCKER_DEFAULT, NOBODY);
    run_child(child_user_ambient, &docker_user, &report, true, status, sizeof(status));
    parse_sets(status, &after_exec);
    ok(report.ret == 0 && report.before_exec.permitted == 0 && report.before_exec.effective == 0 &&
           after_exec.bounding == BT_CAPS_DOCKER_DEFAULT && after_exec.permitted == 0,
       "docker's spec for a non-root user: bounding only, nothing permitted, before or after "
       "exec");

    run_child(child_no_setpcap, NULL, &report, false, NULL, 0);
    ok(report.ret == -EPERM && strstr(report.msg, "CAP_SETPCAP is not permitted") != NULL,
       "shrinking the bounding set without CAP_SETPCAP fails and says why");
}

int main(void)
{
    plan(61);
    tap_alarm(30);
    is_root = geteuid() == 0;
    test_names();
    test_sets();
    test_tweak();
    tap_alarm(30);
    if (is_root)
        test_apply_default();
    else
        skip_n(8, "needs root");
    tap_alarm(30);
    if (is_root)
        test_apply_only();
    else
        skip_n(5, "needs root");
    tap_alarm(30);
    if (is_root)
        test_apply_user();
    else
        skip_n(8, "needs root");
    return done();
}
