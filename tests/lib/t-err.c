/* Unit tests for lib/err.c: messages, strerror suffix, wrapping, truncation. */
#include "err.h"
#include "tap.h"

#include <errno.h>

int main(void)
{
    struct bt_err err = {0};
    plan(7);
    is_int(bt_err_sys(&err, ENOENT, "open %s", "/x"), -ENOENT, "bt_err_sys returns -errno");
    is_str(err.msg, "open /x: No such file or directory", "bt_err_sys appends strerror");
    is_int(bt_err_wrap(&err, "loading %s", "spec"), -ENOENT, "wrap keeps the code");
    is_str(err.msg, "loading spec: open /x: No such file or directory", "wrap prefixes context");
    is_int(bt_err_msg(&err, EINVAL, "unknown key '%s'", "foo"), -EINVAL, "bt_err_msg");
    is_str(err.msg, "unknown key 'foo'", "bt_err_msg adds no strerror");
    char big[2 * BT_ERR_MSG_MAX];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    bt_err_msg(&err, EINVAL, "%s", big);
    bt_err_wrap(&err, "ctx");
    ok(strlen(err.msg) == BT_ERR_MSG_MAX - 1, "oversize messages are truncated, not overflowed");
    return done();
}
