/* Babysitting a running container: one poll loop over the init's pidfd, bottle-shim's signals,
 * the container's stdout/stderr pipes (detached), the control socket and its clients. Signals
 * the terminal generates (Ctrl-C) already reach the container through the foreground process
 * group, so they are not sent twice. */
#include "shim.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "sig.h"

/* After the init exits, what its leftovers still write is read for at most this long. */
#define DRAIN_MS 2000

enum {
    SLOT_PIDFD,
    SLOT_SIGNALS,
    SLOT_STDOUT,
    SLOT_STDERR,
    SLOT_TTY,
    SLOT_STDIN,
    SLOT_LISTEN,
    SLOT_NOTIFY_SOCKET,
    SLOT_NOTIFY_PIPE,
    SLOT_CLIENTS
};

static void forward_signals(struct shim_container *container, int signal_fd)
{
    struct signalfd_siginfo info;
    while (read(signal_fd, &info, sizeof(info)) == sizeof(info)) {
        int sig = (int)info.ssi_signo;
        if (sig == SIGWINCH && container->tty_master >= 0) {
            shim_tty_resize(container);
            continue;
        }
        if (sig == SIGCHLD || info.ssi_code == SI_KERNEL || sig == SIGPIPE)
            continue;
        if (syscall(SYS_pidfd_send_signal, container->pidfd, sig, NULL, 0) < 0)
            bt_log_debug("forward signal %d: %s", sig, strerror(errno));
    }
}

static int reap_init(struct shim_container *container)
{
    siginfo_t info;
    memset(&info, 0, sizeof(info));
    while (waitid((idtype_t)P_PIDFD, (id_t)container->pidfd, &info, WEXITED) < 0 && errno == EINTR)
        ;
    if (info.si_code == CLD_EXITED)
        return W_EXITCODE(info.si_status, 0);
    return info.si_status & 0x7f; /* killed (or dumped): the signal number */
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The container is gone, but a process that escaped the pid namespace's kill (none should) or
 * the kernel's buffers may still hold output: read the pipes to their end, bounded. */
static void drain_output(struct shim_container *container)
{
    long long deadline = now_ms() + DRAIN_MS;
    while (container->stdio_pipes[0][0] >= 0 || container->stdio_pipes[1][0] >= 0 ||
           container->tty_master >= 0) {
        long long left = deadline - now_ms();
        if (left <= 0)
            break;
        struct pollfd fds[3] = {{.fd = container->stdio_pipes[0][0], .events = POLLIN},
                                {.fd = container->stdio_pipes[1][0], .events = POLLIN},
                                {.fd = container->tty_master, .events = POLLIN}};
        if (poll(fds, 3, (int)left) <= 0)
            break;
        for (int i = 0; i < 2; i++)
            if (fds[i].revents)
                shim_io_pump(container, i, false);
        if (fds[2].revents)
            shim_tty_output(container);
    }
}

int shim_run(struct shim_container *container)
{
    int signal_fd = bt_sig_signalfd(BT_SIGMASK_ALL, SFD_CLOEXEC | SFD_NONBLOCK);
    if (signal_fd < 0)
        bt_log_warn("signalfd: %s (signals will not be forwarded)", strerror(-signal_fd));
    for (;;) {
        struct pollfd fds[SLOT_CLIENTS + SHIM_CLIENTS_MAX];
        fds[SLOT_PIDFD] = (struct pollfd){.fd = container->pidfd, .events = POLLIN};
        fds[SLOT_SIGNALS] = (struct pollfd){.fd = signal_fd, .events = POLLIN};
        fds[SLOT_STDOUT] = (struct pollfd){.fd = container->stdio_pipes[0][0], .events = POLLIN};
        fds[SLOT_STDERR] = (struct pollfd){.fd = container->stdio_pipes[1][0], .events = POLLIN};
        fds[SLOT_TTY] = (struct pollfd){.fd = container->tty_master, .events = POLLIN};
        bool tty_input = container->tty_master >= 0 && container->options->foreground &&
                         !container->stdin_closed;
        fds[SLOT_STDIN] = (struct pollfd){.fd = tty_input ? STDIN_FILENO : -1, .events = POLLIN};
        fds[SLOT_LISTEN] = (struct pollfd){.fd = container->listen_fd, .events = POLLIN};
        const struct shim_notify *notify = &container->notify;
        fds[SLOT_NOTIFY_SOCKET] =
            (struct pollfd){.fd = notify->enabled ? notify->socket_fd : -1, .events = POLLIN};
        fds[SLOT_NOTIFY_PIPE] =
            (struct pollfd){.fd = notify->enabled ? notify->pipe_fd : -1, .events = POLLIN};
        for (int i = 0; i < SHIM_CLIENTS_MAX; i++)
            fds[SLOT_CLIENTS + i] = (struct pollfd){
                .fd = container->clients[i] ? container->clients[i]->fd : -1, .events = POLLIN};
        int n = poll(fds, SLOT_CLIENTS + SHIM_CLIENTS_MAX, -1);
        if (n < 0 && errno != EINTR) {
            bt_log_error("poll: %s", strerror(errno));
            break;
        }
        if (n <= 0)
            continue;
        if (fds[SLOT_SIGNALS].revents)
            forward_signals(container, signal_fd);
        for (int i = 0; i < 2; i++)
            if (fds[SLOT_STDOUT + i].revents)
                shim_io_pump(container, i, false);
        if (fds[SLOT_TTY].revents)
            shim_tty_output(container);
        if (fds[SLOT_STDIN].revents)
            shim_tty_input(container);
        if (fds[SLOT_LISTEN].revents)
            shim_serve_accept(container);
        if (fds[SLOT_NOTIFY_SOCKET].revents)
            shim_notify_read_socket(container);
        if (fds[SLOT_NOTIFY_PIPE].revents)
            shim_notify_read_pipe(container);
        for (int i = 0; i < SHIM_CLIENTS_MAX; i++)
            if (container->clients[i] && fds[SLOT_CLIENTS + i].revents)
                shim_serve_client(container, i);
        if (fds[SLOT_PIDFD].revents)
            break;
    }
    if (signal_fd >= 0)
        close(signal_fd);
    int status = reap_init(container);
    container->exited = true;
    container->exit_status = status;
    drain_output(container);
    return status;
}
