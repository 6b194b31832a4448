/* Test payload that makes orphans for an init to reap, and checks that it did.
 *
 *   make-zombies [-n N] [-r PID] [-t SECS]    orphan mode (default)
 *   make-zombies -x CODE [-n N]               exit-together mode
 *
 * Orphan mode: an intermediate process forks N grandchildren and exits. Each grandchild waits
 * until it has been re-parented, reports its new parent over a pipe and exits, becoming a
 * zombie of that parent. The main process prints "orphan pid=P reparented-to=Q" for each one,
 * then waits up to SECS (default 5) for every orphan to be reaped (gone from /proc) and prints
 * "zombies=K" (K left unreaped). Exits 0 when every orphan was re-parented to the expected
 * reaper (PID, default our own parent) and reaped; 1 otherwise.
 *
 * Exit-together mode: forks N children that all wait on one pipe, closes it and exits CODE at
 * once, so that the main child's exit comes with a burst of N other exits (catatonit#4). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct orphan {
    int pid;
    int new_parent;
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 'Z' for a zombie, 0 when PID no longer exists, its state letter otherwise. */
static char proc_state(int pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    return p && p[1] == ' ' ? p[2] : '?';
}

static int exit_together(int count, int code)
{
    int gate[2];
    if (pipe(gate) < 0)
        return 2;
    for (int i = 0; i < count; i++) {
        pid_t pid = fork();
        if (pid < 0)
            return 2;
        if (pid == 0) {
            char c;
            close(gate[1]);
            /* Returns 0 (EOF) when the main process closes the gate by exiting. */
            while (read(gate[0], &c, 1) < 0 && errno == EINTR)
                ;
            _exit(0);
        }
    }
    close(gate[0]);
    _exit(code); /* closes gate[1]: every child wakes up as we die */
}

int main(int argc, char **argv)
{
    int count = 10, reaper = (int)getppid(), seconds = 5, together = -1, opt;
    while ((opt = getopt(argc, argv, "n:r:t:x:")) != -1) {
        switch (opt) {
        case 'n': count = atoi(optarg); break;
        case 'r': reaper = atoi(optarg); break;
        case 't': seconds = atoi(optarg); break;
        case 'x': together = atoi(optarg); break;
        default:
            fprintf(stderr, "usage: make-zombies [-n N] [-r PID] [-t SECS] | -x CODE [-n N]\n");
            return 2;
        }
    }
    if (together >= 0)
        return exit_together(count, together);
    if (count < 1 || count > 1000)
        return 2;

    int report[2];
    if (pipe(report) < 0)
        return 2;
    pid_t middle = fork();
    if (middle < 0)
        return 2;
    if (middle == 0) {
        close(report[0]);
        pid_t self = getpid();
        for (int i = 0; i < count; i++) {
            pid_t pid = fork();
            if (pid < 0)
                _exit(2);
            if (pid == 0) {
                /* Wait (bounded) for our parent to exit and the kernel to re-parent us. */
                for (int tries = 0; getppid() == self && tries < 5000; tries++)
                    usleep(1000);
                struct orphan me = {(int)getpid(), (int)getppid()};
                if (write(report[1], &me, sizeof(me)) != sizeof(me))
                    _exit(2);
                _exit(0);
            }
        }
        _exit(0);
    }
    close(report[1]);
    /* The intermediate is our own child: reap it so that it is not taken for a zombie. */
    if (waitpid(middle, NULL, 0) < 0)
        return 2;

    int ok = 1, got = 0;
    int *pids = calloc((size_t)count, sizeof(*pids));
    double deadline = now() + seconds;
    while (got < count && now() < deadline) {
        struct pollfd pfd = {.fd = report[0], .events = POLLIN};
        if (poll(&pfd, 1, 100) <= 0)
            continue;
        struct orphan orphan;
        if (read(report[0], &orphan, sizeof(orphan)) != sizeof(orphan))
            break;
        pids[got++] = orphan.pid;
        printf("orphan pid=%d reparented-to=%d\n", orphan.pid, orphan.new_parent);
        if (orphan.new_parent != reaper) {
            printf("orphan %d went to %d, not to %d\n", orphan.pid, orphan.new_parent, reaper);
            ok = 0;
        }
    }
    if (got < count) {
        printf("only %d of %d orphans reported\n", got, count);
        ok = 0;
    }
    int left;
    do {
        left = 0;
        for (int i = 0; i < got; i++)
            if (proc_state(pids[i]))
                left++;
        if (left)
            usleep(10000);
    } while (left && now() < deadline);
    for (int i = 0; i < got; i++) {
        char state = proc_state(pids[i]);
        if (state)
            printf("orphan %d still there, state %c\n", pids[i], state);
    }
    printf("zombies=%d\n", left);
    return ok && left == 0 ? 0 : 1;
}
