/* bottle stats [NAME] [--json]: cpu time, memory and pids of bottled's running services, as
 * their cgroups say (one snapshot, like docker stats --no-stream). */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char usage[] = "Usage: bottle stats [NAME] [--json]\n"
                            "\n"
                            "Cpu time, memory and pids (with their limits) of bottled's running\n"
                            "services, or of NAME.\n";

/* KEY of OBJ as a number, or -1 when null or absent. */
static long long number(json_object *obj, const char *key)
{
    json_object *value;
    if (!json_object_object_get_ex(obj, key, &value) || !value)
        return -1;
    return json_object_get_int64(value);
}

static void format_bytes(long long bytes, char *buf, size_t len)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double value = (double)bytes;
    int unit = 0;
    while (value >= 1024 && unit < 4) {
        value /= 1024;
        unit++;
    }
    snprintf(buf, len, unit ? "%.1f%s" : "%.0f%s", value, units[unit]);
}

static void print_row(json_object *obj)
{
    char memory[64], limit[32], pids[48], cpu[32];
    json_object *value;
    const char *name =
        json_object_object_get_ex(obj, "name", &value) ? json_object_get_string(value) : "?";
    long long cpu_ns = number(obj, "cpu_usage_ns");
    if (cpu_ns >= 0)
        snprintf(cpu, sizeof(cpu), "%.2fs", cpu_ns / 1e9);
    else
        snprintf(cpu, sizeof(cpu), "-");
    long long used_bytes = number(obj, "memory_usage"), max = number(obj, "memory_limit");
    format_bytes(used_bytes < 0 ? 0 : used_bytes, memory, sizeof(memory));
    if (max >= 0)
        format_bytes(max, limit, sizeof(limit));
    else
        snprintf(limit, sizeof(limit), "-");
    size_t used = strlen(memory);
    snprintf(memory + used, sizeof(memory) - used, " / %s", limit);
    long long current = number(obj, "pids_current"), pids_max = number(obj, "pids_limit");
    if (pids_max >= 0)
        snprintf(pids, sizeof(pids), "%lld / %lld", current, pids_max);
    else
        snprintf(pids, sizeof(pids), "%lld / -", current);
    bool paused =
        json_object_object_get_ex(obj, "paused", &value) && json_object_get_boolean(value);
    printf("%-24s %-10s %-24s %s%s\n", name, cpu, memory, pids, paused ? " (paused)" : "");
}

int cli_cmd_stats(const struct cli_globals *globals, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"json", no_argument, NULL, 'j'},
        {"no-stream", no_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    bool as_json = false;
    int opt;
    optind = 0; /* glibc: a full re-initialisation, so that options may follow NAME */
    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'j': as_json = true; break;
        case 'n': break; /* one snapshot is all there is */
        case 'h': fputs(usage, stdout); return 0;
        default: fputs(usage, stderr); return 125;
        }
    }
    if (argc - optind > 1)
        cli_die("stats: at most one service name (see 'bottle stats -h')");
    const char *name = optind < argc ? argv[optind] : NULL;
    char what[128];
    snprintf(what, sizeof(what), "stats%s%s", name ? " " : "", name ? name : "");
    json_object *result = cli_bottled_ask(
        globals, "stats", name ? cli_bottled_name_params(name) : NULL, CLI_DAEMON_TIMEOUT_MS, what);
    if (as_json) {
        puts(json_object_to_json_string_ext(result, JSON_C_TO_STRING_PRETTY |
                                                        JSON_C_TO_STRING_NOSLASHESCAPE));
    } else {
        printf("%-24s %-10s %-24s %s\n", "NAME", "CPU", "MEM USAGE / LIMIT", "PIDS / LIMIT");
        if (json_object_is_type(result, json_type_array)) {
            for (size_t i = 0; i < json_object_array_length(result); i++)
                print_row(json_object_array_get_idx(result, i));
        } else if (result) {
            print_row(result);
        }
    }
    json_object_put(result);
    return 0;
}
