/* The program each init under test runs as its child (bench/init/run): it makes orphans,
 * receives signals or sleeps, and tells the driver on stdout. It runs inside a pid namespace
 * whose PID 1 is the init, so /proc/1 is the init; every wait has a deadline. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DEADLINE_NS (60 * 1000000000LL)

static int64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_ns(int64_t ns)
{
    struct timespec ts = {.tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000};

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static void die(const char *what)
{
    fprintf(stderr, "init-payload: %s: %s\n", what, strerror(errno));
    exit(2);
}

/* CPU time PID 1 has used, in ns: the scheduler's exact sum from /proc/1/schedstat, or
 * utime+stime (clock ticks, 10 ms steps) from /proc/1/stat when schedstat is missing. */
static int64_t pid1_cpu_ns(void)
{
    char buf[1024];
    long long sum;
    unsigned long utime, stime;
    FILE *f = fopen("/proc/1/schedstat", "r");

    if (f) {
        int n = fscanf(f, "%lld", &sum);
        fclose(f);
        if (n == 1)
            return sum;
    }
    f = fopen("/proc/1/stat", "r");
    if (!f)
        die("/proc/1/stat");
    if (!fgets(buf, sizeof(buf), f))
        die("/proc/1/stat");
    fclose(f);
    /* Fields after the command, which may hold spaces: state is field 3, utime 14, stime 15. */
    char *p = strrchr(buf, ')');
    if (!p ||
        sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2)
        die("parse /proc/1/stat");
    return (int64_t)(utime + stime) * (1000000000 / sysconf(_SC_CLK_TCK));
}

/* True while PID exists, zombie or not (kill(pid, 0) succeeds on a zombie). */
static bool exists(pid_t pid)
{
    return kill(pid, 0) == 0 || errno != ESRCH;
}

/* Waits until every pid in PIDS[0..N) is gone; PID 1 reaps them in creation order, so a
 * cursor that only moves forward makes this about N kill() calls. Returns the time the last
 * one was seen gone, or -1 after the deadline. */
static int64_t wait_all_gone(const pid_t *pids, size_t n, int64_t deadline)
{
    size_t i = 0;

    for (;;) {
        while (i < n && !exists(pids[i]))
            i++;
        if (i == n)
            return now_ns();
        if (now_ns() > deadline)
            return -1;
        sleep_ns(20000);
    }
}

/* Switches to the real-time priority the driver asks for (INIT_BENCH_RT), if any: above the
 * init's, so that what the init does wakes us at once and no neighbour steps in between. */
static void raise_priority(void)
{
    const char *rt = getenv("INIT_BENCH_RT");

    if (rt) {
        struct sched_param param = {.sched_priority = atoi(rt)};
        sched_setscheduler(0, SCHED_FIFO, &param);
    }
}

static char child_stack[2][16384] __attribute__((aligned(16)));

static int exit_now(void *arg)
{
    (void)arg;
    return 0;
}

/* burst N: a helper makes N zombies (CLONE_VM|CLONE_VFORK children that exit at once: fork()
 * costs ~0.6 ms in this VM, this ~35 µs), waits until each is a zombie, then exits on our word,
 * so that PID 1 inherits all N at once. Times from that word until the last one is gone. */
static int burst(size_t n)
{
    pid_t *pids =
        mmap(NULL, n * sizeof(*pids), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    int ready[2], go[2];
    char c;

    if (pids == MAP_FAILED)
        die("mmap");
    if (pipe(ready) < 0 || pipe(go) < 0)
        die("pipe");
    pid_t helper = fork();
    if (helper < 0)
        die("fork");
    if (helper == 0) {
        siginfo_t si;
        for (size_t i = 0; i < n; i++) {
            pids[i] = clone(exit_now, child_stack[0] + sizeof(child_stack[0]),
                            CLONE_VM | CLONE_VFORK | SIGCHLD, NULL);
            if (pids[i] < 0)
                _exit(3);
        }
        /* CLONE_VFORK returns once the child has released its mm, a little before it is a
         * zombie: wait for that without reaping. */
        for (size_t i = 0; i < n; i++)
            if (waitid(P_PID, pids[i], &si, WEXITED | WNOWAIT) < 0)
                _exit(4);
        if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 1)
            _exit(5);
        _exit(0);
    }
    struct pollfd pfd = {.fd = ready[0], .events = POLLIN};
    if (poll(&pfd, 1, 120000) != 1 || read(ready[0], &c, 1) != 1) {
        kill(helper, SIGKILL);
        fprintf(stderr, "init-payload: burst helper failed\n");
        return 2;
    }
    raise_priority(); /* only now: making the zombies takes CPU for a while */
    int64_t cpu0 = pid1_cpu_ns();
    int64_t t0 = now_ns();
    if (write(go[1], "g", 1) != 1)
        die("write");
    int status;
    if (waitpid(helper, &status, 0) < 0)
        die("waitpid helper");
    int64_t t_orphaned = now_ns();
    int64_t t1 = wait_all_gone(pids, n, t0 + DEADLINE_NS);
    sleep_ns(50000000); /* let PID 1 finish its last loop before reading its CPU time */
    int64_t cpu1 = pid1_cpu_ns();
    size_t left = 0;
    for (size_t i = 0; i < n; i++)
        left += exists(pids[i]);
    printf("n=%zu drain_us=%" PRId64 " exit_us=%" PRId64 " pid1_cpu_us=%" PRId64 " left=%zu\n", n,
           t1 < 0 ? -1 : (t1 - t0) / 1000, (t_orphaned - t0) / 1000, (cpu1 - cpu0) / 1000, left);
    return left ? 1 : 0;
}

struct orphan_state {
    pid_t orphan;
};

static int make_orphan(void *arg)
{
    struct orphan_state *state = arg;
    siginfo_t si;

    pid_t pid = clone(exit_now, child_stack[1] + sizeof(child_stack[1]),
                      CLONE_VM | CLONE_VFORK | SIGCHLD, NULL);
    if (pid < 0)
        return 3;
    if (waitid(P_PID, pid, &si, WEXITED | WNOWAIT) < 0)
        return 4;
    state->orphan = pid;
    return 0; /* our exit hands the zombie to PID 1 */
}

/* Makes one orphan: a middle process makes a zombie child and exits, which hands the zombie
 * to PID 1. Returns its pid, or -1. */
static pid_t orphan_one(void)
{
    struct orphan_state state = {0};
    int status;

    pid_t middle = clone(make_orphan, child_stack[0] + sizeof(child_stack[0]),
                         CLONE_VM | CLONE_VFORK | SIGCHLD, &state);
    if (middle < 0 || waitpid(middle, &status, 0) < 0)
        return -1;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || state.orphan <= 0)
        return -1;
    return state.orphan;
}

/* step FIFO: prints "ready"; then for every "o" read from FIFO makes one orphan, waits until
 * PID 1 has reaped it and prints "d". "q" or the end of the FIFO ends it. The driver measures
 * PID 1's CPU time from outside, and takes turns between contenders orphan by orphan. */
static int step(const char *fifo)
{
    char c;
    int fd = open(fifo, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        die(fifo);
    if (write(1, "ready\n", 6) != 6)
        die("write");
    while (read(fd, &c, 1) == 1 && c == 'o') {
        pid_t pid = orphan_one();
        if (pid < 0)
            die("orphan");
        if (wait_all_gone(&pid, 1, now_ns() + DEADLINE_NS) < 0) {
            fprintf(stderr, "init-payload: orphan %d never reaped\n", pid);
            return 1;
        }
        if (write(1, "d\n", 2) != 2)
            die("write");
    }
    return 0;
}

/* sigwait: prints "ready", then one line "SEQ NS" (CLOCK_MONOTONIC) per SIGUSR1 received, at
 * once. SIGTERM (not blocked) ends it. */
static _Noreturn void sigwait_loop(void)
{
    sigset_t set;
    siginfo_t si;
    char line[64];
    unsigned long seq = 0;

    raise_priority();
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
        die("sigprocmask");
    if (write(1, "ready\n", 6) != 6)
        die("write");
    for (;;) {
        if (sigwaitinfo(&set, &si) < 0) {
            if (errno == EINTR)
                continue;
            die("sigwaitinfo");
        }
        int64_t t = now_ns();
        int len = snprintf(line, sizeof(line), "%lu %" PRId64 "\n", ++seq, t);
        if (write(1, line, len) != len)
            die("write");
    }
}

/* Runs FN(ARG) in a child that has a session of its own, and returns its exit status. With
 * the kernel's autogroups (sched_autogroup_enabled), a session is a scheduling group, and the
 * CPU share of a group with runnable tasks on both CPUs is split between them: if the busy
 * worker shared the init's session, the init would get less of its CPU whenever a neighbour
 * wants it too, and more under dumb-init, which gives its child a session of its own. */
static int in_own_session(int (*fn)(const char *), const char *arg)
{
    int status;

    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        if (setsid() < 0)
            die("setsid");
        exit(fn(arg));
    }
    if (waitpid(pid, &status, 0) < 0)
        die("waitpid");
    return WIFEXITED(status) ? WEXITSTATUS(status) : 2;
}

static int burst_arg(const char *count)
{
    return burst(strtoul(count, NULL, 10));
}

int main(int argc, char **argv)
{
    const char *cpu = getenv("INIT_BENCH_CPU");
    if (cpu) { /* the driver's CPU: the init has the other one to itself */
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(atoi(cpu), &set);
        sched_setaffinity(0, sizeof(set), &set);
    }
    /* Short sleeps in the polling loops should not be stretched by the default 50 µs slack. */
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 3 && strcmp(argv[1], "burst") == 0)
        return in_own_session(burst_arg, argv[2]);
    if (argc == 3 && strcmp(argv[1], "step") == 0)
        return in_own_session(step, argv[2]);
    if (argc == 2 && strcmp(argv[1], "sigwait") == 0)
        sigwait_loop();
    if (argc == 3 && strcmp(argv[1], "sleep") == 0) {
        sleep_ns(strtoll(argv[2], NULL, 10) * 1000000);
        return 0;
    }
    fprintf(stderr, "usage: init-payload burst N | step FIFO | sigwait | sleep MS\n");
    return 2;
}
