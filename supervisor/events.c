/* Events: every state change of every service is one JSON line with a sequence number, kept in
 * a ring of the last SUP_EVENTS_KEPT (for `bottle events --since SEQ`) and streamed to every
 * subscribed client. Also logged at info level. */
#include "sup.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

static void emit(struct sup *sup, const char *type, const char *name, const char *extra)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    uint64_t seq = ++sup->event_seq;
    char *json = NULL;
    if (asprintf(&json, "{\"seq\":%llu,\"time_ns\":%lld,\"type\":\"%s\",\"name\":\"%s\"%s%s}",
                 (unsigned long long)seq, (long long)now.tv_sec * 1000000000LL + now.tv_nsec, type,
                 name, extra[0] ? "," : "", extra) < 0)
        return;
    bt_log_info("event %s", json);
    size_t slot = seq % SUP_EVENTS_KEPT;
    free(sup->events[slot].json);
    sup->events[slot].seq = seq;
    sup->events[slot].json = json;
    sup_control_broadcast(sup, seq, json);
}

static void vemit(struct sup *sup, const char *type, const char *name, const char *fmt, va_list ap)
{
    char extra[1024] = "";
    if (fmt)
        vsnprintf(extra, sizeof(extra), fmt, ap);
    emit(sup, type, name, extra);
}

void sup_event(struct sup *sup, const char *type, const struct sup_service *svc, const char *fmt,
               ...)
{
    va_list ap;
    va_start(ap, fmt);
    vemit(sup, type, svc ? svc->name : "", fmt, ap);
    va_end(ap);
}

void sup_event_name(struct sup *sup, const char *type, const char *name, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vemit(sup, type, name, fmt, ap);
    va_end(ap);
}

void sup_events_free(struct sup *sup)
{
    for (size_t i = 0; i < SUP_EVENTS_KEPT; i++) {
        free(sup->events[i].json);
        sup->events[i].json = NULL;
    }
}
