/* Test payload: dies of the signal given as its argument (a number), with the default action
 * restored and the signal unblocked; "fault" dies of a real SIGSEGV (a write through NULL).
 * Core dumps are disabled first so that no test leaves a core file behind. Exits 99 if it
 * somehow survives. */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: kill-self SIGNUM|fault\n");
        return 2;
    }
    struct rlimit none = {0, 0};
    setrlimit(RLIMIT_CORE, &none);
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    if (strcmp(argv[1], "fault") == 0) {
        signal(SIGSEGV, SIG_DFL);
        uint64_t segv = (uint64_t)1 << (SIGSEGV - 1);
        syscall(SYS_rt_sigprocmask, SIG_UNBLOCK, &segv, NULL, sizeof(segv));
        volatile uintptr_t address = 0; /* volatile: the compiler cannot see it is NULL */
        *(volatile int *)address = 0;
        return 99;
    }
    int sig = atoi(argv[1]);
    struct sigaction dfl;
    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    sigaction(sig, &dfl, NULL);
    uint64_t bit = (uint64_t)1 << (sig - 1);
    syscall(SYS_rt_sigprocmask, SIG_UNBLOCK, &bit, NULL, sizeof(bit));
    kill(getpid(), sig);
    return 99;
}
