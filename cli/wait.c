/* bottle wait NAME --for ready|running|stopped [--timeout S]: blocks until bottled says the
 * service got there (exit 0), or the timeout passed (exit 1). bottled answers at the first
 * event after which the service is there; nothing polls. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "Usage: bottle wait NAME --for ready|running|stopped [--timeout S]\n"
    "\n"
    "Exits 0 once the service is there, 1 when --timeout seconds passed first.\n";

int cli_cmd_wait(const struct cli_globals *globals, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"for", required_argument, NULL, 'f'},
        {"timeout", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *until = NULL;
    double timeout = -1;
    int opt;
    optind = 0; /* glibc: a full re-initialisation, so that options may follow NAME */
    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'f':
            if (strcmp(optarg, "ready") != 0 && strcmp(optarg, "running") != 0 &&
                strcmp(optarg, "stopped") != 0)
                cli_die("wait: invalid --for '%s' (ready, running or stopped)", optarg);
            until = optarg;
            break;
        case 't': {
            char *end;
            errno = 0;
            timeout = strtod(optarg, &end);
            if (errno || end == optarg || *end || timeout < 0 || timeout > 86400 * 365)
                cli_die("wait: invalid --timeout '%s' (seconds)", optarg);
            break;
        }
        case 'h': fputs(usage, stdout); return 0;
        default: fputs(usage, stderr); return 125;
        }
    }
    if (optind + 1 != argc)
        cli_die("wait: exactly one service name is needed (see 'bottle wait -h')");
    if (!until)
        cli_die("wait: --for ready|running|stopped is needed");
    const char *name = argv[optind];
    struct bt_rpc_client client;
    cli_bottled_connect(globals, &client);
    json_object *params = cli_bottled_name_params(name);
    json_object_object_add(params, "for", json_object_new_string(until));
    json_object *result;
    int code;
    char message[BT_ERR_MSG_MAX];
    int ret = cli_bottled_try(&client, "wait", params, timeout < 0 ? -1 : (int)(timeout * 1000),
                              &result, &code, message, sizeof(message));
    bt_rpc_client_close(&client);
    json_object_put(result);
    if (ret == -ETIMEDOUT) {
        fprintf(stderr, "bottle: wait %s: not %s after %gs\n", name, until, timeout);
        return 1;
    }
    if (ret < 0)
        cli_die("wait %s: %s", name, message);
    return 0;
}
