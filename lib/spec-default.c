/* bt_spec_default_json: the config.json that `bottle spec` writes, built with json-c. It must
 * always pass bt_spec_parse. */
#include "mount.h" /* crun's default masked and read-only paths */
#include "spec-internal.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

/* Builds JSON with json-c. KEEP holds a reference to every object and array made, so that a
 * failed allocation anywhere never leaves a dangling parent: the builder just notes it and
 * reads on as the document it writes. */
struct builder {
    struct json_object *keep;
    bool failed;
};

/* Attaches VALUE to PARENT under KEY, or at the end of the array PARENT when KEY is NULL. */
static void add(struct builder *b, struct json_object *parent, const char *key,
                struct json_object *value)
{
    int ret = -1;
    if (parent && value)
        ret =
            key ? json_object_object_add(parent, key, value) : json_object_array_add(parent, value);
    if (ret < 0) {
        json_object_put(value);
        b->failed = true;
    }
}

/* Attaches the new object or array FRESH to PARENT (when not NULL) and returns it; it stays
 * valid until KEEP is released, even when attaching failed. */
static struct json_object *node(struct builder *b, struct json_object *parent, const char *key,
                                struct json_object *fresh)
{
    if (!fresh || json_object_array_add(b->keep, fresh) < 0) {
        json_object_put(fresh);
        b->failed = true;
        return NULL;
    }
    if (parent)
        add(b, parent, key, json_object_get(fresh));
    return fresh;
}

static struct json_object *strings(struct builder *b, struct json_object *parent, const char *key,
                                   const char *const *list)
{
    struct json_object *array = node(b, parent, key, json_object_new_array());
    for (; *list; list++)
        add(b, array, NULL, json_object_new_string(*list));
    return array;
}

static void default_mount(struct builder *b, struct json_object *mounts, const char *destination,
                          const char *type, const char *source, const char *const *options)
{
    struct json_object *mount = node(b, mounts, NULL, json_object_new_object());
    add(b, mount, "destination", json_object_new_string(destination));
    add(b, mount, "type", json_object_new_string(type));
    add(b, mount, "source", json_object_new_string(source));
    if (options)
        strings(b, mount, "options", options);
}

char *bt_spec_default_json(void)
{
    /* docker's default capability set (moby's oci/caps/defaults.go). */
    static const char *const docker_caps[] = {"CAP_CHOWN",
                                              "CAP_DAC_OVERRIDE",
                                              "CAP_FSETID",
                                              "CAP_FOWNER",
                                              "CAP_MKNOD",
                                              "CAP_NET_RAW",
                                              "CAP_SETGID",
                                              "CAP_SETUID",
                                              "CAP_SETFCAP",
                                              "CAP_SETPCAP",
                                              "CAP_NET_BIND_SERVICE",
                                              "CAP_SYS_CHROOT",
                                              "CAP_KILL",
                                              "CAP_AUDIT_WRITE",
                                              NULL};
    static const char *const none[] = {NULL};
    static const char *const env[] = {
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm", NULL};
    static const char *const args[] = {"sh", NULL};
    static const char *const dev_options[] = {"nosuid", "strictatime", "mode=755", "size=65536k",
                                              NULL};
    static const char *const pts_options[] = {"nosuid",    "noexec", "newinstance", "ptmxmode=0666",
                                              "mode=0620", "gid=5",  NULL};
    static const char *const shm_options[] = {"nosuid",    "noexec",      "nodev",
                                              "mode=1777", "size=65536k", NULL};
    static const char *const mqueue_options[] = {"nosuid", "noexec", "nodev", NULL};
    static const char *const sys_options[] = {"nosuid", "noexec", "nodev", "ro", NULL};
    static const char *const namespaces[] = {"pid",   "network", "ipc", "uts",
                                             "mount", "cgroup",  NULL};
    cleanup_json struct json_object *keep = json_object_new_array();
    struct builder b = {keep, keep == NULL};
    if (!keep)
        return NULL;
    struct json_object *top = node(&b, NULL, NULL, json_object_new_object());
    add(&b, top, "ociVersion", json_object_new_string("1.0.2"));

    struct json_object *process = node(&b, top, "process", json_object_new_object());
    add(&b, process, "terminal", json_object_new_boolean(1));
    struct json_object *user = node(&b, process, "user", json_object_new_object());
    add(&b, user, "uid", json_object_new_int(0));
    add(&b, user, "gid", json_object_new_int(0));
    strings(&b, process, "args", args);
    strings(&b, process, "env", env);
    add(&b, process, "cwd", json_object_new_string("/"));
    struct json_object *caps = node(&b, process, "capabilities", json_object_new_object());
    strings(&b, caps, "bounding", docker_caps);
    strings(&b, caps, "effective", docker_caps);
    strings(&b, caps, "inheritable", none);
    strings(&b, caps, "permitted", docker_caps);
    strings(&b, caps, "ambient", none);
    struct json_object *rlimit_list = node(&b, process, "rlimits", json_object_new_array());
    struct json_object *nofile = node(&b, rlimit_list, NULL, json_object_new_object());
    add(&b, nofile, "type", json_object_new_string("RLIMIT_NOFILE"));
    add(&b, nofile, "hard", json_object_new_int(1024));
    add(&b, nofile, "soft", json_object_new_int(1024));
    add(&b, process, "noNewPrivileges", json_object_new_boolean(1));

    struct json_object *root = node(&b, top, "root", json_object_new_object());
    add(&b, root, "path", json_object_new_string("rootfs"));
    add(&b, root, "readonly", json_object_new_boolean(1));
    add(&b, top, "hostname", json_object_new_string("bottle"));

    struct json_object *mounts = node(&b, top, "mounts", json_object_new_array());
    default_mount(&b, mounts, "/proc", "proc", "proc", NULL);
    default_mount(&b, mounts, "/dev", "tmpfs", "tmpfs", dev_options);
    default_mount(&b, mounts, "/dev/pts", "devpts", "devpts", pts_options);
    default_mount(&b, mounts, "/dev/shm", "tmpfs", "shm", shm_options);
    default_mount(&b, mounts, "/dev/mqueue", "mqueue", "mqueue", mqueue_options);
    default_mount(&b, mounts, "/sys", "sysfs", "sysfs", sys_options);

    struct json_object *linux_obj = node(&b, top, "linux", json_object_new_object());
    struct json_object *resources = node(&b, linux_obj, "resources", json_object_new_object());
    struct json_object *devices = node(&b, resources, "devices", json_object_new_array());
    struct json_object *deny_all = node(&b, devices, NULL, json_object_new_object());
    add(&b, deny_all, "allow", json_object_new_boolean(0));
    add(&b, deny_all, "access", json_object_new_string("rwm"));
    struct json_object *ns_list = node(&b, linux_obj, "namespaces", json_object_new_array());
    for (const char *const *type = namespaces; *type; type++) {
        struct json_object *ns = node(&b, ns_list, NULL, json_object_new_object());
        add(&b, ns, "type", json_object_new_string(*type));
    }
    strings(&b, linux_obj, "maskedPaths", bt_mount_default_masked_paths);
    strings(&b, linux_obj, "readonlyPaths", bt_mount_default_readonly_paths);
    if (b.failed)
        return NULL;

    const char *text = json_object_to_json_string_ext(top, JSON_C_TO_STRING_PRETTY |
                                                               JSON_C_TO_STRING_NOSLASHESCAPE);
    char *out;
    if (!text || asprintf(&out, "%s\n", text) < 0)
        return NULL;
    return out;
}
