/* bottle commit NAME IMAGE: a container's changes (deletions as whiteouts) become a new layer on
 * top of the image it was made from. With overlay the upper dir is that layer already; with copy
 * and btrfs the container's tree is compared with the image's. The container is read, never
 * changed; commit a stopped container for a consistent layer. */
#include "archive-tar.h"
#include "cli.h"
#include "image.h"
#include "rootfs.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Scratch dirs beside the container (not in ROOT/tmp, which gc may empty meanwhile). */
static char base_dir[PATH_MAX + 300], diff_dir[PATH_MAX + 300];

static void remove_scratch(void)
{
    if (base_dir[0])
        bt_rootfs_remove_tree(base_dir, NULL);
    if (diff_dir[0])
        bt_rootfs_remove_tree(diff_dir, NULL);
}

/* The container's changes against IMAGE as a layer tree in diff_dir. */
static void diff_container(const char *root, const char *container, const char *image,
                           enum bt_image_driver driver)
{
    struct bt_err err = {0};
    struct bt_image img;
    char rootfs[PATH_MAX + 300], base[PATH_MAX + 300];
    if (bt_image_resolve(root, image, &img, &err) < 0)
        cli_die("commit: %s", err.msg);
    snprintf(rootfs, sizeof(rootfs), "%s/containers/%s/rootfs", root, container);
    snprintf(diff_dir, sizeof(diff_dir), "%s/containers/%s/commit-diff", root, container);
    atexit(remove_scratch);
    bt_rootfs_remove_tree(diff_dir, NULL);
    if (mkdir(diff_dir, 0755) < 0)
        cli_die("commit: create %s: %s", diff_dir, strerror(errno));
    if (driver == BT_IMAGE_DRIVER_BTRFS) {
        if (bt_image_btrfs_subvolume(root, &img, base, sizeof(base), &err) < 0)
            cli_die("commit: %s", err.msg);
    } else {
        snprintf(base_dir, sizeof(base_dir), "%s/containers/%s/commit-base", root, container);
        bt_rootfs_remove_tree(base_dir, NULL);
        if (bt_image_flatten(&img, base_dir, &err) < 0)
            cli_die("commit: %s", err.msg);
        snprintf(base, sizeof(base), "%s", base_dir);
    }
    if (bt_archive_diff_tree(base, rootfs, diff_dir, &err) < 0)
        cli_die("commit %s: %s", container, err.msg);
    bt_image_free(&img);
}

int cli_cmd_commit(const struct cli_globals *globals, int argc, char **argv)
{
    if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        puts("Usage: bottle commit CONTAINER IMAGE   (a container made from an image)");
        return 0;
    }
    if (argc != 3)
        cli_die("commit CONTAINER IMAGE: two arguments needed");
    const char *container = argv[1], *image = argv[2];
    if (!bt_name_valid(container))
        cli_die("invalid container name '%s'", container);
    struct bt_err err = {0};
    char base[BT_IMAGE_NAME_MAX + 1], layer[PATH_MAX + 300];
    enum bt_image_driver driver;
    if (bt_image_container_origin(globals->root, container, base, &driver, &err) < 0)
        cli_die("commit: %s", err.msg);
    const char *part = driver == BT_IMAGE_DRIVER_OVERLAY ? "upper" : "rootfs";
    snprintf(layer, sizeof(layer), "%s/containers/%s/%s", globals->root, container, part);
    if (access(layer, F_OK) < 0)
        cli_die("commit: container %s has no storage left (%s)", container, strerror(errno));
    if (driver != BT_IMAGE_DRIVER_OVERLAY) {
        diff_container(globals->root, container, base, driver);
        snprintf(layer, sizeof(layer), "%s", diff_dir);
    }
    if (bt_image_commit(globals->root, base, layer, image, &err) < 0)
        cli_die("commit %s: %s", container, err.msg);
    printf("%s\n", image);
    return 0;
}
