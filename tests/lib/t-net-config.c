/* Unit tests for lib/net-config.c (ports, subnets, annotations, the record) and, linked in by
 * the Makefile, lib/net-ipam.c (leases, also from concurrent processes) and lib/net-resolv.c. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net.h"
#include "spec.h"
#include "tap.h"

static char *slurp(const char *path)
{
    static char buf[8192];
    int fd = open(path, O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
    if (fd >= 0)
        close(fd);
    buf[n > 0 ? n : 0] = '\0';
    return buf;
}

static void test_ports(void)
{
    struct bt_net_port p;
    struct bt_err err = {0};
    is_int(bt_net_parse_port("8080:80", &p, &err), 0, "8080:80 parses");
    ok(p.host_port == 8080 && p.container_port == 80 && !p.udp && !p.host_ip[0], "8080:80 fields");
    is_int(bt_net_parse_port("127.0.0.1:53:5353/udp", &p, &err), 0, "IP:HOST:CONTAINER/udp");
    ok(p.udp && strcmp(p.host_ip, "127.0.0.1") == 0 && p.container_port == 5353, "its fields");
    static const char *const bad[] = {"80",          "0:80",       "80:65536", "a:80",
                                      "1.2.3:80:80", "80:80/sctp", ":80",      "80:"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        bt_err_clear(&err);
        ok(bt_net_parse_port(bad[i], &p, &err) == -EINVAL && strstr(err.msg, bad[i]),
           "bad port '%s' refused, named in the message", bad[i]);
    }
}

static void test_subnets(void)
{
    struct in_addr subnet;
    int prefix;
    struct bt_err err = {0};
    is_int(bt_net_parse_subnet("10.88.0.0/16", &subnet, &prefix, &err), 0, "10.88.0.0/16");
    ok(prefix == 16 && ntohl(subnet.s_addr) == 0x0a580000, "its network and prefix");
    ok(bt_net_parse_subnet("10.88.0.1/16", &subnet, &prefix, &err) == -EINVAL,
       "host bits set: refused");
    ok(bt_net_parse_subnet("10.88.0.0/31", &subnet, &prefix, &err) == -EINVAL, "/31 refused");
    ok(bt_net_parse_subnet("10.88.0.0", &subnet, &prefix, &err) == -EINVAL, "no prefix");
    ok(bt_net_valid_ifname("bottle0") && !bt_net_valid_ifname("0123456789abcdef") &&
           !bt_net_valid_ifname("a/b") && !bt_net_valid_ifname(""),
       "interface names");
}

static void test_annotations(void)
{
    struct bt_spec_namespace ns = {.type = BT_SPEC_NS_NETWORK};
    struct bt_spec_kv kv[3] = {{"org.bottle.network", "bridge"},
                               {"org.bottle.ports", "8080:80,53:53/udp"},
                               {"org.bottle.bridge", "br-x"}};
    struct bt_spec spec = {
        .namespaces = &ns, .namespaces_len = 1, .annotations = kv, .annotations_len = 3};
    struct bt_net_config c;
    struct bt_err err = {0};
    setenv("BOTTLE_SUBNET", "10.250.0.0/24", 1);
    is_int(bt_net_config_from_spec(&spec, &c, &err), 0, "bridge annotations parse");
    ok(c.mode == BT_NET_BRIDGE && c.ports_len == 2 && c.ports[1].udp &&
           strcmp(c.bridge, "br-x") == 0 && c.prefix == 24,
       "mode, ports, bridge, subnet from $BOTTLE_SUBNET");
    kv[2] = (struct bt_spec_kv){"org.bottle.netmask", "x"};
    ok(bt_net_config_from_spec(&spec, &c, &err) == -EINVAL && strstr(err.msg, "netmask"),
       "an unknown org.bottle.net* key is an error");
    kv[2] = (struct bt_spec_kv){"org.bottle.ports", "80:80,80:81"};
    spec.annotations = kv + 2;
    spec.annotations_len = 1;
    ok(bt_net_config_from_spec(&spec, &c, &err) == -EINVAL, "one host port twice: refused");
    spec.annotations_len = 0;
    is_int(bt_net_config_from_spec(&spec, &c, &err), 0, "no annotation");
    ok(c.mode == BT_NET_NONE, "no annotation, a new netns: none");
    ns.path = "/run/netns/other";
    bt_net_config_from_spec(&spec, &c, &err);
    ok(c.mode == BT_NET_CONTAINER, "a netns path: container");
}

static void test_record(const char *dir)
{
    struct bt_net_record r = {0}, back;
    struct bt_err err = {0};
    char path[512];
    snprintf(path, sizeof(path), "%s/net", dir);
    snprintf(r.id, sizeof(r.id), "web");
    snprintf(r.leases_dir, sizeof(r.leases_dir), "%s/leases", dir);
    snprintf(r.config.bridge, sizeof(r.config.bridge), "bottle0");
    bt_net_parse_subnet("10.88.0.0/16", &r.config.subnet, &r.config.prefix, &err);
    bt_net_parse_port("127.0.0.1:8080:80", &r.config.ports[0], &err);
    r.config.ports_len = 1;
    inet_pton(AF_INET, "10.88.0.7", &r.address);
    bt_net_record_names(&r, "/run/bottle/containers/web");
    ok(strncmp(r.veth, "bt", 2) == 0 && strlen(r.veth) == 10 &&
           strncmp(r.table, "bottle_c_", 9) == 0,
       "names: %s %s", r.veth, r.table);
    is_int(bt_net_record_write(path, &r, &err), 0, "record written");
    is_int(bt_net_record_read(path, &back, &err), 0, "record read back");
    ok(strcmp(back.id, "web") == 0 && back.address.s_addr == r.address.s_addr &&
           strcmp(back.veth, r.veth) == 0 && back.config.ports_len == 1 &&
           back.config.ports[0].host_port == 8080 && back.config.prefix == 16 &&
           strcmp(back.leases_dir, r.leases_dir) == 0,
       "the same record");
}

static void test_leases(const char *dir)
{
    struct bt_net_config c = {.prefix = 29};
    snprintf(c.bridge, sizeof(c.bridge), "b0");
    inet_pton(AF_INET, "10.9.0.0", &c.subnet);
    struct bt_err err = {0};
    struct in_addr a[6];
    char id[8];
    for (int i = 0; i < 5; i++) {
        snprintf(id, sizeof(id), "c%d", i);
        bt_net_ipam_alloc(dir, &c, id, &a[i], &err);
    }
    ok(ntohl(a[0].s_addr) == 0x0a090002 && ntohl(a[4].s_addr) == 0x0a090006,
       "a /29 gives .2 to .6 (not the network, gateway or broadcast)");
    ok(bt_net_ipam_alloc(dir, &c, "c5", &a[5], &err) == -EADDRNOTAVAIL, "then it is full");
    bt_net_ipam_alloc(dir, &c, "c1", &a[5], &err);
    ok(a[5].s_addr == a[1].s_addr, "the same name gets its own address back");
    size_t left = 9;
    is_int(bt_net_ipam_release(dir, "b0", "c1", &left, &err), 0, "release");
    is_int((int)left, 4, "four leases left");
    bt_net_ipam_alloc(dir, &c, "c9", &a[5], &err);
    ok(a[5].s_addr == a[1].s_addr, "the one freed address is handed out again");
    for (int i = 0; i < 5; i++) {
        snprintf(id, sizeof(id), "c%d", i);
        bt_net_ipam_release(dir, "b0", id, &left, &err);
    }
    bt_net_ipam_release(dir, "b0", "c9", &left, &err);
    is_int((int)left, 0, "all released");

    /* 20 processes take 10 leases each at once: 200 distinct addresses. */
    c.prefix = 23;
    alarm(60);
    for (int p = 0; p < 20; p++) {
        if (fork() == 0) {
            for (int i = 0; i < 10; i++) {
                char name[16];
                struct in_addr got;
                snprintf(name, sizeof(name), "p%d-%d", p, i);
                if (bt_net_ipam_alloc(dir, &c, name, &got, &err) < 0)
                    _exit(1);
            }
            _exit(0);
        }
    }
    int failures = 0, status;
    while (wait(&status) > 0)
        failures += !WIFEXITED(status) || WEXITSTATUS(status) != 0;
    alarm(0);
    is_int(failures, 0, "concurrent allocations succeed");
    char *text = NULL;
    bt_net_ipam_list(dir, "b0", &text, &err);
    int lines = 0, dups = 0;
    for (char *l = text; l && *l; l = strchr(l, '\n') + 1) {
        lines++;
        size_t len = strcspn(l, " ");
        for (char *m = strchr(l, '\n') + 1; *m; m = strchr(m, '\n') + 1)
            dups += strncmp(l, m, len + 1) == 0;
    }
    free(text);
    is_int(lines, 200, "200 leases");
    is_int(dups, 0, "no address twice");
}

static void test_resolv(const char *dir)
{
    char host[512];
    struct bt_err err = {0};
    struct in_addr a;
    inet_pton(AF_INET, "10.88.0.5", &a);
    snprintf(host, sizeof(host), "%s/host-resolv", dir);
    FILE *f = fopen(host, "w");
    fputs("search example.org\nnameserver 127.0.0.53\nnameserver 192.0.2.1\noptions edns0\n", f);
    fclose(f);
    is_int(bt_net_write_files(dir, host, "web", a, &err), 0, "files written");
    char path[600];
    snprintf(path, sizeof(path), "%s/resolv.conf", dir);
    char *text = slurp(path);
    ok(strstr(text, "nameserver 192.0.2.1") && !strstr(text, "127.0.0.53") &&
           strstr(text, "search example.org"),
       "loopback server left out, the rest kept");
    snprintf(path, sizeof(path), "%s/hosts", dir);
    ok(strstr(slurp(path), "10.88.0.5\tweb\n") != NULL, "hosts names the container");
    snprintf(path, sizeof(path), "%s/hostname", dir);
    ok(strcmp(slurp(path), "web\n") == 0, "hostname");
}

int main(void)
{
    char dir[] = "/tmp/t-net-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    plan(43);
    test_ports();
    test_subnets();
    test_annotations();
    test_record(dir);
    test_leases(dir);
    test_resolv(dir);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0)
        diag("could not remove %s", dir);
    return done();
}
