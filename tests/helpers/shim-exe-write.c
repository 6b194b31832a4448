/* Test payload for the CVE-2019-5736 class: tries every way to write through PATH (inside a
 * container: /proc/1/exe, the init's binary) and prints one line per attempt, "NAME ok" or
 * "NAME ERRNO-NAME", then "seals 0xN" (F_GET_SEALS; "seals ERRNO-NAME" for a file that has
 * none) and "magic 7f454c46" when PATH could still be read. Exits 0.
 *
 *   shim-exe-write PATH */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static const char *name_of(int err)
{
    const char *name = strerrorname_np(err);
    return name ? name : "E?";
}

static void report(const char *what, long ret)
{
    if (ret >= 0)
        printf("%s ok\n", what);
    else
        printf("%s %s\n", what, name_of(errno));
    fflush(stdout);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: shim-exe-write PATH\n");
        return 2;
    }
    const char *path = argv[1];
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    report("open-wronly", fd);
    if (fd >= 0) {
        report("write", write(fd, "\0", 1) == 1 ? 0 : -1);
        close(fd);
    }
    fd = open(path, O_RDWR | O_CLOEXEC);
    report("open-rdwr", fd);
    if (fd >= 0)
        close(fd);
    fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
    report("open-trunc", fd);
    if (fd >= 0)
        close(fd);

    int ro = open(path, O_RDONLY | O_CLOEXEC);
    report("open-rdonly", ro);
    if (ro < 0)
        return 0;
    int seals = fcntl(ro, F_GET_SEALS);
    if (seals < 0)
        printf("seals %s\n", name_of(errno));
    else
        printf("seals 0x%x\n", seals);
    void *map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0);
    report("mmap-shared-write", map == MAP_FAILED ? -1 : 0);
    if (map != MAP_FAILED)
        munmap(map, 4096);
    /* Reopening the fd through /proc is how the CVE got a writable fd from a read-only one. */
    char again[64];
    snprintf(again, sizeof(again), "/proc/self/fd/%d", ro);
    fd = open(again, O_WRONLY | O_CLOEXEC);
    report("reopen-wronly", fd);
    if (fd >= 0)
        close(fd);
    unsigned char magic[4];
    if (pread(ro, magic, sizeof(magic), 0) == (ssize_t)sizeof(magic))
        printf("magic %02x%02x%02x%02x\n", magic[0], magic[1], magic[2], magic[3]);
    close(ro);
    return 0;
}
