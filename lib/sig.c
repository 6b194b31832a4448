/* Signal names and raw kernel signal masks: see sig.h. */
#include "sig.h"
#include "proc.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/syscall.h>
#include <unistd.h>

_Static_assert(_NSIG - 1 == BT_SIG_MAX, "bt_sigmask_t assumes 64 kernel signals");

static const struct {
    int number;
    const char *name; /* without the SIG prefix */
} sig_names[] = {
    {SIGHUP, "HUP"},   {SIGINT, "INT"},       {SIGQUIT, "QUIT"}, {SIGILL, "ILL"},
    {SIGTRAP, "TRAP"}, {SIGABRT, "ABRT"},     {SIGBUS, "BUS"},   {SIGFPE, "FPE"},
    {SIGKILL, "KILL"}, {SIGUSR1, "USR1"},     {SIGSEGV, "SEGV"}, {SIGUSR2, "USR2"},
    {SIGPIPE, "PIPE"}, {SIGALRM, "ALRM"},     {SIGTERM, "TERM"}, {SIGSTKFLT, "STKFLT"},
    {SIGCHLD, "CHLD"}, {SIGCONT, "CONT"},     {SIGSTOP, "STOP"}, {SIGTSTP, "TSTP"},
    {SIGTTIN, "TTIN"}, {SIGTTOU, "TTOU"},     {SIGURG, "URG"},   {SIGXCPU, "XCPU"},
    {SIGXFSZ, "XFSZ"}, {SIGVTALRM, "VTALRM"}, {SIGPROF, "PROF"}, {SIGWINCH, "WINCH"},
    {SIGIO, "IO"},     {SIGPWR, "PWR"},       {SIGSYS, "SYS"},   {SIGIOT, "IOT"},
    {SIGPOLL, "POLL"}, {SIGCHLD, "CLD"},
};

/* Async-signal-safe decimal formatting; returns the number of bytes written (no NUL). */
static size_t put_uint(char *buf, size_t len, unsigned value)
{
    char digits[12];
    size_t n = 0;
    do {
        digits[n++] = (char)('0' + value % 10);
        value /= 10;
    } while (value && n < sizeof(digits));
    size_t i = 0;
    for (; i < n && i < len; i++)
        buf[i] = digits[n - 1 - i];
    return i;
}

static void put_str(char *buf, size_t len, size_t *pos, const char *s)
{
    while (*s && *pos + 1 < len)
        buf[(*pos)++] = *s++;
}

const char *bt_sig_name(int sig, char *buf, size_t len)
{
    size_t pos = 0;
    if (len == 0)
        return buf;
    for (size_t i = 0; i < sizeof(sig_names) / sizeof(sig_names[0]); i++) {
        if (sig_names[i].number == sig) {
            put_str(buf, len, &pos, "SIG");
            put_str(buf, len, &pos, sig_names[i].name);
            buf[pos] = '\0';
            return buf;
        }
    }
    if (sig >= SIGRTMIN && sig <= SIGRTMAX) {
        put_str(buf, len, &pos, "SIGRTMIN");
        if (sig > SIGRTMIN) {
            put_str(buf, len, &pos, "+");
            pos += put_uint(buf + pos, len - 1 - pos, (unsigned)(sig - SIGRTMIN));
        }
    } else {
        pos += put_uint(buf, len - 1, (unsigned)sig);
    }
    buf[pos] = '\0';
    return buf;
}

static int parse_number(const char *text, int *out)
{
    if (!*text || !isdigit((unsigned char)*text))
        return -EINVAL;
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || *end || v > BT_SIG_MAX)
        return -EINVAL;
    *out = (int)v;
    return 0;
}

int bt_sig_parse(const char *text)
{
    int n;
    if (!text || !*text)
        return -EINVAL;
    if (parse_number(text, &n) == 0)
        return n >= 1 && n <= BT_SIG_MAX ? n : -EINVAL;
    if (strncasecmp(text, "SIG", 3) == 0)
        text += 3;
    for (size_t i = 0; i < sizeof(sig_names) / sizeof(sig_names[0]); i++)
        if (strcasecmp(text, sig_names[i].name) == 0)
            return sig_names[i].number;
    int base = 0;
    if (strncasecmp(text, "RTMIN", 5) == 0)
        base = SIGRTMIN;
    else if (strncasecmp(text, "RTMAX", 5) == 0)
        base = SIGRTMAX;
    else
        return -EINVAL;
    text += 5;
    if (!*text)
        return base;
    if ((*text != '+' && *text != '-') || parse_number(text + 1, &n) < 0)
        return -EINVAL;
    int sig = *text == '+' ? base + n : base - n;
    return sig >= SIGRTMIN && sig <= SIGRTMAX ? sig : -EINVAL;
}

int bt_sig_setmask(bt_sigmask_t mask, bt_sigmask_t *old)
{
    if (syscall(SYS_rt_sigprocmask, SIG_SETMASK, &mask, old, sizeof(mask)) < 0)
        return -errno;
    return 0;
}

/* The kernel's struct sigaction for rt_sigaction on x86_64 and aarch64. */
struct kernel_sigaction {
    void *handler;
    unsigned long flags;
    void *restorer;
    bt_sigmask_t mask;
};

int bt_sig_reset_ignored(void)
{
    int count = 0;
    for (int sig = 1; sig <= BT_SIG_MAX; sig++) {
        struct kernel_sigaction old;
        if (sig == SIGKILL || sig == SIGSTOP ||
            syscall(SYS_rt_sigaction, sig, NULL, &old, sizeof(bt_sigmask_t)) < 0 ||
            old.handler != (void *)SIG_IGN)
            continue;
        struct kernel_sigaction dfl = {.handler = (void *)SIG_DFL};
        if (syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof(bt_sigmask_t)) == 0)
            count++;
    }
    return count;
}

int bt_sig_signalfd(bt_sigmask_t mask, int flags)
{
    long fd = syscall(SYS_signalfd4, -1, &mask, sizeof(mask), flags);
    return fd < 0 ? -errno : (int)fd;
}

int bt_sig_read_mask(int pid, const char *field, bt_sigmask_t *out)
{
    char path[64], buf[4096];
    if (pid > 0)
        snprintf(path, sizeof(path), "/proc/%d/status", pid);
    else
        snprintf(path, sizeof(path), "/proc/self/status");
    int ret = bt_proc_read_file(path, 0, buf, sizeof(buf));
    if (ret < 0)
        return ret;
    char key[32];
    snprintf(key, sizeof(key), "\n%s:", field);
    char *p = strstr(buf, key);
    if (!p)
        return -ENOENT;
    *out = strtoull(p + strlen(key), NULL, 16);
    return 0;
}
