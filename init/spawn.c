/* Starting the main child. Between fork and exec the child only makes system calls: no
 * malloc, no stdio; it reports an exec failure to the parent over a CLOEXEC pipe. */
#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "proc.h"

extern char **environ;

/* "LISTEN_PID=" and room for any pid: the child writes its own pid here (socket activation). */
static char listen_pid_entry[32] = "LISTEN_PID=";
#define LISTEN_PID_PREFIX (sizeof("LISTEN_PID=") - 1)

/* When LISTEN_PID names bottle-init, points its environ entry at listen_pid_entry so that the
 * child can rewrite it without allocating. Returns true when it did. */
static bool take_listen_pid(void)
{
    const char *value = getenv("LISTEN_PID");
    if (!value || atol(value) != (long)getpid())
        return false;
    for (char **env = environ; *env; env++) {
        if (strncmp(*env, "LISTEN_PID=", LISTEN_PID_PREFIX) == 0) {
            *env = listen_pid_entry;
            return true;
        }
    }
    return false;
}

static void write_all(int fd, const void *buf, size_t len)
{
    while (write(fd, buf, len) < 0 && errno == EINTR)
        ;
}

static __attribute__((noreturn)) void child_exec(const struct init_config *config,
                                                 bt_sigmask_t orig_mask, int report_fd, bool tty,
                                                 bool listen_pid)
{
    if (config->setsid) {
        setsid();
        if (tty)
            ioctl(STDIN_FILENO, TIOCSCTTY, 0);
    } else {
        setpgid(0, 0);
        /* SIGTTOU is still blocked here, so a background tcsetpgrp cannot stop us. */
        if (tty)
            tcsetpgrp(STDIN_FILENO, getpid());
    }
    if (listen_pid)
        bt_proc_format_pid(listen_pid_entry + LISTEN_PID_PREFIX,
                           sizeof(listen_pid_entry) - LISTEN_PID_PREFIX, (long)getpid());
    /* bottle-init installed no handler, so restoring the mask restores everything: a signal
     * forwarded before execvp now takes its default action, as it would in the program. */
    bt_sig_setmask(orig_mask, NULL);
    execvp(config->argv[0], config->argv);
    int error = errno;
    write_all(report_fd, &error, sizeof(error));
    _exit(error == ENOENT || error == ENOTDIR ? 127 : 126);
}

static void report_exec_failure(const struct init_config *config, int error)
{
    switch (config->mode) {
    case INIT_DUMB: bt_log(BT_LOG_FATAL, "%s: %s", config->argv[0], strerror(error)); break;
    default: bt_log(BT_LOG_FATAL, "exec %s failed: %s", config->argv[0], strerror(error)); break;
    }
}

/* dumb-init gives the terminal to the child's new session: it must let go of it first. */
static void detach_tty(struct init_child *child)
{
    if (ioctl(STDIN_FILENO, TIOCNOTTY) < 0) {
        bt_log_debug("Unable to detach from controlling tty (errno=%d %s).", errno,
                     strerror(errno));
        return;
    }
    /* As session leader, TIOCNOTTY makes the kernel send us SIGHUP and SIGCONT. */
    if (getsid(0) == getpid()) {
        child->ignore_hup_once = true;
        child->ignore_cont_once = true;
    }
}

void init_spawn(const struct init_config *config, bt_sigmask_t orig_mask, struct init_child *child)
{
    int report[2];
    if (pipe2(report, O_CLOEXEC) < 0) {
        bt_log(BT_LOG_FATAL, "pipe: %s", strerror(errno));
        exit(125);
    }
    child->tty = isatty(STDIN_FILENO);
    if (config->setsid && child->tty)
        detach_tty(child);
    bool listen_pid = take_listen_pid();
    pid_t pid = fork();
    if (pid < 0) {
        bt_log(BT_LOG_FATAL, "fork: %s", strerror(errno));
        exit(125);
    }
    if (pid == 0)
        child_exec(config, orig_mask, report[1], child->tty, listen_pid);
    close(report[1]);
    if (!config->setsid)
        setpgid(pid, pid); /* also here: no window where -pid does not exist yet */
    int error = 0;
    ssize_t n;
    while ((n = read(report[0], &error, sizeof(error))) < 0 && errno == EINTR)
        ;
    close(report[0]);
    if (n == (ssize_t)sizeof(error)) {
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
        report_exec_failure(config, error);
        exit(error == ENOENT || error == ENOTDIR ? 127 : 126);
    }
    child->pid = pid;
    if (config->mode == INIT_TINI)
        bt_log_info("Spawned child process '%s' with pid '%d'", config->argv[0], (int)pid);
    else
        bt_log_debug("Child spawned with PID %d.", (int)pid);
}
