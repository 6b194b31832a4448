/* Typed readers for json-c values: see jsonread.h. Every message names the file and the key
 * path and stays on one line, whatever the file holds. */
#include "jsonread.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- messages and key paths ---- */

const char *bt_jsonread_printable(char *buf, size_t len, const char *s)
{
    size_t pos = 0, limit = len - 4;
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (pos + 4 > limit)
            break;
        if (ch < 0x20 || ch == 0x7f)
            pos += (size_t)snprintf(buf + pos, len - pos, "\\x%02x", ch);
        else
            buf[pos++] = (char)ch;
    }
    strcpy(buf + pos, *s ? "..." : "");
    return buf;
}

int bt_jsonread_fail(struct bt_jsonread *r, const char *path, const char *fmt, ...)
{
    char reason[BT_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    if (path && *path)
        return bt_err_msg(r->err, EINVAL, "%s: %s: %s", r->file, path, reason);
    return bt_err_msg(r->err, EINVAL, "%s: %s", r->file, reason);
}

int bt_jsonread_oom(struct bt_jsonread *r)
{
    return bt_err_sys(r->err, ENOMEM, "%s", r->file);
}

int bt_jsonread_missing(struct bt_jsonread *r, const char *path)
{
    return bt_jsonread_fail(r, path, "required key is missing");
}

/* Appends TEXT to the BT_JSONREAD_PATH_MAX buffer BUF: a truncated path is still a useful
 * message. */
static void path_append(char *buf, const char *text)
{
    size_t len = strlen(buf), n = strnlen(text, BT_JSONREAD_PATH_MAX - 1 - len);
    memcpy(buf + len, text, n);
    buf[len + n] = '\0';
}

/* Copies PARENT (which may be BUF itself) into BUF. */
static void path_start(char *buf, const char *parent)
{
    size_t len = strnlen(parent, BT_JSONREAD_PATH_MAX - 1);
    memmove(buf, parent, len);
    buf[len] = '\0';
}

const char *bt_jsonread_sub(char *buf, const char *parent, const char *key)
{
    char shown[BT_JSONREAD_SHOWN_MAX];
    path_start(buf, parent);
    if (*buf)
        path_append(buf, ".");
    path_append(buf, bt_jsonread_printable(shown, sizeof(shown), key));
    return buf;
}

const char *bt_jsonread_item(char *buf, const char *parent, size_t index)
{
    char number[32];
    snprintf(number, sizeof(number), "[%zu]", index);
    path_start(buf, parent);
    path_append(buf, number);
    return buf;
}

const char *bt_jsonread_type_name(struct json_object *obj)
{
    switch (json_object_get_type(obj)) {
    case json_type_null: return "null";
    case json_type_boolean: return "a boolean";
    case json_type_double: return "a fractional number";
    case json_type_int: return "an integer";
    case json_type_object: return "an object";
    case json_type_array: return "an array";
    case json_type_string: return "a string";
    }
    return "an unknown type";
}

/* ---- typed readers ---- */

/* Null means absent, as for runc. */
struct json_object *bt_jsonread_member(struct json_object *obj, const char *key)
{
    struct json_object *value = NULL;
    json_object_object_get_ex(obj, key, &value);
    return value;
}

int bt_jsonread_want(struct bt_jsonread *r, const char *path, struct json_object *obj,
                     enum json_type type, const char *what)
{
    if (!json_object_is_type(obj, type))
        return bt_jsonread_fail(r, path, "expected %s, got %s", what, bt_jsonread_type_name(obj));
    return 0;
}

int bt_jsonread_get_u64(struct bt_jsonread *r, const char *path, struct json_object *obj,
                        uint64_t max, uint64_t *out)
{
    int ret = bt_jsonread_want(r, path, obj, json_type_int, "an integer");
    if (ret < 0)
        return ret;
    int64_t value = json_object_get_int64(obj);
    if (value < 0)
        return bt_jsonread_fail(r, path, "%" PRId64 " is negative", value);
    uint64_t uvalue = json_object_get_uint64(obj);
    if (uvalue > max)
        return bt_jsonread_fail(r, path, "%" PRIu64 " is out of range (0..%" PRIu64 ")", uvalue,
                                max);
    *out = uvalue;
    return 0;
}

int bt_jsonread_get_i64(struct bt_jsonread *r, const char *path, struct json_object *obj,
                        int64_t min, int64_t max, int64_t *out)
{
    int ret = bt_jsonread_want(r, path, obj, json_type_int, "an integer");
    if (ret < 0)
        return ret;
    int64_t value = json_object_get_int64(obj);
    /* json-c keeps integers above INT64_MAX as uint64 and get_int64 clamps them. */
    if (value == INT64_MAX && json_object_get_uint64(obj) > (uint64_t)INT64_MAX)
        return bt_jsonread_fail(r, path, "%" PRIu64 " is out of range (%" PRId64 "..%" PRId64 ")",
                                json_object_get_uint64(obj), min, max);
    if (value < min || value > max)
        return bt_jsonread_fail(r, path, "%" PRId64 " is out of range (%" PRId64 "..%" PRId64 ")",
                                value, min, max);
    *out = value;
    return 0;
}

int bt_jsonread_get_str(struct bt_jsonread *r, const char *path, struct json_object *obj,
                        size_t max, const char **out)
{
    int ret = bt_jsonread_want(r, path, obj, json_type_string, "a string");
    if (ret < 0)
        return ret;
    const char *value = json_object_get_string(obj);
    size_t len = (size_t)json_object_get_string_len(obj);
    if (strlen(value) != len)
        return bt_jsonread_fail(r, path, "contains a NUL character");
    if (len > max)
        return bt_jsonread_fail(r, path, "too long (%zu bytes, limit %zu)", len, max);
    *out = value;
    return 0;
}

int bt_jsonread_dup_str(struct bt_jsonread *r, const char *value, char **out)
{
    *out = strdup(value);
    return *out ? 0 : bt_jsonread_oom(r);
}

int bt_jsonread_get_array(struct bt_jsonread *r, const char *path, struct json_object *obj,
                          size_t max, size_t *len)
{
    int ret = bt_jsonread_want(r, path, obj, json_type_array, "an array");
    if (ret < 0)
        return ret;
    *len = json_object_array_length(obj);
    if (*len > max)
        return bt_jsonread_fail(r, path, "too many entries (%zu, limit %zu)", *len, max);
    return 0;
}

int bt_jsonread_get_strv(struct bt_jsonread *r, const char *path, struct json_object *obj,
                         size_t max_items, size_t max_len, bt_jsonread_check_fn *check, char ***out,
                         size_t *len, size_t *total)
{
    char p[BT_JSONREAD_PATH_MAX];
    size_t n;
    int ret = bt_jsonread_get_array(r, path, obj, max_items, &n);
    if (ret < 0)
        return ret;
    *out = calloc(n + 1, sizeof(char *));
    if (!*out)
        return bt_jsonread_oom(r);
    *len = n;
    for (size_t i = 0; i < n; i++) {
        const char *value;
        ret = bt_jsonread_get_str(r, bt_jsonread_item(p, path, i),
                                  json_object_array_get_idx(obj, i), max_len, &value);
        if (ret == 0 && check)
            ret = check(r, p, value);
        if (ret == 0)
            ret = bt_jsonread_dup_str(r, value, &(*out)[i]);
        if (ret < 0)
            return ret;
        if (total)
            *total += strlen(value) + 1;
    }
    return 0;
}

/* ---- members ---- */

int bt_jsonread_field_u64(struct bt_jsonread *r, const char *path, struct json_object *obj,
                          const char *key, bool required, uint64_t max, bool *has, uint64_t *out)
{
    char p[BT_JSONREAD_PATH_MAX];
    struct json_object *value = bt_jsonread_member(obj, key);
    if (!value)
        return required ? bt_jsonread_missing(r, bt_jsonread_sub(p, path, key)) : 0;
    int ret = bt_jsonread_get_u64(r, bt_jsonread_sub(p, path, key), value, max, out);
    if (ret == 0 && has)
        *has = true;
    return ret;
}

int bt_jsonread_field_i64(struct bt_jsonread *r, const char *path, struct json_object *obj,
                          const char *key, bool required, int64_t min, int64_t max, bool *has,
                          int64_t *out)
{
    char p[BT_JSONREAD_PATH_MAX];
    struct json_object *value = bt_jsonread_member(obj, key);
    if (!value)
        return required ? bt_jsonread_missing(r, bt_jsonread_sub(p, path, key)) : 0;
    int ret = bt_jsonread_get_i64(r, bt_jsonread_sub(p, path, key), value, min, max, out);
    if (ret == 0 && has)
        *has = true;
    return ret;
}

int bt_jsonread_field_bool(struct bt_jsonread *r, const char *path, struct json_object *obj,
                           const char *key, bool required, bool *out)
{
    char p[BT_JSONREAD_PATH_MAX];
    struct json_object *value = bt_jsonread_member(obj, key);
    if (!value)
        return required ? bt_jsonread_missing(r, bt_jsonread_sub(p, path, key)) : 0;
    int ret =
        bt_jsonread_want(r, bt_jsonread_sub(p, path, key), value, json_type_boolean, "a boolean");
    if (ret == 0)
        *out = json_object_get_boolean(value);
    return ret;
}

/* bt_jsonread_field_str, and with NONEMPTY an empty string fails. */
static int field_str(struct bt_jsonread *r, const char *path, struct json_object *obj,
                     const char *key, bool required, bool nonempty, size_t max, char **out)
{
    char p[BT_JSONREAD_PATH_MAX];
    const char *value;
    struct json_object *jvalue = bt_jsonread_member(obj, key);
    bt_jsonread_sub(p, path, key);
    if (!jvalue)
        return required ? bt_jsonread_missing(r, p) : 0;
    int ret = bt_jsonread_get_str(r, p, jvalue, max, &value);
    if (ret < 0)
        return ret;
    if (nonempty && !*value)
        return bt_jsonread_fail(r, p, "must not be empty");
    return bt_jsonread_dup_str(r, value, out);
}

int bt_jsonread_field_str(struct bt_jsonread *r, const char *path, struct json_object *obj,
                          const char *key, bool required, size_t max, char **out)
{
    return field_str(r, path, obj, key, required, false, max, out);
}

int bt_jsonread_field_nonempty(struct bt_jsonread *r, const char *path, struct json_object *obj,
                               const char *key, bool required, size_t max, char **out)
{
    return field_str(r, path, obj, key, required, true, max, out);
}

/* ---- checks ---- */

/* A key that a parser does not support is accepted only with such a value, since nothing is
 * then ignored. */
bool bt_jsonread_is_empty(struct json_object *obj)
{
    switch (json_object_get_type(obj)) {
    case json_type_null: return true;
    case json_type_boolean: return !json_object_get_boolean(obj);
    case json_type_string: return json_object_get_string_len(obj) == 0;
    case json_type_array: return json_object_array_length(obj) == 0;
    case json_type_object: {
        json_object_object_foreach(obj, key, value)
        {
            (void)key;
            if (!bt_jsonread_is_empty(value))
                return false;
        }
        return true;
    }
    default: return false;
    }
}

bool bt_jsonread_listed(const char *const *names, const char *name)
{
    for (; names && *names; names++)
        if (strcmp(*names, name) == 0)
            return true;
    return false;
}

int bt_jsonread_check_keys(struct bt_jsonread *r, const char *path, struct json_object *obj,
                           const char *const *known,
                           const struct bt_jsonread_unsupported *unsupported, const char **unknown)
{
    char p[BT_JSONREAD_PATH_MAX];
    *unknown = NULL;
    int ret = bt_jsonread_want(r, path, obj, json_type_object, "an object");
    if (ret < 0)
        return ret;
    json_object_object_foreach(obj, key, value)
    {
        if (bt_jsonread_listed(known, key))
            continue;
        const struct bt_jsonread_unsupported *u = unsupported;
        while (u && u->key && strcmp(u->key, key) != 0)
            u++;
        if (!u || !u->key) {
            *unknown = key;
            return 0;
        }
        if (!bt_jsonread_is_empty(value))
            return bt_jsonread_fail(r, bt_jsonread_sub(p, path, key), "%s",
                                    u->reason ? u->reason : "not supported");
    }
    return 0;
}

int bt_jsonread_check_abs_path(struct bt_jsonread *r, const char *path, const char *value,
                               bool inside)
{
    char shown[BT_JSONREAD_SHOWN_MAX];
    if (value[0] != '/')
        return bt_jsonread_fail(r, path, "'%s' is not an absolute path",
                                bt_jsonread_printable(shown, sizeof(shown), value));
    for (const char *s = value; inside && *s;) {
        const char *end = strchrnul(s, '/');
        if (end - s == 2 && s[0] == '.' && s[1] == '.')
            return bt_jsonread_fail(r, path, "'%s' contains a '..' component",
                                    bt_jsonread_printable(shown, sizeof(shown), value));
        s = *end ? end + 1 : end;
    }
    return 0;
}

int bt_jsonread_check_env(struct bt_jsonread *r, const char *path, const char *value)
{
    char shown[BT_JSONREAD_SHOWN_MAX];
    const char *equals = strchr(value, '=');
    if (!equals || equals == value)
        return bt_jsonread_fail(r, path, "'%s' is not NAME=VALUE",
                                bt_jsonread_printable(shown, sizeof(shown), value));
    return 0;
}
