/* Private to lib/cgroup*.c: the file helpers, clock and tree walk that the cgroup files share,
 * all defined in cgroup.c. Not for use outside lib/cgroup*.c. */
#ifndef BT_CGROUP_INTERNAL_H
#define BT_CGROUP_INTERNAL_H

#include "cgroup.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* CLOCK_MONOTONIC in milliseconds. */
int64_t bt_cgroup_i_now_ms(void);
/* Sleeps MS milliseconds (less when a signal interrupts). */
void bt_cgroup_i_sleep_ms(int ms);

/* DIR/FILE into BUF; returns 0 or -ENAMETOOLONG. */
int bt_cgroup_i_join_path(char *buf, size_t len, const char *dir, const char *file);
/* True when DIR/FILE exists. */
bool bt_cgroup_i_file_exists(const char *dir, const char *file);
/* DIR/FILE into BUF without the trailing newline; returns the length, or -errno (-EFBIG when it
 * does not fit). */
int bt_cgroup_i_read_at(const char *dir, const char *file, char *buf, size_t len);
/* VALUE into DIR/FILE in one write(2); returns 0 or -errno, filling ERR (which may be NULL). */
int bt_cgroup_i_write_at(const char *dir, const char *file, const char *value, struct bt_err *err);
/* A decimal number at the start of TEXT, "max" as UINT64_MAX; returns 0 or -EINVAL. */
int bt_cgroup_i_parse_u64(const char *text, uint64_t *value);
/* The number in DIR/FILE, as bt_cgroup_i_parse_u64; returns 0 or -errno. */
int bt_cgroup_i_read_u64(const char *dir, const char *file, uint64_t *value);
/* KEY's value in flat-keyed TEXT ("KEY VALUE" lines); returns 0, -ENODATA or -EINVAL. */
int bt_cgroup_i_find_key(const char *text, const char *key, uint64_t *value);
/* KEY's value in the flat-keyed file DIR/FILE; returns 0 or -errno. */
int bt_cgroup_i_read_key(const char *dir, const char *file, const char *key, uint64_t *value);

/* CG's directory for CONTROLLER into DIR, *UNIFIED (may be NULL) telling whether it is v2;
 * returns 0 or -ENOTSUP / -ENAMETOOLONG, filling ERR. */
int bt_cgroup_i_locate(const struct bt_cgroup *cg, enum bt_cgroup_controller controller, char *dir,
                       size_t len, bool *unified, struct bt_err *err);

/* Called for each directory of a walk; a nonzero return stops the walk and is returned. */
typedef int (*bt_cgroup_i_dir_fn)(const char *dir, void *data);
/* Calls FN for CG's directory in H and every cgroup below it, parents first or, with POST,
 * children first; a missing directory is an empty tree. Returns 0, FN's result or -errno. */
int bt_cgroup_i_walk_hierarchy(const struct bt_cgroup *cg, const struct bt_cgroup_hierarchy *h,
                               bool post, bt_cgroup_i_dir_fn fn, void *data);

#endif
