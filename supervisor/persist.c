/* What survives a restart of bottled: STATE/bottled/NAME.json, one small JSON object per
 * service or tree (names are unique across both), replaced atomically so that a SIGKILL in the
 * middle leaves the old object or the new one. */
#include "sup.h"

#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

static void path_of(const struct sup *sup, const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "%s/bottled/%s.json", sup->state, name);
}

void sup_persist_write(struct sup *sup, const char *name, const char *fmt, ...)
{
    char dir[4096], path[4200], tmp[4220];
    snprintf(dir, sizeof(dir), "%s/bottled", sup->state);
    mkdir(dir, 0700);
    path_of(sup, name, path, sizeof(path));
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "we");
    if (!f)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    if (fclose(f) == 0)
        rename(tmp, path);
    else
        unlink(tmp);
}

json_object *sup_persist_read(const struct sup *sup, const char *name)
{
    char path[4200];
    path_of(sup, name, path, sizeof(path));
    return json_object_from_file(path);
}

void sup_persist_forget(const struct sup *sup, const char *name)
{
    char path[4200];
    path_of(sup, name, path, sizeof(path));
    unlink(path);
}
