/* bottled's service and tree specs (see svcspec.h): reading files and directories, the JSON
 * checks, trees and names; lib/svcspec-*.c hold the parts of a service. A bad file is refused
 * whole with one line naming the file, the key path and the reason, and in a directory it
 * never stops the good ones. */
#include "svcspec-internal.h"
#include "cleanup.h"
#include "jsontext.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* As deep as json-c may nest a spec: enough for BT_SVCSPEC_DEPTH_MAX trees (two levels each)
 * and a service, so that a tree nested too deeply gets our message rather than json-c's. */
#define JSON_DEPTH_MAX 64
_Static_assert(JSON_DEPTH_MAX <= BT_JSONTEXT_DEPTH_MAX,
               "bt_jsontext_check walks what json-c accepts");
#define DAY_MS (86400 * UINT64_C(1000))

static bool valid_name(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len > BT_SVCSPEC_NAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        char ch = name[i];
        bool alnum =
            (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
        if (!alnum && (i == 0 || !strchr("_.-", ch)))
            return false;
    }
    return true;
}

int bt_svcspec_i_parse_name(struct svc_ctx *c, const char *path, struct json_object *obj,
                            char *dest)
{
    char p[BT_JSONREAD_PATH_MAX], shown[BT_JSONREAD_SHOWN_MAX];
    const char *name;
    struct json_object *value = bt_jsonread_member(obj, "name");
    bt_jsonread_sub(p, path, "name");
    if (!value)
        return bt_jsonread_fail(&c->json, p, "required key is missing");
    int ret = bt_jsonread_get_str(&c->json, p, value, BT_SVCSPEC_STRING_MAX, &name);
    if (ret < 0)
        return ret;
    if (!valid_name(name))
        return bt_jsonread_fail(&c->json, p,
                                "'%s' is not a valid name (1 to 64 letters, digits, '_', '.' or "
                                "'-', starting with a letter or a digit)",
                                bt_jsonread_printable(shown, sizeof(shown), name));
    for (size_t i = 0; i < c->names_len; i++)
        if (strcmp(c->names[i].name, name) == 0)
            return bt_jsonread_fail(&c->json, p, "'%s' is already used at %s", name,
                                    c->names[i].path);
    if (c->names_len == c->names_cap) {
        size_t cap = c->names_cap ? 2 * c->names_cap : 16;
        struct svc_name *names = realloc(c->names, cap * sizeof(*names));
        if (!names)
            return bt_jsonread_oom(&c->json);
        c->names = names;
        c->names_cap = cap;
    }
    strcpy(dest, name);
    c->names[c->names_len].name = dest;
    c->names[c->names_len].path = strdup(p);
    if (!c->names[c->names_len].path)
        return bt_jsonread_oom(&c->json);
    c->names_len++;
    return 0;
}

static int parse_node(struct svc_ctx *c, const char *path, struct json_object *obj, int depth,
                      struct bt_svcspec_node **out);

static int parse_tree(struct svc_ctx *c, const char *path, struct json_object *obj, int depth,
                      struct bt_svcspec_tree *tree)
{
    static const char *const known[] = {"name", "strategy", "intensity", "children", NULL};
    static const char *const intensity_keys[] = {"max_restarts", "period_s", NULL};
    static const char *const strategies[] = {
        [BT_SVCSPEC_ONE_FOR_ONE] = "one_for_one",
        [BT_SVCSPEC_ONE_FOR_ALL] = "one_for_all",
        [BT_SVCSPEC_REST_FOR_ONE] = "rest_for_one",
    };
    char p[BT_JSONREAD_PATH_MAX], shown[BT_JSONREAD_SHOWN_MAX];
    struct json_object *value;
    if (depth > BT_SVCSPEC_DEPTH_MAX)
        return bt_jsonread_fail(&c->json, path, "trees nest at most %d deep", BT_SVCSPEC_DEPTH_MAX);
    int ret = bt_svcspec_i_check_keys(c, path, obj, known,
                                      "(a tree has name, strategy, intensity and children)");
    if (ret == 0)
        ret = bt_svcspec_i_parse_name(c, path, obj, tree->name);
    if (ret == 0 && (value = bt_jsonread_member(obj, "strategy"))) {
        const char *text;
        bt_jsonread_sub(p, path, "strategy");
        ret = bt_jsonread_get_str(&c->json, p, value, BT_SVCSPEC_STRING_MAX, &text);
        size_t i = 0;
        while (ret == 0 && i < 3 && strcmp(strategies[i], text) != 0)
            i++;
        if (ret == 0 && i == 3)
            return bt_jsonread_fail(&c->json, p,
                                    "expected one_for_one, one_for_all or rest_for_one, got '%s'",
                                    bt_jsonread_printable(shown, sizeof(shown), text));
        tree->strategy = (enum bt_svcspec_strategy)i;
    }
    int64_t max_restarts = BT_SVCSPEC_INTENSITY_RESTARTS;
    tree->period_ms = BT_SVCSPEC_INTENSITY_PERIOD_MS;
    if (ret == 0 && (value = bt_jsonread_member(obj, "intensity"))) {
        bt_jsonread_sub(p, path, "intensity");
        ret = bt_svcspec_i_check_keys(c, p, value, intensity_keys, NULL);
        if (ret == 0)
            ret = bt_svcspec_i_field_int(c, p, value, "max_restarts", 0, 1000000, &max_restarts);
        if (ret == 0)
            ret = bt_svcspec_i_field_seconds(c, p, value, "period_s", 1, DAY_MS, &tree->period_ms);
    }
    tree->max_restarts = (uint32_t)max_restarts;
    if (ret < 0)
        return ret;
    size_t len;
    bt_jsonread_sub(p, path, "children");
    value = bt_jsonread_member(obj, "children");
    ret = bt_jsonread_get_array(&c->json, p, value, BT_SVCSPEC_ITEMS_MAX, &len);
    if (ret < 0)
        return ret;
    if (len == 0)
        return bt_jsonread_fail(&c->json, p, "a tree needs at least one child");
    tree->children = calloc(len, sizeof(*tree->children));
    if (!tree->children)
        return bt_jsonread_oom(&c->json);
    for (size_t i = 0; i < len; i++) {
        char q[BT_JSONREAD_PATH_MAX];
        tree->children_len++;
        ret = parse_node(c, bt_jsonread_item(q, p, i), json_object_array_get_idx(value, i),
                         depth + 1, &tree->children[i]);
        if (ret < 0)
            return ret;
    }
    return 0;
}

/* A service, or a tree when OBJ has "children"; *OUT is set as soon as it is allocated, so
 * that the caller frees a half-built node. */
static int parse_node(struct svc_ctx *c, const char *path, struct json_object *obj, int depth,
                      struct bt_svcspec_node **out)
{
    if (!json_object_is_type(obj, json_type_object))
        return bt_jsonread_fail(&c->json, path, "expected a service or a tree (an object), got %s",
                                bt_jsonread_type_name(obj));
    struct bt_svcspec_node *node = calloc(1, sizeof(*node));
    if (!node)
        return bt_jsonread_oom(&c->json);
    *out = node;
    if (bt_jsonread_member(obj, "children")) {
        node->kind = BT_SVCSPEC_TREE;
        return parse_tree(c, path, obj, depth, &node->tree);
    }
    node->kind = BT_SVCSPEC_SERVICE;
    return bt_svcspec_i_parse_service(c, path, obj, &node->service);
}

static int parse_text(struct svc_ctx *c, const char *text, size_t len, struct bt_svcspec_node **out)
{
    cleanup_json struct json_object *top = NULL;
    int ret = bt_jsontext_parse(&c->json, text, len, BT_SVCSPEC_FILE_MAX, JSON_DEPTH_MAX, &top);
    if (ret < 0)
        return ret;
    if (!json_object_is_type(top, json_type_object))
        return bt_jsonread_fail(&c->json, NULL, "expected a service or a tree (an object), got %s",
                                bt_jsonread_type_name(top));
    /* Unlike config.json, integers beyond 64 bits are left to json-c, which clamps them, and
     * bt_svcspec_i_get_int refuses the clamped values. */
    ret = bt_jsontext_check(&c->json, text, len, 0);
    if (ret < 0)
        return ret;
    struct bt_svcspec_node *node = NULL;
    ret = parse_node(c, "", top, 1, &node);
    if (ret == 0 && !(node->file = strdup(c->json.file)))
        ret = bt_jsonread_oom(&c->json);
    if (ret < 0) {
        bt_svcspec_free(node);
        return ret;
    }
    *out = node;
    return 0;
}

static int parse_labelled(const char *text, size_t len, const char *file_label,
                          struct bt_svcspec_node **out, struct bt_err *err)
{
    struct svc_ctx c = {.json = {.file = file_label, .err = err}};
    int ret = parse_text(&c, text, len, out);
    for (size_t i = 0; i < c.names_len; i++)
        free(c.names[i].path);
    free(c.names);
    return ret;
}

int bt_svcspec_parse(const char *text, const char *file_label, struct bt_svcspec_node **out,
                     struct bt_err *err)
{
    *out = NULL;
    if (!text || !file_label)
        return bt_err_msg(err, EINVAL, "bt_svcspec_parse: no text or no file label");
    return parse_labelled(text, strlen(text), file_label, out, err);
}

int bt_svcspec_load_file(const char *path, struct bt_svcspec_node **out, struct bt_err *err)
{
    *out = NULL;
    cleanup_free char *text = NULL;
    size_t len;
    /* O_NONBLOCK: a FIFO named like a spec must not hang bottled; it is refused as not a
     * regular file. */
    int ret = bt_jsontext_load(path, O_NONBLOCK, BT_SVCSPEC_FILE_MAX, &text, &len, err);
    if (ret < 0)
        return ret;
    return parse_labelled(text, len, path, out, err);
}

/* NAME.json, not hidden (editors and package managers leave .name.json.swp and the like). */
static int spec_file(const struct dirent *entry)
{
    size_t len = strlen(entry->d_name);
    return entry->d_name[0] != '.' && len > 5 && strcmp(entry->d_name + len - 5, ".json") == 0;
}

/* strcmp, not alphasort's strcoll: the order must not depend on the locale. */
static int compare_entries(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

/* Refuses NODE, from FILE, when a name in it (at key path PATH) is taken by a node of LIST. */
static int check_names_free(const struct bt_svcspec_list *list, const struct bt_svcspec_node *node,
                            const char *file, const char *path, struct bt_err *err)
{
    char p[BT_JSONREAD_PATH_MAX];
    const char *name = node->kind == BT_SVCSPEC_TREE ? node->tree.name : node->service.name;
    for (size_t i = 0; i < list->len; i++) {
        if (bt_svcspec_find(list->nodes[i], name)) {
            struct svc_ctx c = {.json = {.file = file, .err = err}};
            return bt_jsonread_fail(&c.json, bt_jsonread_sub(p, path, "name"),
                                    "'%s' is already used in %s", name, list->nodes[i]->file);
        }
    }
    for (size_t i = 0; node->kind == BT_SVCSPEC_TREE && i < node->tree.children_len; i++) {
        bt_jsonread_item(p, bt_jsonread_sub(p, path, "children"), i);
        int ret = check_names_free(list, node->tree.children[i], file, p, err);
        if (ret < 0)
            return ret;
    }
    return 0;
}

/* Loads DIR/NAME into OUT, or reports why not to ON_ERROR. Returns 0, or -ENOMEM: running out
 * of memory stops the whole load, since a partial one would look like removed specs. */
static int load_one(const char *dir, const char *name, struct bt_svcspec_list *out,
                    bt_svcspec_error_fn *on_error, void *data, struct bt_err *err)
{
    cleanup_free char *path = NULL;
    size_t dir_len = strlen(dir);
    const char *slash = dir_len && dir[dir_len - 1] == '/' ? "" : "/";
    if (asprintf(&path, "%s%s%s", dir, slash, name) < 0) {
        path = NULL;
        return bt_err_sys(err, ENOMEM, "%s", dir);
    }
    struct bt_err file_err = {0};
    struct bt_svcspec_node *node = NULL;
    int ret = bt_svcspec_load_file(path, &node, &file_err);
    if (ret == 0)
        ret = check_names_free(out, node, path, "", &file_err);
    struct bt_svcspec_node **nodes = NULL;
    if (ret == 0 && !(nodes = realloc(out->nodes, (out->len + 1) * sizeof(*out->nodes))))
        ret = bt_err_sys(&file_err, ENOMEM, "%s", path);
    if (ret < 0) {
        bt_svcspec_free(node);
        if (ret == -ENOMEM)
            return bt_err_msg(err, ENOMEM, "%s", file_err.msg);
        if (on_error)
            on_error(&file_err, data);
        return 0;
    }
    out->nodes = nodes;
    out->nodes[out->len++] = node;
    return 0;
}

int bt_svcspec_load_dir(const char *dir, struct bt_svcspec_list *out, bt_svcspec_error_fn *on_error,
                        void *data, struct bt_err *err)
{
    struct dirent **entries = NULL;
    *out = (struct bt_svcspec_list){0};
    int n = scandir(dir, &entries, spec_file, compare_entries);
    if (n < 0)
        return bt_err_sys(err, errno, "%s", dir);
    int ret = 0;
    for (int i = 0; i < n; i++) {
        if (ret == 0)
            ret = load_one(dir, entries[i]->d_name, out, on_error, data, err);
        free(entries[i]);
    }
    free(entries);
    if (ret < 0)
        bt_svcspec_list_free(out);
    return ret;
}

void bt_svcspec_free(struct bt_svcspec_node *node)
{
    if (!node)
        return;
    if (node->kind == BT_SVCSPEC_TREE) {
        for (size_t i = 0; i < node->tree.children_len; i++)
            bt_svcspec_free(node->tree.children[i]);
        free(node->tree.children);
    } else {
        bt_svcspec_i_free_service(&node->service);
    }
    free(node->file);
    free(node);
}

void bt_svcspec_list_free(struct bt_svcspec_list *list)
{
    for (size_t i = 0; i < list->len; i++)
        bt_svcspec_free(list->nodes[i]);
    free(list->nodes);
    *list = (struct bt_svcspec_list){0};
}

bool bt_svcspec_exit_is_success(const struct bt_svcspec_service *service, int code)
{
    if (code < 0 || code > 255)
        return false;
    return service->success_exit_codes[code / 64] & (UINT64_C(1) << (code % 64));
}

const struct bt_svcspec_node *bt_svcspec_find(const struct bt_svcspec_node *root, const char *name)
{
    if (root->kind == BT_SVCSPEC_SERVICE)
        return strcmp(root->service.name, name) == 0 ? root : NULL;
    if (strcmp(root->tree.name, name) == 0)
        return root;
    for (size_t i = 0; i < root->tree.children_len; i++) {
        const struct bt_svcspec_node *found = bt_svcspec_find(root->tree.children[i], name);
        if (found)
            return found;
    }
    return NULL;
}
