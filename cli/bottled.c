/* The CLI's connection to bottled: every verb that talks to it opens STATE/bottled.sock here,
 * and says in one line, with the command that starts it, when bottled is not running. */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int cli_bottled_open(const struct cli_globals *globals, struct bt_rpc_client *client,
                     struct bt_err *err)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/bottled.sock", globals->state);
    if (bt_rpc_client_open(client, path, 2000, err) < 0)
        return -ENOTCONN;
    return 0;
}

void cli_bottled_connect(const struct cli_globals *globals, struct bt_rpc_client *client)
{
    struct bt_err err = {0};
    if (cli_bottled_open(globals, client, &err) < 0)
        cli_die("bottled is not running (%s); start it with: bottled --config DIR --state %s",
                err.msg, globals->state);
}

bool cli_bottled_running(const struct cli_globals *globals)
{
    struct bt_rpc_client client;
    struct bt_err err = {0};
    if (cli_bottled_open(globals, &client, &err) < 0)
        return false;
    bt_rpc_client_close(&client);
    return true;
}

int cli_bottled_call(const struct cli_globals *globals, const char *method, json_object *params,
                     int timeout_ms, struct bt_rpc_message *reply, struct bt_err *err)
{
    struct bt_rpc_client client;
    memset(reply, 0, sizeof(*reply));
    if (cli_bottled_open(globals, &client, err) < 0) {
        json_object_put(params);
        return -ENOTCONN;
    }
    int ret = bt_rpc_call(&client, method, params, timeout_ms, reply, err);
    bt_rpc_client_close(&client);
    return ret;
}
