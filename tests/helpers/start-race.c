/* Start-up race driver: proves that no signal sent to an init during its start-up is lost.
 * For every delay from 0 to MAX microseconds (STEP apart), REPS times, it starts the init
 * (clone with CLONE_VFORK, so the clock starts once the exec is done), sends it SIGTERM after
 * the delay and classifies the outcome:
 *   forwarded  the init exited 143: its child got the SIGTERM and died of it
 *   early      the init itself died of SIGTERM before its child existed (the signal came
 *              before main could block it: the shell still sees 143 and nothing is left)
 *   lost       anything else: another status, the init died leaving its child behind, or no
 *              exit within TIMEOUT ms (then the init and its child are SIGKILLed)
 *
 *   start-race [-r REPS] [-m MAX_US] [-s STEP_US] [-T TIMEOUT_MS] [-L LOST] [-N] [-B] -- INIT...
 *   start-race --payload
 *
 * Put "start-race --payload" as the init's program: it tells the driver over an inherited fd
 * (RACE_FD) that it runs, then sleeps up to 10 s with SIGTERM's default action.
 * -N  start the init as PID 1 of a new pid namespace (then a SIGTERM that arrives before main
 *     is discarded by the kernel, so use -B with it)
 * -L  stop after LOST lost runs (default 3), so that a broken init cannot stall the suite
 * -B  exec the init with SIGTERM blocked, so that a signal sent before main stays pending (the
 *     payload unblocks everything)
 * The driver is a child subreaper, so a child left behind by a dying init is re-parented to
 * it, detected and killed. Prints one line per lost run and a summary; exits 0 iff none lost. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char **init_argv;
static int block_term;
static int report_pipe[2];
static char child_stack[256 * 1024] __attribute__((aligned(16)));

static int payload(void)
{
    uint64_t none = 0;
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, sizeof(none));
    const char *fd_text = getenv("RACE_FD");
    if (fd_text && write(atoi(fd_text), "p", 1) < 0)
        return 2;
    struct timespec ten = {10, 0};
    nanosleep(&ten, NULL);
    return 0;
}

/* Runs in the vforked child: no stdio, no heap. */
static int exec_init(void *arg)
{
    (void)arg;
    uint64_t mask = block_term ? (uint64_t)1 << (SIGTERM - 1) : 0;
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &mask, NULL, sizeof(mask));
    execv(init_argv[0], init_argv);
    _exit(126);
}

static long elapsed_us(const struct timespec *from)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (ts.tv_sec - from->tv_sec) * 1000000L + (ts.tv_nsec - from->tv_nsec) / 1000;
}

/* Kills and reaps every child we still have (orphans re-parented to us). Returns how many. */
static int kill_leftovers(void)
{
    int found = 0;
    char buf[256];
    for (int round = 0; round < 50; round++) {
        pid_t pid = waitpid(-1, NULL, WNOHANG);
        if (pid < 0 && errno == ECHILD)
            return found;
        if (pid > 0)
            continue;
        found = found ? found : 1;
        /* No /proc/.../children on every kernel: scan for processes whose parent is us. */
        FILE *ps = popen("exec ps -e -o pid=,ppid=", "r");
        if (ps) {
            int child, parent;
            while (fgets(buf, sizeof(buf), ps))
                if (sscanf(buf, "%d %d", &child, &parent) == 2 && parent == getpid())
                    kill(child, SIGKILL);
            pclose(ps);
        }
        usleep(10000);
    }
    return found;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--payload") == 0)
        return payload();

    long reps = 4, max_us = 5000, step_us = 100, timeout_ms = 3000, max_lost = 3;
    int new_pidns = 0, opt;
    while ((opt = getopt(argc, argv, "+r:m:s:T:L:NB")) != -1) {
        switch (opt) {
        case 'r': reps = atol(optarg); break;
        case 'm': max_us = atol(optarg); break;
        case 's': step_us = atol(optarg); break;
        case 'T': timeout_ms = atol(optarg); break;
        case 'L': max_lost = atol(optarg); break;
        case 'N': new_pidns = 1; break;
        case 'B': block_term = 1; break;
        default:
            fprintf(stderr,
                    "usage: start-race [-r REPS] [-m MAX_US] [-s STEP_US] [-T MS] [-L N] [-N] "
                    "[-B] -- INIT [ARGS...]\n");
            return 2;
        }
    }
    if (optind >= argc || step_us <= 0) {
        fprintf(stderr, "start-race: no init given\n");
        return 2;
    }
    init_argv = argv + optind;
    if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) {
        perror("start-race: PR_SET_CHILD_SUBREAPER");
        return 2;
    }
    if (pipe2(report_pipe, O_NONBLOCK) < 0) {
        perror("start-race: pipe");
        return 2;
    }
    fcntl(report_pipe[0], F_SETFD, FD_CLOEXEC);
    char fd_text[16];
    snprintf(fd_text, sizeof(fd_text), "%d", report_pipe[1]);
    setenv("RACE_FD", fd_text, 1);

    long runs = 0, forwarded = 0, early = 0, lost = 0;
    for (long delay = 0; delay <= max_us && lost < max_lost; delay += step_us) {
        for (long rep = 0; rep < reps && lost < max_lost; rep++) {
            char drain[64];
            while (read(report_pipe[0], drain, sizeof(drain)) > 0)
                ;
            int flags = CLONE_VFORK | SIGCHLD | (new_pidns ? CLONE_NEWPID : 0);
            pid_t init = clone(exec_init, child_stack + sizeof(child_stack), flags, NULL);
            if (init < 0) {
                perror("start-race: clone");
                return 2;
            }
            struct timespec started;
            clock_gettime(CLOCK_MONOTONIC, &started);
            if (delay > 0) {
                struct timespec until = started;
                until.tv_nsec += delay * 1000;
                until.tv_sec += until.tv_nsec / 1000000000L;
                until.tv_nsec %= 1000000000L;
                while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == EINTR)
                    ;
            }
            long sent_at = elapsed_us(&started);
            kill(init, SIGTERM);

            int status = 0, done = 0;
            int pidfd = (int)syscall(SYS_pidfd_open, init, 0);
            struct pollfd pfd = {.fd = pidfd, .events = POLLIN};
            if (pidfd >= 0 && poll(&pfd, 1, (int)timeout_ms) > 0)
                done = waitpid(init, &status, 0) == init;
            if (pidfd >= 0)
                close(pidfd);
            if (!done) {
                kill(init, SIGKILL);
                waitpid(init, &status, 0);
            }
            ssize_t started_payload = read(report_pipe[0], drain, sizeof(drain));
            int leftovers = kill_leftovers();
            runs++;
            const char *verdict;
            if (!done)
                verdict = "lost: no exit in time";
            else if (leftovers)
                verdict = "lost: init exited and left its child behind";
            else if (WIFEXITED(status) && WEXITSTATUS(status) == 143)
                verdict = NULL, forwarded++;
            else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM && started_payload <= 0)
                verdict = NULL, early++;
            else
                verdict = "lost: wrong status";
            if (verdict) {
                lost++;
                printf("%s (delay %ld us, sent after %ld us, status %s %d, child %s)\n", verdict,
                       delay, sent_at, WIFEXITED(status) ? "exit" : "signal",
                       WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
                       started_payload > 0 ? "started" : "not seen");
                fflush(stdout);
            }
        }
    }
    if (lost >= max_lost)
        printf("stopped after %ld lost runs\n", lost);
    printf("runs=%ld forwarded=%ld early=%ld lost=%ld\n", runs, forwarded, early, lost);
    return lost ? 1 : 0;
}
