/* bottle apply FILE: hands a service or tree spec to bottled, which starts it, changes only what
 * differs from the running unit of that name, and keeps it across its own restarts. Also the
 * bottled side of `bottle rm`: units that came from apply. */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "svcspec.h"

#define APPLY_TIMEOUT_MS 10000

int cli_cmd_apply(const struct cli_globals *globals, int argc, char **argv)
{
    if (argc != 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        puts("Usage: bottle apply FILE   start or change the service or tree of FILE in bottled");
        return argc == 2 ? 0 : 125;
    }
    const char *file = argv[1];
    FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "re");
    if (!f)
        cli_die("apply: %s: %s", file, strerror(errno));
    cleanup_free char *text = malloc(BT_SVCSPEC_FILE_MAX + 1);
    if (!text)
        cli_die("apply: out of memory");
    size_t len = fread(text, 1, BT_SVCSPEC_FILE_MAX + 1, f);
    bool failed = ferror(f);
    if (f != stdin)
        fclose(f);
    if (failed)
        cli_die("apply: %s: read error", file);
    if (len > BT_SVCSPEC_FILE_MAX)
        cli_die("apply: %s: larger than %u bytes", file, BT_SVCSPEC_FILE_MAX);
    text[len] = '\0';
    /* Checked here first: the same message as bottled's, without a daemon round trip. */
    struct bt_svcspec_node *node;
    struct bt_err err = {0};
    if (bt_svcspec_parse(text, file, &node, &err) < 0)
        cli_die("%s", err.msg);
    bt_svcspec_free(node);
    json_object *params = json_object_new_object();
    json_object_object_add(params, "spec", json_object_new_string(text));
    json_object_object_add(params, "file", json_object_new_string(file));
    struct bt_rpc_message reply;
    int ret = cli_bottled_call(globals, "apply", params, APPLY_TIMEOUT_MS, &reply, &err);
    if (ret == -ENOTCONN) {
        struct bt_rpc_client client;
        cli_bottled_connect(globals, &client); /* says so, and how to start it */
    }
    if (ret < 0)
        cli_die("%s", err.msg);
    json_object *name, *action;
    if (reply.result && json_object_object_get_ex(reply.result, "name", &name) &&
        json_object_object_get_ex(reply.result, "action", &action))
        printf("%s %s\n", json_object_get_string(name), json_object_get_string(action));
    bt_rpc_message_clear(&reply);
    return 0;
}

int cli_bottled_rm(const struct cli_globals *globals, const char *name, bool force,
                   struct bt_err *err)
{
    json_object *params = json_object_new_object();
    json_object_object_add(params, "name", json_object_new_string(name));
    json_object_object_add(params, "force", json_object_new_boolean(force));
    struct bt_rpc_message reply;
    int ret = cli_bottled_call(globals, "rm", params, APPLY_TIMEOUT_MS, &reply, err);
    if (ret == -EREMOTEIO) {
        ret = reply.error_code == -32004 ? -ENOENT : -EPERM;
        if (reply.error_message)
            bt_err_msg(err, -ret, "%s", reply.error_message);
    }
    bt_rpc_message_clear(&reply);
    return ret;
}
