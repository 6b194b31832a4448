/* bottle ps and bottle inspect: bottled's services, as bottled tells them, and the containers
 * that bottle run -d started outside bottled, read from the state dir and their shims. */
#include "cli.h"
#include "name.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"

static void format_time(long long ns, char *buf, size_t len)
{
    if (ns <= 0) {
        snprintf(buf, len, "-");
        return;
    }
    time_t seconds = (time_t)(ns / 1000000000LL);
    struct tm tm;
    localtime_r(&seconds, &tm);
    strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
}

static long long started_at(const struct cli_container *c)
{
    return c->status == CLI_STATUS_EXITED ? c->exit.started_at_ns : c->started_at_ns;
}

static json_object *container_json(const struct cli_container *c)
{
    json_object *obj = json_object_new_object();
    json_object_object_add(obj, "name", json_object_new_string(c->name));
    json_object_object_add(obj, "kind", json_object_new_string("container"));
    json_object_object_add(obj, "status", json_object_new_string(cli_status_name(c->status)));
    pid_t pid = c->status == CLI_STATUS_EXITED ? c->exit.pid : c->pid;
    json_object_object_add(obj, "pid", json_object_new_int(pid));
    if (c->status == CLI_STATUS_RUNNING) {
        json_object_object_add(obj, "shim_pid", json_object_new_int(c->shim_pid));
        json_object_object_add(obj, "bundle", json_object_new_string(c->bundle));
    }
    json_object_object_add(obj, "started_at_ns", json_object_new_int64(started_at(c)));
    if (c->status == CLI_STATUS_EXITED) {
        json_object_object_add(obj, "exit_code", json_object_new_int(c->exit.exit_code));
        json_object_object_add(obj, "signal", json_object_new_int(c->exit.signal));
        json_object_object_add(obj, "oom_killed", json_object_new_boolean(c->exit.oom_killed));
        json_object_object_add(obj, "reason", json_object_new_string(c->exit.reason));
        json_object_object_add(obj, "finished_at_ns",
                               json_object_new_int64(c->exit.finished_at_ns));
    }
    json_object_object_add(obj, "state_dir", json_object_new_string(c->state_dir));
    char log[PATH_MAX + 32];
    snprintf(log, sizeof(log), "%s/container.log", c->log_dir);
    json_object_object_add(obj, "log_path", json_object_new_string(log));
    return obj;
}

static void print_json(json_object *obj)
{
    puts(json_object_to_json_string_ext(obj,
                                        JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names under STATE/containers, sorted; *COUNT of them. The caller frees each and the
 * array. */
static char **list_names(const struct cli_globals *globals, size_t *count)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s/containers", globals->state);
    *count = 0;
    cleanup_closedir DIR *d = opendir(dir);
    if (!d) {
        if (errno == ENOENT)
            return NULL;
        cli_die("ps: %s: %s", dir, strerror(errno));
    }
    char **names = NULL;
    size_t cap = 0;
    struct dirent *entry;
    while ((entry = readdir(d))) {
        if (!bt_name_valid(entry->d_name) || entry->d_type == DT_SOCK || entry->d_type == DT_REG)
            continue;
        if (*count == cap) {
            cap = cap ? cap * 2 : 16;
            names = realloc(names, cap * sizeof(*names));
            if (!names)
                cli_die("ps: out of memory");
        }
        names[(*count)++] = strdup(entry->d_name);
    }
    if (*count)
        qsort(names, *count, sizeof(*names), compare_names);
    return names;
}

/* bottled's "ps" (or "inspect" with NAME): the result, or NULL when bottled is not running or
 * (inspect) does not know NAME. Other failures exit 125. */
static json_object *ask_bottled(const struct cli_globals *globals, const char *method,
                                const char *name)
{
    struct bt_rpc_message reply;
    struct bt_err err = {0};
    int ret = cli_bottled_call(globals, method, name ? cli_bottled_name_params(name) : NULL,
                               CLI_DAEMON_TIMEOUT_MS, &reply, &err);
    json_object *result = ret == 0 && reply.result ? json_object_get(reply.result) : NULL;
    bool no_such = ret == -EREMOTEIO && reply.error_code == CLI_BOTTLED_NO_SUCH;
    if (ret == -EREMOTEIO && !no_such)
        snprintf(err.msg, sizeof(err.msg), "%s", reply.error_message ? reply.error_message : "?");
    bt_rpc_message_clear(&reply);
    if (ret == -ENOTCONN || no_such)
        return NULL;
    if (ret < 0)
        cli_die("%s: bottled: %s", method, err.msg);
    return result;
}

static const char *get_string(json_object *obj, const char *key)
{
    json_object *value;
    return json_object_object_get_ex(obj, key, &value) ? json_object_get_string(value) : "";
}

static long long get_number(json_object *obj, const char *key)
{
    json_object *value;
    return json_object_object_get_ex(obj, key, &value) ? json_object_get_int64(value) : 0;
}

static void format_duration(long long ms, char *buf, size_t len)
{
    long long s = ms / 1000;
    if (ms <= 0)
        snprintf(buf, len, "-");
    else if (s < 60)
        snprintf(buf, len, "%llds", s);
    else if (s < 3600)
        snprintf(buf, len, "%lldm%02llds", s / 60, s % 60);
    else if (s < 86400)
        snprintf(buf, len, "%lldh%02lldm", s / 3600, s / 60 % 60);
    else
        snprintf(buf, len, "%lldd%02lldh", s / 86400, s / 3600 % 24);
}

static bool is_service(json_object *services, const char *name)
{
    size_t count = services ? json_object_array_length(services) : 0;
    for (size_t i = 0; i < count; i++)
        if (strcmp(get_string(json_object_array_get_idx(services, i), "name"), name) == 0)
            return true;
    return false;
}

/* bottled's services: those not down, or all of them with -a. */
static void print_services(json_object *services, bool all)
{
    printf("%-24s %-8s %-18s %-8s %-10s %s\n", "SERVICE", "PID", "STATE", "RESTARTS", "UPTIME",
           "LAST EXIT");
    for (size_t i = 0; i < json_object_array_length(services); i++) {
        json_object *svc = json_object_array_get_idx(services, i), *last_exit, *value;
        const char *state = get_string(svc, "state");
        if (!all && strcmp(state, "down") == 0)
            continue;
        char shown[32], pid[16] = "-", uptime[32], last[32] = "-";
        bool paused =
            json_object_object_get_ex(svc, "paused", &value) && json_object_get_boolean(value);
        snprintf(shown, sizeof(shown), "%s%s", state, paused ? " (paused)" : "");
        if (get_number(svc, "pid") > 0)
            snprintf(pid, sizeof(pid), "%lld", get_number(svc, "pid"));
        format_duration(get_number(svc, "uptime_ms"), uptime, sizeof(uptime));
        if (json_object_object_get_ex(svc, "last_exit", &last_exit)) {
            bool oom = json_object_object_get_ex(last_exit, "oom", &value) &&
                       json_object_get_boolean(value);
            if (oom)
                snprintf(last, sizeof(last), "oom-killed");
            else if (get_number(last_exit, "signal"))
                snprintf(last, sizeof(last), "signal %lld", get_number(last_exit, "signal"));
            else
                snprintf(last, sizeof(last), "%lld", get_number(last_exit, "code"));
        }
        printf("%-24s %-8s %-18s %-8lld %-10s %s\n", get_string(svc, "name"), pid, shown,
               get_number(svc, "restarts"), uptime, last);
    }
}

int cli_cmd_ps(const struct cli_globals *globals, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"all", no_argument, NULL, 'a'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    bool all = false, as_json = false;
    int opt;
    while ((opt = getopt_long(argc, argv, "+ah", longopts, NULL)) != -1) {
        switch (opt) {
        case 'a': all = true; break;
        case 'j': as_json = true; break;
        case 'h':
            puts("Usage: bottle ps [-a] [--json]   list running containers (-a: all of them)");
            return 0;
        default: return 125;
        }
    }
    if (optind < argc)
        cli_die("ps: unexpected argument '%s'", argv[optind]);
    json_object *services = ask_bottled(globals, "ps", NULL);
    if (services && !json_object_is_type(services, json_type_array)) {
        json_object_put(services);
        services = NULL;
    }
    size_t count;
    char **names = list_names(globals, &count);
    json_object *list = as_json ? json_object_new_array() : NULL;
    for (size_t i = 0; as_json && services && i < json_object_array_length(services); i++) {
        json_object *svc = json_object_array_get_idx(services, i);
        if (!all && strcmp(get_string(svc, "state"), "down") == 0)
            continue;
        json_object_object_add(svc, "kind", json_object_new_string("service"));
        json_object_array_add(list, json_object_get(svc));
    }
    if (!as_json && services)
        print_services(services, all);
    bool header = false;
    for (size_t i = 0; i < count; i++) {
        struct cli_container c;
        struct bt_err err = {0};
        /* bottled's services were listed above; a container removed while we look is not. */
        int found =
            is_service(services, names[i]) ? -1 : cli_container_find(globals, names[i], &c, &err);
        free(names[i]);
        if (found < 0)
            continue;
        if (cli_container_status(&c, &err) < 0)
            fprintf(stderr, "bottle: %s\n", err.msg);
        if (!all && (c.status == CLI_STATUS_EXITED || c.status == CLI_STATUS_LOST))
            continue;
        if (as_json) {
            json_object_array_add(list, container_json(&c));
            continue;
        }
        if (!header) {
            printf("%s%-24s %-8s %-14s %s\n", services ? "\n" : "", "NAME", "PID", "STATUS",
                   "STARTED");
            header = true;
        }
        char status[32], started[32], pid[16] = "-";
        if (c.status == CLI_STATUS_EXITED)
            snprintf(status, sizeof(status), "exited (%d)", c.exit.exit_code);
        else
            snprintf(status, sizeof(status), "%s", cli_status_name(c.status));
        pid_t shown = c.status == CLI_STATUS_RUNNING ? c.pid : 0;
        if (shown)
            snprintf(pid, sizeof(pid), "%d", (int)shown);
        format_time(started_at(&c), started, sizeof(started));
        printf("%-24s %-8s %-14s %s\n", c.name, pid, status, started);
    }
    free(names);
    /* Without bottled, the (empty) table of containers still has its header. */
    if (!as_json && !header && !services)
        printf("%-24s %-8s %-14s %s\n", "NAME", "PID", "STATUS", "STARTED");
    json_object_put(services);
    if (as_json) {
        print_json(list);
        json_object_put(list);
    }
    return 0;
}

int cli_cmd_inspect(const struct cli_globals *globals, int argc, char **argv)
{
    int opt;
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    while ((opt = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'h': puts("Usage: bottle inspect NAME   the container's state as JSON"); return 0;
        default: return 125;
        }
    }
    if (optind + 1 != argc)
        cli_die("inspect: exactly one container name is needed (see 'bottle inspect -h')");
    json_object *service = ask_bottled(globals, "inspect", argv[optind]);
    if (service) {
        json_object_object_add(service, "kind", json_object_new_string("service"));
        json_object *list = json_object_new_array();
        json_object_array_add(list, service);
        print_json(list);
        json_object_put(list);
        return 0;
    }
    struct cli_container c;
    struct bt_err err = {0};
    if (cli_container_find(globals, argv[optind], &c, &err) < 0 ||
        cli_container_status(&c, &err) < 0)
        cli_die("%s", err.msg);
    /* docker inspect's shape: an array, one object per name. */
    json_object *list = json_object_new_array();
    json_object_array_add(list, container_json(&c));
    print_json(list);
    json_object_put(list);
    return 0;
}
