/* The container's terminal (process.terminal): a pty whose slave is the init's stdio and
 * controlling terminal (and /dev/console), whose master bottle-shim keeps. In the foreground
 * the caller's terminal is put in raw mode and bytes are copied both ways, so that Ctrl-C and
 * Ctrl-Z reach the container's foreground process group through the pty's line discipline;
 * window size changes follow. Detached, the master's output goes to the log as stdout. */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "log.h"
#include "logfile.h"

int shim_tty_prepare(struct shim_container *container, struct bt_err *err)
{
    container->tty_master = -1;
    container->tty_raw = false;
    if (!container->spec->process.terminal)
        return 0;
    int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0)
        return bt_err_sys(err, errno, "posix_openpt");
    char *name;
    if (grantpt(master) < 0 || unlockpt(master) < 0 || !(name = ptsname(master))) {
        int saved = errno;
        close(master);
        return bt_err_sys(err, saved, "set up the pty");
    }
    snprintf(container->tty_slave, sizeof(container->tty_slave), "%s", name);
    container->tty_master = master;
    struct winsize size;
    if (container->options->foreground && ioctl(STDIN_FILENO, TIOCGWINSZ, &size) == 0)
        ioctl(master, TIOCSWINSZ, &size);
    else if (container->spec->process.has_console_size) {
        size = (struct winsize){.ws_row = container->spec->process.console_height,
                                .ws_col = container->spec->process.console_width};
        ioctl(master, TIOCSWINSZ, &size);
    }
    return 0;
}

/* In the child, after the mounts: the slave becomes stdio and the controlling terminal. The
 * slave is opened by its host path before pivot_root, so this runs with that fd. */
int shim_tty_child(int slave_fd, struct bt_err *err)
{
    if (setsid() < 0)
        return bt_err_sys(err, errno, "setsid");
    if (ioctl(slave_fd, TIOCSCTTY, 0) < 0)
        return bt_err_sys(err, errno, "make the pty the controlling terminal");
    for (int fd = 0; fd < 3; fd++)
        if (dup2(slave_fd, fd) < 0)
            return bt_err_sys(err, errno, "dup2 the pty");
    if (slave_fd > 2)
        close(slave_fd);
    return 0;
}

void shim_tty_parent(struct shim_container *container)
{
    if (container->tty_master < 0)
        return;
    fcntl(container->tty_master, F_SETFL, O_NONBLOCK);
    if (!container->options->foreground || !isatty(STDIN_FILENO))
        return;
    struct termios raw;
    if (tcgetattr(STDIN_FILENO, &container->tty_saved) < 0)
        return;
    raw = container->tty_saved;
    cfmakeraw(&raw);
    if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0)
        container->tty_raw = true;
}

void shim_tty_resize(struct shim_container *container)
{
    struct winsize size;
    if (container->tty_master >= 0 && ioctl(STDIN_FILENO, TIOCGWINSZ, &size) == 0)
        ioctl(container->tty_master, TIOCSWINSZ, &size);
}

static void write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            usleep(1000);
            continue;
        }
        if (n <= 0)
            return;
        buf += n;
        len -= (size_t)n;
    }
}

void shim_tty_input(struct shim_container *container)
{
    char buf[4096];
    ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
    if (n > 0)
        write_all(container->tty_master, buf, (size_t)n);
    else if (n == 0)
        container->stdin_closed = true;
}

void shim_tty_output(struct shim_container *container)
{
    char buf[65536];
    for (int rounds = 0; rounds < 16; rounds++) {
        ssize_t n = read(container->tty_master, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            /* EIO: every slave fd is closed (the container is gone). */
            if (n == 0 || errno != EAGAIN) {
                close(container->tty_master);
                container->tty_master = -1;
            }
            return;
        }
        if (container->log) {
            struct bt_err err = {0};
            bt_logfile_write(container->log, BT_LOGFILE_STDOUT, buf, (size_t)n, &err);
            bt_logfile_flush(container->log, &err);
        } else {
            write_all(STDOUT_FILENO, buf, (size_t)n);
        }
    }
}

void shim_tty_close(struct shim_container *container)
{
    if (container->tty_raw) {
        tcsetattr(STDIN_FILENO, TCSANOW, &container->tty_saved);
        container->tty_raw = false;
    }
    if (container->tty_master >= 0) {
        close(container->tty_master);
        container->tty_master = -1;
    }
}
