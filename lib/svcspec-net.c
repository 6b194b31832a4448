/* The parts of a service spec that name addresses and paths: network and published ports,
 * mounts, and the health check. Only their text is checked: nothing here resolves a host name
 * or looks at a path. */
#include "svcspec-internal.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_MS (86400 * UINT64_C(1000))

/* A decimal port 1..65535 in TEXT[0..LEN): 0 when it is no port at all, -1 when out of
 * range. */
static int port_number(const char *text, size_t len)
{
    unsigned long value = 0;
    if (len == 0 || len > 10)
        return 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] < '0' || text[i] > '9')
            return 0;
        value = value * 10 + (unsigned long)(text[i] - '0');
    }
    return value >= 1 && value <= 65535 ? (int)value : -1;
}

/* "[IP:]HOST:CONTAINER[/tcp|/udp]", an IPv6 address in brackets ("[::1]:8080:80"). */
static int parse_port(struct svc_ctx *c, const char *path, const char *text,
                      struct bt_svcspec_port *port)
{
    char shown[BT_JSONREAD_SHOWN_MAX], buf[128], ip[64] = "";
    bt_jsonread_printable(shown, sizeof(shown), text);
    if (strlen(text) >= sizeof(buf))
        goto syntax;
    strcpy(buf, text);
    char *slash = strrchr(buf, '/');
    if (slash) {
        if (strcmp(slash + 1, "udp") != 0 && strcmp(slash + 1, "tcp") != 0)
            return bt_jsonread_fail(&c->json, path, "'%s': the protocol must be tcp or udp", shown);
        port->udp = strcmp(slash + 1, "udp") == 0;
        *slash = '\0';
    }
    char *ports = buf;
    int family = 0;
    if (buf[0] == '[') {
        char *close = strchr(buf, ']');
        if (!close || close[1] != ':' || (size_t)(close - buf - 1) >= sizeof(ip))
            goto syntax;
        snprintf(ip, sizeof(ip), "%.*s", (int)(close - buf - 1), buf + 1);
        family = AF_INET6;
        ports = close + 2;
    } else {
        char *first = strchr(buf, ':'), *last = strrchr(buf, ':');
        if (first && first != last) {
            if (strchr(first + 1, ':') != last || (size_t)(first - buf) >= sizeof(ip))
                goto syntax;
            snprintf(ip, sizeof(ip), "%.*s", (int)(first - buf), buf);
            family = AF_INET;
            ports = first + 1;
        }
    }
    if (family) {
        unsigned char addr[sizeof(struct in6_addr)];
        if (inet_pton(family, ip, addr) != 1)
            return bt_jsonread_fail(&c->json, path, "'%s': '%s' is not an IP%s address", shown, ip,
                                    family == AF_INET6 ? "v6" : "v4");
        inet_ntop(family, addr, port->host_ip, sizeof(port->host_ip));
    }
    char *colon = strchr(ports, ':');
    if (!colon || strchr(colon + 1, ':'))
        goto syntax;
    int host = port_number(ports, (size_t)(colon - ports));
    int container = port_number(colon + 1, strlen(colon + 1));
    if (host == 0 || container == 0)
        goto syntax;
    if (host < 0 || container < 0)
        return bt_jsonread_fail(&c->json, path, "'%s': ports are 1..65535", shown);
    port->host_port = (uint16_t)host;
    port->container_port = (uint16_t)container;
    return 0;
syntax:
    return bt_jsonread_fail(&c->json, path, "expected [IP:]HOST:CONTAINER[/udp], got '%s'", shown);
}

/* Two entries may not publish one host port: the second bind would fail at start. */
static int check_ports_unique(struct svc_ctx *c, const char *path,
                              const struct bt_svcspec_port *ports, size_t len)
{
    char p[BT_JSONREAD_PATH_MAX];
    for (size_t i = 1; i < len; i++) {
        for (size_t j = 0; j < i; j++) {
            const struct bt_svcspec_port *a = &ports[i], *b = &ports[j];
            if (a->host_port == b->host_port && a->udp == b->udp &&
                (!a->host_ip[0] || !b->host_ip[0] || strcmp(a->host_ip, b->host_ip) == 0))
                return bt_jsonread_fail(&c->json, bt_jsonread_item(p, path, i),
                                        "host port %u/%s is already published by ports[%zu]",
                                        a->host_port, a->udp ? "udp" : "tcp", j);
        }
    }
    return 0;
}

int bt_svcspec_i_parse_network(struct svc_ctx *c, const char *path, struct json_object *obj,
                               struct bt_svcspec_service *service)
{
    static const char *const names[] = {
        [BT_SVCSPEC_NETWORK_NONE] = "none",
        [BT_SVCSPEC_NETWORK_HOST] = "host",
        [BT_SVCSPEC_NETWORK_BRIDGE] = "bridge",
    };
    char p[BT_JSONREAD_PATH_MAX], shown[BT_JSONREAD_SHOWN_MAX];
    const char *text;
    int ret = 0;
    struct json_object *value = bt_jsonread_member(obj, "network");
    if (value) {
        bt_jsonread_sub(p, path, "network");
        ret = bt_jsonread_get_str(&c->json, p, value, BT_SVCSPEC_STRING_MAX, &text);
        size_t i = 0;
        while (ret == 0 && i < 3 && strcmp(names[i], text) != 0)
            i++;
        if (ret == 0 && i == 3)
            return bt_jsonread_fail(&c->json, p, "expected none, host or bridge, got '%s'",
                                    bt_jsonread_printable(shown, sizeof(shown), text));
        service->network = (enum bt_svcspec_network)i;
    }
    struct json_object *list = bt_jsonread_member(obj, "ports");
    if (ret < 0 || !list)
        return ret;
    size_t len;
    bt_jsonread_sub(p, path, "ports");
    ret = bt_jsonread_get_array(&c->json, p, list, BT_SVCSPEC_ITEMS_MAX, &len);
    if (ret < 0)
        return ret;
    if (len && service->network != BT_SVCSPEC_NETWORK_BRIDGE)
        return bt_jsonread_fail(&c->json, p,
                                "publishing ports needs network bridge (network is %s)",
                                names[service->network]);
    service->ports = calloc(len ? len : 1, sizeof(*service->ports));
    if (!service->ports)
        return bt_jsonread_oom(&c->json);
    for (size_t i = 0; i < len; i++) {
        char q[BT_JSONREAD_PATH_MAX];
        bt_jsonread_item(q, p, i);
        ret = bt_jsonread_get_str(&c->json, q, json_object_array_get_idx(list, i),
                                  BT_JSONREAD_SHOWN_MAX, &text);
        if (ret == 0)
            ret = parse_port(c, q, text, &service->ports[i]);
        if (ret < 0)
            return ret;
        service->ports_len++;
    }
    return check_ports_unique(c, p, service->ports, service->ports_len);
}

/* Collapses "//" and drops "." components and a trailing '/', so that "/data/" and "/data"
 * are one target. PATH is absolute. */
static void normalise_path(char *path)
{
    char *out = path;
    for (const char *s = path; *s;) {
        while (*s == '/')
            s++;
        const char *end = strchrnul(s, '/');
        if (end == s || (end - s == 1 && *s == '.')) {
            s = end;
            continue;
        }
        *out++ = '/';
        memmove(out, s, (size_t)(end - s));
        out += end - s;
        s = end;
    }
    if (out == path)
        *out++ = '/';
    *out = '\0';
}

static int parse_mount(struct svc_ctx *c, const char *path, struct json_object *obj,
                       struct bt_svcspec_mount *mount)
{
    static const char *const known[] = {"source", "target", "type", "readonly", NULL};
    char p[BT_JSONREAD_PATH_MAX], shown[BT_JSONREAD_SHOWN_MAX];
    char *type = NULL;
    int ret = bt_svcspec_i_check_keys(c, path, obj, known, NULL);
    if (ret == 0)
        ret = bt_jsonread_field_nonempty(&c->json, path, obj, "type", false, BT_JSONREAD_SHOWN_MAX,
                                         &type);
    if (ret == 0 && type && strcmp(type, "tmpfs") == 0)
        mount->type = BT_SVCSPEC_MOUNT_TMPFS;
    else if (ret == 0 && type && strcmp(type, "bind") != 0)
        ret = bt_jsonread_fail(&c->json, bt_jsonread_sub(p, path, "type"),
                               "expected bind or tmpfs, got '%s'",
                               bt_jsonread_printable(shown, sizeof(shown), type));
    free(type);
    bool tmpfs = mount->type == BT_SVCSPEC_MOUNT_TMPFS;
    if (ret == 0 && tmpfs && bt_jsonread_member(obj, "source"))
        return bt_jsonread_fail(&c->json, bt_jsonread_sub(p, path, "source"),
                                "a tmpfs mount has no source");
    if (ret == 0 && !tmpfs)
        ret = bt_jsonread_field_nonempty(&c->json, path, obj, "source", true, BT_SVCSPEC_STRING_MAX,
                                         &mount->source);
    if (ret == 0 && !tmpfs)
        ret = bt_jsonread_check_abs_path(&c->json, bt_jsonread_sub(p, path, "source"),
                                         mount->source, false);
    if (ret == 0)
        ret = bt_jsonread_field_nonempty(&c->json, path, obj, "target", true, BT_SVCSPEC_STRING_MAX,
                                         &mount->target);
    if (ret == 0)
        ret = bt_jsonread_check_abs_path(&c->json, bt_jsonread_sub(p, path, "target"),
                                         mount->target, true);
    if (ret < 0)
        return ret;
    normalise_path(mount->target);
    if (strcmp(mount->target, "/") == 0)
        return bt_jsonread_fail(&c->json, p, "cannot mount over the container's root");
    struct json_object *readonly = bt_jsonread_member(obj, "readonly");
    if (readonly && !json_object_is_type(readonly, json_type_boolean))
        return bt_jsonread_fail(&c->json, bt_jsonread_sub(p, path, "readonly"),
                                "expected a boolean, got %s", bt_jsonread_type_name(readonly));
    mount->readonly = readonly && json_object_get_boolean(readonly);
    return 0;
}

int bt_svcspec_i_parse_mounts(struct svc_ctx *c, const char *path, struct json_object *obj,
                              struct bt_svcspec_service *service)
{
    char p[BT_JSONREAD_PATH_MAX], q[BT_JSONREAD_PATH_MAX], shown[BT_JSONREAD_SHOWN_MAX];
    struct json_object *list = bt_jsonread_member(obj, "mounts");
    size_t len;
    if (!list)
        return 0;
    bt_jsonread_sub(p, path, "mounts");
    int ret = bt_jsonread_get_array(&c->json, p, list, BT_SVCSPEC_ITEMS_MAX, &len);
    if (ret < 0)
        return ret;
    service->mounts = calloc(len ? len : 1, sizeof(*service->mounts));
    if (!service->mounts)
        return bt_jsonread_oom(&c->json);
    for (size_t i = 0; i < len; i++) {
        struct bt_svcspec_mount *mount = &service->mounts[i];
        service->mounts_len++;
        ret = parse_mount(c, bt_jsonread_item(q, p, i), json_object_array_get_idx(list, i), mount);
        if (ret < 0)
            return ret;
        for (size_t j = 0; j < i; j++)
            if (strcmp(service->mounts[j].target, mount->target) == 0)
                return bt_jsonread_fail(&c->json, bt_jsonread_sub(q, q, "target"),
                                        "%s is already mounted by mounts[%zu]",
                                        bt_jsonread_printable(shown, sizeof(shown), mount->target),
                                        j);
    }
    return 0;
}

/* "HOST:PORT" ("[::1]:6379" for IPv6) or a bare port number: the container's loopback. */
static int parse_tcp(struct svc_ctx *c, const char *path, struct json_object *value,
                     struct bt_svcspec_health *health)
{
    char shown[BT_JSONREAD_SHOWN_MAX];
    if (json_object_is_type(value, json_type_int)) {
        int64_t port;
        int ret = bt_svcspec_i_get_int(c, path, value, 1, 65535, &port);
        health->tcp_port = (uint16_t)port;
        return ret;
    }
    if (!json_object_is_type(value, json_type_string))
        return bt_jsonread_fail(&c->json, path, "expected \"HOST:PORT\" or a port, got %s",
                                bt_jsonread_type_name(value));
    const char *text = json_object_get_string(value), *host = text, *colon = strrchr(text, ':');
    size_t host_len = colon ? (size_t)(colon - text) : 0;
    bt_jsonread_printable(shown, sizeof(shown), text);
    bool good = colon && host_len > 0 && host_len <= 255;
    if (good && host[0] == '[') {
        char ip[64];
        unsigned char addr[sizeof(struct in6_addr)];
        good = host[host_len - 1] == ']' && host_len - 2 < sizeof(ip);
        if (good)
            snprintf(ip, sizeof(ip), "%.*s", (int)(host_len - 2), host + 1);
        good = good && inet_pton(AF_INET6, ip, addr) == 1;
        host++;
        host_len -= 2;
    } else {
        for (size_t i = 0; good && i < host_len; i++)
            good = isalnum((unsigned char)host[i]) || host[i] == '.' || host[i] == '-';
    }
    int port = good ? port_number(colon + 1, strlen(colon + 1)) : 0;
    if (port == 0)
        return bt_jsonread_fail(&c->json, path, "expected \"HOST:PORT\" or a port, got '%s'",
                                shown);
    if (port < 0)
        return bt_jsonread_fail(&c->json, path, "'%s': ports are 1..65535", shown);
    health->tcp_host = strndup(host, host_len);
    if (!health->tcp_host)
        return bt_jsonread_oom(&c->json);
    health->tcp_port = (uint16_t)port;
    return 0;
}

static int parse_check(struct svc_ctx *c, const char *path, struct json_object *obj,
                       struct bt_svcspec_health *health)
{
    char p[BT_JSONREAD_PATH_MAX];
    struct json_object *exec = bt_jsonread_member(obj, "exec");
    struct json_object *tcp = bt_jsonread_member(obj, "tcp");
    if (exec && tcp)
        return bt_jsonread_fail(&c->json, bt_jsonread_sub(p, path, "tcp"),
                                "cannot be used with exec (give one of the two)");
    if (!exec && !tcp)
        return bt_jsonread_fail(&c->json, path, "one of 'exec' or 'tcp' is required");
    if (tcp) {
        health->kind = BT_SVCSPEC_HEALTH_TCP;
        return parse_tcp(c, bt_jsonread_sub(p, path, "tcp"), tcp, health);
    }
    health->kind = BT_SVCSPEC_HEALTH_EXEC;
    bt_jsonread_sub(p, path, "exec");
    int ret = bt_jsonread_get_strv(&c->json, p, exec, BT_SVCSPEC_ARGS_MAX, BT_SVCSPEC_ARG_MAX, NULL,
                                   &health->exec, &health->exec_len, NULL);
    if (ret == 0 && health->exec_len == 0)
        return bt_jsonread_fail(&c->json, p, "must not be empty");
    if (ret == 0 && !health->exec[0][0])
        return bt_jsonread_fail(&c->json, bt_jsonread_item(p, p, 0), "must not be empty");
    return ret;
}

int bt_svcspec_i_parse_health(struct svc_ctx *c, const char *path, struct json_object *obj,
                              struct bt_svcspec_service *service)
{
    static const char *const known[] = {"exec",         "tcp",     "interval_s",
                                        "timeout_s",    "retries", "start_period_s",
                                        "on_unhealthy", NULL};
    static const char *const actions[] = {
        [BT_SVCSPEC_UNHEALTHY_RESTART] = "restart",
        [BT_SVCSPEC_UNHEALTHY_STOP] = "stop",
        [BT_SVCSPEC_UNHEALTHY_NONE] = "none",
    };
    char p[BT_JSONREAD_PATH_MAX], q[BT_JSONREAD_PATH_MAX], shown[BT_JSONREAD_SHOWN_MAX];
    struct bt_svcspec_health *health = &service->health;
    struct json_object *obj_health = bt_jsonread_member(obj, "health"), *value;
    int64_t retries = BT_SVCSPEC_HEALTH_RETRIES;
    if (!obj_health)
        return 0;
    bt_jsonread_sub(p, path, "health");
    health->interval_ms = BT_SVCSPEC_HEALTH_INTERVAL_MS;
    health->timeout_ms = BT_SVCSPEC_HEALTH_TIMEOUT_MS;
    int ret = bt_svcspec_i_check_keys(c, p, obj_health, known, NULL);
    if (ret == 0)
        ret = parse_check(c, p, obj_health, health);
    if (ret == 0)
        ret = bt_svcspec_i_field_seconds(c, p, obj_health, "interval_s", 1, DAY_MS,
                                         &health->interval_ms);
    if (ret == 0)
        ret = bt_svcspec_i_field_seconds(c, p, obj_health, "timeout_s", 1, DAY_MS,
                                         &health->timeout_ms);
    if (ret == 0)
        ret = bt_svcspec_i_field_int(c, p, obj_health, "retries", 1, 1000000, &retries);
    health->retries = (uint32_t)retries;
    if (ret == 0)
        ret = bt_svcspec_i_field_seconds(c, p, obj_health, "start_period_s", 0, DAY_MS,
                                         &health->start_period_ms);
    if (ret == 0 && (value = bt_jsonread_member(obj_health, "on_unhealthy"))) {
        const char *text;
        bt_jsonread_sub(q, p, "on_unhealthy");
        ret = bt_jsonread_get_str(&c->json, q, value, BT_SVCSPEC_STRING_MAX, &text);
        size_t i = 0;
        while (ret == 0 && i < 3 && strcmp(actions[i], text) != 0)
            i++;
        if (ret == 0 && i == 3)
            return bt_jsonread_fail(&c->json, q, "expected restart, stop or none, got '%s'",
                                    bt_jsonread_printable(shown, sizeof(shown), text));
        health->on_unhealthy = (enum bt_svcspec_on_unhealthy)i;
    }
    return ret;
}
