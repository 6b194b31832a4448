/* bottle spec: print a default config.json, as `crun spec` does. */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec.h"

int cli_cmd_spec(const struct cli_globals *globals, int argc, char **argv)
{
    (void)globals;
    static const struct option longopts[] = {
        {"rootfs", required_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *rootfs = NULL;
    int opt;
    while ((opt = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'r': rootfs = optarg; break;
        case 'h': puts("Usage: bottle spec [--rootfs DIR]   print a default config.json"); return 0;
        default: return 125;
        }
    }
    if (optind < argc)
        cli_die("spec: unexpected argument '%s'", argv[optind]);
    char *text = bt_spec_default_json();
    if (!text)
        cli_die("spec: out of memory");
    if (rootfs) {
        json_object *obj = json_tokener_parse(text);
        json_object *root;
        if (!obj || !json_object_object_get_ex(obj, "root", &root))
            cli_die("spec: cannot edit the default spec");
        json_object_object_add(root, "path", json_object_new_string(rootfs));
        fputs(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY |
                                                      JSON_C_TO_STRING_NOSLASHESCAPE),
              stdout);
        putchar('\n');
        json_object_put(obj);
    } else {
        fputs(text, stdout);
    }
    free(text);
    return 0;
}
