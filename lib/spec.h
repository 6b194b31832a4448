/* OCI runtime-spec 1.x bundles: loads and strictly validates config.json into a plain C struct
 * that bottle-shim applies, and writes the default config.json of `bottle spec`. Never accepts
 * a key it does not understand: unknown or unsupported keys are errors, never ignored. */
#ifndef BT_SPEC_H
#define BT_SPEC_H

#include "err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Limits on what a config.json may hold: a spec beyond them is refused, not truncated. */
#define BT_SPEC_FILE_MAX     (4u << 20) /* bytes of config.json */
#define BT_SPEC_STRING_MAX   4096       /* paths, names, options (PATH_MAX) */
#define BT_SPEC_ARG_MAX      131072     /* one args/env entry (the kernel's MAX_ARG_STRLEN) */
#define BT_SPEC_ARGS_MAX     4096       /* entries in process.args, and in process.env */
#define BT_SPEC_EXEC_MAX     (2u << 20) /* bytes of args + env together */
#define BT_SPEC_ITEMS_MAX    1024       /* mounts, masked paths, devices, sysctls, annotations */
#define BT_SPEC_GROUPS_MAX   65536      /* process.user.additionalGids (NGROUPS_MAX) */
#define BT_SPEC_IDMAP_MAX    340        /* lines in uid_map / gid_map (the kernel's limit) */
#define BT_SPEC_MOUNT_DATA   4096       /* mount(2) copies at most one page of data */
#define BT_SPEC_HOSTNAME_MAX 64         /* HOST_NAME_MAX */

enum bt_spec_ns_type {
    BT_SPEC_NS_PID,
    BT_SPEC_NS_NETWORK,
    BT_SPEC_NS_MOUNT,
    BT_SPEC_NS_IPC,
    BT_SPEC_NS_UTS,
    BT_SPEC_NS_USER,
    BT_SPEC_NS_CGROUP,
    BT_SPEC_NS_COUNT,
};

struct bt_spec_namespace {
    enum bt_spec_ns_type type;
    char *path; /* absolute path of a namespace to join (setns), or NULL: create one */
};

struct bt_spec_id_map {
    uint32_t container_id, host_id, size; /* size > 0; neither range wraps past 2^32 */
};

struct bt_spec_rlimit {
    int resource;        /* RLIMIT_* */
    uint64_t soft, hard; /* soft <= hard; UINT64_MAX is RLIM_INFINITY */
};

/* Capability sets as bit masks: bit N is capability N (CAP_CHOWN = 0, ...). */
struct bt_spec_caps {
    uint64_t bounding, effective, inheritable, permitted, ambient;
};

struct bt_spec_mount {
    char *destination;   /* absolute, no ".." component */
    char *type;          /* NULL when absent (bind mounts) */
    char *source;        /* NULL when absent; a relative bind source is made absolute against the
                          * bundle directory */
    unsigned long flags; /* MS_* from options, propagation excluded; MS_BIND for type "bind" and
                          * for the option bind, MS_BIND|MS_REC for rbind */
    unsigned long propagation; /* MS_PRIVATE/MS_SHARED/MS_SLAVE/MS_UNBINDABLE [|MS_REC] or 0;
                                * needs its own mount(2) call after the mount */
    char *data;                /* the other options joined with ',' ("mode=755,size=64k"), or
                                * NULL */
};

struct bt_spec_device_rule {
    bool allow;
    char type;      /* 'a', 'b' or 'c' */
    int64_t major;  /* -1: any */
    int64_t minor;  /* -1: any */
    char access[4]; /* a non-empty subset of "rwm", NUL-terminated */
};

/* A key/value pair: sysctls and annotations, in file order. */
struct bt_spec_kv {
    char *key, *value;
};

struct bt_spec_resources {
    /* memory: -1 means unlimited; swap is memory+swap, as in the runtime-spec */
    bool has_memory_limit, has_memory_reservation, has_memory_swap;
    int64_t memory_limit, memory_reservation, memory_swap;
    /* cpu: 0 in config.json means unset for shares, quota and period, as in runc */
    bool has_cpu_shares, has_cpu_quota, has_cpu_period;
    uint64_t cpu_shares; /* 2..262144 (v1 cpu.shares; convert for v2 cpu.weight) */
    int64_t cpu_quota;   /* microseconds per period (>= 1000), -1: unlimited */
    uint64_t cpu_period; /* microseconds, 1000..1000000 */
    char *cpu_cpus;      /* cpuset list "0-3,6" or NULL */
    char *cpu_mems;      /* memory node list or NULL */
    /* pids: -1 (or 0, as runc) means unlimited */
    bool has_pids_limit;
    int64_t pids_limit;
    /* blockIO: a weight of 0 means unset */
    bool has_blkio_weight;
    uint16_t blkio_weight; /* 10..1000 */
    /* device cgroup rules, in order: the last matching rule wins */
    struct bt_spec_device_rule *devices;
    size_t devices_len;
};

struct bt_spec_process {
    bool terminal;
    bool has_console_size;
    unsigned short console_height, console_width;
    uint32_t uid, gid; /* 0 when process.user is absent */
    bool has_umask;
    uint32_t umask; /* <= 0777 */
    uint32_t *additional_gids;
    size_t additional_gids_len;
    char **args; /* at least one; NULL-terminated, ready for execve */
    size_t args_len;
    char **env; /* every entry is NAME=VALUE; NULL-terminated (an empty list when absent) */
    size_t env_len;
    char *cwd;             /* absolute */
    bool has_capabilities; /* false when process.capabilities is absent */
    struct bt_spec_caps caps;
    struct bt_spec_rlimit *rlimits; /* each resource at most once */
    size_t rlimits_len;
    bool no_new_privileges;
    bool has_oom_score_adj;
    int oom_score_adj; /* -1000..1000 */
};

/* A validated spec. Every pointer is owned by the struct and freed by bt_spec_free; optional
 * strings are NULL when absent, optional numbers have a has_ flag. String lists are also
 * NULL-terminated. */
struct bt_spec {
    char *config_path; /* BUNDLE/config.json, as used in error messages */
    char *bundle_dir;  /* canonical (realpath) bundle directory */
    char *oci_version;
    char *root_path; /* root.path as written */
    char *rootfs;    /* canonical absolute path of the rootfs, an existing directory */
    bool root_readonly;
    struct bt_spec_process process;
    char *hostname;   /* NULL when absent */
    char *domainname; /* NULL when absent */
    struct bt_spec_mount *mounts;
    size_t mounts_len;
    /* linux */
    struct bt_spec_namespace *namespaces; /* each type at most once, in file order */
    size_t namespaces_len;
    struct bt_spec_id_map *uid_mappings, *gid_mappings;
    size_t uid_mappings_len, gid_mappings_len;
    struct bt_spec_resources resources;
    char *cgroups_path; /* NULL when absent */
    struct bt_spec_kv *sysctl;
    size_t sysctl_len;
    char **masked_paths;
    size_t masked_paths_len;
    char **readonly_paths;
    size_t readonly_paths_len;
    unsigned long rootfs_propagation; /* MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE [|MS_REC],
                                       * 0 when absent */
    struct bt_spec_kv *annotations;
    size_t annotations_len;
};

/* Reads BUNDLE_DIR/config.json (at most BT_SPEC_FILE_MAX bytes) and validates it as
 * bt_spec_parse does. On success stores a new spec in *OUT (free it with bt_spec_free) and
 * returns 0. On failure leaves *OUT NULL, fills ERR with one line and returns -EINVAL for an
 * invalid spec (bottle's exit code 125), -ENOMEM, or -errno when config.json cannot be read
 * ("BUNDLE/config.json: No such file or directory"). */
int bt_spec_load(const char *bundle_dir, struct bt_spec **out, struct bt_err *err);

/* Parses and validates the NUL-terminated config.json text JSON_TEXT of the existing bundle
 * directory BUNDLE_DIR; messages name the file BUNDLE_DIR/config.json. Results as
 * bt_spec_load. A message reads "FILE: KEY.PATH: reason", "FILE: unknown key 'KEY.PATH'" or,
 * for bad JSON, "FILE:LINE:COLUMN: invalid JSON: reason".
 *
 * Refused besides unknown keys, wrong types and out-of-range values: duplicate keys, integers
 * beyond 64 bits, keys bottle does not support unless empty (seccomp, hooks, apparmorProfile,
 * selinuxLabel, linux.devices, ...); relative or ".." paths for mounts, maskedPaths,
 * readonlyPaths and namespace paths, a relative cwd; unknown or repeated namespaces,
 * capabilities and rlimits; rlimit soft > hard; a spec without a mount namespace, a hostname
 * without a uts namespace, a sysctl outside the container's namespaces, id mappings that do
 * not match the user namespace or leave the process's uid/gid unmapped; a root.path that is
 * not an existing directory, or that is relative and resolves (through ".." or a symlink)
 * outside the bundle. The rootfs check is a snapshot: the shim still opens spec->rootfs once
 * and works from that fd. */
int bt_spec_parse(const char *json_text, const char *bundle_dir, struct bt_spec **out,
                  struct bt_err *err);

/* Frees SPEC and everything it owns. NULL is fine. */
void bt_spec_free(struct bt_spec *spec);

/* Returns a new default config.json, as `crun spec` / `runc spec` print it (rootful; args
 * ["sh"], terminal, docker's default capabilities, RLIMIT_NOFILE 1024, new pid, network, ipc,
 * uts, mount and cgroup namespaces, root.path "rootfs"), ending with a newline. The caller
 * frees it with free(). NULL when out of memory. */
char *bt_spec_default_json(void);

/* Returns the runtime-spec name of a namespace type ("pid", "network", ...). */
const char *bt_spec_ns_name(enum bt_spec_ns_type type);

/* Returns the CLONE_NEW* flag of a namespace type. */
int bt_spec_ns_clone_flag(enum bt_spec_ns_type type);

/* Returns the namespace entry of TYPE in SPEC, or NULL when the spec does not list it. */
const struct bt_spec_namespace *bt_spec_find_ns(const struct bt_spec *spec,
                                                enum bt_spec_ns_type type);

#endif
