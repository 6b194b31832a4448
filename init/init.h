/* bottle-init's shared state: the configuration its options produce and the three steps of
 * its life (parse options, spawn the child, run the loop). Runs as PID 1: nothing here may
 * exit before the main child has been reaped. */
#ifndef BT_INIT_H
#define BT_INIT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "sig.h"

enum init_mode {
    INIT_NATIVE, /* bottle-init */
    INIT_TINI,   /* tini, tini-static, docker-init */
    INIT_DUMB,   /* dumb-init */
};

struct init_config {
    enum init_mode mode;
    char **argv;         /* the program and its arguments; NULL in pause mode */
    int verbosity;       /* 0 fatal only .. 4 trace */
    bool subreaper;      /* -s: also when PID 1 would not need it */
    int pdeath_signal;   /* -p: 0 for none */
    bool warn_on_reap;   /* -w */
    bool signal_group;   /* forward to -pgid instead of the child */
    bool setsid;         /* child in a new session (dumb-init) */
    bool self_stop;      /* stop ourselves after forwarding TSTP/TTIN/TTOU (dumb-init) */
    bool term_on_exit;   /* SIGTERM the child's group when the child exits (dumb-init) */
    bool pause;          /* -P: no child */
    int grace_ms;        /* -G: grace period in ms, or -1 when grace mode is off */
    bool has_child_mask; /* --sigmask: the mask the child starts with, not ours */
    bt_sigmask_t child_mask;
    uint8_t remap[256 / 8];      /* -e: exit codes that become 0 */
    int rewrite[BT_SIG_MAX + 1]; /* forwarded signal for each received one; 0 drops it */
};

/* The main child as init_spawn left it. */
struct init_child {
    pid_t pid;             /* 0 in pause mode */
    bool tty;              /* stdin is a terminal and the child has its foreground */
    bool ignore_hup_once;  /* dumb-init: the kernel's HUP/CONT after TIOCNOTTY are not for */
    bool ignore_cont_once; /*   the child (dumb-init#136) */
};

/* Fills CONFIG from argv/environ for the mode argv[0] selects. Exits itself for -h, -V, -l
 * and usage errors (with the anchor's exit code: 1 for tini and dumb-init, 125 native). */
void init_parse_options(struct init_config *config, int argc, char **argv);

/* Starts the child with the original signal mask ORIG_MASK, in its own process group (and
 * session with setsid), with the terminal's foreground when stdin is a tty. Returns once the
 * child has exec'd, so that its process group exists before anything is forwarded; on exec
 * failure prints the reason and exits 127 (not found) or 126. */
void init_spawn(const struct init_config *config, bt_sigmask_t orig_mask, struct init_child *child);

/* Forwards signals and reaps until the main child is gone (or, in pause mode, until SIGTERM
 * or SIGINT). Returns the exit status bottle-init must exit with. */
int init_loop(const struct init_config *config, struct init_child *child, int signal_fd);

/* Logging in the mode's own style ("[WARN  tini (1)] ", "[dumb-init] ", "bottle-init: "). */
void init_log_setup(const struct init_config *config);

#endif
