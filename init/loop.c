/* bottle-init's main loop: one signalfd, no timers unless grace mode is counting down, no
 * polling. Every wake-up drains waitpid(-1) so that a coalesced SIGCHLD can never hide the
 * main child's exit (catatonit#4). Runs as PID 1: it returns only once the main child is
 * reaped (and, in grace mode, every descendant is gone or was SIGKILLed). */
#include "init.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "proc.h"

/* After the grace period's SIGKILL, processes stuck in the kernel get this much longer. */
#define KILL_WAIT_MS 5000

/* How often grace mode looks for processes of the namespace that are not our children. */
#define OTHERS_POLL_MS 20

struct loop_state {
    const struct init_config *config;
    struct init_child *child;
    bool pid1;
    bool main_exited;
    int main_status;
    bool grace_running; /* grace mode: descendants were signalled, the clock is running */
    bool grace_killed;  /* grace mode: the SIGKILL went out */
    long long deadline_ms;
    bool stopped_with_child; /* we stopped ourselves because the child was stopped */
    bool pause_done;
    bool poll_others; /* grace mode as PID 1: waiting for processes that are not our children */
};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *signame(int sig, char *buf, size_t len)
{
    return bt_sig_name(sig, buf, len);
}

static int kill_one(pid_t pid, void *data)
{
    kill(pid, *(int *)data);
    return 0;
}

/* Every process below us: the whole pid namespace when we are its init, else our subtree. */
static void signal_descendants(struct loop_state *st, int sig)
{
    char name[16];
    bt_log_debug("Sending %s to every descendant", signame(sig, name, sizeof(name)));
    if (st->pid1)
        kill(-1, sig);
    else
        bt_proc_for_each_descendant(getpid(), kill_one, &sig);
}

static void start_grace(struct loop_state *st, int sig)
{
    signal_descendants(st, sig);
    if (!st->grace_running) {
        st->grace_running = true;
        st->deadline_ms = now_ms() + st->config->grace_ms;
    }
}

static void forward(struct loop_state *st, int sig)
{
    const struct init_config *config = st->config;
    char name[16], name2[16];
    int out = config->rewrite[sig];
    if (out == 0) {
        bt_log_debug("Not forwarding %s (dropped by a rewrite)", signame(sig, name, sizeof(name)));
        return;
    }
    if (st->main_exited || st->child->pid == 0)
        return;
    pid_t pid = st->child->pid;
    int ret = kill(config->signal_group ? -pid : pid, out);
    /* The group can be gone while the child lives on (it moved to a group of its own). */
    if (ret < 0 && errno == ESRCH && config->signal_group)
        ret = kill(pid, out);
    if (ret < 0)
        bt_log_debug("Forwarding %s failed: %s", signame(out, name, sizeof(name)), strerror(errno));
    else
        bt_log_debug("Forwarded %s as %s to %s %d", signame(sig, name, sizeof(name)),
                     signame(out, name2, sizeof(name2)), config->signal_group ? "group" : "child",
                     (int)pid);
}

/* The child was stopped from the terminal (Ctrl-Z): stop too, so that the shell that started
 * us gets the terminal back, as it would without an init in between. */
static void stop_with_child(struct loop_state *st)
{
    if (st->pid1 || !st->child->tty || st->config->setsid || st->config->mode == INIT_DUMB)
        return;
    bt_log_debug("Child stopped: stopping too");
    st->stopped_with_child = true;
    kill(getpid(), SIGSTOP);
}

/* On `fg`: the shell gave the terminal to our group and continued us. */
static void continue_child(struct loop_state *st)
{
    st->stopped_with_child = false;
    tcsetpgrp(STDIN_FILENO, st->child->pid);
    kill(-st->child->pid, SIGCONT);
}

static void reap(struct loop_state *st)
{
    const struct init_config *config = st->config;
    bool job_control = !st->pid1 && st->child->tty && config->mode != INIT_DUMB && !config->setsid;
    for (;;) {
        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG | (job_control ? WUNTRACED : 0));
        if (pid <= 0) {
            if (pid < 0 && errno == EINTR)
                continue;
            return;
        }
        if (WIFSTOPPED(status)) {
            if (pid == st->child->pid && !st->main_exited)
                stop_with_child(st);
            continue;
        }
        if (pid == st->child->pid && !st->main_exited) {
            st->main_exited = true;
            st->main_status = status;
            if (config->mode == INIT_TINI) {
                if (WIFEXITED(status))
                    bt_log_info("Main child exited normally (with status '%d')",
                                WEXITSTATUS(status));
                else
                    bt_log_info("Main child exited with signal (with signal '%d')",
                                WTERMSIG(status));
            } else {
                bt_log_debug("Child exited with status %d.", bt_proc_exit_code(status));
            }
        } else if (config->warn_on_reap) {
            bt_log_warn("Reaped zombie process with pid=%d", (int)pid);
        } else {
            bt_log_debug("Reaped zombie process with pid=%d", (int)pid);
        }
    }
}

static bool is_stop_request(int sig)
{
    return sig == SIGTERM || sig == SIGINT || sig == SIGQUIT;
}

static void handle_signal(struct loop_state *st, const struct signalfd_siginfo *info)
{
    const struct init_config *config = st->config;
    int sig = (int)info->ssi_signo;
    char name[16];
    bt_log_trace("Received %s from pid %d", signame(sig, name, sizeof(name)), (int)info->ssi_pid);
    if (sig == SIGCHLD)
        return; /* the reap loop runs after every wake-up */
    if (sig == SIGHUP && st->child->ignore_hup_once) {
        st->child->ignore_hup_once = false;
        return;
    }
    if (sig == SIGCONT && st->child->ignore_cont_once) {
        st->child->ignore_cont_once = false;
        return;
    }
    if (config->pause) {
        if (sig == SIGTERM || sig == SIGINT)
            st->pause_done = true;
        return;
    }
    if (sig == SIGCONT && st->stopped_with_child) {
        continue_child(st);
        return;
    }
    if (config->grace_ms >= 0 && is_stop_request(sig) && config->rewrite[sig]) {
        start_grace(st, config->rewrite[sig]);
        return;
    }
    forward(st, sig);
    if (config->self_stop && (sig == SIGTSTP || sig == SIGTTOU || sig == SIGTTIN) && !st->pid1) {
        bt_log_debug("Suspending self due to TTY signal.");
        kill(getpid(), SIGSTOP);
    }
}

/* Is there anything left to wait for once the main child has exited? */
static bool after_main_exit(struct loop_state *st)
{
    const struct init_config *config = st->config;
    if (config->grace_ms < 0) {
        if (config->term_on_exit && config->signal_group && config->rewrite[SIGTERM])
            kill(-st->child->pid, config->rewrite[SIGTERM]);
        return false;
    }
    if (!st->grace_running)
        start_grace(st, SIGTERM);
    /* ECHILD: no child is left (orphans are re-parented to us before that). */
    siginfo_t info;
    if (waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT | __WALL) == 0 || errno != ECHILD)
        return true;
    /* As PID 1, processes that entered the namespace from outside (docker exec) are no
     * children of ours, and their exit wakes nobody: look again every few ms until the
     * namespace is empty or the grace period ends. */
    st->poll_others = st->pid1 && kill(-1, 0) == 0;
    return st->poll_others;
}

static int exit_status(const struct loop_state *st)
{
    int code = bt_proc_exit_code(st->main_status);
    if (st->config->remap[code / 8] & (1u << (code % 8)))
        return 0;
    return code;
}

int init_loop(const struct init_config *config, struct init_child *child, int signal_fd)
{
    struct loop_state st = {.config = config, .child = child, .pid1 = getpid() == 1};
    struct signalfd_siginfo infos[16];
    for (;;) {
        reap(&st);
        if (st.pause_done)
            return 0;
        if (st.main_exited && !after_main_exit(&st))
            break;
        int timeout = -1;
        if (st.grace_running) {
            long long left = st.deadline_ms - now_ms();
            if (left <= 0 && !st.grace_killed) {
                bt_log_debug("Grace period over: killing what is left");
                signal_descendants(&st, SIGKILL);
                st.grace_killed = true;
                st.deadline_ms = now_ms() + KILL_WAIT_MS;
                left = KILL_WAIT_MS;
            } else if (left <= 0) {
                bt_log_warn("Processes survived SIGKILL for %d ms; exiting", KILL_WAIT_MS);
                break;
            }
            timeout = (int)left;
            if (st.poll_others && timeout > OTHERS_POLL_MS)
                timeout = OTHERS_POLL_MS;
        }
        /* Without a deadline, block in read(): one system call per wake-up, not two. */
        if (timeout >= 0) {
            struct pollfd pfd = {.fd = signal_fd, .events = POLLIN};
            int ready = poll(&pfd, 1, timeout);
            if (ready < 0 && errno != EINTR) {
                bt_log(BT_LOG_FATAL, "poll: %s", strerror(errno));
                return 125;
            }
            if (ready <= 0)
                continue;
        }
        ssize_t n = read(signal_fd, infos, sizeof(infos));
        for (ssize_t i = 0; i + (ssize_t)sizeof(infos[0]) <= n; i += (ssize_t)sizeof(infos[0]))
            handle_signal(&st, &infos[i / (ssize_t)sizeof(infos[0])]);
    }
    if (!st.main_exited)
        return 125;
    return exit_status(&st);
}
