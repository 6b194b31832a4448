/* Links, addresses and routes through rtnetlink with libmnl: the bridge, a container's veth
 * pair (its inner end made directly in the container's netns, named eth0) and eth0's address
 * and default route. Only bottle-net links this (never the shim: it must not setns itself). */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"

static void cleanup_mnl_fn(struct mnl_socket **nl)
{
    if (*nl)
        mnl_socket_close(*nl);
}
#define cleanup_mnl __attribute__((cleanup(cleanup_mnl_fn)))

/* An rtnetlink socket in the caller's current netns. */
static struct mnl_socket *open_rtnl(struct bt_err *err)
{
    struct mnl_socket *nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
    if (!nl) {
        bt_err_sys(err, errno, "open a netlink socket");
        return NULL;
    }
    if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
        bt_err_sys(err, errno, "bind a netlink socket");
        mnl_socket_close(nl);
        return NULL;
    }
    return nl;
}

/* Sends NLH (with NLM_F_ACK) and reads the kernel's answer: 0 or -errno. */
static int talk(struct mnl_socket *nl, struct nlmsghdr *nlh)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    static unsigned seq;
    nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
    nlh->nlmsg_seq = ++seq + (unsigned)time(NULL);
    unsigned portid = mnl_socket_get_portid(nl);
    if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
        return -errno;
    ssize_t n;
    while ((n = mnl_socket_recvfrom(nl, buf, sizeof(buf))) > 0) {
        int ret = mnl_cb_run(buf, (size_t)n, nlh->nlmsg_seq, portid, NULL, NULL);
        if (ret <= MNL_CB_STOP)
            return ret < 0 ? -errno : 0;
    }
    return n < 0 ? -errno : -EIO;
}

static struct nlmsghdr *new_link_msg(char *buf, int type, int flags, struct ifinfomsg **out)
{
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = (uint16_t)type;
    nlh->nlmsg_flags = (uint16_t)flags;
    struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
    ifi->ifi_family = AF_UNSPEC;
    if (out)
        *out = ifi;
    return nlh;
}

static int set_up(struct mnl_socket *nl, int index)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct ifinfomsg *ifi;
    struct nlmsghdr *nlh = new_link_msg(buf, RTM_NEWLINK, 0, &ifi);
    ifi->ifi_index = index;
    ifi->ifi_change = IFF_UP;
    ifi->ifi_flags = IFF_UP;
    return talk(nl, nlh);
}

static int add_address(struct mnl_socket *nl, int index, struct in_addr address, int prefix)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = RTM_NEWADDR;
    nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
    struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
    ifa->ifa_family = AF_INET;
    ifa->ifa_prefixlen = (unsigned char)prefix;
    ifa->ifa_scope = RT_SCOPE_UNIVERSE;
    ifa->ifa_index = (unsigned)index;
    mnl_attr_put_u32(nlh, IFA_LOCAL, address.s_addr);
    mnl_attr_put_u32(nlh, IFA_ADDRESS, address.s_addr);
    struct in_addr broadcast = {address.s_addr | htonl(~(~0U << (32 - prefix)))};
    mnl_attr_put_u32(nlh, IFA_BROADCAST, broadcast.s_addr);
    return talk(nl, nlh);
}

static int add_default_route(struct mnl_socket *nl, int index, struct in_addr gateway)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = RTM_NEWROUTE;
    nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
    struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
    rtm->rtm_family = AF_INET;
    rtm->rtm_dst_len = 0;
    rtm->rtm_table = RT_TABLE_MAIN;
    rtm->rtm_protocol = RTPROT_BOOT;
    rtm->rtm_scope = RT_SCOPE_UNIVERSE;
    rtm->rtm_type = RTN_UNICAST;
    mnl_attr_put_u32(nlh, RTA_GATEWAY, gateway.s_addr);
    mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)index);
    return talk(nl, nlh);
}

static int write_sysctl(const char *path, const char *value, struct bt_err *err)
{
    cleanup_close int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, value, strlen(value)) != (ssize_t)strlen(value))
        return bt_err_sys(err, errno, "write %s", path);
    return 0;
}

static struct in_addr gateway_of(const struct bt_net_config *config)
{
    return (struct in_addr){htonl(ntohl(config->subnet.s_addr) + 1)};
}

int bt_net_link_bridge(const struct bt_net_config *config, struct bt_err *err)
{
    cleanup_mnl struct mnl_socket *nl = open_rtnl(err);
    if (!nl)
        return -err->code;
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *nlh = new_link_msg(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, NULL);
    mnl_attr_put_strz(nlh, IFLA_IFNAME, config->bridge);
    struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
    mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
    mnl_attr_nest_end(nlh, info);
    int ret = talk(nl, nlh);
    if (ret < 0 && ret != -EEXIST)
        return bt_err_sys(err, -ret, "create the bridge %s", config->bridge);
    bool created = ret == 0;
    int index = (int)if_nametoindex(config->bridge);
    if (index == 0)
        return bt_err_sys(err, errno, "bridge %s", config->bridge);
    ret = add_address(nl, index, gateway_of(config), config->prefix);
    if (ret < 0 && ret != -EEXIST)
        return bt_err_sys(err, -ret, "bridge %s: add its address", config->bridge);
    ret = set_up(nl, index);
    if (ret < 0)
        return bt_err_sys(err, -ret, "bridge %s: bring it up", config->bridge);
    /* Published ports reached from 127.0.0.1 leave through the bridge with a loopback source
     * until masquerade rewrites it; the kernel drops such packets unless route_localnet. */
    char path[96];
    snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/route_localnet", config->bridge);
    ret = write_sysctl(path, "1", err);
    if (ret == 0)
        ret = write_sysctl("/proc/sys/net/ipv4/ip_forward", "1", err);
    return ret < 0 ? ret : created;
}

int bt_net_link_container(const struct bt_net_record *record, int netns_fd, struct bt_err *err)
{
    const struct bt_net_config *config = &record->config;
    int bridge = (int)if_nametoindex(config->bridge);
    if (bridge == 0)
        return bt_err_sys(err, errno, "bridge %s", config->bridge);
    {
        cleanup_mnl struct mnl_socket *nl = open_rtnl(err);
        if (!nl)
            return -err->code;
        char buf[MNL_SOCKET_BUFFER_SIZE];
        struct nlmsghdr *nlh = new_link_msg(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, NULL);
        mnl_attr_put_strz(nlh, IFLA_IFNAME, record->veth);
        mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)bridge);
        struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
        mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
        struct nlattr *data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
        struct nlattr *peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
        /* The peer's own ifinfomsg, then its attributes: made straight in the container's
         * netns under its final name, so no other name is ever seen on the host. */
        struct ifinfomsg *peer_ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*peer_ifi));
        peer_ifi->ifi_family = AF_UNSPEC;
        mnl_attr_put_strz(nlh, IFLA_IFNAME, "eth0");
        mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)netns_fd);
        mnl_attr_nest_end(nlh, peer);
        mnl_attr_nest_end(nlh, data);
        mnl_attr_nest_end(nlh, info);
        int ret = talk(nl, nlh);
        if (ret < 0)
            return bt_err_sys(err, -ret, "create the veth pair %s", record->veth);
        int index = (int)if_nametoindex(record->veth);
        if (index == 0 || (ret = set_up(nl, index)) < 0)
            return bt_err_sys(err, index == 0 ? errno : -ret, "bring %s up", record->veth);
    }
    /* Inside: a socket opened in the container's netns talks to that netns. This process is
     * bottle-net, single-threaded and about to exit, so it may change its own netns. */
    cleanup_close int own = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (own < 0)
        return bt_err_sys(err, errno, "open our own netns");
    if (setns(netns_fd, CLONE_NEWNET) < 0)
        return bt_err_sys(err, errno, "enter the container's netns");
    int ret = 0;
    {
        cleanup_mnl struct mnl_socket *nl = open_rtnl(err);
        if (!nl) {
            ret = -err->code;
        } else {
            int index = (int)if_nametoindex("eth0");
            if (index == 0)
                ret = bt_err_sys(err, errno, "eth0 in the container");
            else if ((ret = add_address(nl, index, record->address, config->prefix)) < 0)
                bt_err_sys(err, -ret, "eth0: add its address");
            else if ((ret = set_up(nl, index)) < 0)
                bt_err_sys(err, -ret, "eth0: bring it up");
            else if ((ret = add_default_route(nl, index, gateway_of(config))) < 0)
                bt_err_sys(err, -ret, "eth0: add the default route");
        }
    }
    if (setns(own, CLONE_NEWNET) < 0 && ret == 0)
        ret = bt_err_sys(err, errno, "return to our netns");
    return ret;
}

int bt_net_link_delete(const char *name, struct bt_err *err)
{
    cleanup_mnl struct mnl_socket *nl = open_rtnl(err);
    if (!nl)
        return -err->code;
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *nlh = new_link_msg(buf, RTM_DELLINK, 0, NULL);
    mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
    int ret = talk(nl, nlh);
    if (ret < 0 && ret != -ENODEV)
        return bt_err_sys(err, -ret, "delete link %s", name);
    return 0;
}
