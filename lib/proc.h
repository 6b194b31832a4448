/* Process helpers shared by bottle-init, the shim and bottled: wait statuses as exit codes,
 * subreaping, closing inherited fds and walking a process's descendants through /proc. */
#ifndef BT_PROC_H
#define BT_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The shell's convention: the exit code, or 128+N when the process died of signal N, taken
 * modulo 256 as tini does. Async-signal-safe. */
int bt_proc_exit_code(int wait_status);

/* Makes the caller a child subreaper (PR_SET_CHILD_SUBREAPER). Returns 0 or -errno. */
int bt_proc_set_subreaper(void);

/* True when the caller is already a child subreaper. */
bool bt_proc_is_subreaper(void);

/* Closes every fd >= LOWFD (close_range, falling back to /proc/self/fd). Returns 0 or -errno.
 * Uses no heap. */
int bt_proc_close_from(int lowfd);

/* Closes the fds FIRST..LAST (close_range, falling back to close() one by one). */
void bt_proc_close_range(int first, int last);

/* Calls FN for every process in /proc whose parent chain reaches ROOT (ROOT excluded),
 * parents before children. Stops early and returns FN's value when it is not 0. Uses no heap
 * and is not reentrant (static state); bounded to 4096 descendants per call. Returns 0, FN's
 * value or -errno. */
int bt_proc_for_each_descendant(pid_t root, int (*fn)(pid_t pid, void *data), void *data);

/* Reads the small file PATH (opened O_RDONLY | O_CLOEXEC | FLAGS, e.g. O_NOFOLLOW) into BUF with
 * one read(2) of at most LEN - 1 bytes, and NUL-terminates it; BUF is "" on failure. Made for
 * /proc files and one-line records, which one read returns whole. Returns the number of bytes
 * read, or -errno. Uses no heap; async-signal-safe. */
int bt_proc_read_file(const char *path, int flags, char *buf, size_t len);

/* Reads the parent pid and one-letter state of PID from /proc/PID/stat. Returns 0 or -errno. */
int bt_proc_stat(pid_t pid, pid_t *ppid, char *state);

/* Writes the decimal value of V into BUF (NUL-terminated) and returns the length.
 * Async-signal-safe. */
size_t bt_proc_format_pid(char *buf, size_t len, long v);

#endif
