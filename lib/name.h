/* Container and service names: they become file names, cgroup names and netns names, so they
 * are kept plain. */
#ifndef BT_NAME_H
#define BT_NAME_H

#include <stdbool.h>

#define BT_NAME_MAX 64

/* True for [A-Za-z0-9][A-Za-z0-9_.-]{0,63}: no '/', no leading '.', never "." or "..". */
bool bt_name_valid(const char *name);

#endif
