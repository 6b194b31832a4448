/* Helpers that several C unit tests share, beside tap.h: small files, temporary directories,
 * JSON fixtures written with single quotes, and cases run in forked children that hand their
 * TAP counts back. Header-only, like tap.h; include it instead of tap.h. */
#ifndef BT_TESTUTIL_H
#define BT_TESTUTIL_H

#include "tap.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <json-c/json.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* snprintf into the array BUF, failing the run when it does not fit. */
#define format_or_exit(buf, ...)                                                                   \
    do {                                                                                           \
        if (snprintf(buf, sizeof(buf), __VA_ARGS__) >= (int)sizeof(buf)) {                         \
            diag("path too long at %s:%d", __FILE__, __LINE__);                                    \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

static inline void skip_n(int count, const char *reason)
{
    for (int i = 0; i < count; i++)
        skip(reason);
}

/* ---- files ---- */

/* Reads PATH into BUF (NUL-terminated, "" when it cannot be read) with open, read and close
 * only, so that a forked child may call it after changing its credentials. Returns the number
 * of bytes read, or -errno. */
static inline ssize_t read_file(const char *path, char *buf, size_t len)
{
    size_t got = 0;
    ssize_t n = 0;
    buf[0] = '\0';
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    while (got + 1 < len && (n = read(fd, buf + got, len - 1 - got)) > 0)
        got += (size_t)n;
    int saved = errno;
    close(fd);
    buf[got] = '\0';
    return n < 0 ? -saved : (ssize_t)got;
}

/* Writes LEN bytes of DATA to PATH (created 0644, or truncated). Returns 0 or -errno. */
static inline int write_data(const char *path, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    ssize_t n = write(fd, data, len);
    int saved = errno;
    close(fd);
    return n == (ssize_t)len ? 0 : n < 0 ? -saved : -EIO;
}

/* Writes TEXT to PATH, as write_data. */
static inline int write_file(const char *path, const char *text)
{
    return write_data(path, text, strlen(text));
}

/* DIR/NAME into BUF (PATH_MAX bytes); aborts when it does not fit. Returns BUF. */
static inline char *path_in(char *buf, const char *dir, const char *name)
{
    if (snprintf(buf, PATH_MAX, "%s/%s", dir, name) >= PATH_MAX)
        abort();
    return buf;
}

/* ---- temporary directories ---- */

/* A new directory /tmp/NAME.XXXXXX, its real path into BUF (LEN bytes). Bails out of the run
 * when it cannot be made. Returns BUF. */
static inline char *make_tmpdir(char *buf, size_t len, const char *name)
{
    char pattern[PATH_MAX], real[PATH_MAX];
    snprintf(pattern, sizeof(pattern), "/tmp/%s.XXXXXX", name);
    if (!mkdtemp(pattern) || !realpath(pattern, real) || strlen(real) >= len) {
        printf("Bail out! cannot make a temporary directory %s: %s\n", pattern, strerror(errno));
        exit(1);
    }
    return strcpy(buf, real);
}

static inline int remove_tree_entry(const char *path, const struct stat *st, int type,
                                    struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    return (type == FTW_DP ? rmdir(path) : unlink(path)) < 0 ? -1 : 0;
}

/* rm -rf PATH, staying on one file system and never following a symlink. Returns 0 or -1 with
 * errno set. */
static inline int remove_tree(const char *path)
{
    return nftw(path, remove_tree_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

/* Removes the directory PATH and the files in it (not subdirectories) with getdents64, unlinkat
 * and rmdir only: async-signal-safe, so that an alarm handler may call it. */
static inline void remove_flat_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        char buf[4096] __attribute__((aligned(8)));
        for (int pass = 0; pass < 100; pass++) {
            int removed = 0;
            ssize_t n;
            lseek(fd, 0, SEEK_SET);
            while ((n = getdents64(fd, buf, sizeof(buf))) > 0) {
                for (ssize_t off = 0; off < n;) {
                    struct dirent64 *d = (struct dirent64 *)(buf + off);
                    off += d->d_reclen;
                    if (strcmp(d->d_name, ".") && strcmp(d->d_name, "..") &&
                        unlinkat(fd, d->d_name, 0) == 0)
                        removed++;
                }
            }
            if (!removed)
                break;
        }
        close(fd);
    }
    rmdir(path);
}

/* Called when a case_alarm fires, before the run bails out: removes what the run made. Must be
 * async-signal-safe. */
static void (*case_alarm_cleanup)(void);

static inline void case_alarm_fired(int sig)
{
    if (case_alarm_cleanup)
        case_alarm_cleanup();
    tap_on_alarm(sig);
}

/* tap_alarm(SECONDS) for one case, which calls case_alarm_cleanup on a timeout. */
static inline void case_alarm(unsigned seconds)
{
    tap_alarm(seconds);
    signal(SIGALRM, case_alarm_fired);
}

/* ---- JSON fixtures ---- */

/* JSON with single quotes, which C strings make readable, into real JSON. Caller frees. */
static inline char *quotes(const char *text)
{
    char *out = strdup(text);
    for (char *s = out; s && *s; s++)
        if (*s == '\'')
            *s = '"';
    return out;
}

/* Merges PATCH into TARGET as an RFC 7386 merge patch (objects merge, anything else replaces,
 * null deletes). */
static inline void merge(struct json_object *target, struct json_object *patch)
{
    json_object_object_foreach(patch, key, value)
    {
        struct json_object *old = NULL;
        if (!value) {
            json_object_object_del(target, key);
        } else if (json_object_is_type(value, json_type_object) &&
                   json_object_object_get_ex(target, key, &old) &&
                   json_object_is_type(old, json_type_object)) {
            merge(old, value);
        } else {
            json_object_object_add(target, key, json_object_get(value));
        }
    }
}

/* BASE with PATCH merged in, both single-quoted JSON, as JSON text. Caller frees. */
static inline char *json_patched(const char *base, const char *patch)
{
    char *base_text = quotes(base), *patch_text = quotes(patch);
    struct json_object *target = json_tokener_parse(base_text);
    struct json_object *changes = json_tokener_parse(patch_text);
    if (!target || !changes) {
        diag("bad test JSON: %s", patch);
        exit(1);
    }
    merge(target, changes);
    char *out = strdup(json_object_to_json_string_ext(target, JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(target);
    json_object_put(changes);
    free(base_text);
    free(patch_text);
    return out;
}

/* tests/data/NAME, from $BOTTLE_SRCDIR or else from where this header was compiled. */
static inline const char *fixture_dir(const char *name)
{
    static char dir[PATH_MAX];
    const char *src = getenv("BOTTLE_SRCDIR");
    if (src)
        format_or_exit(dir, "%s/tests/data/%s", src, name);
    else
        format_or_exit(dir, "%.*s/data/%s", (int)(strrchr(__FILE__, '/') - __FILE__), __FILE__,
                       name);
    return dir;
}

/* ---- children that send a report back through a pipe ---- */

/* Reads from FD into BUF until LEN bytes, end of file or an error. Returns the bytes read. */
static inline size_t read_full(int fd, void *buf, size_t len)
{
    size_t got = 0;
    ssize_t n;
    while (got < len && (n = read(fd, (char *)buf + got, len - got)) > 0)
        got += (size_t)n;
    return got;
}

/* Forks a child that fills REPORT (SIZE bytes, zeroed here) and writes it to FDS[1], under a
 * 10-second alarm; the parent keeps FDS[0] for report_wait. Returns the pid, 0 in the child,
 * as fork(2), or -1. */
static inline pid_t report_fork(int fds[2], void *report, size_t size)
{
    if (pipe2(fds, O_CLOEXEC) < 0)
        return -1;
    memset(report, 0, size);
    pid_t pid = fork();
    if (pid == 0) {
        alarm(10);
        close(fds[0]);
        return 0;
    }
    close(fds[1]);
    if (pid < 0)
        close(fds[0]);
    return pid;
}

/* Reads the child PID's report (SIZE bytes) from FD, closes FD and waits for the child. Returns
 * 0 when the whole report came and the child exited 0, else -1. */
static inline int report_wait(pid_t pid, int fd, void *report, size_t size)
{
    if (pid < 0)
        return -1;
    size_t got = read_full(fd, report, size);
    close(fd);
    int status;
    if (waitpid(pid, &status, 0) != pid || got != size)
        return -1;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* ---- cases in forked children, TAP counts handed back in shared memory ---- */

struct tap_counts {
    int count, failed;
};
static struct tap_counts *shared_counts;

/* Maps the shared counts; call it once before the first case_fork. Returns 0 or -errno. */
static inline int case_counts_init(void)
{
    shared_counts = mmap(NULL, sizeof(*shared_counts), PROT_READ | PROT_WRITE,
                         MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    return shared_counts == MAP_FAILED ? -errno : 0;
}

static inline void on_child_alarm(int sig)
{
    (void)sig;
    static const char msg[] = "# case timed out\n";
    (void)!write(STDOUT_FILENO, msg, sizeof(msg) - 1);
    _exit(3);
}

/* A handler, not the default action: PID 1 of a pid namespace ignores default-action
 * signals, the alarm's too. */
static inline void child_alarm(unsigned seconds)
{
    signal(SIGALRM, on_child_alarm);
    alarm(seconds);
}

/* Ends a case's process, handing its TAP counts back. */
static inline __attribute__((noreturn)) void child_done(int code)
{
    shared_counts->count = tap_count;
    shared_counts->failed = tap_failed;
    fflush(stdout);
    _exit(code);
}

/* Forks the process of one case, as fork(2): the run fails after SECONDS (tap_alarm), and the
 * child, which dies with its parent, after CHILD_SECONDS (child_alarm). */
static inline pid_t case_fork(unsigned seconds, unsigned child_seconds)
{
    tap_alarm(seconds);
    fflush(stdout);
    shared_counts->count = tap_count;
    shared_counts->failed = tap_failed;
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        child_alarm(child_seconds);
    }
    return pid;
}

/* In a case's process: runs FN(ARG) in a child of its own (PID 1 of the pid namespace the
 * process unshared), failing after SECONDS, and exits with its status. */
static inline __attribute__((noreturn)) void case_run_child(void (*fn)(void *), void *arg,
                                                            unsigned seconds)
{
    pid_t inner = fork();
    if (inner == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        child_alarm(seconds);
        fn(arg);
        child_done(0);
    }
    int status;
    if (inner < 0 || waitpid(inner, &status, 0) < 0)
        _exit(5);
    _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

/* Waits for the case process PID, takes over the counts it handed back, and fails the case NAME
 * when the process died or hung. */
static inline void case_wait(const char *name, pid_t pid)
{
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) < 0)
        status = -1;
    alarm(0);
    tap_count = shared_counts->count;
    tap_failed = shared_counts->failed;
    if (status != 0)
        ok(0, "%s: the case process ended with status %d", name, status);
}

#endif
