/* Typed readers for service and tree specs, shared by lib/svcspec*.c: each checks one value's
 * JSON type, range and keys, and fails with a one-line message that names the file and the key
 * path. */
#include "svcspec-internal.h"

#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Copies S into BUF with control characters escaped and long values cut with "...", so that a
 * message stays one readable line whatever the spec holds. */
const char *bt_svcspec_i_printable(char *buf, size_t len, const char *s)
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

int bt_svcspec_i_fail(struct svc_ctx *c, const char *path, const char *fmt, ...)
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

int bt_svcspec_i_oom(struct svc_ctx *c)
{
    return bt_err_sys(c->err, ENOMEM, "%s", c->file);
}

/* Appends TEXT to the SVC_PATH_MAX buffer BUF: a truncated path is still a useful message. */
static void path_append(char *buf, const char *text)
{
    size_t len = strlen(buf), n = strnlen(text, SVC_PATH_MAX - 1 - len);
    memcpy(buf + len, text, n);
    buf[len + n] = '\0';
}

/* Copies PARENT (which may be BUF itself) into BUF. */
static void path_start(char *buf, const char *parent)
{
    size_t len = strnlen(parent, SVC_PATH_MAX - 1);
    memmove(buf, parent, len);
    buf[len] = '\0';
}

const char *bt_svcspec_i_sub(char *buf, const char *parent, const char *key)
{
    char shown[SVC_SHOWN_MAX];
    path_start(buf, parent);
    if (*buf)
        path_append(buf, ".");
    path_append(buf, bt_svcspec_i_printable(shown, sizeof(shown), key));
    return buf;
}

const char *bt_svcspec_i_item(char *buf, const char *parent, size_t index)
{
    char number[32];
    snprintf(number, sizeof(number), "[%zu]", index);
    path_start(buf, parent);
    path_append(buf, number);
    return buf;
}

const char *bt_svcspec_i_type_name(struct json_object *obj)
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

const char *bt_svcspec_i_seconds(char *buf, size_t len, uint64_t ms)
{
    if (ms % 1000 == 0) {
        snprintf(buf, len, "%" PRIu64, ms / 1000);
        return buf;
    }
    int n = snprintf(buf, len, "%" PRIu64 ".%03" PRIu64, ms / 1000, ms % 1000);
    /* "0.500" reads better as "0.5". */
    while (n > 0 && (size_t)n < len && buf[n - 1] == '0')
        buf[--n] = '\0';
    return buf;
}

struct json_object *bt_svcspec_i_member(struct json_object *obj, const char *key)
{
    struct json_object *value = NULL;
    json_object_object_get_ex(obj, key, &value);
    return value;
}

static int want(struct svc_ctx *c, const char *path, struct json_object *obj, enum json_type type,
                const char *what)
{
    if (!json_object_is_type(obj, type))
        return bt_svcspec_i_fail(c, path, "expected %s, got %s", what, bt_svcspec_i_type_name(obj));
    return 0;
}

int bt_svcspec_i_check_keys(struct svc_ctx *c, const char *path, struct json_object *obj,
                            const char *const *known, const char *hint)
{
    char p[SVC_PATH_MAX];
    int ret = want(c, path, obj, json_type_object, "an object");
    if (ret < 0)
        return ret;
    json_object_object_foreach(obj, key, value)
    {
        (void)value;
        const char *const *k = known;
        while (*k && strcmp(*k, key) != 0)
            k++;
        if (!*k)
            return bt_svcspec_i_fail(c, bt_svcspec_i_sub(p, path, key), "unknown key%s%s",
                                     hint ? " " : "", hint ? hint : "");
    }
    return 0;
}

/* json-c clamps integers beyond 64 bits to INT64_MIN or UINT64_MAX; every range here is far
 * inside, so a clamped value is refused without quoting the number json-c made of it. */
int bt_svcspec_i_get_int(struct svc_ctx *c, const char *path, struct json_object *obj, int64_t min,
                         int64_t max, int64_t *out)
{
    int ret = want(c, path, obj, json_type_int, "an integer");
    if (ret < 0)
        return ret;
    int64_t value = json_object_get_int64(obj);
    if (value == INT64_MAX || value == INT64_MIN)
        return bt_svcspec_i_fail(c, path, "out of range (%" PRId64 "..%" PRId64 ")", min, max);
    if (value < min || value > max)
        return bt_svcspec_i_fail(c, path, "%" PRId64 " is out of range (%" PRId64 "..%" PRId64 ")",
                                 value, min, max);
    *out = value;
    return 0;
}

int bt_svcspec_i_field_int(struct svc_ctx *c, const char *path, struct json_object *obj,
                           const char *key, int64_t min, int64_t max, int64_t *out)
{
    char p[SVC_PATH_MAX];
    struct json_object *value = bt_svcspec_i_member(obj, key);
    if (!value)
        return 0;
    return bt_svcspec_i_get_int(c, bt_svcspec_i_sub(p, path, key), value, min, max, out);
}

int bt_svcspec_i_get_seconds(struct svc_ctx *c, const char *path, struct json_object *obj,
                             uint64_t min_ms, uint64_t max_ms, uint64_t *out_ms)
{
    char low[32], high[32];
    bt_svcspec_i_seconds(low, sizeof(low), min_ms);
    bt_svcspec_i_seconds(high, sizeof(high), max_ms);
    if (!json_object_is_type(obj, json_type_int) && !json_object_is_type(obj, json_type_double))
        return bt_svcspec_i_fail(c, path, "expected a number of seconds, got %s",
                                 bt_svcspec_i_type_name(obj));
    /* The text as written, for messages: json-c keeps it for numbers it parsed. */
    const char *shown = json_object_get_string(obj);
    double seconds = json_object_get_double(obj);
    if (!isfinite(seconds) || seconds * 1000 > (double)max_ms + 0.5)
        return bt_svcspec_i_fail(c, path, "%s is out of range (%s..%s)", shown, low, high);
    if (seconds < 0)
        return bt_svcspec_i_fail(c, path, "%s is negative", shown);
    /* Rounded by hand: the programs that link this do not all link libm. */
    double ms = (double)(uint64_t)(seconds * 1000 + 0.5), error = seconds * 1000 - ms;
    if ((error < 0 ? -error : error) > 1e-6 * (ms > 1 ? ms : 1))
        return bt_svcspec_i_fail(c, path, "%s is finer than a millisecond", shown);
    if ((uint64_t)ms < min_ms || (uint64_t)ms > max_ms)
        return bt_svcspec_i_fail(c, path, "%s is out of range (%s..%s)", shown, low, high);
    *out_ms = (uint64_t)ms;
    return 0;
}

int bt_svcspec_i_field_seconds(struct svc_ctx *c, const char *path, struct json_object *obj,
                               const char *key, uint64_t min_ms, uint64_t max_ms, uint64_t *out_ms)
{
    char p[SVC_PATH_MAX];
    struct json_object *value = bt_svcspec_i_member(obj, key);
    if (!value)
        return 0;
    return bt_svcspec_i_get_seconds(c, bt_svcspec_i_sub(p, path, key), value, min_ms, max_ms,
                                    out_ms);
}

int bt_svcspec_i_get_str(struct svc_ctx *c, const char *path, struct json_object *obj, size_t max,
                         const char **out)
{
    int ret = want(c, path, obj, json_type_string, "a string");
    if (ret < 0)
        return ret;
    const char *value = json_object_get_string(obj);
    size_t len = (size_t)json_object_get_string_len(obj);
    if (strlen(value) != len)
        return bt_svcspec_i_fail(c, path, "contains a NUL character");
    if (len > max)
        return bt_svcspec_i_fail(c, path, "too long (%zu bytes, limit %zu)", len, max);
    *out = value;
    return 0;
}

int bt_svcspec_i_field_str(struct svc_ctx *c, const char *path, struct json_object *obj,
                           const char *key, bool required, size_t max, char **out)
{
    char p[SVC_PATH_MAX];
    const char *value;
    struct json_object *jvalue = bt_svcspec_i_member(obj, key);
    bt_svcspec_i_sub(p, path, key);
    if (!jvalue)
        return required ? bt_svcspec_i_fail(c, p, "required key is missing") : 0;
    int ret = bt_svcspec_i_get_str(c, p, jvalue, max, &value);
    if (ret < 0)
        return ret;
    if (!*value)
        return bt_svcspec_i_fail(c, p, "must not be empty");
    *out = strdup(value);
    return *out ? 0 : bt_svcspec_i_oom(c);
}

int bt_svcspec_i_get_array(struct svc_ctx *c, const char *path, struct json_object *obj, size_t max,
                           size_t *len)
{
    int ret = want(c, path, obj, json_type_array, "an array");
    if (ret < 0)
        return ret;
    *len = json_object_array_length(obj);
    if (*len > max)
        return bt_svcspec_i_fail(c, path, "too many entries (%zu, limit %zu)", *len, max);
    return 0;
}

int bt_svcspec_i_get_strv(struct svc_ctx *c, const char *path, struct json_object *obj,
                          int (*check)(struct svc_ctx *, const char *, const char *), char ***out,
                          size_t *len)
{
    char p[SVC_PATH_MAX];
    size_t n;
    int ret = bt_svcspec_i_get_array(c, path, obj, BT_SVCSPEC_ARGS_MAX, &n);
    if (ret < 0)
        return ret;
    *out = calloc(n + 1, sizeof(char *));
    if (!*out)
        return bt_svcspec_i_oom(c);
    *len = n;
    for (size_t i = 0; i < n; i++) {
        const char *value;
        ret = bt_svcspec_i_get_str(c, bt_svcspec_i_item(p, path, i),
                                   json_object_array_get_idx(obj, i), BT_SVCSPEC_ARG_MAX, &value);
        if (ret == 0 && check)
            ret = check(c, p, value);
        if (ret < 0)
            return ret;
        (*out)[i] = strdup(value);
        if (!(*out)[i])
            return bt_svcspec_i_oom(c);
    }
    return 0;
}

/* A host path need only be absolute; a path inside the container must not climb out of it
 * either. */
int bt_svcspec_i_check_abs_path(struct svc_ctx *c, const char *path, const char *value,
                                bool container)
{
    char shown[SVC_SHOWN_MAX];
    if (value[0] != '/')
        return bt_svcspec_i_fail(c, path, "'%s' is not an absolute path",
                                 bt_svcspec_i_printable(shown, sizeof(shown), value));
    for (const char *s = value; container && *s;) {
        const char *end = strchrnul(s, '/');
        if (end - s == 2 && s[0] == '.' && s[1] == '.')
            return bt_svcspec_i_fail(c, path, "'%s' contains a '..' component",
                                     bt_svcspec_i_printable(shown, sizeof(shown), value));
        s = *end ? end + 1 : end;
    }
    return 0;
}
