/* The container's exit record, written by bottle-shim before it tells anyone and read by
 * bottled (also after its own restart) and the CLI. The file is replaced atomically: a reader
 * sees the old record, or the whole new one, never half of one. */
#ifndef BT_EXITFILE_H
#define BT_EXITFILE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"

struct bt_exit_record {
    pid_t pid;              /* the container init's pid, as the host sees it */
    int exit_code;          /* the shell convention: code, or 128+signal */
    int signal;             /* the signal that killed the init, or 0 */
    bool oom_killed;        /* the cgroup recorded an OOM kill during the run */
    int64_t started_at_ns;  /* CLOCK_REALTIME */
    int64_t finished_at_ns; /* CLOCK_REALTIME */
    char reason[64];        /* "exited", "signaled", "oom", "start-failed", "shim-lost" */
};

/* Writes RECORD to PATH atomically (temporary file, fsync, rename, fsync of the directory).
 * Returns 0 or -errno with ERR filled. */
int bt_exitfile_write(const char *path, const struct bt_exit_record *record, struct bt_err *err);

/* Reads PATH into RECORD. Returns 0, -ENOENT when there is no record yet, or -errno / -EINVAL
 * (malformed) with ERR filled. */
int bt_exitfile_read(const char *path, struct bt_exit_record *record, struct bt_err *err);

/* Fills code, signal and reason of RECORD from a wait status. */
void bt_exitfile_from_status(struct bt_exit_record *record, int wait_status);

#endif
