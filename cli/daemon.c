/* The verbs that talk to bottled: start, stop, restart (services it supervises) and events.
 * When bottled is not running they say so in one line, with the command that starts it. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpc.h"

#define DAEMON_TIMEOUT_MS 10000

static void connect_bottled(const struct cli_globals *globals, struct bt_rpc_client *client)
{
    char path[4096];
    struct bt_err err = {0};
    snprintf(path, sizeof(path), "%s/bottled.sock", globals->state);
    if (bt_rpc_client_open(client, path, 2000, &err) < 0)
        cli_die("bottled is not running (%s); start it with: bottled --config DIR --state %s",
                err.msg, globals->state);
}

static int call(const struct cli_globals *globals, const char *method, const char *name)
{
    struct bt_rpc_client client;
    struct bt_rpc_message reply;
    struct bt_err err = {0};
    connect_bottled(globals, &client);
    json_object *params = json_object_new_object();
    json_object_object_add(params, "name", json_object_new_string(name));
    int ret = bt_rpc_call(&client, method, params, DAEMON_TIMEOUT_MS, &reply, &err);
    if (ret == 0)
        printf("%s\n", name);
    bt_rpc_message_clear(&reply);
    bt_rpc_client_close(&client);
    if (ret < 0)
        cli_die("%s %s: %s", method, name, err.msg);
    return 0;
}

static int service_verb(const struct cli_globals *globals, int argc, char **argv,
                        const char *method)
{
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        printf("Usage: bottle %s NAME...   (a service bottled supervises)\n", method);
        return argc < 2 ? 125 : 0;
    }
    for (int i = 1; i < argc; i++)
        call(globals, method, argv[i]);
    return 0;
}

int cli_cmd_start(const struct cli_globals *globals, int argc, char **argv)
{
    return service_verb(globals, argc, argv, "start");
}

int cli_cmd_stop(const struct cli_globals *globals, int argc, char **argv)
{
    return service_verb(globals, argc, argv, "stop");
}

int cli_cmd_restart(const struct cli_globals *globals, int argc, char **argv)
{
    return service_verb(globals, argc, argv, "restart");
}

/* bottle events [--since SEQ]: the JSON lines, as they come. */
int cli_cmd_events(const struct cli_globals *globals, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"since", required_argument, NULL, 's'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    long long since = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
        switch (opt) {
        case 's':
            if (!cli_parse_count(optarg, &since))
                cli_die("events: invalid --since '%s'", optarg);
            break;
        case 'j': break; /* events are JSON lines either way */
        case 'h': puts("Usage: bottle events [--since SEQ]   stream bottled's events"); return 0;
        default: return 125;
        }
    }
    struct bt_rpc_client client;
    struct bt_err err = {0};
    connect_bottled(globals, &client);
    json_object *params = json_object_new_object();
    json_object_object_add(params, "since", json_object_new_int64(since));
    json_object *request = bt_rpc_request(1, "events", params);
    if (bt_rpc_send(client.fd, request, DAEMON_TIMEOUT_MS, &err) < 0)
        cli_die("events: %s", err.msg);
    json_object_put(request);
    for (;;) {
        struct bt_rpc_message msg;
        int ret = bt_rpc_client_read(&client, -1, &msg, &err);
        if (ret < 0) {
            bt_rpc_client_close(&client);
            if (ret == -ECONNRESET)
                return 0; /* bottled went away */
            cli_die("events: %s", err.msg);
        }
        /* Events are "event" notifications; the reply to our request is not printed. */
        if (msg.kind == BT_RPC_KIND_NOTIFICATION && strcmp(msg.method, "event") == 0 &&
            msg.params) {
            puts(json_object_to_json_string_ext(msg.params, JSON_C_TO_STRING_PLAIN));
            fflush(stdout);
        }
        bt_rpc_message_clear(&msg);
    }
}
