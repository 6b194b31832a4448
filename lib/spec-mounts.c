/* config.json's "mounts": destinations, mount options split into flags, propagation and
 * filesystem data, and bind sources resolved against the bundle. */
#include "spec-internal.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

const struct name_value bt_spec_i_propagations[] = {
    {"private", MS_PRIVATE},
    {"rprivate", MS_PRIVATE | MS_REC},
    {"shared", MS_SHARED},
    {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},
    {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE},
    {"runbindable", MS_UNBINDABLE | MS_REC},
    {NULL, 0},
};

/* Mount options that are flags: CLEAR ones reset FLAG, the others set it. */
static const struct {
    const char *name;
    bool clear;
    unsigned long flag;
} mount_flags[] = {
    {"defaults", false, 0},
    {"ro", false, MS_RDONLY},
    {"rw", true, MS_RDONLY},
    {"nosuid", false, MS_NOSUID},
    {"suid", true, MS_NOSUID},
    {"nodev", false, MS_NODEV},
    {"dev", true, MS_NODEV},
    {"noexec", false, MS_NOEXEC},
    {"exec", true, MS_NOEXEC},
    {"sync", false, MS_SYNCHRONOUS},
    {"async", true, MS_SYNCHRONOUS},
    {"dirsync", false, MS_DIRSYNC},
    {"remount", false, MS_REMOUNT},
    {"mand", false, MS_MANDLOCK},
    {"nomand", true, MS_MANDLOCK},
    {"noatime", false, MS_NOATIME},
    {"atime", true, MS_NOATIME},
    {"nodiratime", false, MS_NODIRATIME},
    {"diratime", true, MS_NODIRATIME},
    {"relatime", false, MS_RELATIME},
    {"norelatime", true, MS_RELATIME},
    {"strictatime", false, MS_STRICTATIME},
    {"nostrictatime", true, MS_STRICTATIME},
    {"lazytime", false, MS_LAZYTIME},
    {"nolazytime", true, MS_LAZYTIME},
    {"nosymfollow", false, MS_NOSYMFOLLOW},
    {"symfollow", true, MS_NOSYMFOLLOW},
    {"silent", false, MS_SILENT},
    {"loud", true, MS_SILENT},
    {"bind", false, MS_BIND},
    {"rbind", false, MS_BIND | MS_REC},
};

/* Options of crun or runc that bottle does not implement: refused rather than handed to the
 * kernel as filesystem data, where they would fail obscurely. */
static const char *const unsupported_mount_options[] = {
    "idmap",        "ridmap",    "tmpcopyup",    "notmpcopyup",  "copy-symlink",
    "src-nofollow", "rro",       "rrw",          "rnosuid",      "rsuid",
    "rnodev",       "rdev",      "rnoexec",      "rexec",        "rnoatime",
    "ratime",       "rrelatime", "rnorelatime",  "rstrictatime", "rnostrictatime",
    "rnodiratime",  "rdiratime", "rnosymfollow", "rsymfollow",   NULL,
};

static int parse_mount_options(struct ctx *c, const char *path, struct json_object *list,
                               struct bt_spec_mount *mount)
{
    char p[BT_JSONREAD_PATH_MAX], shown[BT_JSONREAD_SHOWN_MAX];
    char data[BT_SPEC_MOUNT_DATA];
    size_t n, data_len = 0;
    int ret = bt_jsonread_get_array(&c->json, path, list, BT_SPEC_ITEMS_MAX, &n);
    if (ret < 0)
        return ret;
    for (size_t i = 0; i < n; i++) {
        const char *option;
        ret = bt_jsonread_get_str(&c->json, bt_jsonread_item(p, path, i),
                                  json_object_array_get_idx(list, i), BT_SPEC_STRING_MAX, &option);
        if (ret < 0)
            return ret;
        bt_jsonread_printable(shown, sizeof(shown), option);
        if (!*option || strchr(option, ','))
            return bt_jsonread_fail(&c->json, p, "'%s' is not one mount option", shown);
        if (bt_jsonread_listed(unsupported_mount_options, option))
            return bt_jsonread_fail(&c->json, p, "mount option '%s' is not supported", shown);
        int propagation = bt_spec_i_lookup(bt_spec_i_propagations, option);
        if (propagation >= 0) {
            mount->propagation = (unsigned long)propagation;
            continue;
        }
        size_t f = 0, count = sizeof(mount_flags) / sizeof(mount_flags[0]);
        while (f < count && strcmp(mount_flags[f].name, option) != 0)
            f++;
        if (f < count) {
            if (mount_flags[f].clear)
                mount->flags &= ~mount_flags[f].flag;
            else
                mount->flags |= mount_flags[f].flag;
            continue;
        }
        /* Anything else is the filesystem's business ("mode=755", "newinstance"). */
        size_t len = strlen(option);
        if (data_len + !!data_len + len >= sizeof(data))
            return bt_jsonread_fail(&c->json, p,
                                    "filesystem options are too long together (limit %d bytes)",
                                    BT_SPEC_MOUNT_DATA - 1);
        if (data_len)
            data[data_len++] = ',';
        memcpy(data + data_len, option, len + 1);
        data_len += len;
    }
    if (data_len && !(mount->data = strdup(data)))
        return bt_jsonread_oom(&c->json);
    return 0;
}

int bt_spec_i_parse_mounts(struct ctx *c, const char *path, struct json_object *list)
{
    static const char *const known[] = {"destination", "type", "source", "options", NULL};
    static const struct bt_jsonread_unsupported unsupported[] = {
        {"uidMappings", "idmapped mounts are not supported"},
        {"gidMappings", "idmapped mounts are not supported"},
        {NULL, NULL}};
    struct bt_spec *spec = c->spec;
    char p[BT_JSONREAD_PATH_MAX], q[BT_JSONREAD_PATH_MAX];
    size_t n;
    int ret = bt_jsonread_get_array(&c->json, path, list, BT_SPEC_ITEMS_MAX, &n);
    if (ret < 0)
        return ret;
    spec->mounts = calloc(n ? n : 1, sizeof(*spec->mounts));
    if (!spec->mounts)
        return bt_jsonread_oom(&c->json);
    spec->mounts_len = n;
    for (size_t i = 0; i < n; i++) {
        struct json_object *obj = json_object_array_get_idx(list, i), *options;
        struct bt_spec_mount *mount = &spec->mounts[i];
        bt_jsonread_item(p, path, i);
        ret = bt_spec_i_check_keys(c, p, obj, known, unsupported);
        if (ret == 0)
            ret = bt_jsonread_field_str(&c->json, p, obj, "destination", true, BT_SPEC_STRING_MAX,
                                        &mount->destination);
        if (ret == 0)
            ret = bt_jsonread_check_abs_path(&c->json, bt_jsonread_sub(q, p, "destination"),
                                             mount->destination, true);
        if (ret == 0)
            ret = bt_jsonread_field_str(&c->json, p, obj, "type", false, BT_SPEC_STRING_MAX,
                                        &mount->type);
        if (ret == 0)
            ret = bt_jsonread_field_str(&c->json, p, obj, "source", false, BT_SPEC_STRING_MAX,
                                        &mount->source);
        if (ret == 0 && (options = bt_jsonread_member(obj, "options")))
            ret = parse_mount_options(c, bt_jsonread_sub(q, p, "options"), options, mount);
        if (ret < 0)
            return ret;
        bool bind = (mount->flags & MS_BIND) || (mount->type && strcmp(mount->type, "bind") == 0);
        if (bind)
            mount->flags |= MS_BIND;
        if (bind && (!mount->source || !*mount->source))
            return bt_jsonread_fail(&c->json, bt_jsonread_sub(q, p, "source"),
                                    "a bind mount needs a source");
        /* The runtime-spec resolves a relative bind source against the bundle directory. */
        if (bind && mount->source[0] != '/') {
            char *absolute;
            if (asprintf(&absolute, "%s/%s", spec->bundle_dir, mount->source) < 0)
                return bt_jsonread_oom(&c->json);
            free(mount->source);
            mount->source = absolute;
        }
    }
    return 0;
}
