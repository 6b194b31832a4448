/* Exit records as small JSON files replaced atomically: see exitfile.h. */
#include "exitfile.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "proc.h"

static void put_json(json_object **obj)
{
    if (*obj)
        json_object_put(*obj);
}
#define cleanup_json __attribute__((cleanup(put_json)))

void bt_exitfile_from_status(struct bt_exit_record *record, int wait_status)
{
    record->exit_code = bt_proc_exit_code(wait_status);
    record->signal = WIFSIGNALED(wait_status) ? WTERMSIG(wait_status) : 0;
    snprintf(record->reason, sizeof(record->reason), "%s",
             record->oom_killed ? "oom"
             : record->signal   ? "signaled"
                                : "exited");
}

static int fsync_dir_of(const char *path)
{
    char copy[4096];
    snprintf(copy, sizeof(copy), "%s", path);
    cleanup_close int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) < 0)
        return -errno;
    return 0;
}

int bt_exitfile_write(const char *path, const struct bt_exit_record *record, struct bt_err *err)
{
    cleanup_json json_object *obj = json_object_new_object();
    json_object_object_add(obj, "pid", json_object_new_int(record->pid));
    json_object_object_add(obj, "exit_code", json_object_new_int(record->exit_code));
    json_object_object_add(obj, "signal", json_object_new_int(record->signal));
    json_object_object_add(obj, "oom_killed", json_object_new_boolean(record->oom_killed));
    json_object_object_add(obj, "started_at_ns", json_object_new_int64(record->started_at_ns));
    json_object_object_add(obj, "finished_at_ns", json_object_new_int64(record->finished_at_ns));
    json_object_object_add(obj, "reason", json_object_new_string(record->reason));
    const char *text = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN);

    char tmp[4096];
    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= sizeof(tmp))
        return bt_err_msg(err, ENAMETOOLONG, "exit file path too long: %s", path);
    cleanup_close int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return bt_err_sys(err, errno, "create %s", tmp);
    size_t len = strlen(text);
    if (write(fd, text, len) != (ssize_t)len || write(fd, "\n", 1) != 1 || fsync(fd) < 0) {
        int saved = errno ? errno : EIO;
        unlink(tmp);
        return bt_err_sys(err, saved, "write %s", tmp);
    }
    if (rename(tmp, path) < 0) {
        int saved = errno;
        unlink(tmp);
        return bt_err_sys(err, saved, "rename %s to %s", tmp, path);
    }
    int ret = fsync_dir_of(path);
    if (ret < 0)
        return bt_err_sys(err, -ret, "fsync the directory of %s", path);
    return 0;
}

static int get_int64(json_object *obj, const char *key, int64_t *out)
{
    json_object *value;
    if (!json_object_object_get_ex(obj, key, &value) || !json_object_is_type(value, json_type_int))
        return -EINVAL;
    *out = json_object_get_int64(value);
    return 0;
}

int bt_exitfile_read(const char *path, struct bt_exit_record *record, struct bt_err *err)
{
    char buf[4096];
    cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? -ENOENT : bt_err_sys(err, errno, "open %s", path);
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    if (n < 0)
        return bt_err_sys(err, errno, "read %s", path);
    buf[n] = '\0';
    cleanup_json json_object *obj = json_tokener_parse(buf);
    if (!obj || !json_object_is_type(obj, json_type_object))
        return bt_err_msg(err, EINVAL, "%s: not a JSON object", path);
    int64_t pid, code, sig, started, finished;
    json_object *oom, *reason;
    if (get_int64(obj, "pid", &pid) || get_int64(obj, "exit_code", &code) ||
        get_int64(obj, "signal", &sig) || get_int64(obj, "started_at_ns", &started) ||
        get_int64(obj, "finished_at_ns", &finished) ||
        !json_object_object_get_ex(obj, "oom_killed", &oom) ||
        !json_object_object_get_ex(obj, "reason", &reason))
        return bt_err_msg(err, EINVAL, "%s: missing or malformed field", path);
    memset(record, 0, sizeof(*record));
    record->pid = (pid_t)pid;
    record->exit_code = (int)code;
    record->signal = (int)sig;
    record->oom_killed = json_object_get_boolean(oom);
    record->started_at_ns = started;
    record->finished_at_ns = finished;
    snprintf(record->reason, sizeof(record->reason), "%s", json_object_get_string(reason));
    return 0;
}
