/* The address allocator: one lease file per bridge (DIR/BRIDGE.leases), changed only under an
 * flock on DIR/BRIDGE.lock and replaced atomically, so concurrent starts never share an address
 * and a crash never loses a lease. libc only: the static bottle-shim links it. */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"

struct lease {
    uint32_t address; /* host order */
    char id[72];
};

struct leases {
    uint32_t next; /* where the next search starts (host order), 0: at the start */
    struct lease *items;
    size_t len, cap;
};

static void leases_free(struct leases *l)
{
    free(l->items);
    l->items = NULL;
    l->len = l->cap = 0;
}

static int lock_bridge(const char *dir, const char *bridge, struct bt_err *err)
{
    char path[PATH_MAX];
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        return bt_err_sys(err, errno, "create %s", dir);
    snprintf(path, sizeof(path), "%s/%s.lock", dir, bridge);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return bt_err_sys(err, errno, "open %s", path);
    while (flock(fd, LOCK_EX) < 0) {
        if (errno != EINTR) {
            int saved = errno;
            close(fd);
            return bt_err_sys(err, saved, "lock %s", path);
        }
    }
    return fd;
}

static int leases_add(struct leases *l, uint32_t address, const char *id)
{
    if (l->len == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        struct lease *items = realloc(l->items, cap * sizeof(*items));
        if (!items)
            return -ENOMEM;
        l->items = items;
        l->cap = cap;
    }
    l->items[l->len].address = address;
    snprintf(l->items[l->len].id, sizeof(l->items[l->len].id), "%s", id);
    l->len++;
    return 0;
}

static int leases_read(const char *dir, const char *bridge, struct leases *l, struct bt_err *err)
{
    char path[PATH_MAX], line[256];
    memset(l, 0, sizeof(*l));
    snprintf(path, sizeof(path), "%s/%s.leases", dir, bridge);
    cleanup_fclose FILE *f = fopen(path, "re");
    if (!f)
        return errno == ENOENT ? 0 : bt_err_sys(err, errno, "open %s", path);
    while (fgets(line, sizeof(line), f)) {
        char address[32], id[72];
        struct in_addr in;
        if (sscanf(line, "%31s %71s", address, id) != 2 || inet_pton(AF_INET, address, &in) != 1)
            continue;
        if (strcmp(id, "-next") == 0)
            l->next = ntohl(in.s_addr);
        else if (leases_add(l, ntohl(in.s_addr), id) < 0)
            return bt_err_sys(err, ENOMEM, "leases");
    }
    return 0;
}

static int leases_write(const char *dir, const char *bridge, const struct leases *l,
                        struct bt_err *err)
{
    char path[PATH_MAX], tmp[PATH_MAX + 8], address[INET_ADDRSTRLEN];
    snprintf(path, sizeof(path), "%s/%s.leases", dir, bridge);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    cleanup_fclose FILE *f = fopen(tmp, "we");
    if (!f)
        return bt_err_sys(err, errno, "create %s", tmp);
    struct in_addr in = {htonl(l->next)};
    fprintf(f, "%s -next\n", inet_ntop(AF_INET, &in, address, sizeof(address)));
    for (size_t i = 0; i < l->len; i++) {
        in.s_addr = htonl(l->items[i].address);
        fprintf(f, "%s %s\n", inet_ntop(AF_INET, &in, address, sizeof(address)), l->items[i].id);
    }
    if (fflush(f) != 0 || fsync(fileno(f)) < 0 || rename(tmp, path) < 0) {
        int saved = errno;
        unlink(tmp);
        return bt_err_sys(err, saved, "write %s", path);
    }
    return 0;
}

static bool leased(const struct leases *l, uint32_t address)
{
    for (size_t i = 0; i < l->len; i++)
        if (l->items[i].address == address)
            return true;
    return false;
}

int bt_net_ipam_alloc(const char *dir, const struct bt_net_config *config, const char *id,
                      struct in_addr *address, struct bt_err *err)
{
    cleanup_close int lock = lock_bridge(dir, config->bridge, err);
    if (lock < 0)
        return lock;
    struct leases l;
    int ret = leases_read(dir, config->bridge, &l, err);
    if (ret < 0)
        goto out;
    /* The same container name again (a restart whose old lease was not freed yet): its own
     * address back, never a second one. */
    for (size_t i = 0; i < l.len; i++)
        if (strcmp(l.items[i].id, id) == 0) {
            address->s_addr = htonl(l.items[i].address);
            goto out;
        }
    uint32_t network = ntohl(config->subnet.s_addr);
    uint32_t size = 1U << (32 - config->prefix);
    uint32_t first = network + 2, last = network + size - 2; /* .1 is the gateway */
    uint32_t start = l.next >= first && l.next <= last ? l.next : first;
    uint32_t candidate = start;
    /* A linear scan with a linear lookup: quadratic in the leases, which is fine for the few
     * hundred containers one host runs. */
    do {
        if (!leased(&l, candidate))
            break;
        candidate = candidate == last ? first : candidate + 1;
    } while (candidate != start);
    if (leased(&l, candidate)) {
        ret = bt_err_msg(err, EADDRNOTAVAIL, "bridge %s: no free address left in its subnet",
                         config->bridge);
        goto out;
    }
    if (leases_add(&l, candidate, id) < 0) {
        ret = bt_err_sys(err, ENOMEM, "leases");
        goto out;
    }
    l.next = candidate == last ? first : candidate + 1;
    ret = leases_write(dir, config->bridge, &l, err);
    if (ret == 0)
        address->s_addr = htonl(candidate);
out:
    leases_free(&l);
    return ret;
}

int bt_net_ipam_release(const char *dir, const char *bridge, const char *id, size_t *left,
                        struct bt_err *err)
{
    cleanup_close int lock = lock_bridge(dir, bridge, err);
    if (lock < 0)
        return lock;
    struct leases l;
    int ret = leases_read(dir, bridge, &l, err);
    size_t kept = 0;
    bool found = false;
    for (size_t i = 0; ret == 0 && i < l.len; i++) {
        if (strcmp(l.items[i].id, id) == 0)
            found = true;
        else
            l.items[kept++] = l.items[i];
    }
    l.len = kept;
    if (ret == 0 && found)
        ret = leases_write(dir, bridge, &l, err);
    if (left)
        *left = l.len;
    leases_free(&l);
    return ret;
}

int bt_net_ipam_locked(const char *dir, const char *bridge, int (*fn)(void *arg), void *arg,
                       struct bt_err *err)
{
    cleanup_close int lock = lock_bridge(dir, bridge, err);
    if (lock < 0)
        return lock;
    return fn(arg);
}

int bt_net_ipam_count(const char *dir, const char *bridge, size_t *count, struct bt_err *err)
{
    struct leases l;
    int ret = leases_read(dir, bridge, &l, err);
    *count = l.len;
    leases_free(&l);
    return ret;
}

int bt_net_ipam_list(const char *dir, const char *bridge, char **text, struct bt_err *err)
{
    struct leases l;
    int ret = leases_read(dir, bridge, &l, err);
    if (ret < 0)
        return ret;
    size_t cap = l.len * 96 + 1, n = 0;
    char *out = malloc(cap);
    if (!out) {
        leases_free(&l);
        return bt_err_sys(err, ENOMEM, "leases");
    }
    out[0] = '\0';
    for (size_t i = 0; i < l.len; i++) {
        char address[INET_ADDRSTRLEN];
        struct in_addr in = {htonl(l.items[i].address)};
        n += (size_t)snprintf(out + n, cap - n, "%s %s\n",
                              inet_ntop(AF_INET, &in, address, sizeof(address)), l.items[i].id);
    }
    leases_free(&l);
    *text = out;
    return 0;
}
