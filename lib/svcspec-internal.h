/* Private to lib/svcspec*.c: the parse context and the typed readers the service and tree
 * parsers share besides lib/jsonread.h. Every reader fills the caller's struct bt_err with one line
 * naming the file and the key path, and returns 0 or -errno. */
#ifndef BT_SVCSPEC_INTERNAL_H
#define BT_SVCSPEC_INTERNAL_H

#include "jsonread.h"
#include "svcspec.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A name seen in the file being parsed, and where, for the uniqueness check. */
struct svc_name {
    const char *name; /* borrowed from the node */
    char *path;       /* "children[0].name" */
};

struct svc_ctx {
    struct bt_jsonread json; /* the file as named in messages, and the caller's error */
    struct svc_name *names;
    size_t names_len, names_cap;
};

/* ---- svcspec-value.c ---- */

/* OBJ must be an object whose keys are all in the NULL-terminated KNOWN; an unknown key fails
 * with "unknown key" and HINT (may be NULL) after it. */
int bt_svcspec_i_check_keys(struct svc_ctx *c, const char *path, struct json_object *obj,
                            const char *const *known, const char *hint);
/* MS as seconds ("0.5", "10") into BUF; returns BUF. */
const char *bt_svcspec_i_seconds(char *buf, size_t len, uint64_t ms);
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
