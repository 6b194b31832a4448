/* Typed readers for config.json values, shared by the lib/spec*.c validators: each checks one
 * value's JSON type, range and keys, and fails with a one-line message that names the file and
 * the key path. */
#include "spec-internal.h"

#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Copies S into BUF with control characters escaped and long values cut with "...", so that a
 * message stays one readable line whatever the spec holds. */
const char *bt_spec_i_printable(char *buf, size_t len, const char *s)
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

int bt_spec_i_fail(struct ctx *c, const char *path, const char *fmt, ...)
{
    char reason[BT_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    if (path && *path)
        return bt_err_msg(c->err, EINVAL, "%s: %s: %s", c->file, path, reason);
    return bt_err_msg(c->err, EINVAL, "%s: %s", c->file, reason);
}

int bt_spec_i_oom(struct ctx *c)
{
    return bt_err_sys(c->err, ENOMEM, "%s", c->file);
}

int bt_spec_i_missing(struct ctx *c, const char *path)
{
    return bt_spec_i_fail(c, path, "required key is missing");
}

/* Appends TEXT to the KEYPATH_MAX buffer BUF: a truncated path is still a useful message. */
static void path_append(char *buf, const char *text)
{
    size_t len = strlen(buf), n = strnlen(text, KEYPATH_MAX - 1 - len);
    memcpy(buf + len, text, n);
    buf[len + n] = '\0';
}

/* Copies PARENT (which may be BUF itself) into BUF. */
static void path_start(char *buf, const char *parent)
{
    size_t len = strnlen(parent, KEYPATH_MAX - 1);
    memmove(buf, parent, len);
    buf[len] = '\0';
}

/* PARENT.KEY into BUF; KEY may come from the spec, so it is escaped. */
const char *bt_spec_i_sub(char *buf, const char *parent, const char *key)
{
    char shown[SHOWN_MAX];
    path_start(buf, parent);
    if (*buf)
        path_append(buf, ".");
    path_append(buf, bt_spec_i_printable(shown, sizeof(shown), key));
    return buf;
}

/* PARENT[INDEX] into BUF. */
const char *bt_spec_i_item(char *buf, const char *parent, size_t index)
{
    char number[32];
    snprintf(number, sizeof(number), "[%zu]", index);
    path_start(buf, parent);
    path_append(buf, number);
    return buf;
}

const char *bt_spec_i_type_name(struct json_object *obj)
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

/* A member of OBJ, or NULL when it is absent or null: null means absent, as for runc. */
struct json_object *bt_spec_i_member(struct json_object *obj, const char *key)
{
    struct json_object *value = NULL;
    json_object_object_get_ex(obj, key, &value);
    return value;
}

static int want(struct ctx *c, const char *path, struct json_object *obj, enum json_type type,
                const char *what)
{
    if (!json_object_is_type(obj, type))
        return bt_spec_i_fail(c, path, "expected %s, got %s", what, bt_spec_i_type_name(obj));
    return 0;
}

static int get_bool(struct ctx *c, const char *path, struct json_object *obj, bool *out)
{
    int ret = want(c, path, obj, json_type_boolean, "a boolean");
    if (ret == 0)
        *out = json_object_get_boolean(obj);
    return ret;
}

/* Integers beyond 64 bits never get here: bt_spec_i_check_lexical refuses them, because json-c
 * would clamp them silently. */
int bt_spec_i_get_u64(struct ctx *c, const char *path, struct json_object *obj, uint64_t max,
                      uint64_t *out)
{
    int ret = want(c, path, obj, json_type_int, "an integer");
    if (ret < 0)
        return ret;
    int64_t value = json_object_get_int64(obj);
    if (value < 0)
        return bt_spec_i_fail(c, path, "%" PRId64 " is negative", value);
    uint64_t uvalue = json_object_get_uint64(obj);
    if (uvalue > max)
        return bt_spec_i_fail(c, path, "%" PRIu64 " is out of range (0..%" PRIu64 ")", uvalue, max);
    *out = uvalue;
    return 0;
}

static int get_i64(struct ctx *c, const char *path, struct json_object *obj, int64_t min,
                   int64_t max, int64_t *out)
{
    int ret = want(c, path, obj, json_type_int, "an integer");
    if (ret < 0)
        return ret;
    int64_t value = json_object_get_int64(obj);
    /* json-c keeps integers above INT64_MAX as uint64 and get_int64 clamps them. */
    if (value == INT64_MAX && json_object_get_uint64(obj) > (uint64_t)INT64_MAX)
        return bt_spec_i_fail(c, path, "%" PRIu64 " is out of range (%" PRId64 "..%" PRId64 ")",
                              json_object_get_uint64(obj), min, max);
    if (value < min || value > max)
        return bt_spec_i_fail(c, path, "%" PRId64 " is out of range (%" PRId64 "..%" PRId64 ")",
                              value, min, max);
    *out = value;
    return 0;
}

int bt_spec_i_get_str(struct ctx *c, const char *path, struct json_object *obj, size_t max,
                      const char **out)
{
    int ret = want(c, path, obj, json_type_string, "a string");
    if (ret < 0)
        return ret;
    const char *value = json_object_get_string(obj);
    size_t len = (size_t)json_object_get_string_len(obj);
    if (strlen(value) != len)
        return bt_spec_i_fail(c, path, "contains a NUL character");
    if (len > max)
        return bt_spec_i_fail(c, path, "too long (%zu bytes, limit %zu)", len, max);
    *out = value;
    return 0;
}

int bt_spec_i_dup_str(struct ctx *c, const char *value, char **out)
{
    *out = strdup(value);
    return *out ? 0 : bt_spec_i_oom(c);
}

/* An optional or required integer member KEY of OBJ; *HAS (when not NULL) tells whether it was
 * there. */
int bt_spec_i_field_u64(struct ctx *c, const char *path, struct json_object *obj, const char *key,
                        bool required, uint64_t max, bool *has, uint64_t *out)
{
    char p[KEYPATH_MAX];
    struct json_object *value = bt_spec_i_member(obj, key);
    if (!value)
        return required ? bt_spec_i_missing(c, bt_spec_i_sub(p, path, key)) : 0;
    int ret = bt_spec_i_get_u64(c, bt_spec_i_sub(p, path, key), value, max, out);
    if (ret == 0 && has)
        *has = true;
    return ret;
}

int bt_spec_i_field_i64(struct ctx *c, const char *path, struct json_object *obj, const char *key,
                        bool required, int64_t min, int64_t max, bool *has, int64_t *out)
{
    char p[KEYPATH_MAX];
    struct json_object *value = bt_spec_i_member(obj, key);
    if (!value)
        return required ? bt_spec_i_missing(c, bt_spec_i_sub(p, path, key)) : 0;
    int ret = get_i64(c, bt_spec_i_sub(p, path, key), value, min, max, out);
    if (ret == 0 && has)
        *has = true;
    return ret;
}

int bt_spec_i_field_bool(struct ctx *c, const char *path, struct json_object *obj, const char *key,
                         bool required, bool *out)
{
    char p[KEYPATH_MAX];
    struct json_object *value = bt_spec_i_member(obj, key);
    if (!value)
        return required ? bt_spec_i_missing(c, bt_spec_i_sub(p, path, key)) : 0;
    return get_bool(c, bt_spec_i_sub(p, path, key), value, out);
}

/* An optional string member, copied into *OUT (left NULL when absent). */
int bt_spec_i_field_str(struct ctx *c, const char *path, struct json_object *obj, const char *key,
                        bool required, size_t max, char **out)
{
    char p[KEYPATH_MAX];
    const char *value;
    struct json_object *jvalue = bt_spec_i_member(obj, key);
    if (!jvalue)
        return required ? bt_spec_i_missing(c, bt_spec_i_sub(p, path, key)) : 0;
    int ret = bt_spec_i_get_str(c, bt_spec_i_sub(p, path, key), jvalue, max, &value);
    return ret < 0 ? ret : bt_spec_i_dup_str(c, value, out);
}

int bt_spec_i_get_array(struct ctx *c, const char *path, struct json_object *obj, size_t max,
                        size_t *len)
{
    int ret = want(c, path, obj, json_type_array, "an array");
    if (ret < 0)
        return ret;
    *len = json_object_array_length(obj);
    if (*len > max)
        return bt_spec_i_fail(c, path, "too many entries (%zu, limit %zu)", *len, max);
    return 0;
}

/* A value that asks for nothing: null, false, "", [] or an object of such values. A key that
 * bottle does not support is accepted only with such a value, since nothing is then ignored. */
bool bt_spec_i_is_empty(struct json_object *obj)
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
            if (!bt_spec_i_is_empty(value))
                return false;
        }
        return true;
    }
    default: return false;
    }
}

bool bt_spec_i_listed(const char *const *names, const char *name)
{
    for (; names && *names; names++)
        if (strcmp(*names, name) == 0)
            return true;
    return false;
}

/* Checks that OBJ is an object whose keys are all in KNOWN, or in UNSUPPORTED with an empty
 * value. */
int bt_spec_i_check_keys(struct ctx *c, const char *path, struct json_object *obj,
                         const char *const *known, const struct unsupported *unsupported)
{
    char p[KEYPATH_MAX];
    int ret = want(c, path, obj, json_type_object, "an object");
    if (ret < 0)
        return ret;
    json_object_object_foreach(obj, key, value)
    {
        if (bt_spec_i_listed(known, key))
            continue;
        const struct unsupported *u = unsupported;
        while (u && u->key && strcmp(u->key, key) != 0)
            u++;
        if (u && u->key) {
            if (bt_spec_i_is_empty(value))
                continue;
            return bt_spec_i_fail(c, bt_spec_i_sub(p, path, key), "%s",
                                  u->reason ? u->reason : "not supported");
        }
        return bt_err_msg(c->err, EINVAL, "%s: unknown key '%s'", c->file,
                          bt_spec_i_sub(p, path, key));
    }
    return 0;
}

/* Refuses a relative path or one with a ".." component: both would let a spec reach outside
 * the container's rootfs. */
int bt_spec_i_check_abs_path(struct ctx *c, const char *path, const char *value)
{
    char shown[SHOWN_MAX];
    if (value[0] != '/')
        return bt_spec_i_fail(c, path, "'%s' is not an absolute path",
                              bt_spec_i_printable(shown, sizeof(shown), value));
    for (const char *s = value; *s;) {
        const char *end = strchrnul(s, '/');
        if (end - s == 2 && s[0] == '.' && s[1] == '.')
            return bt_spec_i_fail(c, path, "'%s' contains a '..' component",
                                  bt_spec_i_printable(shown, sizeof(shown), value));
        s = *end ? end + 1 : end;
    }
    return 0;
}

/* A list of strings into a new NULL-terminated vector *OUT of *LEN entries, each checked with
 * CHECK when not NULL. *TOTAL (when not NULL) grows by the bytes the strings take. */
int bt_spec_i_get_strv(struct ctx *c, const char *path, struct json_object *obj, size_t max_items,
                       size_t max_len, int (*check)(struct ctx *, const char *, const char *),
                       char ***out, size_t *len, size_t *total)
{
    char p[KEYPATH_MAX];
    size_t n;
    int ret = bt_spec_i_get_array(c, path, obj, max_items, &n);
    if (ret < 0)
        return ret;
    *out = calloc(n + 1, sizeof(char *));
    if (!*out)
        return bt_spec_i_oom(c);
    *len = n;
    for (size_t i = 0; i < n; i++) {
        const char *value;
        ret = bt_spec_i_get_str(c, bt_spec_i_item(p, path, i), json_object_array_get_idx(obj, i),
                                max_len, &value);
        if (ret == 0 && check)
            ret = check(c, p, value);
        if (ret == 0)
            ret = bt_spec_i_dup_str(c, value, &(*out)[i]);
        if (ret < 0)
            return ret;
        if (total)
            *total += strlen(value) + 1;
    }
    return 0;
}

int bt_spec_i_lookup(const struct name_value *table, const char *name)
{
    for (; table->name; table++)
        if (strcmp(table->name, name) == 0)
            return table->value;
    return -1;
}

/* A string-to-string object (sysctl, annotations) into a list of pairs, in file order. */
int bt_spec_i_parse_kv(struct ctx *c, const char *path, struct json_object *obj,
                       int (*check_key)(struct ctx *, const char *, const char *),
                       struct bt_spec_kv **out, size_t *len)
{
    char p[KEYPATH_MAX];
    const char *text;
    int ret = want(c, path, obj, json_type_object, "an object");
    if (ret < 0)
        return ret;
    size_t n = (size_t)json_object_object_length(obj), i = 0;
    if (n > BT_SPEC_ITEMS_MAX)
        return bt_spec_i_fail(c, path, "too many entries (%zu, limit %d)", n, BT_SPEC_ITEMS_MAX);
    *out = calloc(n ? n : 1, sizeof(**out));
    if (!*out)
        return bt_spec_i_oom(c);
    json_object_object_foreach(obj, key, value)
    {
        bt_spec_i_sub(p, path, key);
        if (strlen(key) > BT_SPEC_STRING_MAX)
            return bt_spec_i_fail(c, p, "key too long (limit %d bytes)", BT_SPEC_STRING_MAX);
        if (check_key && (ret = check_key(c, p, key)) < 0)
            return ret;
        if (!value)
            return bt_spec_i_fail(c, p, "expected a string, got null");
        ret = bt_spec_i_get_str(c, p, value, BT_SPEC_ARG_MAX, &text);
        if (ret == 0)
            ret = bt_spec_i_dup_str(c, key, &(*out)[i].key);
        if (ret == 0)
            ret = bt_spec_i_dup_str(c, text, &(*out)[i].value);
        *len = ++i;
        if (ret < 0)
            return ret;
    }
    return 0;
}
