/* CRI k8s-file container logs: see logfile.h. The writer must never split a record across two
 * files nor drop one without saying so; the reader must never show a record twice. */
#include "logfile.h"

#include "cleanup.h"
#include "log.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

/* The batch of records goes out when it reaches this size, even in the middle of one call. */
#define BATCH_WRITE (64 * 1024)
/* While writes fail, records wait in the batch up to this size; beyond it they are dropped. */
#define QUEUE_MAX (1024 * 1024)
/* Rotated files are numbered 1 … MAX_FILES_LIMIT. */
#define MAX_FILES_LIMIT 9999
/* The reader skips lines longer than this (other writers may use longer records than ours). */
#define READ_CAP (4 * BT_LOGFILE_LINE_MAX + 256)

static const char *const stream_names[] = {"stdout", "stderr"};

struct bt_logfile {
    char *path;
    int fd;
    off_t size; /* of the open file, as far as we wrote it */
    off_t max_size;
    int max_files;
    bool broken_tail; /* a failed write left a partial record that could not be cut off */
    uint64_t dropped;
    char *batch; /* whole records, each ending with '\n', not written yet */
    size_t batch_len;
    size_t batch_cap;
    char stamp[BT_LOGFILE_TIMESTAMP_MAX];
    size_t stamp_len;
    size_t pending_len[2];
    char *pending[2]; /* the unterminated tail of each stream: BT_LOGFILE_LINE_MAX bytes,
                       * allocated when a stream first leaves a line unterminated (most never
                       * do, and an idle shim should not carry 32 KiB for nothing) */
};

/* NAME.INDEX (NAME for index 0) into BUF of PATH_MAX bytes; bt_logfile_open checked the length. */
static void rotated_name(char *buf, const char *path, int index)
{
    if (index == 0)
        snprintf(buf, PATH_MAX, "%s", path);
    else
        snprintf(buf, PATH_MAX, "%s.%d", path, index);
}

size_t bt_logfile_format_time(char *buf, const struct timespec *time)
{
    struct tm tm;
    time_t sec = time->tv_sec;
    if (!localtime_r(&sec, &tm)) {
        gmtime_r(&sec, &tm);
        tm.tm_gmtoff = 0;
    }
    long offset = tm.tm_gmtoff;
    char sign = offset < 0 ? '-' : '+';
    if (offset < 0)
        offset = -offset;
    int n =
        snprintf(buf, BT_LOGFILE_TIMESTAMP_MAX, "%04d-%02d-%02dT%02d:%02d:%02d.%09ld%c%02ld:%02ld",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                 (long)time->tv_nsec, sign, offset / 3600, offset / 60 % 60);
    if (n < 0)
        n = 0;
    return (size_t)n < BT_LOGFILE_TIMESTAMP_MAX ? (size_t)n : BT_LOGFILE_TIMESTAMP_MAX - 1;
}

static void stamp_now(struct bt_logfile *log)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    log->stamp_len = bt_logfile_format_time(log->stamp, &now);
}

/* Appends one record whose content is A then B to the batch. Returns 0, -ENOMEM, or -ENOBUFS
 * when the queue is full and the record was dropped. */
static int queue_record(struct bt_logfile *log, enum bt_logfile_stream stream, bool partial,
                        const char *a, size_t alen, const char *b, size_t blen)
{
    size_t need = log->stamp_len + 10 + alen + blen + 1;
    if (log->batch_len + need > QUEUE_MAX + BATCH_WRITE) {
        log->dropped += alen + blen;
        return -ENOBUFS;
    }
    if (log->batch_len + need > log->batch_cap) {
        size_t cap = log->batch_cap ? log->batch_cap : BATCH_WRITE;
        while (cap < log->batch_len + need)
            cap *= 2;
        char *batch = realloc(log->batch, cap);
        if (!batch) {
            log->dropped += alen + blen;
            return -ENOMEM;
        }
        log->batch = batch;
        log->batch_cap = cap;
    }
    char *p = log->batch + log->batch_len;
    memcpy(p, log->stamp, log->stamp_len);
    p += log->stamp_len;
    *p++ = ' ';
    memcpy(p, stream_names[stream], 6);
    p += 6;
    *p++ = ' ';
    *p++ = partial ? 'P' : 'F';
    *p++ = ' ';
    if (alen)
        memcpy(p, a, alen);
    p += alen;
    if (blen)
        memcpy(p, b, blen);
    p += blen;
    *p++ = '\n';
    log->batch_len = (size_t)(p - log->batch);
    return 0;
}

/* Writes LEN bytes of whole records with one write(2) (more only when the kernel writes less).
 * A failure half-way cuts the file back to its last whole record. */
static int write_records(struct bt_logfile *log, const char *p, size_t len, struct bt_err *err)
{
    if (log->broken_tail) {
        /* End the partial record left by an earlier failure, so that ours parse. */
        if (write(log->fd, "\n", 1) != 1)
            return bt_err_sys(err, errno ? errno : EIO, "write %s", log->path);
        log->broken_tail = false;
        log->size++;
    }
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(log->fd, p + done, len - done);
        if (n > 0) {
            done += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        int errnum = n < 0 ? errno : EIO;
        if (done > 0 && ftruncate(log->fd, log->size) < 0) {
            log->size += (off_t)done;
            log->broken_tail = true;
        }
        return bt_err_sys(err, errnum, "write %s", log->path);
    }
    log->size += (off_t)len;
    return 0;
}

static bool link_unsupported(int errnum)
{
    return errnum == EPERM || errnum == EOPNOTSUPP || errnum == EXDEV || errnum == EMLINK ||
           errnum == ENOSYS;
}

/* NAME.k → NAME.k+1, NAME → NAME.1 (as a hard link, so that NAME never goes missing), then the
 * new file prepared as NAME.new replaces NAME. The new file exists before anything moves, so a
 * failure leaves the current file in place. */
static int rotate(struct bt_logfile *log, struct bt_err *err)
{
    char from[PATH_MAX], to[PATH_MAX], tmp[PATH_MAX];
    snprintf(tmp, sizeof(tmp), "%s.new", log->path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0)
        return bt_err_sys(err, errno, "create %s", tmp);
    bool linked = false;
    if (log->max_files > 0) {
        for (int k = log->max_files - 1; k >= 1; k--) {
            rotated_name(from, log->path, k);
            rotated_name(to, log->path, k + 1);
            if (rename(from, to) < 0 && errno != ENOENT)
                goto fail;
        }
        rotated_name(to, log->path, 1);
        /* Only there when max_files is 1: the shift above moved it otherwise. */
        if (unlink(to) < 0 && errno != ENOENT)
            goto fail;
        if (link(log->path, to) == 0) {
            linked = true;
        } else if (link_unsupported(errno)) {
            if (rename(log->path, to) < 0 && errno != ENOENT)
                goto fail;
        } else if (errno != ENOENT) { /* ENOENT: someone removed the log; nothing to keep */
            goto fail;
        }
    }
    if (rename(tmp, log->path) < 0)
        goto fail;
    close(log->fd);
    log->fd = fd;
    log->size = 0;
    log->broken_tail = false;
    return 0;
fail:;
    int errnum = errno;
    if (linked)
        unlink(to); /* NAME is still the current file: undo its second name */
    unlink(tmp);
    close(fd);
    return bt_err_sys(err, errnum, "rotate %s", log->path);
}

/* Writes the batch out, rotating where the next record would take the file past max_size. What
 * could not be written stays in the batch. */
static int write_out(struct bt_logfile *log, struct bt_err *err)
{
    size_t off = 0;
    int ret = 0;
    while (off < log->batch_len) {
        const char *p = log->batch + off;
        size_t remaining = log->batch_len - off, chunk = remaining;
        if (log->max_size > 0 && (off_t)remaining > log->max_size - log->size) {
            off_t room = log->max_size - log->size;
            const char *last = room > 0 ? memrchr(p, '\n', (size_t)room) : NULL;
            if (last) {
                chunk = (size_t)(last - p) + 1;
            } else if (log->size == 0) {
                /* One record larger than max_size: alone in a file of its own. */
                const char *nl = memchr(p, '\n', remaining);
                chunk = (size_t)(nl - p) + 1;
            } else {
                ret = rotate(log, err);
                if (ret < 0)
                    break;
                continue;
            }
        }
        ret = write_records(log, p, chunk, err);
        if (ret < 0)
            break;
        off += chunk;
    }
    if (off > 0) {
        memmove(log->batch, log->batch + off, log->batch_len - off);
        log->batch_len -= off;
    }
    return ret;
}

/* Keeps the first error of a call: later ones are only counted. */
static void note_error(int *ret, int r, struct bt_logfile *log, struct bt_err *err)
{
    if (r >= 0 || *ret < 0)
        return;
    if (r == -ENOBUFS)
        *ret = bt_err_msg(err, ENOBUFS, "%s: writes failing, %llu bytes of logs dropped", log->path,
                          (unsigned long long)log->dropped);
    else if (r == -ENOMEM)
        *ret = bt_err_sys(err, ENOMEM, "%s: queue a record", log->path);
    else
        *ret = r; /* write_out filled err */
}

struct bt_logfile *bt_logfile_open(const char *path, off_t max_size, int max_files,
                                   struct bt_err *err)
{
    if (max_size < 0 || max_files < 0 || max_files > MAX_FILES_LIMIT) {
        bt_err_msg(err, EINVAL, "%s: bad rotation settings (max_size %lld, max_files %d)", path,
                   (long long)max_size, max_files);
        return NULL;
    }
    if (strlen(path) + 16 >= PATH_MAX) {
        bt_err_sys(err, ENAMETOOLONG, "%s", path);
        return NULL;
    }
    struct bt_logfile *log = calloc(1, sizeof(*log));
    if (!log || !(log->path = strdup(path))) {
        free(log);
        bt_err_sys(err, ENOMEM, "open log %s", path);
        return NULL;
    }
    log->max_size = max_size;
    log->max_files = max_files;
    log->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    struct stat st;
    if (log->fd < 0 || fstat(log->fd, &st) < 0) {
        bt_err_sys(err, errno, "open %s", path);
        goto fail;
    }
    log->size = st.st_size;
    if (st.st_size > 0) {
        cleanup_close int rfd = open(path, O_RDONLY | O_CLOEXEC);
        char last = '\n';
        if (rfd >= 0 && pread(rfd, &last, 1, st.st_size - 1) == 1 && last != '\n')
            log->broken_tail = true;
    }
    char name[PATH_MAX];
    for (int k = max_files + 1; k <= MAX_FILES_LIMIT + 1; k++) {
        rotated_name(name, path, k);
        if (unlink(name) < 0)
            break;
    }
    return log;
fail:
    if (log->fd >= 0)
        close(log->fd);
    free(log->path);
    free(log);
    return NULL;
}

int bt_logfile_write(struct bt_logfile *log, enum bt_logfile_stream stream, const char *data,
                     size_t len, struct bt_err *err)
{
    if (stream != BT_LOGFILE_STDOUT && stream != BT_LOGFILE_STDERR)
        return bt_err_msg(err, EINVAL, "%s: bad stream %d", log->path, (int)stream);
    int ret = 0;
    bool writing = true;
    stamp_now(log);
    static char no_pending[1];
    char *pending = log->pending[stream] ? log->pending[stream] : no_pending;
    size_t *pending_len = &log->pending_len[stream];
    const char *p = data, *end = data + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t segment = (size_t)((nl ? nl : end) - p);
        /* A pending tail that is full becomes a P record only once more of its line comes, so
         * that a line of exactly BT_LOGFILE_LINE_MAX bytes stays one F record. */
        while (*pending_len + segment > BT_LOGFILE_LINE_MAX) {
            size_t take = BT_LOGFILE_LINE_MAX - *pending_len;
            note_error(&ret, queue_record(log, stream, true, pending, *pending_len, p, take), log,
                       err);
            *pending_len = 0;
            p += take;
            segment -= take;
        }
        if (nl) {
            note_error(&ret, queue_record(log, stream, false, pending, *pending_len, p, segment),
                       log, err);
            *pending_len = 0;
            p = nl + 1;
        } else {
            if (pending == no_pending && segment > 0) {
                if (!(log->pending[stream] = malloc(BT_LOGFILE_LINE_MAX))) {
                    note_error(&ret, bt_err_sys(err, ENOMEM, "%s: line buffer", log->path), log,
                               err);
                    break;
                }
                pending = log->pending[stream];
            }
            memcpy(pending + *pending_len, p, segment);
            *pending_len += segment;
            p = end;
        }
        if (writing && log->batch_len >= BATCH_WRITE) {
            int r = write_out(log, ret < 0 ? NULL : err);
            note_error(&ret, r, log, err);
            writing = r >= 0;
        }
    }
    if (writing && log->batch_len > 0)
        note_error(&ret, write_out(log, ret < 0 ? NULL : err), log, err);
    return ret;
}

int bt_logfile_flush(struct bt_logfile *log, struct bt_err *err)
{
    int ret = 0;
    stamp_now(log);
    for (int stream = BT_LOGFILE_STDOUT; stream <= BT_LOGFILE_STDERR; stream++) {
        if (log->pending_len[stream] == 0)
            continue;
        note_error(&ret,
                   queue_record(log, stream, true, log->pending[stream], log->pending_len[stream],
                                NULL, 0),
                   log, err);
        log->pending_len[stream] = 0;
    }
    if (log->batch_len > 0)
        note_error(&ret, write_out(log, ret < 0 ? NULL : err), log, err);
    return ret;
}

int bt_logfile_close(struct bt_logfile *log, struct bt_err *err)
{
    if (!log)
        return 0;
    int ret = bt_logfile_flush(log, err);
    if (close(log->fd) < 0 && ret == 0)
        ret = bt_err_sys(err, errno, "close %s", log->path);
    free(log->batch);
    free(log->pending[0]);
    free(log->pending[1]);
    free(log->path);
    free(log);
    return ret;
}

uint64_t bt_logfile_dropped(const struct bt_logfile *log)
{
    return log->dropped;
}

/* ---- Records ------------------------------------------------------------------------------ */

/* The decimal value of N digits at S, or -1. */
static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

int bt_logfile_parse_time(const char *t, size_t len, struct timespec *time)
{
    if (len < 20 || t[4] != '-' || t[7] != '-' || (t[10] != 'T' && t[10] != 't') || t[13] != ':' ||
        t[16] != ':')
        return -EINVAL;
    int year = digits(t, 4), month = digits(t + 5, 2), day = digits(t + 8, 2);
    int hour = digits(t + 11, 2), minute = digits(t + 14, 2), second = digits(t + 17, 2);
    if (year < 0 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 ||
        minute < 0 || minute > 59 || second < 0 || second > 60)
        return -EINVAL;
    size_t i = 19;
    long nsec = 0;
    if (i < len && t[i] == '.') {
        int used = 0;
        for (i++; i < len && isdigit((unsigned char)t[i]); i++) {
            if (used < 9) {
                nsec = nsec * 10 + (t[i] - '0');
                used++;
            }
        }
        if (used == 0)
            return -EINVAL;
        for (; used < 9; used++)
            nsec *= 10;
    }
    long offset;
    if (i < len && (t[i] == 'Z' || t[i] == 'z')) {
        offset = 0;
        i++;
    } else if (i + 6 <= len && (t[i] == '+' || t[i] == '-') && t[i + 3] == ':') {
        int oh = digits(t + i + 1, 2), om = digits(t + i + 4, 2);
        if (oh < 0 || oh > 23 || om < 0 || om > 59)
            return -EINVAL;
        offset = (oh * 3600L + om * 60L) * (t[i] == '-' ? -1 : 1);
        i += 6;
    } else {
        return -EINVAL;
    }
    if (i != len)
        return -EINVAL;
    struct tm tm = {
        .tm_year = year - 1900,
        .tm_mon = month - 1,
        .tm_mday = day,
        .tm_hour = hour,
        .tm_min = minute,
        .tm_sec = second,
    };
    time->tv_sec = timegm(&tm) - offset;
    time->tv_nsec = nsec;
    return 0;
}

int bt_logfile_parse(const char *line, size_t len, struct bt_logfile_record *rec)
{
    const char *end = line + len;
    const char *space = memchr(line, ' ', len);
    if (!space || bt_logfile_parse_time(line, (size_t)(space - line), &rec->time) < 0)
        return -EINVAL;
    rec->timestamp = line;
    rec->timestamp_len = (size_t)(space - line);
    const char *s = space + 1;
    if (end - s < 8)
        return -EINVAL;
    if (memcmp(s, "stdout ", 7) == 0)
        rec->stream = BT_LOGFILE_STDOUT;
    else if (memcmp(s, "stderr ", 7) == 0)
        rec->stream = BT_LOGFILE_STDERR;
    else
        return -EINVAL;
    s += 7;
    if (*s != 'F' && *s != 'P')
        return -EINVAL;
    rec->partial = *s++ == 'P';
    if (s < end && *s++ != ' ')
        return -EINVAL;
    rec->content = s;
    rec->content_len = (size_t)(end - s);
    return 0;
}

int bt_logfile_join(struct bt_logfile_joiner *joiner, const struct bt_logfile_record *rec)
{
    size_t need = joiner->len + rec->content_len + 2;
    if (need > joiner->cap) {
        size_t cap = joiner->cap ? joiner->cap : 256;
        while (cap < need)
            cap *= 2;
        char *data = realloc(joiner->data, cap);
        if (!data)
            return -ENOMEM;
        joiner->data = data;
        joiner->cap = cap;
    }
    if (rec->content_len)
        memcpy(joiner->data + joiner->len, rec->content, rec->content_len);
    joiner->len += rec->content_len;
    if (!rec->partial)
        joiner->data[joiner->len++] = '\n';
    joiner->data[joiner->len] = '\0';
    return rec->partial ? 0 : 1;
}

void bt_logfile_joiner_reset(struct bt_logfile_joiner *joiner)
{
    joiner->len = 0;
    if (joiner->data)
        joiner->data[0] = '\0';
}

void bt_logfile_joiner_free(struct bt_logfile_joiner *joiner)
{
    free(joiner->data);
    joiner->data = NULL;
    joiner->len = joiner->cap = 0;
}

/* ---- Reader ------------------------------------------------------------------------------- */

struct bt_logfile_reader {
    char *path;
    char *dir;
    const char *base; /* within path */
    int fd;
    dev_t dev;
    ino_t ino;
    bool finalized;  /* the open file is no longer NAME: the writer is done with it */
    bool discarding; /* in a line longer than READ_CAP */
    int inotify_fd;
    bool fresh_watch;
    uint64_t skipped;
    size_t start, end;
    char buf[READ_CAP];
};

struct log_entry {
    int index; /* 0 for NAME */
    dev_t dev;
    ino_t ino;
};

static int entry_cmp(const void *a, const void *b)
{
    return ((const struct log_entry *)a)->index - ((const struct log_entry *)b)->index;
}

/* Lists NAME and NAME.N with their inodes, sorted by number. Returns the count or -errno. */
static int scan_files(const struct bt_logfile_reader *r, struct log_entry **out)
{
    cleanup_closedir DIR *dir = opendir(r->dir);
    if (!dir)
        return -errno;
    size_t base_len = strlen(r->base), count = 0, cap = 0;
    struct log_entry *entries = NULL;
    struct dirent *de;
    while ((de = readdir(dir))) {
        if (strncmp(de->d_name, r->base, base_len) != 0)
            continue;
        const char *rest = de->d_name + base_len;
        int index = 0;
        if (*rest) {
            if (rest[0] != '.' || rest[1] < '1' || rest[1] > '9' || strlen(rest + 1) > 5)
                continue;
            index = digits(rest + 1, (int)strlen(rest + 1));
            if (index < 0)
                continue;
        }
        struct stat st;
        if (fstatat(dirfd(dir), de->d_name, &st, 0) < 0 || !S_ISREG(st.st_mode))
            continue;
        if (count == cap) {
            cap = cap ? cap * 2 : 16;
            struct log_entry *grown = realloc(entries, cap * sizeof(*entries));
            if (!grown) {
                free(entries);
                return -ENOMEM;
            }
            entries = grown;
        }
        entries[count++] = (struct log_entry){index, st.st_dev, st.st_ino};
    }
    qsort(entries, count, sizeof(*entries), entry_cmp);
    *out = entries;
    return (int)count;
}

/* Whether the file called NAME.INDEX is the inode DEV:INO right now. */
static bool is_at(const struct bt_logfile_reader *r, int index, dev_t dev, ino_t ino)
{
    char name[PATH_MAX];
    struct stat st;
    rotated_name(name, r->path, index);
    return stat(name, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
}

static bool exists(const struct bt_logfile_reader *r, int index)
{
    char name[PATH_MAX];
    struct stat st;
    rotated_name(name, r->path, index);
    return stat(name, &st) == 0;
}

/* Opens NAME.INDEX and checks that it is still ENTRY's inode. Returns the fd, -EAGAIN when the
 * file moved meanwhile, or -errno. */
static int open_entry(const struct bt_logfile_reader *r, const struct log_entry *entry)
{
    char name[PATH_MAX];
    rotated_name(name, r->path, entry->index);
    int fd = open(name, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? -EAGAIN : -errno;
    struct stat st;
    if (fstat(fd, &st) < 0 || st.st_dev != entry->dev || st.st_ino != entry->ino) {
        close(fd);
        return -EAGAIN;
    }
    return fd;
}

static void use_fd(struct bt_logfile_reader *r, int fd, const struct log_entry *entry)
{
    if (r->fd >= 0)
        close(r->fd);
    r->fd = fd;
    r->dev = entry->dev;
    r->ino = entry->ino;
    r->finalized = false;
    r->discarding = false;
    r->start = r->end = 0;
}

static void pause_briefly(void)
{
    struct timespec ms = {0, 1000000};
    nanosleep(&ms, NULL);
}

static int open_oldest(struct bt_logfile_reader *r, struct bt_err *err)
{
    for (int attempt = 0; attempt < 100; attempt++) {
        if (attempt)
            pause_briefly();
        cleanup_free struct log_entry *entries = NULL;
        int n = scan_files(r, &entries);
        if (n < 0)
            return bt_err_sys(err, -n, "list %s", r->dir);
        if (n == 0)
            return bt_err_sys(err, ENOENT, "open %s", r->path);
        int fd = open_entry(r, &entries[n - 1]);
        if (fd == -EAGAIN)
            continue;
        if (fd < 0)
            return bt_err_sys(err, -fd, "open %s", r->path);
        use_fd(r, fd, &entries[n - 1]);
        return 0;
    }
    return bt_err_msg(err, EAGAIN, "%s: files keep moving", r->path);
}

/* Moves from the finished open file to the next newer one. Files only ever move to higher
 * numbers and keep their order, so the successor is the file with the next lower number than the
 * one now holding our inode; it is checked by inode after opening, and our inode must not have
 * moved meanwhile, else a rotation ran concurrently and we look again. Returns 1 when it moved
 * on, 0 when it could not yet (try again later), -errno. */
static int open_successor(struct bt_logfile_reader *r, struct bt_err *err)
{
    for (int attempt = 0; attempt < 100; attempt++) {
        if (attempt)
            pause_briefly();
        cleanup_free struct log_entry *entries = NULL;
        int n = scan_files(r, &entries);
        if (n < 0)
            return bt_err_sys(err, -n, "list %s", r->dir);
        int ours = -1;
        for (int i = 0; i < n && ours < 0; i++)
            if (entries[i].index > 0 && entries[i].dev == r->dev && entries[i].ino == r->ino)
                ours = i;
        const struct log_entry *next;
        if (ours > 0) {
            next = &entries[ours - 1];
        } else if (ours == 0) {
            continue; /* NAME itself is missing for a moment (a rotation without hard links) */
        } else {
            /* A listing races with renames: look twice more before deciding that our file was
             * dropped (a follower more than max_files rotations behind, or max_files 0). */
            if (attempt < 3 || n == 0)
                continue;
            next = &entries[n - 1];
            bt_log_debug("%s: the file being read was dropped; going on with the oldest left",
                         r->path);
        }
        int fd = open_entry(r, next);
        if (fd == -EAGAIN)
            continue;
        if (fd < 0)
            return bt_err_sys(err, -fd, "open %s", r->path);
        bool moved = false;
        if (ours > 0) {
            moved = !is_at(r, entries[ours].index, r->dev, r->ino);
            for (int k = next->index + 1; k < entries[ours].index && !moved; k++)
                moved = exists(r, k);
            moved = moved || !is_at(r, next->index, next->dev, next->ino);
        }
        if (moved || (next->dev == r->dev && next->ino == r->ino)) {
            close(fd);
            continue;
        }
        use_fd(r, fd, next);
        return 1;
    }
    return 0;
}

/* Whether NAME is now another file than the open one. ENOENT counts as not yet: NAME is missing
 * only for a moment during a rotation on a file system without hard links. */
static int rotated_away(struct bt_logfile_reader *r, struct bt_err *err)
{
    struct stat st;
    if (stat(r->path, &st) < 0)
        return errno == ENOENT ? 0 : bt_err_sys(err, errno, "stat %s", r->path);
    return st.st_dev != r->dev || st.st_ino != r->ino;
}

struct bt_logfile_reader *bt_logfile_reader_open(const char *path, struct bt_err *err)
{
    if (strlen(path) + 16 >= PATH_MAX) {
        bt_err_sys(err, ENAMETOOLONG, "%s", path);
        return NULL;
    }
    struct bt_logfile_reader *r = calloc(1, sizeof(*r));
    if (!r || !(r->path = strdup(path)) || !(r->dir = strdup(path))) {
        if (r)
            free(r->path);
        free(r);
        bt_err_sys(err, ENOMEM, "read %s", path);
        return NULL;
    }
    r->fd = -1;
    r->inotify_fd = -1;
    char *slash = strrchr(r->dir, '/');
    if (!slash) {
        strcpy(r->dir, ".");
        r->base = r->path;
    } else {
        slash[slash == r->dir ? 1 : 0] = '\0';
        r->base = r->path + (slash - r->dir) + 1;
    }
    if (!*r->base) {
        bt_err_msg(err, EINVAL, "%s: not a file name", path);
        bt_logfile_reader_close(r);
        return NULL;
    }
    if (open_oldest(r, err) < 0) {
        bt_logfile_reader_close(r);
        return NULL;
    }
    return r;
}

int bt_logfile_reader_next(struct bt_logfile_reader *r, struct bt_logfile_record *rec,
                           struct bt_err *err)
{
    for (;;) {
        char *s = r->buf + r->start;
        size_t avail = r->end - r->start;
        char *nl = memchr(s, '\n', avail);
        if (nl) {
            r->start += (size_t)(nl - s) + 1;
            if (r->discarding) {
                r->discarding = false;
                r->skipped++;
                continue;
            }
            if (bt_logfile_parse(s, (size_t)(nl - s), rec) == 0)
                return 1;
            r->skipped++;
            continue;
        }
        if (avail == sizeof(r->buf)) {
            r->discarding = true;
            r->start = r->end = 0;
            continue;
        }
        if (r->start > 0) {
            memmove(r->buf, s, avail);
            r->start = 0;
            r->end = avail;
        }
        ssize_t n = read(r->fd, r->buf + r->end, sizeof(r->buf) - r->end);
        if (n > 0) {
            r->end += (size_t)n;
            continue;
        }
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return bt_err_sys(err, errno, "read %s", r->path);
        }
        if (!r->finalized) {
            int rotated = rotated_away(r, err);
            if (rotated <= 0)
                return rotated;
            /* The writer made the new NAME after its last write to ours: read to the end once
             * more, then move on. */
            r->finalized = true;
            continue;
        }
        if (r->end > r->start || r->discarding)
            r->skipped++; /* a record cut short by a crash */
        int moved = open_successor(r, err);
        if (moved <= 0)
            return moved;
    }
}

/* The last N complete lines, as a ring that grows up to N entries. */
struct line_ring {
    struct bt_logfile_line *lines;
    size_t cap, count, head;
};

static int ring_push(struct line_ring *ring, size_t n, const struct bt_logfile_line *line)
{
    if (ring->count == ring->cap && ring->cap < n) {
        /* head is 0 until the ring reaches n entries, so growing keeps the order */
        size_t cap = ring->cap ? ring->cap * 2 : 16;
        if (cap > n)
            cap = n;
        struct bt_logfile_line *lines = realloc(ring->lines, cap * sizeof(*lines));
        if (!lines)
            return -ENOMEM;
        ring->lines = lines;
        ring->cap = cap;
    }
    if (ring->count < ring->cap) {
        ring->lines[(ring->head + ring->count++) % ring->cap] = *line;
    } else {
        free(ring->lines[ring->head].data);
        ring->lines[ring->head] = *line;
        ring->head = (ring->head + 1) % ring->cap;
    }
    return 0;
}

static void start_line(struct bt_logfile_line *line, const struct bt_logfile_record *rec)
{
    size_t len = rec->timestamp_len < sizeof(line->timestamp) - 1 ? rec->timestamp_len
                                                                  : sizeof(line->timestamp) - 1;
    memcpy(line->timestamp, rec->timestamp, len);
    line->timestamp[len] = '\0';
    line->time = rec->time;
    line->stream = rec->stream;
}

int bt_logfile_reader_tail(struct bt_logfile_reader *r, size_t n, bt_logfile_line_fn fn, void *data,
                           struct bt_err *err)
{
    struct line_ring ring = {0};
    struct bt_logfile_joiner joiner[2] = {{0}};
    struct bt_logfile_line pending[2] = {{0}};
    bool started[2] = {false, false};
    int ret;
    for (;;) {
        struct bt_logfile_record rec;
        ret = bt_logfile_reader_next(r, &rec, err);
        if (ret <= 0)
            break;
        if (n == 0)
            continue;
        int s = rec.stream;
        if (!started[s])
            start_line(&pending[s], &rec);
        started[s] = true;
        ret = bt_logfile_join(&joiner[s], &rec);
        if (ret < 0) {
            ret = bt_err_sys(err, ENOMEM, "tail %s", r->path);
            break;
        }
        if (ret == 1) {
            pending[s].complete = true;
            pending[s].data = joiner[s].data;
            pending[s].len = joiner[s].len;
            if (ring_push(&ring, n, &pending[s]) < 0) {
                ret = bt_err_sys(err, ENOMEM, "tail %s", r->path);
                break;
            }
            joiner[s] = (struct bt_logfile_joiner){0};
            started[s] = false;
        }
    }
    for (size_t i = 0; ret == 0 && i < ring.count; i++)
        ret = fn(&ring.lines[(ring.head + i) % ring.cap], data);
    for (int s = 0; s < 2; s++) {
        if (ret == 0 && started[s]) {
            pending[s].complete = false;
            pending[s].data = joiner[s].data ? joiner[s].data : (char *)"";
            pending[s].len = joiner[s].len;
            ret = fn(&pending[s], data);
        }
        bt_logfile_joiner_free(&joiner[s]);
    }
    for (size_t i = 0; i < ring.count; i++)
        free(ring.lines[(ring.head + i) % ring.cap].data);
    free(ring.lines);
    return ret;
}

int bt_logfile_reader_watch_fd(struct bt_logfile_reader *r, struct bt_err *err)
{
    if (r->inotify_fd >= 0)
        return r->inotify_fd;
    int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0)
        return bt_err_sys(err, errno, "inotify");
    if (inotify_add_watch(fd, r->dir,
                          IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |
                              IN_CLOSE_WRITE) < 0) {
        int errnum = errno;
        close(fd);
        return bt_err_sys(err, errnum, "inotify %s", r->dir);
    }
    r->inotify_fd = fd;
    r->fresh_watch = true;
    return fd;
}

void bt_logfile_reader_drain(struct bt_logfile_reader *r)
{
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    if (r->inotify_fd < 0)
        return;
    while (read(r->inotify_fd, buf, sizeof(buf)) > 0)
        ;
}

int bt_logfile_reader_wait(struct bt_logfile_reader *r, int timeout_ms, struct bt_err *err)
{
    if (r->inotify_fd < 0 && bt_logfile_reader_watch_fd(r, NULL) < 0) {
        /* No inotify (limits, odd file systems): stat-compare every 100 ms instead. */
        if (timeout_ms == 0)
            return 0;
        int ms = timeout_ms < 0 || timeout_ms > 100 ? 100 : timeout_ms;
        poll(NULL, 0, ms);
        return 1;
    }
    if (r->fresh_watch) {
        r->fresh_watch = false;
        return 1;
    }
    struct pollfd pfd = {.fd = r->inotify_fd, .events = POLLIN};
    int n;
    do
        n = poll(&pfd, 1, timeout_ms);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return bt_err_sys(err, errno, "poll");
    if (n == 0)
        return 0;
    bt_logfile_reader_drain(r);
    return 1;
}

uint64_t bt_logfile_reader_skipped(const struct bt_logfile_reader *r)
{
    return r->skipped;
}

void bt_logfile_reader_close(struct bt_logfile_reader *r)
{
    if (!r)
        return;
    if (r->fd >= 0)
        close(r->fd);
    if (r->inotify_fd >= 0)
        close(r->inotify_fd);
    free(r->path);
    free(r->dir);
    free(r);
}
