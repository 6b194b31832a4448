/* bottle exec: runs a command inside a running container (lib/enter does the joining), with the
 * container's user, capabilities, rlimits, no_new_privs, env and cwd from its config.json, and
 * passes the command's exit status through. The container's init is named by the shim, which
 * holds it as its child: its pid is checked against the shim's word after the pidfd is open,
 * so a recycled pid can never lead bottle into another process. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "cleanup.h"
#include "enter.h"
#include "proc.h"
#include "sig.h"
#include "spec.h"

static const char usage[] =
    "Usage: bottle exec [OPTIONS] NAME [--] COMMAND [ARG...]\n"
    "\n"
    "Runs COMMAND in the running container NAME and exits with its status.\n"
    "\n"
    "  -t, --tty           allocate a terminal (in the container's /dev/pts)\n"
    "  -i, --interactive   keep stdin attached (else it is /dev/null)\n"
    "  -e, --env K[=V]     set an environment variable (repeatable; K alone: from here)\n"
    "  -w, --workdir DIR   working directory (default: the container's process.cwd)\n"
    "  -u, --user U[:G]    user, by number or by name from the container's /etc/passwd\n";

struct exec_options {
    bool tty, interactive;
    const char *env[CLI_LIST_MAX];
    int env_count;
    const char *workdir;
    const char *user;
    const char *name;
    char **command;
};

static void parse(struct exec_options *o, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"tty", no_argument, NULL, 't'},
        {"interactive", no_argument, NULL, 'i'},
        {"env", required_argument, NULL, 'e'},
        {"workdir", required_argument, NULL, 'w'},
        {"user", required_argument, NULL, 'u'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int opt;
    while ((opt = getopt_long(argc, argv, "+tie:w:u:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 't': o->tty = true; break;
        case 'i': o->interactive = true; break;
        case 'e':
            if (o->env_count == CLI_LIST_MAX)
                cli_die("exec: too many -e options (at most %d)", CLI_LIST_MAX);
            if (optarg[0] == '=' || optarg[0] == '\0')
                cli_die("exec: invalid -e '%s': NAME=VALUE expected", optarg);
            o->env[o->env_count++] = optarg;
            break;
        case 'w':
            if (optarg[0] != '/')
                cli_die("exec: -w %s: the working directory must be an absolute path", optarg);
            o->workdir = optarg;
            break;
        case 'u': o->user = optarg; break;
        case 'h': fputs(usage, stdout); exit(0);
        default: fputs(usage, stderr); exit(125);
        }
    }
    if (optind >= argc)
        cli_die("exec: a container name is needed (see 'bottle exec -h')");
    o->name = argv[optind++];
    if (optind < argc && strcmp(argv[optind], "--") == 0)
        optind++;
    if (optind >= argc)
        cli_die("exec: a command is needed (see 'bottle exec -h')");
    o->command = argv + optind;
}

/* ---- environment ---- */

static void env_set(char ***env, size_t *len, char *entry)
{
    size_t key_len = strcspn(entry, "=");
    for (size_t i = 0; i < *len; i++) {
        if (strncmp((*env)[i], entry, key_len) == 0 && (*env)[i][key_len] == '=') {
            (*env)[i] = entry;
            return;
        }
    }
    char **grown = realloc(*env, (*len + 2) * sizeof(char *));
    if (!grown)
        cli_die("exec: out of memory");
    grown[(*len)++] = entry;
    grown[*len] = NULL;
    *env = grown;
}

static bool env_has(char **env, size_t len, const char *key)
{
    size_t key_len = strlen(key);
    for (size_t i = 0; i < len; i++)
        if (strncmp(env[i], key, key_len) == 0 && env[i][key_len] == '=')
            return true;
    return false;
}

/* The config's env, then -e (replacing what has the same name), then TERM for a terminal. The
 * strings are borrowed from the spec, argv and our environ; the caller frees the array. */
static char **build_env(const struct bt_spec_process *proc, const struct exec_options *o)
{
    size_t len = 0;
    char **env = calloc(1, sizeof(char *));
    if (!env)
        cli_die("exec: out of memory");
    for (size_t i = 0; i < proc->env_len; i++)
        env_set(&env, &len, proc->env[i]);
    for (int i = 0; i < o->env_count; i++) {
        if (strchr(o->env[i], '=')) {
            env_set(&env, &len, (char *)o->env[i]);
            continue;
        }
        /* docker's -e NAME: pass ours on, if we have it. */
        size_t name_len = strlen(o->env[i]);
        for (char **entry = environ; *entry; entry++) {
            if (strncmp(*entry, o->env[i], name_len) == 0 && (*entry)[name_len] == '=') {
                env_set(&env, &len, *entry);
                break;
            }
        }
    }
    if (o->tty && !env_has(env, len, "TERM"))
        env_set(&env, &len, "TERM=xterm");
    return env;
}

/* ---- the container ---- */

/* Finds NAME, checks that it runs, opens its init's pidfd and loads its config.json. */
static int open_container(const struct cli_globals *globals, const char *name,
                          struct cli_container *c, struct bt_spec **spec, struct bt_err *err)
{
    struct bt_rpc_client client;
    int ret = cli_container_find(globals, name, c, err);
    if (ret == 0)
        ret = cli_container_connect(c, &client, err);
    if (ret < 0)
        return ret;
    /* The shim names its init; the pidfd is opened after that, while we are connected (so
     * after the init started); if the shim still calls that pid its running init afterwards,
     * the pidfd can only be that process, whatever happens to the pid later. */
    int pidfd = -1;
    ret = cli_shim_state(&client, c, err);
    pid_t pid = c->pid;
    if (ret == 0) {
        pidfd = bt_enter_open(pid, err);
        ret = pidfd < 0 ? pidfd : cli_shim_state(&client, c, err);
    }
    bt_rpc_client_close(&client);
    if (ret == 0 && c->pid != pid)
        ret = bt_err_msg(err, ESRCH, "container %s: its init is not pid %d", name, (int)pid);
    if (ret == -ESRCH && err->code == 0)
        ret = bt_err_msg(err, ESRCH, "container %s is not running", name);
    if (ret < 0) {
        if (pidfd >= 0)
            close(pidfd);
        return ret;
    }
    /* Loaded now, on the host: once inside, the bundle path means something else. */
    if (!c->bundle[0])
        ret = bt_err_msg(err, EPROTO, "container %s: the shim did not name its bundle", name);
    else
        ret = bt_spec_load(c->bundle, spec, err);
    if (ret < 0) {
        close(pidfd);
        return bt_err_wrap(err, "container %s", name);
    }
    return pidfd;
}

static void make_process(struct bt_enter_process *p, const struct bt_spec *spec,
                         const struct exec_options *o)
{
    const struct bt_spec_process *proc = &spec->process;
    memset(p, 0, sizeof(*p));
    p->argv = o->command;
    p->env = build_env(proc, o);
    p->cwd = o->workdir ? o->workdir : proc->cwd;
    p->user.uid = proc->uid;
    p->user.gid = proc->gid;
    if (proc->additional_gids_len > BT_USER_GROUPS_MAX)
        cli_die("exec: %s: more than %d additional groups", spec->config_path, BT_USER_GROUPS_MAX);
    p->user.group_count = proc->additional_gids_len;
    for (size_t i = 0; i < proc->additional_gids_len; i++)
        p->user.groups[i] = proc->additional_gids[i];
    p->has_caps = proc->has_capabilities;
    p->caps = (struct bt_caps){proc->caps.bounding, proc->caps.effective, proc->caps.permitted,
                               proc->caps.inheritable, proc->caps.ambient};
    for (size_t i = 0; i < proc->rlimits_len && i < RLIM_NLIMITS; i++)
        p->rlimits[p->rlimit_count++] =
            (struct bt_rlimit){proc->rlimits[i].resource, (rlim_t)proc->rlimits[i].soft,
                               (rlim_t)proc->rlimits[i].hard};
    p->no_new_privs = proc->no_new_privileges;
    p->has_umask = proc->has_umask;
    p->umask = proc->umask;
    p->has_oom_score_adj = proc->has_oom_score_adj;
    p->oom_score_adj = proc->oom_score_adj;
    p->stdin_fd = -1;
    p->terminal_fd = -1;
}

/* ---- the terminal ---- */

static struct termios saved_termios;
static bool termios_saved;

static void restore_terminal(void)
{
    if (termios_saved)
        tcsetattr(STDIN_FILENO, TCSADRAIN, &saved_termios);
    termios_saved = false;
}

static void raw_terminal(void)
{
    struct termios raw;
    if (tcgetattr(STDIN_FILENO, &saved_termios) < 0)
        return;
    termios_saved = true; /* leave() restores it */
    raw = saved_termios;
    cfmakeraw(&raw);
    tcsetattr(STDIN_FILENO, TCSADRAIN, &raw);
}

/* Once inside, bottle leaves with _exit: our children are born in the container's pid
 * namespace now, and an exit handler that forks (LeakSanitizer's check does) would hang. */
static __attribute__((noreturn)) void leave(int code)
{
    restore_terminal();
    fflush(stdout);
    fflush(stderr);
    _exit(code);
}

/* cli_die for the time inside the container. */
static __attribute__((noreturn, format(printf, 1, 2))) void die_inside(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("bottle: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    leave(125);
}

/* -u, resolved in the container's own /etc/passwd (we are inside: "/" is its root). A user
 * other than the config's gets docker's capabilities for it: the config's bounding set, and
 * the other sets only for root. */
static void apply_user_option(struct bt_enter_process *p, const struct bt_spec *spec,
                              const char *user)
{
    struct bt_err err = {0};
    cleanup_close int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        die_inside("exec: open the container's root: %s", strerror(errno));
    if (bt_procattr_resolve_user(rootfd, user, &p->user, &err) < 0)
        die_inside("exec: -u %s: %s", user, err.msg);
    if (p->has_caps)
        bt_caps_set_docker(&p->caps, spec->process.caps.bounding, p->user.uid);
}

static void copy_window_size(int master)
{
    struct winsize size;
    if (ioctl(STDIN_FILENO, TIOCGWINSZ, &size) == 0 || ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0)
        ioctl(master, TIOCSWINSZ, &size);
}

/* A pty from the container's own devpts (we are inside its mount namespace): the command's
 * terminal is one of its /dev/pts, and no host device reaches it. Returns the master
 * (non-blocking) and the slave in *SLAVE, both close-on-exec. */
static int open_terminal(int *slave)
{
    /* The container may have replaced /dev/ptmx: O_NONBLOCK keeps a fifo from hanging us, and
     * TIOCGPTPEER (Linux 4.13) opens the slave without looking up any path. */
    int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
    if (master < 0)
        die_inside("exec: open the container's /dev/ptmx: %s", strerror(errno));
    if (grantpt(master) < 0 || unlockpt(master) < 0)
        die_inside("exec: the container's /dev/ptmx is not a terminal multiplexer: %s",
                   strerror(errno));
    *slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (*slave < 0)
        die_inside("exec: open the terminal's slave: %s", strerror(errno));
    copy_window_size(master);
    return master;
}

/* ---- waiting ---- */

/* The signals bottle exec passes on to the command; the rest keep their default action. */
static bt_sigmask_t forwarded_signals(void)
{
    bt_sigmask_t mask = BT_SIGMASK_ALL;
    static const int keep[] = {SIGSEGV, SIGBUS,  SIGFPE,  SIGILL,  SIGABRT, SIGTRAP,
                               SIGSYS,  SIGCHLD, SIGTSTP, SIGTTIN, SIGTTOU, SIGCONT,
                               SIGKILL, SIGSTOP, 32,      33};
    for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
        mask &= ~BT_SIGMASK_BIT(keep[i]);
    return mask;
}

struct session {
    pid_t child;
    int child_fd;
    int signal_fd;
    int master;      /* -1 without -t */
    bool read_stdin; /* -t -i: stdin goes to the terminal */
    char input[4096];
    size_t input_len, input_off;
};

static void write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            struct pollfd pfd = {.fd = fd, .events = POLLOUT};
            poll(&pfd, 1, -1);
            continue;
        }
        if (n <= 0)
            return; /* our stdout is gone: the command runs on regardless */
        data += n;
        len -= (size_t)n;
    }
}

static void handle_signals(struct session *s)
{
    struct signalfd_siginfo info;
    while (read(s->signal_fd, &info, sizeof(info)) == sizeof(info)) {
        int sig = (int)info.ssi_signo;
        if (sig == SIGWINCH) {
            if (s->master >= 0)
                copy_window_size(s->master);
            continue;
        }
        if (sig == SIGPIPE)
            continue;
        /* Also what our terminal sends (Ctrl-C): the command has a session of its own. */
        syscall(SYS_pidfd_send_signal, s->child_fd, sig, NULL, 0);
    }
}

/* Moves what the command wrote to the terminal onto our stdout. False once it is closed. */
static bool pump_output(struct session *s)
{
    char buf[16384];
    for (;;) {
        ssize_t n = read(s->master, buf, sizeof(buf));
        if (n > 0) {
            write_all(STDOUT_FILENO, buf, (size_t)n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        return n < 0 && errno == EAGAIN; /* EIO: every slave is closed */
    }
}

static void pump_input(struct session *s)
{
    if (s->input_len == 0) {
        ssize_t n = read(STDIN_FILENO, s->input, sizeof(s->input));
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            return;
        if (n <= 0) {
            /* End of our input: the terminal's end-of-file character, as a user would type. */
            struct termios t;
            s->input[0] = tcgetattr(s->master, &t) == 0 ? (char)t.c_cc[VEOF] : 4;
            n = 1;
            s->read_stdin = false;
        }
        s->input_len = (size_t)n;
        s->input_off = 0;
    }
    ssize_t n = write(s->master, s->input + s->input_off, s->input_len - s->input_off);
    if (n > 0) {
        s->input_off += (size_t)n;
        if (s->input_off == s->input_len)
            s->input_len = s->input_off = 0;
    }
}

static int wait_command(struct session *s)
{
    bool output_open = s->master >= 0;
    for (;;) {
        struct pollfd fds[4] = {
            {.fd = s->child_fd, .events = POLLIN},
            {.fd = s->signal_fd, .events = POLLIN},
            {.fd = output_open ? s->master : -1,
             .events = (short)(POLLIN | (s->input_len ? POLLOUT : 0))},
            {.fd = s->read_stdin && !s->input_len ? STDIN_FILENO : -1, .events = POLLIN},
        };
        if (poll(fds, 4, -1) < 0) {
            if (errno == EINTR)
                continue;
            die_inside("exec: poll: %s", strerror(errno));
        }
        if (fds[1].revents)
            handle_signals(s);
        if (fds[2].revents & (POLLIN | POLLHUP | POLLERR))
            output_open = pump_output(s);
        if ((fds[2].revents & POLLOUT) || (fds[3].revents && s->master >= 0))
            pump_input(s);
        if (fds[0].revents)
            break;
    }
    int status = 0;
    while (waitpid(s->child, &status, 0) < 0 && errno == EINTR)
        ;
    if (output_open)
        pump_output(s); /* what it wrote just before it exited */
    return bt_proc_exit_code(status);
}

int cli_cmd_exec(const struct cli_globals *globals, int argc, char **argv)
{
    struct exec_options o = {0};
    parse(&o, argc, argv);

    struct bt_err err = {0};
    struct cli_container container;
    struct bt_spec *spec = NULL;
    int pidfd = open_container(globals, o.name, &container, &spec, &err);
    if (pidfd < 0)
        cli_die("%s", err.msg);
    /* Stdio passes through as it is (runc does the same), but a directory there would be a
     * way out of the container's root (openat(fd, "..")): refuse it. */
    for (int fd = 0; fd < 3; fd++) {
        struct stat st;
        if (!o.tty && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode) && (fd != 0 || o.interactive))
            cli_die("exec: fd %d is a directory: it cannot be passed into the container", fd);
    }
    struct bt_enter_process process;
    make_process(&process, spec, &o);
    if (!o.tty && !o.interactive) {
        process.stdin_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (process.stdin_fd < 0)
            cli_die("exec: open /dev/null: %s", strerror(errno));
    }

    if (bt_enter_join(container.pid, pidfd, &err) < 0)
        die_inside("exec %s: %s", o.name, err.msg);
    if (o.user)
        apply_user_option(&process, spec, o.user);
    struct session session = {.master = -1, .signal_fd = -1};
    if (o.tty) {
        session.master = open_terminal(&process.terminal_fd);
        session.read_stdin = o.interactive;
        if (o.interactive && isatty(STDIN_FILENO))
            raw_terminal();
    }

    /* Blocked before the fork, so that none is lost; the child unblocks them all. */
    bt_sigmask_t signals = forwarded_signals();
    bt_sig_setmask(signals, NULL);
    session.signal_fd = bt_sig_signalfd(signals, SFD_CLOEXEC | SFD_NONBLOCK);
    if (session.signal_fd < 0)
        die_inside("exec: signalfd: %s", strerror(-session.signal_fd));

    int exit_code;
    if (bt_enter_spawn(&process, &session.child, &exit_code, &err) < 0) {
        fprintf(stderr, "bottle: %s\n", err.msg);
        leave(exit_code);
    }
    if (process.terminal_fd >= 0)
        close(process.terminal_fd);
    session.child_fd = bt_enter_open(session.child, &err);
    if (session.child_fd < 0)
        die_inside("exec: %s", err.msg);
    int code = wait_command(&session);
    free((void *)process.env);
    bt_spec_free(spec);
    leave(code);
}
