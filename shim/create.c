/* Creating the container: the cgroup, then clone3 into the new namespaces; the parent writes
 * the id maps, joins the cgroup and names the netns while the child waits; then the child
 * builds the rootfs and the process attributes and execs bottle-init from its sealed memfd.
 * Everything the child needs is prepared by the parent before the clone, so the child makes
 * system calls and library calls that do not allocate. */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "caps.h"
#include "cleanup.h"
#include "log.h"
#include "mount.h"
#include "proc.h"
#include "procattr.h"
#include "sig.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* Devices every container may use whatever its rules say, as runc and crun add them. */
static const struct bt_cgroup_device default_devices[] = {
    {true, 'c', 1, 3, "rwm"},    /* null */
    {true, 'c', 1, 5, "rwm"},    /* zero */
    {true, 'c', 1, 7, "rwm"},    /* full */
    {true, 'c', 1, 8, "rwm"},    /* random */
    {true, 'c', 1, 9, "rwm"},    /* urandom */
    {true, 'c', 5, 0, "rwm"},    /* tty */
    {true, 'c', 5, 2, "rwm"},    /* ptmx */
    {true, 'c', 136, -1, "rwm"}, /* pts */
};

/* What the child needs, all prepared before the clone. */
struct child_plan {
    struct shim_container *container;
    int sync_fd;
    int init_fd;
    int ns_fds[BT_SPEC_NS_COUNT]; /* namespaces to join, -1 otherwise */
    bool new_user, new_cgroup, new_mount, new_net;
    struct bt_mount *mounts;
    struct bt_mount_config mount_config;
    char **init_argv;
    struct bt_user user;
    struct bt_rlimit *rlimits;
    struct bt_caps caps;
    char (*sysctl_paths)[256];
    char **env;       /* process.env, with room for HOME */
    char **home_slot; /* where HOME goes when process.env has none, else NULL */
    char home_env[4096 + 8];
};

static void plan_free(struct child_plan *plan)
{
    for (int i = 0; i < BT_SPEC_NS_COUNT; i++)
        if (plan->ns_fds[i] >= 0)
            close(plan->ns_fds[i]);
    if (plan->init_fd >= 0)
        close(plan->init_fd);
    free(plan->mounts);
    free(plan->init_argv);
    free(plan->rlimits);
    free(plan->sysctl_paths);
    free(plan->env);
}

static int cgroup_path(const struct shim_container *container, char *buf, size_t len,
                       struct bt_err *err)
{
    const char *spec_path = container->spec->cgroups_path;
    int n;
    if (spec_path && spec_path[0] == '/')
        n = snprintf(buf, len, "%s", spec_path);
    else if (spec_path)
        n = snprintf(buf, len, "%s/%s", container->options->cgroup_parent, spec_path);
    else
        n = snprintf(buf, len, "%s/%s", container->options->cgroup_parent, container->options->id);
    if (n < 0 || (size_t)n >= len)
        return bt_err_msg(err, ENAMETOOLONG, "cgroup path too long");
    return 0;
}

static int setup_cgroup(struct shim_container *container, struct bt_err *err)
{
    const struct bt_spec_resources *res = &container->spec->resources;
    char path[BT_CGROUP_PATH_MAX];
    int ret = cgroup_path(container, path, sizeof(path), err);
    if (ret < 0)
        return ret;
    ret = bt_cgroup_init(&container->cgroup, NULL, path, 0, err);
    if (ret < 0)
        return ret;
    if (bt_cgroup_exists(&container->cgroup) && !bt_cgroup_is_empty(&container->cgroup))
        return bt_err_msg(err, EEXIST, "cgroup %s exists and has processes", path);
    shim_stale_record(container, "cgroup", path);
    /* Set first: a creation that fails half-way is removed like a whole one. */
    container->has_cgroup = true;
    ret = bt_cgroup_create(&container->cgroup, err);
    if (ret < 0)
        return ret;

    /* On the heap: a stack array this size would stay resident for the shim's whole life. */
    size_t max_devices = res->devices_len + sizeof(default_devices) / sizeof(default_devices[0]);
    cleanup_free struct bt_cgroup_device *devices = calloc(max_devices, sizeof(*devices));
    if (!devices)
        return bt_err_sys(err, ENOMEM, "device rules");
    size_t ndev = 0;
    for (size_t i = 0; i < res->devices_len; i++) {
        const struct bt_spec_device_rule *rule = &res->devices[i];
        devices[ndev] =
            (struct bt_cgroup_device){rule->allow, rule->type, rule->major, rule->minor, ""};
        memcpy(devices[ndev++].access, rule->access, sizeof(rule->access));
    }
    if (ndev > 0)
        for (size_t i = 0; i < sizeof(default_devices) / sizeof(default_devices[0]); i++)
            devices[ndev++] = default_devices[i];
    struct bt_cgroup_resources limits = {
        .memory_limit = res->has_memory_limit
                            ? (res->memory_limit < 0 ? BT_CGROUP_MAX : res->memory_limit)
                            : BT_CGROUP_KEEP,
        .memory_swap = res->has_memory_swap
                           ? (res->memory_swap < 0 ? BT_CGROUP_MAX : res->memory_swap)
                           : BT_CGROUP_KEEP,
        .cpu_quota_us = res->has_cpu_quota ? (res->cpu_quota < 0 ? BT_CGROUP_MAX : res->cpu_quota)
                                           : BT_CGROUP_KEEP,
        .cpu_period_us = res->has_cpu_period ? res->cpu_period : 0,
        .cpu_shares = res->has_cpu_shares ? res->cpu_shares : 0,
        .cpuset_cpus = res->cpu_cpus,
        .cpuset_mems = res->cpu_mems,
        .pids_max = res->has_pids_limit ? (res->pids_limit <= 0 ? BT_CGROUP_MAX : res->pids_limit)
                                        : BT_CGROUP_KEEP,
        .io_weight = res->has_blkio_weight ? res->blkio_weight : 0,
        .devices = ndev ? devices : NULL,
        .device_count = ndev,
    };
    ret = bt_cgroup_apply(&container->cgroup, &limits, err);
    if (ret < 0)
        return bt_err_wrap(err, "cgroup %s", path);
    container->oom_fd = -1;
    if (bt_cgroup_layout_find(&container->cgroup.layout, BT_CGROUP_MEMORY)) {
        struct bt_err ignored = {0};
        int fd = bt_cgroup_oom_fd(&container->cgroup, &ignored);
        container->oom_fd = fd >= 0 ? fd : -1;
    }
    return 0;
}

/* Translates the spec into what the child will use; allocations happen here, not there. */
static int make_plan(struct shim_container *container, struct child_plan *plan, int init_fd,
                     struct bt_err *err)
{
    const struct bt_spec *spec = container->spec;
    const struct bt_spec_process *proc = &spec->process;
    memset(plan, 0, sizeof(*plan));
    plan->container = container;
    plan->init_fd = init_fd;
    plan->sync_fd = -1;
    for (int i = 0; i < BT_SPEC_NS_COUNT; i++)
        plan->ns_fds[i] = -1;
    for (size_t i = 0; i < spec->namespaces_len; i++) {
        const struct bt_spec_namespace *ns = &spec->namespaces[i];
        if (ns->path) {
            plan->ns_fds[ns->type] = open(ns->path, O_RDONLY | O_CLOEXEC);
            if (plan->ns_fds[ns->type] < 0)
                return bt_err_sys(err, errno, "open %s namespace %s", bt_spec_ns_name(ns->type),
                                  ns->path);
        } else if (ns->type == BT_SPEC_NS_USER) {
            plan->new_user = true;
        } else if (ns->type == BT_SPEC_NS_CGROUP) {
            plan->new_cgroup = true;
        } else if (ns->type == BT_SPEC_NS_NETWORK) {
            plan->new_net = true;
        }
    }
    const struct bt_spec_namespace *mnt = bt_spec_find_ns(spec, BT_SPEC_NS_MOUNT);
    if (!mnt || mnt->path)
        return bt_err_msg(err, EINVAL,
                          "%s: linux.namespaces: a new mount namespace is required "
                          "(bottle uses pivot_root, never chroot)",
                          spec->config_path);
    plan->new_mount = true;
    if (plan->new_user && (spec->uid_mappings_len == 0 || spec->gid_mappings_len == 0))
        return bt_err_msg(err, EINVAL,
                          "%s: a user namespace needs linux.uidMappings and "
                          "linux.gidMappings",
                          spec->config_path);

    plan->mounts = calloc(spec->mounts_len + 2, sizeof(*plan->mounts));
    if (!plan->mounts)
        return bt_err_sys(err, ENOMEM, "plan");
    for (size_t i = 0; i < spec->mounts_len; i++) {
        const struct bt_spec_mount *m = &spec->mounts[i];
        plan->mounts[i] = (struct bt_mount){.source = m->source,
                                            .target = m->destination,
                                            .type = m->type,
                                            .flags = m->flags,
                                            .propagation = m->propagation,
                                            .data = m->data};
    }
    size_t n_mounts = spec->mounts_len;
    if (shim_notify_mount(container, &plan->mounts[n_mounts]))
        n_mounts++;
    plan->mount_config = (struct bt_mount_config){
        .rootfs = spec->rootfs,
        .mounts = plan->mounts,
        .n_mounts = n_mounts,
        .masked_paths = (const char *const *)spec->masked_paths,
        .readonly_paths = (const char *const *)spec->readonly_paths,
        .rootfs_propagation = spec->rootfs_propagation,
        .readonly_root = spec->root_readonly,
        .setup_dev = true,
        .console = container->tty_master >= 0 ? container->tty_slave : NULL,
    };

    const struct shim_options *opt = container->options;
    size_t argc = 2 + (size_t)opt->init_args_count + 1 + proc->args_len + 1;
    plan->init_argv = calloc(argc, sizeof(char *));
    if (!plan->init_argv)
        return bt_err_sys(err, ENOMEM, "plan");
    size_t n = 0;
    plan->init_argv[n++] = "bottle-init";
    /* The init starts with every signal blocked (none lost before its main runs) and gives
     * the service a clean mask, as runc and docker do, whatever the caller had blocked. */
    plan->init_argv[n++] = "--sigmask=0";
    for (int i = 0; i < opt->init_args_count; i++)
        plan->init_argv[n++] = (char *)opt->init_args[i];
    plan->init_argv[n++] = "--";
    for (size_t i = 0; i < proc->args_len; i++)
        plan->init_argv[n++] = proc->args[i];

    plan->user.uid = proc->uid;
    plan->user.gid = proc->gid;
    if (proc->additional_gids_len > BT_USER_GROUPS_MAX)
        return bt_err_msg(err, E2BIG, "%s: process.user.additionalGids: more than %d groups",
                          spec->config_path, BT_USER_GROUPS_MAX);
    plan->user.group_count = proc->additional_gids_len;
    for (size_t i = 0; i < proc->additional_gids_len; i++)
        plan->user.groups[i] = proc->additional_gids[i];

    plan->rlimits = calloc(proc->rlimits_len + 1, sizeof(*plan->rlimits));
    if (!plan->rlimits)
        return bt_err_sys(err, ENOMEM, "plan");
    for (size_t i = 0; i < proc->rlimits_len; i++)
        plan->rlimits[i] =
            (struct bt_rlimit){proc->rlimits[i].resource, (rlim_t)proc->rlimits[i].soft,
                               (rlim_t)proc->rlimits[i].hard};
    if (proc->has_capabilities)
        plan->caps =
            (struct bt_caps){proc->caps.bounding, proc->caps.effective, proc->caps.permitted,
                             proc->caps.inheritable, proc->caps.ambient};

    plan->env = calloc(proc->env_len + 3, sizeof(char *));
    if (!plan->env)
        return bt_err_sys(err, ENOMEM, "plan");
    bool has_home = false;
    const char *notify_env = container->notify.enabled ? container->notify.env : "";
    size_t env_len = 0;
    for (size_t i = 0; i < proc->env_len; i++) {
        if (notify_env[0] && strncmp(proc->env[i], "NOTIFY_SOCKET=", 14) == 0)
            continue; /* ours is the one that works */
        plan->env[env_len++] = proc->env[i];
        has_home = has_home || strncmp(proc->env[i], "HOME=", 5) == 0;
    }
    if (notify_env[0])
        plan->env[env_len++] = (char *)notify_env;
    memcpy(plan->home_env, "HOME=", 5);
    plan->home_slot = has_home ? NULL : &plan->env[env_len];

    plan->sysctl_paths = calloc(spec->sysctl_len + 1, sizeof(*plan->sysctl_paths));
    if (!plan->sysctl_paths)
        return bt_err_sys(err, ENOMEM, "plan");
    for (size_t i = 0; i < spec->sysctl_len; i++) {
        char *p = plan->sysctl_paths[i];
        snprintf(p, sizeof(plan->sysctl_paths[i]), "/proc/sys/%s", spec->sysctl[i].key);
        for (p += strlen("/proc/sys/"); *p; p++)
            if (*p == '.')
                *p = '/';
    }
    return 0;
}

/* ---- the child ---- */

/* A new network namespace starts with lo down; every container expects it up. */
static int loopback_up(struct bt_err *err)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return bt_err_sys(err, errno, "socket");
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
    int ret = 0;
    if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
        ret = bt_err_sys(err, errno, "read the flags of lo");
    ifr.ifr_flags |= IFF_UP;
    if (ret == 0 && ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
        ret = bt_err_sys(err, errno, "bring lo up");
    close(fd);
    return ret;
}

static __attribute__((noreturn)) void child_fail(const struct child_plan *plan, struct bt_err *err)
{
    if (err->code == 0)
        err->code = EIO;
    while (send(plan->sync_fd, err, sizeof(*err), MSG_NOSIGNAL) < 0 && errno == EINTR)
        ;
    _exit(125);
}

static int write_file(const char *path, const char *value, struct bt_err *err)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return bt_err_sys(err, errno, "open %s", path);
    size_t len = strlen(value);
    ssize_t n = write(fd, value, len);
    int saved = errno;
    close(fd);
    if (n != (ssize_t)len)
        return bt_err_sys(err, n < 0 ? saved : EIO, "write %s", path);
    return 0;
}

/* No fd of the caller or of the shim may reach the container (the CVE-2024-21626 class): all
 * but stdio, the sync socket and the init's memfd are closed before the chdir into the
 * container, so that none can become its cwd. */
static void close_inherited(const struct child_plan *plan)
{
    /* The notification pipe's write end too (a pipe cannot become a cwd); -1 sorts last. */
    const struct shim_notify *notify = &plan->container->notify;
    unsigned keep[3] = {(unsigned)plan->sync_fd, (unsigned)plan->init_fd,
                        notify->enabled ? (unsigned)notify->child_fd : ~0U};
    for (int i = 0; i < 3; i++)
        for (int j = i + 1; j < 3; j++)
            if (keep[j] < keep[i]) {
                unsigned t = keep[i];
                keep[i] = keep[j];
                keep[j] = t;
            }
    unsigned from = 3;
    for (int i = 0; i < 3 && keep[i] != ~0U; i++) {
        if (keep[i] > from)
            syscall(SYS_close_range, from, keep[i] - 1, 0U);
        from = keep[i] + 1;
    }
    syscall(SYS_close_range, from, ~0U, 0U);
}

/* HOME from the container's own /etc/passwd when process.env has none, as runc and docker do
 * ("/" when the user has no entry). Runs after pivot_root, so the file is the container's.
 * Reads with a stack buffer: no allocation. */
static void set_home(struct child_plan *plan)
{
    const char *home = "/";
    char buf[16384];
    int fd = open("/etc/passwd", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
    if (fd >= 0)
        close(fd);
    if (n > 0) {
        buf[n] = '\0';
        for (char *line = buf; line && *line;
             line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
            /* name:password:uid:gid:gecos:home:shell */
            char *field[7] = {line};
            int count = 1;
            for (char *p = line; *p && *p != '\n' && count < 7; p++)
                if (*p == ':')
                    field[count++] = p + 1;
            if (count < 7 || strtoul(field[2], NULL, 10) != plan->user.uid || field[2][0] == ':')
                continue;
            size_t len = (size_t)(field[6] - 1 - field[5]);
            if (len > 0 && len < sizeof(plan->home_env) - 6) {
                memcpy(plan->home_env + 5, field[5], len);
                plan->home_env[5 + len] = '\0';
                *plan->home_slot = plan->home_env;
                return;
            }
        }
    }
    snprintf(plan->home_env + 5, sizeof(plan->home_env) - 5, "%s", home);
    *plan->home_slot = plan->home_env;
}

/* The s6 notification fd: the pipe's write end becomes fd N, inherited by bottle-init and the
 * service; the sync socket and the init's memfd move away first if they sit on N. */
static void place_notify_fd(struct child_plan *plan)
{
    const struct shim_notify *notify = &plan->container->notify;
    if (!notify->enabled || notify->child_fd < 0)
        return;
    int target = notify->target_fd;
    if (plan->sync_fd == target)
        plan->sync_fd = fcntl(target, F_DUPFD_CLOEXEC, 3);
    if (plan->init_fd == target)
        plan->init_fd = fcntl(target, F_DUPFD_CLOEXEC, 3);
    if (notify->child_fd == target)
        fcntl(target, F_SETFD, 0);
    else
        dup2(notify->child_fd, target);
}

static const int join_order[] = {BT_SPEC_NS_USER, BT_SPEC_NS_MOUNT, BT_SPEC_NS_NETWORK,
                                 BT_SPEC_NS_IPC,  BT_SPEC_NS_UTS,   BT_SPEC_NS_CGROUP};

static __attribute__((noreturn)) void child_main(struct child_plan *plan)
{
    const struct bt_spec *spec = plan->container->spec;
    const struct bt_spec_process *proc = &spec->process;
    struct bt_err err = {0};
    char go;
    if (read(plan->sync_fd, &go, 1) != 1)
        _exit(125); /* the shim died before it let us go */

    for (size_t i = 0; i < sizeof(join_order) / sizeof(join_order[0]); i++) {
        int type = join_order[i];
        if (plan->ns_fds[type] >= 0 &&
            setns(plan->ns_fds[type], bt_spec_ns_clone_flag((enum bt_spec_ns_type)type)) < 0) {
            bt_err_sys(&err, errno, "join the %s namespace",
                       bt_spec_ns_name((enum bt_spec_ns_type)type));
            child_fail(plan, &err);
        }
    }
    if (plan->new_user && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)) {
        bt_err_sys(&err, errno, "become root of the user namespace (is uid/gid 0 mapped?)");
        child_fail(plan, &err);
    }
    /* After the cgroup join, so that the container sees its own cgroup as the root. */
    if (plan->new_cgroup && unshare(CLONE_NEWCGROUP) < 0) {
        bt_err_sys(&err, errno, "unshare the cgroup namespace");
        child_fail(plan, &err);
    }
    if (plan->new_net && loopback_up(&err) < 0)
        child_fail(plan, &err);
    if (spec->hostname && sethostname(spec->hostname, strlen(spec->hostname)) < 0) {
        bt_err_sys(&err, errno, "sethostname %s", spec->hostname);
        child_fail(plan, &err);
    }
    if (spec->domainname && setdomainname(spec->domainname, strlen(spec->domainname)) < 0) {
        bt_err_sys(&err, errno, "setdomainname %s", spec->domainname);
        child_fail(plan, &err);
    }
    /* Through the host's /proc, before the container's /proc/sys is made read-only: a sysctl
     * file belongs to the namespaces of whoever opens it, and we are in the container's. */
    for (size_t i = 0; i < spec->sysctl_len; i++)
        if (write_file(plan->sysctl_paths[i], spec->sysctl[i].value, &err) < 0) {
            bt_err_wrap(&err, "sysctl %s", spec->sysctl[i].key);
            child_fail(plan, &err);
        }
    if (shim_storage_mount(plan->container, &err) < 0)
        child_fail(plan, &err);
    int tty_fd = -1;
    if (plan->container->tty_master >= 0) {
        /* Opened by its host path while that is still reachable (before pivot_root). */
        tty_fd = open(plan->container->tty_slave, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (tty_fd < 0) {
            bt_err_sys(&err, errno, "open the pty %s", plan->container->tty_slave);
            child_fail(plan, &err);
        }
    }
    if (bt_mount_setup(&plan->mount_config, &err) < 0) {
        bt_err_wrap(&err, "rootfs %s", spec->rootfs);
        child_fail(plan, &err);
    }
    if (tty_fd >= 0 && shim_tty_child(tty_fd, &err) < 0)
        child_fail(plan, &err);
    shim_io_child(plan->container);
    close_inherited(plan);
    if (chdir(proc->cwd) < 0) {
        bt_err_sys(&err, errno, "process.cwd %s", proc->cwd);
        child_fail(plan, &err);
    }
    /* The CVE-2024-21626 check: the cwd must be inside the new root (getcwd says
     * "(unreachable)" for a directory outside it). */
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof(cwd)) || cwd[0] != '/') {
        bt_err_msg(&err, EPERM, "process.cwd %s is outside the container", proc->cwd);
        child_fail(plan, &err);
    }
    if (plan->home_slot)
        set_home(plan);
    if (bt_procattr_set_rlimits(0, plan->rlimits, proc->rlimits_len, &err) < 0 ||
        (proc->has_oom_score_adj &&
         bt_procattr_set_oom_score_adj(0, proc->oom_score_adj, &err) < 0) ||
        (proc->has_umask && bt_procattr_set_umask(proc->umask, &err) < 0))
        child_fail(plan, &err);
    if (proc->has_capabilities && plan->user.uid != 0 && bt_caps_keep_across_setuid(&err) < 0)
        child_fail(plan, &err);
    if (bt_procattr_set_user(&plan->user, &err) < 0)
        child_fail(plan, &err);
    if (proc->has_capabilities && bt_caps_apply(&plan->caps, &err) < 0)
        child_fail(plan, &err);
    if (proc->no_new_privileges && bt_procattr_set_no_new_privs(&err) < 0)
        child_fail(plan, &err);
    /* Belt and braces: anything opened since is closed at exec too. */
    syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
    place_notify_fd(plan);
    bt_sig_setmask(BT_SIGMASK_ALL, NULL);
    syscall(SYS_execveat, plan->init_fd, "", plan->init_argv, plan->env, AT_EMPTY_PATH);
    bt_err_sys(&err, errno, "exec bottle-init");
    child_fail(plan, &err);
}

/* ---- the parent ---- */

static int write_id_map(pid_t pid, const char *file, const struct bt_spec_id_map *map, size_t len,
                        struct bt_err *err)
{
    char path[64], text[BT_SPEC_IDMAP_MAX * 36];
    size_t used = 0;
    for (size_t i = 0; i < len && used < sizeof(text); i++)
        used += (size_t)snprintf(text + used, sizeof(text) - used, "%u %u %u\n",
                                 map[i].container_id, map[i].host_id, map[i].size);
    snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
    return write_file(path, text, err);
}

static int name_netns(struct shim_container *container, pid_t pid, struct bt_err *err)
{
    char source[64];
    mkdir("/run/netns", 0755);
    /* As `ip netns add` does: /run/netns is a shared bind mount of itself, so that a netns
     * bound in it is seen from every mount namespace, and a later `ip netns add` (which makes
     * that mount if it is missing) does not hide ours under it. */
    if (mount("", "/run/netns", "none", MS_SHARED | MS_REC, NULL) < 0 && errno == EINVAL) {
        if (mount("/run/netns", "/run/netns", "none", MS_BIND | MS_REC, NULL) == 0)
            mount("", "/run/netns", "none", MS_SHARED | MS_REC, NULL);
    }
    snprintf(container->netns_path, sizeof(container->netns_path), "/run/netns/%s",
             container->options->id);
    /* Recorded first: a crash after the bind leaves a record for the next start to clean. */
    shim_stale_record(container, "netns", container->netns_path);
    int fd = open(container->netns_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
    if (fd < 0) {
        int saved = errno;
        container->netns_path[0] = '\0';
        return bt_err_sys(err, saved, "create /run/netns/%s", container->options->id);
    }
    close(fd);
    snprintf(source, sizeof(source), "/proc/%d/ns/net", (int)pid);
    if (mount(source, container->netns_path, NULL, MS_BIND, NULL) < 0) {
        int saved = errno;
        unlink(container->netns_path);
        container->netns_path[0] = '\0';
        return bt_err_sys(err, saved, "bind the network namespace to /run/netns");
    }
    return 0;
}

static int clone_flags(const struct bt_spec *spec)
{
    int flags = 0;
    for (size_t i = 0; i < spec->namespaces_len; i++)
        if (!spec->namespaces[i].path && spec->namespaces[i].type != BT_SPEC_NS_CGROUP)
            flags |= bt_spec_ns_clone_flag(spec->namespaces[i].type);
    return flags;
}

static long long realtime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int shim_create(struct shim_container *container, struct bt_err *err)
{
    const struct bt_spec *spec = container->spec;
    container->pid = -1;
    container->pidfd = -1;
    container->oom_fd = -1;
    int init_fd = shim_init_memfd(container->options->init_path, err);
    if (init_fd < 0)
        return init_fd;
    struct child_plan plan;
    int ret = shim_notify_prepare(container, err);
    if (ret < 0) {
        close(init_fd);
        shim_notify_close(container);
        return ret;
    }
    ret = make_plan(container, &plan, init_fd, err);
    if (ret < 0)
        goto out_plan;
    /* Joining a pid namespace applies to our children: do it before the clone. */
    if (plan.ns_fds[BT_SPEC_NS_PID] >= 0 && setns(plan.ns_fds[BT_SPEC_NS_PID], CLONE_NEWPID) < 0) {
        ret = bt_err_sys(err, errno, "join the pid namespace");
        goto out_plan;
    }
    ret = setup_cgroup(container, err);
    if (ret < 0)
        goto out_cgroup;

    int sync[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sync) < 0) {
        ret = bt_err_sys(err, errno, "socketpair");
        goto out_cgroup;
    }
    plan.sync_fd = sync[1];
    int pidfd = -1;
    struct clone_args args = {
        .flags = (uint64_t)clone_flags(spec) | CLONE_PIDFD,
        .pidfd = (uint64_t)(uintptr_t)&pidfd,
        .exit_signal = SIGCHLD,
    };
    long pid = syscall(SYS_clone3, &args, sizeof(args));
    if (pid == 0) {
        close(sync[0]);
        child_main(&plan);
    }
    close(sync[1]);
    shim_notify_parent(container);
    shim_io_parent(container);
    shim_tty_parent(container);
    if (pid < 0) {
        ret = bt_err_sys(err, errno, "clone3 into new namespaces");
        close(sync[0]);
        goto out_cgroup;
    }
    container->pid = (pid_t)pid;
    container->pidfd = pidfd;
    container->started_at_ns = realtime_ns();

    if (plan.new_user && ((ret = write_id_map(container->pid, "gid_map", spec->gid_mappings,
                                              spec->gid_mappings_len, err)) < 0 ||
                          (ret = write_id_map(container->pid, "uid_map", spec->uid_mappings,
                                              spec->uid_mappings_len, err)) < 0))
        goto out_child;
    if (container->has_cgroup &&
        (ret = bt_cgroup_join(&container->cgroup, container->pid, err)) < 0)
        goto out_child;
    if (!container->options->no_netns_name && bt_spec_find_ns(spec, BT_SPEC_NS_NETWORK) &&
        !bt_spec_find_ns(spec, BT_SPEC_NS_NETWORK)->path &&
        (ret = name_netns(container, container->pid, err)) < 0)
        goto out_child;
    if (write(sync[0], "g", 1) != 1) {
        ret = bt_err_sys(err, errno, "start the container");
        goto out_child;
    }
    /* The child's end closes when it execs: EOF means bottle-init runs. */
    struct bt_err child_err = {0};
    ssize_t n;
    while ((n = recv(sync[0], &child_err, sizeof(child_err), 0)) < 0 && errno == EINTR)
        ;
    close(sync[0]);
    sync[0] = -1;
    if (n == 0) {
        plan_free(&plan);
        return 0;
    }
    if (n == (ssize_t)sizeof(child_err)) {
        child_err.msg[sizeof(child_err.msg) - 1] = '\0';
        *err = child_err;
        ret = -child_err.code;
    } else {
        ret = bt_err_msg(err, EIO, "the container's set-up died without a word");
    }
out_child:
    if (sync[0] >= 0)
        close(sync[0]);
    kill(container->pid, SIGKILL);
    while (waitpid(container->pid, NULL, 0) < 0 && errno == EINTR)
        ;
    close(container->pidfd);
    container->pidfd = -1;
    container->pid = -1;
out_cgroup:
    shim_destroy(container);
out_plan:
    plan_free(&plan);
    return ret;
}

void shim_destroy(struct shim_container *container)
{
    shim_notify_close(container);
    if (container->netns_path[0]) {
        umount2(container->netns_path, MNT_DETACH);
        unlink(container->netns_path);
        container->netns_path[0] = '\0';
    }
    if (container->oom_fd >= 0) {
        close(container->oom_fd);
        container->oom_fd = -1;
    }
    if (container->has_cgroup) {
        struct bt_err err = {0};
        if (bt_cgroup_remove(&container->cgroup, 5000, &err) < 0)
            bt_log_warn("cannot remove the cgroup: %s", err.msg);
        container->has_cgroup = false;
    }
}
