/* Process attributes the shim sets on the container's init before exec: rlimits,
 * oom_score_adj, no_new_privs, umask, and the user (supplementary groups, gid, uid), plus the
 * lookup of "name[:group]" in the container's own /etc/passwd and /etc/group. Everything here
 * may run between fork and exec: nothing allocates, and the lookup reads with a stack buffer.
 * The lookup must never read the host's files: it resolves paths inside the rootfs only. */
#ifndef BT_PROCATTR_H
#define BT_PROCATTR_H

#include "err.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/types.h>

/* ---- rlimits ---- */

/* One limit; RLIM_INFINITY is "unlimited". */
struct bt_rlimit {
    int resource; /* RLIMIT_NOFILE, ... */
    rlim_t soft;
    rlim_t hard;
};

/* Parses "RLIMIT_NOFILE", "rlimit_nofile", "NOFILE" or "nofile" (docker's --ulimit names).
 * Returns the resource or -EINVAL with the reason in ERR. */
int bt_procattr_rlimit_from_name(const char *name, struct bt_err *err);

/* "RLIMIT_NOFILE" for RLIMIT_NOFILE (OCI's spelling); NULL for an unknown resource. */
const char *bt_procattr_rlimit_name(int resource);

/* Parses docker's --ulimit value "nofile=1024[:4096]"; a value is a number, "unlimited" or -1;
 * a missing hard limit equals the soft one. Returns 0 or -EINVAL. */
int bt_procattr_parse_ulimit(const char *arg, struct bt_rlimit *limit, struct bt_err *err);

/* Sets COUNT limits on PID (0: the caller) with prlimit(2), in order, stopping at the first
 * failure. Lowering always works; raising a hard limit needs CAP_SYS_RESOURCE in the initial
 * user namespace, and its failure reads e.g. "cannot raise RLIMIT_NOFILE hard limit to
 * 1048576 (current 524288): Operation not permitted (CAP_SYS_RESOURCE missing)". Returns 0 or
 * -errno. */
int bt_procattr_set_rlimits(pid_t pid, const struct bt_rlimit *limits, size_t count,
                            struct bt_err *err);

/* ---- oom_score_adj, no_new_privs, umask ---- */

/* Writes VALUE (-1000..1000) to /proc/PID/oom_score_adj (PID 0: the caller). Going below the
 * lowest value a privileged writer set (0 unless someone set less) needs CAP_SYS_RESOURCE; the
 * failure names it. Returns 0 or -errno. */
int bt_procattr_set_oom_score_adj(pid_t pid, int value, struct bt_err *err);

/* Reads /proc/PID/oom_score_adj (PID 0: the caller) into *VALUE. Returns 0 or -errno. */
int bt_procattr_get_oom_score_adj(pid_t pid, int *value);

/* prctl(PR_SET_NO_NEW_PRIVS): execve can never grant privileges again (setuid bits and file
 * capabilities are ignored). Irreversible and inherited. Returns 0 or -errno. */
int bt_procattr_set_no_new_privs(struct bt_err *err);

/* umask(MASK) after checking that MASK is within 0777. Returns 0 or -EINVAL. */
int bt_procattr_set_umask(mode_t mask, struct bt_err *err);

/* ---- user ---- */

/* OCI's process.user takes numbers; bt_procattr_resolve_user finds them for `bottle run -u`. */
#define BT_USER_GROUPS_MAX 256

struct bt_user {
    uid_t uid;
    gid_t gid;
    size_t group_count; /* additional gids, set with setgroups(2) */
    gid_t groups[BT_USER_GROUPS_MAX];
};

/* setgroups(additional gids), setresgid(gid), setresuid(uid), in that order (each needs the
 * privilege the next one drops). setgroups with no groups is skipped when the user namespace
 * denies it (/proc/self/setgroups is "deny"). Without bt_caps_keep_across_setuid before it, a
 * change from root to another uid empties the permitted set. Returns 0 or -errno. */
int bt_procattr_set_user(const struct bt_user *user, struct bt_err *err);

/* Resolves docker's -u SPEC ("name", "uid", "name:group", "uid:gid", any mix; "" is root)
 * against ROOTFD's etc/passwd and etc/group, the way runc's GetExecUser does: a name must exist;
 * a number need not (its gid is then 0); a user found without an explicit group gets its
 * passwd gid and, as additional groups, every group that lists its name. The files are opened
 * with openat2(RESOLVE_IN_ROOT), so a symlink such as etc/passwd -> /etc/passwd resolves inside
 * ROOTFD, never to the host's file; without openat2 (Linux < 5.6) symlinks are refused. A
 * missing file counts as empty; anything but a regular file (a FIFO would block) is refused.
 * Reads with a 64 KiB buffer on the stack (longer lines fail with -EFBIG): mind a small clone()
 * stack. Returns 0 or -errno (-ENOENT for an unknown name). */
int bt_procattr_resolve_user(int rootfd, const char *spec, struct bt_user *user,
                             struct bt_err *err);

#endif
