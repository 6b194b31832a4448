/* Caller-owned error reports: filled once where a failure happens, wrapped with one line of
 * context on the way up, printed only by main or a top-level callback. A fixed buffer and no
 * malloc, so that PID 1 and code between fork and exec can use it. */
#ifndef BT_ERR_H
#define BT_ERR_H

#include <stddef.h>

#define BT_ERR_MSG_MAX 512

struct bt_err {
    int code;                 /* positive errno; 0 when no error has been recorded */
    char msg[BT_ERR_MSG_MAX]; /* one line, no trailing newline */
};

/* Records "MESSAGE: strerror(errnum)". Returns -errnum (or -EIO when errnum is 0) so that a
 * caller can write `return bt_err_sys(err, errno, "open %s", path);`. err may be NULL. */
int bt_err_sys(struct bt_err *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Records "MESSAGE" with no strerror suffix (validation errors). Returns -errnum. */
int bt_err_msg(struct bt_err *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefixes the recorded message with "CONTEXT: ". Returns -err->code. */
int bt_err_wrap(struct bt_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Forgets a recorded error. */
void bt_err_clear(struct bt_err *err);

#endif
