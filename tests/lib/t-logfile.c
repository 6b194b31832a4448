/* Unit tests for lib/logfile.c: the CRI record format, P/F chunking and reassembly, rotation
 * that keeps every record whole and exactly once, --tail, and a follower racing rotations. */
#include "logfile.h"
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

static char tmpdir[64];

/* Short buffers, so that the compiler can see that every name fits. */
#define PATH_LEN 128
#define NAME_LEN 160

/* Also runs from the alarm handler (case_alarm_cleanup). The test directories are flat. */
static void remove_tmpdir(void)
{
    if (tmpdir[0])
        remove_flat_dir(tmpdir);
}

static char *tmp_path(char *buf, const char *name)
{
    snprintf(buf, PATH_LEN, "%s/%s", tmpdir, name);
    return buf;
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *data = malloc(cap + 1);
    size_t got;
    while ((got = fread(data + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap)
            data = realloc(data, (cap *= 2) + 1);
    }
    fclose(f);
    data[n] = '\0';
    *len = n;
    return data;
}

struct collected {
    struct bt_logfile_joiner stream[2];
    int records, partials;
};

/* Reads the whole log through a reader and joins each stream. Returns 0 or -errno. */
static int read_all(const char *path, struct collected *c)
{
    memset(c, 0, sizeof(*c));
    struct bt_err err = {0};
    struct bt_logfile_reader *r = bt_logfile_reader_open(path, &err);
    if (!r) {
        diag("reader: %s", err.msg);
        return -err.code;
    }
    struct bt_logfile_record rec;
    int ret;
    while ((ret = bt_logfile_reader_next(r, &rec, &err)) > 0) {
        c->records++;
        c->partials += rec.partial;
        bt_logfile_join(&c->stream[rec.stream], &rec);
    }
    if (ret < 0)
        diag("reader: %s", err.msg);
    bt_logfile_reader_close(r);
    return ret;
}

static void collected_free(struct collected *c)
{
    bt_logfile_joiner_free(&c->stream[0]);
    bt_logfile_joiner_free(&c->stream[1]);
}

/* "YYYY-MM-DDTHH:MM:SS.NNNNNNNNN+HH:MM" exactly. */
static bool well_formed_stamp(const char *s, size_t len)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd.ddddddddd+dd:dd";
    if (len != sizeof(shape) - 1)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (shape[i] == 'd'   ? (s[i] < '0' || s[i] > '9')
            : shape[i] == '+' ? (s[i] != '+' && s[i] != '-')
                              : s[i] != shape[i])
            return false;
    }
    return true;
}

static void test_full_lines(void)
{
    case_alarm(20);
    char path[PATH_LEN];
    struct bt_err err = {0};
    struct timespec before, after;
    clock_gettime(CLOCK_REALTIME, &before);
    struct bt_logfile *log = bt_logfile_open(tmp_path(path, "full.log"), 0, 0, &err);
    ok(log != NULL, "open a log");
    is_int(bt_logfile_write(log, BT_LOGFILE_STDOUT, "hello\nworld\n\n", 13, &err), 0,
           "write three lines");
    is_int(bt_logfile_close(log, &err), 0, "close");
    clock_gettime(CLOCK_REALTIME, &after);

    size_t len;
    char *text = slurp(path, &len);
    const char *want[] = {"hello", "world", ""};
    int lines = 0, good = 0, stamps = 0, in_time = 0;
    struct tm tm;
    localtime_r(&before.tv_sec, &tm);
    char offset[32];
    snprintf(offset, sizeof(offset), "%c%02ld:%02ld", tm.tm_gmtoff < 0 ? '-' : '+',
             labs(tm.tm_gmtoff) / 3600, labs(tm.tm_gmtoff) / 60 % 60);
    for (char *line = text, *nl; line && (nl = strchr(line, '\n')); line = nl + 1, lines++) {
        struct bt_logfile_record rec;
        if (lines >= 3 || bt_logfile_parse(line, (size_t)(nl - line), &rec) < 0)
            continue;
        good += rec.stream == BT_LOGFILE_STDOUT && !rec.partial &&
                rec.content_len == strlen(want[lines]) &&
                memcmp(rec.content, want[lines], rec.content_len) == 0;
        stamps += well_formed_stamp(rec.timestamp, rec.timestamp_len) &&
                  memcmp(rec.timestamp + 29, offset, 6) == 0;
        double t = (double)rec.time.tv_sec + rec.time.tv_nsec / 1e9;
        in_time += t >= before.tv_sec + before.tv_nsec / 1e9 - 1e-6 &&
                   t <= after.tv_sec + after.tv_nsec / 1e9 + 1e-6;
    }
    is_int(lines, 3, "three records");
    is_int(good, 3, "each an F record on stdout with its line");
    is_int(stamps, 3, "RFC3339Nano timestamps with the local offset %s", offset);
    is_int(in_time, 3, "timestamps between before and after the write");
    ok(text && strncmp(text + 35, " stdout F hello\n", 16) == 0, "CRI layout: TIME stdout F hello");
    free(text);
    unlink(path);
}

static void test_parse(void)
{
    case_alarm(10);
    struct bt_logfile_record rec;
    const char *line = "2026-11-22T18:40:01.123456789+01:00 stderr P abc def";
    struct tm tm = {
        .tm_year = 126, .tm_mon = 10, .tm_mday = 22, .tm_hour = 17, .tm_min = 40, .tm_sec = 1};
    ok(bt_logfile_parse(line, strlen(line), &rec) == 0 && rec.stream == BT_LOGFILE_STDERR &&
           rec.partial && rec.content_len == 7 && memcmp(rec.content, "abc def", 7) == 0 &&
           rec.time.tv_sec == timegm(&tm) && rec.time.tv_nsec == 123456789,
       "parse a P record with an offset");
    line = "2026-11-22T17:40:01.5Z stdout F";
    ok(bt_logfile_parse(line, strlen(line), &rec) == 0 && !rec.partial && rec.content_len == 0 &&
           rec.time.tv_sec == timegm(&tm) && rec.time.tv_nsec == 500000000,
       "parse Z, a short fraction and an empty content");
    const char *bad[] = {"garbage", "2026-11-22T17:40:01Z stdin F x",
                         "2026-11-22T17:40:01Z stdout X x", "2026-11-22 17:40:01Z stdout F x",
                         "2026-11-22T17:40:01Z stdout Fx"};
    int refused = 0;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        refused += bt_logfile_parse(bad[i], strlen(bad[i]), &rec) == -EINVAL;
    is_int(refused, 5, "malformed records are refused");
}

static void test_long_line(void)
{
    case_alarm(20);
    char path[PATH_LEN];
    struct bt_err err = {0};
    size_t n = 40 * 1024;
    char *data = malloc(n + 1);
    for (size_t i = 0; i < n; i++)
        data[i] = (char)('a' + i % 26);
    data[n] = '\n';

    /* No newline at all: buffered, P records when the buffer is full, the rest P at close. */
    struct bt_logfile *log = bt_logfile_open(tmp_path(path, "long.log"), 0, 0, &err);
    for (size_t off = 0; off < n; off += 1000)
        bt_logfile_write(log, BT_LOGFILE_STDOUT, data + off, off + 1000 <= n ? 1000 : n - off,
                         &err);
    bt_logfile_close(log, &err);
    struct collected c;
    read_all(path, &c);
    ok(c.records == 3 && c.partials == 3, "40 KiB without a newline: 3 P records (got %d, %d P)",
       c.records, c.partials);
    ok(c.stream[0].len == n && memcmp(c.stream[0].data, data, n) == 0,
       "reassembled exactly, without a newline");
    collected_free(&c);
    unlink(path);

    /* The same line ended by a newline in one write: P, P, F. */
    log = bt_logfile_open(path, 0, 0, &err);
    bt_logfile_write(log, BT_LOGFILE_STDOUT, data, n + 1, &err);
    bt_logfile_close(log, &err);
    read_all(path, &c);
    ok(c.records == 3 && c.partials == 2, "40 KiB line: P, P, F (got %d, %d P)", c.records,
       c.partials);
    ok(c.stream[0].len == n + 1 && memcmp(c.stream[0].data, data, n + 1) == 0,
       "reassembled exactly, with its newline");
    size_t len;
    char *text = slurp(path, &len);
    size_t longest = 0;
    for (char *line = text, *nl; (nl = strchr(line, '\n')); line = nl + 1)
        longest = (size_t)(nl - line) > longest ? (size_t)(nl - line) : longest;
    ok(longest <= 35 + 10 + BT_LOGFILE_LINE_MAX, "no record holds more than %d bytes",
       BT_LOGFILE_LINE_MAX);
    free(text);
    collected_free(&c);
    unlink(path);
    free(data);
}

static void test_interleaving(void)
{
    case_alarm(20);
    char path[PATH_LEN];
    struct bt_err err = {0};
    struct bt_logfile *log = bt_logfile_open(tmp_path(path, "mix.log"), 0, 0, &err);
    bt_logfile_write(log, BT_LOGFILE_STDOUT, "a1\na2", 5, &err);
    bt_logfile_write(log, BT_LOGFILE_STDERR, "b1\n", 3, &err);
    bt_logfile_write(log, BT_LOGFILE_STDOUT, "\na3\n", 4, &err);
    bt_logfile_write(log, BT_LOGFILE_STDERR, "b2", 2, &err);
    bt_logfile_close(log, &err);

    static const struct {
        enum bt_logfile_stream stream;
        bool partial;
        const char *content;
    } want[] = {{BT_LOGFILE_STDOUT, false, "a1"},
                {BT_LOGFILE_STDERR, false, "b1"},
                {BT_LOGFILE_STDOUT, false, "a2"},
                {BT_LOGFILE_STDOUT, false, "a3"},
                {BT_LOGFILE_STDERR, true, "b2"}};
    struct bt_logfile_reader *r = bt_logfile_reader_open(path, &err);
    struct bt_logfile_record rec;
    struct bt_logfile_joiner out[2] = {{0}};
    int count = 0, matched = 0;
    while (r && bt_logfile_reader_next(r, &rec, &err) > 0) {
        if (count < 5 && rec.stream == want[count].stream && rec.partial == want[count].partial &&
            rec.content_len == strlen(want[count].content) &&
            memcmp(rec.content, want[count].content, rec.content_len) == 0)
            matched++;
        count++;
        bt_logfile_join(&out[rec.stream], &rec);
    }
    bt_logfile_reader_close(r);
    ok(count == 5 && matched == 5, "records in write order, each line whole per stream");
    ok(out[0].data && strcmp(out[0].data, "a1\na2\na3\n") == 0 && out[1].data &&
           strcmp(out[1].data, "b1\nb2") == 0,
       "each stream reassembles to its own bytes");
    bt_logfile_joiner_free(&out[0]);
    bt_logfile_joiner_free(&out[1]);
    unlink(path);
}

/* Whether every line of PATH is a whole record and the file ends with a newline. */
static bool whole_records(const char *path, size_t *size)
{
    size_t len;
    char *text = slurp(path, &len);
    bool whole = text && len > 0 && text[len - 1] == '\n';
    for (char *line = text, *nl; whole && (nl = strchr(line, '\n')); line = nl + 1) {
        struct bt_logfile_record rec;
        whole = bt_logfile_parse(line, (size_t)(nl - line), &rec) == 0;
    }
    *size = len;
    free(text);
    return whole;
}

static void test_rotation(void)
{
    case_alarm(30);
    char path[PATH_LEN], name[NAME_LEN];
    struct bt_err err = {0};
    /* The input: 1500 lines of varied length, written in chunks cut at odd places. */
    size_t cap = 1 << 20, n = 0;
    char *input = malloc(cap);
    for (int i = 0; i < 1500; i++) {
        n += (size_t)snprintf(input + n, cap - n, "line %05d ", i);
        for (int k = 0; k < i * 7 % 113; k++)
            input[n++] = (char)('A' + (i + k) % 26);
        input[n++] = '\n';
    }
    struct bt_logfile *log = bt_logfile_open(tmp_path(path, "rot.log"), 4096, 3, &err);
    int failures = 0;
    for (size_t off = 0, step = 1; off < n; off += step, step = step * 5 % 997 + 1)
        failures += bt_logfile_write(log, BT_LOGFILE_STDOUT, input + off,
                                     off + step <= n ? step : n - off, &err) < 0;
    failures += bt_logfile_close(log, &err) < 0;
    is_int(failures, 0, "every write succeeded");

    bool kept = exists(path);
    for (int k = 1; k <= 3; k++)
        kept = kept && exists((snprintf(name, sizeof(name), "%s.%d", path, k), name));
    ok(kept, "the current file and exactly .1 .2 .3 are there");
    snprintf(name, sizeof(name), "%s.4", path);
    bool extra = exists(name);
    snprintf(name, sizeof(name), "%s.new", path);
    ok(!extra && !exists(name), "no .4 and no leftover .new");

    int whole = 0, small = 0;
    for (int k = 0; k <= 3; k++) {
        size_t size;
        if (k == 0)
            snprintf(name, sizeof(name), "%s", path);
        else
            snprintf(name, sizeof(name), "%s.%d", path, k);
        whole += whole_records(name, &size);
        small += size <= 4096;
    }
    is_int(whole, 4, "every file holds whole records only");
    is_int(small, 4, "no file is larger than max_size");

    struct collected c;
    read_all(path, &c);
    size_t got = c.stream[0].len;
    ok(got > 3 * 2048 && got < n && memcmp(c.stream[0].data, input + n - got, got) == 0 &&
           input[n - got - 1] == '\n',
       "the kept records are exactly the tail of the input (%zu of %zu bytes), from a line start",
       got, n);
    collected_free(&c);
    free(input);
    for (int k = 0; k <= 3; k++) {
        if (k == 0)
            snprintf(name, sizeof(name), "%s", path);
        else
            snprintf(name, sizeof(name), "%s.%d", path, k);
        unlink(name);
    }
}

struct tail_result {
    int count, complete;
    char lines[8][64];
    size_t big_len;
    bool big_ok;
};

static int tail_fn(const struct bt_logfile_line *line, void *data)
{
    struct tail_result *t = data;
    if (line->len > 1000) {
        t->big_len = line->len;
        t->big_ok = line->data[line->len - 1] == '\n';
        for (size_t i = 0; i + 1 < line->len; i++)
            t->big_ok = t->big_ok && line->data[i] == 'A';
    }
    if (t->count < 8)
        snprintf(t->lines[t->count], sizeof(t->lines[0]), "%.60s", line->data);
    t->count++;
    t->complete += line->complete;
    return 0;
}

static void test_tail(void)
{
    case_alarm(20);
    char path[PATH_LEN], name[NAME_LEN];
    struct bt_err err = {0};
    struct bt_logfile *log = bt_logfile_open(tmp_path(path, "tail.log"), 4096, 3, &err);
    char line[64];
    int i = 0;
    off_t last = 0;
    /* Write until a rotation happened, then one more line: the current file then holds two
     * lines and the last five lines span the boundary. */
    for (;; i++) {
        int len = snprintf(line, sizeof(line), "line %04d\n", i);
        bt_logfile_write(log, BT_LOGFILE_STDOUT, line, (size_t)len, &err);
        struct stat st;
        stat(path, &st);
        if (st.st_size < last)
            break;
        last = st.st_size;
    }
    int len = snprintf(line, sizeof(line), "line %04d\n", ++i);
    bt_logfile_write(log, BT_LOGFILE_STDOUT, line, (size_t)len, &err);

    struct tail_result t = {0};
    struct bt_logfile_reader *r = bt_logfile_reader_open(path, &err);
    is_int(bt_logfile_reader_tail(r, 5, tail_fn, &t, &err), 0, "tail 5");
    bool right = t.count == 5 && t.complete == 5;
    for (int k = 0; k < 5 && right; k++) {
        snprintf(line, sizeof(line), "line %04d\n", i - 4 + k);
        right = strcmp(t.lines[k], line) == 0;
    }
    ok(right, "the last 5 lines, 3 of them from %s.1 (got %d)", "tail.log", t.count);

    struct bt_logfile_record rec;
    is_int(bt_logfile_reader_next(r, &rec, &err), 0, "the reader is left at the end");
    bt_logfile_write(log, BT_LOGFILE_STDOUT, "after\n", 6, &err);
    ok(bt_logfile_reader_next(r, &rec, &err) == 1 && rec.content_len == 5 &&
           memcmp(rec.content, "after", 5) == 0,
       "and follows on from there");
    bt_logfile_reader_close(r);
    bt_logfile_close(log, &err);
    for (int k = 0; k <= 3; k++) {
        snprintf(name, sizeof(name), k ? "%s.%d" : "%s", path, k);
        unlink(name);
    }

    /* P chunks are joined; an unterminated last line comes after the complete ones. */
    log = bt_logfile_open(path, 0, 0, &err);
    char *big = malloc(20001);
    memset(big, 'A', 20000);
    big[20000] = '\n';
    bt_logfile_write(log, BT_LOGFILE_STDOUT, big, 20001, &err);
    bt_logfile_write(log, BT_LOGFILE_STDERR, "b\npart", 6, &err);
    bt_logfile_flush(log, &err);
    free(big);
    struct tail_result u = {0};
    r = bt_logfile_reader_open(path, &err);
    bt_logfile_reader_tail(r, 2, tail_fn, &u, &err);
    ok(u.count == 3 && u.complete == 2 && u.big_len == 20001 && u.big_ok &&
           strcmp(u.lines[1], "b\n") == 0 && strcmp(u.lines[2], "part") == 0,
       "tail joins P chunks into one line and ends with the unterminated tail");
    bt_logfile_reader_close(r);
    bt_logfile_close(log, &err);
    unlink(path);
}

#define FOLLOW_LINES 4000

static void test_follow(void)
{
    case_alarm(60);
    char path[PATH_LEN], name[NAME_LEN];
    struct bt_err err = {0};
    /* Enough files that the writer never drops one: every record must be seen exactly once. */
    bt_logfile_close(bt_logfile_open(tmp_path(path, "follow.log"), 4096, 200, &err), &err);
    struct bt_logfile_reader *r = bt_logfile_reader_open(path, &err);
    ok(r != NULL, "a follower opens the empty log");
    pid_t child = fork();
    if (child == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        struct bt_logfile *log = bt_logfile_open(path, 4096, 200, &err);
        char line[64];
        for (int i = 0; i < FOLLOW_LINES; i++) {
            int len = snprintf(line, sizeof(line), "record %06d\n", i);
            if (bt_logfile_write(log, i % 3 ? BT_LOGFILE_STDOUT : BT_LOGFILE_STDERR, line,
                                 (size_t)len, &err) < 0)
                _exit(1);
            if (i % 97 == 0)
                usleep(1000);
        }
        _exit(bt_logfile_close(log, &err) < 0);
    }
    int next = 0, wrong = 0, status = -1, rounds = 0;
    bool writer_done = false;
    for (;;) {
        struct bt_logfile_record rec;
        int ret;
        while ((ret = bt_logfile_reader_next(r, &rec, &err)) > 0) {
            char want[32];
            int len = snprintf(want, sizeof(want), "record %06d", next);
            if (rec.content_len != (size_t)len || memcmp(rec.content, want, (size_t)len) != 0) {
                if (wrong++ < 3)
                    diag("expected %s, got %.*s", want, (int)rec.content_len, rec.content);
            }
            next++;
        }
        if (ret < 0) {
            diag("follow: %s", err.msg);
            break;
        }
        if (writer_done)
            break;
        if (waitpid(child, &status, WNOHANG) == child) {
            writer_done = true; /* one more pass reads what it wrote last */
            continue;
        }
        bt_logfile_reader_wait(r, 200, &err);
        rounds++;
    }
    is_int(status, 0, "the writer wrote %d records through rotations", FOLLOW_LINES);
    ok(next == FOLLOW_LINES && wrong == 0,
       "the follower saw every record exactly once, in order (%d seen, %d wrong, %d waits)", next,
       wrong, rounds);
    is_int(bt_logfile_reader_skipped(r), 0, "and skipped nothing");
    bt_logfile_reader_close(r);
    snprintf(name, sizeof(name), "%s.1", path);
    ok(exists(name), "rotations did happen");
    for (int k = 0; k <= 200; k++) {
        snprintf(name, sizeof(name), k ? "%s.%d" : "%s", path, k);
        unlink(name);
    }
}

/* A follower that sleeps through many rotations walks the whole chain of files afterwards. */
static void test_lagging_follower(void)
{
    case_alarm(30);
    char path[PATH_LEN], name[NAME_LEN];
    struct bt_err err = {0};
    struct bt_logfile *log = bt_logfile_open(tmp_path(path, "lag.log"), 4096, 200, &err);
    bt_logfile_write(log, BT_LOGFILE_STDOUT, "record 000000\n", 14, &err);
    struct bt_logfile_reader *r = bt_logfile_reader_open(path, &err);
    struct bt_logfile_record rec;
    int next = 0, wrong = 0, ret;
    char want[32], line[32];
    while ((ret = bt_logfile_reader_next(r, &rec, &err)) > 0) {
        snprintf(want, sizeof(want), "record %06d", next++);
        wrong += rec.content_len != 13 || memcmp(rec.content, want, 13) != 0;
    }
    for (int i = 1; i < 3000; i++) {
        int len = snprintf(line, sizeof(line), "record %06d\n", i);
        bt_logfile_write(log, BT_LOGFILE_STDOUT, line, (size_t)len, &err);
    }
    bt_logfile_close(log, &err);
    int files = 0;
    for (int k = 1; k <= 200; k++) {
        snprintf(name, sizeof(name), "%s.%d", path, k);
        files += exists(name);
    }
    while ((ret = bt_logfile_reader_next(r, &rec, &err)) > 0) {
        snprintf(want, sizeof(want), "record %06d", next++);
        wrong += rec.content_len != 13 || memcmp(rec.content, want, 13) != 0;
    }
    ok(ret == 0 && next == 3000 && wrong == 0 && files > 20,
       "after sleeping through %d rotations the reader sees each record once (%d seen, %d wrong)",
       files, next, wrong);
    bt_logfile_reader_close(r);
    for (int k = 0; k <= 200; k++) {
        snprintf(name, sizeof(name), k ? "%s.%d" : "%s", path, k);
        unlink(name);
    }
}

static void test_write_error(void)
{
    case_alarm(20);
    char path[PATH_LEN];
    tmp_path(path, "full.log");
    /* In a child: RLIMIT_FSIZE makes writes fail half-way (EFBIG), as a full disk would. */
    pid_t child = fork();
    if (child == 0) {
        struct bt_err err = {0};
        int result = 0;
        signal(SIGXFSZ, SIG_IGN);
        struct bt_logfile *log = bt_logfile_open(path, 0, 0, &err);
        struct rlimit old, low;
        getrlimit(RLIMIT_FSIZE, &old);
        low = old;
        low.rlim_cur = 1000;
        setrlimit(RLIMIT_FSIZE, &low);
        char lines[50 * 40 + 1];
        for (int i = 0; i < 50; i++)
            snprintf(lines + i * 40, 41, "%038d\n", i);
        if (bt_logfile_write(log, BT_LOGFILE_STDOUT, lines, 50 * 40, &err) != -EFBIG)
            result |= 1; /* the error is reported */
        size_t size;
        struct stat st;
        if (stat(path, &st) == 0 && st.st_size != 0 && !whole_records(path, &size))
            result |= 2; /* the half-written record was cut off again */
        setrlimit(RLIMIT_FSIZE, &old);
        if (bt_logfile_flush(log, &err) < 0)
            result |= 4;
        bt_logfile_close(log, &err);
        struct collected c;
        read_all(path, &c);
        if (c.stream[0].len != 50 * 40 || memcmp(c.stream[0].data, lines, 50 * 40) != 0)
            result |= 8; /* nothing lost, nothing twice */
        collected_free(&c);
        _exit(result);
    }
    int status;
    waitpid(child, &status, 0);
    int result = WIFEXITED(status) ? WEXITSTATUS(status) : 255;
    ok(!(result & 1), "a failing write is reported (-EFBIG)");
    ok(!(result & 2), "the file keeps whole records only");
    ok(!(result & 12), "the queued records go out once the write works again, exactly once");
    unlink(path);
}

int main(void)
{
    plan(39);
    make_tmpdir(tmpdir, sizeof(tmpdir), "t-logfile");
    /* Every case runs under its own alarm, which removes the directory on a timeout. */
    case_alarm_cleanup = remove_tmpdir;
    test_full_lines();
    test_parse();
    test_long_line();
    test_interleaving();
    test_rotation();
    test_tail();
    test_follow();
    test_lagging_follower();
    test_write_error();
    remove_tmpdir();
    ok(!exists(tmpdir), "the temporary directory is gone");
    return done();
}
