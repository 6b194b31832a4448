/* The container's stdout and stderr when detached: two pipes read by the shim into a k8s-file
 * log that rotates by size and never loses a record. The shim owns the read ends, so the
 * container keeps writing while bottled restarts. */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "logfile.h"

int shim_io_prepare(struct shim_container *container, struct bt_err *err)
{
    for (int i = 0; i < 2; i++)
        container->stdio_pipes[i][0] = container->stdio_pipes[i][1] = -1;
    if (container->options->foreground)
        return 0;
    const struct shim_options *opt = container->options;
    char dir[4096], path[4200];
    if (opt->log_path) {
        snprintf(path, sizeof(path), "%s", opt->log_path);
    } else {
        snprintf(dir, sizeof(dir), "%s", opt->root);
        mkdir(dir, 0711);
        snprintf(dir, sizeof(dir), "%s/containers", opt->root);
        mkdir(dir, 0711);
        snprintf(dir, sizeof(dir), "%s/containers/%s", opt->root, opt->id);
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
            return bt_err_sys(err, errno, "create %s", dir);
        snprintf(path, sizeof(path), "%s/container.log", dir);
    }
    container->log = bt_logfile_open(path, opt->log_max_size, opt->log_max_files, err);
    if (!container->log)
        return -err->code;
    if (container->spec->process.terminal)
        return 0; /* the pty carries both streams */
    for (int i = 0; i < 2; i++)
        if (pipe2(container->stdio_pipes[i], O_CLOEXEC) < 0)
            return bt_err_sys(err, errno, "pipe");
    return 0;
}

void shim_io_child(const struct shim_container *container)
{
    for (int i = 0; i < 2; i++)
        if (container->stdio_pipes[i][1] >= 0)
            dup2(container->stdio_pipes[i][1], STDOUT_FILENO + i);
}

void shim_io_parent(struct shim_container *container)
{
    for (int i = 0; i < 2; i++) {
        if (container->stdio_pipes[i][1] >= 0) {
            close(container->stdio_pipes[i][1]);
            container->stdio_pipes[i][1] = -1;
            fcntl(container->stdio_pipes[i][0], F_SETFL, O_NONBLOCK);
        }
    }
}

void shim_io_pump(struct shim_container *container, int stream, bool drain)
{
    int fd = container->stdio_pipes[stream][0];
    if (fd < 0)
        return;
    char buf[65536];
    for (int rounds = 0; drain || rounds < 16; rounds++) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0 || errno != EAGAIN) {
                close(fd);
                container->stdio_pipes[stream][0] = -1;
            }
            break;
        }
        struct bt_err err = {0};
        if (bt_logfile_write(container->log, (enum bt_logfile_stream)stream, buf, (size_t)n, &err) <
            0)
            bt_log_warn("log: %s", err.msg);
    }
    struct bt_err err = {0};
    bt_logfile_flush(container->log, &err);
}

void shim_io_close(struct shim_container *container)
{
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++)
            if (container->stdio_pipes[i][j] >= 0) {
                close(container->stdio_pipes[i][j]);
                container->stdio_pipes[i][j] = -1;
            }
    struct bt_err err = {0};
    if (container->log && bt_logfile_close(container->log, &err) < 0)
        bt_log_warn("log: %s", err.msg);
    container->log = NULL;
}
