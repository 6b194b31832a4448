/* The container's init runs from a sealed memfd copy of bottle-init: nothing in the container
 * can reach the host's binary through /proc/1/exe, and the copy cannot be written either
 * (F_SEAL_WRITE), which closes the CVE-2019-5736 class of attacks. */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"

int shim_init_memfd(const char *path, struct bt_err *err)
{
    cleanup_close int src = open(path, O_RDONLY | O_CLOEXEC);
    if (src < 0)
        return bt_err_sys(err, errno, "open bottle-init %s", path);
    struct stat st;
    if (fstat(src, &st) < 0)
        return bt_err_sys(err, errno, "stat %s", path);
    if (!S_ISREG(st.st_mode))
        return bt_err_msg(err, EINVAL, "bottle-init %s is not a regular file", path);
    cleanup_close int fd = memfd_create("bottle-init", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0)
        return bt_err_sys(err, errno, "memfd_create");
    off_t offset = 0;
    while (offset < st.st_size) {
        ssize_t n = sendfile(fd, src, &offset, (size_t)(st.st_size - offset));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return bt_err_sys(err, n < 0 ? errno : EIO, "copy %s into a memfd", path);
    }
    if (fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0)
        return bt_err_sys(err, errno, "seal the memfd copy of %s", path);
    return bt_take_fd(&fd);
}
