/* One-line stderr logging: see log.h. Must never allocate. */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *log_program = "bottle";
static int log_max_level = BT_LOG_WARN;
static bt_log_prefix_fn log_prefix;

void bt_log_init(const char *program, int max_level)
{
    log_program = program;
    log_max_level = max_level;
}

void bt_log_set_level(int max_level)
{
    log_max_level = max_level;
}

int bt_log_level(void)
{
    return log_max_level;
}

void bt_log_set_prefix(bt_log_prefix_fn fn)
{
    log_prefix = fn;
}

const char *bt_log_program(void)
{
    return log_program;
}

void bt_log(int level, const char *fmt, ...)
{
    if (level > log_max_level)
        return;
    int saved_errno = errno;
    char line[1024];
    size_t n;
    if (log_prefix)
        n = log_prefix(line, sizeof(line) - 1, level);
    else
        n = (size_t)snprintf(line, sizeof(line) - 1, "%s: ", log_program);
    if (n >= sizeof(line) - 1)
        n = sizeof(line) - 2;
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof(line) - 1 - n, fmt, ap);
    va_end(ap);
    if (m > 0)
        n += (size_t)m < sizeof(line) - 1 - n ? (size_t)m : sizeof(line) - 2 - n;
    line[n++] = '\n';
    const char *p = line;
    while (n > 0) {
        ssize_t w = write(STDERR_FILENO, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        p += w;
        n -= (size_t)w;
    }
    errno = saved_errno;
}
