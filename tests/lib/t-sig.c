/* Unit tests for lib/sig.c: names, parsing, the raw kernel mask and signalfd. */
#include "sig.h"
#include "tap.h"

#include <errno.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
    char buf[32];
    plan(20);
    is_str(bt_sig_name(SIGTERM, buf, sizeof(buf)), "SIGTERM", "name of 15");
    is_str(bt_sig_name(SIGRTMIN + 3, buf, sizeof(buf)), "SIGRTMIN+3", "name of an RT signal");
    is_str(bt_sig_name(SIGRTMIN, buf, sizeof(buf)), "SIGRTMIN", "name of SIGRTMIN");
    is_int(bt_sig_parse("TERM"), SIGTERM, "parse TERM");
    is_int(bt_sig_parse("SIGKILL"), SIGKILL, "parse SIGKILL");
    is_int(bt_sig_parse("sigusr1"), SIGUSR1, "parse is case-insensitive");
    is_int(bt_sig_parse("9"), 9, "parse a number");
    is_int(bt_sig_parse("64"), 64, "parse the highest signal");
    is_int(bt_sig_parse("65"), -EINVAL, "65 is refused");
    is_int(bt_sig_parse("0"), -EINVAL, "0 is refused");
    is_int(bt_sig_parse("RTMIN+2"), SIGRTMIN + 2, "parse RTMIN+2");
    is_int(bt_sig_parse("SIGRTMAX-1"), SIGRTMAX - 1, "parse SIGRTMAX-1");
    is_int(bt_sig_parse("FOO"), -EINVAL, "unknown names are refused");
    is_int(bt_sig_parse("15x"), -EINVAL, "trailing junk is refused");

    /* Block everything, including the signals libc reserves, and receive one of those. */
    bt_sigmask_t old, now;
    bt_sig_setmask(BT_SIGMASK_ALL, &old);
    bt_sig_read_mask(0, "SigBlk", &now);
    ok((now & BT_SIGMASK_BIT(33)) && (now & BT_SIGMASK_BIT(SIGRTMAX)),
       "raw mask blocks libc-reserved signal 33 and SIGRTMAX");
    int fd = bt_sig_signalfd(BT_SIGMASK_ALL, SFD_CLOEXEC);
    kill(getpid(), 33);
    struct signalfd_siginfo info;
    ok(fd >= 0 && read(fd, &info, sizeof(info)) == sizeof(info) && info.ssi_signo == 33,
       "signalfd receives signal 33");
    bt_sig_setmask(old, NULL);
    bt_sig_read_mask(0, "SigBlk", &now);
    is_int(now, old, "old mask restored");

    /* An ignored libc-reserved signal (33) is reset too. */
    struct {
        void *handler;
        unsigned long flags;
        void *restorer;
        bt_sigmask_t mask;
    } ign = {.handler = (void *)SIG_IGN};
    syscall(SYS_rt_sigaction, 33, &ign, NULL, sizeof(bt_sigmask_t));
    signal(SIGUSR2, SIG_IGN);
    bt_sigmask_t ignored;
    bt_sig_read_mask(0, "SigIgn", &ignored);
    ok((ignored & BT_SIGMASK_BIT(33)) && (ignored & BT_SIGMASK_BIT(SIGUSR2)),
       "33 and USR2 ignored");
    ok(bt_sig_reset_ignored() >= 2, "bt_sig_reset_ignored resets them");
    bt_sig_read_mask(0, "SigIgn", &ignored);
    is_int(ignored, 0, "nothing is ignored any more");
    return done();
}
