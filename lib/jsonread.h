/* Typed readers for json-c values, shared by the parsers of config.json (lib/spec*.c) and of
 * service specs (lib/svcspec*.c): each checks one value's JSON type, range or keys and fails
 * with one line, "FILE: KEY.PATH: reason", so that both word a bad value the same way. A reader
 * fills the caller's struct bt_err once, where the failure is, and returns 0 or -errno; it
 * never keeps a reference to what it reads. */
#ifndef BT_JSONREAD_H
#define BT_JSONREAD_H

#include "err.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Room for a key path such as "linux.resources.devices[12].access" in messages. */
#define BT_JSONREAD_PATH_MAX 256
/* How much of a user-supplied value a message quotes. */
#define BT_JSONREAD_SHOWN_MAX 72

/* Where the messages of one parse go. */
struct bt_jsonread {
    const char *file;   /* the file as named in messages */
    struct bt_err *err; /* the caller's */
};

/* A key that a parser accepts only with a value that asks for nothing (see
 * bt_jsonread_is_empty), and the reason it gives for any other value. */
struct bt_jsonread_unsupported {
    const char *key;
    const char *reason; /* NULL: "not supported" */
};

/* Checks VALUE, an entry of a list at key path PATH; returns 0 or -errno, as the readers. */
typedef int bt_jsonread_check_fn(struct bt_jsonread *r, const char *path, const char *value);

static inline void bt_jsonread_put(struct json_object **obj)
{
    if (*obj)
        json_object_put(*obj);
}
#define cleanup_json __attribute__((cleanup(bt_jsonread_put)))

/* ---- messages and key paths ---- */

/* S with control characters escaped and cut with "..." to fit BUF (LEN bytes), for quoting a
 * value in a one-line message whatever the file holds. Returns BUF. */
const char *bt_jsonread_printable(char *buf, size_t len, const char *s);
/* Fills r->err with "FILE: PATH: REASON" ("FILE: REASON" when PATH is NULL or empty). Returns
 * -EINVAL. */
int bt_jsonread_fail(struct bt_jsonread *r, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Fills r->err for a failed allocation. Returns -ENOMEM. */
int bt_jsonread_oom(struct bt_jsonread *r);
/* Fails with "required key is missing" at PATH. */
int bt_jsonread_missing(struct bt_jsonread *r, const char *path);
/* PARENT.KEY into the BT_JSONREAD_PATH_MAX buffer BUF (PARENT may be BUF), KEY escaped, since
 * it comes from the file; a path too long is cut. Returns BUF. */
const char *bt_jsonread_sub(char *buf, const char *parent, const char *key);
/* PARENT[INDEX] into the BT_JSONREAD_PATH_MAX buffer BUF (PARENT may be BUF). Returns BUF. */
const char *bt_jsonread_item(char *buf, const char *parent, size_t index);
/* "an object", "a string", ...: OBJ's JSON type for messages. */
const char *bt_jsonread_type_name(struct json_object *obj);

/* ---- typed readers: OBJ is the value at key path PATH ---- */

/* OBJ's member KEY (borrowed), or NULL when it is absent or null: null means absent. */
struct json_object *bt_jsonread_member(struct json_object *obj, const char *key);
/* OBJ must be of TYPE; fails with "expected WHAT, got ...". */
int bt_jsonread_want(struct bt_jsonread *r, const char *path, struct json_object *obj,
                     enum json_type type, const char *what);
/* An integer 0..MAX into *OUT. Integers beyond 64 bits must have been refused before (see
 * bt_jsontext_check): json-c clamps them. */
int bt_jsonread_get_u64(struct bt_jsonread *r, const char *path, struct json_object *obj,
                        uint64_t max, uint64_t *out);
/* An integer MIN..MAX into *OUT; one above INT64_MAX is quoted as written. */
int bt_jsonread_get_i64(struct bt_jsonread *r, const char *path, struct json_object *obj,
                        int64_t min, int64_t max, int64_t *out);
/* A string of at most MAX bytes without a NUL character into *OUT (borrowed from OBJ). */
int bt_jsonread_get_str(struct bt_jsonread *r, const char *path, struct json_object *obj,
                        size_t max, const char **out);
/* strdup of VALUE into *OUT (caller frees). */
int bt_jsonread_dup_str(struct bt_jsonread *r, const char *value, char **out);
/* OBJ as an array of at most MAX entries; *LEN gets its length. */
int bt_jsonread_get_array(struct bt_jsonread *r, const char *path, struct json_object *obj,
                          size_t max, size_t *len);
/* An array of at most MAX_ITEMS strings of at most MAX_LEN bytes into a new NULL-terminated
 * vector *OUT of *LEN entries (caller frees *OUT and its entries, also on failure), each
 * checked by CHECK when not NULL. *TOTAL, when TOTAL is not NULL, grows by the bytes the
 * strings take with their NULs. */
int bt_jsonread_get_strv(struct bt_jsonread *r, const char *path, struct json_object *obj,
                         size_t max_items, size_t max_len, bt_jsonread_check_fn *check, char ***out,
                         size_t *len, size_t *total);

/* ---- members: KEY of the object OBJ at PATH; absent (or null) fails when REQUIRED and
 * otherwise leaves *OUT alone ---- */

/* An integer 0..MAX; *HAS, when HAS is not NULL, is set true when KEY is there. */
int bt_jsonread_field_u64(struct bt_jsonread *r, const char *path, struct json_object *obj,
                          const char *key, bool required, uint64_t max, bool *has, uint64_t *out);
/* An integer MIN..MAX, as bt_jsonread_field_u64. */
int bt_jsonread_field_i64(struct bt_jsonread *r, const char *path, struct json_object *obj,
                          const char *key, bool required, int64_t min, int64_t max, bool *has,
                          int64_t *out);
/* A boolean. */
int bt_jsonread_field_bool(struct bt_jsonread *r, const char *path, struct json_object *obj,
                           const char *key, bool required, bool *out);
/* A string of at most MAX bytes, copied into *OUT (caller frees). */
int bt_jsonread_field_str(struct bt_jsonread *r, const char *path, struct json_object *obj,
                          const char *key, bool required, size_t max, char **out);
/* As bt_jsonread_field_str, and an empty string fails with "must not be empty". */
int bt_jsonread_field_nonempty(struct bt_jsonread *r, const char *path, struct json_object *obj,
                               const char *key, bool required, size_t max, char **out);

/* ---- checks ---- */

/* True when OBJ asks for nothing: null, false, "", [] or an object of such values. */
bool bt_jsonread_is_empty(struct json_object *obj);
/* True when NAME is in the NULL-terminated list NAMES (which may be NULL). */
bool bt_jsonread_listed(const char *const *names, const char *name);
/* OBJ must be an object whose keys are all in the NULL-terminated KNOWN, or in UNSUPPORTED
 * (which may be NULL) with an empty value; an unsupported key with another value fails with
 * its reason. *UNKNOWN gets the first other key (borrowed from OBJ), or NULL: each parser words
 * that message its own way. */
int bt_jsonread_check_keys(struct bt_jsonread *r, const char *path, struct json_object *obj,
                           const char *const *known,
                           const struct bt_jsonread_unsupported *unsupported, const char **unknown);
/* VALUE must be an absolute path; with INSIDE (a path in a container) also without a ".."
 * component, which would reach outside the container's root. */
int bt_jsonread_check_abs_path(struct bt_jsonread *r, const char *path, const char *value,
                               bool inside);
/* VALUE must be an environment entry, NAME=VALUE with a non-empty NAME. A
 * bt_jsonread_check_fn. */
int bt_jsonread_check_env(struct bt_jsonread *r, const char *path, const char *value);

#endif
