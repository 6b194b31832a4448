/* Error reports in a caller-owned fixed buffer: see err.h. Must never allocate. */
#include "err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Appends SEP and TEXT at POS, truncating at the end of the buffer. */
static void append(char *msg, size_t pos, const char *sep, const char *text)
{
    size_t cap = BT_ERR_MSG_MAX - 1;
    for (const char *s = sep; *s && pos < cap; s++)
        msg[pos++] = *s;
    for (const char *s = text; *s && pos < cap; s++)
        msg[pos++] = *s;
    msg[pos] = '\0';
}

static int record(struct bt_err *err, int errnum, int with_strerror, const char *fmt, va_list ap)
{
    if (errnum <= 0)
        errnum = errnum < 0 ? -errnum : EIO;
    if (!err)
        return -errnum;
    int n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    if (with_strerror && n >= 0 && (size_t)n < sizeof(err->msg))
        append(err->msg, (size_t)n, ": ", strerror(errnum));
    err->code = errnum;
    return -errnum;
}

int bt_err_sys(struct bt_err *err, int errnum, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int ret = record(err, errnum, 1, fmt, ap);
    va_end(ap);
    return ret;
}

int bt_err_msg(struct bt_err *err, int errnum, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int ret = record(err, errnum, 0, fmt, ap);
    va_end(ap);
    return ret;
}

int bt_err_wrap(struct bt_err *err, const char *fmt, ...)
{
    if (!err)
        return -EIO;
    char old[BT_ERR_MSG_MAX];
    memcpy(old, err->msg, sizeof(old));
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < sizeof(err->msg))
        append(err->msg, (size_t)n, ": ", old);
    if (err->code == 0)
        err->code = EIO;
    return -err->code;
}

void bt_err_clear(struct bt_err *err)
{
    err->code = 0;
    err->msg[0] = '\0';
}
