/* Entering a running container from the host, as `bottle exec` does: join the cgroups and the
 * namespaces of the container's init through its pidfd, then fork a child that takes the
 * container's process attributes (user, capabilities, rlimits, no_new_privs, cwd, env) and
 * execs. It must never hand the container a way back to the host: the caller turns itself
 * non-dumpable before it joins anything (so no container process can ptrace it or open
 * /proc/PID/exe to reach the host's bottle binary, the CVE-2019-5736 class), and no fd above 2
 * nor a host cwd survives the exec (the CVE-2024-21626 class).
 *
 * The order, for a single-threaded caller:
 *
 *     pidfd = bt_enter_open(pid, &err);      then check that PID is the container's init
 *     bt_enter_join(pid, pidfd, &err);        non-dumpable, cgroups, setns
 *     ... (now inside: open the container's /dev/ptmx, resolve -u in its /etc/passwd)
 *     bt_enter_spawn(&process, &child, &code, &err);
 */
#ifndef BT_ENTER_H
#define BT_ENTER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "caps.h"
#include "err.h"
#include "procattr.h"

/* Opens a pidfd (CLOEXEC) for PID. Returns the fd, or -errno with ERR filled (-ESRCH: no
 * such process). A pidfd always names the process it was opened for: once the caller has
 * checked that PID was the container's init when the pidfd already existed, every later use
 * of the pidfd reaches that process or fails, even after the pid was recycled. */
int bt_enter_open(pid_t pid, struct bt_err *err);

/* True while the process behind PIDFD has not exited. */
bool bt_enter_alive(int pidfd);

/* Moves the caller into the container of PIDFD (whose pid, as the host sees it, is PID):
 *   1. prctl(PR_SET_DUMPABLE, 0): from here on no process of the container may ptrace the
 *      caller or open its /proc/PID/exe, fd or cwd links, and the children it forks inherit
 *      that until they exec;
 *   2. the init's cgroup in every hierarchy mounted here (v1 controllers, name=systemd, the
 *      unified one), read from /proc/PID/cgroup and written to cgroup.procs, while the caller
 *      still sees the host's cgroup file systems;
 *   3. one setns(PIDFD, ...) for every namespace of the init that differs from the caller's
 *      (user, mount, network, ipc, uts, pid, cgroup, time): the kernel joins them all at once,
 *      the user namespace first. Afterwards the caller's root and cwd are the container's
 *      root; the pid namespace applies to the children it forks from now on.
 * What is read from /proc/PID is trusted only when PIDFD is still alive after the reads, so a
 * recycled pid cannot send the caller into another process's cgroup. The caller must be
 * single-threaded. Returns 0 or -errno with ERR filled; after a failure the caller may be
 * half inside, and should exit. */
int bt_enter_join(pid_t pid, int pidfd, struct bt_err *err);

/* What the child becomes. Every pointer is borrowed until bt_enter_spawn returns. */
struct bt_enter_process {
    char *const *argv; /* argv[0] is searched in env's PATH unless it holds a '/' */
    char *const *env;  /* NAME=VALUE, NULL-terminated */
    const char *cwd;   /* absolute, inside the container */
    struct bt_user user;
    bool has_caps; /* false: the caller's capabilities stay as they are */
    struct bt_caps caps;
    struct bt_rlimit rlimits[RLIM_NLIMITS];
    size_t rlimit_count;
    bool no_new_privs;
    bool has_umask;
    mode_t umask;
    bool has_oom_score_adj;
    int oom_score_adj;
    int stdin_fd;    /* becomes fd 0 when >= 0 (e.g. /dev/null); else fd 0 is inherited */
    int terminal_fd; /* >= 0: a pty's slave end, the controlling terminal of the child's new
                        session and its fds 0, 1 and 2 (stdin_fd is then ignored) */
};

/* Forks; the child resets its signal dispositions and mask, starts a session of its own (so
 * that the caller's terminal is never its controlling terminal), sets up stdio, changes to cwd,
 * applies rlimits, oom_score_adj, umask, the user (groups, gid, uid), capabilities and
 * no_new_privs, marks every fd above 2 close-on-exec and execs. Returns 0 once the exec
 * happened, with the child's pid in *CHILD (the caller waits for it). When the child could not
 * get that far it has exited: it is reaped, ERR holds the reason and *EXIT_CODE the code to
 * exit with, 127 when the program was not found, 126 when it could not be executed and 125 for
 * any failure before the exec; the return value is then -errno. Nothing between the fork and
 * the exec allocates. */
int bt_enter_spawn(const struct bt_enter_process *process, pid_t *child, int *exit_code,
                   struct bt_err *err);

#endif
