/* bottle-shim's command line. It is started by `bottle run` and bottled, not by hand, but a
 * bad option still gets a one-line message and exit 125. */
#include "shim.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "name.h"

static const char usage[] =
    "Usage: bottle-shim [OPTIONS] --bundle DIR --id NAME\n"
    "\n"
    "Creates the container NAME from the OCI bundle DIR and babysits it.\n"
    "\n"
    "  -b, --bundle DIR        the OCI bundle (config.json and rootfs)\n"
    "  -n, --id NAME           the container's name\n"
    "  -s, --state DIR         state directory (default $BOTTLE_STATE or /run/bottle)\n"
    "      --init PATH         bottle-init to run as PID 1 (default: beside bottle-shim)\n"
    "      --cgroup-parent P   cgroup parent (default $BOTTLE_CGROUP_PARENT or bottle)\n"
    "      --init-arg ARG      pass ARG to bottle-init (repeatable)\n"
    "      --no-netns-name     do not bind a new network namespace at /run/netns/NAME (by\n"
    "                          default it is, so that `ip netns exec NAME` works)\n"
    "  -f, --foreground        stay attached to the caller: stdio, signals, exit status\n"
    "      --ready-fd N        detached: report start-up (\"ok\\n\" or the error) on fd N\n"
    "      --remove-bundle     delete BUNDLE/config.json and BUNDLE when done (bottle run)\n"
    "      --root DIR          where logs go (default $BOTTLE_ROOT or /var/lib/bottle)\n"
    "      --log PATH          detached: the log file (default ROOT/containers/ID/container.log)\n"
    "      --log-size BYTES    rotate the log at this size (default 10 MiB)\n"
    "      --log-files N       rotated log files kept (default 3)\n"
    "      --storage KIND      dir (root.path as is), overlay (--layer DIR..., base first) or\n"
    "                          btrfs (--image SUBVOLUME); the container's rootfs is then\n"
    "                          ROOT/containers/ID/rootfs, which root.path must name\n"
    "      --rm                remove state, storage and log when the container exits\n"
    "  -v, --verbose           more output\n"
    "  -h, --help              this help\n";

static __attribute__((noreturn)) void bad_usage(const char *message, const char *arg)
{
    bt_log_error("%s%s", message, arg ? arg : "");
    exit(125);
}

static const char *default_init(void)
{
    static char path[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 32);
    if (n <= 0)
        return "/usr/local/bin/bottle-init";
    path[n] = '\0';
    char *slash = strrchr(path, '/');
    strcpy(slash ? slash + 1 : path, "bottle-init");
    return path;
}

void shim_parse_options(struct shim_options *options, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"bundle", required_argument, NULL, 'b'},
        {"id", required_argument, NULL, 'n'},
        {"state", required_argument, NULL, 's'},
        {"init", required_argument, NULL, 'I'},
        {"cgroup-parent", required_argument, NULL, 'C'},
        {"init-arg", required_argument, NULL, 'A'},
        {"no-netns-name", no_argument, NULL, 'N'},
        {"foreground", no_argument, NULL, 'f'},
        {"ready-fd", required_argument, NULL, 'R'},
        {"remove-bundle", no_argument, NULL, 'X'},
        {"root", required_argument, NULL, 'r'},
        {"log", required_argument, NULL, 'L'},
        {"log-size", required_argument, NULL, 'Z'},
        {"log-files", required_argument, NULL, 'F'},
        {"storage", required_argument, NULL, 'D'},
        {"layer", required_argument, NULL, 'Y'},
        {"image", required_argument, NULL, 'G'},
        {"rm", no_argument, NULL, 'W'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    memset(options, 0, sizeof(*options));
    options->ready_fd = -1;
    options->cgroup_parent =
        getenv("BOTTLE_CGROUP_PARENT") ? getenv("BOTTLE_CGROUP_PARENT") : "bottle";
    options->state_root = getenv("BOTTLE_STATE") ? getenv("BOTTLE_STATE") : "/run/bottle";
    options->root = getenv("BOTTLE_ROOT") ? getenv("BOTTLE_ROOT") : "/var/lib/bottle";
    options->log_max_size = 10 << 20;
    options->log_max_files = 3;
    int opt;
    while ((opt = getopt_long(argc, argv, "+b:n:s:fvh", longopts, NULL)) != -1) {
        switch (opt) {
        case 'b': options->bundle = optarg; break;
        case 'n': options->id = optarg; break;
        case 's': options->state_root = optarg; break;
        case 'I': options->init_path = optarg; break;
        case 'C': options->cgroup_parent = optarg; break;
        case 'A':
            if (options->init_args_count == SHIM_INIT_ARGS_MAX)
                bad_usage("too many --init-arg", NULL);
            options->init_args[options->init_args_count++] = optarg;
            break;
        case 'N': options->no_netns_name = true; break;
        case 'f': options->foreground = true; break;
        case 'R': options->ready_fd = atoi(optarg); break;
        case 'X': options->remove_bundle = true; break;
        case 'D':
            if (strcmp(optarg, "dir") == 0)
                options->storage = BT_ROOTFS_DIR;
            else if (strcmp(optarg, "overlay") == 0)
                options->storage = BT_ROOTFS_OVERLAY;
            else if (strcmp(optarg, "btrfs") == 0)
                options->storage = BT_ROOTFS_BTRFS;
            else
                bad_usage("--storage must be dir, overlay or btrfs: ", optarg);
            break;
        case 'Y':
            if (options->layer_count == SHIM_LAYERS_MAX)
                bad_usage("too many --layer", NULL);
            if (optarg[0] != '/')
                bad_usage("--layer needs an absolute path: ", optarg);
            options->layers[options->layer_count++] = optarg;
            break;
        case 'G':
            if (optarg[0] != '/')
                bad_usage("--image needs an absolute path: ", optarg);
            options->image = optarg;
            break;
        case 'W': options->remove = true; break;
        case 'r': options->root = optarg; break;
        case 'L': options->log_path = optarg; break;
        case 'Z':
            options->log_max_size = atoll(optarg);
            if (options->log_max_size < 4096)
                bad_usage("--log-size must be at least 4096: ", optarg);
            break;
        case 'F':
            options->log_max_files = atoi(optarg);
            if (options->log_max_files < 0 || options->log_max_files > 100)
                bad_usage("--log-files must be 0..100: ", optarg);
            break;
        case 'v': bt_log_set_level(bt_log_level() + 1); break;
        case 'h': fputs(usage, stdout); exit(0);
        default: exit(125);
        }
    }
    if (optind < argc)
        bad_usage("unexpected argument: ", argv[optind]);
    if (!options->bundle)
        bad_usage("--bundle is required", NULL);
    if (!options->id)
        bad_usage("--id is required", NULL);
    if (!bt_name_valid(options->id))
        bad_usage("invalid container name (letters, digits, '_', '.', '-'; at most 64): ",
                  options->id);
    if (!options->init_path)
        options->init_path = default_init();
}
