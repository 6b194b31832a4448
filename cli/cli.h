/* The bottle command: one thin file per verb over lib/. Every verb takes --root, --state (or
 * BOTTLE_ROOT, BOTTLE_STATE) and -h; bad usage exits 125 with one line. */
#ifndef BT_CLI_H
#define BT_CLI_H

#include <json-c/json.h>
#include <stdbool.h>

#include "err.h"

struct cli_globals {
    const char *root;  /* --root: images, layers, logs (default /var/lib/bottle) */
    const char *state; /* --state: sockets, pids, bundles (default /run/bottle) */
    const char *self;  /* the directory bottle runs from, to find bottle-shim and bottle-init */
};

/* Prints "bottle: MESSAGE" and exits 125. */
void cli_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Path of a sibling program (bottle-shim, bottle-init) of the running bottle. */
const char *cli_program_path(const struct cli_globals *globals, const char *name, char *buf,
                             size_t len);

int cli_cmd_spec(const struct cli_globals *globals, int argc, char **argv);
int cli_cmd_run(const struct cli_globals *globals, int argc, char **argv);

/* ---- bundle.c: building a config.json from docker-style options ---- */

struct cli_run_options;

/* Turns OPTIONS into a config.json text in *OUT (caller frees). Returns 0 or -errno with ERR. */
int cli_bundle_build(const struct cli_run_options *options, char **out, struct bt_err *err);

#define CLI_LIST_MAX 64

struct cli_run_options {
    const char *name;
    const char *rootfs;
    const char *bundle;
    bool remove, detach, tty, interactive, read_only, userns;
    const char *env[CLI_LIST_MAX];
    int env_count;
    const char *workdir;
    const char *user;
    const char *hostname;
    long long memory; /* bytes, 0: none */
    double cpus;      /* 0: none */
    long long pids_limit;
    const char *ulimits[CLI_LIST_MAX];
    int ulimit_count;
    const char *volumes[CLI_LIST_MAX];
    int volume_count;
    const char *tmpfs[CLI_LIST_MAX];
    int tmpfs_count;
    const char *network; /* none | host */
    const char *cap_add[CLI_LIST_MAX];
    int cap_add_count;
    const char *cap_drop[CLI_LIST_MAX];
    int cap_drop_count;
    const char *init_args[CLI_LIST_MAX];
    int init_arg_count;
    char **command;        /* NULL-terminated; NULL: the image's default (sh) */
    const char *storage;   /* dir (default), overlay or btrfs */
    const char *root_path; /* root.path to write: the rootfs, or the shim's storage mount point */
};

#endif
