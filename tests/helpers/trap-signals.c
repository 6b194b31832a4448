/* Test payload that records every signal it receives, 1..64 including the ones libc reserves
 * (32-34): it blocks them all with the raw rt_sigprocmask and reads them from a raw signalfd4,
 * so nothing it receives is lost or acted upon. It first reports how it was started (pid, ppid,
 * pgid, sid, the terminal's foreground pgrp, the signal mask and ignored set it inherited, cwd
 * and open fds) so that tests can check what an init handed down to its child.
 *
 *   trap-signals [-o FILE] [-f N] [-c COUNT] [-x SIG[:CODE]] [-m] [-W] [-t SECS]
 *
 * Output, one write(2) per line (O_APPEND, so several processes can share FILE):
 *   ready pid=P ppid=P pgid=G sid=S tpgid=T blk=HEX ign=HEX cwd=DIR fds=0,1,2
 *   sig=N from=PID code=SI_CODE pid=P
 * -f N      fork N copies right after blocking signals (same process group); each one records
 *           and reports too, and follows the same exit rules
 * -c COUNT  exit 0 after COUNT signals other than SIGCHLD
 * -x S[:C]  exit C (default 0) after receiving signal S (a number)
 * -m        the main process exits 0 once every copy is ready (the copies go on trapping)
 * -W        when an exit rule matches in the main process, it first waits (until the -t
 *           deadline) for its copies to exit, so that they can finish reading their signals
 * -t SECS   give up after SECS seconds without reaching an exit rule: exit 3 (default 30) */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int out_fd = STDOUT_FILENO;
static long copies_to_wait;   /* -W: copies the main process waits for before it exits */
static char start_info[1024]; /* "blk=... ign=... cwd=... fds=..." as found at exec */

static void die(const char *what)
{
    dprintf(STDERR_FILENO, "trap-signals: %s: %s\n", what, strerror(errno));
    exit(2);
}

static void put_line(const char *line)
{
    size_t len = strlen(line);
    if (write(out_fd, line, len) != (ssize_t)len)
        die("write");
}

/* Copies the hex value of the "FIELD:" line of /proc/self/status into OUT. */
static void status_field(const char *field, char *out, size_t len)
{
    char buf[4096];
    snprintf(out, len, "?");
    int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return;
    buf[n] = '\0';
    size_t flen = strlen(field);
    for (char *line = buf; line && *line;
         line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        if (strncmp(line, field, flen) == 0 && line[flen] == ':') {
            char *value = line + flen + 1;
            while (*value == '\t' || *value == ' ')
                value++;
            size_t vlen = strcspn(value, "\n");
            snprintf(out, len, "%.*s", (int)vlen, value);
            return;
        }
    }
}

/* The foreground process group of our controlling terminal (field 8 of /proc/self/stat). */
static long tty_pgrp(void)
{
    char buf[1024];
    int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    long field[6] = {0};
    /* after ")": state ppid pgrp session tty_nr tpgid */
    if (!p || sscanf(p + 2, "%*c %ld %ld %ld %ld %ld", &field[0], &field[1], &field[2], &field[3],
                     &field[4]) != 5)
        return -1;
    return field[4];
}

static void record_start_info(void)
{
    char blk[32], ign[32], cwd[512] = "?", fds[256] = "";
    status_field("SigBlk", blk, sizeof(blk));
    status_field("SigIgn", ign, sizeof(ign));
    ssize_t n = readlink("/proc/self/cwd", cwd, sizeof(cwd) - 1);
    cwd[n > 0 ? n : 1] = '\0';
    DIR *dir = opendir("/proc/self/fd");
    if (dir) {
        int nums[64], count = 0;
        struct dirent *entry;
        while ((entry = readdir(dir)) && count < 64) {
            if (entry->d_name[0] < '0' || entry->d_name[0] > '9')
                continue;
            int fd = atoi(entry->d_name);
            if (fd != dirfd(dir))
                nums[count++] = fd;
        }
        closedir(dir);
        for (int i = 0; i < count; i++) /* readdir order is not numeric: sort */
            for (int j = i + 1; j < count; j++)
                if (nums[j] < nums[i]) {
                    int t = nums[i];
                    nums[i] = nums[j];
                    nums[j] = t;
                }
        size_t pos = 0;
        for (int i = 0; i < count && pos < sizeof(fds) - 12; i++)
            pos += (size_t)snprintf(fds + pos, sizeof(fds) - pos, "%s%d", i ? "," : "", nums[i]);
    }
    snprintf(start_info, sizeof(start_info), "blk=%s ign=%s cwd=%s fds=%s", blk, ign, cwd, fds);
}

static void report_ready(void)
{
    char line[1400];
    snprintf(line, sizeof(line), "ready pid=%d ppid=%d pgid=%d sid=%d tpgid=%ld %s\n",
             (int)getpid(), (int)getppid(), (int)getpgrp(), (int)getsid(0), tty_pgrp(), start_info);
    put_line(line);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Exits with CODE, after the copies have exited when -W asked for it (bounded by DEADLINE). */
static void finish(int code, double deadline)
{
    while (copies_to_wait > 0 && now() < deadline) {
        pid_t pid = waitpid(-1, NULL, WNOHANG);
        if (pid > 0)
            copies_to_wait--;
        else if (pid < 0)
            break;
        else
            usleep(2000);
    }
    exit(code);
}

/* Reads signals until an exit rule matches or the time runs out. Never returns. */
static void trap_loop(int sfd, long count, int exit_sig, int exit_code, double deadline)
{
    long seen = 0;
    for (;;) {
        double left = deadline - now();
        if (left <= 0)
            exit(3);
        struct pollfd pfd = {.fd = sfd, .events = POLLIN};
        int ready = poll(&pfd, 1, (int)(left * 1000) + 1);
        if (ready < 0 && errno != EINTR)
            die("poll");
        if (ready <= 0)
            continue;
        struct signalfd_siginfo info;
        if (read(sfd, &info, sizeof(info)) != sizeof(info))
            die("read signalfd");
        char line[128];
        snprintf(line, sizeof(line), "sig=%u from=%u code=%d pid=%d\n", info.ssi_signo,
                 info.ssi_pid, info.ssi_code, (int)getpid());
        put_line(line);
        if ((int)info.ssi_signo == exit_sig)
            finish(exit_code, deadline);
        if (info.ssi_signo == SIGCHLD)
            continue;
        if (count > 0 && ++seen >= count)
            finish(0, deadline);
    }
}

int main(int argc, char **argv)
{
    /* Look at what we inherited before touching anything. */
    record_start_info();

    long copies = 0, count = 0, seconds = 30;
    int exit_sig = 0, exit_code = 0, main_leaves = 0, wait_copies = 0, opt;
    while ((opt = getopt(argc, argv, "o:f:c:x:mWt:")) != -1) {
        switch (opt) {
        case 'o':
            out_fd = open(optarg, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
            if (out_fd < 0)
                die(optarg);
            break;
        case 'f': copies = atol(optarg); break;
        case 'c': count = atol(optarg); break;
        case 'x':
            exit_sig = atoi(optarg);
            if (strchr(optarg, ':'))
                exit_code = atoi(strchr(optarg, ':') + 1);
            break;
        case 'm': main_leaves = 1; break;
        case 'W': wait_copies = 1; break;
        case 't': seconds = atol(optarg); break;
        default:
            dprintf(STDERR_FILENO, "usage: trap-signals [-o FILE] [-f N] [-c COUNT] "
                                   "[-x SIG[:CODE]] [-m] [-W] [-t SECS]\n");
            return 2;
        }
    }
    double deadline = now() + (double)seconds;

    /* glibc's sigset_t helpers refuse 32 and 33: build the kernel's 64-bit mask ourselves. */
    uint64_t all = ~(uint64_t)0;
    if (syscall(SYS_rt_sigprocmask, SIG_BLOCK, &all, NULL, sizeof(all)) < 0)
        die("rt_sigprocmask");

    int ready_pipe[2];
    if (pipe2(ready_pipe, O_CLOEXEC) < 0)
        die("pipe");
    for (long i = 0; i < copies; i++) {
        pid_t pid = fork();
        if (pid < 0)
            die("fork");
        if (pid == 0) {
            close(ready_pipe[0]);
            int sfd = (int)syscall(SYS_signalfd4, -1, &all, sizeof(all), SFD_CLOEXEC);
            if (sfd < 0)
                die("signalfd4");
            report_ready();
            if (write(ready_pipe[1], "r", 1) != 1)
                die("write ready");
            close(ready_pipe[1]);
            trap_loop(sfd, count, exit_sig, exit_code, deadline);
        }
    }
    close(ready_pipe[1]);
    int sfd = (int)syscall(SYS_signalfd4, -1, &all, sizeof(all), SFD_CLOEXEC);
    if (sfd < 0)
        die("signalfd4");
    /* Report ourselves after the copies so that "all ready" means every process is set up. */
    for (long got = 0; got < copies;) {
        char c;
        struct pollfd pfd = {.fd = ready_pipe[0], .events = POLLIN};
        if (poll(&pfd, 1, 5000) <= 0 || read(ready_pipe[0], &c, 1) != 1)
            die("copies did not get ready");
        got++;
    }
    close(ready_pipe[0]);
    copies_to_wait = wait_copies ? copies : 0;
    report_ready();
    if (main_leaves)
        return 0;
    trap_loop(sfd, count, exit_sig, exit_code, deadline);
}
