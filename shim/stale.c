/* A container name whose state dir is already there: in use (a live shim, or an exit record
 * nobody removed yet), or the leftovers of a shim that crashed. Leftovers are cleaned here, on
 * the next start: the cgroup (killing what is still in it), the named netns, the container's
 * storage and the state dir. */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "leftovers.h"
#include "proc.h"
#include "rootfs.h"

/* True when PID is a live bottle-shim (not a recycled pid of something else). */
static bool shim_alive(pid_t pid)
{
    char path[64], exe[PATH_MAX];
    snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
    ssize_t n = readlink(path, exe, sizeof(exe) - 1);
    if (n <= 0)
        return false;
    exe[n] = '\0';
    const char *base = strrchr(exe, '/');
    return base && strncmp(base + 1, "bottle-shim", 11) == 0;
}

static void clean_leftovers(const struct shim_container *container)
{
    const struct shim_options *opt = container->options;
    char storage[PATH_MAX];
    struct bt_err err = {0};
    snprintf(storage, sizeof(storage), "%s/containers/%s", opt->root, opt->id);
    if (bt_leftovers_kill(container->state_dir, &err) < 0)
        bt_log_warn("%s", err.msg);
    if (bt_leftovers_remove_storage(storage, &err) < 0)
        bt_log_warn("leftover storage: %s", err.msg);
    if (bt_rootfs_remove_tree(container->state_dir, &err) < 0)
        bt_log_warn("leftover state: %s", err.msg);
}

int shim_stale_check(struct shim_container *container, struct bt_err *err)
{
    const char *dir = container->state_dir;
    const char *id = container->options->id;
    char value[64], pid_path[700], exit_path[700];
    if (access(dir, F_OK) < 0)
        return 0;
    snprintf(pid_path, sizeof(pid_path), "%s/shim.pid", dir);
    /* atoi stops at the record's newline. */
    if (bt_proc_read_file(pid_path, 0, value, sizeof(value)) >= 0 && shim_alive(atoi(value)))
        return bt_err_msg(err, EEXIST, "container %s already exists (running)", id);
    snprintf(exit_path, sizeof(exit_path), "%s/exit", dir);
    if (access(exit_path, F_OK) == 0)
        return bt_err_msg(err, EEXIST, "container %s already exists (exited; remove it first)", id);
    bt_log_warn("container %s: cleaning up after a shim that died", id);
    clean_leftovers(container);
    return 0;
}

void shim_stale_record(const struct shim_container *container, const char *name, const char *value)
{
    char path[700], tmp[720];
    snprintf(path, sizeof(path), "%s/%s", container->state_dir, name);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return;
    size_t len = strlen(value);
    if (write(fd, value, len) == (ssize_t)len && write(fd, "\n", 1) == 1)
        rename(tmp, path);
    else
        unlink(tmp);
    close(fd);
}
