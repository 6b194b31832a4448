/* bottle: the one command. main() reads the global options and hands over to a verb. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static const char usage[] = "Usage: bottle [--root DIR] [--state DIR] COMMAND [ARGS...]\n"
                            "\n"
                            "Commands:\n"
                            "  run      run a container in the foreground (no daemon needed)\n"
                            "  spec     print a default OCI config.json\n"
                            "  exec     run a command in a running container\n"
                            "  kill     send a signal to a container\n"
                            "  logs     print a container's log\n"
                            "  ps       list containers\n"
                            "  inspect  print a container's state as JSON\n"
                            "  rm       remove a container\n"
                            "  start, stop, restart NAME   a service of bottled\n"
                            "  pause, resume NAME          freeze and thaw a service\n"
                            "  stats    cpu, memory and pids of bottled's services\n"
                            "  update   change a service's limits live\n"
                            "  wait     wait until a service is running, ready or stopped\n"
                            "  events   stream bottled's events\n"
                            "  image    import, ls, rm, gc, export images\n"
                            "  commit   a container's changes as a new image\n"
                            "\n"
                            "Run 'bottle COMMAND -h' for a command's options.\n";

void cli_die(const char *fmt, ...)
{
    char message[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    fprintf(stderr, "bottle: %s\n", message);
    exit(125);
}

const char *cli_program_path(const struct cli_globals *globals, const char *name, char *buf,
                             size_t len)
{
    snprintf(buf, len, "%s/%s", globals->self, name);
    if (access(buf, X_OK) != 0)
        snprintf(buf, len, "%s", name); /* from PATH */
    return buf;
}

static const char *self_dir(void)
{
    static char path[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
    if (n <= 0)
        return ".";
    path[n] = '\0';
    char *slash = strrchr(path, '/');
    if (slash)
        *slash = '\0';
    return path;
}

static const struct {
    const char *name;
    int (*fn)(const struct cli_globals *globals, int argc, char **argv);
} verbs[] = {
    {"run", cli_cmd_run},         {"spec", cli_cmd_spec},       {"exec", cli_cmd_exec},
    {"kill", cli_cmd_kill},       {"logs", cli_cmd_logs},       {"ps", cli_cmd_ps},
    {"inspect", cli_cmd_inspect}, {"rm", cli_cmd_rm},           {"start", cli_cmd_start},
    {"stop", cli_cmd_stop},       {"restart", cli_cmd_restart}, {"events", cli_cmd_events},
    {"pause", cli_cmd_pause},     {"resume", cli_cmd_resume},   {"stats", cli_cmd_stats},
    {"update", cli_cmd_update},   {"wait", cli_cmd_wait},       {"apply", cli_cmd_apply},
    {"image", cli_cmd_image},     {"commit", cli_cmd_commit},
};

int main(int argc, char **argv)
{
    bt_log_init("bottle", BT_LOG_WARN);
    struct cli_globals globals = {
        .root = getenv("BOTTLE_ROOT") ? getenv("BOTTLE_ROOT") : "/var/lib/bottle",
        .state = getenv("BOTTLE_STATE") ? getenv("BOTTLE_STATE") : "/run/bottle",
        .self = self_dir(),
    };
    static const struct option longopts[] = {
        {"root", required_argument, NULL, 'r'},
        {"state", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int opt;
    while ((opt = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'r': globals.root = optarg; break;
        case 's': globals.state = optarg; break;
        case 'h': fputs(usage, stdout); return 0;
        default: fputs(usage, stderr); return 125;
        }
    }
    if (optind >= argc) {
        fputs(usage, stderr);
        return 125;
    }
    const char *verb = argv[optind];
    for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
        if (strcmp(verb, verbs[i].name) == 0) {
            optind++;
            int sub_argc = argc - optind + 1;
            char **sub_argv = argv + optind - 1;
            optind = 1;
            return verbs[i].fn(&globals, sub_argc, sub_argv);
        }
    }
    cli_die("unknown command '%s' (see 'bottle --help')", verb);
}
