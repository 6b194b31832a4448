/* What a container leaves on the host, found from the records its shim keeps in the state dir
 * (STATE/containers/NAME/cgroup and .../netns) and its storage dir (ROOT/containers/NAME):
 * removed after a shim died (on the next start, by bottle-shim) or by `bottle rm`. */
#ifndef BT_LEFTOVERS_H
#define BT_LEFTOVERS_H

#include "err.h"

/* Kills what still runs in the recorded cgroup and removes it in every hierarchy, removes the
 * recorded network (STATE_DIR/net, through bottle-net), unmounts and removes the recorded
 * /run/netns entry. Either record may be missing. Returns 0, or the first
 * -errno with ERR filled (it goes on with the rest regardless). */
int bt_leftovers_kill(const char *state_dir, struct bt_err *err);

/* Removes a container's storage dir: an overlay mount on DIR/rootfs is lazily unmounted, a
 * btrfs snapshot there deleted, then the tree removed without following symlinks or entering
 * another mount. A missing DIR is fine. Returns 0 or -errno with ERR filled. */
int bt_leftovers_remove_storage(const char *dir, struct bt_err *err);

#endif
