/* Health checks while a service runs, with docker's semantics: the first check after interval,
 * the next one interval after the previous one ended, a check longer than timeout fails,
 * retries failures in a row make the service unhealthy (on_unhealthy applies), failures during
 * start_period do not count until the first pass. "exec" runs `bottle exec` (beside bottled)
 * in the container; "tcp" connects from a socket made in the container's network namespace
 * (or bottled's, when a host is given). Never blocks the loop; no timer without checks. */
#include "sup.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sched.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"

/* After a timed-out exec check's SIGTERM (bottle exec forwards it), SIGKILL after this. */
#define KILL_GRACE_MS 1000

enum health_status { HEALTH_STARTING, HEALTH_HEALTHY, HEALTH_UNHEALTHY };
enum check_state { CHECK_IDLE, CHECK_EXEC, CHECK_TCP };

struct sup_health {
    struct sup_service *svc; /* NULL once stopped: freed when the last handle has closed */
    const struct bt_svcspec_health *spec;
    uv_timer_t timer;  /* the next check; while one runs, its timeout (then the kill grace) */
    uv_poll_t process; /* the exec check's pidfd */
    int pidfd;
    uv_tcp_t tcp;
    uv_connect_t connect;
    uv_getaddrinfo_t resolve;
    int pending; /* handles open and requests outstanding */
    enum check_state check;
    bool decided; /* the running check has its verdict (pass, fail or timeout) */
    bool killing; /* a timed-out exec check got SIGTERM; SIGKILL at the next timer */
    bool paused;
    bool tcp_open;  /* tcp is initialised and not closing */
    bool resolving; /* resolve is outstanding */
    enum health_status status;
    uint32_t failures; /* in a row */
    uint64_t started_ms;
};

static void schedule(struct sup_health *health);

const char *sup_health_status(const struct sup_service *svc)
{
    static const char *const names[] = {"starting", "healthy", "unhealthy"};
    return svc->health ? names[svc->health->status] : NULL;
}

static void release(struct sup_health *health)
{
    if (--health->pending == 0 && !health->svc)
        free(health);
}

static void on_handle_closed(uv_handle_t *handle)
{
    release(handle->data);
}

static void verdict(struct sup_health *health, bool pass, const char *why)
{
    struct sup_service *svc = health->svc;
    if (health->decided)
        return;
    health->decided = true;
    /* A stopped or frozen service's result means nothing. */
    if (!svc || health->paused)
        return;
    const char *kind = health->spec->kind == BT_SVCSPEC_HEALTH_EXEC ? "exec" : "tcp";
    if (pass) {
        bt_log_debug("%s: %s health check passed", svc->name, kind);
        health->failures = 0;
        if (health->status != HEALTH_HEALTHY) {
            health->status = HEALTH_HEALTHY;
            sup_event(svc->sup, "healthy", svc, "\"check\":\"%s\"", kind);
        }
        if (svc->spec->readiness == BT_SVCSPEC_READY_HEALTH && !svc->ready) {
            sup_ready_record(svc, "health");
            sup_service_ready(svc);
        }
        return;
    }
    bt_log_debug("%s: %s health check failed: %s", svc->name, kind, why);
    uint64_t now = uv_now(svc->sup->loop);
    if (health->status == HEALTH_STARTING &&
        now - health->started_ms < health->spec->start_period_ms)
        return; /* still starting up: not counted */
    health->failures++;
    if (health->failures < health->spec->retries || health->status == HEALTH_UNHEALTHY)
        return;
    health->status = HEALTH_UNHEALTHY;
    char reason[128];
    snprintf(reason, sizeof(reason), "%s", why);
    for (char *p = reason; *p; p++)
        if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20)
            *p = ' ';
    sup_event(svc->sup, "unhealthy", svc, "\"check\":\"%s\",\"failures\":%u,\"error\":\"%s\"", kind,
              health->failures, reason);
    sup_service_unhealthy(svc); /* may stop us: health stays valid until its handles close */
}

/* The running check is over and its handles closed: the next one follows after interval. */
static void check_over(struct sup_health *health)
{
    health->check = CHECK_IDLE;
    health->decided = false;
    health->killing = false;
    uv_timer_stop(&health->timer);
    if (!health->svc) { /* stopped while it ran: the timer's close is the last step */
        if (!uv_is_closing((uv_handle_t *)&health->timer))
            uv_close((uv_handle_t *)&health->timer, on_handle_closed);
        return;
    }
    schedule(health);
}

static void on_process_closed(uv_handle_t *handle)
{
    struct sup_health *health = handle->data;
    close(health->pidfd);
    health->pidfd = -1;
    check_over(health);
    release(health);
}

static void on_process_exit(uv_poll_t *watch, int status, int events)
{
    (void)status;
    (void)events;
    struct sup_health *health = watch->data;
    siginfo_t info = {0};
    /* __WALL: the child was made with no exit signal, which is what keeps main.c's
     * waitpid(-1) for re-parented shims from reaping it before us. */
    if (waitid((idtype_t)P_PIDFD, (id_t)health->pidfd, &info, WEXITED | WNOHANG | __WALL) < 0 ||
        info.si_pid == 0)
        return;
    char why[64];
    bool pass = info.si_code == CLD_EXITED && info.si_status == 0;
    if (info.si_code == CLD_EXITED)
        snprintf(why, sizeof(why), "exit status %d", info.si_status);
    else
        snprintf(why, sizeof(why), "killed by signal %d", info.si_status);
    verdict(health, pass, why);
    uv_poll_stop(watch);
    uv_close((uv_handle_t *)watch, on_process_closed);
}

static void kill_process(struct sup_health *health, int sig)
{
    if (health->pidfd >= 0)
        syscall(SYS_pidfd_send_signal, health->pidfd, sig, NULL, 0);
}

static const char *bottle_path(void)
{
    static char path[PATH_MAX];
    if (!path[0]) {
        ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 8);
        char *slash = n > 0 ? memrchr(path, '/', (size_t)n) : NULL;
        if (slash)
            strcpy(slash + 1, "bottle");
        else
            snprintf(path, sizeof(path), "bottle");
    }
    return path;
}

/* `bottle exec` as a child without exit signal (see on_process_exit), stdio on /dev/null.
 * Returns its pidfd, or -errno. Nothing is allocated between the clone and the exec. */
static int spawn_check(char **argv)
{
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null < 0)
        return -errno;
    int pidfd = -1;
    struct clone_args args = {.flags = CLONE_PIDFD, .pidfd = (uint64_t)(uintptr_t)&pidfd};
    long pid = syscall(SYS_clone3, &args, sizeof(args));
    if (pid == 0) {
        struct sigaction dfl = {.sa_handler = SIG_DFL};
        sigaction(SIGPIPE, &dfl, NULL); /* bottled ignores it; a command must not */
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        for (int fd = 0; fd < 3; fd++)
            dup2(null, fd);
        execv(argv[0], argv);
        _exit(127);
    }
    int saved = errno;
    close(null);
    return pid < 0 ? -saved : pidfd;
}

static void start_exec(struct sup_health *health)
{
    struct sup_service *svc = health->svc;
    size_t argc = 8 + health->spec->exec_len + 1;
    char **argv = calloc(argc, sizeof(char *));
    if (!argv) {
        verdict(health, false, "out of memory");
        check_over(health);
        return;
    }
    size_t n = 0;
    argv[n++] = (char *)bottle_path();
    argv[n++] = "--state";
    argv[n++] = (char *)svc->sup->state;
    argv[n++] = "--root";
    argv[n++] = (char *)svc->sup->root;
    argv[n++] = "exec";
    argv[n++] = svc->name;
    argv[n++] = "--";
    for (size_t i = 0; i < health->spec->exec_len; i++)
        argv[n++] = health->spec->exec[i];
    int pidfd = spawn_check(argv);
    free(argv);
    if (pidfd < 0) {
        char why[PATH_MAX + 64];
        snprintf(why, sizeof(why), "spawn %s: %s", bottle_path(), strerror(-pidfd));
        verdict(health, false, why);
        check_over(health);
        return;
    }
    health->pidfd = pidfd;
    health->check = CHECK_EXEC;
    uv_poll_init(svc->sup->loop, &health->process, pidfd);
    health->process.data = health;
    health->pending++;
    uv_poll_start(&health->process, UV_READABLE, on_process_exit);
}

static void close_tcp(struct sup_health *health);

static void on_tcp_closed(uv_handle_t *handle)
{
    struct sup_health *health = handle->data;
    check_over(health);
    release(health);
}

static void on_connect(uv_connect_t *request, int status)
{
    struct sup_health *health = request->data;
    verdict(health, status == 0, status == 0 ? "" : uv_strerror(status));
    close_tcp(health);
}

static void close_tcp(struct sup_health *health)
{
    if (!health->tcp_open)
        return;
    health->tcp_open = false;
    uv_close((uv_handle_t *)&health->tcp, on_tcp_closed);
}

/* A socket of the container's network namespace: the thread joins it just long enough to
 * create the socket (setns applies to the calling thread only), then returns. */
static int socket_in_container(const struct sup_service *svc, int family)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)svc->init_pid);
    int target = open(path, O_RDONLY | O_CLOEXEC);
    if (target < 0)
        return -errno;
    int own = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (own < 0) {
        int saved = errno;
        close(target);
        return -saved;
    }
    int fd = -EINVAL;
    if (setns(target, CLONE_NEWNET) == 0) {
        fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
            fd = -errno;
        if (setns(own, CLONE_NEWNET) < 0) {
            /* Every later socket of bottled would be the container's: better to die. */
            bt_log_error("cannot return to bottled's network namespace: %s", strerror(errno));
            abort();
        }
    } else {
        fd = -errno;
    }
    close(target);
    close(own);
    return fd;
}

static void tcp_connect(struct sup_health *health, const struct sockaddr *addr)
{
    struct sup_service *svc = health->svc;
    uv_tcp_init(svc->sup->loop, &health->tcp);
    health->tcp.data = health;
    health->tcp_open = true;
    health->pending++;
    int ret = 0;
    if (!health->spec->tcp_host) {
        int fd = socket_in_container(svc, addr->sa_family);
        ret = fd < 0 ? fd : uv_tcp_open(&health->tcp, fd);
        if (fd >= 0 && ret < 0)
            close(fd);
    }
    health->connect.data = health;
    if (ret == 0)
        ret = uv_tcp_connect(&health->connect, &health->tcp, addr, on_connect);
    if (ret < 0) {
        verdict(health, false, uv_strerror(ret));
        close_tcp(health);
    }
}

static void on_resolved(uv_getaddrinfo_t *request, int status, struct addrinfo *result)
{
    struct sup_health *health = request->data;
    health->resolving = false;
    if (status < 0 || !result || !health->svc || health->decided) {
        if (!health->decided)
            verdict(health, false, status < 0 ? uv_strerror(status) : "no address");
        check_over(health);
    } else {
        tcp_connect(health, result->ai_addr);
    }
    uv_freeaddrinfo(result);
    release(health);
}

static void start_tcp(struct sup_health *health)
{
    const struct bt_svcspec_health *spec = health->spec;
    health->check = CHECK_TCP;
    struct sockaddr_storage addr;
    const char *host = spec->tcp_host ? spec->tcp_host : "127.0.0.1";
    if (uv_ip4_addr(host, spec->tcp_port, (struct sockaddr_in *)&addr) == 0 ||
        uv_ip6_addr(host, spec->tcp_port, (struct sockaddr_in6 *)&addr) == 0) {
        tcp_connect(health, (struct sockaddr *)&addr);
        return;
    }
    char port[8];
    snprintf(port, sizeof(port), "%u", spec->tcp_port);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM};
    health->resolve.data = health;
    int ret =
        uv_getaddrinfo(health->svc->sup->loop, &health->resolve, on_resolved, host, port, &hints);
    if (ret < 0) {
        verdict(health, false, uv_strerror(ret));
        check_over(health);
        return;
    }
    health->resolving = true;
    health->pending++;
}

static void on_timer(uv_timer_t *timer)
{
    struct sup_health *health = timer->data;
    if (health->check == CHECK_IDLE) {
        if (!health->svc || health->paused)
            return;
        health->decided = false;
        if (health->spec->kind == BT_SVCSPEC_HEALTH_EXEC)
            start_exec(health);
        else
            start_tcp(health);
        if (health->check != CHECK_IDLE && !health->decided)
            uv_timer_start(&health->timer, on_timer, health->spec->timeout_ms, 0);
        return;
    }
    /* The running check took too long (or, once stopped, ignored its SIGTERM). The spec may
     * be gone once stopped (a reload frees it). */
    if (health->svc) {
        char why[64];
        snprintf(why, sizeof(why), "timed out after %llu ms",
                 (unsigned long long)health->spec->timeout_ms);
        verdict(health, false, why);
    }
    if (health->check == CHECK_EXEC) {
        int sig = health->killing ? SIGKILL : SIGTERM;
        health->killing = true;
        kill_process(health, sig);
        if (sig == SIGTERM && health->svc) /* stopped by the verdict: its timer is closing */
            uv_timer_start(&health->timer, on_timer, KILL_GRACE_MS, 0);
    } else if (health->check == CHECK_TCP) {
        close_tcp(health);
        if (health->resolving) /* a resolve still queued ends at once; a running one soon */
            uv_cancel((uv_req_t *)&health->resolve);
    }
}

static void schedule(struct sup_health *health)
{
    if (health->svc && !health->paused && health->check == CHECK_IDLE)
        uv_timer_start(&health->timer, on_timer, health->spec->interval_ms, 0);
}

void sup_health_start(struct sup_service *svc)
{
    if (svc->health || svc->spec->health.kind == BT_SVCSPEC_HEALTH_NONE)
        return;
    struct sup_health *health = calloc(1, sizeof(*health));
    if (!health) {
        bt_log_error("%s: no memory for health checks", svc->name);
        return;
    }
    health->svc = svc;
    health->spec = &svc->spec->health;
    health->paused = svc->paused;
    health->started_ms = uv_now(svc->sup->loop);
    health->pidfd = -1;
    uv_timer_init(svc->sup->loop, &health->timer);
    health->timer.data = health;
    health->pending = 1;
    svc->health = health;
    schedule(health);
}

void sup_health_stop(struct sup_service *svc)
{
    struct sup_health *health = svc->health;
    if (!health)
        return;
    svc->health = NULL;
    health->svc = NULL;
    uv_timer_stop(&health->timer);
    switch (health->check) {
    case CHECK_IDLE: uv_close((uv_handle_t *)&health->timer, on_handle_closed); break;
    case CHECK_EXEC:
        /* bottle exec forwards the SIGTERM to the command; SIGKILL for it after the grace,
         * so that a stuck check cannot keep bottled's loop alive. check_over closes. */
        if (!health->killing)
            kill_process(health, SIGTERM);
        health->killing = true;
        uv_timer_start(&health->timer, on_timer, KILL_GRACE_MS, 0);
        break;
    case CHECK_TCP:
        close_tcp(health);
        if (health->resolving)
            uv_cancel((uv_req_t *)&health->resolve);
        break;
    }
}

void sup_health_pause(struct sup_service *svc, bool paused)
{
    struct sup_health *health = svc->health;
    if (!health || health->paused == paused)
        return;
    health->paused = paused;
    if (paused) {
        if (health->check == CHECK_IDLE)
            uv_timer_stop(&health->timer);
        return;
    }
    /* Thawed: a full interval before the next check, as after a start. */
    schedule(health);
}
