/* What bottled supervises: the top-level units (a service or a tree) of --config and of
 * `bottle apply`, and how that set changes at run time. A SIGHUP reload and an apply change
 * only what differs; a unit that is replaced or removed is stopped first and freed once down,
 * and a new unit that needs a name still in use waits until it is free. Applied specs are kept
 * in STATE/bottled/applied so that they survive a restart of bottled. */
#include "sup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

/* A unit waiting for the unit it replaces to be down. */
struct pending {
    struct bt_svcspec_node *node;
    bool applied;
    struct pending *next;
};
static struct pending *pendings;

static const char *node_name(const struct bt_svcspec_node *node)
{
    return node->kind == BT_SVCSPEC_TREE ? node->tree.name : node->service.name;
}

static void on_error(const struct bt_err *err, void *data)
{
    (void)data;
    bt_log_error("%s", err->msg);
}

static int load_config(struct sup *sup, struct bt_svcspec_list *list)
{
    struct bt_err err = {0};
    memset(list, 0, sizeof(*list));
    if (!sup->config)
        return 0;
    struct stat st;
    if (stat(sup->config, &st) < 0) {
        bt_log_error("--config %s: %s", sup->config, strerror(errno));
        return -errno;
    }
    if (S_ISDIR(st.st_mode)) {
        if (bt_svcspec_load_dir(sup->config, list, on_error, NULL, &err) < 0) {
            bt_log_error("%s", err.msg);
            return -EINVAL;
        }
        return 0;
    }
    struct bt_svcspec_node *node;
    if (bt_svcspec_load_file(sup->config, &node, &err) < 0) {
        bt_log_error("%s", err.msg);
        return 0; /* a bad file never stops bottled */
    }
    list->nodes = calloc(1, sizeof(*list->nodes));
    if (!list->nodes) {
        bt_svcspec_free(node);
        return -ENOMEM;
    }
    list->nodes[0] = node;
    list->len = 1;
    return 0;
}

static void applied_path(const struct sup *sup, const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "%s/bottled/applied/%s.json", sup->state, name);
}

/* The service or tree NAME when it is a top-level unit (not a child of a tree). */
static struct sup_service *top_service(struct sup *sup, const char *name)
{
    struct sup_service *svc = sup_find(sup, name);
    return svc && !svc->tree ? svc : NULL;
}

static struct sup_tree *top_tree(struct sup *sup, const char *name)
{
    struct sup_tree *tree = sup_tree_find(sup, name);
    return tree && !tree->parent ? tree : NULL;
}

static bool in_tree(const struct sup_tree *tree, const struct sup_tree *root)
{
    for (; tree; tree = tree->parent)
        if (tree == root)
            return true;
    return false;
}

/* The name of a running unit (other than EXCEPT, the unit NODE replaces) that NODE also uses. */
static const char *name_clash(struct sup *sup, const struct bt_svcspec_node *node,
                              const char *except)
{
    struct sup_tree *skip_tree = except ? top_tree(sup, except) : NULL;
    struct sup_service *skip_svc = except ? top_service(sup, except) : NULL;
    for (struct sup_service *svc = sup->services; svc; svc = svc->next) {
        if (svc == skip_svc || (skip_tree && in_tree(svc->tree, skip_tree)))
            continue;
        if (bt_svcspec_find(node, svc->name))
            return svc->name;
    }
    for (struct sup_tree *tree = sup->trees; tree; tree = tree->next_tree) {
        if (skip_tree && in_tree(tree, skip_tree))
            continue;
        if (bt_svcspec_find(node, tree->name))
            return tree->name;
    }
    return NULL;
}

static void adopt_services(struct sup *sup, struct sup_tree *root)
{
    for (struct sup_service *svc = sup->services; svc; svc = svc->next) {
        if (!in_tree(svc->tree, root))
            continue;
        if (sup_shim_adopt(svc) > 0 && svc->state == SUP_RUNNING &&
            svc->spec->readiness == BT_SVCSPEC_READY_EXEC)
            sup_service_ready(svc);
    }
}

/* Takes NODE: a new top-level unit, started if wanted (after adopting its live shims). */
static void add_node(struct sup *sup, struct bt_svcspec_node *node, bool applied, bool adopt)
{
    if (node->kind == BT_SVCSPEC_TREE) {
        struct sup_tree *tree = sup_tree_new(sup, node, NULL, 0, &node->tree);
        if (!tree) {
            bt_svcspec_free(node);
            return;
        }
        tree->applied = applied;
        sup_event_name(sup, "loaded", tree->name, "\"tree\":true");
        if (adopt) {
            adopt_services(sup, tree);
            sup_tree_adopted(tree);
        } else if (tree->wanted_up) {
            sup_tree_start(tree);
        } else {
            sup_tree_stop(tree);
        }
        return;
    }
    struct sup_service *svc = sup_service_new(sup, node);
    if (!svc) {
        bt_svcspec_free(node);
        return;
    }
    svc->applied = applied;
    svc->next = sup->services;
    sup->services = svc;
    sup_restore(svc);
    sup_event(sup, "loaded", svc, NULL);
    if (adopt && sup_shim_adopt(svc) != 0) {
        if (svc->state == SUP_RUNNING && svc->spec->readiness == BT_SVCSPEC_READY_EXEC)
            sup_service_ready(svc);
        /* Stopped by hand while we were away (or in the middle of that stop): finish it. */
        if (svc->state == SUP_RUNNING && !svc->wanted_up)
            sup_service_handle(svc, SUP_EV_STOP, NULL);
        return;
    }
    if (svc->wanted_up) {
        svc->wanted_up = false; /* so that START counts as new */
        sup_service_handle(svc, SUP_EV_START, NULL);
    }
}

static void remove_unit(struct sup *sup, const char *name)
{
    struct sup_service *svc = top_service(sup, name);
    struct sup_tree *tree = top_tree(sup, name);
    if (svc && !svc->removed) {
        svc->removed = true;
        sup_event(sup, "removed", svc, NULL);
        sup_service_handle(svc, SUP_EV_STOP, NULL);
    } else if (tree && !tree->removed) {
        tree->removed = true;
        sup_event_name(sup, "removed", tree->name, "\"tree\":true");
        sup_tree_stop(tree);
    }
    sup_specs_reap(sup);
}

static void queue(struct bt_svcspec_node *node, bool applied)
{
    struct pending *p = calloc(1, sizeof(*p));
    if (!p) {
        bt_svcspec_free(node);
        return;
    }
    p->node = node;
    p->applied = applied;
    struct pending **tail = &pendings;
    while (*tail)
        tail = &(*tail)->next;
    *tail = p;
}

/* A changed service keeps its place and its counts; it restarts if it runs. */
static void replace_service(struct sup_service *svc, struct bt_svcspec_node *node)
{
    bt_svcspec_free(svc->node);
    svc->node = node;
    svc->spec = &node->service;
    svc->removed = false;
    sup_event(svc->sup, "changed", svc, NULL);
    if (svc->state == SUP_RUNNING || svc->state == SUP_STARTING) {
        svc->restart_pending = true;
        sup_service_handle(svc, SUP_EV_STOP, NULL);
    } else if (svc->wanted_up) {
        sup_service_handle(svc, SUP_EV_START, NULL);
    }
}

/* Takes NODE, a unit for the top level; *ACTION says what happened. */
static int install(struct sup *sup, struct bt_svcspec_node *node, bool applied, const char **action,
                   struct bt_err *err)
{
    const char *name = node_name(node);
    struct sup_service *svc = top_service(sup, name);
    struct sup_tree *tree = top_tree(sup, name);
    const char *clash = name_clash(sup, node, svc || tree ? name : NULL);
    if (clash) {
        int ret = bt_err_msg(err, EEXIST, "%s: the name %s is already used by another unit",
                             node->file ? node->file : name, clash);
        bt_svcspec_free(node);
        return ret;
    }
    if (svc && svc->applied != applied) {
        bt_err_msg(err, EEXIST, "%s: %s is defined by %s", node->file ? node->file : name, name,
                   svc->applied ? "bottle apply" : "--config");
        bt_svcspec_free(node);
        return -EEXIST;
    }
    if (tree && tree->applied != applied) {
        bt_err_msg(err, EEXIST, "%s: %s is defined by %s", node->file ? node->file : name, name,
                   tree->applied ? "bottle apply" : "--config");
        bt_svcspec_free(node);
        return -EEXIST;
    }
    if (svc && !svc->removed && node->kind == BT_SVCSPEC_SERVICE) {
        if (bt_svcspec_equal(svc->spec, &node->service)) {
            bt_svcspec_free(node);
            *action = "unchanged";
        } else {
            replace_service(svc, node);
            *action = "changed";
        }
        return 0;
    }
    if (tree && !tree->removed && tree->node && bt_svcspec_node_equal(tree->node, node)) {
        bt_svcspec_free(node);
        *action = "unchanged";
        return 0;
    }
    if (svc || tree) {
        /* A tree that changed, or a change of kind: the old one stops, then the new starts. */
        remove_unit(sup, name);
        queue(node, applied);
        sup_specs_reap(sup);
        *action = "replaced";
        return 0;
    }
    add_node(sup, node, applied, false);
    *action = "created";
    return 0;
}

static void load_applied(struct sup *sup)
{
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/bottled/applied", sup->state);
    struct bt_svcspec_list list;
    struct bt_err err = {0};
    if (access(dir, F_OK) < 0)
        return;
    if (bt_svcspec_load_dir(dir, &list, on_error, NULL, &err) < 0) {
        bt_log_error("%s", err.msg);
        return;
    }
    for (size_t i = 0; i < list.len; i++) {
        struct bt_svcspec_node *node = list.nodes[i];
        list.nodes[i] = NULL;
        const char *clash = name_clash(sup, node, NULL);
        if (clash) {
            bt_log_error("%s: the name %s is already used by --config", node->file, clash);
            bt_svcspec_free(node);
            continue;
        }
        add_node(sup, node, true, true);
    }
    bt_svcspec_list_free(&list);
}

int sup_specs_load(struct sup *sup)
{
    struct bt_svcspec_list list;
    int ret = load_config(sup, &list);
    if (ret < 0)
        return ret;
    for (size_t i = 0; i < list.len; i++) {
        add_node(sup, list.nodes[i], false, true);
        list.nodes[i] = NULL;
    }
    bt_svcspec_list_free(&list);
    load_applied(sup);
    return 0;
}

/* SIGHUP: new units start, removed ones stop, changed ones restart; the rest go on. Units
 * applied at run time are not --config's to remove. */
void sup_specs_reload(struct sup *sup)
{
    struct bt_svcspec_list list;
    if (load_config(sup, &list) < 0)
        return;
    char gone[256][BT_SVCSPEC_NAME_MAX + 1];
    size_t gone_len = 0;
    for (struct sup_service *svc = sup->services; svc; svc = svc->next) {
        bool found = svc->applied || svc->tree || svc->removed;
        for (size_t i = 0; i < list.len && !found; i++)
            found = strcmp(node_name(list.nodes[i]), svc->name) == 0;
        if (!found && gone_len < 256)
            snprintf(gone[gone_len++], sizeof(gone[0]), "%s", svc->name);
    }
    for (struct sup_tree *tree = sup->trees; tree; tree = tree->next_tree) {
        bool found = tree->applied || tree->parent || tree->removed;
        for (size_t i = 0; i < list.len && !found; i++)
            found = strcmp(node_name(list.nodes[i]), tree->name) == 0;
        if (!found && gone_len < 256)
            snprintf(gone[gone_len++], sizeof(gone[0]), "%s", tree->name);
    }
    for (size_t i = 0; i < gone_len; i++)
        remove_unit(sup, gone[i]);
    for (size_t i = 0; i < list.len; i++) {
        struct bt_svcspec_node *node = list.nodes[i];
        list.nodes[i] = NULL;
        const char *action;
        struct bt_err err = {0};
        if (install(sup, node, false, &action, &err) < 0)
            bt_log_error("%s", err.msg);
    }
    bt_svcspec_list_free(&list);
}

static int write_applied(struct sup *sup, const char *name, const char *text, struct bt_err *err)
{
    char dir[4096], path[4200], tmp[4220];
    snprintf(dir, sizeof(dir), "%s/bottled", sup->state);
    mkdir(dir, 0700);
    snprintf(dir, sizeof(dir), "%s/bottled/applied", sup->state);
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        return bt_err_sys(err, errno, "create %s", dir);
    applied_path(sup, name, path, sizeof(path));
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return bt_err_sys(err, errno, "create %s", tmp);
    size_t len = strlen(text);
    bool ok = write(fd, text, len) == (ssize_t)len && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp, path) < 0) {
        int saved = errno ? errno : EIO;
        unlink(tmp);
        return bt_err_sys(err, saved, "write %s", path);
    }
    return 0;
}

int sup_specs_apply(struct sup *sup, const char *text, const char *label, bool create_only,
                    const char **action, char *name, struct bt_err *err)
{
    struct bt_svcspec_node *node;
    int ret = bt_svcspec_parse(text, label, &node, err);
    if (ret < 0)
        return ret;
    snprintf(name, BT_SVCSPEC_NAME_MAX + 1, "%s", node_name(node));
    if (create_only && (sup_find(sup, name) || sup_tree_find(sup, name))) {
        bt_svcspec_free(node);
        return bt_err_msg(err, EEXIST, "the name %s is already in use", name);
    }
    /* What is applied is kept as it was given, to be loaded again by the next bottled. */
    char *json = NULL;
    ret = bt_svcspec_to_json(node, &json, err);
    if (ret == 0) {
        const char *clash =
            name_clash(sup, node, top_service(sup, name) || top_tree(sup, name) ? name : NULL);
        if (clash)
            ret = bt_err_msg(err, EEXIST, "%s: the name %s is already used by another unit", label,
                             clash);
    }
    if (ret == 0)
        ret = write_applied(sup, name, json, err);
    free(json);
    if (ret < 0) {
        bt_svcspec_free(node);
        return ret;
    }
    return install(sup, node, true, action, err);
}

int sup_specs_rm(struct sup *sup, const char *name, bool force, struct bt_err *err)
{
    struct sup_service *svc = top_service(sup, name);
    struct sup_tree *tree = top_tree(sup, name);
    if (!svc && !tree) {
        if (sup_find(sup, name) || sup_tree_find(sup, name))
            return bt_err_msg(err, EPERM, "%s is part of a tree: remove the tree", name);
        return bt_err_msg(err, ENOENT, "no such service or tree: %s", name);
    }
    if (!(svc ? svc->applied : tree->applied))
        return bt_err_msg(err, EPERM,
                          "%s comes from --config: remove it there and reload bottled (SIGHUP)",
                          name);
    bool down = svc ? svc->state == SUP_DOWN : sup_tree_is_down(tree);
    if (!down && !force)
        return bt_err_msg(err, EBUSY, "%s is running: stop it first or use rm -f", name);
    char path[4200];
    applied_path(sup, name, path, sizeof(path));
    unlink(path);
    remove_unit(sup, name);
    return 0;
}

void sup_specs_stop_all(struct sup *sup)
{
    for (struct sup_service *svc = sup->services; svc; svc = svc->next)
        if (!svc->tree)
            sup_service_handle(svc, SUP_EV_STOP, NULL);
    for (struct sup_tree *tree = sup->trees; tree; tree = tree->next_tree)
        if (!tree->parent)
            sup_tree_stop(tree);
}

static bool services_down(struct sup *sup, struct sup_tree *root)
{
    for (struct sup_service *svc = sup->services; svc; svc = svc->next)
        if (in_tree(svc->tree, root) && svc->state != SUP_DOWN)
            return false;
    return true;
}

static void reap_now(uv_timer_t *timer)
{
    struct sup *sup = timer->data;
    for (struct sup_service **p = &sup->services; *p;) {
        struct sup_service *svc = *p;
        if (svc->removed && !svc->tree && svc->state == SUP_DOWN) {
            *p = svc->next;
            sup_persist_forget(sup, svc->name);
            sup_service_free(svc);
        } else {
            p = &svc->next;
        }
    }
    for (struct sup_tree *tree = sup->trees; tree; tree = tree->next_tree) {
        if (!tree->removed || tree->parent || !sup_tree_is_down(tree) || !services_down(sup, tree))
            continue;
        for (struct sup_service **p = &sup->services; *p;) {
            struct sup_service *svc = *p;
            if (in_tree(svc->tree, tree)) {
                *p = svc->next;
                sup_persist_forget(sup, svc->name);
                sup_service_free(svc);
            } else {
                p = &svc->next;
            }
        }
        for (struct sup_tree *sub = sup->trees; sub; sub = sub->next_tree)
            if (in_tree(sub, tree))
                sup_persist_forget(sup, sub->name);
        sup_tree_free(tree);
        break; /* the list changed: the next reap (below) goes on */
    }
    /* Units that waited for a name. */
    for (struct pending **p = &pendings; *p;) {
        struct pending *pending = *p;
        const char *clash = name_clash(sup, pending->node, NULL);
        if (clash) {
            p = &pending->next;
            continue;
        }
        *p = pending->next;
        add_node(sup, pending->node, pending->applied, false);
        free(pending);
    }
    bool more = false;
    for (struct sup_tree *tree = sup->trees; tree && !more; tree = tree->next_tree)
        more = tree->removed && !tree->parent && sup_tree_is_down(tree) && services_down(sup, tree);
    if (more)
        uv_timer_start(&sup->reap_timer, reap_now, 0, 0);
    sup_maybe_exit(sup);
}

void sup_specs_free(struct sup *sup)
{
    while (pendings) {
        struct pending *p = pendings;
        pendings = p->next;
        bt_svcspec_free(p->node);
        free(p);
    }
    while (sup->trees) {
        struct sup_tree *root = sup->trees;
        while (root->parent)
            root = root->parent;
        sup_tree_free(root);
    }
}

void sup_specs_reap(struct sup *sup)
{
    /* Never now: the unit may be in the middle of its own callback. */
    if (sup->reap_timer.data && !sup->shutting_down)
        uv_timer_start(&sup->reap_timer, reap_now, 0, 0);
}
