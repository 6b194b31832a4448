/* Events: every state change of every service is one JSON line with a sequence number, kept in
 * a ring (for `bottle events --since SEQ`) that grows with the number of services, and streamed
 * to every subscribed client. Also logged at info level. */
#include "sup.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

/* Makes the ring hold max(SUP_EVENTS_KEPT_MIN, SUP_EVENTS_PER_SERVICE per service) events;
 * what it holds stays (each event moves to its slot in the new ring). */
static void grow(struct sup *sup)
{
    size_t want = sup->service_count * SUP_EVENTS_PER_SERVICE;
    if (want < SUP_EVENTS_KEPT_MIN)
        want = SUP_EVENTS_KEPT_MIN;
    if (want <= sup->events_cap)
        return;
    struct sup_event_slot *ring = calloc(want, sizeof(*ring));
    if (!ring)
        return; /* keep the smaller ring */
    for (size_t i = 0; i < sup->events_cap; i++)
        if (sup->events[i].json)
            ring[sup->events[i].seq % want] = sup->events[i];
    free(sup->events);
    sup->events = ring;
    sup->events_cap = want;
}

uint64_t sup_events_first(const struct sup *sup)
{
    return sup->event_seq > sup->events_cap ? sup->event_seq - sup->events_cap + 1 : 1;
}

const char *sup_events_get(const struct sup *sup, uint64_t seq)
{
    if (!sup->events_cap)
        return NULL;
    const struct sup_event_slot *slot = &sup->events[seq % sup->events_cap];
    return slot->json && slot->seq == seq ? slot->json : NULL;
}

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
    grow(sup);
    if (!sup->events_cap) {
        free(json);
        return;
    }
    size_t slot = seq % sup->events_cap;
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
    for (size_t i = 0; i < sup->events_cap; i++)
        free(sup->events[i].json);
    free(sup->events);
    sup->events = NULL;
    sup->events_cap = 0;
}
