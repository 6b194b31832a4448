/* bottle-init: PID 1 for containers, and tini or dumb-init when run under those names. It
 * starts one program, forwards it every signal, reaps every zombie and exits with the
 * program's status. Must not exit before the main child is reaped, and installs no signal
 * handler a child could inherit. main() is the table of contents; docs/bottle-init.md the spec. */
#include "init.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "log.h"
#include "proc.h"

static size_t tini_prefix(char *buf, size_t len, int level)
{
    static const char *const names[] = {"FATAL", "WARN ", "INFO ", "DEBUG", "TRACE"};
    const char *name = names[level < 0 ? 0 : level > 4 ? 4 : level];
    return (size_t)snprintf(buf, len, "[%s tini (%d)] ", name, (int)getpid());
}

static size_t dumb_prefix(char *buf, size_t len, int level)
{
    (void)level;
    return (size_t)snprintf(buf, len, "[dumb-init] ");
}

void init_log_setup(const struct init_config *config)
{
    bt_log_init("bottle-init", config->verbosity);
    if (config->mode == INIT_TINI)
        bt_log_set_prefix(tini_prefix);
    else if (config->mode == INIT_DUMB)
        bt_log_set_prefix(dumb_prefix);
}

/* Orphans are re-parented to the nearest subreaper: without this, when we are not PID 1
 * (docker run --init style set-ups, tests), they would escape to the host's init. */
static void become_subreaper(const struct init_config *config)
{
    if ((getpid() != 1 || config->subreaper) && bt_proc_set_subreaper() < 0)
        bt_log_warn("cannot become a child subreaper: %s", strerror(errno));
}

/* -p: the signal arrives blocked, so it is forwarded to the child like any other. */
static void set_parent_death_signal(const struct init_config *config)
{
    if (!config->pdeath_signal)
        return;
    pid_t parent = getppid();
    if (prctl(PR_SET_PDEATHSIG, config->pdeath_signal, 0, 0, 0) < 0) {
        bt_log(BT_LOG_FATAL, "cannot set the parent death signal: %s", strerror(errno));
        _exit(config->mode == INIT_NATIVE ? 125 : 1);
    }
    if (getppid() != parent) /* the parent died before the prctl */
        kill(getpid(), config->pdeath_signal);
}

int main(int argc, char **argv)
{
    bt_sigmask_t orig_mask = 0;
    bt_sig_setmask(BT_SIGMASK_ALL, &orig_mask); /* first: no signal may be lost from here on */

    struct init_config config;
    init_parse_options(&config, argc, argv);
    become_subreaper(&config);
    set_parent_death_signal(&config);

    struct init_child child = {0};
    if (!config.pause)
        init_spawn(&config, config.has_child_mask ? config.child_mask : orig_mask, &child);

    /* The init pins no mount and holds no inherited fd (socket activation, pipes): the child
     * has its own copies. Signals that came meanwhile are pending, and the signalfd sees them. */
    if (chdir("/") < 0)
        bt_log_debug("chdir /: %s", strerror(errno));
    bt_proc_close_from(STDERR_FILENO + 1);
    int signal_fd = bt_sig_signalfd(BT_SIGMASK_ALL, SFD_CLOEXEC);
    if (signal_fd < 0) {
        bt_log(BT_LOG_FATAL, "signalfd: %s", strerror(-signal_fd));
        if (child.pid > 0)
            kill(child.pid, SIGKILL);
        return 125;
    }
    return init_loop(&config, &child, signal_fd);
}
