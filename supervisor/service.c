/* One service's lifecycle as one state machine: sup_service_handle() is the whole table of
 * (state, event) → action, and every transition is logged at debug level. Restart policies,
 * backoff and "never two instances" live here; starting and watching shims is shim.c's. */
#include "sup.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

const char *sup_state_name(enum sup_state state)
{
    static const char *const names[] = {"down", "starting", "running", "stopping", "backoff"};
    return state <= SUP_BACKOFF ? names[state] : "?";
}

static const char *event_name(enum sup_event event)
{
    static const char *const names[] = {"start",        "stop",   "started",
                                        "start-failed", "exited", "timer"};
    return event <= SUP_EV_TIMER ? names[event] : "?";
}

struct sup_service *sup_find(struct sup *sup, const char *name)
{
    for (struct sup_service *svc = sup->services; svc; svc = svc->next)
        if (strcmp(svc->name, name) == 0)
            return svc;
    return NULL;
}

/* STATE/bottled/NAME.json: what must survive a restart of bottled. */
void sup_persist(const struct sup_service *svc)
{
    char overrides[1024];
    sup_update_persist(svc, overrides, sizeof(overrides));
    sup_persist_write(svc->sup, svc->name,
                      "{\"wanted_up\":%s,\"restarts\":%u,\"failures\":%u,\"backoff_ms\":%llu,"
                      "\"paused\":%s%s}\n",
                      svc->wanted_up ? "true" : "false", svc->restarts, svc->failures,
                      (unsigned long long)svc->backoff_ms, svc->paused ? "true" : "false",
                      overrides);
}

void sup_restore(struct sup_service *svc)
{
    json_object *obj = sup_persist_read(svc->sup, svc->name);
    if (!obj)
        return;
    json_object *v;
    if (json_object_object_get_ex(obj, "wanted_up", &v))
        svc->wanted_up = json_object_get_boolean(v);
    if (json_object_object_get_ex(obj, "restarts", &v))
        svc->restarts = (uint32_t)json_object_get_int64(v);
    if (json_object_object_get_ex(obj, "failures", &v))
        svc->failures = (uint32_t)json_object_get_int64(v);
    if (json_object_object_get_ex(obj, "backoff_ms", &v))
        svc->backoff_ms = (uint64_t)json_object_get_int64(v);
    if (json_object_object_get_ex(obj, "paused", &v)) /* a re-adopted container stays frozen */
        svc->paused = json_object_get_boolean(v);
    sup_update_restore(svc, obj);
    json_object_put(obj);
}

static void on_timer(uv_timer_t *timer)
{
    sup_service_handle(timer->data, SUP_EV_TIMER, NULL);
}

struct sup_service *sup_service_new(struct sup *sup, struct bt_svcspec_node *node)
{
    struct sup_service *svc = calloc(1, sizeof(*svc));
    if (!svc)
        return NULL;
    svc->sup = sup;
    sup->service_count++;
    svc->node = node;
    svc->spec = &node->service;
    snprintf(svc->name, sizeof(svc->name), "%s", node->service.name);
    svc->state = SUP_DOWN;
    svc->wanted_up = true;
    svc->shim_pidfd = -1;
    uv_timer_init(sup->loop, &svc->timer);
    svc->timer.data = svc;
    return svc;
}

static void on_timer_closed(uv_handle_t *handle)
{
    struct sup_service *svc = handle->data;
    svc->sup->service_count--;
    bt_svcspec_free(svc->node);
    free(svc);
}

void sup_service_free(struct sup_service *svc)
{
    sup_freeze_forget(svc);
    sup_ready_disarm(svc); /* their handles must not outlive svc (SIGQUIT frees it running) */
    sup_health_stop(svc);
    sup_shim_forget(svc);
    uv_close((uv_handle_t *)&svc->timer, on_timer_closed);
}

static void set_state(struct sup_service *svc, enum sup_state state)
{
    bt_log_debug("%s: %s -> %s", svc->name, sup_state_name(svc->state), sup_state_name(state));
    svc->state = state;
}

static void start(struct sup_service *svc)
{
    struct bt_err err = {0};
    svc->stopping_by_us = false;
    svc->restart_pending = false;
    svc->paused = false; /* a new cgroup */
    svc->ready_since_ms = 0;
    set_state(svc, SUP_STARTING);
    sup_event(svc->sup, "starting", svc, NULL);
    if (sup_shim_start(svc, &err) < 0) {
        json_object *msg = json_object_new_string(err.msg);
        sup_event(svc->sup, "start-failed", svc, "\"error\":%s", json_object_to_json_string(msg));
        json_object_put(msg);
        bt_log_warn("%s: %s", svc->name, err.msg);
        struct sup_exit failed = {.code = 125};
        sup_service_handle(svc, SUP_EV_START_FAILED, &failed);
    }
}

static void begin_stop(struct sup_service *svc)
{
    svc->stopping_by_us = true;
    sup_health_stop(svc); /* a stopping service is not checked */
    /* A frozen init would keep the stop signal pending until the timeout's SIGKILL. */
    sup_freeze_release(svc, "the service is stopping", true);
    set_state(svc, SUP_STOPPING);
    sup_event(svc->sup, "stopping", svc, NULL);
    sup_shim_signal(svc, svc->spec->stop_signal, false);
    uint64_t timeout = svc->stop_timeout_set ? svc->stop_timeout_ms : svc->spec->stop_timeout_ms;
    svc->stop_timeout_set = false;
    uv_timer_start(&svc->timer, on_timer, timeout, 0);
}

static bool is_failure(const struct sup_service *svc, const struct sup_exit *exit)
{
    if (exit->lost || exit->oom)
        return true;
    if (exit->signal)
        return !svc->stopping_by_us;
    return !bt_svcspec_exit_is_success(svc->spec, exit->code);
}

/* Readiness and health belong to one run: they end with it. */
static void run_ended(struct sup_service *svc)
{
    sup_freeze_release(svc, "the service exited", false);
    sup_ready_disarm(svc);
    sup_health_stop(svc);
    svc->ready = false;
}

void sup_service_ready(struct sup_service *svc)
{
    if (svc->state != SUP_RUNNING || svc->ready)
        return;
    svc->ready = true;
    svc->ready_since_ms = uv_now(svc->sup->loop);
    uv_timer_stop(&svc->timer); /* the start timeout */
    sup_event(svc->sup, "ready", svc, NULL);
    if (svc->tree)
        sup_tree_child_ready(svc->tree, svc->tree_index);
}

/* A failure for the policy, as a crash would be: the container is killed (not by a stop of
 * ours) and after_exit decides on its exit. */
static void kill_as_failure(struct sup_service *svc)
{
    sup_health_stop(svc);
    sup_shim_signal(svc, SIGKILL, true);
}

void sup_service_unhealthy(struct sup_service *svc)
{
    if (svc->state != SUP_RUNNING)
        return;
    switch (svc->spec->health.on_unhealthy) {
    case BT_SVCSPEC_UNHEALTHY_RESTART: kill_as_failure(svc); break;
    case BT_SVCSPEC_UNHEALTHY_STOP: sup_service_handle(svc, SUP_EV_STOP, NULL); break;
    case BT_SVCSPEC_UNHEALTHY_NONE: break;
    }
}

static void went_down(struct sup_service *svc, const char *why)
{
    uv_timer_stop(&svc->timer);
    set_state(svc, SUP_DOWN);
    sup_event(svc->sup, why, svc, NULL);
    if (svc->restart_pending && !svc->sup->shutting_down) {
        svc->wanted_up = true;
        start(svc);
        return;
    }
    if (svc->tree)
        sup_tree_child_down(svc->tree, svc->tree_index);
    if (svc->removed)
        sup_specs_reap(svc->sup);
    sup_maybe_exit(svc->sup);
}

/* Wanted down; persisted unless bottled itself is shutting down (its next start brings back
 * what ran). */
static void want_down(struct sup_service *svc)
{
    svc->wanted_up = false;
    if (!svc->sup->shutting_down)
        sup_persist(svc);
}

/* The policy decides after every exit that we did not ask for. */
static void after_exit(struct sup_service *svc, const struct sup_exit *exit)
{
    run_ended(svc);
    svc->last_exit = *exit;
    if (exit->lost)
        sup_event(svc->sup, "shim-lost", svc, NULL);
    sup_event(svc->sup, "exited", svc, "\"code\":%d,\"signal\":%d,\"oom\":%s", exit->code,
              exit->signal, exit->oom ? "true" : "false");
    if (svc->stopping_by_us || !svc->wanted_up || svc->sup->shutting_down) {
        went_down(svc, "stopped");
        return;
    }
    bool failure = is_failure(svc, exit);
    uint64_t now = uv_now(svc->sup->loop);
    /* Stable means ready for reset_after_s: a service that never became ready never resets. */
    bool stable = svc->ready_since_ms && now - svc->ready_since_ms >= svc->spec->backoff_reset_ms;
    if (stable) /* the count resets after a stable run: the next restart is immediate */
        svc->backoff_ms = 0;
    svc->failures = failure ? svc->failures + 1 : 0;
    bool restart = svc->spec->restart == BT_SVCSPEC_RESTART_ALWAYS ||
                   (svc->spec->restart == BT_SVCSPEC_RESTART_ON_FAILURE && failure);
    if (restart && svc->spec->restart == BT_SVCSPEC_RESTART_ON_FAILURE && svc->spec->max_failures &&
        svc->failures >= svc->spec->max_failures) {
        sup_event(svc->sup, "gave-up", svc, "\"failures\":%u", svc->failures);
        restart = false;
    }
    if (!restart) {
        svc->wanted_up = false;
        sup_persist(svc);
        went_down(svc, "stopped");
        return;
    }
    if (svc->tree) {
        /* Its tree decides: one_for_one lets it back off and restart by itself; the other
         * strategies and an exceeded intensity restart (or stop) it with its siblings. */
        set_state(svc, SUP_DOWN);
        if (!sup_tree_child_failed(svc->tree, svc->tree_index)) {
            svc->restarts++;
            sup_persist(svc);
            if (svc->state == SUP_DOWN)
                sup_tree_child_down(svc->tree, svc->tree_index);
            return;
        }
    }
    uint64_t delay = svc->backoff_ms;
    svc->backoff_ms = delay ? delay * 2 : svc->spec->backoff_initial_ms;
    if (svc->backoff_ms > svc->spec->backoff_max_ms)
        svc->backoff_ms = svc->spec->backoff_max_ms;
    svc->restarts++;
    sup_persist(svc);
    set_state(svc, SUP_BACKOFF);
    sup_event(svc->sup, "backoff", svc, "\"delay_ms\":%llu", (unsigned long long)delay);
    uv_timer_start(&svc->timer, on_timer, delay, 0);
}

void sup_service_handle(struct sup_service *svc, enum sup_event event, const struct sup_exit *exit)
{
    bt_log_debug("%s: %s in %s", svc->name, event_name(event), sup_state_name(svc->state));
    switch (svc->state) {
    case SUP_DOWN:
        if (event == SUP_EV_START && !svc->sup->shutting_down) {
            svc->wanted_up = true;
            svc->failures = 0;
            sup_persist(svc);
            start(svc);
        } else if (event == SUP_EV_STOP) {
            want_down(svc);
        }
        break;
    case SUP_STARTING:
        if (event == SUP_EV_START) {
            svc->wanted_up = true;
        } else if (event == SUP_EV_STOP) {
            want_down(svc); /* acted on once it runs: signals need a running init */
        } else if (event == SUP_EV_STARTED) {
            set_state(svc, SUP_RUNNING);
            svc->up_since_ms = uv_now(svc->sup->loop);
            sup_event(svc->sup, "up", svc, "\"pid\":%d", (int)svc->init_pid);
            if (!svc->wanted_up || svc->sup->shutting_down) {
                begin_stop(svc);
                break;
            }
            sup_health_start(svc);
            if (svc->spec->readiness == BT_SVCSPEC_READY_EXEC) {
                sup_service_ready(svc);
            } else {
                if (svc->spec->start_timeout_ms) /* stopped by sup_service_ready */
                    uv_timer_start(&svc->timer, on_timer, svc->spec->start_timeout_ms, 0);
                sup_ready_arm(svc);
            }
        } else if (event == SUP_EV_START_FAILED || event == SUP_EV_EXITED) {
            svc->up_since_ms = 0;
            after_exit(svc, exit);
        }
        break;
    case SUP_RUNNING:
        if (event == SUP_EV_STOP) {
            want_down(svc);
            begin_stop(svc);
        } else if (event == SUP_EV_EXITED) {
            after_exit(svc, exit);
        } else if (event == SUP_EV_TIMER && !svc->ready) {
            sup_event(svc->sup, "start-timeout", svc, "\"timeout_ms\":%llu",
                      (unsigned long long)svc->spec->start_timeout_ms);
            kill_as_failure(svc);
        }
        break;
    case SUP_STOPPING:
        if (event == SUP_EV_START) {
            svc->restart_pending = true;
        } else if (event == SUP_EV_TIMER) {
            sup_event(svc->sup, "killing", svc, NULL);
            sup_shim_signal(svc, SIGKILL, true);
        } else if (event == SUP_EV_EXITED) {
            run_ended(svc);
            svc->last_exit = *exit;
            sup_event(svc->sup, "exited", svc, "\"code\":%d,\"signal\":%d,\"oom\":%s", exit->code,
                      exit->signal, exit->oom ? "true" : "false");
            went_down(svc, "stopped");
        }
        break;
    case SUP_BACKOFF:
        if (event == SUP_EV_TIMER || event == SUP_EV_START) {
            uv_timer_stop(&svc->timer);
            start(svc);
        } else if (event == SUP_EV_STOP) {
            want_down(svc);
            went_down(svc, "stopped");
        }
        break;
    }
}
