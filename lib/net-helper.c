/* Running bottle-net, the one program that links libmnl and libnftables (libnftables exists
 * only as a shared library, and bottle-shim is static): the shim, `bottle rm` and bottled ask it
 * to set up, tear down and reconcile networks. libc only; no allocation between fork and exec. */
#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"

/* $BOTTLE_NET, else bottle-net beside the running executable. */
static int helper_path(char *buf, size_t len, struct bt_err *err)
{
    const char *env = getenv("BOTTLE_NET");
    if (env && *env) {
        snprintf(buf, len, "%s", env);
        return 0;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0)
        return bt_err_sys(err, errno, "find bottle-net: readlink /proc/self/exe");
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash)
        *slash = '\0';
    if ((size_t)snprintf(buf, len, "%s/bottle-net", exe) >= len)
        return bt_err_msg(err, ENAMETOOLONG, "find bottle-net: path too long");
    return 0;
}

int bt_net_helper_run(const char *const *argv, struct bt_err *err)
{
    char path[PATH_MAX];
    int ret = helper_path(path, sizeof(path), err);
    if (ret < 0)
        return ret;
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) < 0)
        return bt_err_sys(err, errno, "pipe");
    pid_t pid = fork();
    if (pid < 0) {
        close(pipefd[0]);
        close(pipefd[1]);
        return bt_err_sys(err, errno, "fork");
    }
    if (pid == 0) {
        dup2(pipefd[1], 2);
        execv(path, (char *const *)argv);
        /* No stdio between fork and exec: a fixed message, the path told by the parent. */
        static const char msg[] = "bottle-net: cannot execute it\n";
        if (write(2, msg, sizeof(msg) - 1) < 0)
            _exit(127);
        _exit(127);
    }
    close(pipefd[1]);
    char out[4096];
    size_t used = 0;
    for (;;) {
        ssize_t n = read(pipefd[0], out + used, sizeof(out) - 1 - used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        used += (size_t)n;
        if (used == sizeof(out) - 1) {
            /* Keep the end: the last line is the one that matters. */
            memmove(out, out + used / 2, used - used / 2);
            used -= used / 2;
        }
    }
    out[used] = '\0';
    close(pipefd[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return bt_err_sys(err, errno, "wait for bottle-net");
    /* Warnings (lines starting "bottle: warning") go on to our stderr as they are. */
    char *line = out, *last = NULL;
    while (line && *line) {
        char *end = strchr(line, '\n');
        if (end)
            *end = '\0';
        if (strncmp(line, "bottle: warning", 15) == 0)
            fprintf(stderr, "%s\n", line);
        else if (*line)
            last = line;
        line = end ? end + 1 : NULL;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
        return bt_err_msg(err, ENOENT, "cannot execute %s", path);
    if (last && strncmp(last, "bottle-net: ", 12) == 0)
        last += 12;
    return bt_err_msg(err, EIO, "%s", last ? last : "bottle-net failed without a word");
}

int bt_net_reconcile(const char *state_root, struct bt_err *err)
{
    const char *argv[] = {"bottle-net", "reconcile", state_root, NULL};
    return bt_net_helper_run(argv, err);
}
