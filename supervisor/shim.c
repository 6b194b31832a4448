/* Starting bottle-shims and watching them. A shim double-forks away from bottled and is then
 * watched through a pidfd: when it exits, the container has exited, and its exit record is in
 * STATE/containers/NAME/exit (written before the shim exits). A shim that exits without a
 * record died: its container is killed through its cgroup (shim-lost). After a restart of
 * bottled the same pidfd watch re-adopts every live shim. */
#include "sup.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bundle.h"
#include "cgroup.h"
#include "exitfile.h"
#include "image.h"
#include "leftovers.h"
#include "log.h"
#include "rootfs.h"

extern char **environ;

static void state_path(const struct sup_service *svc, const char *file, char *buf, size_t len)
{
    snprintf(buf, len, "%s/containers/%s%s%s", svc->sup->state, svc->name, file ? "/" : "",
             file ? file : "");
}

static pid_t read_pid(const struct sup_service *svc, const char *file)
{
    char path[PATH_MAX], text[32];
    state_path(svc, file, path, sizeof(path));
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, text, sizeof(text) - 1);
    close(fd);
    if (n <= 0)
        return 0;
    text[n] = '\0';
    long pid = strtol(text, NULL, 10);
    return pid > 0 && pid < INT32_MAX ? (pid_t)pid : 0;
}

/* True when PID is a bottle-shim (not a recycled pid). */
static bool is_shim(pid_t pid)
{
    char path[64], comm[32] = "";
    snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return false;
    bool yes = fgets(comm, sizeof(comm), f) && strncmp(comm, "bottle-shim", 11) == 0;
    fclose(f);
    return yes;
}

bool sup_shim_exit_record(struct sup_service *svc, struct sup_exit *exit)
{
    char path[PATH_MAX];
    struct bt_exit_record record;
    struct bt_err err = {0};
    state_path(svc, "exit", path, sizeof(path));
    if (bt_exitfile_read(path, &record, &err) < 0)
        return false;
    *exit = (struct sup_exit){
        .code = record.exit_code, .signal = record.signal, .oom = record.oom_killed};
    return true;
}

/* The container's state dir is bottled's to clear once it has read the exit record. */
static void clear_state(struct sup_service *svc)
{
    char path[PATH_MAX];
    struct bt_err err = {0};
    state_path(svc, NULL, path, sizeof(path));
    if (bt_rootfs_remove_tree(path, &err) < 0)
        bt_log_warn("%s: %s", svc->name, err.msg);
}

static void on_shim_exit(uv_poll_t *poll, int status, int events)
{
    (void)status;
    (void)events;
    struct sup_service *svc = poll->data;
    struct sup_exit exit = {0};
    if (!sup_shim_exit_record(svc, &exit)) {
        char path[PATH_MAX];
        struct bt_err err = {0};
        exit = (struct sup_exit){.code = 137, .signal = SIGKILL, .lost = true};
        state_path(svc, NULL, path, sizeof(path));
        if (bt_leftovers_kill(path, &err) < 0)
            bt_log_warn("%s: %s", svc->name, err.msg);
    }
    sup_shim_forget(svc);
    clear_state(svc);
    sup_service_handle(svc, SUP_EV_EXITED, &exit);
}

static int watch(struct sup_service *svc, pid_t shim)
{
    int fd = (int)syscall(SYS_pidfd_open, shim, 0);
    if (fd < 0)
        return -errno;
    svc->shim_pid = shim;
    svc->shim_pidfd = fd;
    uv_poll_init(svc->sup->loop, &svc->shim_watch, fd);
    svc->shim_watch.data = svc;
    uv_poll_start(&svc->shim_watch, UV_READABLE, on_shim_exit);
    svc->watching = true;
    return 0;
}

static void on_poll_closed(uv_handle_t *handle)
{
    (void)handle;
}

static void on_ready_closed(uv_handle_t *handle)
{
    (void)handle;
}

void sup_shim_forget(struct sup_service *svc)
{
    if (svc->watching) {
        uv_poll_stop(&svc->shim_watch);
        uv_close((uv_handle_t *)&svc->shim_watch, on_poll_closed);
        svc->watching = false;
    }
    if (svc->shim_pidfd >= 0) {
        close(svc->shim_pidfd);
        svc->shim_pidfd = -1;
    }
    if (svc->ready_open) {
        uv_close((uv_handle_t *)&svc->ready_pipe, on_ready_closed);
        svc->ready_open = false;
    }
    svc->shim_pid = 0;
    svc->init_pid = 0;
}

static void ready_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    struct sup_service *svc = handle->data;
    buf->base = svc->ready_line + svc->ready_len;
    buf->len = sizeof(svc->ready_line) - 1 - svc->ready_len;
}

static void ready_done(struct sup_service *svc)
{
    uv_read_stop((uv_stream_t *)&svc->ready_pipe);
    uv_close((uv_handle_t *)&svc->ready_pipe, on_ready_closed);
    svc->ready_open = false;
    svc->ready_line[svc->ready_len] = '\0';
    svc->ready_line[strcspn(svc->ready_line, "\n")] = '\0';
    pid_t shim = read_pid(svc, "shim.pid");
    if (strcmp(svc->ready_line, "ok") == 0 && shim > 0 && watch(svc, shim) == 0) {
        svc->init_pid = read_pid(svc, "pid");
        sup_service_handle(svc, SUP_EV_STARTED, NULL);
        return;
    }
    const char *why = svc->ready_line[0] ? svc->ready_line : "bottle-shim died while starting";
    bt_log_warn("%s: %s", svc->name, why);
    json_object *msg = json_object_new_string(why);
    sup_event(svc->sup, "start-failed", svc, "\"error\":%s", json_object_to_json_string(msg));
    json_object_put(msg);
    struct sup_exit failed = {.code = 125};
    sup_service_handle(svc, SUP_EV_START_FAILED, &failed);
}

static void ready_read(uv_stream_t *stream, ssize_t n, const uv_buf_t *buf)
{
    (void)buf;
    struct sup_service *svc = stream->data;
    if (n > 0)
        svc->ready_len += (size_t)n;
    if (n < 0 || memchr(svc->ready_line, '\n', svc->ready_len) ||
        svc->ready_len >= sizeof(svc->ready_line) - 1)
        ready_done(svc);
}

/* STATE/bundles/NAME/config.json for this run; a service of an image gets its layers in IMG
 * (overlay: bottled keeps to the driver every kernel here has). */
static int write_bundle(struct sup_service *svc, char *bundle, size_t len, struct bt_image *img,
                        struct bt_err *err)
{
    snprintf(bundle, len, "%s/bundles/%s", svc->sup->state, svc->name);
    char *json = NULL;
    /* The spec with the limits of `bottle update` on top. */
    const struct bt_svcspec_service *spec = sup_update_effective(svc);
    int ret;
    if (svc->spec->image) {
        char root_path[PATH_MAX];
        ret = bt_image_resolve(svc->sup->root, svc->spec->image, img, err);
        if (ret == 0 && img->n_layers == 0)
            ret = bt_err_msg(err, EINVAL, "image %s has no layers", svc->spec->image);
        if (ret == 0 && img->n_layers > BT_IMAGE_LAYERS_MAX)
            ret = bt_err_msg(err, E2BIG, "image %s has %zu layers; overlay takes %d",
                             svc->spec->image, img->n_layers, BT_IMAGE_LAYERS_MAX);
        if (ret < 0)
            return ret;
        snprintf(root_path, sizeof(root_path), "%s/containers/%s/rootfs", svc->sup->root,
                 svc->name);
        ret = bt_image_note_container(svc->sup->root, svc->name, img, BT_IMAGE_DRIVER_OVERLAY, err);
        if (ret == 0)
            ret = bt_bundle_from_service_image(spec, bt_image_passwd_layer(img), root_path, img,
                                               &json, err);
    } else {
        ret = bt_bundle_from_service(spec, svc->spec->rootfs, &json, err);
    }
    if (ret == 0)
        ret = bt_bundle_write(bundle, json, err);
    free(json);
    return ret;
}

int sup_shim_start(struct sup_service *svc, struct bt_err *err)
{
    char bundle[PATH_MAX], state_dir[PATH_MAX];
    __attribute__((cleanup(bt_image_free))) struct bt_image img = {0};
    int ret = write_bundle(svc, bundle, sizeof(bundle), &img, err);
    if (ret < 0)
        return ret;
    /* An exit record of an earlier run stays until the next start: clear it, never a live one. */
    state_path(svc, NULL, state_dir, sizeof(state_dir));
    pid_t old = read_pid(svc, "shim.pid");
    if (old > 0 && is_shim(old))
        return bt_err_msg(err, EBUSY, "%s: a shim of an earlier run is still alive", svc->name);
    clear_state(svc);

    int ready[2];
    if (pipe2(ready, O_CLOEXEC) < 0)
        return bt_err_sys(err, errno, "pipe");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, ready[1], 3);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    const char *argv[] = {svc->sup->shim_path,
                          "--bundle",
                          bundle,
                          "--id",
                          svc->name,
                          "--state",
                          svc->sup->state,
                          "--root",
                          svc->sup->root,
                          "--init",
                          svc->sup->init_path,
                          "--cgroup-parent",
                          svc->sup->cgroup_parent,
                          "--ready-fd",
                          "3",
                          NULL,
                          [17 + 2 + 2 * BT_IMAGE_LAYERS_MAX] = NULL};
    if (svc->spec->image) {
        size_t n = 15;
        argv[n++] = "--storage";
        argv[n++] = "overlay";
        for (size_t i = 0; i < img.n_layers; i++) {
            argv[n++] = "--layer";
            argv[n++] = img.layer_dirs[i];
        }
    }
    pid_t pid;
    ret = posix_spawn(&pid, svc->sup->shim_path, &actions, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    close(ready[1]);
    if (ret != 0) {
        close(ready[0]);
        return bt_err_sys(err, ret, "spawn %s", svc->sup->shim_path);
    }
    svc->ready_len = 0;
    uv_pipe_init(svc->sup->loop, &svc->ready_pipe, 0);
    svc->ready_pipe.data = svc;
    uv_pipe_open(&svc->ready_pipe, ready[0]);
    svc->ready_open = true;
    uv_read_start((uv_stream_t *)&svc->ready_pipe, ready_alloc, ready_read);
    return 0;
}

int sup_shim_adopt(struct sup_service *svc)
{
    char path[PATH_MAX];
    state_path(svc, NULL, path, sizeof(path));
    if (access(path, F_OK) < 0)
        return 0;
    pid_t shim = read_pid(svc, "shim.pid");
    if (shim > 0 && is_shim(shim) && watch(svc, shim) == 0) {
        svc->init_pid = read_pid(svc, "pid");
        svc->state = SUP_RUNNING;
        svc->up_since_ms = uv_now(svc->sup->loop);
        sup_event(svc->sup, "adopted", svc, "\"pid\":%d", (int)svc->init_pid);
        /* Readiness survives us: "exec" was reached when it ran, the others are recorded in
         * its state dir (by the shim, or by health.c); health checks start over. */
        sup_health_start(svc);
        if (svc->spec->readiness == BT_SVCSPEC_READY_EXEC)
            sup_service_ready(svc);
        else
            sup_ready_arm(svc);
        return 1;
    }
    /* It ended while we were away: its record (or its absence) decides. */
    struct sup_exit exit = {0};
    if (!sup_shim_exit_record(svc, &exit)) {
        struct bt_err err = {0};
        exit = (struct sup_exit){.code = 137, .signal = SIGKILL, .lost = true};
        if (bt_leftovers_kill(path, &err) < 0)
            bt_log_warn("%s: %s", svc->name, err.msg);
    }
    clear_state(svc);
    svc->state = SUP_RUNNING; /* as it was when we left it */
    sup_service_handle(svc, SUP_EV_EXITED, &exit);
    return 1;
}

void sup_shim_signal(struct sup_service *svc, int sig, bool all)
{
    if (all) {
        /* Every process of the container, through its cgroup, as the stop sequence says. */
        struct bt_cgroup cgroup;
        struct bt_err err = {0};
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/%s", svc->sup->cgroup_parent, svc->name);
        if (bt_cgroup_init(&cgroup, NULL, path, 0, &err) == 0) {
            bt_cgroup_thaw(&cgroup, &err);
            if ((sig == SIGKILL ? bt_cgroup_kill(&cgroup, &err)
                                : bt_cgroup_signal(&cgroup, sig, &err)) >= 0)
                return;
        }
        bt_log_warn("%s: %s", svc->name, err.msg);
    }
    if (svc->init_pid <= 0)
        return;
    int fd = (int)syscall(SYS_pidfd_open, svc->init_pid, 0);
    if (fd < 0)
        return;
    if (syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0) < 0)
        bt_log_debug("%s: signal %d: %s", svc->name, sig, strerror(errno));
    close(fd);
}
