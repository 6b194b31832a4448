/* Unit tests for lib/exitfile.c: round trip, atomic replacement, malformed files. */
#include "exitfile.h"
#include "testutil.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>

int main(void)
{
    char dir[PATH_MAX], path[PATH_MAX + 8];
    plan(9);
    make_tmpdir(dir, sizeof(dir), "bt-exitfile");
    snprintf(path, sizeof(path), "%s/exit", dir);
    struct bt_err err = {0};
    struct bt_exit_record in = {.pid = 42, .started_at_ns = 1, .finished_at_ns = 2}, out;
    is_int(bt_exitfile_read(path, &out, &err), -ENOENT, "no record yet gives -ENOENT");
    bt_exitfile_from_status(&in, SIGKILL);
    is_int(in.exit_code, 137, "SIGKILL gives 137");
    is_str(in.reason, "signaled", "reason signaled");
    is_int(bt_exitfile_write(path, &in, &err), 0, "write");
    ok(bt_exitfile_read(path, &out, &err) == 0 && out.pid == 42 && out.exit_code == 137 &&
           out.signal == SIGKILL && !out.oom_killed && out.finished_at_ns == 2,
       "read back");
    in.oom_killed = true;
    bt_exitfile_from_status(&in, SIGKILL);
    bt_exitfile_write(path, &in, &err);
    ok(bt_exitfile_read(path, &out, &err) == 0 && out.oom_killed && strcmp(out.reason, "oom") == 0,
       "replaced: oom record");
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "ls %s | wc -l | grep -qx 1", dir);
    ok(system(cmd) == 0, "no temporary file left behind");
    write_file(path, "{\"pid\": \"x\"}");
    is_int(bt_exitfile_read(path, &out, &err), -EINVAL, "malformed record refused");
    ok(strstr(err.msg, "malformed") != NULL, "message says malformed: %s", err.msg);
    return (remove_tree(dir) < 0) | done();
}
