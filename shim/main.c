/* bottle-shim: one per container. main() is the table of contents: options, spec, state dir,
 * (detached: double fork away from the caller), create, babysit, record the exit, clean up. */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "exitfile.h"
#include "log.h"
#include "proc.h"
#include "sig.h"

static void remove_bundle(const struct shim_options *options)
{
    char path[4096];
    if (!options->remove_bundle)
        return;
    snprintf(path, sizeof(path), "%s/config.json", options->bundle);
    unlink(path);
    rmdir(options->bundle);
}

static int make_state_dir(struct shim_container *container, struct bt_err *err)
{
    const struct shim_options *opt = container->options;
    char containers[512];
    snprintf(containers, sizeof(containers), "%s/containers", opt->state_root);
    if (mkdir(opt->state_root, 0711) < 0 && errno != EEXIST)
        return bt_err_sys(err, errno, "create state dir %s", opt->state_root);
    if (mkdir(containers, 0711) < 0 && errno != EEXIST)
        return bt_err_sys(err, errno, "create %s", containers);
    if ((size_t)snprintf(container->state_dir, sizeof(container->state_dir), "%s/%s", containers,
                         opt->id) >= sizeof(container->state_dir))
        return bt_err_msg(err, ENAMETOOLONG, "state dir path too long");
    int ret = shim_stale_check(container, err);
    if (ret < 0)
        return ret;
    if (mkdir(container->state_dir, 0700) < 0) {
        if (errno == EEXIST) /* another shim won the race */
            return bt_err_msg(err, EEXIST, "container %s already exists", opt->id);
        return bt_err_sys(err, errno, "create %s", container->state_dir);
    }
    return 0;
}

static void remove_state_dir(struct shim_container *container)
{
    static const char *const files[] = {"exit",     "pid",    "shim.pid", "shim.sock",
                                        "shim.log", "cgroup", "netns",    NULL};
    char path[600];
    for (const char *const *f = files; *f; f++) {
        snprintf(path, sizeof(path), "%s/%s", container->state_dir, *f);
        unlink(path);
    }
    rmdir(container->state_dir);
}

/* The log directory ROOT/containers/ID (when the storage did not remove it already). */
static void remove_log_dir(struct shim_container *container)
{
    const struct shim_options *opt = container->options;
    char path[4200];
    if (opt->foreground || opt->log_path)
        return;
    snprintf(path, sizeof(path), "%s/containers/%s", opt->root, opt->id);
    struct bt_err err = {0};
    if (bt_rootfs_remove_tree(path, &err) < 0)
        bt_log_warn("%s", err.msg);
}

static void write_pid_file(struct shim_container *container, const char *name, pid_t pid)
{
    char path[600], tmp[620], text[32];
    snprintf(path, sizeof(path), "%s/%s", container->state_dir, name);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    int len = snprintf(text, sizeof(text), "%d\n", (int)pid);
    if (write(fd, text, (size_t)len) == len)
        rename(tmp, path);
    close(fd);
}

static long long realtime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void record_exit(struct shim_container *container, int status, char *event, size_t len)
{
    struct bt_exit_record record = {.pid = container->pid,
                                    .started_at_ns = container->started_at_ns,
                                    .finished_at_ns = realtime_ns()};
    uint64_t kills = 0;
    struct bt_err err = {0};
    if (container->has_cgroup && bt_cgroup_oom_kills(&container->cgroup, &kills, &err) == 0)
        record.oom_killed = kills > 0;
    bt_exitfile_from_status(&record, status);
    char path[600];
    snprintf(path, sizeof(path), "%s/exit", container->state_dir);
    /* In the foreground the state dir goes right after: the exit status is the record. */
    if (!container->options->foreground && bt_exitfile_write(path, &record, &err) < 0)
        bt_log_error("%s", err.msg);
    if (record.oom_killed)
        bt_log_warn("container %s was OOM-killed", container->options->id);
    snprintf(event, len, "{\"id\":\"%s\",\"exit_code\":%d,\"signal\":%d,\"oom_killed\":%s}",
             container->options->id, record.exit_code, record.signal,
             record.oom_killed ? "true" : "false");
}

/* Detached: fork, setsid, fork, so that we are no child of the caller (bottled can crash or
 * restart and every container keeps running). The caller learns the outcome on ready_fd. */
static void detach(void)
{
    pid_t pid = fork();
    if (pid < 0) {
        bt_log_error("fork: %s", strerror(errno));
        exit(125);
    }
    if (pid > 0)
        _exit(0);
    setsid();
    pid = fork();
    if (pid < 0)
        _exit(125);
    if (pid > 0)
        _exit(0);
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
        dup2(null, STDIN_FILENO);
        close(null);
    }
}

static void report_ready(struct shim_options *options, const char *text)
{
    if (options->ready_fd < 0)
        return;
    size_t len = strlen(text);
    if (write(options->ready_fd, text, len) != (ssize_t)len ||
        write(options->ready_fd, "\n", 1) != 1)
        bt_log_debug("report to ready fd: %s", strerror(errno));
    close(options->ready_fd);
    options->ready_fd = -1;
}

/* Detached, bottle-shim's own messages go to STATE/containers/ID/shim.log: its caller's stdout
 * and stderr may be pipes that must see EOF once `bottle run -d` returns. */
static void redirect_output(const struct shim_container *container)
{
    char path[600];
    snprintf(path, sizeof(path), "%s/shim.log", container->state_dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0)
        fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        close(fd);
    }
}

/* Everything up to a running container; on failure, everything made is undone. */
static int start(struct shim_container *container, struct bt_err *err)
{
    int ret = make_state_dir(container, err);
    if (ret < 0) {
        container->state_dir[0] = '\0';
        return ret;
    }
    write_pid_file(container, "shim.pid", getpid());
    if ((ret = shim_storage_prepare(container, err)) < 0 ||
        (ret = bt_spec_load(container->options->bundle, &container->spec, err)) < 0 ||
        (ret = shim_io_prepare(container, err)) < 0 ||
        (ret = shim_tty_prepare(container, err)) < 0 || (ret = shim_create(container, err)) < 0 ||
        (ret = shim_serve_listen(container, err)) < 0) {
        shim_tty_close(container);
        shim_io_close(container);
        if (container->pid > 0) {
            kill(container->pid, SIGKILL);
            waitpid(container->pid, NULL, 0);
        }
        shim_destroy(container);
        shim_storage_remove(container);
        remove_log_dir(container);
        remove_state_dir(container);
        return ret;
    }
    write_pid_file(container, "pid", container->pid);
    return 0;
}

int main(int argc, char **argv)
{
    /* Signals wait in a signalfd from the start: none is lost before the container runs. */
    bt_sig_setmask(BT_SIGMASK_ALL & ~BT_SIGMASK_BIT(SIGSEGV) & ~BT_SIGMASK_BIT(SIGBUS) &
                       ~BT_SIGMASK_BIT(SIGFPE) & ~BT_SIGMASK_BIT(SIGILL) & ~BT_SIGMASK_BIT(SIGABRT),
                   NULL);
    /* A signal ignored by whoever started us (bash ignores SIGINT and SIGQUIT in background
     * jobs; some ignore the real-time ones) would be dropped even though it is blocked, and
     * never reach our signalfd or the container: every signal starts at its default action,
     * as in a fresh container. */
    bt_sig_reset_ignored();
    bt_log_init("bottle-shim", BT_LOG_WARN);
    struct shim_options options;
    shim_parse_options(&options, argc, argv);
    /* Whatever the caller leaked (fds of a shell, a half-closed pipe) goes, except the fd it
     * gave us to report on: nothing of it may reach the container. */
    if (options.ready_fd > STDERR_FILENO) {
        if (options.ready_fd > STDERR_FILENO + 1)
            bt_proc_close_range(STDERR_FILENO + 1, options.ready_fd - 1);
        bt_proc_close_from(options.ready_fd + 1);
    } else {
        bt_proc_close_from(STDERR_FILENO + 1);
    }
    if (!options.foreground)
        detach();

    struct bt_err err = {0};
    struct shim_container container = {
        .options = &options, .oom_fd = -1, .pidfd = -1, .listen_fd = -1, .tty_master = -1};
    if (start(&container, &err) < 0) {
        bt_log_error("%s", err.msg);
        report_ready(&options, err.msg);
        bt_spec_free(container.spec);
        remove_bundle(&options);
        return 125;
    }
    report_ready(&options, "ok");
    if (!options.foreground)
        redirect_output(&container);
    /* Everything the spec said has been done: the shim babysits with what it keeps. */
    bt_spec_free(container.spec);
    container.spec = NULL;

    int status = shim_run(&container);
    shim_tty_close(&container);
    char event[256];
    record_exit(&container, status, event, sizeof(event));
    shim_serve_exited(&container, event);
    shim_serve_close(&container);
    shim_io_close(&container);
    shim_destroy(&container);
    if (options.foreground || options.remove) {
        shim_storage_remove(&container);
        remove_state_dir(&container);
        remove_bundle(&options);
    }
    if (options.remove)
        remove_log_dir(&container);
    bt_spec_free(container.spec);
    return bt_proc_exit_code(status);
}
