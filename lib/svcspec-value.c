/* The service-spec readers that lib/jsonread.c does not have, shared by lib/svcspec*.c: the key
 * check in the service specs' wording, integers in a small range and durations in seconds. */
#include "svcspec-internal.h"

#include <inttypes.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>

int bt_svcspec_i_check_keys(struct svc_ctx *c, const char *path, struct json_object *obj,
                            const char *const *known, const char *hint)
{
    char p[BT_JSONREAD_PATH_MAX];
    const char *unknown;
    int ret = bt_jsonread_check_keys(&c->json, path, obj, known, NULL, &unknown);
    if (ret == 0 && unknown)
        return bt_jsonread_fail(&c->json, bt_jsonread_sub(p, path, unknown), "unknown key%s%s",
                                hint ? " " : "", hint ? hint : "");
    return ret;
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

/* json-c clamps integers beyond 64 bits to INT64_MIN or UINT64_MAX; every range here is far
 * inside, so a clamped value is refused without quoting the number json-c made of it. */
int bt_svcspec_i_get_int(struct svc_ctx *c, const char *path, struct json_object *obj, int64_t min,
                         int64_t max, int64_t *out)
{
    if (json_object_is_type(obj, json_type_int)) {
        int64_t value = json_object_get_int64(obj);
        if (value == INT64_MAX || value == INT64_MIN)
            return bt_jsonread_fail(&c->json, path, "out of range (%" PRId64 "..%" PRId64 ")", min,
                                    max);
    }
    return bt_jsonread_get_i64(&c->json, path, obj, min, max, out);
}

int bt_svcspec_i_field_int(struct svc_ctx *c, const char *path, struct json_object *obj,
                           const char *key, int64_t min, int64_t max, int64_t *out)
{
    char p[BT_JSONREAD_PATH_MAX];
    struct json_object *value = bt_jsonread_member(obj, key);
    if (!value)
        return 0;
    return bt_svcspec_i_get_int(c, bt_jsonread_sub(p, path, key), value, min, max, out);
}

int bt_svcspec_i_get_seconds(struct svc_ctx *c, const char *path, struct json_object *obj,
                             uint64_t min_ms, uint64_t max_ms, uint64_t *out_ms)
{
    char low[32], high[32];
    bt_svcspec_i_seconds(low, sizeof(low), min_ms);
    bt_svcspec_i_seconds(high, sizeof(high), max_ms);
    if (!json_object_is_type(obj, json_type_int) && !json_object_is_type(obj, json_type_double))
        return bt_jsonread_fail(&c->json, path, "expected a number of seconds, got %s",
                                bt_jsonread_type_name(obj));
    /* The text as written, for messages: json-c keeps it for numbers it parsed. */
    const char *shown = json_object_get_string(obj);
    double seconds = json_object_get_double(obj);
    if (!isfinite(seconds) || seconds * 1000 > (double)max_ms + 0.5)
        return bt_jsonread_fail(&c->json, path, "%s is out of range (%s..%s)", shown, low, high);
    if (seconds < 0)
        return bt_jsonread_fail(&c->json, path, "%s is negative", shown);
    /* Rounded by hand: the programs that link this do not all link libm. */
    double ms = (double)(uint64_t)(seconds * 1000 + 0.5), error = seconds * 1000 - ms;
    if ((error < 0 ? -error : error) > 1e-6 * (ms > 1 ? ms : 1))
        return bt_jsonread_fail(&c->json, path, "%s is finer than a millisecond", shown);
    if ((uint64_t)ms < min_ms || (uint64_t)ms > max_ms)
        return bt_jsonread_fail(&c->json, path, "%s is out of range (%s..%s)", shown, low, high);
    *out_ms = (uint64_t)ms;
    return 0;
}

int bt_svcspec_i_field_seconds(struct svc_ctx *c, const char *path, struct json_object *obj,
                               const char *key, uint64_t min_ms, uint64_t max_ms, uint64_t *out_ms)
{
    char p[BT_JSONREAD_PATH_MAX];
    struct json_object *value = bt_jsonread_member(obj, key);
    if (!value)
        return 0;
    return bt_svcspec_i_get_seconds(c, bt_jsonread_sub(p, path, key), value, min_ms, max_ms,
                                    out_ms);
}
