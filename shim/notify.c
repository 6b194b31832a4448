/* Readiness reported by the container itself: sd_notify (READY=1 on the NOTIFY_SOCKET the shim
 * offers at /run/notify/notify.sock, as podman does) or an s6-style notification fd (a newline
 * on fd N). The shim records it in STATE_DIR/ready, written atomically, where bottled sees it
 * appear (inotify) or finds it after a restart. Only a process of the container may say READY. */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

#define ANNOTATION    "org.bottle.readiness"
#define NOTIFY_TARGET "/run/notify"
#define NOTIFY_SOCKET NOTIFY_TARGET "/notify.sock"
#define FDS_MAX       16 /* fds passed along with one message (BARRIER=1 passes one) */

static const char *annotation(const struct bt_spec *spec)
{
    for (size_t i = 0; i < spec->annotations_len; i++)
        if (strcmp(spec->annotations[i].key, ANNOTATION) == 0)
            return spec->annotations[i].value;
    return NULL;
}

static int make_socket(struct shim_notify *notify, const char *state_dir, struct bt_err *err)
{
    snprintf(notify->dir, sizeof(notify->dir), "%s/notify", state_dir);
    if (mkdir(notify->dir, 0755) < 0 && errno != EEXIST)
        return bt_err_sys(err, errno, "mkdir %s", notify->dir);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if ((size_t)snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/notify.sock", notify->dir) >=
        sizeof(addr.sun_path))
        return bt_err_msg(err, ENAMETOOLONG, "%s/notify.sock: path too long", notify->dir);
    unlink(addr.sun_path);
    notify->socket_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (notify->socket_fd < 0)
        return bt_err_sys(err, errno, "notify socket");
    int one = 1;
    if (bind(notify->socket_fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
        setsockopt(notify->socket_fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0)
        return bt_err_sys(err, errno, "notify socket %s", addr.sun_path);
    /* Any user of the container may notify (systemd's NotifyAccess=all); the host reaches it
     * only through the root-only state dir. */
    if (chmod(addr.sun_path, 0777) < 0)
        return bt_err_sys(err, errno, "chmod %s", addr.sun_path);
    snprintf(notify->env, sizeof(notify->env), "NOTIFY_SOCKET=%s", NOTIFY_SOCKET);
    return 0;
}

static int make_pipe(struct shim_notify *notify, const char *value, struct bt_err *err)
{
    char *end;
    long fd = strtol(value, &end, 10);
    if (*end || end == value || fd < 3 || fd > 1023)
        return bt_err_msg(err, EINVAL, "annotation %s: fd:%s: the fd must be 3..1023", ANNOTATION,
                          value);
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0)
        return bt_err_sys(err, errno, "notification pipe");
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    notify->pipe_fd = fds[0];
    notify->child_fd = fds[1];
    notify->target_fd = (int)fd;
    return 0;
}

int shim_notify_prepare(struct shim_container *container, struct bt_err *err)
{
    struct shim_notify *notify = &container->notify;
    *notify = (struct shim_notify){
        .enabled = true, .socket_fd = -1, .pipe_fd = -1, .child_fd = -1, .target_fd = -1};
    const char *value = annotation(container->spec);
    if (!value)
        return 0;
    if (strcmp(value, "sd_notify") == 0)
        return make_socket(notify, container->state_dir, err);
    if (strncmp(value, "fd:", 3) == 0)
        return make_pipe(notify, value + 3, err);
    return bt_err_msg(err, EINVAL, "annotation %s: %s: expected sd_notify or fd:N", ANNOTATION,
                      value);
}

bool shim_notify_mount(const struct shim_container *container, struct bt_mount *mount)
{
    if (!container->notify.enabled || container->notify.socket_fd < 0)
        return false;
    *mount = (struct bt_mount){.source = container->notify.dir,
                               .target = NOTIFY_TARGET,
                               .type = "bind",
                               .flags = MS_BIND | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                               .propagation = MS_PRIVATE};
    return true;
}

void shim_notify_parent(struct shim_container *container)
{
    if (container->notify.enabled && container->notify.child_fd >= 0) {
        close(container->notify.child_fd);
        container->notify.child_fd = -1;
    }
}

static void mark_ready(struct shim_container *container, const char *how)
{
    struct shim_notify *notify = &container->notify;
    if (notify->ready)
        return;
    char path[600], tmp[620];
    snprintf(path, sizeof(path), "%s/ready", container->state_dir);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        bt_log_warn("readiness: %s: %s", tmp, strerror(errno));
        return;
    }
    size_t len = strlen(how);
    bool written = write(fd, how, len) == (ssize_t)len && write(fd, "\n", 1) == 1;
    if (close(fd) < 0 || !written || rename(tmp, path) < 0) {
        bt_log_warn("readiness: %s: %s", path, strerror(errno));
        unlink(tmp);
        return;
    }
    notify->ready = true;
    bt_log_debug("container %s is ready (%s)", container->options->id, how);
}

/* True when PID lives in the container's mount namespace, which only its processes share (its
 * own is always new). The sender must still be alive: notifiers that exit at once send
 * BARRIER=1 after READY=1, as systemd-notify does. */
static bool from_container(const struct shim_container *container, pid_t pid)
{
    char path[64];
    struct stat sender, init;
    snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)pid);
    if (pid <= 0 || stat(path, &sender) < 0)
        return false;
    snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)container->pid);
    if (stat(path, &init) < 0)
        return false;
    return sender.st_ino == init.st_ino && sender.st_dev == init.st_dev;
}

static bool says_ready(const char *text)
{
    for (const char *line = text; line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
        if (strncmp(line, "READY=1", 7) == 0 && (line[7] == '\n' || line[7] == '\0'))
            return true;
    return false;
}

void shim_notify_read_socket(struct shim_container *container)
{
    struct shim_notify *notify = &container->notify;
    for (;;) {
        char text[4097];
        union {
            struct cmsghdr align;
            char buf[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int) * FDS_MAX)];
        } control;
        struct iovec iov = {.iov_base = text, .iov_len = sizeof(text) - 1};
        struct msghdr msg = {.msg_iov = &iov,
                             .msg_iovlen = 1,
                             .msg_control = control.buf,
                             .msg_controllen = sizeof(control.buf)};
        ssize_t n = recvmsg(notify->socket_fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        if (n < 0)
            return; /* EAGAIN: all read */
        text[n] = '\0';
        const struct ucred *cred = NULL;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
            if (c->cmsg_level != SOL_SOCKET)
                continue;
            if (c->cmsg_type == SCM_CREDENTIALS && c->cmsg_len == CMSG_LEN(sizeof(struct ucred))) {
                cred = (const struct ucred *)CMSG_DATA(c);
            } else if (c->cmsg_type == SCM_RIGHTS) {
                /* Nothing is kept: closing a BARRIER=1 fd tells the sender that everything it
                 * sent before has been handled. */
                size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                for (size_t i = 0; i < count; i++) {
                    int fd;
                    memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
                    close(fd);
                }
            }
        }
        if (!says_ready(text))
            continue;
        if (cred && from_container(container, cred->pid))
            mark_ready(container, "sd_notify");
        else
            bt_log_warn("READY=1 from pid %d, not a process of the container: ignored",
                        cred ? (int)cred->pid : 0);
    }
}

void shim_notify_read_pipe(struct shim_container *container)
{
    struct shim_notify *notify = &container->notify;
    char buf[512];
    ssize_t n;
    while ((n = read(notify->pipe_fd, buf, sizeof(buf))) > 0) {
        if (memchr(buf, '\n', (size_t)n)) {
            mark_ready(container, "fd");
            break;
        }
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    /* Ready, or the service closed it without a newline: s6 stops listening either way. */
    close(notify->pipe_fd);
    notify->pipe_fd = -1;
}

void shim_notify_close(struct shim_container *container)
{
    struct shim_notify *notify = &container->notify;
    if (!notify->enabled)
        return;
    int *fds[] = {&notify->socket_fd, &notify->pipe_fd, &notify->child_fd};
    for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
        if (*fds[i] >= 0) {
            close(*fds[i]);
            *fds[i] = -1;
        }
    char path[640];
    if (notify->dir[0]) {
        snprintf(path, sizeof(path), "%s/notify.sock", notify->dir);
        unlink(path);
        rmdir(notify->dir);
        notify->dir[0] = '\0';
    }
    snprintf(path, sizeof(path), "%s/ready", container->state_dir);
    unlink(path);
}
