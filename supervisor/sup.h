/* bottled: the supervisor. One libuv loop and no polling: shim exits (pidfds), timers, signals
 * and sockets are all events. It keeps services alive by their restart policy with backoff,
 * never runs two instances of one service, and leaves every container running when it is
 * told to quit (SIGQUIT) or dies, to re-adopt them on its next start. Only this folder
 * includes <uv.h>. */
#ifndef SUP_H
#define SUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <json-c/json.h>
#include <uv.h>

#include "err.h"
#include "svcspec.h"

/* The event ring keeps at least this many, and SUP_EVENTS_PER_SERVICE per service: a restart
 * storm of every service must still be there for a client that asks with `since`. */
#define SUP_EVENTS_KEPT_MIN    1024
#define SUP_EVENTS_PER_SERVICE 8
#define SUP_CLIENTS_MAX        64

struct sup;

/* update.c: the limits `bottle update` can change live. */
enum sup_limit {
    SUP_LIMIT_MEMORY, /* bytes */
    SUP_LIMIT_CPUS,   /* milli-cpus */
    SUP_LIMIT_PIDS,
    SUP_LIMIT_COUNT,
};

/* A limit set by `bottle update`, on top of the spec: it applies while the spec's own value is
 * still BASE, the one it replaced (a spec edited later wins). Persisted with the service. */
struct sup_override {
    bool set;
    uint64_t value; /* 0: no limit */
    uint64_t base;
};

/* One service's lifecycle: the whole state machine is sup_service_handle() in service.c. */
enum sup_state {
    SUP_DOWN,     /* not running, not wanted or given up */
    SUP_STARTING, /* the shim is creating the container */
    SUP_RUNNING,  /* the init runs (readiness "exec": also ready) */
    SUP_STOPPING, /* stop signal sent, waiting for the exit (then SIGKILL to all at timeout) */
    SUP_BACKOFF,  /* exited, waiting for the restart timer */
};

enum sup_event {
    SUP_EV_START,        /* wanted up (start, restart, load) */
    SUP_EV_STOP,         /* wanted down (stop, unload, bottled's shutdown) */
    SUP_EV_STARTED,      /* the shim reported "ok" */
    SUP_EV_START_FAILED, /* the shim reported an error or died before "ok" */
    SUP_EV_EXITED,       /* the shim exited after writing the exit record */
    SUP_EV_TIMER,        /* backoff over, or stop timeout */
};

struct sup_exit {
    int code;   /* shell convention */
    int signal; /* 0 when it exited */
    bool oom;   /* OOM-killed */
    bool lost;  /* the shim died without a record (shim-lost) */
};

struct sup_service {
    struct sup *sup;
    struct bt_svcspec_node *node; /* owned: the service's spec; NULL when a tree owns it */
    const struct bt_svcspec_service *spec;
    char name[BT_SVCSPEC_NAME_MAX + 1];
    enum sup_state state;
    bool wanted_up;          /* persisted: a stop by hand survives a restart of bottled */
    bool restart_pending;    /* restart asked while running: start again once down */
    bool stopping_by_us;     /* the exit we wait for is one we caused: not a failure */
    bool removed;            /* dropped by a reload or rm: freed once down */
    bool applied;            /* came from `bottle apply`, not from --config */
    uint32_t restarts;       /* persisted */
    uint32_t failures;       /* consecutive failures; persisted */
    uint64_t backoff_ms;     /* the next delay; 0: the next restart is immediate */
    uint64_t up_since_ms;    /* when it started running (uv_now) */
    uint64_t ready_since_ms; /* when it became ready in this run (uv_now); 0: not ready */
    pid_t shim_pid;
    pid_t init_pid;
    int shim_pidfd;
    uv_poll_t shim_watch; /* the shim's pidfd: readable when it exits */
    bool watching;
    uv_pipe_t ready_pipe; /* the shim's --ready-fd while starting */
    bool ready_open;
    char ready_line[1024];
    size_t ready_len;
    uv_timer_t timer;              /* backoff, stop timeout */
    bool ready;                    /* readiness reached since the last start ("ready" event sent) */
    bool paused;                   /* frozen by bottle pause */
    struct sup_tree *tree;         /* the tree it is a child of, or NULL */
    size_t tree_index;             /* its place among the tree's children */
    struct sup_ready *ready_watch; /* ready.c's: sd_notify / fd readiness of this run */
    struct sup_health *health;     /* health.c's: the health checks of this run */
    struct sup_exit last_exit;
    uint64_t started_at_ms_wall;
    struct sup_freeze *freeze; /* freeze.c's: a pause or resume on its way */
    struct sup_override overrides[SUP_LIMIT_COUNT];
    struct bt_svcspec_service effective; /* update.c's: the spec with the overrides (shallow) */
    bool stop_timeout_set;               /* `bottle stop -t`: this stop's timeout */
    uint64_t stop_timeout_ms;
    struct sup_service *next;
};

struct sup_client;
struct sup_reply;
struct sup_wait;
struct sup_freeze;
struct sup_ready;
struct sup_health;

/* An OTP-style supervision tree (tree.c): children start in order, each once the previous one
 * is ready, and stop in reverse order; its strategy decides what a child's failure restarts;
 * more than max_restarts in period_s stop it and escalate to its parent. */
enum sup_tree_state {
    SUP_TREE_DOWN,
    SUP_TREE_STARTING,   /* children starting in order: `next` is the one awaited */
    SUP_TREE_UP,         /* every child was started and became ready */
    SUP_TREE_RESTARTING, /* one_for_all / rest_for_one: stopping `next`.. in reverse, to start */
    SUP_TREE_STOPPING,   /* stopping every child in reverse order */
    SUP_TREE_BACKOFF,    /* the root gave up: waiting to start again */
};

struct sup_child {
    struct sup_service *svc; /* exactly one of the two */
    struct sup_tree *tree;
};

struct sup_tree {
    struct sup *sup;
    struct bt_svcspec_node *node; /* owned by a top-level tree; NULL for a subtree */
    const struct bt_svcspec_tree *spec;
    char name[BT_SVCSPEC_NAME_MAX + 1];
    struct sup_tree *parent;
    size_t index; /* in the parent's children */
    struct sup_child *children;
    size_t len;
    enum sup_tree_state state;
    bool wanted_up;       /* persisted */
    bool escalating;      /* stopping because the intensity was exceeded */
    bool restart_pending; /* start again once stopped */
    bool removed, applied;
    size_t next;
    uint64_t *restart_ms; /* times of the restarts within the period, oldest first */
    size_t restart_len, restart_cap;
    uint32_t restarts; /* persisted */
    uv_timer_t timer;  /* the root's backoff after it gave up */
    struct sup_tree *next_tree;
};

struct sup {
    uv_loop_t *loop;
    const char *config; /* file or dir of specs, or NULL */
    const char *state;  /* --state */
    const char *root;   /* --root */
    const char *cgroup_parent;
    const char *shim_path, *init_path;
    struct sup_service *services; /* every service, those of trees too */
    struct sup_tree *trees;       /* every tree, subtrees too */
    uv_timer_t reap_timer;        /* frees removed units once down, outside their callbacks */
    uv_pipe_t control;            /* STATE/bottled.sock */
    struct sup_client *clients[SUP_CLIENTS_MAX];
    struct sup_wait *waits; /* control.c's: `bottle wait` clients */
    uv_signal_t sig_term, sig_int, sig_quit, sig_hup, sig_chld;
    bool shutting_down; /* SIGTERM/SIGINT: stop everything, then exit */
    uint64_t event_seq;
    size_t service_count; /* sizes the event ring */
    struct sup_event_slot {
        uint64_t seq;
        char *json; /* the event line, without newline */
    } * events;     /* a ring of events_cap, indexed by seq % events_cap */
    size_t events_cap;
};

/* service.c */
struct sup_service *sup_service_new(struct sup *sup, struct bt_svcspec_node *node);
void sup_service_handle(struct sup_service *svc, enum sup_event event, const struct sup_exit *exit);
void sup_service_free(struct sup_service *svc);
const char *sup_state_name(enum sup_state state);
struct sup_service *sup_find(struct sup *sup, const char *name);
void sup_persist(const struct sup_service *svc);
void sup_restore(struct sup_service *svc);
/* Readiness reached (exec'd, sd_notify READY=1, fd newline, first passing health check): emits
 * "ready" once per run and lets the service's tree start the next child. */
void sup_service_ready(struct sup_service *svc);
/* health.c: the health check failed `retries` times in a row; applies on_unhealthy. */
void sup_service_unhealthy(struct sup_service *svc);

/* ready.c: watches for sd_notify / fd readiness from the moment the shim reported "ok"
 * (readiness "exec" is ready at once, "health" waits for health.c). */
void sup_ready_arm(struct sup_service *svc);
void sup_ready_disarm(struct sup_service *svc);
/* Writes STATE/containers/NAME/ready (atomically; HOW is "health"), so that a re-adopting
 * bottled finds the readiness health.c saw. */
void sup_ready_record(struct sup_service *svc, const char *how);

/* health.c: periodic health checks while the service runs; suspended while paused. */
void sup_health_start(struct sup_service *svc);
void sup_health_stop(struct sup_service *svc);
void sup_health_pause(struct sup_service *svc, bool paused);
/* "starting", "healthy" or "unhealthy" while checks run; NULL without checks. */
const char *sup_health_status(const struct sup_service *svc);

/* shim.c: starting and watching a shim, signalling its container */
int sup_shim_start(struct sup_service *svc, struct bt_err *err);
int sup_shim_adopt(struct sup_service *svc); /* 1 adopted a live shim, 0 none, <0 error */
void sup_shim_signal(struct sup_service *svc, int sig, bool all);
void sup_shim_forget(struct sup_service *svc);
bool sup_shim_exit_record(struct sup_service *svc, struct sup_exit *exit);

/* persist.c: STATE/bottled/NAME.json, what a service or tree keeps across restarts of bottled */
void sup_persist_write(struct sup *sup, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
json_object *sup_persist_read(const struct sup *sup, const char *name); /* NULL: none */
void sup_persist_forget(const struct sup *sup, const char *name);

/* tree.c */
struct sup_tree *sup_tree_new(struct sup *sup, struct bt_svcspec_node *node,
                              struct sup_tree *parent, size_t index,
                              const struct bt_svcspec_tree *spec);
struct sup_tree *sup_tree_find(struct sup *sup, const char *name);
void sup_tree_start(struct sup_tree *tree); /* wanted up: ordered start */
void sup_tree_stop(struct sup_tree *tree);  /* wanted down: reverse stop */
void sup_tree_restart(struct sup_tree *tree);
/* Child INDEX failed and its policy wants it restarted: counts the restart against the
 * intensity and applies the strategy. True when the child restarts itself (one_for_one);
 * false when the tree takes over (the child must stay down and report sup_tree_child_down). */
bool sup_tree_child_failed(struct sup_tree *tree, size_t index);
void sup_tree_child_ready(struct sup_tree *tree, size_t index);
void sup_tree_child_down(struct sup_tree *tree, size_t index);
bool sup_tree_is_down(const struct sup_tree *tree);
const char *sup_tree_state_name(enum sup_tree_state state);
json_object *sup_tree_json(const struct sup_tree *tree);
void sup_tree_adopted(struct sup_tree *tree); /* after re-adoption: learn the state */
void sup_tree_free(struct sup_tree *tree);    /* with its subtrees; not its services */

/* specs.c: what bottled supervises, and how that changes at run time */
int sup_specs_load(struct sup *sup);    /* --config and applied specs, adopting live shims */
void sup_specs_reload(struct sup *sup); /* SIGHUP */
/* bottle apply: adds or replaces a top-level unit from TEXT and persists it; CREATE_ONLY (bottle
 * run -d) refuses a name in use. */
int sup_specs_apply(struct sup *sup, const char *text, const char *label, bool create_only,
                    const char **action, char *name, struct bt_err *err);
int sup_specs_rm(struct sup *sup, const char *name, bool force, struct bt_err *err);
void sup_specs_reap(struct sup *sup);     /* frees removed units that are down (soon, not now) */
void sup_specs_stop_all(struct sup *sup); /* shutdown: services at once, trees in reverse */
void sup_specs_free(struct sup *sup);     /* trees and waiting units (services: the caller) */

/* events.c: numbered events kept in a ring and streamed to subscribers */
void sup_event(struct sup *sup, const char *type, const struct sup_service *svc, const char *fmt,
               ...) __attribute__((format(printf, 4, 5)));
void sup_event_name(struct sup *sup, const char *type, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void sup_events_free(struct sup *sup);
/* The oldest sequence number still kept (1 when nothing was dropped yet), and the event SEQ
 * as a JSON line, or NULL when it is not kept. */
uint64_t sup_events_first(const struct sup *sup);
const char *sup_events_get(const struct sup *sup, uint64_t seq);

/* control.c: the JSON-RPC socket */
int sup_control_listen(struct sup *sup, struct bt_err *err);
void sup_control_broadcast(struct sup *sup, uint64_t seq, const char *json);
void sup_control_close(struct sup *sup);
/* A reply that comes later (pause, resume): the client may have gone meanwhile, then nothing
 * is sent. Each frees REPLY; RESULT is taken over. */
void sup_reply_send(struct sup_reply *reply, json_object *result);
void sup_reply_error(struct sup_reply *reply, int code, const char *message);
/* The service as ps and inspect show it (a new object). */
json_object *sup_service_json(const struct sup_service *svc);

/* freeze.c: pause and resume through the cgroup freezer, answered once the cgroup really is
 * frozen (thawed). Returns 0 when REPLY was taken (answered now or later), or a JSON-RPC error
 * code with *MESSAGE set (REPLY not taken). */
int sup_freeze_pause(struct sup_service *svc, struct sup_reply *reply, const char **message);
int sup_freeze_resume(struct sup_service *svc, struct sup_reply *reply, const char **message);
/* The run ends or a stop begins: a pending pause or resume fails with WHY, the cgroup is thawed
 * (synchronously), paused is cleared and, with EVENT, "resumed" is emitted when it was paused. */
void sup_freeze_release(struct sup_service *svc, const char *why, bool event);
/* bottled lets go of the service (SIGQUIT, removal): a pending operation is dropped, the
 * cgroup left as it is. */
void sup_freeze_forget(struct sup_service *svc);

/* stats.c: cpu, memory and pids of a running service's cgroup (a new object), or NULL with
 * ERR filled. */
json_object *sup_stats_json(const struct sup_service *svc, struct bt_err *err);

/* update.c: `bottle update`: writes the given limits (VALUES[i] for each SET[i]; 0 lifts a
 * limit) to the running container's cgroup and keeps them as overrides. Returns 0 or -errno
 * with ERR filled (the limits before the failing one stay applied and kept). */
int sup_update_limits(struct sup_service *svc, const bool set[SUP_LIMIT_COUNT],
                      const uint64_t values[SUP_LIMIT_COUNT], struct bt_err *err);
/* LIMIT as the next start applies it (the override, else the spec's); 0: no limit. */
uint64_t sup_update_value(const struct sup_service *svc, enum sup_limit limit);
/* The spec a start uses: the service's spec with its overrides. */
const struct bt_svcspec_service *sup_update_effective(struct sup_service *svc);
/* The overrides as JSON members for sup_persist ("" when none), and back. */
void sup_update_persist(const struct sup_service *svc, char *buf, size_t len);
void sup_update_restore(struct sup_service *svc, json_object *obj);

/* main.c */
void sup_maybe_exit(struct sup *sup);

#endif
