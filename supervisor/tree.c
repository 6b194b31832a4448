/* Supervision trees as Erlang/OTP has them: children start in order, each once the previous one
 * is ready, and stop in reverse order, one at a time; one_for_one restarts the child that
 * failed, one_for_all all of them, rest_for_one it and those after it; more than max_restarts
 * restarts in period_s stop the tree and escalate to its parent, and the root never gives up:
 * it waits at the backoff cap and starts again. A service's own policy still decides whether
 * its exit wants a restart at all (permanent/transient/temporary children in OTP terms). */
#include "sup.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

/* How long a root that exceeded its intensity waits before it starts again (the backoff cap). */
#define TREE_GIVE_UP_MS BT_SVCSPEC_BACKOFF_MAX_MS

static void stop_step(struct sup_tree *tree);
static void start_step(struct sup_tree *tree);

const char *sup_tree_state_name(enum sup_tree_state state)
{
    static const char *const names[] = {"down",       "starting", "up",
                                        "restarting", "stopping", "backoff"};
    return state <= SUP_TREE_BACKOFF ? names[state] : "?";
}

static const char *strategy_name(enum bt_svcspec_strategy strategy)
{
    switch (strategy) {
    case BT_SVCSPEC_ONE_FOR_ALL: return "one_for_all";
    case BT_SVCSPEC_REST_FOR_ONE: return "rest_for_one";
    default: return "one_for_one";
    }
}

static void set_state(struct sup_tree *tree, enum sup_tree_state state)
{
    bt_log_debug("tree %s: %s -> %s", tree->name, sup_tree_state_name(tree->state),
                 sup_tree_state_name(state));
    tree->state = state;
}

struct sup_tree *sup_tree_find(struct sup *sup, const char *name)
{
    for (struct sup_tree *tree = sup->trees; tree; tree = tree->next_tree)
        if (strcmp(tree->name, name) == 0)
            return tree;
    return NULL;
}

static void persist(const struct sup_tree *tree)
{
    sup_persist_write(tree->sup, tree->name, "{\"wanted_up\":%s,\"restarts\":%u}\n",
                      tree->wanted_up ? "true" : "false", tree->restarts);
}

static void restore(struct sup_tree *tree)
{
    json_object *obj = sup_persist_read(tree->sup, tree->name);
    if (!obj)
        return;
    json_object *v;
    if (json_object_object_get_ex(obj, "wanted_up", &v))
        tree->wanted_up = json_object_get_boolean(v);
    if (json_object_object_get_ex(obj, "restarts", &v))
        tree->restarts = (uint32_t)json_object_get_int64(v);
    json_object_put(obj);
}

static void on_timer(uv_timer_t *timer)
{
    struct sup_tree *tree = timer->data;
    if (tree->state != SUP_TREE_BACKOFF)
        return;
    tree->restart_len = 0; /* a new period */
    set_state(tree, SUP_TREE_DOWN);
    sup_tree_start(tree);
}

struct sup_tree *sup_tree_new(struct sup *sup, struct bt_svcspec_node *node,
                              struct sup_tree *parent, size_t index,
                              const struct bt_svcspec_tree *spec)
{
    struct sup_tree *tree = calloc(1, sizeof(*tree));
    if (!tree)
        return NULL;
    tree->sup = sup;
    tree->node = node;
    tree->spec = spec;
    tree->parent = parent;
    tree->index = index;
    tree->wanted_up = true;
    snprintf(tree->name, sizeof(tree->name), "%s", spec->name);
    tree->children = calloc(spec->children_len, sizeof(*tree->children));
    if (!tree->children) {
        free(tree);
        return NULL;
    }
    uv_timer_init(sup->loop, &tree->timer);
    tree->timer.data = tree;
    tree->next_tree = sup->trees;
    sup->trees = tree;
    for (size_t i = 0; i < spec->children_len; i++) {
        struct bt_svcspec_node *child = spec->children[i];
        if (child->kind == BT_SVCSPEC_TREE) {
            tree->children[i].tree = sup_tree_new(sup, NULL, tree, i, &child->tree);
        } else {
            struct sup_service *svc = sup_service_new(sup, child);
            if (svc) {
                svc->node = NULL; /* the tree's node owns the spec */
                svc->tree = tree;
                svc->tree_index = i;
                svc->next = sup->services;
                sup->services = svc;
                sup_restore(svc);
            }
            tree->children[i].svc = svc;
        }
        if (!tree->children[i].tree && !tree->children[i].svc)
            bt_log_error("tree %s: out of memory for child %zu", tree->name, i);
        tree->len = i + 1;
    }
    restore(tree);
    return tree;
}

static void on_timer_closed(uv_handle_t *handle)
{
    struct sup_tree *tree = handle->data;
    free(tree->children);
    free(tree->restart_ms);
    bt_svcspec_free(tree->node);
    free(tree);
}

/* Unlinks TREE and its subtrees from sup->trees and frees them; their services are the
 * caller's to free (they sit in sup->services). */
void sup_tree_free(struct sup_tree *tree)
{
    for (size_t i = 0; i < tree->len; i++)
        if (tree->children[i].tree)
            sup_tree_free(tree->children[i].tree);
    for (struct sup_tree **p = &tree->sup->trees; *p; p = &(*p)->next_tree)
        if (*p == tree) {
            *p = tree->next_tree;
            break;
        }
    uv_timer_stop(&tree->timer);
    uv_close((uv_handle_t *)&tree->timer, on_timer_closed);
}

static bool child_down(const struct sup_child *child)
{
    if (child->tree)
        return sup_tree_is_down(child->tree);
    return !child->svc || child->svc->state == SUP_DOWN;
}

static bool child_ready(const struct sup_child *child)
{
    if (child->tree)
        return child->tree->state == SUP_TREE_UP;
    return !child->svc || (child->svc->state == SUP_RUNNING && child->svc->ready);
}

bool sup_tree_is_down(const struct sup_tree *tree)
{
    return tree->state == SUP_TREE_DOWN || tree->state == SUP_TREE_BACKOFF;
}

/* Starts without touching what the user wants (a restart by the tree itself). */
static void start_from(struct sup_tree *tree, size_t from)
{
    uv_timer_stop(&tree->timer);
    set_state(tree, SUP_TREE_STARTING);
    tree->next = from;
    if (from == 0)
        sup_event_name(tree->sup, "starting", tree->name, "\"tree\":true");
    start_step(tree);
}

/* Starts child `next`, or moves past it once it is ready; the tree is up after the last. */
static void start_step(struct sup_tree *tree)
{
    while (tree->state == SUP_TREE_STARTING && tree->next < tree->len) {
        struct sup_child *child = &tree->children[tree->next];
        if (child_ready(child)) {
            tree->next++;
            continue;
        }
        size_t waiting = tree->next;
        if (child->tree) {
            if (child->tree->state == SUP_TREE_DOWN || child->tree->state == SUP_TREE_BACKOFF)
                start_from(child->tree, 0);
        } else if (child->svc->state != SUP_STARTING &&
                   !(child->svc->state == SUP_RUNNING && child->svc->wanted_up)) {
            sup_service_handle(child->svc, SUP_EV_START, NULL);
        }
        /* Readiness comes later (or came synchronously and moved us on already). */
        if (tree->state != SUP_TREE_STARTING || tree->next != waiting || !child_ready(child))
            return;
    }
    if (tree->state != SUP_TREE_STARTING)
        return;
    set_state(tree, SUP_TREE_UP);
    sup_event_name(tree->sup, "ready", tree->name, "\"tree\":true");
    if (tree->parent)
        sup_tree_child_ready(tree->parent, tree->index);
}

void sup_tree_start(struct sup_tree *tree)
{
    tree->wanted_up = true;
    tree->restart_pending = false;
    persist(tree);
    if (tree->sup->shutting_down)
        return;
    if (tree->state == SUP_TREE_DOWN || tree->state == SUP_TREE_BACKOFF) {
        tree->restart_len = 0;
        start_from(tree, 0);
    } else if (tree->state == SUP_TREE_STOPPING) {
        tree->restart_pending = true;
    }
}

static void stop_children(struct sup_tree *tree, enum sup_tree_state state, size_t from)
{
    uv_timer_stop(&tree->timer);
    if (tree->state == SUP_TREE_BACKOFF || tree->state == SUP_TREE_DOWN) {
        set_state(tree, SUP_TREE_DOWN);
        return;
    }
    if (state == SUP_TREE_STOPPING && tree->state != SUP_TREE_STOPPING)
        sup_event_name(tree->sup, "stopping", tree->name, "\"tree\":true");
    set_state(tree, state);
    tree->next = from;
    stop_step(tree);
}

void sup_tree_stop(struct sup_tree *tree)
{
    tree->wanted_up = false;
    tree->restart_pending = false;
    if (!tree->sup->shutting_down)
        persist(tree);
    if (tree->state == SUP_TREE_BACKOFF) {
        uv_timer_stop(&tree->timer);
        set_state(tree, SUP_TREE_DOWN);
        sup_event_name(tree->sup, "stopped", tree->name, "\"tree\":true");
        return;
    }
    if (tree->state != SUP_TREE_DOWN)
        stop_children(tree, SUP_TREE_STOPPING, 0);
}

void sup_tree_restart(struct sup_tree *tree)
{
    if (sup_tree_is_down(tree)) {
        sup_tree_start(tree);
        return;
    }
    sup_tree_stop(tree);
    tree->wanted_up = true;
    tree->restart_pending = true;
    persist(tree);
}

/* Everything that had to stop is down: go on with what the stop was for. */
static void stopped(struct sup_tree *tree)
{
    if (tree->state == SUP_TREE_RESTARTING) {
        start_from(tree, tree->next);
        return;
    }
    if (tree->escalating) {
        tree->escalating = false;
        set_state(tree, SUP_TREE_DOWN);
        if (tree->parent) {
            /* The parent sees a child that failed: its strategy and intensity apply. */
            if (sup_tree_child_failed(tree->parent, tree->index))
                start_from(tree, 0);
            return;
        }
        /* The root never gives up for good: it waits at the cap and starts again. */
        sup_event_name(tree->sup, "gave-up", tree->name, "\"tree\":true,\"delay_ms\":%d",
                       TREE_GIVE_UP_MS);
        set_state(tree, SUP_TREE_BACKOFF);
        uv_timer_start(&tree->timer, on_timer, TREE_GIVE_UP_MS, 0);
        return;
    }
    set_state(tree, SUP_TREE_DOWN);
    sup_event_name(tree->sup, "stopped", tree->name, "\"tree\":true");
    if (tree->restart_pending && !tree->sup->shutting_down) {
        tree->restart_pending = false;
        tree->restart_len = 0;
        start_from(tree, 0);
        return;
    }
    if (tree->parent)
        sup_tree_child_down(tree->parent, tree->index);
    sup_specs_reap(tree->sup);
    sup_maybe_exit(tree->sup);
}

/* Stops the last child of the range that is not down yet, one at a time (OTP's order). */
static void stop_step(struct sup_tree *tree)
{
    size_t from = tree->state == SUP_TREE_RESTARTING ? tree->next : 0;
    for (size_t i = tree->len; i-- > from;) {
        struct sup_child *child = &tree->children[i];
        if (child_down(child))
            continue;
        if (child->tree) {
            if (child->tree->state != SUP_TREE_STOPPING)
                stop_children(child->tree, SUP_TREE_STOPPING, 0);
        } else if (child->svc->state != SUP_STOPPING) {
            sup_service_handle(child->svc, SUP_EV_STOP, NULL);
        }
        if (!child_down(child))
            return; /* sup_tree_child_down brings us back */
    }
    stopped(tree);
}

/* Counts one restart against max_restarts within period_ms; true when it is too many. */
static bool over_intensity(struct sup_tree *tree)
{
    uint64_t now = uv_now(tree->sup->loop);
    size_t keep = 0;
    for (size_t i = 0; i < tree->restart_len; i++)
        if (now - tree->restart_ms[i] < tree->spec->period_ms)
            tree->restart_ms[keep++] = tree->restart_ms[i];
    tree->restart_len = keep;
    if (tree->restart_len >= tree->spec->max_restarts)
        return true;
    if (tree->restart_len == tree->restart_cap) {
        size_t cap = tree->restart_cap ? tree->restart_cap * 2 : 8;
        uint64_t *grown = realloc(tree->restart_ms, cap * sizeof(*grown));
        if (!grown)
            return true; /* out of memory: escalating is the safe side */
        tree->restart_ms = grown;
        tree->restart_cap = cap;
    }
    tree->restart_ms[tree->restart_len++] = now;
    return false;
}

bool sup_tree_child_failed(struct sup_tree *tree, size_t index)
{
    const char *child = tree->children[index].tree ? tree->children[index].tree->name
                                                   : tree->children[index].svc->name;
    /* A tree that is stopping or restarting its children already takes care of this one. */
    if (tree->state == SUP_TREE_STOPPING || tree->state == SUP_TREE_RESTARTING ||
        sup_tree_is_down(tree) || !tree->wanted_up || tree->sup->shutting_down)
        return false;
    if (over_intensity(tree)) {
        sup_event_name(tree->sup, "escalated", tree->name,
                       "\"tree\":true,\"child\":\"%s\",\"max_restarts\":%u,\"period_ms\":%llu",
                       child, tree->spec->max_restarts, (unsigned long long)tree->spec->period_ms);
        tree->escalating = true;
        stop_children(tree, SUP_TREE_STOPPING, 0);
        return false;
    }
    tree->restarts++;
    persist(tree);
    switch (tree->spec->strategy) {
    case BT_SVCSPEC_ONE_FOR_ALL:
        sup_event_name(tree->sup, "restarting", tree->name,
                       "\"tree\":true,\"child\":\"%s\",\"strategy\":\"one_for_all\"", child);
        stop_children(tree, SUP_TREE_RESTARTING, 0);
        return false;
    case BT_SVCSPEC_REST_FOR_ONE:
        sup_event_name(tree->sup, "restarting", tree->name,
                       "\"tree\":true,\"child\":\"%s\",\"strategy\":\"rest_for_one\"", child);
        stop_children(tree, SUP_TREE_RESTARTING, index);
        return false;
    default: return true;
    }
}

void sup_tree_child_ready(struct sup_tree *tree, size_t index)
{
    if (tree->state == SUP_TREE_STARTING && index == tree->next) {
        tree->next++;
        start_step(tree);
    }
}

void sup_tree_child_down(struct sup_tree *tree, size_t index)
{
    (void)index;
    if (tree->state == SUP_TREE_STOPPING || tree->state == SUP_TREE_RESTARTING)
        stop_step(tree);
}

/* After re-adoption: a tree whose children all run and are ready is up; one wanted up with
 * some children down starts them in order; one wanted down stops what still runs. */
void sup_tree_adopted(struct sup_tree *tree)
{
    for (size_t i = 0; i < tree->len; i++)
        if (tree->children[i].tree)
            sup_tree_adopted(tree->children[i].tree);
    if (tree->parent)
        return; /* the root drives its subtrees */
    if (!tree->wanted_up) {
        bool any = false;
        for (size_t i = 0; i < tree->len; i++)
            any = any || !child_down(&tree->children[i]);
        if (any) {
            set_state(tree, SUP_TREE_UP);
            stop_children(tree, SUP_TREE_STOPPING, 0);
        }
        return;
    }
    start_from(tree, 0);
}

json_object *sup_tree_json(const struct sup_tree *tree)
{
    json_object *obj = json_object_new_object();
    json_object_object_add(obj, "name", json_object_new_string(tree->name));
    json_object_object_add(obj, "kind", json_object_new_string("tree"));
    json_object_object_add(obj, "state", json_object_new_string(sup_tree_state_name(tree->state)));
    json_object_object_add(obj, "wanted", json_object_new_string(tree->wanted_up ? "up" : "down"));
    json_object_object_add(obj, "strategy",
                           json_object_new_string(strategy_name(tree->spec->strategy)));
    json_object *intensity = json_object_new_object();
    json_object_object_add(intensity, "max_restarts",
                           json_object_new_int64(tree->spec->max_restarts));
    json_object_object_add(intensity, "period_ms",
                           json_object_new_int64((int64_t)tree->spec->period_ms));
    json_object_object_add(intensity, "recent", json_object_new_int64((int64_t)tree->restart_len));
    json_object_object_add(obj, "intensity", intensity);
    json_object_object_add(obj, "restarts", json_object_new_int64(tree->restarts));
    if (tree->parent)
        json_object_object_add(obj, "tree", json_object_new_string(tree->parent->name));
    json_object *children = json_object_new_array();
    for (size_t i = 0; i < tree->len; i++) {
        const struct sup_child *child = &tree->children[i];
        const char *name = child->tree ? child->tree->name : child->svc ? child->svc->name : "";
        json_object_array_add(children, json_object_new_string(name));
    }
    json_object_object_add(obj, "children", children);
    return obj;
}
