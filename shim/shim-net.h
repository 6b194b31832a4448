/* bottle-shim's side of container networking (shim/net.c): the lease and the container's
 * /etc files before the clone, bottle-net while the child waits, and the teardown. */
#ifndef SHIM_SHIM_NET_H
#define SHIM_SHIM_NET_H

#include <stddef.h>

#include "mount.h"
#include "shim.h"

#define SHIM_NET_MOUNTS_MAX 3

/* Before the clone: reads the spec's network config; in bridge mode leases an address,
 * writes the record STATE_DIR/net (before anything is made on the host) and the files
 * STATE_DIR/{resolv.conf,hosts,hostname}. Returns 0 or -errno with ERR filled. */
int shim_net_prepare(struct shim_container *container, struct bt_err *err);

/* The bind mounts of those files onto the container's /etc (none unless bridge mode), written
 * to MOUNTS (room for SHIM_NET_MOUNTS_MAX); returns how many. */
size_t shim_net_mounts(struct bt_mount *mounts);

/* While the child waits in its new netns: bottle-net up. Returns 0 or -errno with ERR. */
int shim_net_up(struct shim_container *container, struct bt_err *err);

/* Removes what prepare and up made (bottle-net down) and the files. Idempotent. */
void shim_net_down(struct shim_container *container);

#endif
