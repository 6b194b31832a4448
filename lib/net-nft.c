/* NAT through libnftables: one table per bridge (masquerade out of the subnet) and one per
 * container with published ports (DNAT), each replaced or deleted whole in one transaction, so
 * that removing a container is deleting its table and nothing else of the host's rules is
 * touched. Only bottle-net links this (libnftables is a shared library only). */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <nftables/libnftables.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void cleanup_nft_fn(struct nft_ctx **nft)
{
    if (*nft)
        nft_ctx_free(*nft);
}
#define cleanup_nft __attribute__((cleanup(cleanup_nft_fn)))

/* Runs the nft commands in TEXT as one transaction. */
static int run(const char *text, const char *what, struct bt_err *err)
{
    cleanup_nft struct nft_ctx *nft = nft_ctx_new(NFT_CTX_DEFAULT);
    if (!nft)
        return bt_err_sys(err, ENOMEM, "%s: nft_ctx_new", what);
    nft_ctx_buffer_output(nft);
    nft_ctx_buffer_error(nft);
    if (nft_run_cmd_from_buffer(nft, text) != 0) {
        const char *msg = nft_ctx_get_error_buffer(nft);
        char line[256] = "";
        if (msg) {
            snprintf(line, sizeof(line), "%s", msg);
            line[strcspn(line, "\n")] = '\0';
        }
        return bt_err_msg(err, EIO, "%s: nftables: %s", what, line[0] ? line : "failed");
    }
    return 0;
}

void bt_net_nft_bridge_table(const char *bridge, char *buf, size_t len)
{
    snprintf(buf, len, "bottle_b_%s", bridge);
}

/* Appends to BUF (of LEN, USED so far); returns false when it did not fit. */
static bool append(char *buf, size_t len, size_t *used, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static bool append(char *buf, size_t len, size_t *used, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = *used < len ? vsnprintf(buf + *used, len - *used, fmt, ap) : 0;
    va_end(ap);
    *used += n > 0 ? (size_t)n : 0;
    return *used < len;
}

int bt_net_nft_bridge(const struct bt_net_config *config, struct bt_err *err)
{
    char table[48], subnet[INET_ADDRSTRLEN], text[2048];
    bt_net_nft_bridge_table(config->bridge, table, sizeof(table));
    inet_ntop(AF_INET, &config->subnet, subnet, sizeof(subnet));
    /* add + delete + create: replaces the table whole, and works when it is missing. */
    snprintf(text, sizeof(text),
             "add table ip %s\n"
             "delete table ip %s\n"
             "table ip %s {\n"
             "  comment \"bottle bridge %s\"\n"
             "  chain postrouting {\n"
             "    type nat hook postrouting priority srcnat; policy accept;\n"
             "    ip saddr %s/%d oifname != \"%s\" masquerade\n"
             "    oifname \"%s\" ip saddr 127.0.0.0/8 masquerade\n"
             "  }\n"
             "  chain forward {\n"
             "    type filter hook forward priority filter; policy accept;\n"
             "    iifname \"%s\" accept\n"
             "    oifname \"%s\" ct state established,related accept\n"
             "    oifname \"%s\" ct status dnat accept\n"
             "  }\n"
             "}\n",
             table, table, table, config->bridge, subnet, config->prefix, config->bridge,
             config->bridge, config->bridge, config->bridge, config->bridge);
    return run(text, table, err);
}

int bt_net_nft_container(const struct bt_net_record *record, struct bt_err *err)
{
    const struct bt_net_config *config = &record->config;
    char address[INET_ADDRSTRLEN], text[16384], rules[12288];
    size_t used = 0;
    inet_ntop(AF_INET, &record->address, address, sizeof(address));
    rules[0] = '\0';
    for (size_t i = 0; i < config->ports_len; i++) {
        const struct bt_net_port *p = &config->ports[i];
        char match[64];
        if (p->host_ip[0])
            snprintf(match, sizeof(match), "ip daddr %s", p->host_ip);
        else
            snprintf(match, sizeof(match), "fib daddr type local");
        if (!append(rules, sizeof(rules), &used, "    %s %s dport %u dnat to %s:%u\n", match,
                    p->udp ? "udp" : "tcp", p->host_port, address, p->container_port))
            return bt_err_msg(err, E2BIG, "%s: too many ports", record->table);
    }
    snprintf(text, sizeof(text),
             "add table ip %s\n"
             "delete table ip %s\n"
             "table ip %s {\n"
             "  comment \"bottle container %s\"\n"
             "  chain prerouting {\n"
             "    type nat hook prerouting priority dstnat; policy accept;\n"
             "%s"
             "  }\n"
             "  chain output {\n"
             "    type nat hook output priority -100; policy accept;\n"
             "%s"
             "  }\n"
             "}\n",
             record->table, record->table, record->table, record->id, rules, rules);
    return run(text, record->table, err);
}

int bt_net_nft_delete(const char *name, struct bt_err *err)
{
    char text[256];
    snprintf(text, sizeof(text), "add table ip %s\ndelete table ip %s\n", name, name);
    return run(text, name, err);
}
