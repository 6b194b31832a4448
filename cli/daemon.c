/* The verbs that talk to bottled: start, stop, restart, pause, resume (services it supervises)
 * and events. When bottled is not running they say so in one line, with the command that
 * starts it. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpc.h"

json_object *cli_bottled_ask(const struct cli_globals *globals, const char *method,
                             json_object *params, int timeout_ms, const char *what)
{
    struct bt_rpc_message reply;
    struct bt_err err = {0};
    int ret = cli_bottled_call(globals, method, params, timeout_ms, &reply, &err);
    json_object *result = ret == 0 && reply.result ? json_object_get(reply.result) : NULL;
    if (ret == -EREMOTEIO)
        snprintf(err.msg, sizeof(err.msg), "%s", reply.error_message ? reply.error_message : "?");
    bt_rpc_message_clear(&reply);
    if (ret == -ENOTCONN)
        cli_die("bottled is not running (%s); start it with: bottled --config DIR --state %s",
                err.msg, globals->state);
    if (ret < 0)
        cli_die("%s: %s", what, err.msg);
    return result;
}

json_object *cli_bottled_name_params(const char *name)
{
    json_object *params = json_object_new_object();
    json_object_object_add(params, "name", json_object_new_string(name));
    return params;
}

static void call(const struct cli_globals *globals, const char *method, const char *name,
                 json_object *params)
{
    char what[256];
    snprintf(what, sizeof(what), "%s %s", method, name);
    json_object_put(cli_bottled_ask(globals, method, params, CLI_DAEMON_TIMEOUT_MS, what));
    if (strcmp(method, "stop") == 0) {
        /* As docker stop: back once it is down (the stop timeout bounds it, then SIGKILL). */
        json_object *wait = cli_bottled_name_params(name);
        json_object_object_add(wait, "for", json_object_new_string("stopped"));
        json_object_put(cli_bottled_ask(globals, "wait", wait, -1, what));
    }
    printf("%s\n", name);
}

static int service_verb(const struct cli_globals *globals, int argc, char **argv,
                        const char *method)
{
    static const struct option longopts[] = {
        {"time", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    bool stop = strcmp(method, "stop") == 0;
    double timeout = -1;
    int opt;
    while ((opt = getopt_long(argc, argv, stop ? "+t:h" : "+h", longopts, NULL)) != -1) {
        switch (opt) {
        case 't': {
            char *end;
            timeout = strtod(optarg, &end);
            if (!stop || end == optarg || *end || timeout < 0 || timeout > 86400 * 365)
                cli_die("%s: invalid timeout '%s' (seconds)", method, optarg);
            break;
        }
        case 'h':
            printf("Usage: bottle %s%s NAME...   (a service bottled supervises)\n", method,
                   stop ? " [-t SECS]" : "");
            return 0;
        default: return 125;
        }
    }
    if (optind >= argc)
        cli_die("%s: a service name is needed (see 'bottle %s -h')", method, method);
    for (int i = optind; i < argc; i++) {
        json_object *params = cli_bottled_name_params(argv[i]);
        if (timeout >= 0)
            json_object_object_add(params, "timeout_s", json_object_new_double(timeout));
        call(globals, method, argv[i], params);
    }
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

int cli_cmd_pause(const struct cli_globals *globals, int argc, char **argv)
{
    return service_verb(globals, argc, argv, "pause");
}

int cli_cmd_resume(const struct cli_globals *globals, int argc, char **argv)
{
    return service_verb(globals, argc, argv, "resume");
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
    cli_bottled_connect(globals, &client);
    json_object *params = json_object_new_object();
    json_object_object_add(params, "since", json_object_new_int64(since));
    json_object *request = bt_rpc_request(1, "events", params);
    if (bt_rpc_send(client.fd, request, CLI_DAEMON_TIMEOUT_MS, &err) < 0)
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
