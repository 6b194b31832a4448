/* OCI bundles from docker-style options or from one of bottled's service specs: the default
 * spec (`bottle spec`) changed as the options say, and config.json written into a bundle
 * directory. `bottle run` and bottled share it, so the two never build containers differently.
 * The text it builds is not validated here: bottle-shim's bt_spec_load does that. */
#ifndef BT_BUNDLE_H
#define BT_BUNDLE_H

#include "err.h"
#include "procattr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bt_svcspec_service;

enum bt_bundle_mount_type {
    BT_BUNDLE_MOUNT_BIND,
    BT_BUNDLE_MOUNT_TMPFS,
};

/* A mount given field by field (bottled's "mounts"), rather than as a -v/--tmpfs string. */
struct bt_bundle_mount {
    enum bt_bundle_mount_type type;
    const char *source; /* BIND: a host path, resolved with realpath(3); TMPFS: unused */
    const char *target; /* an absolute path in the container */
    bool readonly;
};

/* What a container is made of. Zero means "not set" throughout: a zeroed struct with only
 * rootfs set gives the default spec on that rootfs. Lists are a pointer and a count; no list
 * has a limit here (bt_spec_load enforces config.json's). Nothing is copied: the strings must
 * outlive the call. */
struct bt_bundle_options {
    const char *name;           /* the hostname when hostname is NULL */
    const char *rootfs;         /* required: the rootfs on the host; -u names are looked up in it */
    const char *root_path;      /* root.path to write; NULL: the canonical path of rootfs */
    bool tty;                   /* process.terminal */
    bool read_only;             /* root.readonly */
    bool userns;                /* a user namespace whose root is host uid/gid 100000 (65536 ids) */
    const char *const *command; /* process.args; command_count 0: the default spec's ("sh") */
    size_t command_count;
    const char *const *env; /* "NAME=VALUE" sets (replacing the default's NAME); a bare "NAME"
                             * takes its value from our environment and is skipped when unset,
                             * as docker's -e NAME */
    size_t env_count;
    const char *workdir;  /* process.cwd; NULL: "/" */
    const char *user;     /* docker's -u: "name", "uid", "name:group", "uid:gid" */
    const char *hostname; /* NULL: name, or the default spec's when name is NULL too */
    long long memory;     /* bytes */
    double cpus;          /* CPUs: quota per 100 ms period, rounded to 1 us (0.5: 50 ms) */
    long long pids_limit;
    uint32_t io_weight;              /* linux.resources.blockIO.weight (10..1000) */
    const struct bt_rlimit *rlimits; /* each replaces the default for its resource */
    size_t rlimit_count;
    const char *const *ulimits; /* docker's --ulimit "nofile=SOFT[:HARD]", after rlimits */
    size_t ulimit_count;
    const char *const *volumes; /* docker's -v "SRC:DST[:ro|rw]" */
    size_t volume_count;
    const char *const *tmpfs; /* docker's --tmpfs DIR (nosuid, nodev, noexec) */
    size_t tmpfs_count;
    const struct bt_bundle_mount *mounts; /* after the volumes and tmpfs, in order */
    size_t mount_count;
    const char *network;        /* NULL or "none": a new, empty network namespace;
                                 * "host": the host's */
    const char *const *cap_add; /* docker's --cap-add/--cap-drop, on docker's default set */
    size_t cap_add_count;
    const char *const *cap_drop;
    size_t cap_drop_count;
    const char *readiness; /* annotation org.bottle.readiness for bottle-shim: "sd_notify" or
                            * "fd:N"; NULL: none */
    /* An image's config (lib/image), merged the docker way: process.args is the entrypoint and
     * then command (or else image_cmd); env is image_env overridden by env; workdir and user
     * win over image_workdir and image_user; image_stop_signal becomes the annotation
     * org.opencontainers.image.stopSignal. */
    const char *const *image_entrypoint;
    size_t image_entrypoint_count;
    const char *const *image_cmd;
    size_t image_cmd_count;
    const char *const *image_env;
    size_t image_env_count;
    const char *image_workdir, *image_user, *image_stop_signal;
};

/* Builds the config.json text for O: the default spec with what O sets. Returns 0 and stores a
 * new NUL-terminated text (no trailing newline) in *OUT_JSON, which the caller frees; or
 * -errno with one line in ERR and *OUT_JSON untouched. Messages name docker's flags, as
 * `bottle run` prints them: "--rootfs DIR: No such file or directory", "-v SPEC: the container
 * path must be absolute", "--tmpfs DIR: the path must be absolute", "-u SPEC: ...",
 * "--ulimit SPEC: ...", 'unknown capability: "CAP_BOGUS"'. Mounts given as struct
 * bt_bundle_mount fail with "mount TARGET: ...". Reads the rootfs's etc/passwd and etc/group
 * (for user) and resolves volume sources on the host; writes nothing. */
int bt_bundle_build(const struct bt_bundle_options *o, char **out_json, struct bt_err *err);

/* Builds the config.json text for the service SVC (as bt_svcspec_parse leaves it) on the
 * rootfs ROOTFS_PATH (NULL: svc->rootfs), which is also root.path: command, env, workdir,
 * user, hostname (else the service's name), memory, cpus, pids, io_weight, rlimits, network
 * none or host, bind and tmpfs mounts (read-only ones get "ro"). Docker's default capabilities;
 * no terminal. Fails with -ENOTSUP for what bottle cannot do yet ("network bridge is not
 * supported yet", "ports are not supported yet", "image NAME: images are not supported yet"
 * when there is no rootfs at all); otherwise as bt_bundle_build, with messages that name the
 * spec's keys ("rootfs PATH: ...", "user SPEC: ...", "mount TARGET: source PATH: ..."). The
 * caller adds the service's name as context. Results and ownership as bt_bundle_build. */
int bt_bundle_from_service(const struct bt_svcspec_service *svc, const char *rootfs_path,
                           char **out_json, struct bt_err *err);

/* Writes JSON as DIR/config.json: creates DIR (mode 0700; missing parents 0711, as `bottle
 * run` makes its state dirs) and replaces any config.json there atomically (a temporary file
 * in DIR, fsync'ed, then renamed; mode 0644), so a reader sees the old file or the new one,
 * never part of one. Returns 0 or -errno with ERR ("create DIR: ...", "write DIR/config.json:
 * ..."); a failed write leaves no temporary file behind. */
int bt_bundle_write(const char *dir, const char *json, struct bt_err *err);

#endif
