/* bottle-net: the network steps of a container, for bottle-shim (static, so it cannot link
 * libnftables), `bottle rm` and bottled. One verb per run; errors are one line on stderr and
 * exit code 125. It changes its own netns while it works, so it must stay single-threaded. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "net.h"

static const char usage[] = "Usage: bottle-net up STATE_DIR NETNS_PATH\n"
                            "       bottle-net down STATE_DIR\n"
                            "       bottle-net reconcile STATE_ROOT\n";

int main(int argc, char **argv)
{
    struct bt_err err = {0};
    int ret;
    if (argc == 4 && strcmp(argv[1], "up") == 0) {
        char path[PATH_MAX];
        struct bt_net_record record;
        snprintf(path, sizeof(path), "%s/net", argv[2]);
        ret = bt_net_record_read(path, &record, &err);
        if (ret == 0)
            ret = bt_net_up(&record, argv[3], &err);
    } else if (argc == 3 && strcmp(argv[1], "down") == 0) {
        ret = bt_net_down(argv[2], &err);
    } else if (argc == 3 && strcmp(argv[1], "reconcile") == 0) {
        ret = bt_net_reconcile_now(argv[2], &err);
    } else if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        fputs(usage, stdout);
        return 0;
    } else {
        fputs(usage, stderr);
        return 125;
    }
    if (ret < 0) {
        fprintf(stderr, "bottle-net: %s\n", err.msg);
        return 125;
    }
    return 0;
}
