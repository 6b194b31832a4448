/* `bottle pause` and `bottle resume` through the cgroup freezer, without blocking the loop: the
 * request is written, and the reply goes out only once the cgroup really is frozen (thawed).
 * v2: cgroup.events is watched with inotify ("frozen 1"), no polling; v1: freezer.state has no
 * notification, so a 10 ms timer checks it while (and only while) a request is pending. Either
 * way a request that does not get there in BT_CGROUP_FREEZE_TIMEOUT_MS fails, thawed again. */
#include "sup.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"
#include "log.h"
#include "rpc.h"

#define FREEZE_REPLIES_MAX 16
#define V1_CHECK_MS        10
#define ERR_NOT_RUNNING    (-32001)

struct sup_freeze {
    struct sup_service *svc; /* NULL once done: only the handles are left to close */
    bool pausing;            /* the request: freeze (pause) or thaw (resume) */
    struct bt_cgroup cgroup;
    struct bt_cgroup_freezer freezer;
    uv_fs_event_t watch; /* v2: cgroup.events */
    uv_timer_t check;    /* v1: checks freezer.state again */
    uv_timer_t deadline;
    bool watching;
    int handles; /* open handles; freed when the last one is closed */
    struct sup_reply *replies[FREEZE_REPLIES_MAX];
    size_t reply_count;
};

static char message_buf[BT_ERR_MSG_MAX];

static void on_handle_closed(uv_handle_t *handle)
{
    struct sup_freeze *op = handle->data;
    if (--op->handles == 0)
        free(op);
}

/* Detaches OP from its service and closes its handles. */
static void finish(struct sup_freeze *op)
{
    if (op->svc && op->svc->freeze == op)
        op->svc->freeze = NULL;
    op->svc = NULL;
    if (op->watching)
        uv_close((uv_handle_t *)&op->watch, on_handle_closed);
    uv_close((uv_handle_t *)&op->check, on_handle_closed);
    uv_close((uv_handle_t *)&op->deadline, on_handle_closed);
}

static void fail(struct sup_freeze *op, const char *why)
{
    for (size_t i = 0; i < op->reply_count; i++)
        sup_reply_error(op->replies[i], ERR_NOT_RUNNING, why);
    op->reply_count = 0;
    finish(op);
}

/* The service reached the state asked for. */
static void reached(struct sup_service *svc, bool paused)
{
    svc->paused = paused;
    sup_health_pause(svc, paused); /* no health checks of a frozen service */
    sup_persist(svc);
    sup_event(svc->sup, paused ? "paused" : "resumed", svc, NULL);
}

static void succeed(struct sup_freeze *op)
{
    struct sup_service *svc = op->svc;
    reached(svc, op->pausing);
    for (size_t i = 0; i < op->reply_count; i++)
        sup_reply_send(op->replies[i], sup_service_json(svc));
    op->reply_count = 0;
    finish(op);
}

static void check_now(struct sup_freeze *op)
{
    if (!op->svc)
        return;
    struct bt_err err = {0};
    int ret = bt_cgroup_freezer_check(&op->freezer, &err);
    if (ret == 1) {
        uv_timer_stop(&op->check);
        succeed(op);
    } else if (ret < 0) {
        bt_log_warn("%s: %s", op->svc->name, err.msg);
        fail(op, err.msg);
    }
}

static void on_events_changed(uv_fs_event_t *handle, const char *file, int events, int status)
{
    (void)file;
    (void)events;
    (void)status;
    check_now(handle->data);
}

static void on_check(uv_timer_t *timer)
{
    check_now(timer->data);
}

static void on_deadline(uv_timer_t *timer)
{
    struct sup_freeze *op = timer->data;
    if (!op->svc)
        return;
    char why[256];
    snprintf(why, sizeof(why), "%s: the cgroup is not %s after %d ms", op->svc->name,
             op->pausing ? "frozen" : "thawed", BT_CGROUP_FREEZE_TIMEOUT_MS);
    bt_log_warn("%s", why);
    if (op->pausing) { /* never leave it half-frozen */
        struct bt_cgroup_freezer thaw;
        bt_cgroup_freezer_begin(&op->cgroup, false, &thaw, NULL);
    }
    fail(op, why);
}

static int start(struct sup_service *svc, bool pausing, struct sup_reply *reply,
                 const char **message)
{
    struct sup_freeze *op = svc->freeze;
    if (op) {
        if (op->pausing != pausing) {
            *message = pausing ? "a resume is in progress" : "a pause is in progress";
            return ERR_NOT_RUNNING;
        }
        if (op->reply_count == FREEZE_REPLIES_MAX) {
            *message = "too many clients wait for this service's freezer";
            return ERR_NOT_RUNNING;
        }
        op->replies[op->reply_count++] = reply;
        return 0;
    }
    if (svc->state != SUP_RUNNING) {
        snprintf(message_buf, sizeof(message_buf), "%s is not running (%s)", svc->name,
                 sup_state_name(svc->state));
        *message = message_buf;
        return ERR_NOT_RUNNING;
    }
    if (svc->paused == pausing) {
        snprintf(message_buf, sizeof(message_buf), "%s is %s", svc->name,
                 pausing ? "already paused" : "not paused");
        *message = message_buf;
        return ERR_NOT_RUNNING;
    }
    op = calloc(1, sizeof(*op));
    if (!op) {
        *message = "out of memory";
        return BT_RPC_INTERNAL_ERROR;
    }
    struct bt_err err = {0};
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s", svc->sup->cgroup_parent, svc->name);
    int ret = bt_cgroup_init(&op->cgroup, NULL, path, 0, &err);
    if (ret == 0)
        ret = bt_cgroup_freezer_begin(&op->cgroup, pausing, &op->freezer, &err);
    if (ret < 0) {
        free(op);
        snprintf(message_buf, sizeof(message_buf), "%s", err.msg);
        *message = message_buf;
        return ERR_NOT_RUNNING;
    }
    op->svc = svc;
    op->pausing = pausing;
    op->replies[op->reply_count++] = reply;
    svc->freeze = op;
    uv_timer_init(svc->sup->loop, &op->check);
    uv_timer_init(svc->sup->loop, &op->deadline);
    op->check.data = op->deadline.data = op;
    op->handles = 2;
    if (op->freezer.unified) {
        /* The watch first, then the check: a change in between is not missed. */
        uv_fs_event_init(svc->sup->loop, &op->watch);
        op->watch.data = op;
        op->handles++;
        op->watching = true;
        ret = uv_fs_event_start(&op->watch, on_events_changed, op->freezer.events, 0);
        if (ret < 0) /* no inotify: fall back to the timer */
            uv_timer_start(&op->check, on_check, V1_CHECK_MS, V1_CHECK_MS);
    } else {
        uv_timer_start(&op->check, on_check, V1_CHECK_MS, V1_CHECK_MS);
    }
    uv_timer_start(&op->deadline, on_deadline, BT_CGROUP_FREEZE_TIMEOUT_MS, 0);
    check_now(op);
    return 0;
}

int sup_freeze_pause(struct sup_service *svc, struct sup_reply *reply, const char **message)
{
    return start(svc, true, reply, message);
}

int sup_freeze_resume(struct sup_service *svc, struct sup_reply *reply, const char **message)
{
    return start(svc, false, reply, message);
}

void sup_freeze_release(struct sup_service *svc, const char *why, bool event)
{
    bool pausing = svc->freeze && svc->freeze->pausing;
    if (svc->freeze)
        fail(svc->freeze, why);
    if (!svc->paused && !pausing)
        return;
    struct bt_cgroup cgroup;
    struct bt_err err = {0};
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s", svc->sup->cgroup_parent, svc->name);
    if (bt_cgroup_init(&cgroup, NULL, path, 0, &err) < 0 || bt_cgroup_thaw(&cgroup, &err) < 0)
        bt_log_warn("%s: %s", svc->name, err.msg);
    bool was_paused = svc->paused;
    svc->paused = false;
    sup_persist(svc);
    if (event && was_paused)
        sup_event(svc->sup, "resumed", svc, NULL);
}

void sup_freeze_forget(struct sup_service *svc)
{
    if (svc->freeze)
        fail(svc->freeze, "bottled is exiting");
}
