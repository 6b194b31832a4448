/* Capabilities through libcap-ng: see caps.h. bt_caps_apply and everything it calls run between
 * fork and exec, so nothing here allocates, and nothing here may call a libcap-ng function
 * that does (capng_get_caps_process, capng_apply with CAPNG_SELECT_BOUNDS, capng_print_*). */
#include "caps.h"

#include <cap-ng.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef PR_CAP_AMBIENT /* Linux 4.3 */
#define PR_CAP_AMBIENT        47
#define PR_CAP_AMBIENT_IS_SET 1
#endif

static int last_cap_cache = -1;

int bt_caps_last_cap(void)
{
    if (last_cap_cache >= 0)
        return last_cap_cache;
    /* PR_CAPBSET_READ fails with EINVAL past the last capability the kernel knows; unlike
     * /proc/sys/kernel/cap_last_cap it also works before /proc is mounted in the container. */
    int last = -1;
    for (int cap = 0; cap < 64; cap++) {
        if (prctl(PR_CAPBSET_READ, (unsigned long)cap, 0UL, 0UL, 0UL) < 0)
            break;
        last = cap;
    }
    if (last < 0) /* prctl itself refused (a seccomp filter): trust the headers */
        last = CAP_LAST_CAP;
    last_cap_cache = last;
    return last;
}

uint64_t bt_caps_known(void)
{
    int last = bt_caps_last_cap();
    return last >= 63 ? UINT64_MAX : BT_CAP(last + 1) - 1;
}

static uint64_t read_bounding(void)
{
    uint64_t set = 0;
    int last = bt_caps_last_cap();
    for (int cap = 0; cap <= last; cap++)
        if (prctl(PR_CAPBSET_READ, (unsigned long)cap, 0UL, 0UL, 0UL) == 1)
            set |= BT_CAP(cap);
    return set;
}

static uint64_t read_ambient(void)
{
    uint64_t set = 0;
    int last = bt_caps_last_cap();
    /* Before Linux 4.3 every call fails with EINVAL: the ambient set is then empty. */
    for (int cap = 0; cap <= last; cap++)
        if (prctl(PR_CAP_AMBIENT, (unsigned long)PR_CAP_AMBIENT_IS_SET, (unsigned long)cap, 0UL,
                  0UL) == 1)
            set |= BT_CAP(cap);
    return set;
}

uint64_t bt_caps_available(void)
{
    return read_bounding();
}

/* capget(2) with the v3 header: two 32-bit words per set. */
static int read_process_sets(uint64_t *effective, uint64_t *permitted, uint64_t *inheritable)
{
    struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof(data));
    if (syscall(SYS_capget, &header, data) < 0)
        return -errno;
    *effective = data[0].effective | (uint64_t)data[1].effective << 32;
    *permitted = data[0].permitted | (uint64_t)data[1].permitted << 32;
    *inheritable = data[0].inheritable | (uint64_t)data[1].inheritable << 32;
    return 0;
}

int bt_caps_get_current(struct bt_caps *caps, struct bt_err *err)
{
    int ret = read_process_sets(&caps->effective, &caps->permitted, &caps->inheritable);
    if (ret < 0)
        return bt_err_sys(err, -ret, "capget");
    caps->bounding = read_bounding();
    caps->ambient = read_ambient();
    return 0;
}

bool bt_caps_have_effective(unsigned cap)
{
    uint64_t effective, permitted, inheritable;
    return cap < 64 && read_process_sets(&effective, &permitted, &inheritable) == 0 &&
           (effective & BT_CAP(cap));
}

static char upper(char c)
{
    return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

const char *bt_caps_name(unsigned cap, char *buf, size_t len)
{
    /* libcap-ng names every capability up to the one its headers know and asprintf()s
     * "cap_N" for the others: ask it only about those our own headers know. */
    const char *name = cap <= CAP_LAST_CAP ? capng_capability_to_name(cap) : NULL;
    if (!len)
        return buf;
    if (!name) {
        snprintf(buf, len, "CAP_%u", cap);
        return buf;
    }
    size_t pos = 0;
    for (const char *s = "CAP_"; *s && pos + 1 < len; s++)
        buf[pos++] = *s;
    for (const char *s = name; *s && pos + 1 < len; s++)
        buf[pos++] = upper(*s);
    buf[pos] = '\0';
    return buf;
}

size_t bt_caps_format(uint64_t set, char *buf, size_t len)
{
    size_t pos = 0;
    char name[BT_CAPS_NAME_MAX];
    if (len)
        buf[0] = '\0';
    for (unsigned cap = 0; cap < 64; cap++) {
        if (!(set & BT_CAP(cap)))
            continue;
        bt_caps_name(cap, name, sizeof(name));
        for (const char *s = pos ? "," : ""; *s; s++, pos++)
            if (pos + 1 < len)
                buf[pos] = *s;
        for (const char *s = name; *s; s++, pos++)
            if (pos + 1 < len)
                buf[pos] = *s;
    }
    if (len)
        buf[pos < len ? pos : len - 1] = '\0';
    return pos;
}

static bool is_all(const char *name)
{
    return strcasecmp(name, "ALL") == 0;
}

int bt_caps_from_name(const char *name, struct bt_err *err)
{
    if (is_all(name))
        return bt_err_msg(err, EINVAL, "ALL is not a single capability");
    /* docker upper-cases the name and prefixes CAP_ when it is missing; libcap-ng's table
     * holds "net_admin" and compares without case. */
    const char *bare = strncasecmp(name, "CAP_", 4) == 0 ? name + 4 : name;
    int cap = *bare ? capng_name_to_capability(bare) : -1;
    if (cap >= 0 && cap < 64)
        return cap;
    char shown[64]; /* docker's spelling of the name, truncated */
    size_t pos = 0;
    for (const char *s = bare == name ? "CAP_" : ""; *s; s++)
        shown[pos++] = *s;
    for (const char *s = name; *s && pos + 1 < sizeof(shown); s++)
        shown[pos++] = upper(*s);
    shown[pos] = '\0';
    return bt_err_msg(err, EINVAL, "unknown capability: \"%s\"", shown);
}

/* Parses NAME and checks that the kernel has it. Returns the number or -EINVAL. */
static int known_cap(const char *name, struct bt_err *err)
{
    int cap = bt_caps_from_name(name, err);
    if (cap < 0)
        return cap;
    if (!(bt_caps_known() & BT_CAP(cap))) {
        char shown[BT_CAPS_NAME_MAX];
        return bt_err_msg(err, EINVAL, "capability not supported by your kernel: \"%s\"",
                          bt_caps_name((unsigned)cap, shown, sizeof(shown)));
    }
    return cap;
}

int bt_caps_parse_list(const char *const *names, size_t count, uint64_t *set, struct bt_err *err)
{
    uint64_t result = 0;
    for (size_t i = 0; i < count; i++) {
        if (is_all(names[i])) {
            result |= bt_caps_available();
            continue;
        }
        int cap = known_cap(names[i], err);
        if (cap < 0)
            return cap;
        result |= BT_CAP(cap);
    }
    *set = result;
    return 0;
}

int bt_caps_tweak(uint64_t base, const char *const *add, size_t add_count, const char *const *drop,
                  size_t drop_count, uint64_t *out, struct bt_err *err)
{
    uint64_t available = bt_caps_available();
    uint64_t added = 0, dropped = 0;
    bool add_all = false, drop_all = false;
    /* docker normalises the drops first, so a bad drop is the error it reports first. */
    for (size_t i = 0; i < drop_count; i++) {
        if (is_all(drop[i])) {
            drop_all = true;
            continue;
        }
        int cap = known_cap(drop[i], err);
        if (cap < 0)
            return cap;
        dropped |= BT_CAP(cap);
    }
    for (size_t i = 0; i < add_count; i++) {
        if (is_all(add[i])) {
            add_all = true;
            continue;
        }
        int cap = known_cap(add[i], err);
        if (cap < 0)
            return cap;
        if (!(available & BT_CAP(cap))) {
            char shown[BT_CAPS_NAME_MAX];
            return bt_err_msg(err, EPERM,
                              "capability not supported by your kernel or not available in the "
                              "current environment: \"%s\"",
                              bt_caps_name((unsigned)cap, shown, sizeof(shown)));
        }
        added |= BT_CAP(cap);
    }
    if (add_all)
        *out = available & ~dropped;
    else if (drop_all)
        *out = added;
    else
        *out = ((base & available) & ~dropped) | added;
    return 0;
}

void bt_caps_set_docker(struct bt_caps *caps, uint64_t set, uid_t uid)
{
    memset(caps, 0, sizeof(*caps));
    caps->bounding = set;
    if (uid == 0) {
        caps->effective = set;
        caps->permitted = set;
    }
}

int bt_caps_keep_across_setuid(struct bt_err *err)
{
    if (prctl(PR_SET_KEEPCAPS, 1UL, 0UL, 0UL, 0UL) < 0)
        return bt_err_sys(err, errno, "prctl(PR_SET_KEEPCAPS)");
    return 0;
}

static int lowest(uint64_t set)
{
    return __builtin_ctzll(set);
}

/* Loads the wanted sets into libcap-ng's thread-local state. capng_clear re-reads the capget
 * header version when the state is new (after fork its atfork handler resets it) and the pid is
 * forced to 0 ("the calling thread"): after a raw clone() the inherited state still names the
 * parent's thread, and capset() on another thread fails with EPERM. */
static int load_sets(uint64_t effective, uint64_t permitted, uint64_t inheritable, uint64_t ambient,
                     struct bt_err *err)
{
    capng_clear(CAPNG_SELECT_ALL);
    capng_setpid(0);
    for (unsigned cap = 0; cap < 64; cap++) {
        unsigned type = 0;
        if (effective & BT_CAP(cap))
            type |= CAPNG_EFFECTIVE;
        if (permitted & BT_CAP(cap))
            type |= CAPNG_PERMITTED;
        if (inheritable & BT_CAP(cap))
            type |= CAPNG_INHERITABLE;
        if (ambient & BT_CAP(cap))
            type |= CAPNG_AMBIENT;
        if (type && capng_update(CAPNG_ADD, (capng_type_t)type, cap) < 0) {
            char name[BT_CAPS_NAME_MAX];
            return bt_err_msg(err, EINVAL, "libcap-ng cannot handle %s (state not initialised?)",
                              bt_caps_name(cap, name, sizeof(name)));
        }
    }
    return 0;
}

/* Checks CAPS against itself, the kernel and what the process holds, before any change. */
static int check_sets(const struct bt_caps *caps, const struct bt_caps *current, struct bt_err *err)
{
    char name[BT_CAPS_NAME_MAX];
    uint64_t all =
        caps->bounding | caps->effective | caps->permitted | caps->inheritable | caps->ambient;
    uint64_t unknown = all & ~bt_caps_known();
    if (unknown)
        return bt_err_msg(err, EINVAL, "capability %d is not known to this kernel (the last is %d)",
                          lowest(unknown), bt_caps_last_cap());
    uint64_t bad = caps->effective & ~caps->permitted;
    if (bad)
        return bt_err_msg(err, EINVAL, "effective capability %s is not in the permitted set",
                          bt_caps_name((unsigned)lowest(bad), name, sizeof(name)));
    bad = caps->ambient & ~(caps->permitted & caps->inheritable);
    if (bad)
        return bt_err_msg(err, EINVAL,
                          "ambient capability %s must also be permitted and inheritable",
                          bt_caps_name((unsigned)lowest(bad), name, sizeof(name)));
    bad = caps->permitted & ~current->permitted;
    if (bad) {
        bool lost = current->permitted == 0 && geteuid() != 0;
        return bt_err_msg(err, EPERM, "cannot grant %s: this process does not hold it%s",
                          bt_caps_name((unsigned)lowest(bad), name, sizeof(name)),
                          lost ? " (its permitted set is empty: the uid change cleared it; call "
                                 "bt_caps_keep_across_setuid before it)"
                               : "");
    }
    /* capset(2) lets the inheritable set grow only within the old inheritable set plus the
     * bounding set, and, without CAP_SETPCAP, plus the permitted set. */
    uint64_t bounding_after = current->bounding & caps->bounding;
    bad = caps->inheritable & ~(current->inheritable | (current->permitted & bounding_after));
    if (bad)
        return bt_err_msg(err, EPERM,
                          "cannot make %s inheritable: it is neither permitted nor inheritable, or "
                          "not in the bounding set",
                          bt_caps_name((unsigned)lowest(bad), name, sizeof(name)));
    uint64_t to_drop = current->bounding & ~caps->bounding;
    if (to_drop && !(current->permitted & BT_CAP(CAP_SETPCAP)))
        return bt_err_msg(err, EPERM,
                          "cannot drop %s from the bounding set: CAP_SETPCAP is not permitted",
                          bt_caps_name((unsigned)lowest(to_drop), name, sizeof(name)));
    return 0;
}

static int drop_bounding(const struct bt_caps *caps, const struct bt_caps *current,
                         struct bt_err *err)
{
    uint64_t to_drop = current->bounding & ~caps->bounding;
    if (!to_drop)
        return 0;
    /* PR_CAPBSET_DROP needs CAP_SETPCAP in the effective set, which a uid change cleared:
     * raise it for the moment, and already narrow the permitted set to what stays. */
    uint64_t temporary = caps->permitted | BT_CAP(CAP_SETPCAP);
    int ret = load_sets(temporary, temporary, current->inheritable, 0, err);
    if (ret < 0)
        return ret;
    if (capng_apply(CAPNG_SELECT_CAPS) != 0)
        return bt_err_sys(err, errno ? errno : EPERM, "capset (raising CAP_SETPCAP)");
    char name[BT_CAPS_NAME_MAX];
    for (unsigned cap = 0; cap < 64; cap++) {
        if (!(to_drop & BT_CAP(cap)))
            continue;
        if (prctl(PR_CAPBSET_DROP, (unsigned long)cap, 0UL, 0UL, 0UL) < 0)
            return bt_err_sys(err, errno, "cannot drop %s from the bounding set",
                              bt_caps_name(cap, name, sizeof(name)));
    }
    return 0;
}

int bt_caps_apply(const struct bt_caps *caps, struct bt_err *err)
{
    struct bt_caps current;
    int ret = bt_caps_get_current(&current, err);
    if (ret < 0)
        return ret;
    ret = check_sets(caps, &current, err);
    if (ret < 0)
        return ret;
    ret = drop_bounding(caps, &current, err);
    if (ret < 0)
        return ret;

    ret = load_sets(caps->effective, caps->permitted, caps->inheritable, caps->ambient, err);
    if (ret < 0)
        return ret;
    errno = 0;
    int applied = capng_apply(CAPNG_SELECT_CAPS | CAPNG_SELECT_AMBIENT);
    int saved = errno ? errno : EPERM;
    if (applied != 0) {
        /* libcap-ng's return codes differ between versions: look at what did not stick. */
        char name[BT_CAPS_NAME_MAX];
        struct bt_caps now;
        if (bt_caps_get_current(&now, NULL) == 0 && now.effective == caps->effective &&
            now.permitted == caps->permitted && now.inheritable == caps->inheritable) {
            uint64_t missing = caps->ambient & ~now.ambient;
            if (missing)
                return bt_err_sys(err, saved, "cannot raise ambient capability %s",
                                  bt_caps_name((unsigned)lowest(missing), name, sizeof(name)));
            return bt_err_sys(err, saved, "cannot clear the ambient set");
        }
        return bt_err_sys(err, saved, "capset (effective, permitted, inheritable)");
    }
    if (prctl(PR_SET_KEEPCAPS, 0UL, 0UL, 0UL, 0UL) < 0)
        return bt_err_sys(err, errno, "prctl(PR_SET_KEEPCAPS, 0)");
    return 0;
}
