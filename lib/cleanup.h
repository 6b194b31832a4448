/* __attribute__((cleanup)) helpers, as crun's cleanup_free: ownership is handed on visibly
 * with bt_take_fd / bt_take_ptr. */
#ifndef BT_CLEANUP_H
#define BT_CLEANUP_H

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void bt_cleanup_free_fn(void *p)
{
    free(*(void **)p);
}

static inline void bt_cleanup_close_fn(int *fd)
{
    if (*fd >= 0) {
        int saved = errno;
        close(*fd);
        errno = saved;
    }
}

static inline void bt_cleanup_fclose_fn(FILE **f)
{
    if (*f)
        fclose(*f);
}

static inline void bt_cleanup_closedir_fn(DIR **d)
{
    if (*d)
        closedir(*d);
}

#define cleanup_free     __attribute__((cleanup(bt_cleanup_free_fn)))
#define cleanup_close    __attribute__((cleanup(bt_cleanup_close_fn)))
#define cleanup_fclose   __attribute__((cleanup(bt_cleanup_fclose_fn)))
#define cleanup_closedir __attribute__((cleanup(bt_cleanup_closedir_fn)))

/* Returns *FD and leaves -1 behind so that the cleanup handler does not close it. */
static inline int bt_take_fd(int *fd)
{
    int ret = *fd;
    *fd = -1;
    return ret;
}

/* Returns *P and leaves NULL behind. */
static inline void *bt_take_ptr(void *p)
{
    void **pp = p;
    void *ret = *pp;
    *pp = NULL;
    return ret;
}

#endif
