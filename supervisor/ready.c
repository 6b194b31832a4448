/* Readiness other than "exec": the shim records sd_notify READY=1 or the s6 notification fd's
 * newline as STATE/containers/NAME/ready (written atomically), and health.c records the first
 * passing check there too. bottled watches the container's state dir with inotify while it
 * waits (no polling), and reads the file at once when it arms: a re-adopting bottled learns
 * that the container was ready before it came. */
#include "sup.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

struct sup_ready {
    struct sup_service *svc;
    uv_fs_event_t watch;
};

static void ready_path(const struct sup_service *svc, char *buf, size_t len)
{
    snprintf(buf, len, "%s/containers/%s/ready", svc->sup->state, svc->name);
}

static bool recorded(const struct sup_service *svc)
{
    char path[PATH_MAX];
    ready_path(svc, path, sizeof(path));
    return access(path, F_OK) == 0;
}

void sup_ready_record(struct sup_service *svc, const char *how)
{
    char path[PATH_MAX], tmp[PATH_MAX + 8];
    ready_path(svc, path, sizeof(path));
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "we");
    if (!f)
        return;
    fprintf(f, "%s\n", how);
    if (fclose(f) == 0)
        rename(tmp, path);
    else
        unlink(tmp);
}

static void on_closed(uv_handle_t *handle)
{
    free(handle->data);
}

void sup_ready_disarm(struct sup_service *svc)
{
    struct sup_ready *ready = svc->ready_watch;
    if (!ready)
        return;
    svc->ready_watch = NULL;
    uv_fs_event_stop(&ready->watch);
    ready->watch.data = ready;
    uv_close((uv_handle_t *)&ready->watch, on_closed);
}

static void on_change(uv_fs_event_t *handle, const char *filename, int events, int status)
{
    (void)events;
    struct sup_ready *ready = handle->data;
    struct sup_service *svc = ready->svc;
    if (status < 0 || (filename && strcmp(filename, "ready") != 0) || !recorded(svc))
        return;
    sup_ready_disarm(svc);
    sup_service_ready(svc);
}

void sup_ready_arm(struct sup_service *svc)
{
    if (svc->ready || svc->ready_watch)
        return;
    /* "health" is reported by health.c in this bottled's life; the file only matters after a
     * restart of bottled, so it is read but not watched. */
    bool watch = svc->spec->readiness == BT_SVCSPEC_READY_SD_NOTIFY ||
                 svc->spec->readiness == BT_SVCSPEC_READY_FD;
    if (watch) {
        struct sup_ready *ready = calloc(1, sizeof(*ready));
        char dir[PATH_MAX];
        snprintf(dir, sizeof(dir), "%s/containers/%s", svc->sup->state, svc->name);
        if (ready) {
            ready->svc = svc;
            uv_fs_event_init(svc->sup->loop, &ready->watch);
            ready->watch.data = ready;
            int ret = uv_fs_event_start(&ready->watch, on_change, dir, 0);
            svc->ready_watch = ready;
            if (ret < 0) {
                bt_log_warn("%s: watch %s: %s", svc->name, dir, uv_strerror(ret));
                sup_ready_disarm(svc);
            }
        }
    }
    /* After the watch: a file written in between is seen either way. */
    if (recorded(svc)) {
        sup_ready_disarm(svc);
        sup_service_ready(svc);
    }
}
