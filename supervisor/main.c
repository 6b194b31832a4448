/* bottled: main() is the table of contents: options, state dir, control socket, specs,
 * re-adoption of live shims, then the loop. SIGTERM/SIGINT stop every service and exit;
 * SIGQUIT exits at once and leaves every container running for the next bottled; SIGHUP
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

static void on_error(const struct bt_err *err, void *data)
{
    (void)data;
    bt_log_error("%s", err->msg);
}

/* Reads the specs: every service of the config, by name. Trees come with OTP supervision. */
static int load_specs(struct sup *sup, struct bt_svcspec_list *list)
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
    if (S_ISDIR(st.st_mode))
        return bt_svcspec_load_dir(sup->config, list, on_error, NULL, &err) < 0
                   ? (bt_log_error("%s", err.msg), -1)
                   : 0;
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

static void add_service(struct sup *sup, struct bt_svcspec_node *node, bool adopt)
{
    if (node->kind != BT_SVCSPEC_SERVICE) {
        bt_log_error("%s: trees are not supervised yet; only services", node->file);
        bt_svcspec_free(node);
        return;
    }
    struct sup_service *svc = sup_service_new(sup, node);
    if (!svc) {
        bt_svcspec_free(node);
        return;
    }
    svc->next = sup->services;
    sup->services = svc;
    sup_restore(svc);
    sup_event(sup, "loaded", svc, NULL);
    if (adopt && sup_shim_adopt(svc) != 0)
        return;
    if (svc->wanted_up) {
        svc->wanted_up = false; /* so that START counts as new */
        sup_service_handle(svc, SUP_EV_START, NULL);
    }
}

/* SIGHUP: new services start, removed ones stop, changed ones restart; the rest go on. */
static void reload(struct sup *sup)
{
    struct bt_svcspec_list list;
    if (load_specs(sup, &list) < 0)
        return;
    for (struct sup_service *svc = sup->services; svc; svc = svc->next) {
        bool found = false;
        for (size_t i = 0; i < list.len && !found; i++)
            found = list.nodes[i] && list.nodes[i]->kind == BT_SVCSPEC_SERVICE &&
                    strcmp(list.nodes[i]->service.name, svc->name) == 0;
        if (!found && !svc->removed) {
            svc->removed = true;
            sup_event(sup, "removed", svc, NULL);
            sup_service_handle(svc, SUP_EV_STOP, NULL);
        }
    }
    for (size_t i = 0; i < list.len; i++) {
        struct bt_svcspec_node *node = list.nodes[i];
        if (!node || node->kind != BT_SVCSPEC_SERVICE) {
            if (node)
                add_service(sup, node, false);
            list.nodes[i] = NULL;
            continue;
        }
        struct sup_service *svc = sup_find(sup, node->service.name);
        list.nodes[i] = NULL;
        if (!svc) {
            add_service(sup, node, false);
        } else if (bt_svcspec_equal(svc->spec, &node->service)) {
            bt_svcspec_free(node);
        } else {
            bt_svcspec_free(svc->node);
            svc->node = node;
            svc->spec = &node->service;
            svc->removed = false;
            sup_event(sup, "changed", svc, NULL);
            if (svc->state == SUP_RUNNING || svc->state == SUP_STARTING) {
                svc->restart_pending = true;
                sup_service_handle(svc, SUP_EV_STOP, NULL);
            } else if (svc->wanted_up) {
                sup_service_handle(svc, SUP_EV_START, NULL);
            }
        }
    }
    bt_svcspec_list_free(&list);
}

static void close_all(struct sup *sup)
{
    sup_control_close(sup);
    uv_close((uv_handle_t *)&sup->sig_term, NULL);
    uv_close((uv_handle_t *)&sup->sig_int, NULL);
    uv_close((uv_handle_t *)&sup->sig_quit, NULL);
    uv_close((uv_handle_t *)&sup->sig_hup, NULL);
    uv_close((uv_handle_t *)&sup->sig_chld, NULL);
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
        for (struct sup_service *svc = sup->services; svc; svc = svc->next)
            sup_service_handle(svc, SUP_EV_STOP, NULL);
        sup_maybe_exit(sup);
        break;
    case SIGQUIT:
        /* Leave every container running for the next bottled (upgrades). */
        close_all(sup);
        break;
    case SIGHUP: reload(sup); break;
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

    struct bt_svcspec_list list;
    if (load_specs(&sup, &list) < 0)
        return 125;
    for (size_t i = 0; i < list.len; i++) {
        add_service(&sup, list.nodes[i], true);
        list.nodes[i] = NULL;
    }
    bt_svcspec_list_free(&list);

    uv_run(sup.loop, UV_RUN_DEFAULT);
    sup_events_free(&sup);
    uv_loop_close(sup.loop);
    return 0;
}
