/* bottle commit NAME IMAGE: a container's changes (its overlay upper dir, deletions as
 * whiteouts) become a new layer on top of the image it was made from. The container is read,
 * never changed; commit a stopped container for a consistent layer. */
#include "cli.h"
#include "image.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int cli_cmd_commit(const struct cli_globals *globals, int argc, char **argv)
{
    if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        puts("Usage: bottle commit CONTAINER IMAGE   (containers made with --storage overlay)");
        return 0;
    }
    if (argc != 3)
        cli_die("commit CONTAINER IMAGE: two arguments needed");
    const char *container = argv[1], *image = argv[2];
    if (!bt_name_valid(container))
        cli_die("invalid container name '%s'", container);
    struct bt_err err = {0};
    char base[BT_IMAGE_NAME_MAX + 1], upper[PATH_MAX];
    enum bt_image_driver driver;
    if (bt_image_container_origin(globals->root, container, base, &driver, &err) < 0)
        cli_die("commit: %s", err.msg);
    if (driver != BT_IMAGE_DRIVER_OVERLAY)
        cli_die("commit: container %s uses the %s driver; commit needs overlay (its changes are "
                "the upper dir)",
                container, bt_image_driver_name(driver));
    snprintf(upper, sizeof(upper), "%s/containers/%s/upper", globals->root, container);
    if (access(upper, F_OK) < 0)
        cli_die("commit: container %s has no storage left (%s)", container, strerror(errno));
    if (bt_image_commit(globals->root, base, upper, image, &err) < 0)
        cli_die("commit %s: %s", container, err.msg);
    printf("%s\n", image);
    return 0;
}
