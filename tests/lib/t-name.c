/* Unit tests for lib/name.c. */
#include "name.h"
#include "tap.h"

int main(void)
{
    static const char *const good[] = {"redis", "a", "web-1", "db_2.primary", "A9"};
    static const char *const bad[] = {
        "",           ".",
        "..",         ".hidden",
        "-x",         "a/b",
        "../escaped", "a b",
        "x\n",        "0123456789012345678901234567890123456789012345678901234567890123X"};
    plan(15);
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        ok(bt_name_valid(good[i]), "'%s' is a valid name", good[i]);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ok(!bt_name_valid(bad[i]), "bad name %zu refused", i);
    return done();
}
