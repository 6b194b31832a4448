/* bottle run: docker's flags turned into an OCI bundle under the state dir, then bottle-shim
 * runs it. In the foreground no daemon is needed (like `runc run`): the shim stays attached,
 * and its exit status is the container's. */
#include "cli.h"
#include "name.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage[] =
    "Usage: bottle run [OPTIONS] (IMAGE | --rootfs DIR | --bundle DIR) [--] [COMMAND [ARG...]]\n"
    "\n"
    "  --name N            container name (default: run-PID)\n"
    "  --rootfs DIR        use DIR as the root filesystem (writes go to DIR)\n"
    "  --bundle DIR        run an existing OCI bundle as it is\n"
    "  -t, --tty           allocate a terminal\n"
    "  -i, --interactive   keep stdin open\n"
    "  -e, --env K=V       set an environment variable (repeatable)\n"
    "  -w, --workdir DIR   working directory inside the container\n"
    "  -u, --user U[:G]    user, by number or by name from the container's /etc/passwd\n"
    "      --hostname H    hostname (default: the name)\n"
    "  -m, --memory SIZE   memory limit (bytes, or with k/m/g)\n"
    "      --cpus N        CPU quota in CPUs (e.g. 0.5)\n"
    "      --pids-limit N  at most N processes\n"
    "      --ulimit L=S[:H] resource limit, e.g. nofile=1024:2048 (repeatable)\n"
    "  -v, --volume S:D[:ro]  bind mount host S at D (repeatable)\n"
    "      --tmpfs DIR     mount a tmpfs at DIR (repeatable)\n"
    "      --read-only     mount the root filesystem read-only\n"
    "      --network none|host|bridge|container:NAME\n"
    "  -p, --publish [IP:]HOST:CONTAINER[/udp]  publish a port (bridge; repeatable)\n"
    "      --bridge NAME   the bridge (default $BOTTLE_BRIDGE or bottle0)\n"
    "      --subnet A.B.C.D/N  the bridge's subnet (default $BOTTLE_SUBNET or 10.88.0.0/16)\n"
    "      --cap-add C, --cap-drop C   capabilities (docker's names; ALL)\n"
    "      --userns        run in a new user namespace (root is host uid 100000)\n"
    "      --init-arg ARG  pass ARG to bottle-init (repeatable)\n"
    "      --rm           remove the container when it exits (always so in the foreground)\n"
    "      --restart P     with -d: bottled supervises it (no, on-failure[:N], always,\n"
    "                      unless-stopped); -d goes through bottled whenever it runs\n"
    "      --cgroup-parent P  the container's cgroup is P/NAME (default $BOTTLE_CGROUP_PARENT\n"
    "                      or bottle)\n"
    "      --storage KIND  dir: run in --rootfs itself (default); overlay: --rootfs is a\n"
    "                      read-only layer under a per-container upper dir; btrfs: --rootfs\n"
    "                      is a subvolume, the container gets a writable snapshot of it.\n"
    "                      With an IMAGE: overlay, btrfs or copy (default: chosen for --root)\n";

long long cli_parse_size(const char *text)
{
    char *end;
    errno = 0;
    double value = strtod(text, &end);
    if (errno || end == text || value <= 0)
        cli_die("invalid size '%s'", text);
    long long unit = 1;
    switch (*end) {
    case 'b':
    case 'B':
        unit = 1;
        end++;
        break;
    case 'k':
    case 'K':
        unit = 1LL << 10;
        end++;
        break;
    case 'm':
    case 'M':
        unit = 1LL << 20;
        end++;
        break;
    case 'g':
    case 'G':
        unit = 1LL << 30;
        end++;
        break;
    case '\0': break;
    default: cli_die("invalid size '%s'", text);
    }
    if (*end == 'b' || *end == 'B')
        end++;
    if (*end || value * unit > 1e18)
        cli_die("invalid size '%s'", text);
    return (long long)(value * unit);
}

static void push(const char **list, size_t *count, const char *item, const char *what)
{
    if (*count == CLI_LIST_MAX)
        cli_die("too many %s options (at most %d)", what, CLI_LIST_MAX);
    list[(*count)++] = item;
}

/* -p values (cli.h's options struct has no list for them). */
static const char *run_ports[CLI_LIST_MAX];

static void parse(struct cli_run_options *o, int argc, char **argv)
{
    struct bt_bundle_options *container = &o->container;
    container->ports = run_ports;
    container->env = o->env;
    container->ulimits = o->ulimits;
    container->volumes = o->volumes;
    container->tmpfs = o->tmpfs;
    container->cap_add = o->cap_add;
    container->cap_drop = o->cap_drop;
    enum {
        O_NAME = 256,
        O_ROOTFS,
        O_BUNDLE,
        O_HOSTNAME,
        O_CPUS,
        O_PIDS,
        O_ULIMIT,
        O_TMPFS,
        O_READONLY,
        O_NETWORK,
        O_CAPADD,
        O_CAPDROP,
        O_USERNS,
        O_INITARG,
        O_RM,
        O_STORAGE,
        O_CGROUP_PARENT,
        O_RESTART,
        O_BRIDGE,
        O_SUBNET
    };
    static const struct option longopts[] = {
        {"name", required_argument, NULL, O_NAME},
        {"rootfs", required_argument, NULL, O_ROOTFS},
        {"bundle", required_argument, NULL, O_BUNDLE},
        {"detach", no_argument, NULL, 'd'},
        {"tty", no_argument, NULL, 't'},
        {"interactive", no_argument, NULL, 'i'},
        {"env", required_argument, NULL, 'e'},
        {"workdir", required_argument, NULL, 'w'},
        {"user", required_argument, NULL, 'u'},
        {"hostname", required_argument, NULL, O_HOSTNAME},
        {"memory", required_argument, NULL, 'm'},
        {"cpus", required_argument, NULL, O_CPUS},
        {"pids-limit", required_argument, NULL, O_PIDS},
        {"ulimit", required_argument, NULL, O_ULIMIT},
        {"volume", required_argument, NULL, 'v'},
        {"tmpfs", required_argument, NULL, O_TMPFS},
        {"read-only", no_argument, NULL, O_READONLY},
        {"network", required_argument, NULL, O_NETWORK},
        {"publish", required_argument, NULL, 'p'},
        {"bridge", required_argument, NULL, O_BRIDGE},
        {"subnet", required_argument, NULL, O_SUBNET},
        {"cap-add", required_argument, NULL, O_CAPADD},
        {"cap-drop", required_argument, NULL, O_CAPDROP},
        {"userns", no_argument, NULL, O_USERNS},
        {"init-arg", required_argument, NULL, O_INITARG},
        {"rm", no_argument, NULL, O_RM},
        {"storage", required_argument, NULL, O_STORAGE},
        {"cgroup-parent", required_argument, NULL, O_CGROUP_PARENT},
        {"restart", required_argument, NULL, O_RESTART},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int opt;
    char *end;
    while ((opt = getopt_long(argc, argv, "+dtie:w:u:m:v:p:h", longopts, NULL)) != -1) {
        switch (opt) {
        case O_NAME: container->name = optarg; break;
        case O_ROOTFS: container->rootfs = optarg; break;
        case O_BUNDLE: o->bundle = optarg; break;
        case 'd': o->detach = true; break;
        case 't': container->tty = true; break;
        case 'i': o->interactive = true; break;
        case 'e': push(o->env, &container->env_count, optarg, "-e"); break;
        case 'w': container->workdir = optarg; break;
        case 'u': container->user = optarg; break;
        case O_HOSTNAME: container->hostname = optarg; break;
        case 'm': container->memory = cli_parse_size(optarg); break;
        case O_CPUS:
            container->cpus = strtod(optarg, &end);
            if (*end || container->cpus <= 0 || container->cpus > 4096)
                cli_die("invalid --cpus '%s'", optarg);
            break;
        case O_PIDS:
            container->pids_limit = strtoll(optarg, &end, 10);
            if (*end || container->pids_limit <= 0)
                cli_die("invalid --pids-limit '%s'", optarg);
            break;
        case O_ULIMIT: push(o->ulimits, &container->ulimit_count, optarg, "--ulimit"); break;
        case 'v': push(o->volumes, &container->volume_count, optarg, "-v"); break;
        case O_TMPFS: push(o->tmpfs, &container->tmpfs_count, optarg, "--tmpfs"); break;
        case O_READONLY: container->read_only = true; break;
        case O_NETWORK:
            if (strcmp(optarg, "none") != 0 && strcmp(optarg, "host") != 0 &&
                strcmp(optarg, "bridge") != 0 && strncmp(optarg, "container:", 10) != 0)
                cli_die("--network %s: expected none, host, bridge or container:NAME", optarg);
            container->network = optarg;
            break;
        case 'p': push(run_ports, &container->port_count, optarg, "-p"); break;
        case O_BRIDGE: container->bridge = optarg; break;
        case O_SUBNET: container->subnet = optarg; break;
        case O_CAPADD: push(o->cap_add, &container->cap_add_count, optarg, "--cap-add"); break;
        case O_CAPDROP: push(o->cap_drop, &container->cap_drop_count, optarg, "--cap-drop"); break;
        case O_USERNS: container->userns = true; break;
        case O_INITARG: push(o->init_args, &o->init_arg_count, optarg, "--init-arg"); break;
        case O_RM: o->remove = true; break;
        case O_CGROUP_PARENT: o->cgroup_parent = optarg; break;
        case O_RESTART: o->restart = optarg; break;
        case O_STORAGE:
            if (strcmp(optarg, "dir") != 0 && strcmp(optarg, "overlay") != 0 &&
                strcmp(optarg, "btrfs") != 0 && strcmp(optarg, "copy") != 0 &&
                strcmp(optarg, "auto") != 0)
                cli_die("--storage %s: must be dir, overlay, btrfs, copy or auto", optarg);
            o->storage = optarg;
            break;
        case 'h': fputs(usage, stdout); exit(0);
        default: fputs(usage, stderr); exit(125);
        }
    }
    if (!container->rootfs && !o->bundle) {
        if (optind >= argc)
            cli_die("run: IMAGE, --rootfs DIR or --bundle DIR is required");
        o->image = argv[optind++];
        if (optind < argc && strcmp(argv[optind], "--") == 0)
            optind++; /* IMAGE -- COMMAND */
    }
    if (container->rootfs && o->bundle)
        cli_die("run: --rootfs and --bundle exclude each other");
    if (!o->image && o->storage && (!strcmp(o->storage, "copy") || !strcmp(o->storage, "auto")))
        cli_die("run: --storage %s takes an IMAGE (--rootfs: dir, overlay or btrfs)", o->storage);
    if (optind < argc) {
        container->command = (const char *const *)(argv + optind);
        container->command_count = (size_t)(argc - optind);
    }
    if (o->bundle && container->command_count)
        cli_die("run: --bundle runs the bundle's own process.args; no COMMAND allowed");
}

/* A bundle left by an earlier run of NAME is ours to replace when nothing owns it any more: no
 * state dir (the run failed or was removed by hand), or a shim that died (the new shim cleans
 * its leftovers). A running or exited container keeps its name until `bottle rm`. */
static bool stale_bundle(const struct cli_globals *globals, const char *name)
{
    struct cli_container c;
    struct bt_err err = {0};
    if (cli_container_find(globals, name, &c, &err) < 0)
        return err.code == ENOENT;
    cli_container_status(&c, &err);
    if (c.status != CLI_STATUS_LOST)
        cli_die("container %s already exists (%s)", name, cli_status_name(c.status));
    return true;
}

static void mkdirs(const char *path)
{
    char buf[PATH_MAX];
    snprintf(buf, sizeof(buf), "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(buf, 0711);
            *p = '/';
        }
    }
    if (mkdir(buf, 0700) < 0 && errno != EEXIST)
        cli_die("create %s: %s", buf, strerror(errno));
}

/* Runs the shim, which double-forks; its first line on READY is "ok" or the error. */
static int start_detached(const char *shim, char **args, int ready[2], const char *name)
{
    pid_t pid = fork();
    if (pid < 0)
        cli_die("fork: %s", strerror(errno));
    if (pid == 0) {
        execv(shim, args);
        dprintf(ready[1], "exec %s: %s\n", shim, strerror(errno));
        _exit(125);
    }
    close(ready[1]);
    char line[1024];
    size_t len = 0;
    struct pollfd pfd = {.fd = ready[0], .events = POLLIN};
    while (len < sizeof(line) - 1 && poll(&pfd, 1, 60000) > 0) {
        ssize_t got = read(ready[0], line + len, sizeof(line) - 1 - len);
        if (got <= 0)
            break;
        len += (size_t)got;
        if (memchr(line, '\n', len))
            break;
    }
    line[len] = '\0';
    line[strcspn(line, "\n")] = '\0';
    waitpid(pid, NULL, 0);
    if (strcmp(line, "ok") != 0)
        cli_die("%s", line[0] ? line : "bottle-shim did not report (timeout)");
    printf("%s\n", name);
    return 0;
}

int cli_cmd_run(const struct cli_globals *globals, int argc, char **argv)
{
    struct cli_run_options o = {0};
    parse(&o, argc, argv);
    struct bt_bundle_options *container = &o.container;
    char default_name[32];
    if (!container->name) {
        snprintf(default_name, sizeof(default_name), "run-%d", (int)getpid());
        container->name = default_name;
    }
    /* Before anything is written: the name becomes paths under --state and --root. */
    if (!bt_name_valid(container->name))
        cli_die("invalid container name '%s' (letters, digits, '_', '.', '-'; at most %d; not "
                "starting with '.', '_' or '-')",
                container->name, BT_NAME_MAX);
    /* -d belongs to bottled when it runs (as docker's to dockerd); without it, or for what a
     * service spec cannot say, the shim runs detached on its own (as `runc run -d`). */
    if (o.restart && !o.detach)
        cli_die("run: --restart needs -d: bottled supervises detached containers");
    if (o.detach && (o.restart || cli_bottled_running(globals))) {
        const char *why = o.bundle               ? "--bundle"
                          : container->tty       ? "-t"
                          : o.interactive        ? "-i"
                          : container->read_only ? "--read-only"
                          : container->userns    ? "--userns"
                          : container->cap_add_count || container->cap_drop_count
                              ? "--cap-add/--cap-drop"
                          : o.init_arg_count ? "--init-arg"
                          : o.storage        ? "--storage"
                          : o.remove         ? "--rm"
                          : o.cgroup_parent  ? "--cgroup-parent"
                                             : NULL;
        if (!why)
            return cli_run_via_bottled(globals, container, o.restart);
        if (o.restart)
            cli_die("run: --restart cannot be combined with %s yet", why);
    }
    char bundle[PATH_MAX], storage_root[PATH_MAX], layer[PATH_MAX];
    bool own_bundle = false;
    struct cli_image_run image = {0};
    if (o.image) {
        stale_bundle(globals, container->name); /* dies when NAME is taken */
        cli_run_image_prepare(globals, &o, &image);
    }
    bool copy_on_write = !o.image && o.storage && strcmp(o.storage, "dir") != 0;
    if (copy_on_write) {
        if (!container->rootfs)
            cli_die("run: --storage %s needs --rootfs", o.storage);
        if (!realpath(container->rootfs, layer))
            cli_die("--rootfs %s: %s", container->rootfs, strerror(errno));
        snprintf(storage_root, sizeof(storage_root), "%s/containers/%s/rootfs", globals->root,
                 container->name);
        container->root_path = storage_root;
    }
    if (o.bundle) {
        snprintf(bundle, sizeof(bundle), "%s", o.bundle);
    } else {
        struct bt_err err = {0};
        char *config = NULL;
        if (bt_bundle_build(container, &config, &err) < 0)
            cli_die("%s", err.msg);
        snprintf(bundle, sizeof(bundle), "%s/bundles/%s", globals->state, container->name);
        mkdirs(bundle);
        char path[PATH_MAX + 16];
        snprintf(path, sizeof(path), "%s/config.json", bundle);
        if (access(path, F_OK) == 0 && stale_bundle(globals, container->name))
            unlink(path);
        FILE *f = fopen(path, "wx");
        if (!f)
            cli_die("container %s exists already (%s: %s)", container->name, path, strerror(errno));
        fputs(config, f);
        if (fclose(f) != 0)
            cli_die("write %s: %s", path, strerror(errno));
        free(config);
        own_bundle = true;
    }
    char shim[PATH_MAX], init[PATH_MAX];
    cli_program_path(globals, "bottle-shim", shim, sizeof(shim));
    cli_program_path(globals, "bottle-init", init, sizeof(init));
    const char *args[16 + 2 * CLI_LIST_MAX + 2 * BT_IMAGE_LAYERS_MAX];
    int n = 0;
    args[n++] = shim;
    int ready[2] = {-1, -1};
    char ready_arg[16];
    if (o.detach) {
        /* Until bottled exists, -d starts the shim detached by itself, as `runc run -d`. */
        if (pipe(ready) < 0)
            cli_die("pipe: %s", strerror(errno));
        fcntl(ready[0], F_SETFD, FD_CLOEXEC);
        snprintf(ready_arg, sizeof(ready_arg), "%d", ready[1]);
        args[n++] = "--ready-fd";
        args[n++] = ready_arg;
        if (o.remove)
            args[n++] = "--rm";
    } else {
        args[n++] = "--foreground";
    }
    args[n++] = "--bundle";
    args[n++] = bundle;
    args[n++] = "--id";
    args[n++] = container->name;
    args[n++] = "--state";
    args[n++] = globals->state;
    args[n++] = "--init";
    args[n++] = init;
    if (own_bundle)
        args[n++] = "--remove-bundle";
    args[n++] = "--root";
    args[n++] = globals->root;
    if (!o.cgroup_parent)
        o.cgroup_parent = getenv("BOTTLE_CGROUP_PARENT");
    if (o.cgroup_parent) {
        args[n++] = "--cgroup-parent";
        args[n++] = o.cgroup_parent;
    }
    if (copy_on_write) {
        args[n++] = "--storage";
        args[n++] = o.storage;
        args[n++] = strcmp(o.storage, "overlay") == 0 ? "--layer" : "--image";
        args[n++] = layer;
    }
    if (o.image)
        n = cli_run_image_args(&image, args, n);
    for (size_t i = 0; i < o.init_arg_count; i++) {
        args[n++] = "--init-arg";
        args[n++] = o.init_args[i];
    }
    args[n] = NULL;
    if (o.detach) {
        if (o.image)
            cli_run_image_keep(); /* the shim removes what it fails to start */
        int ret = start_detached(shim, (char **)args, ready, container->name);
        bt_image_free(&image.image);
        return ret;
    }
    execv(shim, (char **)args);
    int saved = errno;
    if (own_bundle) {
        char path[PATH_MAX + 16];
        snprintf(path, sizeof(path), "%s/config.json", bundle);
        unlink(path);
        rmdir(bundle);
    }
    cli_die("exec %s: %s", shim, strerror(saved));
}
