/* Container networking: the config a container asks for (from its spec's org.bottle.*
 * annotations), the record its shim keeps in the state dir, the lease allocator, the files a
 * bridged container gets (/etc/resolv.conf, hosts, hostname), and the kernel side (netlink
 * links and addresses, nftables tables). Everything bottle makes on the host is named after its
 * container or bridge, so that it can be found and removed after a crash. */
#ifndef BT_NET_H
#define BT_NET_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct bt_spec;

#define BT_NET_PORTS_MAX      64
#define BT_NET_DEFAULT_BRIDGE "bottle0"
#define BT_NET_DEFAULT_SUBNET "10.88.0.0/16"

enum bt_net_mode {
    BT_NET_NONE,      /* own netns, only lo (also: no annotation at all) */
    BT_NET_HOST,      /* the host's netns */
    BT_NET_BRIDGE,    /* own netns, eth0 on a bridge, NAT */
    BT_NET_CONTAINER, /* another container's netns (the spec's namespace path) */
};

/* A published port: -p [IP:]HOST:CONTAINER[/udp]. host_ip "" means every local address. */
struct bt_net_port {
    char host_ip[INET_ADDRSTRLEN];
    uint16_t host_port, container_port;
    bool udp;
};

/* What a container asks for. Addresses are in network byte order. */
struct bt_net_config {
    enum bt_net_mode mode;
    char bridge[16];       /* IFNAMSIZ */
    struct in_addr subnet; /* the network address */
    int prefix;            /* 8..30 */
    struct bt_net_port ports[BT_NET_PORTS_MAX];
    size_t ports_len;
};

/* What a bridged container got: the config plus its address and the names of what was made.
 * Kept as STATE/containers/ID/net (key=value lines) from before anything is made. */
struct bt_net_record {
    struct bt_net_config config;
    char id[72];
    char leases_dir[512]; /* STATE/net: the bridge's lease file and lock */
    struct in_addr address;
    char veth[16];  /* the host side; the container side is eth0 */
    char table[96]; /* the container's nftables table (ip family) */
};

/* ---- net-config.c ---- */

/* Parses -p/ports text "[IP:]HOST:CONTAINER[/udp|/tcp]". Returns 0 or -EINVAL with ERR naming
 * TEXT. */
int bt_net_parse_port(const char *text, struct bt_net_port *port, struct bt_err *err);

/* Parses "A.B.C.D/N" (N 8..30) into a network address and prefix (host bits must be zero). */
int bt_net_parse_subnet(const char *text, struct in_addr *subnet, int *prefix, struct bt_err *err);

/* True when NAME is a usable interface name (1..15 of [A-Za-z0-9_.-]). */
bool bt_net_valid_ifname(const char *name);

/* Reads the org.bottle.network, .bridge, .subnet and .ports annotations of SPEC into CONFIG
 * (strictly: an unknown org.bottle.net* key or a bad value is an error). A missing bridge or
 * subnet comes from $BOTTLE_BRIDGE / $BOTTLE_SUBNET, else the defaults above. Returns 0 or
 * -EINVAL with ERR filled. */
int bt_net_config_from_spec(const struct bt_spec *spec, struct bt_net_config *config,
                            struct bt_err *err);

/* The record's text form and back; write is atomic (tmp + rename). */
int bt_net_record_write(const char *path, const struct bt_net_record *record, struct bt_err *err);
int bt_net_record_read(const char *path, struct bt_net_record *record, struct bt_err *err);

/* The names a container's host objects get: a veth "bt" + 8 hex digits of a hash of its state
 * dir, a table "bottle_c_" + the same. Fills record->veth and record->table. */
void bt_net_record_names(struct bt_net_record *record, const char *state_dir);

/* ---- net-ipam.c (no library but libc: the static shim uses it) ---- */

/* Leases one address of CONFIG's subnet (never the network, the gateway .1 or the broadcast
 * address) to ID, in DIR/BRIDGE.leases under an flock on DIR/BRIDGE.lock; the file is replaced
 * atomically, so a crash never loses or doubles a lease. An address stays leased until
 * released, also after a crash (bt_net_reconcile frees the leases of dead containers). The
 * address after the last one handed out comes first, so a freed address is reused last.
 * Returns 0 with *ADDRESS set, -EADDRNOTAVAIL when the subnet is full, or -errno; ERR filled. */
int bt_net_ipam_alloc(const char *dir, const struct bt_net_config *config, const char *id,
                      struct in_addr *address, struct bt_err *err);

/* Releases ID's lease (none: fine). *LEFT is set to the number of leases left on the bridge
 * when LEFT is not NULL. Returns 0 or -errno with ERR filled. */
int bt_net_ipam_release(const char *dir, const char *bridge, const char *id, size_t *left,
                        struct bt_err *err);

/* Runs FN(ARG) with the bridge's lock held (creating the bridge and deleting it when its last
 * lease is gone must not interleave). Returns FN's result or -errno. */
int bt_net_ipam_locked(const char *dir, const char *bridge, int (*fn)(void *arg), void *arg,
                       struct bt_err *err);

/* The number of leases on BRIDGE, read without the lock (call it from bt_net_ipam_locked). */
int bt_net_ipam_count(const char *dir, const char *bridge, size_t *count, struct bt_err *err);

/* The leases on BRIDGE, as "ADDRESS ID" lines in *TEXT (malloc'ed, caller frees). */
int bt_net_ipam_list(const char *dir, const char *bridge, char **text, struct bt_err *err);

/* ---- net-resolv.c ---- */

/* Writes DIR/resolv.conf (the host's name servers; a loopback one such as systemd-resolved's
 * 127.0.0.53 is replaced by the servers it forwards to, from /run/systemd/resolve/resolv.conf,
 * or left out with a warning on stderr), DIR/hosts (localhost and HOSTNAME at ADDRESS) and
 * DIR/hostname. RESOLV is the host file to read (NULL: /etc/resolv.conf). */
int bt_net_write_files(const char *dir, const char *resolv, const char *hostname,
                       struct in_addr address, struct bt_err *err);

/* ---- net-helper.c (libc only) ---- */

/* Runs bottle-net (beside the running executable, or $BOTTLE_NET) with ARGV[1...] and waits;
 * its stderr's last line becomes ERR's message on failure. Returns 0 or -errno. */
int bt_net_helper_run(const char *const *argv, struct bt_err *err);

/* What bottled calls on start, after a crash: for every container under STATE_ROOT whose shim
 * is gone, removes its veth, nftables table and lease; then every bridge of STATE_ROOT with no
 * lease left (and its table). Runs `bottle-net reconcile STATE_ROOT`. Returns 0 or -errno. */
int bt_net_reconcile(const char *state_root, struct bt_err *err);

/* ---- net-link.c (libmnl) and net-nft.c (libnftables): only bottle-net links them ---- */

/* Makes the bridge (when missing) with the subnet's .1 as its address, up, with
 * route_localnet on (published ports reached from 127.0.0.1), and ip_forward on. Returns 1
 * when it created the bridge, 0 when it was there, or -errno. */
int bt_net_link_bridge(const struct bt_net_config *config, struct bt_err *err);

/* Creates the veth pair RECORD->veth (on the bridge, up) / eth0 in the netns NETNS_FD, then in
 * that netns: RECORD->address on eth0, eth0 up, default route via the bridge. */
int bt_net_link_container(const struct bt_net_record *record, int netns_fd, struct bt_err *err);

/* Deletes link NAME; a missing link is fine. */
int bt_net_link_delete(const char *name, struct bt_err *err);

/* The bridge's table "bottle_b_BRIDGE" (masquerade from the subnet, forward accept) and the
 * container's RECORD->table (DNAT of its published ports from outside and from the host,
 * masquerade of host-local clients). Both made whole in one transaction. */
int bt_net_nft_bridge(const struct bt_net_config *config, struct bt_err *err);
int bt_net_nft_container(const struct bt_net_record *record, struct bt_err *err);

/* Deletes table NAME (ip family); a missing table is fine. */
int bt_net_nft_delete(const char *name, struct bt_err *err);

/* "bottle_b_" + BRIDGE. */
void bt_net_nft_bridge_table(const char *bridge, char *buf, size_t len);

/* ---- net-setup.c: the whole sequence, for bottle-net ---- */

/* Sets up the record's container whose netns is NETNS_PATH: bridge (under the lease lock),
 * bridge table, veth, addresses, route, container table. On failure, undoes what it made. */
int bt_net_up(const struct bt_net_record *record, const char *netns_path, struct bt_err *err);

/* Removes what bt_net_up made for the record in STATE_DIR/net, releases the lease, and
 * removes the bridge and its table when that was the last lease. Missing pieces are fine. */
int bt_net_down(const char *state_dir, struct bt_err *err);

/* The work of bt_net_reconcile, in-process. */
int bt_net_reconcile_now(const char *state_root, struct bt_err *err);

#endif
