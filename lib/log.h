/* Logging to stderr, one line per call written with a single write(2) so that lines from
 * several processes never interleave. No stdio and no malloc: usable in PID 1. */
#ifndef BT_LOG_H
#define BT_LOG_H

#include <stddef.h>

enum bt_log_level {
    BT_LOG_FATAL = 0,
    BT_LOG_ERROR = 0,
    BT_LOG_WARN = 1,
    BT_LOG_INFO = 2,
    BT_LOG_DEBUG = 3,
    BT_LOG_TRACE = 4,
};

/* Writes the line prefix for LEVEL into BUF (at most LEN bytes) and returns its length.
 * Lets bottle-init print exactly as tini or dumb-init do in their modes. */
typedef size_t (*bt_log_prefix_fn)(char *buf, size_t len, int level);

/* Sets the program name used by the default prefix ("NAME: ") and the highest level printed.
 * Messages above the level are dropped. */
void bt_log_init(const char *program, int max_level);
void bt_log_set_level(int max_level);
int bt_log_level(void);
void bt_log_set_prefix(bt_log_prefix_fn fn);
const char *bt_log_program(void);

/* Prints one line. Not async-signal-safe only because of the format engine; safe to call
 * between fork and exec with glibc and musl for %s/%d formats. Preserves errno. */
void bt_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define bt_log_error(...) bt_log(BT_LOG_ERROR, __VA_ARGS__)
#define bt_log_warn(...)  bt_log(BT_LOG_WARN, __VA_ARGS__)
#define bt_log_info(...)  bt_log(BT_LOG_INFO, __VA_ARGS__)
#define bt_log_debug(...) bt_log(BT_LOG_DEBUG, __VA_ARGS__)
#define bt_log_trace(...) bt_log(BT_LOG_TRACE, __VA_ARGS__)

#endif
