/* Entering a running container: see enter.h. Joining happens in the caller (cgroups while it
 * still sees the host's cgroup file systems, then every namespace in one setns on the init's
 * pidfd); the child it forks then only sets its own attributes and execs, without allocating. */
#include "enter.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "cgroup.h"
#include "cleanup.h"
#include "sig.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

int bt_enter_open(pid_t pid, struct bt_err *err)
{
    int fd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (fd < 0)
        return bt_err_sys(err, errno, "pidfd_open %d", (int)pid);
    /* pidfds are always close-on-exec. */
    return fd;
}

bool bt_enter_alive(int pidfd)
{
    return syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) == 0;
}

/* ---- cgroups ---- */

/* The bit mask of the v1 controllers named in LIST ("cpu,cpuacct"); names bottle does not know
 * set BIT 31, so that such a line matches no hierarchy of the layout. */
static unsigned controller_mask(const char *list, size_t len)
{
    unsigned mask = 0;
    while (len > 0) {
        const char *comma = memchr(list, ',', len);
        size_t n = comma ? (size_t)(comma - list) : len;
        bool known = false;
        for (int c = 0; c < BT_CGROUP_CONTROLLER_COUNT; c++) {
            const char *name = bt_cgroup_controller_name((enum bt_cgroup_controller)c);
            if (name && strlen(name) == n && memcmp(name, list, n) == 0) {
                mask |= BT_CGROUP_BIT(c);
                known = true;
            }
        }
        if (!known)
            mask |= 1U << 31;
        list += n;
        len -= n;
        if (comma) {
            list++;
            len--;
        }
    }
    return mask;
}

/* Finds the line of /proc/PID/cgroup (in TEXT) that belongs to hierarchy H and copies its path
 * into PATH. Returns 0, -ENOENT, or -EINVAL for a path bottle refuses to use. */
static int find_cgroup_path(const char *text, const struct bt_cgroup_hierarchy *h, char *path,
                            size_t len)
{
    for (const char *line = text; *line;) {
        const char *end = strchr(line, '\n');
        size_t line_len = end ? (size_t)(end - line) : strlen(line);
        const char *first = memchr(line, ':', line_len);
        const char *second =
            first ? memchr(first + 1, ':', line_len - (size_t)(first + 1 - line)) : NULL;
        if (second) {
            const char *controllers = first + 1;
            size_t controllers_len = (size_t)(second - controllers);
            bool match;
            if (h->unified)
                match = first - line == 1 && line[0] == '0' && controllers_len == 0;
            else if (h->systemd)
                match = controllers_len == strlen("name=systemd") &&
                        memcmp(controllers, "name=systemd", controllers_len) == 0;
            else
                match = controllers_len > 0 && h->controllers != 0 &&
                        controller_mask(controllers, controllers_len) == h->controllers;
            if (match) {
                const char *p = second + 1;
                size_t n = line_len - (size_t)(p - line);
                if (n == 0 || n >= len || p[0] != '/')
                    return -EINVAL;
                memcpy(path, p, n);
                path[n] = '\0';
                /* Outside our cgroup namespace's root the kernel writes "/../..": refuse. */
                if (strstr(path, "/../") || (n >= 3 && strcmp(path + n - 3, "/..") == 0))
                    return -EINVAL;
                return 0;
            }
        }
        line += line_len;
        if (*line == '\n')
            line++;
    }
    return -ENOENT;
}

static int read_small_file(const char *path, char *buf, size_t len, struct bt_err *err)
{
    cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return bt_err_sys(err, errno, "open %s", path);
    size_t used = 0;
    for (;;) {
        ssize_t n = read(fd, buf + used, len - 1 - used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return bt_err_sys(err, errno, "read %s", path);
        if (n == 0)
            break;
        used += (size_t)n;
        if (used == len - 1)
            return bt_err_msg(err, EFBIG, "%s is larger than %zu bytes", path, len - 1);
    }
    buf[used] = '\0';
    return 0;
}

static int write_pid(const char *dir, pid_t pid, struct bt_err *err)
{
    char path[PATH_MAX + 32], text[24];
    snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
    cleanup_close int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return bt_err_sys(err, errno, "open %s", path);
    int len = snprintf(text, sizeof(text), "%d", (int)pid);
    if (write(fd, text, (size_t)len) != len)
        return bt_err_sys(err, errno, "write %s", path);
    return 0;
}

static int join_cgroups(pid_t pid, const char *proc_cgroup, struct bt_err *err)
{
    struct bt_cgroup_layout layout;
    struct bt_err ignored = {0};
    if (bt_cgroup_layout_detect(&layout, &ignored) < 0)
        return 0; /* no cgroup file system here: nothing to join */
    for (int i = 0; i < layout.count; i++) {
        const struct bt_cgroup_hierarchy *h = &layout.hierarchies[i];
        char path[BT_CGROUP_PATH_MAX * 2], dir[PATH_MAX];
        int ret = find_cgroup_path(proc_cgroup, h, path, sizeof(path));
        if (ret == -EINVAL)
            return bt_err_msg(err, EINVAL, "the cgroup of pid %d in %s is outside ours", (int)pid,
                              h->mount);
        if (ret < 0)
            return bt_err_msg(err, ENOENT, "pid %d has no cgroup in %s", (int)pid, h->mount);
        if ((size_t)snprintf(dir, sizeof(dir), "%s%s", h->mount, strcmp(path, "/") ? path : "") >=
            sizeof(dir))
            return bt_err_msg(err, ENAMETOOLONG, "cgroup path too long: %s%s", h->mount, path);
        ret = write_pid(dir, getpid(), err);
        if (ret < 0)
            return bt_err_wrap(err, "join the cgroup of pid %d", (int)pid);
    }
    return 0;
}

/* ---- namespaces ---- */

static const struct {
    const char *name;
    int flag;
} namespaces[] = {
    {"user", CLONE_NEWUSER},     {"mnt", CLONE_NEWNS},    {"net", CLONE_NEWNET},
    {"ipc", CLONE_NEWIPC},       {"uts", CLONE_NEWUTS},   {"pid", CLONE_NEWPID},
    {"cgroup", CLONE_NEWCGROUP}, {"time", CLONE_NEWTIME},
};

/* The CLONE_NEW* flags of the namespaces of PID that differ from ours. Joining one's own user
 * namespace is refused by the kernel (EINVAL: it would regain capabilities), so only those that
 * differ are joined; a namespace type the kernel lacks is skipped. */
static int namespace_flags(pid_t pid, int *flags, struct bt_err *err)
{
    *flags = 0;
    for (size_t i = 0; i < sizeof(namespaces) / sizeof(namespaces[0]); i++) {
        char self_path[64], path[64];
        struct stat self_st, st;
        snprintf(self_path, sizeof(self_path), "/proc/self/ns/%s", namespaces[i].name);
        snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, namespaces[i].name);
        if (stat(self_path, &self_st) < 0)
            continue;
        if (stat(path, &st) < 0)
            return bt_err_sys(err, errno, "stat %s", path);
        if (st.st_dev != self_st.st_dev || st.st_ino != self_st.st_ino)
            *flags |= namespaces[i].flag;
    }
    return 0;
}

int bt_enter_join(pid_t pid, int pidfd, struct bt_err *err)
{
    /* First of all: what the container may see of us from here on must not lead to the host. */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
        return bt_err_sys(err, errno, "prctl(PR_SET_DUMPABLE, 0)");
    char proc_cgroup[16384], path[64];
    snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
    int ret = read_small_file(path, proc_cgroup, sizeof(proc_cgroup), err);
    int flags = 0;
    if (ret == 0)
        ret = namespace_flags(pid, &flags, err);
    if (!bt_enter_alive(pidfd))
        return bt_err_msg(err, ESRCH, "the container's init (pid %d) has exited", (int)pid);
    if (ret < 0)
        return ret;
    ret = join_cgroups(pid, proc_cgroup, err);
    if (ret < 0)
        return ret;
    if (flags && setns(pidfd, flags) < 0)
        return bt_err_sys(err, errno, "join the namespaces of pid %d", (int)pid);
    return 0;
}

/* ---- the child ---- */

struct report {
    int exit_code;
    struct bt_err err;
};

static __attribute__((noreturn)) void child_fail(int report_fd, int exit_code, struct bt_err *err)
{
    struct report report = {.exit_code = exit_code, .err = *err};
    if (report.err.code == 0)
        report.err.code = EIO;
    while (write(report_fd, &report, sizeof(report)) < 0 && errno == EINTR)
        ;
    _exit(exit_code);
}

static const char *env_get(char *const *env, const char *name)
{
    size_t len = strlen(name);
    for (; env && *env; env++)
        if (strncmp(*env, name, len) == 0 && (*env)[len] == '=')
            return *env + len + 1;
    return NULL;
}

/* execvpe without malloc: tries every PATH entry, remembers EACCES (126 rather than 127, as
 * the shell), and gives up on the first error that is not about a missing file. Returns the
 * errno to report. */
static int exec_search(char *const *argv, char *const *env, bool *searched)
{
    const char *file = argv[0];
    *searched = false;
    if (strchr(file, '/')) {
        execve(file, argv, env);
        return errno;
    }
    if (!*file)
        return ENOENT;
    *searched = true;
    const char *path = env_get(env, "PATH");
    if (!path)
        path = DEFAULT_PATH;
    bool denied = false;
    size_t file_len = strlen(file);
    for (const char *p = path;;) {
        const char *colon = strchr(p, ':');
        size_t dir_len = colon ? (size_t)(colon - p) : strlen(p);
        char buf[PATH_MAX];
        if (dir_len + 1 + file_len < sizeof(buf)) {
            size_t n = 0;
            if (dir_len == 0) {
                buf[n++] = '.';
            } else {
                memcpy(buf, p, dir_len);
                n = dir_len;
            }
            buf[n++] = '/';
            memcpy(buf + n, file, file_len + 1);
            execve(buf, argv, env);
            switch (errno) {
            case EACCES: denied = true; break;
            case ENOENT:
            case ENOTDIR:
            case ESTALE:
            case ENODEV:
            case ETIMEDOUT:
            case ELOOP:
            case ENAMETOOLONG: break;
            default: return errno;
            }
        }
        if (!colon)
            break;
        p = colon + 1;
    }
    return denied ? EACCES : ENOENT;
}

static void reset_signals(void)
{
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            sigaction(sig, &action, NULL); /* glibc's reserved 32 and 33 fail: fine */
}

static int setup_stdio(const struct bt_enter_process *p, struct bt_err *err)
{
    /* A session of its own, always: else the caller's terminal would be the command's
     * controlling terminal, which it could open as /dev/tty or push input into (TIOCSTI). */
    if (setsid() < 0)
        return bt_err_sys(err, errno, "setsid");
    if (p->terminal_fd >= 0) {
        if (ioctl(p->terminal_fd, TIOCSCTTY, 0) < 0)
            return bt_err_sys(err, errno, "make the terminal the controlling one");
        for (int fd = 0; fd < 3; fd++)
            if (dup2(p->terminal_fd, fd) < 0)
                return bt_err_sys(err, errno, "dup2 the terminal");
        if (p->terminal_fd > 2)
            close(p->terminal_fd);
    } else if (p->stdin_fd >= 0) {
        if (dup2(p->stdin_fd, STDIN_FILENO) < 0)
            return bt_err_sys(err, errno, "dup2 stdin");
        if (p->stdin_fd > 2)
            close(p->stdin_fd);
    }
    return 0;
}

static __attribute__((noreturn)) void child_main(const struct bt_enter_process *p, int report_fd)
{
    struct bt_err err = {0};
    reset_signals();
    if (setup_stdio(p, &err) < 0)
        child_fail(report_fd, 125, &err);
    /* Root can enter any directory; a user might not: try again after the switch. */
    bool in_cwd = chdir(p->cwd) == 0;
    int cwd_errno = errno;
    if (bt_procattr_set_rlimits(0, p->rlimits, p->rlimit_count, &err) < 0 ||
        (p->has_oom_score_adj && bt_procattr_set_oom_score_adj(0, p->oom_score_adj, &err) < 0) ||
        (p->has_umask && bt_procattr_set_umask(p->umask, &err) < 0))
        child_fail(report_fd, 125, &err);
    if (p->has_caps && p->user.uid != 0 && bt_caps_keep_across_setuid(&err) < 0)
        child_fail(report_fd, 125, &err);
    if (bt_procattr_set_user(&p->user, &err) < 0)
        child_fail(report_fd, 125, &err);
    if (!in_cwd && chdir(p->cwd) < 0) {
        bt_err_sys(&err, cwd_errno == EACCES ? errno : cwd_errno, "cwd %s", p->cwd);
        child_fail(report_fd, 125, &err);
    }
    if (p->has_caps && bt_caps_apply(&p->caps, &err) < 0)
        child_fail(report_fd, 125, &err);
    if (p->no_new_privs && bt_procattr_set_no_new_privs(&err) < 0)
        child_fail(report_fd, 125, &err);
    /* No host fd may reach the container (the CVE-2024-21626 class): refuse to exec if they
     * cannot all be marked. */
    if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
        bt_err_sys(&err, errno, "close_range(CLOSE_RANGE_CLOEXEC)");
        child_fail(report_fd, 125, &err);
    }
    bt_sig_setmask(0, NULL);
    bool searched;
    int saved = exec_search(p->argv, p->env, &searched);
    if (saved == ENOENT && searched)
        bt_err_msg(&err, ENOENT, "exec %s: executable file not found in $PATH", p->argv[0]);
    else
        bt_err_sys(&err, saved, "exec %s", p->argv[0]);
    child_fail(report_fd, saved == ENOENT || saved == ENOTDIR ? 127 : 126, &err);
}

/* ---- the parent ---- */

int bt_enter_spawn(const struct bt_enter_process *process, pid_t *child, int *exit_code,
                   struct bt_err *err)
{
    int report[2];
    *exit_code = 125;
    if (pipe2(report, O_CLOEXEC) < 0)
        return bt_err_sys(err, errno, "pipe");
    pid_t pid = fork();
    if (pid < 0) {
        int saved = errno;
        close(report[0]);
        close(report[1]);
        return bt_err_sys(err, saved, "fork");
    }
    if (pid == 0) {
        close(report[0]);
        child_main(process, report[1]);
    }
    close(report[1]);
    struct report message;
    ssize_t n;
    while ((n = read(report[0], &message, sizeof(message))) < 0 && errno == EINTR)
        ;
    close(report[0]);
    if (n == 0) {
        *child = pid; /* the pipe closed at the exec */
        return 0;
    }
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
    if (n != (ssize_t)sizeof(message))
        return bt_err_msg(err, EIO, "the child died before it could exec");
    message.err.msg[sizeof(message.err.msg) - 1] = '\0';
    *err = message.err;
    *exit_code = message.exit_code;
    return -message.err.code;
}
