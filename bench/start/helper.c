/* bench/start's helper: times one command (wall and CPU time, with a hard deadline), and acts
 * as the subreaper the whole benchmark runs under, so that double-forked monitors (bottle-shim,
 * conmon) are reaped at once (this machine's PID 1 reaps orphans late). It must never leave a
 * process behind: on a deadline it kills what it started, by pid.
 *
 *   start-helper time TIMEOUT_MS -- CMD [ARG...]
 *       prints "WALL_NS CPU_NS STATUS" (CPU = user + system of CMD and the descendants it
 *       reaped; STATUS = exit code, 128+N for signal N, or "timeout")
 *   start-helper reap GRACE_MS -- CMD [ARG...]
 *       becomes a child subreaper, runs CMD, reaps every orphan until CMD exits, then waits
 *       up to GRACE_MS for the orphans still running, SIGKILLs those left and exits as CMD did.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int exit_code(int status)
{
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

static pid_t spawn(char **argv)
{
    pid_t pid = fork();
    if (pid == 0) {
        execvp(argv[0], argv);
        fprintf(stderr, "start-helper: exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    if (pid < 0) {
        perror("start-helper: fork");
        exit(125);
    }
    return pid;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* The deadline: poll(2) on a pidfd, so that the helper sleeps while the command runs. */
static int cmd_time(long timeout_ms, char **argv)
{
    long long start = now_ns();
    pid_t pid = spawn(argv);
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (pidfd < 0) {
        perror("start-helper: pidfd_open");
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return 125;
    }
    long long deadline = start + timeout_ms * 1000000LL;
    struct pollfd pfd = {.fd = pidfd, .events = POLLIN};
    for (;;) {
        long long left_ms = (deadline - now_ns()) / 1000000LL;
        if (left_ms <= 0) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            printf("%lld -1 timeout\n", now_ns() - start);
            return 124;
        }
        int ready = poll(&pfd, 1, (int)left_ms);
        if (ready > 0)
            break;
        if (ready < 0 && errno != EINTR) {
            perror("start-helper: poll");
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            return 125;
        }
    }
    int status;
    struct rusage usage;
    while (wait4(pid, &status, 0, &usage) < 0) {
        if (errno != EINTR) {
            perror("start-helper: wait4");
            return 125;
        }
    }
    long long wall = now_ns() - start;
    close(pidfd);
    long long cpu = (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000000000LL +
                    (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1000LL;
    printf("%lld %lld %d\n", wall, cpu, exit_code(status));
    return 0;
}

/* Our children as the kernel lists them (orphans re-parented to us included). */
static int list_children(pid_t *pids, int max)
{
    int n = 0;
    DIR *tasks = opendir("/proc/self/task");
    if (!tasks)
        return 0;
    struct dirent *task;
    while ((task = readdir(tasks)) != NULL && n < max) {
        if (task->d_name[0] == '.')
            continue;
        char path[300];
        snprintf(path, sizeof(path), "/proc/self/task/%s/children", task->d_name);
        FILE *f = fopen(path, "re");
        if (!f)
            continue;
        int pid;
        while (n < max && fscanf(f, "%d", &pid) == 1)
            pids[n++] = pid;
        fclose(f);
    }
    closedir(tasks);
    return n;
}

static void reap_all(void)
{
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
}

static int cmd_reap(long grace_ms, char **argv)
{
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
        perror("start-helper: PR_SET_CHILD_SUBREAPER");
        return 125;
    }
    /* Ctrl-C reaches the benchmark through the terminal; we stay to reap what it leaves. */
    signal(SIGINT, SIG_IGN);
    signal(SIGQUIT, SIG_IGN);
    pid_t main_pid = spawn(argv);
    int status = 0;
    for (;;) {
        int st;
        pid_t got = waitpid(-1, &st, 0);
        if (got == main_pid) {
            status = st;
            break;
        }
        if (got < 0 && errno != EINTR)
            break;
    }
    pid_t left[256];
    for (long waited = 0; waited < grace_ms; waited += 50) {
        reap_all();
        if (list_children(left, 256) == 0)
            return exit_code(status);
        sleep_ms(50);
    }
    /* Killing a monitor hands its container to us: repeat until nothing is left. */
    for (long waited = 0; waited < 5000; waited += 50) {
        reap_all();
        int n = list_children(left, 256);
        if (n == 0)
            break;
        for (int i = 0; i < n; i++) {
            fprintf(stderr, "start-helper: killing leftover process %d\n", (int)left[i]);
            kill(left[i], SIGKILL);
        }
        sleep_ms(50);
    }
    return exit_code(status) ? exit_code(status) : 1;
}

int main(int argc, char **argv)
{
    if (argc < 5 || strcmp(argv[3], "--") != 0) {
        fputs("usage: start-helper time TIMEOUT_MS -- CMD... | reap GRACE_MS -- CMD...\n", stderr);
        return 125;
    }
    char *end;
    long ms = strtol(argv[2], &end, 10);
    if (*end || ms <= 0) {
        fprintf(stderr, "start-helper: bad milliseconds '%s'\n", argv[2]);
        return 125;
    }
    if (strcmp(argv[1], "time") == 0)
        return cmd_time(ms, argv + 4);
    if (strcmp(argv[1], "reap") == 0)
        return cmd_reap(ms, argv + 4);
    fprintf(stderr, "start-helper: unknown mode '%s'\n", argv[1]);
    return 125;
}
