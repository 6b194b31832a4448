/* Private to lib/spec*.c: the parse context and the config.json readers that lib/jsonread.h
 * does not have. Every reader fills the caller's struct bt_err with one line naming the file
 * and key path, and returns 0 or -errno. Not for use outside lib/spec*.c. */
#ifndef BT_SPEC_INTERNAL_H
#define BT_SPEC_INTERNAL_H

#include "jsonread.h"
#include "spec.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ctx {
    struct bt_jsonread json; /* config.json as named in messages, and the caller's error */
    struct bt_spec *spec;
};

/* One entry of a NULL-terminated name table (capabilities, rlimits, propagations). */
struct name_value {
    const char *name;
    int value;
};

/* ---- spec-value.c ---- */

/* OBJ must be an object whose keys are all KNOWN, or UNSUPPORTED with an empty value (see
 * bt_jsonread_check_keys); any other key fails with "FILE: unknown key 'PATH.KEY'". */
int bt_spec_i_check_keys(struct ctx *c, const char *path, struct json_object *obj,
                         const char *const *known,
                         const struct bt_jsonread_unsupported *unsupported);
/* Item I of LIST, an object with the keys KNOWN and a string "type" (namespaces, rlimits):
 * stores its path (BT_JSONREAD_PATH_MAX) in ITEM_PATH, the object in *OBJ, the type in *TYPE. */
int bt_spec_i_typed_item(struct ctx *c, const char *path, struct json_object *list, size_t i,
                         const char *const *known, char *item_path, struct json_object **obj,
                         const char **type);
/* A string-to-string object into *OUT (caller frees), each key checked by CHECK_KEY. */
int bt_spec_i_parse_kv(struct ctx *c, const char *path, struct json_object *obj,
                       int (*check_key)(struct ctx *, const char *, const char *),
                       struct bt_spec_kv **out, size_t *len);
/* NAME's value in the name table TABLE, or -1. */
int bt_spec_i_lookup(const struct name_value *table, const char *name);

/* ---- the parts of config.json ---- */

/* spec-process.c: "process" into c->spec->process. */
int bt_spec_i_parse_process(struct ctx *c, const char *path, struct json_object *obj);
/* spec-mounts.c: "mounts" into c->spec->mounts; c->spec->bundle_dir must be set. */
int bt_spec_i_parse_mounts(struct ctx *c, const char *path, struct json_object *list);
/* spec-mounts.c: the mount propagations ("rprivate" is MS_PRIVATE | MS_REC), by name. */
extern const struct name_value bt_spec_i_propagations[];
/* spec-linux.c: "linux" into c->spec (namespaces, mappings, resources, sysctl, paths). */
int bt_spec_i_parse_linux(struct ctx *c, const char *path, struct json_object *obj);

#endif
