/* Container logs in the CRI "k8s-file" format that conmon and the kubelet use, one record per
 * line: `TIMESTAMP STREAM TAG CONTENT\n` (RFC3339Nano with the local offset, stdout|stderr,
 * F for the end of a line or P for a chunk that no newline followed). The writer rotates by size
 * without ever splitting a record or losing one; the reader follows rotations by inode. */
#ifndef BT_LOGFILE_H
#define BT_LOGFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "err.h"

/* The longest content of one record: an unterminated line is buffered up to this many bytes and
 * then written as a P record of exactly this size (the kubelet's limit). */
#define BT_LOGFILE_LINE_MAX (16 * 1024)

/* "2026-11-22T18:40:01.123456789+00:00" and its NUL. */
#define BT_LOGFILE_TIMESTAMP_MAX 40

enum bt_logfile_stream {
    BT_LOGFILE_STDOUT = 0,
    BT_LOGFILE_STDERR = 1,
};

/* ---- Writer (the shim) ---------------------------------------------------------------------
 *
 * Rotation: when the next record would take the file past max_size, NAME.(k) is renamed
 * NAME.(k+1) for k = max_files-1 … 1 (which drops the oldest), NAME is hard-linked to NAME.1
 * and a new file prepared as NAME.new is renamed over NAME. NAME therefore never disappears,
 * and a reader sees the old inode finished before the new one exists (a rename replaces the
 * link when the file system has no hard links). A file only exceeds max_size when one record is
 * larger than max_size: it then goes alone into a file of its own. */
struct bt_logfile;

/* Opens (creating with mode 0600, or appending to) the log at PATH. MAX_SIZE is the largest size
 * of one file in bytes (0: never rotate); MAX_FILES is how many rotated files NAME.1 … are kept
 * (0: rotation drops the old file). Rotated files left over beyond MAX_FILES by an earlier
 * configuration are removed. When an existing file ends in the middle of a record (a crash),
 * a newline is appended so that the next record starts on a line of its own (the reader skips
 * the broken one). Returns a new log (free with bt_logfile_close) or NULL with ERR filled. */
struct bt_logfile *bt_logfile_open(const char *path, off_t max_size, int max_files,
                                   struct bt_err *err);

/* Splits DATA into lines and appends one F record per complete line and one P record per
 * BT_LOGFILE_LINE_MAX bytes of a longer line, all stamped with the time of this call; the
 * unterminated tail stays buffered per stream. Every record made by one call goes out with one
 * write(2) per file (O_APPEND), rotating first where needed.
 * Returns 0, or -errno with ERR filled when writing or rotating failed: the records that could
 * not be written stay queued in LOG (up to 1 MiB) and go out first on the next call to
 * bt_logfile_write or bt_logfile_flush; what does not fit in the queue is dropped and counted
 * by bt_logfile_dropped. A record that failed half-way is cut off the file again so that
 * the file stays made of whole records. */
int bt_logfile_write(struct bt_logfile *log, enum bt_logfile_stream stream, const char *data,
                     size_t len, struct bt_err *err);

/* Writes the buffered unterminated tails as P records (stdout first) and everything queued.
 * Call it when the stream ends, or after each burst of reads to get conmon's behaviour (no
 * line waits for its newline). Returns 0 or -errno with ERR filled. */
int bt_logfile_flush(struct bt_logfile *log, struct bt_err *err);

/* Flushes, closes and frees LOG (NULL is fine). Returns the flush's result. */
int bt_logfile_close(struct bt_logfile *log, struct bt_err *err);

/* Bytes of records dropped because the queue of unwritten records was full. */
uint64_t bt_logfile_dropped(const struct bt_logfile *log);

/* Writes the current time as "2026-11-22T18:40:01.123456789+01:00" (local offset) into BUF,
 * which holds at least BT_LOGFILE_TIMESTAMP_MAX bytes. Returns the length. */
size_t bt_logfile_format_time(char *buf, const struct timespec *time);

/* ---- Records ------------------------------------------------------------------------------ */

struct bt_logfile_record {
    enum bt_logfile_stream stream;
    bool partial;          /* tag P: no newline followed this chunk in the original stream */
    struct timespec time;  /* the instant of the timestamp (seconds since the epoch, UTC) */
    const char *timestamp; /* the timestamp as stored, timestamp_len bytes, not terminated */
    size_t timestamp_len;
    const char *content; /* content_len bytes, not NUL-terminated */
    size_t content_len;
};

/* Parses one record LINE of LEN bytes (without its newline). Accepts fractions of 0 to 9 digits
 * and "Z" or "+HH:MM" / "-HH:MM", an empty content with or without the space after the tag.
 * The pointers in REC point into LINE. Returns 0 or -EINVAL. */
int bt_logfile_parse(const char *line, size_t len, struct bt_logfile_record *rec);

/* Parses an RFC 3339 timestamp of LEN bytes into TIME. Returns 0 or -EINVAL. */
int bt_logfile_parse_time(const char *text, size_t len, struct timespec *time);

/* Reassembles the original bytes of a stream: bt_logfile_join appends what REC stood for (its
 * content, and a newline when it is an F record). Feed it the records of one stream in order:
 * it returns 1 when REC completed a line, 0 when the line goes on (P), -ENOMEM. data is
 * NUL-terminated after len bytes. Reset between lines to get lines; never reset to get the
 * whole stream back. */
struct bt_logfile_joiner {
    char *data;
    size_t len;
    size_t cap;
};

int bt_logfile_join(struct bt_logfile_joiner *joiner, const struct bt_logfile_record *rec);
void bt_logfile_joiner_reset(struct bt_logfile_joiner *joiner);
void bt_logfile_joiner_free(struct bt_logfile_joiner *joiner);

/* ---- Reader (bottle logs, and -f) ----------------------------------------------------------
 *
 * A reader walks NAME.N … NAME.1, NAME, oldest first, holding one file open at a time. Rotation
 * is detected by inode, on every call that reaches the end of the open file: while stat(NAME)
 * still names the open inode, the end is the end for now; once it names another inode the open
 * file is final (the writer only makes the new NAME after its last write to the old one), so it
 * is read to its end once more and the reader moves to its successor: the file with the next
 * lower number than the one now holding the open inode (found by listing the directory and
 * checked by inode after opening, retried when a rotation moved files meanwhile). So a reader
 * sees every record exactly once as long as it does not fall more than max_files rotations
 * behind the writer (then the files it missed are gone and it goes on with the oldest left).
 * Waking up is the caller's choice: bt_logfile_reader_wait (inotify on the directory, or a
 * 100 ms stat-compare when inotify is not available), or the inotify fd in an event loop. */
struct bt_logfile_reader;

/* Opens the oldest file of the log at PATH. Returns a reader or NULL with ERR filled (code
 * ENOENT when there is no log file at all). */
struct bt_logfile_reader *bt_logfile_reader_open(const char *path, struct bt_err *err);

/* Reads the next record into REC, whose pointers stay valid until the next call on R.
 * Returns 1 with a record, 0 when there is nothing more for now (the end, unless following:
 * then wait and call again), -errno with ERR filled. Malformed lines are skipped and counted. */
int bt_logfile_reader_next(struct bt_logfile_reader *r, struct bt_logfile_record *rec,
                           struct bt_err *err);

/* One line of bt_logfile_reader_tail: data holds the reassembled bytes (ending with '\n' when
 * complete), NUL-terminated; timestamp and time are those of the line's first record. */
struct bt_logfile_line {
    enum bt_logfile_stream stream;
    bool complete; /* false: the end of a stream that no newline has followed yet */
    struct timespec time;
    char timestamp[BT_LOGFILE_TIMESTAMP_MAX];
    char *data;
    size_t len;
};

typedef int (*bt_logfile_line_fn)(const struct bt_logfile_line *line, void *data);

/* `--tail N`: reads from the current position to the current end and calls FN for each of the
 * last N complete lines (P chunks joined with their F) in the order in which they were
 * completed; when N > 0, then for each stream whose last line is still unterminated, with that
 * partial line, so that a follower that goes on with bt_logfile_reader_next loses nothing.
 * Leaves R at the end, ready to follow. Holds at most N lines in memory. FN returning non-zero
 * stops the walk and is returned. Returns 0, FN's value, or -errno with ERR filled. */
int bt_logfile_reader_tail(struct bt_logfile_reader *r, size_t n, bt_logfile_line_fn fn, void *data,
                           struct bt_err *err);

/* Blocks until the log directory changed or TIMEOUT_MS passed (-1: no limit). Returns 1 (call
 * bt_logfile_reader_next again), 0 on timeout, -errno. The first call after the watch is
 * created returns 1 at once, so that nothing written before the watch existed is missed. */
int bt_logfile_reader_wait(struct bt_logfile_reader *r, int timeout_ms, struct bt_err *err);

/* The inotify fd behind bt_logfile_reader_wait, created on first use, for an event loop: when it
 * polls readable, call bt_logfile_reader_drain and then bt_logfile_reader_next until 0. Call
 * bt_logfile_reader_next until 0 once after getting the fd, too. Returns the fd (owned by R) or
 * -errno. */
int bt_logfile_reader_watch_fd(struct bt_logfile_reader *r, struct bt_err *err);

/* Empties the inotify fd's queue. */
void bt_logfile_reader_drain(struct bt_logfile_reader *r);

/* Malformed or truncated lines skipped so far. */
uint64_t bt_logfile_reader_skipped(const struct bt_logfile_reader *r);

/* Closes and frees R (NULL is fine). */
void bt_logfile_reader_close(struct bt_logfile_reader *r);

#endif
