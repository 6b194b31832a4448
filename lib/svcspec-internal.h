/* Private to lib/svcspec*.c: the parse context and the typed readers the service and tree
 * parsers share. Every reader fills the caller's struct bt_err with one line naming the file
 * and the key path, and returns 0 or -errno. */
#ifndef BT_SVCSPEC_INTERNAL_H
#define BT_SVCSPEC_INTERNAL_H

#include "svcspec.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Room for a key path such as "children[3].children[0].health.exec[2]" in messages. */
#define SVC_PATH_MAX 256
/* How much of a user-supplied value a message quotes. */
#define SVC_SHOWN_MAX 72

static inline void bt_svcspec_i_put_json(struct json_object **obj)
{
    if (*obj)
        json_object_put(*obj);
}
#define cleanup_json __attribute__((cleanup(bt_svcspec_i_put_json)))

/* A name seen in the file being parsed, and where, for the uniqueness check. */
struct svc_name {
    const char *name; /* borrowed from the node */
    char *path;       /* "children[0].name" */
};

struct svc_ctx {
    const char *file; /* the file as named in messages */
    struct bt_err *err;
    struct svc_name *names;
    size_t names_len, names_cap;
};

/* ---- svcspec-value.c: messages and key paths ---- */

/* S escaped and cut to fit BUF, for quoting a spec's value in a message; returns BUF. */
const char *bt_svcspec_i_printable(char *buf, size_t len, const char *s);
/* Fills c->err with "FILE: PATH: REASON" (no PATH when NULL or empty); returns -EINVAL. */
int bt_svcspec_i_fail(struct svc_ctx *c, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Fills c->err for a failed allocation; returns -ENOMEM. */
int bt_svcspec_i_oom(struct svc_ctx *c);
/* PARENT.KEY into the SVC_PATH_MAX buffer BUF (PARENT may be BUF), KEY escaped; returns BUF. */
const char *bt_svcspec_i_sub(char *buf, const char *parent, const char *key);
/* PARENT[INDEX] into the SVC_PATH_MAX buffer BUF (PARENT may be BUF); returns BUF. */
const char *bt_svcspec_i_item(char *buf, const char *parent, size_t index);
/* "an object", "a string", ...: OBJ's JSON type for messages. */
const char *bt_svcspec_i_type_name(struct json_object *obj);
/* MS as seconds ("0.5", "10") into BUF; returns BUF. */
const char *bt_svcspec_i_seconds(char *buf, size_t len, uint64_t ms);

/* ---- svcspec-value.c: typed readers ---- */

/* OBJ's member KEY (borrowed), or NULL when absent or null: null means absent. */
struct json_object *bt_svcspec_i_member(struct json_object *obj, const char *key);
/* OBJ must be an object whose keys are all in the NULL-terminated KNOWN; an unknown key fails
 * with "unknown key" and HINT (may be NULL) after it. */
int bt_svcspec_i_check_keys(struct svc_ctx *c, const char *path, struct json_object *obj,
                            const char *const *known, const char *hint);
/* An integer MIN..MAX into *OUT. */
int bt_svcspec_i_get_int(struct svc_ctx *c, const char *path, struct json_object *obj, int64_t min,
                         int64_t max, int64_t *out);
/* Member KEY of OBJ as an integer MIN..MAX; absent leaves *OUT alone. */
int bt_svcspec_i_field_int(struct svc_ctx *c, const char *path, struct json_object *obj,
                           const char *key, int64_t min, int64_t max, int64_t *out);
/* A number of seconds (integer or fraction, to the millisecond) MIN_MS..MAX_MS into *OUT_MS. */
int bt_svcspec_i_get_seconds(struct svc_ctx *c, const char *path, struct json_object *obj,
                             uint64_t min_ms, uint64_t max_ms, uint64_t *out_ms);
/* Member KEY of OBJ as bt_svcspec_i_get_seconds; absent leaves *OUT_MS alone. */
int bt_svcspec_i_field_seconds(struct svc_ctx *c, const char *path, struct json_object *obj,
                               const char *key, uint64_t min_ms, uint64_t max_ms, uint64_t *out_ms);
/* A string of at most MAX bytes without NUL into *OUT (borrowed from OBJ). */
int bt_svcspec_i_get_str(struct svc_ctx *c, const char *path, struct json_object *obj, size_t max,
                         const char **out);
/* Member KEY of OBJ as a non-empty string of at most MAX bytes, copied into *OUT (left alone
 * when absent, unless REQUIRED). */
int bt_svcspec_i_field_str(struct svc_ctx *c, const char *path, struct json_object *obj,
                           const char *key, bool required, size_t max, char **out);
/* OBJ as an array of at most MAX entries; *LEN gets its length. */
int bt_svcspec_i_get_array(struct svc_ctx *c, const char *path, struct json_object *obj, size_t max,
                           size_t *len);
/* A NULL-terminated vector of strings into *OUT (caller frees), each entry checked by CHECK
 * when not NULL. */
int bt_svcspec_i_get_strv(struct svc_ctx *c, const char *path, struct json_object *obj,
                          int (*check)(struct svc_ctx *, const char *, const char *), char ***out,
                          size_t *len);
/* VALUE must be an absolute path; with CONTAINER also without a ".." component. */
int bt_svcspec_i_check_abs_path(struct svc_ctx *c, const char *path, const char *value,
                                bool container);

/* ---- svcspec-text.c ---- */

/* Refuses duplicate keys in TEXT, which json-c has already accepted (it keeps the last one
 * silently). */
int bt_svcspec_i_check_lexical(struct svc_ctx *c, const char *text, size_t len);

/* ---- svcspec.c ---- */

/* Member "name" of the service or tree OBJ at PATH into DEST (BT_SVCSPEC_NAME_MAX + 1 bytes),
 * checked and recorded so that a second use anywhere in the file is refused. */
int bt_svcspec_i_parse_name(struct svc_ctx *c, const char *path, struct json_object *obj,
                            char *dest);

/* ---- svcspec-service.c ---- */

/* The service object OBJ at PATH into SERVICE (zeroed by the caller, which frees it with
 * bt_svcspec_i_free_service also on failure). */
int bt_svcspec_i_parse_service(struct svc_ctx *c, const char *path, struct json_object *obj,
                               struct bt_svcspec_service *service);
/* Frees what SERVICE owns, not SERVICE itself. */
void bt_svcspec_i_free_service(struct bt_svcspec_service *service);
/* Frees a NULL-terminated string vector. NULL is fine. */
void bt_svcspec_i_free_strv(char **strv);

/* ---- svcspec-net.c: the parts of a service OBJ at PATH, into SERVICE ---- */

/* "network" and "ports" (ports need network bridge). */
int bt_svcspec_i_parse_network(struct svc_ctx *c, const char *path, struct json_object *obj,
                               struct bt_svcspec_service *service);
/* "mounts". */
int bt_svcspec_i_parse_mounts(struct svc_ctx *c, const char *path, struct json_object *obj,
                              struct bt_svcspec_service *service);
/* "health", with its defaults when present. */
int bt_svcspec_i_parse_health(struct svc_ctx *c, const char *path, struct json_object *obj,
                              struct bt_svcspec_service *service);

#endif
