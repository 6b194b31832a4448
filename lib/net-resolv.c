/* The files a bridged container gets in its /etc: resolv.conf with the host's name servers (a
 * loopback server is unreachable from the container's netns, so it is replaced by what it
 * forwards to or left out), hosts with the container's own name, and hostname. libc only. */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"

/* systemd-resolved's list of the servers its 127.0.0.53 stub forwards to. */
#define RESOLVED_UPSTREAM "/run/systemd/resolve/resolv.conf"

static bool loopback_server(const char *address)
{
    struct in_addr in;
    struct in6_addr in6;
    if (inet_pton(AF_INET, address, &in) == 1)
        return (ntohl(in.s_addr) >> 24) == 127;
    return inet_pton(AF_INET6, address, &in6) == 1 && IN6_IS_ADDR_LOOPBACK(&in6);
}

/* Copies FROM's lines to OUT, leaving out loopback name servers; counts the servers kept and
 * the loopback ones dropped. */
static void copy_resolv(FILE *from, FILE *out, int *kept, int *dropped)
{
    char line[1024];
    while (fgets(line, sizeof(line), from)) {
        char key[32], value[256];
        if (sscanf(line, "%31s %255s", key, value) == 2 && strcmp(key, "nameserver") == 0) {
            if (loopback_server(value)) {
                (*dropped)++;
                continue;
            }
            (*kept)++;
        }
        fputs(line, out);
        if (!strchr(line, '\n'))
            fputc('\n', out);
    }
}

static int write_text(const char *dir, const char *name, const char *text, struct bt_err *err)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    cleanup_close int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return bt_err_sys(err, errno, "create %s", path);
    size_t len = strlen(text);
    if (write(fd, text, len) != (ssize_t)len)
        return bt_err_sys(err, errno, "write %s", path);
    return 0;
}

int bt_net_write_files(const char *dir, const char *resolv, const char *hostname,
                       struct in_addr address, struct bt_err *err)
{
    char path[PATH_MAX], text[1024], ip[INET_ADDRSTRLEN];
    if (!resolv)
        resolv = "/etc/resolv.conf";
    snprintf(path, sizeof(path), "%s/resolv.conf", dir);
    cleanup_fclose FILE *out = fopen(path, "we");
    if (!out)
        return bt_err_sys(err, errno, "create %s", path);
    int kept = 0, dropped = 0;
    cleanup_fclose FILE *from = fopen(resolv, "re");
    if (from)
        copy_resolv(from, out, &kept, &dropped);
    if (dropped && kept == 0) {
        /* Only a local stub: ask it where it forwards to. */
        cleanup_fclose FILE *upstream = fopen(RESOLVED_UPSTREAM, "re");
        int up_dropped = 0;
        if (upstream) {
            fputs("# the servers the host's local resolver forwards to\n", out);
            copy_resolv(upstream, out, &kept, &up_dropped);
        }
        if (kept == 0)
            fprintf(stderr,
                    "bottle: warning: %s has only loopback name servers, which a container "
                    "cannot reach; its resolv.conf has none\n",
                    resolv);
    }
    if (fflush(out) != 0 || ferror(out))
        return bt_err_sys(err, errno ? errno : EIO, "write %s", path);

    inet_ntop(AF_INET, &address, ip, sizeof(ip));
    snprintf(text, sizeof(text),
             "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n%s\t%s\n", ip,
             hostname);
    int ret = write_text(dir, "hosts", text, err);
    if (ret < 0)
        return ret;
    snprintf(text, sizeof(text), "%s\n", hostname);
    return write_text(dir, "hostname", text, err);
}
