/* bottle image import|ls|rm|gc|export: thin verbs over lib/image. Bad input exits 125 with one
 * line; a failed import leaves nothing behind (lib/image-import). */
#include "cli.h"
#include "image.h"
#include "rootfs.h"

#include <errno.h>
#include <limits.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
    "Usage: bottle image COMMAND\n"
    "\n"
    "  import [--storage overlay|btrfs|copy|auto] [--keep-setuid] [--max-size BYTES] FILE [NAME]\n"
    "                 a docker export tar, a docker save archive or an OCI layout (dir or tar)\n"
    "  import --dir DIR NAME   a rootfs directory\n"
    "  ls [--json]    images, with their sizes\n"
    "  rm NAME        remove an image (refused while a container uses it)\n"
    "  gc             delete layers that no image uses\n"
    "  export NAME FILE   write an OCI layout tar (with docker's manifest.json)\n";

static void human(uint64_t bytes, char *out, size_t len)
{
    const char *units = "BKMGT";
    double value = (double)bytes;
    int i = 0;
    while (value >= 1024 && i < 4) {
        value /= 1024;
        i++;
    }
    snprintf(out, len, i ? "%.1f%c" : "%.0f%c", value, units[i]);
}

static int cmd_import(const struct cli_globals *globals, int argc, char **argv)
{
    struct bt_image_import_options o = {.progress = isatty(STDERR_FILENO)};
    const char *dir = NULL;
    enum { O_DIR = 256, O_STORAGE, O_KEEP_SETUID, O_MAX };
    static const struct option longopts[] = {
        {"dir", required_argument, NULL, O_DIR},
        {"storage", required_argument, NULL, O_STORAGE},
        {"keep-setuid", no_argument, NULL, O_KEEP_SETUID},
        {"max-size", required_argument, NULL, O_MAX},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct bt_err err = {0};
    int opt;
    char *end;
    while ((opt = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
        switch (opt) {
        case O_DIR: dir = optarg; break;
        case O_STORAGE:
            if (bt_image_driver_parse(optarg, &o.driver, &err) < 0)
                cli_die("--storage: %s", err.msg);
            break;
        case O_KEEP_SETUID: o.keep_setuid = true; break;
        case O_MAX:
            o.max_bytes = strtoull(optarg, &end, 10);
            if (*end || !o.max_bytes)
                cli_die("invalid --max-size '%s'", optarg);
            break;
        case 'h': fputs(usage, stdout); return 0;
        default: fputs(usage, stderr); return 125;
        }
    }
    struct bt_image_import_result result;
    int ret;
    if (dir) {
        if (argc - optind != 1)
            cli_die("image import --dir DIR NAME: one NAME needed");
        o.name = argv[optind];
        ret = bt_image_import_dir(globals->root, dir, &o, &result, &err);
    } else {
        if (argc - optind < 1 || argc - optind > 2)
            cli_die("image import FILE [NAME]: one FILE needed");
        o.name = argc - optind == 2 ? argv[optind + 1] : NULL;
        ret = bt_image_import(globals->root, argv[optind], &o, &result, &err);
    }
    if (ret < 0)
        cli_die("image import %s: %s", dir ? dir : argv[optind], err.msg);
    if (result.devices_skipped)
        fprintf(stderr, "bottle: %llu device nodes left out (a container gets its own /dev)\n",
                (unsigned long long)result.devices_skipped);
    if (result.setuid_cleared)
        fprintf(stderr,
                "bottle: setuid/setgid bits cleared on %llu files (--keep-setuid keeps "
                "them)\n",
                (unsigned long long)result.setuid_cleared);
    if (result.absolute_names)
        fprintf(stderr, "bottle: %llu absolute names made relative\n",
                (unsigned long long)result.absolute_names);
    printf("%s (%s, %zu layers, %zu new)\n", result.name, result.format, result.layers,
           result.layers_new);
    return 0;
}

static int print_row(const struct bt_image *img, void *ctx)
{
    json_object *list = ctx;
    if (list) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "name", json_object_new_string(img->name));
        json_object_object_add(o, "id", json_object_new_string(img->id));
        json_object_object_add(o, "layers", json_object_new_int((int)img->n_layers));
        json_object_object_add(o, "size", json_object_new_int64((int64_t)img->size));
        json_object_object_add(o, "created", json_object_new_int64(img->created));
        json_object_array_add(list, o);
        return 0;
    }
    char size[32], created[32];
    human(img->size, size, sizeof(size));
    time_t t = (time_t)img->created;
    strftime(created, sizeof(created), "%Y-%m-%d %H:%M", localtime(&t));
    printf("%-30s %-14.14s %6zu %10s  %s\n", img->name, img->id + 7, img->n_layers, size, created);
    return 0;
}

static int cmd_ls(const struct cli_globals *globals, int argc, char **argv)
{
    bool json = argc > 1 && strcmp(argv[1], "--json") == 0;
    if (argc > 1 + json)
        cli_die("image ls [--json]: no arguments");
    struct bt_err err = {0};
    json_object *list = json ? json_object_new_array() : NULL;
    if (!json)
        printf("%-30s %-14s %6s %10s  %s\n", "NAME", "ID", "LAYERS", "SIZE", "CREATED");
    if (bt_image_list(globals->root, print_row, list, &err) < 0)
        cli_die("image ls: %s", err.msg);
    if (json) {
        printf("%s\n", json_object_to_json_string_ext(list, JSON_C_TO_STRING_PLAIN));
        json_object_put(list);
    }
    return 0;
}

int cli_cmd_image(const struct cli_globals *globals, int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 125 : 0;
    }
    const char *verb = argv[1];
    argc--;
    argv++;
    optind = 1;
    struct bt_err err = {0};
    if (strcmp(verb, "import") == 0)
        return cmd_import(globals, argc, argv);
    if (strcmp(verb, "ls") == 0 || strcmp(verb, "list") == 0)
        return cmd_ls(globals, argc, argv);
    if (strcmp(verb, "rm") == 0) {
        if (argc < 2)
            cli_die("image rm NAME...: no NAME");
        for (int i = 1; i < argc; i++) {
            if (bt_image_remove(globals->root, argv[i], &err) < 0)
                cli_die("image rm: %s", err.msg);
            printf("%s\n", argv[i]);
        }
        return 0;
    }
    if (strcmp(verb, "gc") == 0 || strcmp(verb, "prune") == 0) {
        uint64_t freed = 0;
        char size[32];
        if (bt_image_gc(globals->root, &freed, &err) < 0)
            cli_die("image gc: %s", err.msg);
        human(freed, size, sizeof(size));
        printf("freed %s\n", size);
        return 0;
    }
    if (strcmp(verb, "export") == 0) {
        if (argc != 3)
            cli_die("image export NAME FILE");
        if (bt_image_export(globals->root, argv[1], argv[2], &err) < 0)
            cli_die("image export %s: %s", argv[1], err.msg);
        return 0;
    }
    cli_die("unknown image command '%s' (import, ls, rm, gc, export)", verb);
}

/* ---- bottle run IMAGE ---- */

/* ROOT/containers/NAME while `bottle run IMAGE` has not handed it to bottle-shim: removed if
 * bottle exits before (a bad option, a failed exec), so that no half-made container keeps
 * its image from `image rm`. */
static char prepared_dir[PATH_MAX + 300];

static void remove_prepared(void)
{
    if (prepared_dir[0])
        bt_rootfs_remove_tree(prepared_dir, NULL);
}

void cli_run_image_keep(void)
{
    prepared_dir[0] = '\0';
}

void cli_run_image_prepare(const struct cli_globals *globals, struct cli_run_options *o,
                           struct cli_image_run *run)
{
    struct bt_bundle_options *c = &o->container;
    struct bt_err err = {0};
    if (!realpath(globals->root, run->root)) {
        if (errno == ENOENT)
            cli_die("run: no such image: %s", o->image);
        cli_die("--root %s: %s", globals->root, strerror(errno));
    }
    if (bt_image_resolve(run->root, o->image, &run->image, &err) < 0)
        cli_die("run: %s", err.msg);
    const struct bt_image *img = &run->image;
    if (img->n_layers == 0)
        cli_die("run: image %s has no layers", o->image);
    run->driver = BT_IMAGE_DRIVER_AUTO;
    if (o->storage && strcmp(o->storage, "dir") == 0)
        cli_die("run: --storage dir takes --rootfs; an image runs with overlay, btrfs or copy");
    if (o->storage && bt_image_driver_parse(o->storage, &run->driver, &err) < 0)
        cli_die("--storage: %s", err.msg);
    if (run->driver == BT_IMAGE_DRIVER_AUTO)
        run->driver = bt_image_driver_choose(run->root);
    if (run->driver == BT_IMAGE_DRIVER_OVERLAY && img->n_layers > BT_IMAGE_LAYERS_MAX)
        cli_die("run: image %s has %zu layers; the overlay driver takes %d", o->image,
                img->n_layers, BT_IMAGE_LAYERS_MAX);
    snprintf(run->rootfs, sizeof(run->rootfs), "%s/containers/%s/rootfs", run->root, c->name);
    snprintf(prepared_dir, sizeof(prepared_dir), "%s/containers/%s", run->root, c->name);
    atexit(remove_prepared);
    if (bt_image_note_container(run->root, c->name, img, run->driver, &err) < 0)
        cli_die("run: %s", err.msg);
    switch (run->driver) {
    case BT_IMAGE_DRIVER_BTRFS:
        if (bt_image_btrfs_subvolume(run->root, img, run->source, sizeof(run->source), &err) < 0)
            cli_die("run: %s", err.msg);
        c->rootfs = run->source;
        break;
    case BT_IMAGE_DRIVER_COPY: {
        char marker[PATH_MAX + 300];
        if (bt_rootfs_remove_tree(run->rootfs, &err) < 0 ||
            bt_image_flatten(img, run->rootfs, &err) < 0) {
            bt_rootfs_remove_tree(run->rootfs, NULL);
            cli_die("run: %s", err.msg);
        }
        snprintf(marker, sizeof(marker), "%s/containers/%s/image-copy", run->root, c->name);
        FILE *f = fopen(marker, "w");
        if (f)
            fclose(f);
        c->rootfs = run->rootfs;
        break;
    }
    default: c->rootfs = bt_image_passwd_layer(img); break;
    }
    c->root_path = run->rootfs;
    c->image_entrypoint = img->entrypoint;
    c->image_entrypoint_count = img->entrypoint_count;
    c->image_cmd = img->cmd;
    c->image_cmd_count = img->cmd_count;
    c->image_env = img->env;
    c->image_env_count = img->env_count;
    c->image_workdir = img->workdir;
    c->image_user = img->user;
    c->image_stop_signal = img->stop_signal;
}

int cli_run_image_args(const struct cli_image_run *run, const char **args, int n)
{
    switch (run->driver) {
    case BT_IMAGE_DRIVER_OVERLAY:
        args[n++] = "--storage";
        args[n++] = "overlay";
        for (size_t i = 0; i < run->image.n_layers; i++) {
            args[n++] = "--layer";
            args[n++] = run->image.layer_dirs[i];
        }
        break;
    case BT_IMAGE_DRIVER_BTRFS:
        args[n++] = "--storage";
        args[n++] = "btrfs";
        args[n++] = "--image";
        args[n++] = run->source;
        break;
    default: break; /* copy: the rootfs is the container's own directory */
    }
    return n;
}
