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
    json_object *params = cli_bottled_name_params(name);
    json_object_object_add(params, "for", json_object_new_string(until));
    struct bt_rpc_message reply;
    struct bt_err err = {0};
    int ret = cli_bottled_call(globals, "wait", params, timeout < 0 ? -1 : (int)(timeout * 1000),
                               &reply, &err);
    if (ret == -EREMOTEIO)
        snprintf(err.msg, sizeof(err.msg), "%s", reply.error_message ? reply.error_message : "?");
    bt_rpc_message_clear(&reply);
    if (ret == -ETIMEDOUT) {
        fprintf(stderr, "bottle: wait %s: not %s after %gs\n", name, until, timeout);
        return 1;
    }
    if (ret == -ENOTCONN)
        cli_die("bottled is not running (%s); start it with: bottled --config DIR --state %s",
                err.msg, globals->state);
    if (ret < 0)
        cli_die("wait %s: %s", name, err.msg);
    return 0;
}
