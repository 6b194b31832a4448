/* bottle kill: a signal to the container's init, or with --all to every process of it: through
 * bottled for the services it supervises, else through the shim's "kill" method (the shim
 * holds the init's pidfd, so a recycled pid is never hit). */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "sig.h"

static const char usage[] = "Usage: bottle kill [-s SIG] [--all] NAME\n"
                            "\n"
                            "  -s, --signal SIG  the signal, by name or number (default TERM)\n"
                            "  -a, --all         to every process of the container, not only its "
                            "init\n";

/* True when bottled supervises NAME and signalled it; exits 125 when it refused. */
static bool through_bottled(const struct cli_globals *globals, const char *name, int sig, bool all)
{
    json_object *params = cli_bottled_name_params(name);
    json_object_object_add(params, "signal", json_object_new_int(sig));
    json_object_object_add(params, "all", json_object_new_boolean(all));
    struct bt_rpc_message reply;
    struct bt_err err = {0};
    int ret = cli_bottled_call(globals, "kill", params, CLI_DAEMON_TIMEOUT_MS, &reply, &err);
    bool no_such = ret == -EREMOTEIO && reply.error_code == CLI_BOTTLED_NO_SUCH;
    if (ret == -EREMOTEIO && !no_such)
        snprintf(err.msg, sizeof(err.msg), "%s", reply.error_message ? reply.error_message : "?");
    bt_rpc_message_clear(&reply);
    /* No bottled, or not one of its services: a container of bottle run -d, or none. */
    if (ret == -ENOTCONN || no_such)
        return false;
    if (ret < 0)
        cli_die("cannot kill %s: %s", name, err.msg);
    return true;
}

int cli_cmd_kill(const struct cli_globals *globals, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"signal", required_argument, NULL, 's'},
        {"all", no_argument, NULL, 'a'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int sig = SIGTERM;
    bool all = false;
    int opt;
    while ((opt = getopt_long(argc, argv, "+s:ah", longopts, NULL)) != -1) {
        switch (opt) {
        case 's':
            sig = bt_sig_parse(optarg);
            if (sig < 0)
                cli_die("kill: invalid signal '%s'", optarg);
            break;
        case 'a': all = true; break;
        case 'h': fputs(usage, stdout); return 0;
        default: fputs(usage, stderr); return 125;
        }
    }
    if (optind + 1 != argc)
        cli_die("kill: exactly one container name is needed (see 'bottle kill -h')");

    if (through_bottled(globals, argv[optind], sig, all))
        return 0;
    struct bt_err err = {0};
    struct cli_container container;
    struct bt_rpc_client client;
    if (cli_container_find(globals, argv[optind], &container, &err) < 0 ||
        cli_container_connect(&container, &client, &err) < 0)
        cli_die("%s", err.msg);
    json_object *params = json_object_new_object();
    json_object_object_add(params, "signal", json_object_new_int(sig));
    json_object_object_add(params, "all", json_object_new_boolean(all));
    struct bt_rpc_message reply;
    int ret = bt_rpc_call(&client, "kill", params, CLI_SHIM_TIMEOUT_MS, &reply, &err);
    if (ret == -EREMOTEIO && reply.error_message)
        cli_die("cannot kill %s: %s", container.name, reply.error_message);
    if (ret < 0)
        cli_die("cannot kill %s: %s", container.name, err.msg);
    bt_rpc_message_clear(&reply);
    bt_rpc_client_close(&client);
    return 0;
}
