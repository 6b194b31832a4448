/* Test wrapper: execs a command with a known signal state, whatever the test runner left (a
 * non-interactive shell starts background jobs with SIGINT and SIGQUIT ignored, and bash cannot
 * undo that). Every disposition is reset to SIG_DFL and the mask emptied, then each -b SIG is
 * blocked and each -i SIG ignored (numbers; raw rt_sigprocmask, so 32-34 work too).
 *
 *   with-signals [-b SIG]... [-i SIG]... [--] CMD [ARGS...] */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    uint64_t block = 0;
    uint64_t ignore = 0;
    int opt;
    while ((opt = getopt(argc, argv, "+b:i:")) != -1) {
        int sig = atoi(optarg);
        if ((opt != 'b' && opt != 'i') || sig < 1 || sig > 64) {
            fprintf(stderr, "usage: with-signals [-b SIG]... [-i SIG]... [--] CMD [ARGS...]\n");
            return 125;
        }
        if (opt == 'b')
            block |= (uint64_t)1 << (sig - 1);
        else
            ignore |= (uint64_t)1 << (sig - 1);
    }
    if (optind >= argc) {
        fprintf(stderr, "with-signals: no command\n");
        return 125;
    }
    for (int sig = 1; sig <= 64; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP)
            continue;
        /* Raw syscall: glibc's sigaction refuses the signals it reserves. The kernel's struct
         * for x86_64 and aarch64: handler, flags, restorer, mask. */
        struct {
            void (*handler)(int);
            unsigned long flags;
            void (*restorer)(void);
            uint64_t mask;
        } action = {(ignore >> (sig - 1)) & 1 ? SIG_IGN : SIG_DFL, 0, NULL, 0};
        syscall(SYS_rt_sigaction, sig, &action, NULL, sizeof(uint64_t));
    }
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &block, NULL, sizeof(block));
    execvp(argv[optind], argv + optind);
    fprintf(stderr, "with-signals: exec %s failed: %s\n", argv[optind], strerror(errno));
    return errno == ENOENT ? 127 : 126;
}
