/* bottle rm: removes a container that has exited (its state dir and its logs). A running one
 * only with -f: SIGKILL to all of its processes through the shim, then a bounded wait for the
 * shim to record the exit, remove the cgroup and go. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "leftovers.h"
#include "rootfs.h"

/* The shim waits up to 5 s for the cgroup to empty before it gives up on it. */
#define STOP_TIMEOUT_MS 15000

static bool shim_alive(pid_t pid)
{
    char path[64], comm[32] = "";
    if (pid <= 0 || kill(pid, 0) < 0)
        return false;
    snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return false;
    bool alive = fgets(comm, sizeof(comm), f) && strncmp(comm, "bottle-shim", 11) == 0;
    fclose(f);
    return alive;
}

/* SIGKILL to every process of C, then waits until its shim has exited. */
static int stop(struct cli_container *c, struct bt_err *err)
{
    /* The pidfd first, then the shim's own word that it has this pid: a recycled shim.pid
     * cannot make us wait for another process. */
    pid_t shim_pid = c->shim_pid;
    cleanup_close int shim_fd = shim_pid > 0 ? (int)syscall(SYS_pidfd_open, shim_pid, 0) : -1;
    struct bt_rpc_client client;
    int ret = cli_container_connect(c, &client, err);
    if (ret == -ESRCH) {
        /* It exited meanwhile; the shim may still be removing its cgroup. */
        if (shim_fd < 0 || !shim_alive(shim_pid))
            return 0;
    } else if (ret < 0) {
        return ret;
    } else {
        ret = cli_shim_state(&client, c, err);
        if (ret == 0 || ret == -ESRCH) {
            json_object *params = json_object_new_object();
            json_object_object_add(params, "signal", json_object_new_int(SIGKILL));
            json_object_object_add(params, "all", json_object_new_boolean(true));
            struct bt_rpc_message reply;
            struct bt_err kill_err = {0};
            /* "not running" is fine: it is exiting anyway. */
            bt_rpc_call(&client, "kill", params, CLI_SHIM_TIMEOUT_MS, &reply, &kill_err);
            bt_rpc_message_clear(&reply);
            ret = 0;
        }
        bt_rpc_client_close(&client);
        if (ret < 0)
            return ret;
        if (shim_fd < 0 || c->shim_pid != shim_pid)
            return bt_err_msg(err, ESRCH, "container %s: cannot watch its shim (pid %d)", c->name,
                              (int)c->shim_pid);
    }
    struct pollfd pfd = {.fd = shim_fd, .events = POLLIN};
    int n;
    while ((n = poll(&pfd, 1, STOP_TIMEOUT_MS)) < 0 && errno == EINTR)
        ;
    if (n == 0)
        return bt_err_msg(err, ETIMEDOUT, "container %s did not stop within %d s", c->name,
                          STOP_TIMEOUT_MS / 1000);
    return 0;
}

static int remove_container(const struct cli_globals *globals, const char *name, bool force,
                            struct bt_err *err)
{
    struct cli_container c;
    int ret = cli_container_find(globals, name, &c, err);
    if (ret == 0)
        ret = cli_container_status(&c, err);
    if (ret < 0)
        return ret;
    if (c.status == CLI_STATUS_CREATED && !shim_alive(c.shim_pid))
        c.status = CLI_STATUS_LOST; /* its shim died while it set it up */
    if (c.status == CLI_STATUS_CREATED)
        return bt_err_msg(err, EBUSY, "container %s is still being created", name);
    if (c.status == CLI_STATUS_RUNNING) {
        if (!force)
            return bt_err_msg(
                err, EBUSY, "container %s is running: stop it first, or use 'bottle rm -f'", name);
        ret = stop(&c, err);
        if (ret < 0)
            return ret;
    }
    /* A dead shim leaves its container behind: it is killed through its cgroup. */
    if (c.status == CLI_STATUS_LOST && (ret = bt_leftovers_kill(c.state_dir, err)) < 0)
        return ret;
    char bundle[PATH_MAX];
    snprintf(bundle, sizeof(bundle), "%s/bundles/%s", globals->state, name);
    if ((ret = bt_leftovers_remove_storage(c.log_dir, err)) < 0 ||
        (ret = bt_rootfs_remove_tree(bundle, err)) < 0)
        return ret;
    return bt_rootfs_remove_tree(c.state_dir, err);
}

int cli_cmd_rm(const struct cli_globals *globals, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"force", no_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    bool force = false;
    int opt;
    while ((opt = getopt_long(argc, argv, "+fh", longopts, NULL)) != -1) {
        switch (opt) {
        case 'f': force = true; break;
        case 'h':
            puts("Usage: bottle rm [-f] NAME...   remove containers (-f: running ones too, "
                 "killing them)");
            return 0;
        default: return 125;
        }
    }
    if (optind >= argc)
        cli_die("rm: a container name is needed (see 'bottle rm -h')");
    int status = 0;
    for (int i = optind; i < argc; i++) {
        struct bt_err err = {0};
        /* A unit of bottled's first; else a container that `bottle run -d` left. */
        int ret = cli_bottled_rm(globals, argv[i], force, &err);
        if (ret == -ENOENT || ret == -ENOTCONN) {
            memset(&err, 0, sizeof(err));
            ret = remove_container(globals, argv[i], force, &err);
        }
        if (ret < 0) {
            fprintf(stderr, "bottle: %s\n", err.msg);
            status = 125;
        } else {
            puts(argv[i]);
        }
    }
    return status;
}
