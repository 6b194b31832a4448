/* The host side of bench/init: runs inits under test (each a path and options) through one
 * measurement and prints key=value results, one line per contender, run or trial. The trickle
 * and signal rows run every contender at once and take turns one orphan or one signal at a
 * time, so that the noise of a shared machine falls on all of them alike. It must never leave
 * a process behind: it is a child subreaper, every wait has a deadline, and an init that runs
 * as PID 1 of its own pid namespace is SIGKILLed on the way out, which empties the namespace. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MS             ((int64_t)1000000)
#define MAX_CONTENDERS 16

static char payload_path[PATH_MAX];
static bool verbose;
static int init_cpu = -1; /* the CPU every init runs on, or -1 */
static int init_rt_prio;  /* the SCHED_FIFO priority inits start with, or 0 */

static int64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_until(int64_t t)
{
    struct timespec ts = {.tv_sec = t / 1000000000, .tv_nsec = t % 1000000000};

    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

static void die(const char *what)
{
    fprintf(stderr, "init-driver: %s: %s\n", what, strerror(errno));
    exit(2);
}

/* One init under test: its process, a pidfd to wait on it with a deadline, and the read end
 * of the pipe that is its stdout (and so its child's). */
struct run {
    pid_t pid;
    int pidfd;
    int out;
    char buf[4096];
    size_t len;
};

struct exec_args {
    char **argv;
    int devnull, out;
    bool pidns;
    int cpu;     /* -1, or the CPU the init is pinned to */
    int rt_prio; /* 0, or the SCHED_FIFO priority the init runs at */
};

/* The child side of run_start, on its own stack: raw calls only, then exec. */
static int exec_init(void *arg)
{
    struct exec_args *a = arg;

    if (dup2(a->devnull, 0) < 0 || dup2(a->out, 1) < 0 || (!verbose && dup2(a->devnull, 2) < 0))
        _exit(124);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    setsid(); /* a scheduling group of its own (autogroup), as every contender gets */
    if (a->rt_prio > 0) {
        /* Its own children go back to SCHED_OTHER. */
        struct sched_param param = {.sched_priority = a->rt_prio};
        sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &param);
    }
    if (a->cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(a->cpu, &set);
        sched_setaffinity(0, sizeof(set), &set);
    }
    if (a->pidns && (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
                     mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0))
        _exit(125);
    execv(a->argv[0], a->argv);
    _exit(errno == ENOENT ? 127 : 126);
}

static char exec_stack[65536] __attribute__((aligned(16)));

/* Starts ARGV (the init, its options, then the payload's arguments). With PIDNS it is PID 1 of
 * a new pid and mount namespace with its own /proc (what `unshare --pid --fork --mount-proc`
 * does). Without, it is spawned as posix_spawn does (CLONE_VM|CLONE_VFORK: we resume when its
 * execve has replaced our image, so our own fork cost, 0.3-0.7 ms in this VM, is not counted)
 * and is not PID 1. CPU >= 0 pins the init to that CPU. Returns the time just before the
 * clone. */
static int64_t run_start(struct run *run, char **argv, bool pidns, int cpu)
{
    int out[2];
    struct exec_args a = {.argv = argv, .pidns = pidns, .cpu = cpu, .rt_prio = init_rt_prio};

    if ((a.devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0 || pipe2(out, O_CLOEXEC) < 0)
        die("open");
    a.out = out[1];
    memset(run, 0, sizeof(*run));
    run->pidfd = -1;
    int64_t t = now_ns();
    if (pidns) {
        struct clone_args args = {
            .flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_PIDFD,
            .pidfd = (uintptr_t)&run->pidfd,
            .exit_signal = SIGCHLD,
        };
        run->pid = syscall(SYS_clone3, &args, sizeof(args));
        if (run->pid == 0)
            exec_init(&a);
    } else {
        /* The pidfd is opened by run_wait: not one system call more before the signal. */
        run->pid =
            clone(exec_init, exec_stack + sizeof(exec_stack), CLONE_VM | CLONE_VFORK | SIGCHLD, &a);
    }
    if (run->pid < 0)
        die("clone");
    close(out[1]);
    close(a.devnull);
    run->out = out[0];
    return t;
}

/* Waits until the init has exited, at most TIMEOUT_MS. Returns its wait status, or -1 after
 * killing it (SIGKILL to a namespace's PID 1 kills everything in the namespace). */
static int run_wait(struct run *run, int timeout_ms)
{
    int status = -1;

    if (run->pidfd < 0 && (run->pidfd = syscall(SYS_pidfd_open, run->pid, 0)) < 0)
        die("pidfd_open");
    struct pollfd pfd = {.fd = run->pidfd, .events = POLLIN};

    if (poll(&pfd, 1, timeout_ms) != 1) {
        kill(run->pid, SIGKILL);
        if (waitpid(run->pid, NULL, 0) < 0)
            die("waitpid");
    } else if (waitpid(run->pid, &status, 0) < 0) {
        die("waitpid");
    }
    close(run->pidfd);
    close(run->out);
    return status;
}

/* Kills and reaps everything that was re-parented to us (we are a subreaper): the children
 * of an init that died before it could forward a signal. */
static void reap_leftovers(void)
{
    int64_t deadline = now_ns() + 5000 * MS;

    for (;;) {
        char path[64], list[4096];
        snprintf(path, sizeof(path), "/proc/self/task/%d/children", getpid());
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n = fd < 0 ? -1 : read(fd, list, sizeof(list) - 1);
        if (fd >= 0)
            close(fd);
        if (n < 0)
            die(path);
        list[n] = 0;
        for (char *p = list, *end; *p; p = end) {
            long pid = strtol(p, &end, 10);
            if (end == p)
                break;
            kill(pid, SIGKILL);
        }
        while (waitpid(-1, NULL, WNOHANG) > 0)
            ;
        if (n == 0)
            return;
        if (now_ns() > deadline) {
            fprintf(stderr, "init-driver: leftover processes will not die: %s\n", list);
            exit(2);
        }
        usleep(1000);
    }
}

/* Reads one line of the init's stdout into LINE, at most until DEADLINE. Returns false on
 * timeout or end of file. */
static bool read_line(struct run *run, char *line, size_t size, int64_t deadline)
{
    for (;;) {
        char *nl = memchr(run->buf, '\n', run->len);
        if (nl) {
            size_t n = nl - run->buf;
            snprintf(line, size, "%.*s", (int)n, run->buf);
            memmove(run->buf, nl + 1, run->len - n - 1);
            run->len -= n + 1;
            return true;
        }
        int64_t left = (deadline - now_ns()) / MS;
        struct pollfd pfd = {.fd = run->out, .events = POLLIN};
        if (left <= 0 || poll(&pfd, 1, left) != 1)
            return false;
        if (run->len == sizeof(run->buf))
            run->len = 0; /* a line longer than the buffer: drop it */
        ssize_t n = read(run->out, run->buf + run->len, sizeof(run->buf) - run->len);
        if (n <= 0)
            return false;
        run->len += n;
    }
}

/* Fills ARGV (64 entries) with INIT... PAYLOAD A1 A2 (A2 may be NULL). Returns ARGV. */
static char **command(char **argv, char **init, char *a1, char *a2)
{
    int n = 0;

    while (*init && n < 60)
        argv[n++] = *init++;
    argv[n++] = payload_path;
    argv[n++] = a1;
    argv[n++] = a2;
    argv[n] = NULL;
    return argv;
}

static char *describe(int status, char *buf, size_t size)
{
    if (status == -1)
        snprintf(buf, size, "timeout");
    else if (WIFEXITED(status))
        snprintf(buf, size, "%d", WEXITSTATUS(status));
    else
        snprintf(buf, size, "sig%d", WTERMSIG(status));
    return buf;
}

/* Reads "Key:   N [kB]" from a /proc file of PID. Returns N or -1. */
static long proc_kb(pid_t pid, const char *file, const char *key)
{
    char path[64], line[256];
    size_t klen = strlen(key);
    long kb = -1;

    snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
            kb = strtol(line + klen + 1, NULL, 10);
            break;
        }
    fclose(f);
    return kb;
}

/* True once PID has a child that has exec'd COMM. */
static bool has_child(pid_t pid, const char *comm)
{
    char path[64], name[64];
    snprintf(path, sizeof(path), "/proc/%d/task/%d/children", pid, pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    long child = 0;
    int n = fscanf(f, "%ld", &child);
    fclose(f);
    if (n != 1)
        return false;
    snprintf(path, sizeof(path), "/proc/%ld/comm", child);
    f = fopen(path, "r");
    if (!f)
        return false;
    bool ok = fgets(name, sizeof(name), f) && strncmp(name, comm, strlen(comm)) == 0 &&
              name[strlen(comm)] == '\n';
    fclose(f);
    return ok;
}

/* mem: the init's VmRSS and Pss as PID 1 of a pid namespace whose only other process is
 * `sleep 1000`, read once the child has exec'd and things have settled; then SIGTERM. */
static int measure_mem(char **init)
{
    struct run run;
    char *argv[64];
    char st[16];
    int n = 0;

    while (*init && n < 60)
        argv[n++] = *init++;
    argv[n++] = "/bin/sleep";
    argv[n++] = "1000";
    argv[n] = NULL;
    run_start(&run, argv, true, init_cpu);
    int64_t deadline = now_ns() + 10000 * MS;
    while (!has_child(run.pid, "sleep") && now_ns() < deadline)
        usleep(1000);
    usleep(300000);
    long rss = proc_kb(run.pid, "status", "VmRSS");
    long anon = proc_kb(run.pid, "status", "RssAnon");
    long size = proc_kb(run.pid, "status", "VmSize");
    long pss = proc_kb(run.pid, "smaps_rollup", "Pss");
    kill(run.pid, SIGTERM);
    int status = run_wait(&run, 5000);
    printf("rss_kb=%ld pss_kb=%ld rss_anon_kb=%ld vmsize_kb=%ld exit=%s\n", rss, pss, anon, size,
           describe(status, st, sizeof(st)));
    return rss < 0 || pss < 0;
}

/* burst N: the payload makes the zombies inside the namespace, times their reaping and prints
 * one line. */
static int measure_burst(char **init, char *count)
{
    struct run run;
    char *argv[64], line[512], st[16];

    /* The init runs at a real-time priority, so that no neighbour delays its reaping, and the
     * payload above it while it watches the zombies go. */
    init_rt_prio = 2;
    setenv("INIT_BENCH_RT", "3", 1);
    run_start(&run, command(argv, init, "burst", count), true, init_cpu);
    bool got = read_line(&run, line, sizeof(line), now_ns() + 120000 * MS);
    int status = run_wait(&run, 10000);
    printf("%s exit=%s\n", got ? line : "error=no-output", describe(status, st, sizeof(st)));
    return !got;
}

/* Starts every contender K with `payload A1 A2[K]` (A2 may be NULL) as PID 1 of its own
 * namespace and waits for each payload's "ready". Returns false (after killing them all) if one
 * never gets ready. */
static bool start_all(struct run *runs, char ***inits, int count, char *a1, char **a2)
{
    char *argv[64], line[128];

    for (int k = 0; k < count; k++)
        run_start(&runs[k], command(argv, inits[k], a1, a2 ? a2[k] : NULL), true, init_cpu);
    for (int k = 0; k < count; k++)
        if (!read_line(&runs[k], line, sizeof(line), now_ns() + 10000 * MS) ||
            strcmp(line, "ready") != 0) {
            fprintf(stderr, "init-driver: contender %d did not start\n", k);
            for (int j = 0; j < count; j++)
                run_wait(&runs[j], 0);
            return false;
        }
    return true;
}

/* CPU time PID has used, in ns (the scheduler's sum), or -1. */
static int64_t cpu_ns(pid_t pid)
{
    char path[64];
    long long sum = -1;

    snprintf(path, sizeof(path), "/proc/%d/schedstat", pid);
    FILE *f = fopen(path, "r");
    if (f) {
        if (fscanf(f, "%lld", &sum) != 1)
            sum = -1;
        fclose(f);
    }
    return sum;
}

/* trickle N: every contender runs `payload step FIFO`; N times, each contender in turn gets
 * one orphan (a double-fork whose grandchild is a zombie when its parent exits) and we wait
 * until its init has reaped it. The init's CPU time over the loop, from /proc/PID/schedstat,
 * divided by N is its cost per orphan: one wake-up, one reap. */
static int measure_trickle(char ***inits, int count, long n)
{
    struct run runs[MAX_CONTENDERS];
    int fifos[MAX_CONTENDERS];
    int64_t cpu0[MAX_CONTENDERS], cpu1[MAX_CONTENDERS], wall[MAX_CONTENDERS] = {0};
    long switches0[MAX_CONTENDERS], switches1[MAX_CONTENDERS];
    char dir[] = "/tmp/init-bench.XXXXXX", path[MAX_CONTENDERS][64], *paths[MAX_CONTENDERS];
    char line[128], st[16];
    int failed = -1;

    if (!mkdtemp(dir))
        die("mkdtemp");
    for (int k = 0; k < count; k++) {
        snprintf(path[k], sizeof(path[k]), "%s/%d", dir, k);
        /* O_RDWR: opening a FIFO that has no reader yet would block. */
        if (mkfifo(path[k], 0600) < 0 || (fifos[k] = open(path[k], O_RDWR | O_CLOEXEC)) < 0)
            die(path[k]);
        paths[k] = path[k];
    }
    init_rt_prio = 2; /* no neighbour preempts an init in the middle of a reap */
    bool started = start_all(runs, inits, count, "step", paths);
    for (int k = 0; k < count && !started; k++) {
        close(fifos[k]);
        unlink(path[k]);
    }
    if (!started) {
        rmdir(dir);
        return 1;
    }
    for (int k = 0; k < count; k++) {
        cpu0[k] = cpu_ns(runs[k].pid);
        switches0[k] = proc_kb(runs[k].pid, "status", "voluntary_ctxt_switches");
    }
    for (long i = 0; i < n && failed < 0; i++)
        for (int j = 0; j < count && failed < 0; j++) {
            int k = (int)((i + j) % count);
            int64_t t = now_ns();
            if (write(fifos[k], "o", 1) != 1)
                die("write fifo");
            if (!read_line(&runs[k], line, sizeof(line), t + 10000 * MS) || strcmp(line, "d")) {
                fprintf(stderr, "init-driver: contender %d: no orphan reaped (%s)\n", k, line);
                failed = k;
            }
            wall[k] += now_ns() - t;
        }
    usleep(50000); /* let each init finish its last loop before reading its CPU time */
    for (int k = 0; k < count; k++) {
        cpu1[k] = cpu_ns(runs[k].pid);
        switches1[k] = proc_kb(runs[k].pid, "status", "voluntary_ctxt_switches");
    }
    for (int k = 0; k < count; k++)
        if (write(fifos[k], "q", 1) != 1)
            die("write fifo");
    for (int k = 0; k < count; k++) {
        int status = run_wait(&runs[k], 5000);
        close(fifos[k]);
        unlink(path[k]);
        if (failed >= 0)
            printf("i=%d error=failed exit=%s\n", k, describe(status, st, sizeof(st)));
        else
            printf("i=%d n=%ld per_orphan_ns=%" PRId64 " pid1_cpu_us=%" PRId64
                   " sleeps_per_orphan=%.2f wall_per_orphan_ns=%" PRId64 " exit=%s\n",
                   k, n, (cpu1[k] - cpu0[k]) / n, (cpu1[k] - cpu0[k]) / 1000,
                   (double)(switches1[k] - switches0[k]) / n, wall[k] / n,
                   describe(status, st, sizeof(st)));
    }
    rmdir(dir);
    return failed >= 0;
}

static int compare_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* siglat N: N times, each contender in turn, SIGUSR1 to the init (PID 1 of its namespace) and
 * the time until its payload has it (the payload's CLOCK_MONOTONIC stamp; the clock is the
 * same in every pid namespace). One signal is in flight at a time; the first 20 rounds are a
 * warm-up. RAWDIR, when given, gets every sample in ns, in RAWDIR/K.ns for contender K. */
static int measure_siglat(char ***inits, int count, long n, const char *rawdir)
{
    struct run runs[MAX_CONTENDERS];
    int64_t *samples[MAX_CONTENDERS];
    long got[MAX_CONTENDERS] = {0}, lost[MAX_CONTENDERS] = {0};
    unsigned long seq[MAX_CONTENDERS] = {0};
    char line[128], st[16];
    const long warmup = 20;
    int failed = 0;

    for (int k = 0; k < count; k++)
        if (!(samples[k] = calloc(n, sizeof(int64_t))))
            die("calloc");
    /* A ladder of real-time priorities, us < init < payload, so that each wake-up on the
     * way preempts at once and a busy neighbour cannot step in: the latency is the init's
     * path from our kill() to its own, plus two context switches, and nothing the init does
     * after forwarding. The init's children would get SCHED_OTHER: the payload raises itself. */
    struct sched_param param = {.sched_priority = 1};
    if (sched_setscheduler(0, SCHED_FIFO, &param) == 0) {
        init_rt_prio = 2;
        setenv("INIT_BENCH_RT", "3", 1);
    }
    if (!start_all(runs, inits, count, "sigwait", NULL))
        return 1;
    for (long i = 0; i < n + warmup && !failed; i++)
        for (int j = 0; j < count; j++) {
            int k = (int)((i + j) % count);
            int64_t t0 = now_ns();
            if (kill(runs[k].pid, SIGUSR1) < 0)
                die("kill");
            seq[k]++;
            for (;;) {
                unsigned long s;
                int64_t t1;
                if (!read_line(&runs[k], line, sizeof(line), t0 + 1000 * MS)) {
                    failed |= ++lost[k] >= 10;
                    break;
                }
                if (sscanf(line, "%lu %" SCNd64, &s, &t1) != 2 || s < seq[k])
                    continue; /* a late answer to a signal already counted lost */
                seq[k] = s;
                if (i >= warmup)
                    samples[k][got[k]++] = t1 - t0;
                break;
            }
        }
    for (int k = 0; k < count; k++)
        kill(runs[k].pid, SIGTERM);
    for (int k = 0; k < count; k++) {
        int status = run_wait(&runs[k], 5000);
        if (rawdir) {
            char path[PATH_MAX];
            snprintf(path, sizeof(path), "%s/%d.ns", rawdir, k);
            FILE *f = fopen(path, "a");
            if (!f)
                die(path);
            for (long i = 0; i < got[k]; i++)
                fprintf(f, "%" PRId64 "\n", samples[k][i]);
            fclose(f);
        }
        qsort(samples[k], got[k], sizeof(int64_t), compare_i64);
        int64_t p50 = got[k] ? samples[k][(got[k] - 1) / 2] : -1;
        int64_t p99 = got[k] ? samples[k][(got[k] * 99 + 99) / 100 - 1] : -1;
        printf("i=%d n=%ld lost=%ld p50_ns=%" PRId64 " p99_ns=%" PRId64 " exit=%s rt=%d\n", k,
               got[k], lost[k], p50, p99, describe(status, st, sizeof(st)), init_rt_prio > 0);
        free(samples[k]);
    }
    return failed;
}

/* race: for each delay, spawn the init (not PID 1) with `payload sleep CHILD_MS`, send
 * SIGTERM DELAY µs after the spawn began, and classify: "fwd" (exit 143: the child got it),
 * "died" (the init itself was killed: it had not blocked signals yet), "lost" (exit 0: the
 * child ran its full course) or "other" (see exit=). */
static int measure_race(char **init, const char *delays, long child_ms)
{
    char ms[32], st[16];

    snprintf(ms, sizeof(ms), "%ld", child_ms);
    char *argv_buf[64];
    char **argv = command(argv_buf, init, "sleep", ms);
    /* Real-time scheduling for us (the timer) and for the init (its start-up): a busy
     * neighbour can delay either by milliseconds otherwise, and then the delay measures the
     * neighbour. The init's own children are spawned with SCHED_OTHER. */
    struct sched_param param = {.sched_priority = 2};
    if (sched_setscheduler(0, SCHED_FIFO, &param) == 0)
        init_rt_prio = 1;
    for (const char *p = delays; *p;) {
        char *end;
        long delay_us = strtol(p, &end, 10);
        if (end == p)
            break;
        p = *end == ',' ? end + 1 : end;
        struct run run;
        int64_t t0 = run_start(&run, argv, false, init_cpu);
        if (delay_us > 0)
            sleep_until(t0 + delay_us * 1000);
        int64_t t_sig = now_ns();
        kill(run.pid, SIGTERM);
        int status = run_wait(&run, child_ms + 5000);
        int64_t t_end = now_ns();
        reap_leftovers();
        const char *result;
        if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 143)
            result = "fwd";
        else if (status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM)
            result = "died";
        else if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
            result = "lost";
        else
            result = "other";
        printf("delay_us=%ld result=%s late_us=%" PRId64 " ms=%" PRId64 " exit=%s rt=%d\n",
               delay_us, result, (t_sig - t0) / 1000 - delay_us, (t_end - t_sig) / MS,
               describe(status, st, sizeof(st)), init_rt_prio > 0);
        fflush(stdout);
    }
    return 0;
}

/* On a shared machine this small, where each process lands would decide more than the init
 * does: which CPU a busy neighbour sits on, whether the init shares a CPU with a harness that
 * can preempt it. So every init runs on the second CPU we may use, and we and the payloads
 * (INIT_BENCH_CPU) on the first, except with SHARED (signal latency): there all run on the
 * init's CPU, so that a signal goes from process to process by a context switch rather than by
 * waking an idle vCPU, which costs tens of µs in this VM and would drown the difference. */
static void pin_cpus(bool shared)
{
    int cpus[2], ncpu = 0;
    cpu_set_t set;
    char value[16];

    if (sched_getaffinity(0, sizeof(set), &set) < 0)
        return;
    for (int c = 0; c < CPU_SETSIZE && ncpu < 2; c++)
        if (CPU_ISSET(c, &set))
            cpus[ncpu++] = c;
    if (ncpu < 2)
        return;
    init_cpu = cpus[1];
    CPU_ZERO(&set);
    CPU_SET(shared ? cpus[1] : cpus[0], &set);
    if (sched_setaffinity(0, sizeof(set), &set) < 0)
        die("sched_setaffinity");
    snprintf(value, sizeof(value), "%d", shared ? cpus[1] : cpus[0]);
    setenv("INIT_BENCH_CPU", value, 1);
}

static void usage(void)
{
    fprintf(stderr,
            "usage: init-driver [-v] mem -- INIT [OPTIONS]\n"
            "       init-driver [-v] burst N -- INIT [OPTIONS]\n"
            "       init-driver [-v] trickle N -- INIT [OPTIONS] [, INIT [OPTIONS]]...\n"
            "       init-driver [-v] siglat N [RAWDIR] -- INIT [OPTIONS] [, INIT [OPTIONS]]...\n"
            "       init-driver [-v] race CHILD_MS DELAY_US,... -- INIT [OPTIONS]\n"
            "INIT [OPTIONS] is the init and what precedes the program (e.g. `tini --`), and\n"
            "`,` separates contenders; the program is init-payload, next to this one.\n");
    exit(2);
}

int main(int argc, char **argv)
{
    char **inits[MAX_CONTENDERS];
    int count = 0, i = 1;

    if (i < argc && strcmp(argv[i], "-v") == 0) {
        verbose = true;
        i++;
    }
    int sep = i;
    while (sep < argc && strcmp(argv[sep], "--"))
        sep++;
    if (i >= argc || sep + 1 >= argc)
        usage();
    char *mode = argv[i], **args = argv + i + 1;
    int nargs = sep - i - 1;
    argv[sep] = NULL;
    /* The contenders: the words after the first "--", split at each ",". */
    inits[count++] = argv + sep + 1;
    for (int w = sep + 1; w < argc; w++)
        if (strcmp(argv[w], ",") == 0) {
            argv[w] = NULL;
            if (count == MAX_CONTENDERS || w + 1 == argc)
                usage();
            inits[count++] = argv + w + 1;
        }

    ssize_t n = readlink("/proc/self/exe", payload_path, sizeof(payload_path) - 32);
    if (n < 0)
        die("readlink /proc/self/exe");
    payload_path[n] = 0;
    strcpy(strrchr(payload_path, '/') + 1, "init-payload");

    pin_cpus(strcmp(mode, "siglat") == 0);
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
        die("PR_SET_CHILD_SUBREAPER");
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);

    if (strcmp(mode, "mem") == 0 && nargs == 0 && count == 1)
        return measure_mem(inits[0]);
    if (strcmp(mode, "burst") == 0 && nargs == 1 && count == 1)
        return measure_burst(inits[0], args[0]);
    if (strcmp(mode, "trickle") == 0 && nargs == 1)
        return measure_trickle(inits, count, strtol(args[0], NULL, 10));
    if (strcmp(mode, "siglat") == 0 && (nargs == 1 || nargs == 2))
        return measure_siglat(inits, count, strtol(args[0], NULL, 10), nargs == 2 ? args[1] : NULL);
    if (strcmp(mode, "race") == 0 && nargs == 2 && count == 1)
        return measure_race(inits[0], args[1], strtol(args[0], NULL, 10));
    usage();
}
