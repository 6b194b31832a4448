/* A container's network config from its spec's org.bottle.* annotations (parsed strictly: a
 * key we do not know under org.bottle.net is an error, never ignored), published port and
 * subnet text, and the record the shim keeps so that a crash leaves nothing nameless. */
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
#include "spec.h"

bool bt_net_valid_ifname(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len > 15 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return false;
    return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == len;
}

/* A decimal port 1..65535 in TEXT, or -1. */
static int port_number(const char *text, size_t len)
{
    if (len == 0 || len > 5 || strspn(text, "0123456789") < len)
        return -1;
    int value = 0;
    for (size_t i = 0; i < len; i++)
        value = value * 10 + (text[i] - '0');
    return value >= 1 && value <= 65535 ? value : -1;
}

int bt_net_parse_port(const char *text, struct bt_net_port *port, struct bt_err *err)
{
    char buf[128];
    memset(port, 0, sizeof(*port));
    if (strlen(text) >= sizeof(buf))
        return bt_err_msg(err, EINVAL, "port %.40s...: too long", text);
    snprintf(buf, sizeof(buf), "%s", text);
    char *slash = strchr(buf, '/');
    if (slash) {
        *slash = '\0';
        if (strcmp(slash + 1, "udp") == 0)
            port->udp = true;
        else if (strcmp(slash + 1, "tcp") != 0)
            return bt_err_msg(err, EINVAL, "port %s: the protocol must be tcp or udp", text);
    }
    char *last = strrchr(buf, ':');
    if (!last)
        return bt_err_msg(err, EINVAL, "port %s: expected [IP:]HOST:CONTAINER[/udp]", text);
    *last = '\0';
    char *host = strrchr(buf, ':');
    if (host) {
        *host++ = '\0';
        struct in_addr ip;
        if (inet_pton(AF_INET, buf, &ip) != 1)
            return bt_err_msg(err, EINVAL, "port %s: '%s' is no IPv4 address", text, buf);
        inet_ntop(AF_INET, &ip, port->host_ip, sizeof(port->host_ip));
    } else {
        host = buf;
    }
    int host_port = port_number(host, strlen(host));
    int container_port = port_number(last + 1, strlen(last + 1));
    if (host_port < 0 || container_port < 0)
        return bt_err_msg(err, EINVAL, "port %s: ports are 1..65535", text);
    port->host_port = (uint16_t)host_port;
    port->container_port = (uint16_t)container_port;
    return 0;
}

int bt_net_parse_subnet(const char *text, struct in_addr *subnet, int *prefix, struct bt_err *err)
{
    char buf[32];
    const char *slash = strchr(text, '/');
    if (!slash || (size_t)(slash - text) >= sizeof(buf))
        return bt_err_msg(err, EINVAL, "subnet %s: expected A.B.C.D/N", text);
    memcpy(buf, text, (size_t)(slash - text));
    buf[slash - text] = '\0';
    int bits = port_number(slash + 1, strlen(slash + 1));
    if (inet_pton(AF_INET, buf, subnet) != 1 || bits < 8 || bits > 30)
        return bt_err_msg(err, EINVAL, "subnet %s: expected A.B.C.D/N with N 8..30", text);
    uint32_t mask = htonl(~0U << (32 - bits));
    if (subnet->s_addr & ~mask)
        return bt_err_msg(err, EINVAL, "subnet %s: host bits are set", text);
    *prefix = bits;
    return 0;
}

static int parse_ports(const char *text, struct bt_net_config *config, struct bt_err *err)
{
    char buf[BT_NET_PORTS_MAX * 48];
    if (strlen(text) >= sizeof(buf))
        return bt_err_msg(err, E2BIG, "org.bottle.ports: too long");
    snprintf(buf, sizeof(buf), "%s", text);
    char *save = NULL;
    for (char *item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        if (config->ports_len == BT_NET_PORTS_MAX)
            return bt_err_msg(err, E2BIG, "org.bottle.ports: more than %d ports", BT_NET_PORTS_MAX);
        struct bt_net_port *port = &config->ports[config->ports_len];
        int ret = bt_net_parse_port(item, port, err);
        if (ret < 0)
            return bt_err_wrap(err, "org.bottle.ports");
        for (size_t i = 0; i < config->ports_len; i++)
            if (config->ports[i].host_port == port->host_port && config->ports[i].udp == port->udp)
                return bt_err_msg(err, EINVAL, "org.bottle.ports: host port %u/%s twice",
                                  port->host_port, port->udp ? "udp" : "tcp");
        config->ports_len++;
    }
    return 0;
}

int bt_net_config_from_spec(const struct bt_spec *spec, struct bt_net_config *config,
                            struct bt_err *err)
{
    memset(config, 0, sizeof(*config));
    const char *mode = NULL, *bridge = NULL, *subnet = NULL, *ports = NULL;
    for (size_t i = 0; i < spec->annotations_len; i++) {
        const char *key = spec->annotations[i].key, *value = spec->annotations[i].value;
        if (strcmp(key, "org.bottle.network") == 0)
            mode = value;
        else if (strcmp(key, "org.bottle.bridge") == 0)
            bridge = value;
        else if (strcmp(key, "org.bottle.subnet") == 0)
            subnet = value;
        else if (strcmp(key, "org.bottle.ports") == 0)
            ports = value;
        else if (strncmp(key, "org.bottle.net", 14) == 0)
            return bt_err_msg(err, EINVAL, "annotations: unknown key %s", key);
    }
    const struct bt_spec_namespace *net = bt_spec_find_ns(spec, BT_SPEC_NS_NETWORK);
    if (!mode || strcmp(mode, "none") == 0) {
        config->mode = !net ? BT_NET_HOST : net->path ? BT_NET_CONTAINER : BT_NET_NONE;
    } else if (strcmp(mode, "host") == 0) {
        config->mode = BT_NET_HOST;
        if (net)
            return bt_err_msg(err, EINVAL,
                              "org.bottle.network host: linux.namespaces has a network one");
    } else if (strcmp(mode, "bridge") == 0) {
        config->mode = BT_NET_BRIDGE;
        if (!net || net->path)
            return bt_err_msg(err, EINVAL,
                              "org.bottle.network bridge needs a new network namespace");
    } else if (strncmp(mode, "container:", 10) == 0) {
        config->mode = BT_NET_CONTAINER;
        if (!net || !net->path)
            return bt_err_msg(err, EINVAL,
                              "org.bottle.network %s needs the network namespace's path", mode);
    } else {
        return bt_err_msg(err, EINVAL,
                          "org.bottle.network %s: expected none, host, bridge or container:NAME",
                          mode);
    }
    if (config->mode != BT_NET_BRIDGE && ports)
        return bt_err_msg(err, EINVAL, "org.bottle.ports: ports are published in bridge mode only");
    if (!bridge)
        bridge = getenv("BOTTLE_BRIDGE");
    if (!bridge || !*bridge)
        bridge = BT_NET_DEFAULT_BRIDGE;
    if (!bt_net_valid_ifname(bridge))
        return bt_err_msg(err, EINVAL, "bridge %s: not a valid interface name", bridge);
    snprintf(config->bridge, sizeof(config->bridge), "%s", bridge);
    if (!subnet)
        subnet = getenv("BOTTLE_SUBNET");
    if (!subnet || !*subnet)
        subnet = BT_NET_DEFAULT_SUBNET;
    int ret = bt_net_parse_subnet(subnet, &config->subnet, &config->prefix, err);
    if (ret < 0)
        return ret;
    return ports ? parse_ports(ports, config, err) : 0;
}

/* ---- the record ---- */

void bt_net_record_names(struct bt_net_record *record, const char *state_dir)
{
    uint32_t hash = 2166136261u; /* FNV-1a */
    for (const char *p = state_dir; *p; p++)
        hash = (hash ^ (unsigned char)*p) * 16777619u;
    snprintf(record->veth, sizeof(record->veth), "bt%08x", hash);
    snprintf(record->table, sizeof(record->table), "bottle_c_%08x", hash);
}

int bt_net_record_write(const char *path, const struct bt_net_record *record, struct bt_err *err)
{
    const struct bt_net_config *c = &record->config;
    char text[8192], subnet[INET_ADDRSTRLEN], address[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &c->subnet, subnet, sizeof(subnet));
    inet_ntop(AF_INET, &record->address, address, sizeof(address));
    size_t n = (size_t)snprintf(text, sizeof(text),
                                "id=%s\nbridge=%s\nsubnet=%s/%d\naddress=%s\nveth=%s\ntable=%s\n"
                                "leases=%s\n",
                                record->id, c->bridge, subnet, c->prefix, address, record->veth,
                                record->table, record->leases_dir);
    for (size_t i = 0; i < c->ports_len && n < sizeof(text); i++) {
        const struct bt_net_port *p = &c->ports[i];
        n += (size_t)snprintf(text + n, sizeof(text) - n, "port=%s%s%u:%u/%s\n", p->host_ip,
                              p->host_ip[0] ? ":" : "", p->host_port, p->container_port,
                              p->udp ? "udp" : "tcp");
    }
    if (n >= sizeof(text))
        return bt_err_msg(err, E2BIG, "%s: record too long", path);
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    cleanup_close int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return bt_err_sys(err, errno, "create %s", tmp);
    if (write(fd, text, n) != (ssize_t)n || fsync(fd) < 0 || rename(tmp, path) < 0) {
        int saved = errno;
        unlink(tmp);
        return bt_err_sys(err, saved ? saved : EIO, "write %s", path);
    }
    return 0;
}

int bt_net_record_read(const char *path, struct bt_net_record *record, struct bt_err *err)
{
    memset(record, 0, sizeof(*record));
    cleanup_fclose FILE *f = fopen(path, "re");
    if (!f)
        return bt_err_sys(err, errno, "open %s", path);
    char line[1024];
    struct bt_net_config *c = &record->config;
    c->mode = BT_NET_BRIDGE;
    int ret = 0;
    while (ret == 0 && fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        char *value = strchr(line, '=');
        if (!value)
            continue;
        *value++ = '\0';
        if (strcmp(line, "id") == 0)
            snprintf(record->id, sizeof(record->id), "%s", value);
        else if (strcmp(line, "bridge") == 0 && bt_net_valid_ifname(value))
            snprintf(c->bridge, sizeof(c->bridge), "%s", value);
        else if (strcmp(line, "subnet") == 0)
            ret = bt_net_parse_subnet(value, &c->subnet, &c->prefix, err);
        else if (strcmp(line, "address") == 0 && inet_pton(AF_INET, value, &record->address) != 1)
            ret = bt_err_msg(err, EINVAL, "%s: bad address %s", path, value);
        else if (strcmp(line, "veth") == 0 && bt_net_valid_ifname(value))
            snprintf(record->veth, sizeof(record->veth), "%s", value);
        else if (strcmp(line, "table") == 0 && strncmp(value, "bottle_c_", 9) == 0)
            snprintf(record->table, sizeof(record->table), "%s", value);
        else if (strcmp(line, "leases") == 0)
            snprintf(record->leases_dir, sizeof(record->leases_dir), "%s", value);
        else if (strcmp(line, "port") == 0 && c->ports_len < BT_NET_PORTS_MAX)
            ret = bt_net_parse_port(value, &c->ports[c->ports_len++], err);
    }
    if (ret == 0 && (!c->bridge[0] || !record->veth[0] || !record->table[0] || !record->id[0]))
        ret = bt_err_msg(err, EINVAL, "%s: incomplete network record", path);
    return ret;
}
