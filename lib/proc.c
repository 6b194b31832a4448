/* Process helpers: see proc.h. */
#include "proc.h"

#include <dirent.h>
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

int bt_proc_close_from(int lowfd)
{
#ifdef SYS_close_range
    if (syscall(SYS_close_range, (unsigned)lowfd, ~0U, 0) == 0)
        return 0;
#endif
    DIR *dir = opendir("/proc/self/fd");
    if (!dir)
        return -errno;
    int self = dirfd(dir);
    /* Collect first: closing while reading the directory would skip entries. */
    int fds[256];
    size_t count;
    do {
        count = 0;
        rewinddir(dir);
        struct dirent *entry;
        while ((entry = readdir(dir)) && count < sizeof(fds) / sizeof(fds[0])) {
            int fd = atoi(entry->d_name);
            if (entry->d_name[0] != '.' && fd >= lowfd && fd != self)
                fds[count++] = fd;
        }
        for (size_t i = 0; i < count; i++)
            close(fds[i]);
    } while (count == sizeof(fds) / sizeof(fds[0]));
    closedir(dir);
    return 0;
}

int bt_proc_stat(pid_t pid, pid_t *ppid, char *state)
{
    char path[64], buf[512];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    int saved = errno;
    close(fd);
    if (n <= 0)
        return n < 0 ? -saved : -ESRCH;
    buf[n] = '\0';
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

int bt_proc_for_each_descendant(pid_t root, int (*fn)(pid_t pid, void *data), void *data)
{
    /* /proc lists pids in increasing order, but a child may have a lower pid than its parent
     * after pid wrap-around, so repeat the scan until it finds nothing new. */
    static pid_t found[DESCENDANTS_MAX];
    size_t count = 0;
    DIR *dir = opendir("/proc");
    if (!dir)
        return -errno;
    int ret = 0;
    bool grew = true;
    while (grew && ret == 0) {
        grew = false;
        rewinddir(dir);
        struct dirent *entry;
        while ((entry = readdir(dir)) && ret == 0) {
            char *end;
            long pid = strtol(entry->d_name, &end, 10);
            if (*end || pid <= 0 || pid == root)
                continue;
            bool known = false;
            for (size_t i = 0; i < count && !known; i++)
                known = found[i] == pid;
            if (known)
                continue;
            pid_t parent;
            if (bt_proc_stat((pid_t)pid, &parent, NULL) < 0)
                continue;
            bool ours = parent == root;
            for (size_t i = 0; i < count && !ours; i++)
                ours = found[i] == parent;
            if (!ours || count == DESCENDANTS_MAX)
                continue;
            found[count++] = (pid_t)pid;
            grew = true;
            ret = fn((pid_t)pid, data);
        }
    }
    closedir(dir);
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
