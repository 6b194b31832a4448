/* Test payload for bottle-shim's security tests: tries, inside a container, each privileged
 * operation a container must not be able to do and prints one line per operation:
 * "NAME ok" when it worked, "NAME ERRNO-NAME" when the kernel refused. Every attempt is
 * harmless even if it succeeds (the clock is set to what it already is, reboot only toggles
 * Ctrl-Alt-Del, the module calls pass no module, the mount goes on /helpers). Always exits 0
 * once it has tried them all. Runs from /helpers in the container.
 *
 *   shim-privops [blockdev MAJOR MINOR]   also mknod+open that block device */
#include <errno.h>
#include <fcntl.h>
#include <linux/reboot.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static void report(const char *name, long ret)
{
    if (ret >= 0)
        printf("%s ok\n", name);
    else
        printf("%s %s\n", name, strerrorname_np(errno) ? strerrorname_np(errno) : "E?");
    fflush(stdout);
}

int main(int argc, char **argv)
{
    long ret;

    /* On the directory this program came from: were the container's root the host's, it would
     * still hide nothing of the host's. */
    ret = mount("none", "/helpers", "tmpfs", 0, "size=1k");
    report("mount", ret);
    if (ret == 0)
        umount("/helpers");

    ret = sethostname("bt-privops", strlen("bt-privops"));
    report("sethostname", ret);

    struct timeval tv;
    gettimeofday(&tv, NULL);
    report("settimeofday", settimeofday(&tv, NULL));
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    report("clock_settime", clock_settime(CLOCK_REALTIME, &ts));

    report("init_module", syscall(SYS_init_module, NULL, 0UL, ""));
    report("finit_module", syscall(SYS_finit_module, -1, "", 0));
    report("delete_module", syscall(SYS_delete_module, "bt_no_such_module", O_NONBLOCK));

    report("reboot", syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2,
                             LINUX_REBOOT_CMD_CAD_OFF, NULL));

    if (argc == 4 && strcmp(argv[1], "blockdev") == 0) {
        dev_t dev = makedev((unsigned)atoi(argv[2]), (unsigned)atoi(argv[3]));
        const char *node = "/tmp/bt-privops-blockdev";
        unlink(node);
        ret = mknod(node, S_IFBLK | 0600, dev);
        report("mknod-blockdev", ret);
        if (ret == 0) {
            int fd = open(node, O_RDONLY | O_CLOEXEC);
            report("open-blockdev", fd);
            if (fd >= 0)
                close(fd);
            unlink(node);
        }
    }
    return 0;
}
