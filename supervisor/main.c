/* bottled: main() is the table of contents: options, state dir, control socket, specs
 * (specs.c, with the re-adoption of live shims), then the loop. SIGTERM/SIGINT stop every service
 * and exit; SIGQUIT exits at once and leaves every container running for the next bottled; SIGHUP
 * reloads the specs and applies only the difference. */
#include "sup.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "proc.h"

static const char usage[] =
    "Usage: bottled [--config FILE|DIR] [--root DIR] [--state DIR] [--cgroup-parent P] [-v]\n"
    "\n"
    "Keeps the services of FILE (one service spec) or DIR (every *.json) running.\n"
    "  -c, --config PATH     service specs\n"
    "      --root DIR        images, storage, logs (default $BOTTLE_ROOT or /var/lib/bottle)\n"
    "      --state DIR       sockets, state (default $BOTTLE_STATE or /run/bottle)\n"
    "      --cgroup-parent P containers' cgroups are P/NAME (default bottle)\n"
    "  -v, --verbose         more output (repeat for debug)\n";

static void sibling(char *buf, size_t len, const char *name)
{
    char self[PATH_MAX - 32];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    self[n > 0 ? n : 0] = '\0';
    char *slash = strrchr(self, '/');
    if (slash)
        *slash = '\0';
    snprintf(buf, len, "%s/%s", self, name);
}

static void close_all(struct sup *sup)
{
    sup_control_close(sup);
    uv_close((uv_handle_t *)&sup->sig_term, NULL);
    uv_close((uv_handle_t *)&sup->sig_int, NULL);
    uv_close((uv_handle_t *)&sup->sig_quit, NULL);
    uv_close((uv_handle_t *)&sup->sig_hup, NULL);
    uv_close((uv_handle_t *)&sup->sig_chld, NULL);
    uv_close((uv_handle_t *)&sup->reap_timer, NULL);
    sup_specs_free(sup);
    while (sup->services) {
        struct sup_service *svc = sup->services;
        sup->services = svc->next;
        sup_service_free(svc);
    }
}

void sup_maybe_exit(struct sup *sup)
{
    if (!sup->shutting_down)
        return;
    for (struct sup_service *svc = sup->services; svc; svc = svc->next)
        if (svc->state != SUP_DOWN)
            return;
    sup_event(sup, "shutdown", NULL, NULL);
    close_all(sup);
}

static void on_signal(uv_signal_t *handle, int signum)
{
    struct sup *sup = handle->data;
    switch (signum) {
    case SIGTERM:
    case SIGINT:
        if (sup->shutting_down)
            return;
        sup->shutting_down = true;
        sup_specs_stop_all(sup);
        sup_maybe_exit(sup);
        break;
    case SIGQUIT:
        /* Leave every container running for the next bottled (upgrades). */
        close_all(sup);
        break;
    case SIGHUP: sup_specs_reload(sup); break;
    case SIGCHLD:
        /* Shims double-fork: their middle processes are re-parented to us (a subreaper). */
        while (waitpid(-1, NULL, WNOHANG) > 0)
            ;
        break;
    }
}

static void watch_signal(struct sup *sup, uv_signal_t *handle, int signum)
{
    uv_signal_init(sup->loop, handle);
    handle->data = sup;
    uv_signal_start(handle, on_signal, signum);
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'}, {"root", required_argument, NULL, 'r'},
        {"state", required_argument, NULL, 's'},  {"cgroup-parent", required_argument, NULL, 'C'},
        {"foreground", no_argument, NULL, 'f'},   {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    static struct sup sup;
    char shim[PATH_MAX], init[PATH_MAX];
    bt_log_init("bottled", BT_LOG_WARN);
    sup.state = getenv("BOTTLE_STATE") ? getenv("BOTTLE_STATE") : "/run/bottle";
    sup.root = getenv("BOTTLE_ROOT") ? getenv("BOTTLE_ROOT") : "/var/lib/bottle";
    sup.cgroup_parent = "bottle";
    int opt;
    while ((opt = getopt_long(argc, argv, "c:vh", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c': sup.config = optarg; break;
        case 'r': sup.root = optarg; break;
        case 's': sup.state = optarg; break;
        case 'C': sup.cgroup_parent = optarg; break;
        case 'f': break; /* bottled always stays in the foreground; a service manager detaches */
        case 'v': bt_log_set_level(bt_log_level() + 1); break;
        case 'h': fputs(usage, stdout); return 0;
        default: fputs(usage, stderr); return 125;
        }
    }
    if (optind < argc) {
        bt_log_error("unexpected argument '%s'", argv[optind]);
        return 125;
    }
    sibling(shim, sizeof(shim), "bottle-shim");
    sibling(init, sizeof(init), "bottle-init");
    sup.shim_path = shim;
    sup.init_path = init;
    /* Shims double-fork away from us: as a subreaper we still get their middle processes. */
    bt_proc_set_subreaper();
    if (mkdir(sup.state, 0711) < 0 && errno != EEXIST) {
        bt_log_error("create %s: %s", sup.state, strerror(errno));
        return 125;
    }
    sup.loop = uv_default_loop();
    struct bt_err err = {0};
    if (sup_control_listen(&sup, &err) < 0) {
        bt_log_error("%s", err.msg);
        return 125;
    }
    watch_signal(&sup, &sup.sig_term, SIGTERM);
    watch_signal(&sup, &sup.sig_int, SIGINT);
    watch_signal(&sup, &sup.sig_quit, SIGQUIT);
    watch_signal(&sup, &sup.sig_hup, SIGHUP);
    watch_signal(&sup, &sup.sig_chld, SIGCHLD);
    signal(SIGPIPE, SIG_IGN);

    uv_timer_init(sup.loop, &sup.reap_timer);
    sup.reap_timer.data = &sup;
    if (sup_specs_load(&sup) < 0)
        return 125;

    uv_run(sup.loop, UV_RUN_DEFAULT);
    sup_events_free(&sup);
    uv_loop_close(sup.loop);
    return 0;
}
