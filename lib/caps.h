/* Linux capabilities for the container's init: names in the forms docker accepts, docker's
 * default set and its --cap-add/--cap-drop rules, and the last step before exec that sets the
 * five sets of the calling process. bt_caps_apply runs between fork and exec: it must never
 * allocate.
 *
 * Why libcap-ng rather than raw capset(2): it owns the capability-name table (kept in step
 * with new kernels by its maintainers, so that "CAP_CHECKPOINT_RESTORE" parses without us
 * keeping a copy), it negotiates the capget/capset header version (v1's one 32-bit word vs
 * v3's two) and it raises the ambient set in the order the kernel demands, after permitted and
 * inheritable are in place. We go around it where it would allocate after fork:
 * capng_apply(CAPNG_SELECT_BOUNDS) and capng_get_caps_process() fopen() /proc/TID/status, so
 * the bounding set is dropped with prctl(PR_CAPBSET_DROP) (which also lets the error name the
 * capability) and read with PR_CAPBSET_READ, and the current sets are read with capget(2).
 *
 * The order before exec, as runc and crun do it:
 *
 *     bt_caps_keep_across_setuid(&err);   only when the user is not root
 *     bt_procattr_set_user(&user, &err);  setgroups, setresgid, setresuid
 *     bt_caps_apply(&caps, &err);         bounding, effective/permitted/inheritable, ambient
 *     bt_procattr_set_no_new_privs(&err);
 *     execve(...);
 */
#ifndef BT_CAPS_H
#define BT_CAPS_H

#include "err.h"

#include <linux/capability.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Bit N of a set stands for capability N (CAP_CHOWN is 0). */
#define BT_CAP(cap) (UINT64_C(1) << (cap))

/* Room for "CAP_" and the longest name ("CAP_CHECKPOINT_RESTORE" is 22 bytes). */
#define BT_CAPS_NAME_MAX 48

/* The five sets of a process, as in OCI's process.capabilities. */
struct bt_caps {
    uint64_t bounding;
    uint64_t effective;
    uint64_t permitted;
    uint64_t inheritable;
    uint64_t ambient;
};

/* Docker's default set: CHOWN, DAC_OVERRIDE, FSETID, FOWNER, MKNOD, NET_RAW, SETGID, SETUID,
 * SETFCAP, SETPCAP, NET_BIND_SERVICE, SYS_CHROOT, KILL, AUDIT_WRITE. */
#define BT_CAPS_DOCKER_DEFAULT                                                                     \
    (BT_CAP(CAP_CHOWN) | BT_CAP(CAP_DAC_OVERRIDE) | BT_CAP(CAP_FSETID) | BT_CAP(CAP_FOWNER) |      \
     BT_CAP(CAP_MKNOD) | BT_CAP(CAP_NET_RAW) | BT_CAP(CAP_SETGID) | BT_CAP(CAP_SETUID) |           \
     BT_CAP(CAP_SETFCAP) | BT_CAP(CAP_SETPCAP) | BT_CAP(CAP_NET_BIND_SERVICE) |                    \
     BT_CAP(CAP_SYS_CHROOT) | BT_CAP(CAP_KILL) | BT_CAP(CAP_AUDIT_WRITE))

/* The highest capability number the running kernel knows (40 on 6.x), found with
 * PR_CAPBSET_READ so that it works without /proc; cached. Never allocates. */
int bt_caps_last_cap(void);

/* Every capability the running kernel knows. */
uint64_t bt_caps_known(void);

/* What "ALL" means, as in docker: every known capability that is still in the caller's
 * bounding set (root here lacks CAP_SYS_RESOURCE, so ALL lacks it too). Never allocates. */
uint64_t bt_caps_available(void);

/* Parses one name in any form docker accepts: "CAP_NET_ADMIN", "NET_ADMIN", "net_admin",
 * "cap_net_admin" (case does not matter). "ALL" is not a capability here: the list functions
 * below handle it. Returns the capability number, or -EINVAL with 'unknown capability:
 * "CAP_BOGUS"' in ERR (docker's wording). Never allocates. */
int bt_caps_from_name(const char *name, struct bt_err *err);

/* Writes "CAP_NET_ADMIN" (docker's and OCI's spelling) for CAP into BUF, or "CAP_41" for a
 * capability newer than our headers. Returns BUF. Never allocates (libcap-ng asprintf()s names
 * only for numbers missing from its table, and is asked only about those our headers know). */
const char *bt_caps_name(unsigned cap, char *buf, size_t len);

/* Writes SET as "CAP_CHOWN,CAP_KILL" (ascending numbers; "" for the empty set) into BUF,
 * truncated to LEN. Returns the length it would have had, as snprintf. Never allocates. */
size_t bt_caps_format(uint64_t set, char *buf, size_t len);

/* Parses an OCI or CLI list of names into *SET. "ALL" means bt_caps_available(). Fails with
 * -EINVAL on the first unknown name, and on a known name the kernel does not have. */
int bt_caps_parse_list(const char *const *names, size_t count, uint64_t *set, struct bt_err *err);

/* docker's TweakCapabilities: --cap-add ALL gives every available capability but the dropped
 * ones; otherwise --cap-drop ALL starts from nothing, and then ADD is added; otherwise BASE
 * minus DROP plus ADD. BASE is cut down to what is available (as runc ignores capabilities it
 * cannot grant). Adding a capability that is not available fails with docker's message;
 * dropping one is a no-op (docker refuses it too, but a drop can never grant anything). */
int bt_caps_tweak(uint64_t base, const char *const *add, size_t add_count, const char *const *drop,
                  size_t drop_count, uint64_t *out, struct bt_err *err);

/* Fills CAPS the way docker fills the OCI spec for SET: a root user gets SET as bounding,
 * effective and permitted; any other user gets it as bounding only, "to match what execve
 * does" (moby's SetCapabilities). Inheritable and ambient stay empty (CVE-2022-24769). */
void bt_caps_set_docker(struct bt_caps *caps, uint64_t set, uid_t uid);

/* Reads the calling thread's five sets (capget, PR_CAPBSET_READ, PR_CAP_AMBIENT_IS_SET).
 * Returns 0 or -errno. Never allocates. */
int bt_caps_get_current(struct bt_caps *caps, struct bt_err *err);

/* True when CAP is in the calling thread's effective set. Never allocates. */
bool bt_caps_have_effective(unsigned cap);

/* PR_SET_KEEPCAPS: the permitted set survives the next setresuid() from root to a non-root
 * uid (the effective and ambient sets do not: the kernel clears them), so that bt_caps_apply
 * can still grant capabilities afterwards. This is capng_change_id()'s first step. Call it
 * before the uid change; bt_caps_apply clears the flag again, and execve clears it anyway.
 * Returns 0 or -errno. Async-signal-safe. */
int bt_caps_keep_across_setuid(struct bt_err *err);

/* Makes the calling thread's capabilities exactly CAPS, right before exec and after the uid
 * change:
 *   1. checks CAPS (effective within permitted, ambient within permitted and inheritable,
 *      nothing the kernel does not know, nothing the process does not hold) and fails with one
 *      line that names the capability before it changes anything;
 *   2. when the bounding set has to shrink, raises CAP_SETPCAP in the effective set for a
 *      moment (it is still permitted after a uid change made under bt_caps_keep_across_setuid)
 *      and drops every unwanted entry with PR_CAPBSET_DROP;
 *   3. sets effective, permitted and inheritable, then clears the ambient set and raises the
 *      wanted entries (capng_apply(CAPNG_SELECT_CAPS | CAPNG_SELECT_AMBIENT));
 *   4. clears PR_SET_KEEPCAPS.
 * Returns 0 or -errno, with the reason in ERR. Never allocates and takes no lock (libcap-ng's
 * state is thread-local and is reset here), so it is safe between fork or clone and exec. */
int bt_caps_apply(const struct bt_caps *caps, struct bt_err *err);

#endif
