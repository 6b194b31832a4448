/* bottle ps and bottle inspect: interim verbs that read the state dir and ask each shim, until
 * bottled owns container state. */
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
    size_t count;
    char **names = list_names(globals, &count);
    json_object *list = as_json ? json_object_new_array() : NULL;
    if (!as_json)
        printf("%-24s %-8s %-14s %s\n", "NAME", "PID", "STATUS", "STARTED");
    for (size_t i = 0; i < count; i++) {
        struct cli_container c;
        struct bt_err err = {0};
        int found = cli_container_find(globals, names[i], &c, &err);
        free(names[i]);
        /* A container removed while we look is simply not listed. */
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
