/* A small TAP producer for C unit tests, run under prove. Header-only.
 *
 *   int main(void) { plan(2); ok(1 + 1 == 2, "adds"); is_int(f(), 0, "f works"); return done(); }
 *
 * A case that forks or waits calls tap_alarm(SECONDS) first so that a hang fails the run
 * instead of stalling `make check`. */
#ifndef BT_TAP_H
#define BT_TAP_H

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int tap_count, tap_failed, tap_planned;

static inline void plan(int n)
{
    tap_planned = n;
    printf("1..%d\n", n);
    fflush(stdout);
}

static inline void tap_vresult(int pass, const char *fmt, va_list ap)
{
    tap_count++;
    if (!pass)
        tap_failed++;
    printf("%s %d - ", pass ? "ok" : "not ok", tap_count);
    vprintf(fmt, ap);
    printf("\n");
    fflush(stdout);
}

static inline int ok(int pass, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline int ok(int pass, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tap_vresult(pass, fmt, ap);
    va_end(ap);
    return pass;
}

static inline void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void diag(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("# ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    fflush(stdout);
}

#define is_int(got, want, ...)                                                                     \
    do {                                                                                           \
        long long tap_got_ = (long long)(got), tap_want_ = (long long)(want);                      \
        if (!ok(tap_got_ == tap_want_, __VA_ARGS__))                                               \
            diag("  got: %lld, expected: %lld (%s:%d)", tap_got_, tap_want_, __FILE__, __LINE__);  \
    } while (0)

#define is_str(got, want, ...)                                                                     \
    do {                                                                                           \
        const char *tap_got_ = (got), *tap_want_ = (want);                                         \
        if (!ok(tap_got_ && tap_want_ && strcmp(tap_got_, tap_want_) == 0, __VA_ARGS__))           \
            diag("  got: '%s', expected: '%s' (%s:%d)", tap_got_ ? tap_got_ : "(null)",            \
                 tap_want_ ? tap_want_ : "(null)", __FILE__, __LINE__);                            \
    } while (0)

static inline void skip(const char *reason)
{
    tap_count++;
    printf("ok %d # SKIP %s\n", tap_count, reason);
    fflush(stdout);
}

static inline void tap_on_alarm(int sig)
{
    (void)sig;
    static const char msg[] = "Bail out! test timed out (tap_alarm)\n";
    if (write(STDOUT_FILENO, msg, sizeof(msg) - 1) < 0)
        _exit(2);
    _exit(2);
}

/* Fails the whole program if it runs for more than SECONDS from now. */
static inline void tap_alarm(unsigned seconds)
{
    signal(SIGALRM, tap_on_alarm);
    alarm(seconds);
}

static inline int done(void)
{
    if (tap_planned && tap_count != tap_planned)
        diag("planned %d tests but ran %d", tap_planned, tap_count);
    return tap_failed || (tap_planned && tap_count != tap_planned) ? 1 : 0;
}

#endif
