/* bottle-init's command line: one parser per mode (tini, dumb-init, native), chosen by the
 * name it runs under. Options stop at the program name in every mode. */
#include "init.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "proc.h"

#define TINI_COMPAT_VERSION "0.19.0"
#define DUMB_COMPAT_VERSION "1.2.5"

static const char license_text[] =
    "bottle-init is part of bottle.\n"
    "\n"
    "Copyright (c) 2026 the bottle developers\n"
    "\n"
    "Permission is hereby granted, free of charge, to any person obtaining a copy of this\n"
    "software and associated documentation files (the \"Software\"), to deal in the Software\n"
    "without restriction, including without limitation the rights to use, copy, modify, merge,\n"
    "publish, distribute, sublicense, and/or sell copies of the Software, and to permit persons\n"
    "to whom the Software is furnished to do so, subject to the following conditions:\n"
    "\n"
    "The above copyright notice and this permission notice shall be included in all copies or\n"
    "substantial portions of the Software.\n"
    "\n"
    "THE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED,\n"
    "INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR\n"
    "PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE\n"
    "FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR\n"
    "OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER\n"
    "DEALINGS IN THE SOFTWARE.\n";

static const char tini_usage[] =
    "tini (tini version " TINI_COMPAT_VERSION " - git.bottle-init-" BT_VERSION ")\n"
    "Usage: tini [OPTIONS] PROGRAM -- [ARGS] | --version\n"
    "\n"
    "Execute a program under the supervision of a valid init process (tini)\n"
    "\n"
    "Command line options:\n"
    "\n"
    "  --version: Show version and exit.\n"
    "  -h: Show this help message and exit.\n"
    "  -s: Register as a process subreaper (requires Linux >= 3.4).\n"
    "  -p SIGNAL: Trigger SIGNAL when parent dies, e.g. \"-p SIGKILL\".\n"
    "  -v: Generate more verbose output. Repeat up to 3 times.\n"
    "  -w: Print a warning when processes are getting reaped.\n"
    "  -g: Send signals to the child's process group.\n"
    "  -e EXIT_CODE: Remap EXIT_CODE (from 0 to 255) to 0.\n"
    "  -l: Show license and exit.\n"
    "\n"
    "Environment variables:\n"
    "\n"
    "  TINI_SUBREAPER: Register as a process subreaper (requires Linux >= 3.4).\n"
    "  TINI_VERBOSITY: Set the verbosity level (default: 1).\n"
    "  TINI_KILL_PROCESS_GROUP: Send signals to the child's process group.\n"
    "\n";

static const char dumb_help[] =
    "dumb-init v" DUMB_COMPAT_VERSION " (bottle-init " BT_VERSION ")\n"
    "Usage: dumb-init [option] command [[arg] ...]\n"
    "\n"
    "dumb-init is a simple process supervisor that forwards signals to children.\n"
    "It is designed to run as PID1 in minimal container environments.\n"
    "\n"
    "Optional arguments:\n"
    "   -c, --single-child   Run in single-child mode.\n"
    "                        In this mode, signals are only proxied to the\n"
    "                        direct child and not any of its descendants.\n"
    "   -r, --rewrite s:r    Rewrite received signal s to new signal r before proxying.\n"
    "                        To ignore (not proxy) a signal, rewrite it to 0.\n"
    "                        This option can be specified multiple times.\n"
    "   -v, --verbose        Print debugging information to stderr.\n"
    "   -h, --help           Print this help message and exit.\n"
    "   -V, --version        Print the current version and exit.\n";

static const char native_help[] =
    "Usage: bottle-init [OPTIONS] [--] PROGRAM [ARGS...]\n"
    "       bottle-init --pause\n"
    "\n"
    "Runs PROGRAM as the child of a PID 1 that reaps every zombie, forwards every signal and\n"
    "exits with PROGRAM's status (128+N when it died of signal N). Also answers to the names\n"
    "tini and dumb-init, with their options.\n"
    "\n"
    "  -s, --subreaper           register as a child subreaper (automatic when not PID 1)\n"
    "  -p, --pdeath-signal SIG   receive (and forward) SIG when our parent dies\n"
    "  -v, --verbose             more output on stderr; repeat for more\n"
    "  -w, --warn-on-reap        report every orphan reaped\n"
    "  -g, --pgroup              signal the child's process group, not just the child\n"
    "  -e, --remap-exit N        exit status N becomes 0 (repeatable)\n"
    "      --setsid              run the child in a new session; signal its process group\n"
    "  -c, --single-child        with --setsid: signal the child only\n"
    "  -r, --rewrite S:R         forward signal S as R; R=0 drops S (repeatable)\n"
    "  -G, --grace SECS          on SIGTERM/SIGINT/SIGQUIT or when PROGRAM exits, signal every\n"
    "                            descendant, wait up to SECS, then SIGKILL what is left\n"
    "  -P, --pause               no program: reap, and exit 0 on SIGTERM or SIGINT\n"
    "  -l, --license             print the license and exit\n"
    "  -h, --help                print this help and exit\n"
    "  -V, --version             print the version and exit\n"
    "      --sigmask HEX         the signal mask PROGRAM starts with (default: ours at start)\n"
    "\n"
    "Environment: TINI_SUBREAPER, TINI_VERBOSITY, TINI_KILL_PROCESS_GROUP, DUMB_INIT_SETSID,\n"
    "DUMB_INIT_DEBUG.\n";

static void put(int fd, const char *text)
{
    size_t len = strlen(text);
    while (len > 0) {
        ssize_t n = write(fd, text, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        text += n;
        len -= (size_t)n;
    }
}

static void done(int fd, const char *text, int status)
{
    put(fd, text);
    exit(status);
}

static enum init_mode mode_of(const char *argv0)
{
    const char *name = strrchr(argv0, '/');
    name = name ? name + 1 : argv0;
    if (strcmp(name, "tini") == 0 || strcmp(name, "tini-static") == 0 ||
        strcmp(name, "docker-init") == 0)
        return INIT_TINI;
    if (strcmp(name, "dumb-init") == 0)
        return INIT_DUMB;
    return INIT_NATIVE;
}

static int usage_status(const struct init_config *config)
{
    return config->mode == INIT_NATIVE ? 125 : 1;
}

static void die_usage(const struct init_config *config, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));
static void die_usage(const struct init_config *config, const char *fmt, ...)
{
    char message[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    bt_log(BT_LOG_FATAL, "%s", message);
    if (config->mode == INIT_TINI)
        put(STDERR_FILENO, tini_usage);
    else if (config->mode == INIT_NATIVE)
        put(STDERR_FILENO, "Try 'bottle-init --help' for more information.\n");
    exit(usage_status(config));
}

static void parse_exit_code(struct init_config *config, const char *text)
{
    char *end;
    errno = 0;
    long code = strtol(text, &end, 10);
    if (errno || end == text || *end || code < 0 || code > 255)
        die_usage(config, "Not a valid option for -e: %s", text);
    config->remap[code / 8] |= (uint8_t)(1u << (code % 8));
}

static void parse_rewrite(struct init_config *config, const char *text, bool *rewritten)
{
    char from[32];
    const char *colon = strchr(text, ':');
    if (!colon || (size_t)(colon - text) >= sizeof(from))
        die_usage(config, "Incorrect rewrite format '%s' (expected S:R)", text);
    memcpy(from, text, (size_t)(colon - text));
    from[colon - text] = '\0';
    int max = config->mode == INIT_DUMB ? 31 : BT_SIG_MAX;
    int s = bt_sig_parse(from);
    int r = strcmp(colon + 1, "0") == 0 ? 0 : bt_sig_parse(colon + 1);
    if (s < 1 || s > max || r < 0 || r > max)
        die_usage(config, "Incorrect rewrite format '%s' (signals out of range)", text);
    config->rewrite[s] = r;
    rewritten[s] = true;
}

static int parse_signal(const struct init_config *config, const char *text)
{
    int sig = bt_sig_parse(text);
    if (sig < 0)
        die_usage(config, "Not a valid option for -p: %s", text);
    return sig;
}

/* SECS[.FRACTION], parsed by hand: strtod would pull a float parser into PID 1. */
static void parse_grace(struct init_config *config, const char *text)
{
    long ms = 0, scale = 1000;
    const char *p = text;
    for (; *p >= '0' && *p <= '9' && ms <= 86400000L; p++)
        ms = ms * 10 + (*p - '0') * 1000;
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++)
            ms += (*p - '0') * (scale /= 10);
    if (p == text || *p || ms > 86400000L)
        die_usage(config, "invalid grace period '%s' (seconds, 0 to 86400)", text);
    config->grace_ms = (int)ms;
}

static bool env_set(const char *name)
{
    return getenv(name) != NULL;
}

static bool env_is(const char *name, const char *value)
{
    const char *v = getenv(name);
    return v && strcmp(v, value) == 0;
}

static void parse_tini(struct init_config *config, int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--version") == 0)
        done(STDOUT_FILENO,
             "tini version " TINI_COMPAT_VERSION " - git.bottle-init-" BT_VERSION "\n", 0);
    int opt;
    while ((opt = getopt(argc, argv, "+p:hvwgle:s")) != -1) {
        switch (opt) {
        case 'h': done(STDOUT_FILENO, tini_usage, 0); break;
        case 's': config->subreaper = true; break;
        case 'p': config->pdeath_signal = parse_signal(config, optarg); break;
        case 'v': config->verbosity++; break;
        case 'w': config->warn_on_reap = true; break;
        case 'g': config->signal_group = true; break;
        case 'e': parse_exit_code(config, optarg); break;
        case 'l': done(STDOUT_FILENO, license_text, 0); break;
        default: done(STDERR_FILENO, tini_usage, 1);
        }
    }
    if (env_set("TINI_SUBREAPER"))
        config->subreaper = true;
    if (env_set("TINI_KILL_PROCESS_GROUP"))
        config->signal_group = true;
    if (env_set("TINI_VERBOSITY"))
        config->verbosity = atoi(getenv("TINI_VERBOSITY"));
    if (optind >= argc)
        done(STDERR_FILENO, tini_usage, 1);
}

static const struct option dumb_long[] = {
    {"help", no_argument, NULL, 'h'},          {"verbose", no_argument, NULL, 'v'},
    {"version", no_argument, NULL, 'V'},       {"single-child", no_argument, NULL, 'c'},
    {"rewrite", required_argument, NULL, 'r'}, {NULL, 0, NULL, 0},
};

static void parse_dumb(struct init_config *config, int argc, char **argv)
{
    bool rewritten[BT_SIG_MAX + 1] = {false};
    config->verbosity = BT_LOG_ERROR;
    config->setsid = true;
    int opt;
    while ((opt = getopt_long(argc, argv, "+hvVcr:", dumb_long, NULL)) != -1) {
        switch (opt) {
        case 'h': done(STDERR_FILENO, dumb_help, 0); break;
        case 'v': config->verbosity = BT_LOG_DEBUG; break;
        case 'V':
            done(STDERR_FILENO, "dumb-init v" DUMB_COMPAT_VERSION " (bottle-init " BT_VERSION ")\n",
                 0);
            break;
        case 'c': config->setsid = false; break;
        case 'r': parse_rewrite(config, optarg, rewritten); break;
        default: done(STDERR_FILENO, "Try 'dumb-init --help' for full usage.\n", 1);
        }
    }
    if (env_is("DUMB_INIT_DEBUG", "1"))
        config->verbosity = BT_LOG_DEBUG;
    if (env_is("DUMB_INIT_SETSID", "0"))
        config->setsid = false;
    if (optind >= argc)
        done(STDERR_FILENO,
             "Usage: dumb-init [option] program [args]\nTry dumb-init --help for full usage.\n", 1);
    config->signal_group = config->setsid;
    config->self_stop = true;
    config->term_on_exit = true;
    if (config->setsid) {
        static const int job_control[] = {SIGTSTP, SIGTTOU, SIGTTIN};
        for (size_t i = 0; i < 3; i++)
            if (!rewritten[job_control[i]])
                config->rewrite[job_control[i]] = SIGSTOP;
    }
}

static const struct option native_long[] = {
    {"subreaper", no_argument, NULL, 's'},     {"pdeath-signal", required_argument, NULL, 'p'},
    {"verbose", no_argument, NULL, 'v'},       {"warn-on-reap", no_argument, NULL, 'w'},
    {"pgroup", no_argument, NULL, 'g'},        {"remap-exit", required_argument, NULL, 'e'},
    {"setsid", no_argument, NULL, 'S'},        {"single-child", no_argument, NULL, 'c'},
    {"rewrite", required_argument, NULL, 'r'}, {"grace", required_argument, NULL, 'G'},
    {"pause", no_argument, NULL, 'P'},         {"license", no_argument, NULL, 'l'},
    {"help", no_argument, NULL, 'h'},          {"version", no_argument, NULL, 'V'},
    {"sigmask", required_argument, NULL, 'M'}, {NULL, 0, NULL, 0},
};

/* --sigmask HEX: bottle-shim execs us with every signal blocked, so that not even the first
 * instructions of a PID 1 can lose a signal, and tells us the mask the service should get. */
static void parse_sigmask(struct init_config *config, const char *text)
{
    char *end;
    errno = 0;
    unsigned long long mask = strtoull(text, &end, 16);
    if (errno || end == text || *end)
        die_usage(config, "invalid --sigmask '%s' (hexadecimal)", text);
    config->has_child_mask = true;
    config->child_mask = (bt_sigmask_t)mask;
}

static void parse_native(struct init_config *config, int argc, char **argv)
{
    bool rewritten[BT_SIG_MAX + 1] = {false};
    bool single_child = false;
    int opt;
    if (env_set("TINI_SUBREAPER"))
        config->subreaper = true;
    if (env_set("TINI_KILL_PROCESS_GROUP"))
        config->signal_group = true;
    if (env_is("DUMB_INIT_SETSID", "1"))
        config->setsid = true;
    if (env_is("DUMB_INIT_DEBUG", "1"))
        config->verbosity = BT_LOG_DEBUG;
    while ((opt = getopt_long(argc, argv, "+sp:vwge:cr:G:PlhV", native_long, NULL)) != -1) {
        switch (opt) {
        case 's': config->subreaper = true; break;
        case 'p': config->pdeath_signal = parse_signal(config, optarg); break;
        case 'v': config->verbosity++; break;
        case 'w': config->warn_on_reap = true; break;
        case 'g': config->signal_group = true; break;
        case 'e': parse_exit_code(config, optarg); break;
        case 'S': config->setsid = true; break;
        case 'c': single_child = true; break;
        case 'r': parse_rewrite(config, optarg, rewritten); break;
        case 'G': parse_grace(config, optarg); break;
        case 'P': config->pause = true; break;
        case 'l': done(STDOUT_FILENO, license_text, 0); break;
        case 'h': done(STDOUT_FILENO, native_help, 0); break;
        case 'V': done(STDOUT_FILENO, "bottle-init " BT_VERSION "\n", 0); break;
        case 'M': parse_sigmask(config, optarg); break;
        default: done(STDERR_FILENO, "Try 'bottle-init --help' for more information.\n", 125);
        }
    }
    if (env_set("TINI_VERBOSITY"))
        config->verbosity = atoi(getenv("TINI_VERBOSITY"));
    if (config->setsid && !single_child)
        config->signal_group = true;
    if (single_child)
        config->signal_group = false;
    if (config->pause && optind < argc)
        die_usage(config, "--pause takes no program (got '%s')", argv[optind]);
    if (!config->pause && optind >= argc)
        die_usage(config, "%s", "missing program to run");
}

void init_parse_options(struct init_config *config, int argc, char **argv)
{
    memset(config, 0, sizeof(*config));
    config->mode = mode_of(argc > 0 ? argv[0] : "bottle-init");
    config->verbosity = BT_LOG_WARN;
    config->grace_ms = -1;
    for (int s = 1; s <= BT_SIG_MAX; s++)
        config->rewrite[s] = s;
    init_log_setup(config);
    if (argc < 1)
        die_usage(config, "%s", "missing program to run");
    /* getopt prints its own complaints under this name. */
    switch (config->mode) {
    case INIT_TINI: parse_tini(config, argc, argv); break;
    case INIT_DUMB: parse_dumb(config, argc, argv); break;
    case INIT_NATIVE: parse_native(config, argc, argv); break;
    }
    config->argv = config->pause ? NULL : argv + optind;
    bt_log_set_level(config->verbosity);
}
