/* sd-notify [--no-barrier] MESSAGE...: sends the MESSAGEs (one datagram, newline-separated) to
 * $NOTIFY_SOCKET as sd_notify(3) does, then waits for the receiver with BARRIER=1 (a pipe's
 * write end passed along; the receiver closes it once it has handled what came before), as
 * systemd-notify does. Exits 0 once delivered, 1 on error, 2 when the barrier times out (5 s). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int send_message(int fd, const struct sockaddr_un *addr, const char *text, int pass_fd)
{
    struct iovec iov = {.iov_base = (void *)text, .iov_len = strlen(text)};
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int))];
    } control;
    struct msghdr msg = {
        .msg_name = (void *)addr, .msg_namelen = sizeof(*addr), .msg_iov = &iov, .msg_iovlen = 1};
    if (pass_fd >= 0) {
        memset(&control, 0, sizeof(control));
        msg.msg_control = control.buf;
        msg.msg_controllen = sizeof(control.buf);
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
    }
    return sendmsg(fd, &msg, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
    int first = 1;
    int barrier = 1;
    if (argc > 1 && strcmp(argv[1], "--no-barrier") == 0) {
        barrier = 0;
        first = 2;
    }
    const char *path = getenv("NOTIFY_SOCKET");
    if (!path || !*path || first >= argc) {
        fprintf(stderr, "usage: NOTIFY_SOCKET=PATH sd-notify [--no-barrier] MESSAGE...\n");
        return 1;
    }
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
    if (addr.sun_path[0] == '@')
        addr.sun_path[0] = '\0';
    char text[4096] = "";
    for (int i = first; i < argc; i++) {
        strncat(text, argv[i], sizeof(text) - strlen(text) - 2);
        strcat(text, "\n");
    }
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || send_message(fd, &addr, text, -1) < 0) {
        fprintf(stderr, "sd-notify: %s: %s\n", path, strerror(errno));
        return 1;
    }
    if (!barrier)
        return 0;
    int pipe_fds[2];
    if (pipe(pipe_fds) < 0 || send_message(fd, &addr, "BARRIER=1\n", pipe_fds[1]) < 0) {
        fprintf(stderr, "sd-notify: barrier: %s\n", strerror(errno));
        return 1;
    }
    close(pipe_fds[1]);
    struct pollfd p = {.fd = pipe_fds[0], .events = POLLIN};
    return poll(&p, 1, 5000) == 1 ? 0 : 2;
}
