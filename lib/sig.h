/* Signal names and the kernel's whole signal mask. The mask helpers use raw system calls
 * because glibc and musl quietly drop the signals they reserve (32-34) from sigset_t, and
 * bottle-init must block, receive and forward every signal from 1 to SIGRTMAX. */
#ifndef BT_SIG_H
#define BT_SIG_H

#include <stddef.h>
#include <stdint.h>

/* Highest signal number the kernel delivers (64 on every architecture bottle supports). */
#define BT_SIG_MAX 64

/* A kernel signal mask: bit N-1 is signal N. */
typedef uint64_t bt_sigmask_t;

#define BT_SIGMASK_ALL    (~(bt_sigmask_t)0)
#define BT_SIGMASK_BIT(s) ((bt_sigmask_t)1 << ((s)-1))

/* Writes the name of SIG ("SIGTERM", "SIGRTMIN+3", or the number) into BUF. Returns BUF.
 * Async-signal-safe. */
const char *bt_sig_name(int sig, char *buf, size_t len);

/* Parses "TERM", "SIGTERM", "sigterm", "15", "RTMIN+2" or "SIGRTMAX-1". Returns the signal
 * number (1..BT_SIG_MAX) or -EINVAL. */
int bt_sig_parse(const char *text);

/* Sets the thread's signal mask to MASK with rt_sigprocmask, storing the previous mask in
 * *OLD when OLD is not NULL. Returns 0 or -errno. Async-signal-safe. */
int bt_sig_setmask(bt_sigmask_t mask, bt_sigmask_t *old);

/* Opens a signalfd for every signal in MASK with FLAGS (SFD_CLOEXEC, SFD_NONBLOCK). Returns the
 * fd or -errno. */
int bt_sig_signalfd(bt_sigmask_t mask, int flags);

/* Sets every signal that is ignored (SIG_IGN) back to its default action, with the raw
 * rt_sigaction system call: libc's sigaction refuses the signals it reserves (32-34), which a
 * parent may still have ignored. Returns how many were reset. Async-signal-safe. */
int bt_sig_reset_ignored(void);

/* Reads the process's pending mask from /proc/self/status (SigPnd|ShdPnd) or, with FIELD,
 * another mask line such as "SigBlk" of PID (0 for self). Returns 0 or -errno. */
int bt_sig_read_mask(int pid, const char *field, bt_sigmask_t *out);

#endif
