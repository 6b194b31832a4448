/* Babysitting a running container: bottle-shim waits on the init's pidfd and forwards the
 * signals people send it. Signals the terminal generates (Ctrl-C) already reach the container
 * through the foreground process group, so they are not sent twice. */
#include "shim.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "sig.h"

static int pidfd_signal(int pidfd, int sig)
{
    return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

int shim_run(struct shim_container *container)
{
    int signal_fd = bt_sig_signalfd(BT_SIGMASK_ALL, SFD_CLOEXEC | SFD_NONBLOCK);
    if (signal_fd < 0)
        bt_log_warn("signalfd: %s (signals will not be forwarded)", strerror(-signal_fd));
    for (;;) {
        struct pollfd fds[2] = {{.fd = container->pidfd, .events = POLLIN},
                                {.fd = signal_fd, .events = POLLIN}};
        int n = poll(fds, signal_fd >= 0 ? 2 : 1, -1);
        if (n < 0 && errno != EINTR) {
            bt_log_error("poll: %s", strerror(errno));
            break;
        }
        if (fds[0].revents & POLLIN)
            break;
        if (signal_fd >= 0 && (fds[1].revents & POLLIN)) {
            struct signalfd_siginfo info;
            while (read(signal_fd, &info, sizeof(info)) == sizeof(info)) {
                int sig = (int)info.ssi_signo;
                if (sig == SIGCHLD || info.ssi_code == SI_KERNEL)
                    continue;
                if (pidfd_signal(container->pidfd, sig) < 0)
                    bt_log_debug("forward signal %d: %s", sig, strerror(errno));
            }
        }
    }
    siginfo_t info;
    memset(&info, 0, sizeof(info));
    while (waitid((idtype_t)P_PIDFD, (id_t)container->pidfd, &info, WEXITED) < 0 && errno == EINTR)
        ;
    if (signal_fd >= 0)
        close(signal_fd);
    if (info.si_code == CLD_EXITED)
        return W_EXITCODE(info.si_status, 0);
    return info.si_status & 0x7f; /* killed (or dumped): the signal number */
}
