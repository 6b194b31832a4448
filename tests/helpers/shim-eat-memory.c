/* Test payload: a memory hog. Allocates and touches MB mebibytes, one at a time, printing
 * "ate N" every 8 MiB, then "survived N" and exits 0; under a smaller memory limit it is
 * OOM-killed before that.
 *
 *   shim-eat-memory MB */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc != 2 || atoi(argv[1]) <= 0) {
        fprintf(stderr, "usage: shim-eat-memory MB\n");
        return 2;
    }
    int mb = atoi(argv[1]);
    for (int i = 1; i <= mb; i++) {
        char *chunk = malloc(1 << 20);
        if (!chunk) {
            printf("malloc failed at %d\n", i);
            return 1;
        }
        memset(chunk, 0x5a, 1 << 20);
        if (i % 8 == 0) {
            printf("ate %d\n", i);
            fflush(stdout);
        }
    }
    printf("survived %d\n", mb);
    return 0;
}
