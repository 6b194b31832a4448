/* Test payload: a bounded fork bomb. Forks children that only wait, until fork fails or MAX
 * children run, then prints "forked N ERRNO-NAME" (or "forked N cap" when it reached MAX),
 * kills and reaps its children and exits 0. The cap keeps a broken pids limit from hurting
 * the host: the test fails instead.
 *
 *   shim-forkbomb MAX */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 2 || atoi(argv[1]) <= 0) {
        fprintf(stderr, "usage: shim-forkbomb MAX\n");
        return 2;
    }
    int max = atoi(argv[1]);
    pid_t *children = calloc((size_t)max, sizeof(pid_t));
    if (!children)
        return 3;
    int count = 0, err = 0;
    while (count < max) {
        pid_t pid = fork();
        if (pid == 0) {
            for (;;)
                pause();
        }
        if (pid < 0) {
            err = errno;
            break;
        }
        children[count++] = pid;
    }
    const char *why = err ? strerrorname_np(err) : "cap";
    printf("forked %d %s\n", count, why ? why : "E?");
    fflush(stdout);
    for (int i = 0; i < count; i++)
        kill(children[i], SIGKILL);
    for (int i = 0; i < count; i++)
        waitpid(children[i], NULL, 0);
    free(children);
    return 0;
}
