/* Unit tests for lib/proc.c: exit codes, subreaper, descendants, fd closing. */
#include "proc.h"
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>

static int count_fn(pid_t pid, void *data)
{
    (void)pid;
    (*(int *)data)++;
    return 0;
}

int main(void)
{
    char buf[24];
    plan(10);
    tap_alarm(20);
    is_int(bt_proc_exit_code(3 << 8), 3, "exit status 3");
    is_int(bt_proc_exit_code(SIGTERM), 143, "SIGTERM gives 143");
    is_int(bt_proc_exit_code(SIGKILL | 0x80), 137, "core-dump bit ignored");
    bt_proc_format_pid(buf, sizeof(buf), -1234);
    is_str(buf, "-1234", "format negative");

    ok(bt_proc_set_subreaper() == 0 && bt_proc_is_subreaper(), "became a subreaper");

    /* A child with a grandchild: both are descendants. */
    int pipefd[2];
    if (pipe(pipefd) < 0)
        return 1;
    pid_t child = fork();
    if (child == 0) {
        if (fork() == 0) {
            char c;
            close(pipefd[1]);
            (void)!read(pipefd[0], &c, 1);
            _exit(0);
        }
        char c;
        close(pipefd[1]);
        (void)!read(pipefd[0], &c, 1);
        _exit(0);
    }
    close(pipefd[0]);
    usleep(100000);
    int count = 0;
    bt_proc_for_each_descendant(getpid(), count_fn, &count);
    is_int(count, 2, "two descendants found");
    pid_t ppid;
    char state;
    ok(bt_proc_stat(child, &ppid, &state) == 0 && ppid == getpid(), "stat reads the parent pid");
    close(pipefd[1]);
    int reaped = 0, status;
    while (waitpid(-1, &status, 0) > 0)
        reaped++;
    is_int(reaped, 2, "the grandchild was re-parented to us and reaped");

    int fd = open("/dev/null", O_RDONLY);
    int high = dup2(fd, 200);
    is_int(bt_proc_close_from(fd), 0, "close_from");
    ok(fcntl(high, F_GETFD) < 0 && errno == EBADF, "fd 200 closed");
    return done();
}
