/* bottle update NAME [--memory SIZE] [--cpus N] [--pids-limit N]: a service's limits changed
 * live in its cgroup by bottled, which keeps them for the service's next starts too. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "Usage: bottle update NAME [--memory SIZE] [--cpus N] [--pids-limit N]\n"
    "\n"
    "Changes a service's limits live, through its cgroup; they last over its restarts.\n"
    "  -m, --memory SIZE    memory limit (bytes, or with k/m/g; max: none)\n"
    "      --cpus N         cpu bandwidth in cpus (0.5: half of one; 0: none)\n"
    "      --pids-limit N   most processes at once (max or -1: none)\n";

static bool unlimited(const char *text)
{
    return strcmp(text, "max") == 0 || strcmp(text, "-1") == 0;
}

int cli_cmd_update(const struct cli_globals *globals, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"memory", required_argument, NULL, 'm'},
        {"cpus", required_argument, NULL, 'c'},
        {"pids-limit", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    json_object *params = json_object_new_object();
    int opt;
    optind = 0; /* glibc: a full re-initialisation, so that options may follow NAME */
    while ((opt = getopt_long(argc, argv, "m:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'm':
            json_object_object_add(
                params, "memory",
                json_object_new_int64(unlimited(optarg) ? 0 : cli_parse_size(optarg)));
            break;
        case 'c': {
            char *end;
            errno = 0;
            double cpus = strtod(optarg, &end);
            if (errno || end == optarg || *end || cpus < 0 || cpus > 1024)
                cli_die("update: invalid --cpus '%s' (a number of cpus, 0: no limit)", optarg);
            json_object_object_add(params, "cpus", json_object_new_double(cpus));
            break;
        }
        case 'p': {
            long long pids = 0;
            if (!unlimited(optarg) && !cli_parse_count(optarg, &pids))
                cli_die("update: invalid --pids-limit '%s' (a number, or max)", optarg);
            json_object_object_add(params, "pids", json_object_new_int64(pids));
            break;
        }
        case 'h': fputs(usage, stdout); return 0;
        default: fputs(usage, stderr); return 125;
        }
    }
    if (optind + 1 != argc)
        cli_die("update: exactly one service name is needed (see 'bottle update -h')");
    if (json_object_object_length(params) == 0)
        cli_die("update: nothing to change: give --memory, --cpus or --pids-limit");
    const char *name = argv[optind];
    json_object_object_add(params, "name", json_object_new_string(name));
    char what[128];
    snprintf(what, sizeof(what), "update %s", name);
    json_object_put(cli_bottled_ask(globals, "update", params, CLI_DAEMON_TIMEOUT_MS, what));
    printf("%s\n", name);
    return 0;
}
