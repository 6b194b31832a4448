/* Unit tests for lib/cgroup.c on the host's real cgroups, whatever their layout, plus
 * synthetic mountinfo files and a fake cgroup2 tree for the v2 code paths the host lacks.
 * Everything lives below a per-run parent "bt-test-PID": a guard process removes it after the
 * runner ends, however it ends (the runner also does it at exit and checks the result). */
#include "cgroup.h"
#include "proc.h"
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#define MiB (1024 * 1024)

static char parent[64];

/* ---- helpers -------------------------------------------------------------------------- */

static void cleanup(void)
{
    struct bt_cgroup cg;
    struct bt_err err = {0};
    if (bt_cgroup_init(&cg, NULL, parent, 0, &err) < 0 || bt_cgroup_remove(&cg, 5000, &err) < 0)
        fprintf(stderr, "t-cgroup cleanup: %s\n", err.msg);
}

/* snprintf for paths and names; truncation cannot happen with the short names used here. */
static void pathf(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void pathf(char *buf, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, len, fmt, ap);
    va_end(ap);
}

static void msleep(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* Initialises and creates PARENT/NAME in LAYOUT (NULL: the host's); reports failures as a
 * failed test. */
static bool make_in(struct bt_cgroup *cg, const struct bt_cgroup_layout *layout, const char *name,
                    unsigned flags)
{
    char path[256];
    struct bt_err err = {0};
    pathf(path, sizeof(path), "%s/%s", parent, name);
    if (bt_cgroup_init(cg, layout, path, flags, &err) < 0 || bt_cgroup_create(cg, &err) < 0) {
        ok(0, "create cgroup %s", path);
        diag("  %s", err.msg);
        return false;
    }
    return true;
}

static bool make(struct bt_cgroup *cg, const char *name, unsigned flags)
{
    return make_in(cg, NULL, name, flags);
}

typedef int (*body_fn)(void *arg);

/* Forks a child that runs BODY only once the parent has joined it to CG (as the shim does
 * with the container's init). Returns its pid or -1. */
static pid_t spawn(const struct bt_cgroup *cg, body_fn body, void *arg)
{
    int go[2];
    if (pipe2(go, O_CLOEXEC) < 0)
        return -1;
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        char c;
        close(go[1]);
        if (read(go[0], &c, 1) != 1)
            _exit(120);
        close(go[0]);
        _exit(body(arg));
    }
    close(go[0]);
    struct bt_err err = {0};
    if (bt_cgroup_join(cg, pid, &err) < 0) {
        diag("join: %s", err.msg);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        close(go[1]);
        return -1;
    }
    (void)!write(go[1], "x", 1);
    close(go[1]);
    return pid;
}

/* Kills whatever is left in CG and reaps every child (grandchildren come to us: we are a
 * subreaper). Returns the number reaped. */
static int finish(const struct bt_cgroup *cg)
{
    bt_cgroup_kill(cg, NULL);
    bt_cgroup_wait_empty(cg, 5000, NULL);
    int count = 0;
    while (waitpid(-1, NULL, 0) > 0)
        count++;
    return count;
}

static bool pid_listed(const char *dir, pid_t pid)
{
    char path[PATH_MAX], buf[4096];
    pathf(path, sizeof(path), "%s/cgroup.procs", dir);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
        if (atoi(line) == pid)
            return true;
    }
    return false;
}

/* The text of PATH without its trailing newline ("" when it cannot be read). Returns BUF. */
static const char *read_value(const char *path, char *buf, size_t len)
{
    ssize_t n = read_file(path, buf, len);
    if (n > 0 && buf[n - 1] == '\n')
        buf[n - 1] = '\0';
    return buf;
}

/* ---- payloads (run in forked children, end with _exit) --------------------------------- */

static int report_fd = -1, resume_fd = -1;

static int forever(void)
{
    for (;;)
        pause();
    return 0;
}

/* Forks children that wait forever until fork fails; returns count | errno << 16. */
static int fork_until_failure(void)
{
    for (int count = 0; count < 1000; count++) {
        pid_t pid = fork();
        if (pid == 0)
            forever();
        if (pid < 0)
            return count | errno << 16;
    }
    return 1000;
}

static int pids_body(void *arg)
{
    (void)arg;
    int result = fork_until_failure();
    char c;
    if (write(report_fd, &result, sizeof(result)) != sizeof(result) || read(resume_fd, &c, 1) != 1)
        return 1;
    result = fork_until_failure();
    (void)!write(report_fd, &result, sizeof(result));
    return forever();
}

static int eat_body(void *arg)
{
    size_t size = (size_t)(uintptr_t)arg;
    char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return 2;
    for (size_t i = 0; i < size; i += 4096)
        p[i] = 1;
    return 0;
}

static int count_body(void *arg)
{
    volatile uint64_t *counter = arg;
    for (;;)
        (*counter)++;
    return 0;
}

/* Ignores SIGTERM, says so in *ARG when given, waits. */
static int stubborn_body(void *arg)
{
    signal(SIGTERM, SIG_IGN);
    if (arg)
        *(volatile pid_t *)arg = getpid();
    return forever();
}

/* Three children that ignore SIGTERM (their pids go to ARG), then forks short-lived ones as
 * fast as it can, reaping them itself so that the three stay its children. */
static int forker_body(void *arg)
{
    volatile pid_t *grandchildren = arg;
    signal(SIGTERM, SIG_IGN);
    for (int i = 0; i < 3; i++) {
        pid_t pid = fork();
        if (pid == 0)
            forever();
        grandchildren[i] = pid;
    }
    for (;;) {
        pid_t pid = fork();
        if (pid == 0)
            _exit(0);
        if (pid < 0)
            msleep(1);
        while (waitpid(-1, NULL, WNOHANG) > 0)
            ;
    }
    return 0;
}

static int affinity_body(void *arg)
{
    int cpu = (int)(intptr_t)arg;
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) < 0)
        return 2;
    return CPU_COUNT(&set) == 1 && CPU_ISSET(cpu, &set) ? 0 : 1;
}

static int open_null_body(void *arg)
{
    (void)arg;
    int fd = open("/dev/null", O_RDONLY);
    return fd < 0 ? errno : 0;
}

/* Touches 1 MiB and uses 100 ms of CPU time, then waits. */
static int spin_body(void *arg)
{
    (void)arg;
    eat_body((void *)(uintptr_t)MiB);
    struct timespec now;
    do
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
    while (now.tv_sec == 0 && now.tv_nsec < 100 * 1000000L);
    return forever();
}

/* ---- cases ---------------------------------------------------------------------------- */

static void test_layout(void)
{
    tap_alarm(10);
    struct bt_cgroup_layout layout;
    struct bt_err err = {0};
    is_int(bt_cgroup_layout_detect(&layout, &err), 0, "detect the host's layout");
    diag("host layout: %s", bt_cgroup_mode_name(layout.mode));
    for (int i = 0; i < layout.count; i++)
        diag("  %s%s%s controllers 0x%x", layout.hierarchies[i].mount,
             layout.hierarchies[i].unified ? " (cgroup2)" : "",
             layout.hierarchies[i].systemd ? " (name=systemd)" : "",
             layout.hierarchies[i].controllers);

    /* Cross-check with /proc/cgroups: every enabled v1 controller has its hierarchy. */
    FILE *f = fopen("/proc/cgroups", "r");
    char name[64];
    int hierarchy, groups, enabled, missing = 0;
    while (f && fscanf(f, "%63s %d %d %d", name, &hierarchy, &groups, &enabled) == 4) {
        for (int c = 0; c < BT_CGROUP_CONTROLLER_COUNT; c++) {
            if (strcmp(name, bt_cgroup_controller_name(c)) == 0 && hierarchy != 0 && enabled &&
                !bt_cgroup_layout_find(&layout, c)) {
                diag("  v1 controller %s not found", name);
                missing++;
            }
        }
    }
    if (f)
        fclose(f);
    is_int(missing, 0, "every mounted v1 controller is found");

    f = fopen("/proc/self/mountinfo", "r");
    char line[1024];
    bool cgroup2 = false;
    while (f && fgets(line, sizeof(line), f))
        cgroup2 |= strstr(line, " - cgroup2 ") != NULL;
    if (f)
        fclose(f);
    is_int(bt_cgroup_layout_unified(&layout) != NULL, cgroup2,
           "the cgroup2 mount is found exactly when mountinfo has one");
}

/* A hierarchy that something was mounted over is no longer used (the mountinfo line stays). */
static void test_hidden(void)
{
    tap_alarm(10);
    struct bt_cgroup_layout layout;
    struct bt_err err = {0};
    if (bt_cgroup_layout_detect(&layout, &err) < 0 ||
        !bt_cgroup_layout_find(&layout, BT_CGROUP_PIDS) ||
        strcmp(bt_cgroup_layout_find(&layout, BT_CGROUP_PIDS)->mount, "/sys/fs/cgroup/pids") != 0) {
        skip("no v1 pids hierarchy at /sys/fs/cgroup/pids on this host");
        return;
    }
    pid_t pid = fork();
    if (pid == 0) {
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
            mount("tmpfs", "/sys/fs/cgroup/pids", "tmpfs", 0, "size=64k") < 0)
            _exit(2);
        _exit(bt_cgroup_layout_detect(&layout, &err) == 0 &&
                      !bt_cgroup_layout_find(&layout, BT_CGROUP_PIDS) &&
                      bt_cgroup_layout_find(&layout, BT_CGROUP_MEMORY)
                  ? 0
                  : 1);
    }
    int status = -1;
    waitpid(pid, &status, 0);
    ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
       "a hierarchy mounted over is ignored, the others are kept");
}

static void test_parse(const char *tmp)
{
    tap_alarm(10);
    char path[PATH_MAX], mount[PATH_MAX], text[1024];
    struct bt_cgroup_layout layout;
    struct bt_err err = {0};

    /* Pure v2, controllers from the mount's cgroup.controllers. */
    pathf(mount, sizeof(mount), "%s/unified", tmp);
    mkdir(mount, 0755);
    pathf(path, sizeof(path), "%s/cgroup.controllers", mount);
    write_file(path, "cpuset cpu io memory pids\n");
    pathf(path, sizeof(path), "%s/mountinfo-v2", tmp);
    pathf(text, sizeof(text),
          "22 1 0:21 / /proc rw - proc proc rw\n"
          "30 22 0:27 / %s rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n",
          mount);
    write_file(path, text);
    int ret = bt_cgroup_layout_parse(&layout, path, &err);
    const struct bt_cgroup_hierarchy *u = bt_cgroup_layout_unified(&layout);
    ok(ret == 0 && layout.mode == BT_CGROUP_MODE_UNIFIED && layout.count == 1 && u &&
           bt_cgroup_layout_find(&layout, BT_CGROUP_MEMORY) == u &&
           bt_cgroup_layout_find(&layout, BT_CGROUP_BLKIO) == u &&
           !bt_cgroup_layout_find(&layout, BT_CGROUP_FREEZER) &&
           !bt_cgroup_layout_find(&layout, BT_CGROUP_HUGETLB),
       "v2: unified, controllers read from cgroup.controllers (io counts as blkio)");

    /* v1 with cpu,cpuacct co-mounted, a second mount of memory and a foreign named one. */
    pathf(path, sizeof(path), "%s/mountinfo-v1", tmp);
    write_file(path, "31 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
                     "34 30 0:31 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
                     "35 30 0:31 / /mnt/memory rw - cgroup cgroup rw,memory\n"
                     "36 30 0:32 / /sys/fs/cgroup/foo rw - cgroup cgroup rw,name=foo\n"
                     "39 30 0:36 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,"
                     "name=systemd\n");
    ret = bt_cgroup_layout_parse(&layout, path, &err);
    const struct bt_cgroup_hierarchy *cpu = bt_cgroup_layout_find(&layout, BT_CGROUP_CPU);
    ok(ret == 0 && layout.mode == BT_CGROUP_MODE_LEGACY && layout.count == 3 && cpu &&
           cpu == bt_cgroup_layout_find(&layout, BT_CGROUP_CPUACCT) &&
           strcmp(cpu->mount, "/sys/fs/cgroup/cpu,cpuacct") == 0 &&
           strcmp(bt_cgroup_layout_find(&layout, BT_CGROUP_MEMORY)->mount,
                  "/sys/fs/cgroup/memory") == 0 &&
           layout.hierarchies[2].systemd,
       "v1: co-mounted controllers share a hierarchy, duplicates and foreign names ignored");

    /* Hybrid, with an escaped space in a mount point. */
    pathf(path, sizeof(path), "%s/mountinfo-hybrid", tmp);
    write_file(path, "34 30 0:31 / /sys/fs/cgroup/my\\040memory rw - cgroup cgroup rw,memory\n"
                     "40 30 0:37 / /nonexistent/unified rw - cgroup2 cgroup2 rw\n");
    ret = bt_cgroup_layout_parse(&layout, path, &err);
    ok(ret == 0 && layout.mode == BT_CGROUP_MODE_HYBRID &&
           strcmp(layout.hierarchies[0].mount, "/sys/fs/cgroup/my memory") == 0 &&
           layout.hierarchies[1].controllers == 0,
       "hybrid: v1 plus a controller-less cgroup2, \\040 unescaped");

    pathf(path, sizeof(path), "%s/mountinfo-none", tmp);
    write_file(path, "22 1 0:21 / /proc rw - proc proc rw\n");
    is_int(bt_cgroup_layout_parse(&layout, path, &err), -ENOENT, "no cgroup mounted: -ENOENT");
}

static void test_paths(void)
{
    tap_alarm(10);
    struct bt_cgroup cg;
    struct bt_err err = {0};
    static const char *const bad[] = {"..", "a/../b", "a/..", ".", "./a", "", "/", "//"};
    int refused = 0;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        refused += bt_cgroup_init(&cg, NULL, bad[i], 0, &err) == -EINVAL;
    is_int(refused, 8, "'..', '.', empty and root paths are refused");
    ok(bt_cgroup_init(&cg, NULL, "/bottle//x/", 0, &err) == 0 && strcmp(cg.path, "bottle/x") == 0,
       "'/bottle//x/' is normalised to 'bottle/x' below each hierarchy's root");
    ok(bt_cgroup_init(&cg, NULL, "a..b/..c", 0, &err) == 0, "dots inside a name are fine");
    struct bt_cgroup v1;
    int ret = bt_cgroup_init(&v1, NULL, "x", BT_CGROUP_V1_ONLY, &err);
    ok(ret == -ENOTSUP || (ret == 0 && !bt_cgroup_layout_unified(&v1.layout) &&
                           v1.layout.mode == BT_CGROUP_MODE_LEGACY),
       "BT_CGROUP_V1_ONLY drops the cgroup2 mount");
}

static void test_create_join(void)
{
    tap_alarm(20);
    struct bt_cgroup cg;
    struct bt_err err = {0};
    if (!make(&cg, "basic", 0))
        return;
    int dirs = 0, listed = 0;
    char dir[PATH_MAX];
    for (int i = 0; i < cg.layout.count; i++) {
        struct stat st;
        bt_cgroup_dir(&cg, &cg.layout.hierarchies[i], dir, sizeof(dir));
        dirs += stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
    }
    is_int(dirs, cg.layout.count, "created in all %d hierarchies", cg.layout.count);
    is_int(bt_cgroup_create(&cg, &err), 0, "create again is fine (idempotent)");
    const struct bt_cgroup_hierarchy *cpuset = bt_cgroup_layout_find(&cg.layout, BT_CGROUP_CPUSET);
    if (cpuset && !cpuset->unified) {
        char cpus[64], path[PATH_MAX];
        bt_cgroup_dir(&cg, cpuset, dir, sizeof(dir));
        pathf(path, sizeof(path), "%s/cpuset.cpus", dir);
        ok(read_value(path, cpus, sizeof(cpus))[0] != '\0', "v1 cpuset.cpus inherited: '%s'", cpus);
    } else {
        skip("no v1 cpuset");
    }
    pid_t pid = spawn(&cg, stubborn_body, NULL);
    for (int i = 0; i < cg.layout.count; i++) {
        bt_cgroup_dir(&cg, &cg.layout.hierarchies[i], dir, sizeof(dir));
        listed += pid_listed(dir, pid);
    }
    is_int(listed, cg.layout.count, "joined pid is in cgroup.procs of every hierarchy");
    ok(!bt_cgroup_is_empty(&cg), "a cgroup with a process is not empty");
    finish(&cg);
    ok(bt_cgroup_is_empty(&cg), "empty after kill");
}

static void test_pids(void)
{
    tap_alarm(30);
    struct bt_cgroup cg;
    struct bt_err err = {0};
    if (!make(&cg, "pids", 0))
        return;
    is_int(bt_cgroup_set_pids(&cg, 10, &err), 0, "pids.max = 10");
    int report[2], resume[2];
    if (pipe(report) < 0 || pipe(resume) < 0)
        return;
    report_fd = report[1];
    resume_fd = resume[0];
    pid_t pid = spawn(&cg, pids_body, NULL);
    int result = 0;
    (void)!read(report[0], &result, sizeof(result));
    is_int(result & 0xffff, 9, "the child forks 9 times (10 processes with itself)");
    is_int(result >> 16, EAGAIN, "then fork fails with EAGAIN");
    is_int(bt_cgroup_set_pids(&cg, 12, &err), 0, "raise pids.max to 12 while populated");
    (void)!write(resume[1], "x", 1);
    (void)!read(report[0], &result, sizeof(result));
    is_int(result & 0xffff, 2, "the live change lets exactly 2 more forks through");
    struct bt_cgroup_stats stats;
    bt_cgroup_stats(&cg, &stats, &err);
    is_int(stats.pids_current, 12, "stats: pids.current is 12");
    finish(&cg);
    close(report[0]);
    close(report[1]);
    close(resume[0]);
    close(resume[1]);
    (void)pid;
}

static void test_oom(void)
{
    tap_alarm(30);
    struct bt_cgroup cg;
    struct bt_err err = {0};
    if (!make(&cg, "oom", 0))
        return;
    int ret = bt_cgroup_set_memory(&cg, 16 * MiB, 16 * MiB, &err);
    if (ret == -ENOTSUP) {
        diag("no swap accounting (%s): limiting memory only", err.msg);
        ret = bt_cgroup_set_memory(&cg, 16 * MiB, BT_CGROUP_KEEP, &err);
    }
    is_int(ret, 0, "memory limit 16 MiB, no swap");
    if (ret < 0)
        diag("  %s", err.msg);
    int fd = bt_cgroup_oom_fd(&cg, &err);
    ok(fd >= 0, "OOM fd");
    if (fd < 0)
        diag("  %s", err.msg);
    uint64_t before = 0, after = 0;
    is_int(bt_cgroup_oom_kills(&cg, &before, &err), 0, "read the oom_kill count");
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    is_int(poll(&pfd, 1, 0), 0, "OOM fd quiet before");
    pid_t pid = spawn(&cg, eat_body, (void *)(uintptr_t)(64 * MiB));
    int status = 0;
    waitpid(pid, &status, 0);
    ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
       "a child touching 64 MiB is killed by SIGKILL (status 0x%x)", status);
    ok(poll(&pfd, 1, 5000) == 1 && (pfd.revents & POLLIN), "the OOM fd fires");
    ok(bt_cgroup_oom_drain(fd) >= 1, "drain reports at least one event");
    is_int(poll(&pfd, 1, 0), 0, "drained");
    bt_cgroup_oom_kills(&cg, &after, &err);
    is_int(after, before + 1, "oom_kill count went up by one");
    struct bt_cgroup_stats stats;
    bt_cgroup_stats(&cg, &stats, &err);
    ok(stats.memory_limit == 16 * MiB && stats.oom_kills == after, "stats: limit and oom_kills");
    if (fd >= 0)
        close(fd);
    finish(&cg);
}

static void test_freeze(const struct bt_cgroup_layout *layout, unsigned flags, const char *label)
{
    tap_alarm(30);
    struct bt_cgroup cg;
    struct bt_err err = {0};
    char name[32];
    pathf(name, sizeof(name), "freeze-%s", label);
    if (!make_in(&cg, layout, name, flags))
        return;
    volatile uint64_t *counter =
        mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (counter == MAP_FAILED)
        return;
    *counter = 0;
    spawn(&cg, count_body, (void *)counter);
    for (int i = 0; i < 1000 && *counter == 0; i++)
        msleep(5);
    ok(*counter > 0, "%s: counter runs", label);
    ok(!bt_cgroup_is_frozen(&cg), "%s: not frozen yet", label);
    int ret = bt_cgroup_freeze(&cg, &err);
    is_int(ret, 0, "%s: freeze", label);
    if (ret < 0)
        diag("  %s", err.msg);
    ok(bt_cgroup_is_frozen(&cg), "%s: is_frozen", label);
    uint64_t frozen_at = *counter;
    msleep(200);
    is_int(*counter, frozen_at, "%s: the counter stands still while frozen", label);
    is_int(bt_cgroup_thaw(&cg, &err), 0, "%s: thaw", label);
    ok(!bt_cgroup_is_frozen(&cg), "%s: thawed", label);
    for (int i = 0; i < 400 && *counter == frozen_at; i++)
        msleep(5);
    ok(*counter > frozen_at, "%s: the counter moves again", label);
    is_int(bt_cgroup_thaw(&cg, &err), 0, "%s: thaw again is harmless", label);
    finish(&cg);
    munmap((void *)counter, 4096);
}

/* Waits up to 2 s for bt_cgroup_freezer_check to say 1: on v2 in poll(POLLPRI) on
 * cgroup.events, as bottled's inotify watch would be woken, on v1 in 10 ms steps. */
static int freezer_wait(struct bt_cgroup_freezer *f)
{
    int fd = f->events[0] ? open(f->events, O_RDONLY | O_CLOEXEC) : -1;
    int ret = 0;
    for (int i = 0; i < 200 && ret == 0; i++) {
        char buf[256];
        if (fd >= 0 && (lseek(fd, 0, SEEK_SET) < 0 || read(fd, buf, sizeof(buf)) < 0))
            break;
        ret = bt_cgroup_freezer_check(f, NULL);
        if (ret == 0) {
            struct pollfd pfd = {.fd = fd, .events = POLLPRI};
            if (fd < 0 || poll(&pfd, 1, 10) < 0)
                msleep(10);
        }
    }
    if (fd >= 0)
        close(fd);
    return ret;
}

/* The non-blocking freezer (bt_cgroup_freezer_begin/check) that bottled uses. 7 tests. */
static void test_freezer(const struct bt_cgroup_layout *layout, unsigned flags, const char *label)
{
    tap_alarm(30);
    struct bt_cgroup cg;
    struct bt_cgroup_freezer f;
    struct bt_err err = {0};
    char name[32];
    pathf(name, sizeof(name), "freezer-%s", label);
    if (!make_in(&cg, layout, name, flags))
        return;
    volatile uint64_t *counter =
        mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (counter == MAP_FAILED)
        return;
    *counter = 0;
    spawn(&cg, count_body, (void *)counter);
    for (int i = 0; i < 1000 && *counter == 0; i++)
        msleep(5);
    int ret = bt_cgroup_freezer_begin(&cg, true, &f, &err);
    is_int(ret, 0, "%s: freezer_begin(frozen)", label);
    if (ret < 0)
        diag("  %s", err.msg);
    ok(f.unified == (f.events[0] != 0), "%s: an events file to watch exactly on v2", label);
    is_int(freezer_wait(&f), 1, "%s: freezer_check says frozen", label);
    uint64_t frozen_at = *counter;
    msleep(200);
    is_int(*counter, frozen_at, "%s: the counter stands still", label);
    is_int(bt_cgroup_freezer_begin(&cg, false, &f, &err), 0, "%s: freezer_begin(thawed)", label);
    is_int(freezer_wait(&f), 1, "%s: freezer_check says thawed", label);
    for (int i = 0; i < 400 && *counter == frozen_at; i++)
        msleep(5);
    ok(*counter > frozen_at, "%s: the counter moves again", label);
    finish(&cg);
    munmap((void *)counter, 4096);
}

static bool alive(pid_t pid)
{
    char state = 0;
    return bt_proc_stat(pid, NULL, &state) == 0 && state != 'Z';
}

static void test_kill(const struct bt_cgroup_layout *layout, unsigned flags, bool paused,
                      const char *label)
{
    tap_alarm(30);
    struct bt_cgroup cg;
    struct bt_err err = {0};
    char name[32];
    pathf(name, sizeof(name), "kill-%s%s", label, paused ? "-paused" : "");
    if (!make_in(&cg, layout, name, flags))
        return;
    bt_cgroup_set_pids(&cg, 64, &err); /* a safety belt for the forker */
    volatile pid_t *grandchildren =
        mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (grandchildren == MAP_FAILED)
        return;
    pid_t stubborn = spawn(&cg, stubborn_body, (void *)&grandchildren[3]);
    pid_t forker = spawn(&cg, forker_body, (void *)grandchildren);
    for (int i = 0; i < 1000 && (grandchildren[2] == 0 || grandchildren[3] == 0); i++)
        msleep(5);
    msleep(50);
    int signalled = bt_cgroup_signal(&cg, SIGTERM, &err);
    msleep(50);
    ok(signalled >= 5 && alive(stubborn) && alive(forker), "%s: SIGTERM to %d processes, ignored",
       name, signalled);
    if (paused)
        is_int(bt_cgroup_freeze(&cg, &err), 0, "%s: paused before the kill", name);
    int ret = bt_cgroup_kill(&cg, &err);
    is_int(ret, 0, "%s: kill", name);
    if (ret < 0)
        diag("  %s", err.msg);
    ret = bt_cgroup_wait_empty(&cg, 5000, &err);
    is_int(ret, 0, "%s: the cgroup empties", name);
    if (ret < 0)
        diag("  %s", err.msg);
    int dead = 0;
    for (int i = 0; i < 3; i++)
        dead += grandchildren[i] > 0 && !alive(grandchildren[i]);
    is_int(dead, 3, "%s: the forker's three children are dead", name);
    int status = 0, status2 = 0;
    waitpid(stubborn, &status, 0);
    waitpid(forker, &status2, 0);
    ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL && WIFSIGNALED(status2) &&
           WTERMSIG(status2) == SIGKILL,
       "%s: both died of SIGKILL", name);
    finish(&cg);
    ok(!bt_cgroup_is_frozen(&cg), "%s: left thawed, ready for a restart", name);
    munmap((void *)grandchildren, 4096);
}

static void test_cpu(void)
{
    tap_alarm(10);
    struct bt_cgroup cg;
    struct bt_err err = {0};
    if (!make(&cg, "cpu", 0))
        return;
    int64_t quota = 0;
    uint64_t period = 0;
    int ret = bt_cgroup_set_cpu(&cg, 50000, 100000, 512, &err);
    is_int(ret, 0, "cpu quota 50000/100000, shares 512");
    if (ret < 0)
        diag("  %s", err.msg);
    bt_cgroup_get_cpu(&cg, &quota, &period, &err);
    ok(quota == 50000 && period == 100000, "read back %lld/%llu", (long long)quota,
       (unsigned long long)period);
    const struct bt_cgroup_hierarchy *h = bt_cgroup_layout_find(&cg.layout, BT_CGROUP_CPU);
    char text[64];
    if (h && !h->unified) {
        bt_cgroup_read(&cg, BT_CGROUP_CPU, "cpu.cfs_quota_us", text, sizeof(text), &err);
        is_str(text, "50000", "v1 cpu.cfs_quota_us");
        bt_cgroup_read(&cg, BT_CGROUP_CPU, "cpu.shares", text, sizeof(text), &err);
        is_str(text, "512", "v1 cpu.shares");
    } else {
        bt_cgroup_read(&cg, BT_CGROUP_CPU, "cpu.max", text, sizeof(text), &err);
        is_str(text, "50000 100000", "v2 cpu.max");
        bt_cgroup_read(&cg, BT_CGROUP_CPU, "cpu.weight", text, sizeof(text), &err);
        is_str(text, "20", "v2 cpu.weight from shares 512");
    }
    ret = bt_cgroup_set_cpu(&cg, BT_CGROUP_MAX, 200000, 0, &err);
    bt_cgroup_get_cpu(&cg, &quota, &period, &err);
    ok(ret == 0 && quota == BT_CGROUP_MAX && period == 200000, "unlimited quota, period 200000");
    is_int(bt_cgroup_set_cpu(&cg, -5, 0, 0, &err), -EINVAL, "negative quota refused");
}

static void test_cpuset(void)
{
    tap_alarm(20);
    struct bt_cgroup cg;
    struct bt_err err = {0};
    if (!make(&cg, "cpuset", 0))
        return;
    cpu_set_t set;
    sched_getaffinity(0, sizeof(set), &set);
    int cpu = 0;
    while (cpu < CPU_SETSIZE && !CPU_ISSET(cpu, &set))
        cpu++;
    char cpus[16];
    pathf(cpus, sizeof(cpus), "%d", cpu);
    int ret = bt_cgroup_set_cpuset(&cg, cpus, NULL, &err);
    is_int(ret, 0, "cpuset.cpus = %s", cpus);
    if (ret < 0)
        diag("  %s", err.msg);
    pid_t pid = spawn(&cg, affinity_body, (void *)(intptr_t)cpu);
    int status = -1;
    waitpid(pid, &status, 0);
    ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child may run on cpu %d only", cpu);
    finish(&cg);
}

static void test_io(void)
{
    tap_alarm(10);
    struct bt_cgroup cg;
    struct bt_err err = {0};
    if (!make(&cg, "io", 0))
        return;
    int ret = bt_cgroup_set_io_weight(&cg, 500, &err);
    char text[64] = "";
    if (ret == 0) {
        const char *file = "blkio.bfq.weight";
        const struct bt_cgroup_hierarchy *h = bt_cgroup_layout_find(&cg.layout, BT_CGROUP_BLKIO);
        if (h->unified)
            file = "io.weight";
        else if (bt_cgroup_read(&cg, BT_CGROUP_BLKIO, "blkio.weight", text, sizeof(text), NULL) >=
                 0)
            file = "blkio.weight";
        bt_cgroup_read(&cg, BT_CGROUP_BLKIO, file, text, sizeof(text), &err);
        ok(strstr(text, h->unified ? "4950" : "500") != NULL, "io weight 500: %s reads '%s'", file,
           text);
    } else {
        ok(ret == -ENOTSUP && strstr(err.msg, "scheduler"), "no io weights here, said clearly");
        diag("  %s", err.msg);
    }
    is_int(bt_cgroup_set_io_weight(&cg, 5, &err), -EINVAL, "io weight 5 refused");
}

static void test_devices(void)
{
    tap_alarm(20);
    struct bt_cgroup cg;
    struct bt_err err = {0};
    if (!make(&cg, "devices", 0))
        return;
    struct bt_cgroup_device deny_null = {.allow = false, .type = 'c', .major = 1, .minor = 3};
    struct bt_cgroup_device allow_null = {
        .allow = true, .type = 'c', .major = 1, .minor = 3, .access = "rw"};
    int ret = bt_cgroup_set_devices(&cg, &deny_null, 1, &err);
    if (!bt_cgroup_layout_find(&cg.layout, BT_CGROUP_DEVICES)) {
        ok(ret == -ENOTSUP && strstr(err.msg, "eBPF"), "v2: device rules refused clearly");
        skip_n(3, "no v1 devices controller");
        return;
    }
    is_int(ret, 0, "deny c 1:3");
    pid_t pid = spawn(&cg, open_null_body, NULL);
    int status = -1;
    waitpid(pid, &status, 0);
    ok(WIFEXITED(status) && WEXITSTATUS(status) == EPERM, "opening /dev/null fails with EPERM");
    ret = bt_cgroup_set_devices(&cg, &allow_null, 1, &err);
    pid = spawn(&cg, open_null_body, NULL);
    waitpid(pid, &status, 0);
    ok(ret == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
       "allowed again (live): /dev/null opens");
    struct bt_cgroup_device bad = {.allow = true, .type = 'x', .access = "rwm"};
    is_int(bt_cgroup_set_devices(&cg, &bad, 1, &err), -EINVAL, "bad device type refused");
}

static void test_stats(void)
{
    tap_alarm(20);
    struct bt_cgroup cg;
    struct bt_err err = {0};
    if (!make(&cg, "stats", 0))
        return;
    spawn(&cg, spin_body, NULL);
    struct bt_cgroup_stats stats;
    int ret;
    for (int i = 0; i < 500; i++) {
        ret = bt_cgroup_stats(&cg, &stats, &err);
        if (ret < 0 ||
            (stats.cpu_usage_ns >= 90 * 1000000ULL && stats.cpu_usage_ns != BT_CGROUP_STAT_NONE))
            break;
        msleep(10);
    }
    is_int(ret, 0, "stats");
    ok(stats.cpu_usage_ns >= 90 * 1000000ULL && stats.cpu_usage_ns != BT_CGROUP_STAT_NONE,
       "cpu usage %llu ns after 100 ms of CPU time", (unsigned long long)stats.cpu_usage_ns);
    ok(stats.memory_usage >= MiB && stats.memory_usage != BT_CGROUP_STAT_NONE,
       "memory usage %llu after touching 1 MiB", (unsigned long long)stats.memory_usage);
    ok(stats.pids_current == 1 && stats.memory_limit == BT_CGROUP_STAT_NONE,
       "one pid, no memory limit");
    finish(&cg);
}

/* v2 code paths on a fake cgroup2 tree (regular files): what each setter writes. */
static void test_fake_v2(const char *tmp)
{
    tap_alarm(10);
    char root[PATH_MAX], path[PATH_MAX], dir[PATH_MAX], text[256];
    struct bt_err err = {0};
    pathf(root, sizeof(root), "%s/fake", tmp);
    mkdir(root, 0755);
    pathf(path, sizeof(path), "%s/cgroup.controllers", root);
    write_file(path, "cpuset cpu io memory hugetlb pids rdma misc\n");
    pathf(path, sizeof(path), "%s/cgroup.subtree_control", root);
    write_file(path, "memory\n");
    pathf(path, sizeof(path), "%s/mountinfo", tmp);
    pathf(text, sizeof(text), "30 22 0:27 / %s rw - cgroup2 cgroup2 rw\n", root);
    write_file(path, text);
    struct bt_cgroup_layout layout;
    struct bt_cgroup cg;
    if (bt_cgroup_layout_parse(&layout, path, &err) < 0 ||
        bt_cgroup_init(&cg, &layout, "bottle/c1", 0, &err) < 0) {
        ok(0, "fake v2 layout: %s", err.msg);
        return;
    }
    is_int(bt_cgroup_create(&cg, &err), 0, "fake v2: create");
    pathf(path, sizeof(path), "%s/cgroup.subtree_control", root);
    is_str(read_value(path, text, sizeof(text)), "+pids",
           "fake v2: controllers enabled in the parent, one write each (last: +pids)");

    bt_cgroup_dir(&cg, &layout.hierarchies[0], dir, sizeof(dir));
    static const char *const files[][2] = {
        {"memory.max", "max"},     {"memory.swap.max", "max"},
        {"cpu.max", "max 100000"}, {"cpu.weight", "100"},
        {"pids.max", "max"},       {"io.weight", "default 100"},
        {"cpuset.cpus", ""},       {"memory.events", "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n"},
    };
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        pathf(path, sizeof(path), "%s/%s", dir, files[i][0]);
        write_file(path, files[i][1]);
    }
#define FILE_IS(name, want, ...)                                                                   \
    do {                                                                                           \
        pathf(path, sizeof(path), "%s/%s", dir, name);                                             \
        is_str(read_value(path, text, sizeof(text)), want, __VA_ARGS__);                           \
    } while (0)
    is_int(bt_cgroup_set_memory(&cg, 16 * MiB, 48 * MiB, &err), 0, "fake v2: memory");
    FILE_IS("memory.max", "16777216", "memory.max");
    FILE_IS("memory.swap.max", "33554432", "memory.swap.max = memory+swap - memory");
    is_int(bt_cgroup_set_memory(&cg, BT_CGROUP_KEEP, 16 * MiB, &err), 0, "swap alone, memory kept");
    FILE_IS("memory.swap.max", "0", "memory.swap.max 0: no swap");
    bt_cgroup_set_memory(&cg, BT_CGROUP_MAX, BT_CGROUP_MAX, &err);
    FILE_IS("memory.max", "max", "memory.max max");
    is_int(bt_cgroup_set_memory(&cg, 32 * MiB, 16 * MiB, &err), -EINVAL,
           "memory+swap below memory refused");
    bt_cgroup_set_cpu(&cg, 50000, 0, 1024, &err);
    FILE_IS("cpu.max", "50000 100000", "cpu.max keeps the period");
    FILE_IS("cpu.weight", "39", "cpu.weight from shares 1024 (1 + (1022 * 9999) / 262142)");
    bt_cgroup_set_cpu(&cg, BT_CGROUP_KEEP, 250000, 2, &err);
    FILE_IS("cpu.max", "50000 250000", "cpu.max keeps the quota");
    FILE_IS("cpu.weight", "1", "shares 2 is weight 1");
    int64_t quota;
    uint64_t period;
    ok(bt_cgroup_get_cpu(&cg, &quota, &period, &err) == 0 && quota == 50000 && period == 250000,
       "get_cpu parses cpu.max");
    bt_cgroup_set_pids(&cg, 100, &err);
    FILE_IS("pids.max", "100", "pids.max");
    bt_cgroup_set_io_weight(&cg, 500, &err);
    FILE_IS("io.weight", "4950", "io.weight from blkio weight 500");
    bt_cgroup_set_cpuset(&cg, "0-1", NULL, &err);
    FILE_IS("cpuset.cpus", "0-1", "cpuset.cpus");

    struct bt_cgroup_device rule = {.allow = false, .type = 'a'};
    is_int(bt_cgroup_set_devices(&cg, &rule, 1, &err), -ENOTSUP, "fake v2: device rules refused");
    ok(strstr(err.msg, "eBPF") != NULL, "  with a clear message: %s", err.msg);
    is_int(bt_cgroup_freeze(&cg, &err), -ENOTSUP, "fake v2 without cgroup.freeze: no freezer");

    int fd = bt_cgroup_oom_fd(&cg, &err);
    ok(fd >= 0, "fake v2: OOM fd (inotify on memory.events)");
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    is_int(poll(&pfd, 1, 0), 0, "quiet before");
    pathf(path, sizeof(path), "%s/memory.events", dir);
    write_file(path, "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n");
    ok(poll(&pfd, 1, 2000) == 1 && bt_cgroup_oom_drain(fd) >= 1,
       "fires when memory.events changes");
    uint64_t kills = 0;
    ok(bt_cgroup_oom_kills(&cg, &kills, &err) == 0 && kills == 1,
       "oom_kill read from memory.events");
    if (fd >= 0)
        close(fd);
#undef FILE_IS
}

static bool gone_everywhere(const struct bt_cgroup *cg)
{
    for (int i = 0; i < cg->layout.count; i++) {
        char dir[PATH_MAX];
        struct stat st;
        bt_cgroup_dir(cg, &cg->layout.hierarchies[i], dir, sizeof(dir));
        if (stat(dir, &st) == 0) {
            diag("  left behind: %s", dir);
            return false;
        }
    }
    return true;
}

static void test_remove(void)
{
    tap_alarm(30);
    struct bt_cgroup cg, inner;
    struct bt_err err = {0};
    /* A container that made cgroups of its own, with a process deep inside. */
    if (!make(&cg, "gone", 0) || !make(&inner, "gone/sub/inner", 0))
        return;
    pid_t pid = spawn(&inner, stubborn_body, NULL);
    is_int(bt_cgroup_wait_empty(&cg, 100, &err), -ETIMEDOUT, "wait_empty times out while busy");
    ok(strstr(err.msg, "still has processes") != NULL, "  %s", err.msg);
    int ret = bt_cgroup_remove(&cg, 5000, &err);
    is_int(ret, 0, "remove a populated cgroup with nested children");
    if (ret < 0)
        diag("  %s", err.msg);
    int status = 0;
    waitpid(pid, &status, 0);
    ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "its process was killed");
    ok(gone_everywhere(&cg) && !bt_cgroup_exists(&cg), "no directory left in any hierarchy");
    is_int(bt_cgroup_remove(&cg, 5000, &err), 0, "remove again: idempotent");

    /* A crashed run's leftover: present in some hierarchies only. */
    if (!make(&cg, "partial", 0))
        return;
    char dir[PATH_MAX];
    bt_cgroup_dir(&cg, &cg.layout.hierarchies[0], dir, sizeof(dir));
    rmdir(dir);
    ok(bt_cgroup_remove(&cg, 5000, &err) == 0 && gone_everywhere(&cg),
       "a half-removed leftover is removed");
}

static void test_cleanup(void)
{
    tap_alarm(30);
    struct bt_cgroup cg;
    struct bt_err err = {0};
    bt_cgroup_init(&cg, NULL, parent, 0, &err);
    int ret = bt_cgroup_remove(&cg, 5000, &err);
    is_int(ret, 0, "remove the test parent %s", parent);
    if (ret < 0)
        diag("  %s", err.msg);
    ok(gone_everywhere(&cg), "nothing of %s left in any hierarchy", parent);
}

static char tmp[PATH_MAX];

static int run(void)
{
    plan(168);
    bt_proc_set_subreaper();
    atexit(cleanup);

    test_layout();
    test_parse(tmp);
    test_hidden();
    test_paths();
    test_create_join();
    test_pids();
    test_oom();
    /* Variants of the host's layout: v1 without a freezer (SIGKILL repeated until the forks
     * stop), and the cgroup2 mount alone (a pure v2 host's paths, minus its controllers). */
    struct bt_cgroup_layout host, no_freezer = {0}, unified = {0};
    if (bt_cgroup_layout_detect(&host, NULL) == 0) {
        for (int i = 0; i < host.count; i++) {
            const struct bt_cgroup_hierarchy *h = &host.hierarchies[i];
            if (h->unified)
                unified.hierarchies[unified.count++] = *h;
            else if (!(h->controllers & BT_CGROUP_BIT(BT_CGROUP_FREEZER)))
                no_freezer.hierarchies[no_freezer.count++] = *h;
        }
        no_freezer.mode = BT_CGROUP_MODE_LEGACY;
        unified.mode = BT_CGROUP_MODE_UNIFIED;
    }

    test_freeze(NULL, 0, "default");
    test_freeze(NULL, BT_CGROUP_V1_ONLY, "v1");
    if (unified.count > 0)
        test_freeze(&unified, 0, "v2");
    else
        skip_n(9, "no cgroup2 mount");
    test_freezer(NULL, 0, "default");
    test_freezer(NULL, BT_CGROUP_V1_ONLY, "v1");
    {
        struct bt_cgroup gone;
        struct bt_cgroup_freezer f;
        char path[256];
        pathf(path, sizeof(path), "%s/never-made", parent);
        bt_cgroup_init(&gone, NULL, path, 0, NULL);
        is_int(bt_cgroup_freezer_begin(&gone, true, &f, NULL), -ENOENT,
               "freezer_begin: a missing cgroup is ENOENT");
    }
    test_kill(NULL, 0, false, "default");
    test_kill(NULL, BT_CGROUP_V1_ONLY, false, "v1");
    test_kill(NULL, 0, true, "default");
    test_kill(NULL, BT_CGROUP_V1_ONLY, true, "v1");
    if (no_freezer.count > 0 && bt_cgroup_layout_find(&no_freezer, BT_CGROUP_PIDS))
        test_kill(&no_freezer, 0, false, "nofreezer");
    else
        skip_n(6, "no v1 hierarchy with pids but without freezer");
    if (unified.count > 0 && host.mode == BT_CGROUP_MODE_HYBRID) {
        test_kill(&unified, 0, true, "v2");
        struct bt_cgroup cg;
        struct bt_err err = {0};
        if (make_in(&cg, &unified, "v2-nomemory", 0)) {
            is_int(bt_cgroup_set_memory(&cg, 16 * MiB, BT_CGROUP_KEEP, &err), -ENOTSUP,
                   "controller-less cgroup2: memory limit refused");
            ok(strstr(err.msg, "no memory controller") != NULL, "  %s", err.msg);
        }
    } else {
        skip_n(9, "not a hybrid host");
    }
    test_cpu();
    test_cpuset();
    test_io();
    test_devices();
    test_stats();
    test_fake_v2(tmp);
    test_remove();
    test_cleanup();
    return done();
}

/* ---- guard ---------------------------------------------------------------------------- */

static pid_t runner;

static void stop_runner(int sig)
{
    (void)sig;
    kill(runner, SIGKILL);
}

int main(void)
{
    if (geteuid() != 0) {
        printf("1..0 # SKIP cgroups need root\n");
        return 0;
    }
    pathf(parent, sizeof(parent), "bt-test-%d", (int)getpid());
    make_tmpdir(tmp, sizeof(tmp), "t-cgroup");
    /* Orphans of a runner that died come to us, and the cgroup kill below reaps them. */
    bt_proc_set_subreaper();
    fflush(stdout);
    runner = fork();
    if (runner < 0)
        return 1;
    if (runner == 0)
        exit(run());
    struct sigaction sa = {.sa_handler = stop_runner};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    int status = 0;
    while (waitpid(runner, &status, 0) < 0 && errno == EINTR)
        ;
    cleanup();
    if (remove_tree(tmp) < 0)
        fprintf(stderr, "t-cgroup: could not remove %s\n", tmp);
    for (int i = 0; i < 100 && waitpid(-1, NULL, WNOHANG) >= 0; i++)
        usleep(10000);
    return bt_proc_exit_code(status);
}
