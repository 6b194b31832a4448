/* Private to lib/spec*.c: the parse context and the readers the config.json validators share.
 * Every reader fills the caller's struct bt_err with one line naming the file and key path, and
 * returns 0 or -errno. Not for use outside lib/spec*.c. */
#ifndef BT_SPEC_INTERNAL_H
#define BT_SPEC_INTERNAL_H

#include "spec.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Room for a key path such as "linux.resources.devices[12].access" in messages. */
#define KEYPATH_MAX 256
/* How much of a user-supplied value a message quotes. */
#define SHOWN_MAX 72

static inline void bt_spec_i_put_json(struct json_object **obj)
{
    if (*obj)
        json_object_put(*obj);
}
#define cleanup_json __attribute__((cleanup(bt_spec_i_put_json)))

struct ctx {
    const char *file; /* config.json as named in messages */
    struct bt_err *err;
    struct bt_spec *spec;
};

/* A key of the runtime-spec that bottle refuses, with the reason given to the user. */
struct unsupported {
    const char *key;
    const char *reason;
};

/* One entry of a NULL-terminated name table (capabilities, rlimits, propagations). */
struct name_value {
    const char *name;
    int value;
};

/* ---- spec-value.c: messages and key paths ---- */

/* S escaped and cut to fit BUF, for quoting a spec's value in a message; returns BUF. */
const char *bt_spec_i_printable(char *buf, size_t len, const char *s);
/* Fills c->err with "FILE: PATH: REASON" (no PATH when NULL or empty); returns -EINVAL. */
int bt_spec_i_fail(struct ctx *c, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Fills c->err for a failed allocation; returns -ENOMEM. */
int bt_spec_i_oom(struct ctx *c);
/* Fails with "required key is missing" at PATH. */
int bt_spec_i_missing(struct ctx *c, const char *path);
/* PARENT.KEY into the KEYPATH_MAX buffer BUF (PARENT may be BUF), KEY escaped; returns BUF. */
const char *bt_spec_i_sub(char *buf, const char *parent, const char *key);
/* PARENT[INDEX] into the KEYPATH_MAX buffer BUF (PARENT may be BUF); returns BUF. */
const char *bt_spec_i_item(char *buf, const char *parent, size_t index);
/* "an object", "a string", ...: OBJ's JSON type for messages. */
const char *bt_spec_i_type_name(struct json_object *obj);

/* ---- spec-value.c: typed readers ---- */

/* OBJ's member KEY (borrowed), or NULL when absent or null. */
struct json_object *bt_spec_i_member(struct json_object *obj, const char *key);
/* An integer 0..MAX into *OUT. */
int bt_spec_i_get_u64(struct ctx *c, const char *path, struct json_object *obj, uint64_t max,
                      uint64_t *out);
/* A string of at most MAX bytes without NUL into *OUT (borrowed from OBJ). */
int bt_spec_i_get_str(struct ctx *c, const char *path, struct json_object *obj, size_t max,
                      const char **out);
/* strdup of VALUE into *OUT (caller frees). */
int bt_spec_i_dup_str(struct ctx *c, const char *value, char **out);
/* Member KEY of OBJ as an integer 0..MAX; absent is an error when REQUIRED, else leaves *OUT and
 * *HAS (set true when present, HAS may be NULL) alone. */
int bt_spec_i_field_u64(struct ctx *c, const char *path, struct json_object *obj, const char *key,
                        bool required, uint64_t max, bool *has, uint64_t *out);
/* Member KEY of OBJ as an integer MIN..MAX, as bt_spec_i_field_u64. */
int bt_spec_i_field_i64(struct ctx *c, const char *path, struct json_object *obj, const char *key,
                        bool required, int64_t min, int64_t max, bool *has, int64_t *out);
/* Member KEY of OBJ as a boolean; absent leaves *OUT alone unless REQUIRED. */
int bt_spec_i_field_bool(struct ctx *c, const char *path, struct json_object *obj, const char *key,
                         bool required, bool *out);
/* Member KEY of OBJ as a string of at most MAX bytes, copied into *OUT (NULL when absent). */
int bt_spec_i_field_str(struct ctx *c, const char *path, struct json_object *obj, const char *key,
                        bool required, size_t max, char **out);
/* OBJ as an array of at most MAX entries; *LEN gets its length. */
int bt_spec_i_get_array(struct ctx *c, const char *path, struct json_object *obj, size_t max,
                        size_t *len);
/* A NULL-terminated string vector into *OUT (caller frees), each entry checked by CHECK. */
int bt_spec_i_get_strv(struct ctx *c, const char *path, struct json_object *obj, size_t max_items,
                       size_t max_len, int (*check)(struct ctx *, const char *, const char *),
                       char ***out, size_t *len, size_t *total);
/* A string-to-string object into *OUT (caller frees), each key checked by CHECK_KEY. */
int bt_spec_i_parse_kv(struct ctx *c, const char *path, struct json_object *obj,
                       int (*check_key)(struct ctx *, const char *, const char *),
                       struct bt_spec_kv **out, size_t *len);

/* ---- spec-value.c: checks ---- */

/* True when OBJ asks for nothing: null, false, "", [] or an object of such values. */
bool bt_spec_i_is_empty(struct json_object *obj);
/* True when NAME is in the NULL-terminated list NAMES (which may be NULL). */
bool bt_spec_i_listed(const char *const *names, const char *name);
/* OBJ must be an object whose keys are all KNOWN, or UNSUPPORTED with an empty value. */
int bt_spec_i_check_keys(struct ctx *c, const char *path, struct json_object *obj,
                         const char *const *known, const struct unsupported *unsupported);
/* VALUE must be an absolute path without a ".." component. */
int bt_spec_i_check_abs_path(struct ctx *c, const char *path, const char *value);
/* NAME's value in the name table TABLE, or -1. */
int bt_spec_i_lookup(const struct name_value *table, const char *name);

/* ---- the parts of config.json ---- */

/* spec-text.c: refuses duplicate keys and integers beyond 64 bits in TEXT, valid JSON. */
int bt_spec_i_check_lexical(struct ctx *c, const char *text, size_t len);
/* spec-process.c: "process" into c->spec->process. */
int bt_spec_i_parse_process(struct ctx *c, const char *path, struct json_object *obj);
/* spec-mounts.c: "mounts" into c->spec->mounts; c->spec->bundle_dir must be set. */
int bt_spec_i_parse_mounts(struct ctx *c, const char *path, struct json_object *list);
/* spec-mounts.c: the mount propagations ("rprivate" is MS_PRIVATE | MS_REC), by name. */
extern const struct name_value bt_spec_i_propagations[];
/* spec-linux.c: "linux" into c->spec (namespaces, mappings, resources, sysctl, paths). */
int bt_spec_i_parse_linux(struct ctx *c, const char *path, struct json_object *obj);

#endif
