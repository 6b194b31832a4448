/* The config.json readers that lib/jsonread.c does not have, shared by the lib/spec*.c
 * validators: the key check in config.json's wording, name tables and string maps. */
#include "spec-internal.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

int bt_spec_i_check_keys(struct ctx *c, const char *path, struct json_object *obj,
                         const char *const *known,
                         const struct bt_jsonread_unsupported *unsupported)
{
    char p[BT_JSONREAD_PATH_MAX];
    const char *unknown;
    int ret = bt_jsonread_check_keys(&c->json, path, obj, known, unsupported, &unknown);
    if (ret == 0 && unknown)
        return bt_err_msg(c->json.err, EINVAL, "%s: unknown key '%s'", c->json.file,
                          bt_jsonread_sub(p, path, unknown));
    return ret;
}

int bt_spec_i_typed_item(struct ctx *c, const char *path, struct json_object *list, size_t i,
                         const char *const *known, char *item_path, struct json_object **obj,
                         const char **type)
{
    char q[BT_JSONREAD_PATH_MAX];
    *obj = json_object_array_get_idx(list, i);
    bt_jsonread_item(item_path, path, i);
    int ret = bt_spec_i_check_keys(c, item_path, *obj, known, NULL);
    if (ret < 0)
        return ret;
    if (!bt_jsonread_member(*obj, "type"))
        return bt_jsonread_missing(&c->json, bt_jsonread_sub(q, item_path, "type"));
    return bt_jsonread_get_str(&c->json, bt_jsonread_sub(q, item_path, "type"),
                               bt_jsonread_member(*obj, "type"), BT_JSONREAD_SHOWN_MAX, type);
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
    char p[BT_JSONREAD_PATH_MAX];
    const char *text;
    int ret = bt_jsonread_want(&c->json, path, obj, json_type_object, "an object");
    if (ret < 0)
        return ret;
    size_t n = (size_t)json_object_object_length(obj), i = 0;
    if (n > BT_SPEC_ITEMS_MAX)
        return bt_jsonread_fail(&c->json, path, "too many entries (%zu, limit %d)", n,
                                BT_SPEC_ITEMS_MAX);
    *out = calloc(n ? n : 1, sizeof(**out));
    if (!*out)
        return bt_jsonread_oom(&c->json);
    json_object_object_foreach(obj, key, value)
    {
        bt_jsonread_sub(p, path, key);
        if (strlen(key) > BT_SPEC_STRING_MAX)
            return bt_jsonread_fail(&c->json, p, "key too long (limit %d bytes)",
                                    BT_SPEC_STRING_MAX);
        if (check_key && (ret = check_key(c, p, key)) < 0)
            return ret;
        if (!value)
            return bt_jsonread_fail(&c->json, p, "expected a string, got null");
        ret = bt_jsonread_get_str(&c->json, p, value, BT_SPEC_ARG_MAX, &text);
        if (ret == 0)
            ret = bt_jsonread_dup_str(&c->json, key, &(*out)[i].key);
        if (ret == 0)
            ret = bt_jsonread_dup_str(&c->json, text, &(*out)[i].value);
        *len = ++i;
        if (ret < 0)
            return ret;
    }
    return 0;
}
