/* Test payload: exits with the status given as its only argument (0..255). */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: exit-with N\n");
        return 2;
    }
    return atoi(argv[1]);
}
