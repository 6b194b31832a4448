/* Process helpers: see proc.h. */
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int bt_proc_exit_code(int wait_status)
{
    if (WIFEXITED(wait_status))
        return WEXITSTATUS(wait_status);
    if (WIFSIGNALED(wait_status))
        return (128 + WTERMSIG(wait_status)) % 256;
    return 255;
}

int bt_proc_set_subreaper(void)
{
    return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0 ? -errno : 0;
}

bool bt_proc_is_subreaper(void)
{
    int value = 0;
    return prctl(PR_GET_CHILD_SUBREAPER, &value, 0, 0, 0) == 0 && value != 0;
}

/* Reads the directory DIRFD with getdents64 into a stack buffer and calls FN for each numeric
 * entry. No heap: usable in PID 1 and after fork. Returns 0, FN's value or -errno. */
struct linux_dirent64 {
    unsigned long long d_ino;
    long long d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

static int for_each_number(int dir_fd, int (*fn)(long number, void *data), void *data)
{
    char buf[4096] __attribute__((aligned(8)));
    for (;;) {
        long n = syscall(SYS_getdents64, dir_fd, buf, sizeof(buf));
        if (n < 0)
            return -errno;
        if (n == 0)
            return 0;
        for (long pos = 0; pos < n;) {
            struct linux_dirent64 *entry = (struct linux_dirent64 *)(buf + pos);
            pos += entry->d_reclen;
            char *end;
            long number = strtol(entry->d_name, &end, 10);
            if (entry->d_name[0] < '0' || entry->d_name[0] > '9' || *end)
                continue;
            int ret = fn(number, data);
            if (ret)
                return ret;
        }
    }
}

struct close_ctx {
    int lowfd, self;
    bool closed_any;
};

static int close_one(long fd, void *data)
{
    struct close_ctx *ctx = data;
    if (fd >= ctx->lowfd && fd != ctx->self) {
        close((int)fd);
        ctx->closed_any = true;
    }
    return 0;
}

int bt_proc_close_from(int lowfd)
{
#ifdef SYS_close_range
    if (syscall(SYS_close_range, (unsigned)lowfd, ~0U, 0) == 0)
        return 0;
#endif
    int dir_fd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0)
        return -errno;
    /* Closing while reading the directory may skip entries: read again until a pass closes
     * nothing. */
    struct close_ctx ctx = {.lowfd = lowfd, .self = dir_fd, .closed_any = true};
    int ret = 0;
    while (ctx.closed_any && ret == 0) {
        ctx.closed_any = false;
        lseek(dir_fd, 0, SEEK_SET);
        ret = for_each_number(dir_fd, close_one, &ctx);
    }
    close(dir_fd);
    return ret;
}

void bt_proc_close_range(int first, int last)
{
#ifdef SYS_close_range
    if (syscall(SYS_close_range, (unsigned)first, (unsigned)last, 0) == 0)
        return;
#endif
    for (int fd = first; fd <= last; fd++)
        close(fd);
}

int bt_proc_read_file(const char *path, int flags, char *buf, size_t len)
{
    buf[0] = '\0';
    int fd = open(path, O_RDONLY | O_CLOEXEC | flags);
    if (fd < 0)
        return -errno;
    ssize_t n = read(fd, buf, len - 1);
    int saved = errno;
    close(fd);
    if (n < 0)
        return -saved;
    buf[n] = '\0';
    return (int)n;
}

int bt_proc_stat(pid_t pid, pid_t *ppid, char *state)
{
    char path[64], buf[512];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    int n = bt_proc_read_file(path, 0, buf, sizeof(buf));
    if (n <= 0)
        return n < 0 ? n : -ESRCH;
    /* The command name may hold spaces and parentheses: the state follows the last ')'. */
    char *p = strrchr(buf, ')');
    if (!p || p[1] != ' ')
        return -EINVAL;
    char st = p[2];
    long parent = strtol(p + 4, NULL, 10);
    if (state)
        *state = st;
    if (ppid)
        *ppid = (pid_t)parent;
    return 0;
}

#define DESCENDANTS_MAX 4096

struct descendant_ctx {
    pid_t root;
    pid_t found[DESCENDANTS_MAX];
    size_t count;
    bool grew;
    int (*fn)(pid_t pid, void *data);
    void *data;
};

static bool is_found(const struct descendant_ctx *ctx, pid_t pid)
{
    for (size_t i = 0; i < ctx->count; i++)
        if (ctx->found[i] == pid)
            return true;
    return false;
}

static int visit_pid(long number, void *data)
{
    struct descendant_ctx *ctx = data;
    pid_t pid = (pid_t)number, parent;
    if (pid == ctx->root || is_found(ctx, pid) || ctx->count == DESCENDANTS_MAX)
        return 0;
    if (bt_proc_stat(pid, &parent, NULL) < 0)
        return 0;
    if (parent != ctx->root && !is_found(ctx, parent))
        return 0;
    ctx->found[ctx->count++] = pid;
    ctx->grew = true;
    return ctx->fn(pid, ctx->data);
}

int bt_proc_for_each_descendant(pid_t root, int (*fn)(pid_t pid, void *data), void *data)
{
    /* /proc lists pids in increasing order, but a child may have a lower pid than its parent
     * after pid wrap-around, so repeat the scan until it finds nothing new. Static, not on the
     * stack: PID 1's stack stays small. */
    static struct descendant_ctx ctx;
    ctx.root = root;
    ctx.count = 0;
    ctx.fn = fn;
    ctx.data = data;
    int dir_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0)
        return -errno;
    int ret = 0;
    ctx.grew = true;
    while (ctx.grew && ret == 0) {
        ctx.grew = false;
        lseek(dir_fd, 0, SEEK_SET);
        ret = for_each_number(dir_fd, visit_pid, &ctx);
    }
    close(dir_fd);
    return ret;
}

size_t bt_proc_format_pid(char *buf, size_t len, long v)
{
    char digits[24];
    size_t n = 0, pos = 0;
    unsigned long u = v < 0 ? (unsigned long)-v : (unsigned long)v;
    do {
        digits[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0 && pos + 1 < len)
        buf[pos++] = '-';
    while (n > 0 && pos + 1 < len)
        buf[pos++] = digits[--n];
    if (len)
        buf[pos] = '\0';
    return pos;
}
