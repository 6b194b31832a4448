/* The raw text of a JSON file: see jsontext.h. The pre-check only reads text that json-c has
 * already accepted in strict mode, so it need not validate anything else. */
#include "jsontext.h"
#include "cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int bt_jsontext_load(const char *path, int open_flags, size_t max, char **text, size_t *len,
                     struct bt_err *err)
{
    *text = NULL;
    cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | open_flags);
    if (fd < 0)
        return bt_err_sys(err, errno, "%s", path);
    struct stat st;
    if (fstat(fd, &st) < 0)
        return bt_err_sys(err, errno, "%s", path);
    if (!S_ISREG(st.st_mode))
        return bt_err_msg(err, EINVAL, "%s: not a regular file", path);
    if ((uintmax_t)st.st_size > max)
        return bt_err_msg(err, EINVAL, "%s: too large (%lld bytes, limit %zu)", path,
                          (long long)st.st_size, max);
    /* Read one byte more than fstat said, in case the file grew since. */
    size_t cap = (size_t)st.st_size + 1, got = 0;
    cleanup_free char *buf = malloc(cap + 1);
    if (!buf)
        return bt_err_sys(err, ENOMEM, "%s", path);
    while (got < cap) {
        ssize_t n = read(fd, buf + got, cap - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return bt_err_sys(err, errno, "read %s", path);
        if (n == 0)
            break;
        got += (size_t)n;
    }
    if (got > (size_t)st.st_size)
        return bt_err_msg(err, EINVAL, "%s: changed while being read", path);
    buf[got] = '\0';
    if (strlen(buf) != got)
        return bt_err_msg(err, EINVAL, "%s: contains a NUL byte", path);
    *text = bt_take_ptr(&buf);
    *len = got;
    return 0;
}

static void free_tokener(struct json_tokener **tok)
{
    if (*tok)
        json_tokener_free(*tok);
}
#define cleanup_tokener __attribute__((cleanup(free_tokener)))

/* Where json-c stopped, as LINE:COLUMN (1-based). */
static void position(const char *text, size_t offset, unsigned *line, unsigned *column)
{
    *line = 1;
    *column = 1;
    for (size_t i = 0; i < offset; i++) {
        if (text[i] == '\n') {
            ++*line;
            *column = 1;
        } else {
            ++*column;
        }
    }
}

int bt_jsontext_parse(struct bt_jsonread *r, const char *text, size_t len, size_t max, int depth,
                      struct json_object **out)
{
    *out = NULL;
    if (len > max)
        return bt_jsonread_fail(r, NULL, "too large (%zu bytes, limit %zu)", len, max);
    cleanup_tokener struct json_tokener *tok = json_tokener_new_ex(depth);
    if (!tok)
        return bt_jsonread_oom(r);
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    cleanup_json struct json_object *top = json_tokener_parse_ex(tok, text, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t end = json_tokener_get_parse_end(tok);
    unsigned line, column;
    position(text, end, &line, &column);
    if (jerr == json_tokener_continue || (jerr == json_tokener_success && !top && end >= len))
        return bt_err_msg(r->err, EINVAL, "%s:%u:%u: invalid JSON: unexpected end of input",
                          r->file, line, column);
    if (jerr != json_tokener_success)
        return bt_err_msg(r->err, EINVAL, "%s:%u:%u: invalid JSON: %s", r->file, line, column,
                          json_tokener_error_desc(jerr));
    if (end != len)
        return bt_err_msg(r->err, EINVAL, "%s:%u:%u: invalid JSON: unexpected data after the end",
                          r->file, line, column);
    *out = bt_take_ptr(&top);
    return 0;
}

/* ---- the pre-check ---- */

struct lex_frame {
    bool object;
    bool want_key; /* object: the next string is a key */
    size_t index;  /* array: the current element */
    char *key;     /* object: the current key (borrowed from keys) */
    char **keys;   /* object: every key so far, sorted at the end to find duplicates */
    size_t keys_len, keys_cap;
};

struct lexer {
    struct bt_jsonread *r;
    unsigned refuse; /* BT_JSONTEXT_* */
    struct json_tokener *tok;
    struct lex_frame frames[BT_JSONTEXT_DEPTH_MAX + 1];
    size_t depth;
};

static void lex_pop(struct lexer *lex)
{
    struct lex_frame *frame = &lex->frames[--lex->depth];
    for (size_t i = 0; i < frame->keys_len; i++)
        free(frame->keys[i]);
    free(frame->keys);
    memset(frame, 0, sizeof(*frame));
}

/* The key path of the current value, with KEY appended when not NULL. */
static const char *lex_path(struct lexer *lex, char *buf, const char *key)
{
    buf[0] = '\0';
    for (size_t i = 0; i < lex->depth; i++) {
        struct lex_frame *frame = &lex->frames[i];
        if (frame->object && frame->key)
            bt_jsonread_sub(buf, buf, frame->key);
        else if (!frame->object)
            bt_jsonread_item(buf, buf, frame->index);
    }
    return key ? bt_jsonread_sub(buf, buf, key) : buf;
}

static int compare_keys(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Decodes the JSON string TEXT[0..LEN) (quotes included) with json-c, so that two spellings of
 * one key ("a" and "\u0061") compare equal, and records it as the current key. */
static int lex_key(struct lexer *lex, const char *text, size_t len)
{
    char p[BT_JSONREAD_PATH_MAX];
    struct lex_frame *frame = &lex->frames[lex->depth - 1];
    json_tokener_reset(lex->tok);
    cleanup_json struct json_object *decoded = json_tokener_parse_ex(lex->tok, text, (int)len);
    if (!decoded || !json_object_is_type(decoded, json_type_string))
        return bt_jsonread_fail(lex->r, lex_path(lex, p, NULL), "cannot decode a key");
    const char *key = json_object_get_string(decoded);
    if ((lex->refuse & BT_JSONTEXT_NUL_IN_KEYS) &&
        strlen(key) != (size_t)json_object_get_string_len(decoded))
        return bt_jsonread_fail(lex->r, lex_path(lex, p, key), "key contains a NUL character");
    if (frame->keys_len == frame->keys_cap) {
        size_t cap = frame->keys_cap ? 2 * frame->keys_cap : 16;
        char **keys = realloc(frame->keys, cap * sizeof(char *));
        if (!keys)
            return bt_jsonread_oom(lex->r);
        frame->keys = keys;
        frame->keys_cap = cap;
    }
    frame->key = frame->keys[frame->keys_len] = strdup(key);
    if (!frame->key)
        return bt_jsonread_oom(lex->r);
    frame->keys_len++;
    frame->want_key = false;
    return 0;
}

static int lex_end_object(struct lexer *lex)
{
    char p[BT_JSONREAD_PATH_MAX];
    struct lex_frame *frame = &lex->frames[lex->depth - 1];
    if (frame->keys_len > 1)
        qsort(frame->keys, frame->keys_len, sizeof(char *), compare_keys);
    for (size_t i = 1; i < frame->keys_len; i++) {
        if (strcmp(frame->keys[i - 1], frame->keys[i]) == 0) {
            frame->key = NULL;
            return bt_jsonread_fail(lex->r, lex_path(lex, p, frame->keys[i]), "duplicate key");
        }
    }
    lex_pop(lex);
    return 0;
}

/* Skips the number at TEXT[*POS]; with BT_JSONTEXT_WIDE_INTEGERS refuses an integer literal that
 * does not fit in 64 bits. */
static int lex_number(struct lexer *lex, const char *text, size_t len, size_t *pos)
{
    char p[BT_JSONREAD_PATH_MAX], shown[BT_JSONREAD_SHOWN_MAX];
    size_t start = *pos, i = *pos;
    bool negative = text[i] == '-';
    if (negative)
        i++;
    size_t digits = i;
    while (i < len && text[i] >= '0' && text[i] <= '9')
        i++;
    size_t ndigits = i - digits;
    bool fraction = i < len && (text[i] == '.' || text[i] == 'e' || text[i] == 'E');
    while (i < len && text[i] && strchr("0123456789.eE+-", text[i]))
        i++;
    *pos = i;
    if (fraction || !(lex->refuse & BT_JSONTEXT_WIDE_INTEGERS))
        return 0;
    const char *limit = negative ? "9223372036854775808" : "18446744073709551615";
    size_t limit_len = strlen(limit);
    if (ndigits < limit_len || (ndigits == limit_len && memcmp(text + digits, limit, ndigits) <= 0))
        return 0;
    char literal[BT_JSONREAD_SHOWN_MAX];
    size_t n = i - start < sizeof(literal) - 1 ? i - start : sizeof(literal) - 1;
    memcpy(literal, text + start, n);
    literal[n] = '\0';
    return bt_jsonread_fail(lex->r, lex_path(lex, p, NULL),
                            "%s is out of range (more than 64 bits)",
                            bt_jsonread_printable(shown, sizeof(shown), literal));
}

/* Walks TEXT, tracking the key path. */
static int lex_walk(struct lexer *lex, const char *text, size_t len)
{
    for (size_t i = 0; i < len;) {
        struct lex_frame *top = lex->depth ? &lex->frames[lex->depth - 1] : NULL;
        int ret = 0;
        switch (text[i]) {
        case '{':
        case '[':
            if (lex->depth == BT_JSONTEXT_DEPTH_MAX)
                return bt_jsonread_fail(lex->r, NULL, "nested too deeply");
            lex->frames[lex->depth++] =
                (struct lex_frame){.object = text[i] == '{', .want_key = text[i] == '{'};
            i++;
            break;
        case '}':
            if (!top)
                return bt_jsonread_fail(lex->r, NULL, "malformed JSON");
            ret = lex_end_object(lex);
            i++;
            break;
        case ']':
            if (!top)
                return bt_jsonread_fail(lex->r, NULL, "malformed JSON");
            lex_pop(lex);
            i++;
            break;
        case ',':
            if (top && top->object)
                top->want_key = true;
            else if (top)
                top->index++;
            i++;
            break;
        case '"': {
            size_t end = i + 1;
            while (end < len && text[end] != '"')
                end += text[end] == '\\' ? 2 : 1;
            if (end >= len)
                return bt_jsonread_fail(lex->r, NULL, "malformed JSON");
            if (top && top->object && top->want_key)
                ret = lex_key(lex, text + i, end + 1 - i);
            i = end + 1;
            break;
        }
        case '-':
        case '0' ... '9': ret = lex_number(lex, text, len, &i); break;
        default: i++; break;
        }
        if (ret < 0)
            return ret;
    }
    return 0;
}

int bt_jsontext_check(struct bt_jsonread *r, const char *text, size_t len, unsigned refuse)
{
    struct lexer lex = {.r = r, .refuse = refuse};
    lex.tok = json_tokener_new();
    if (!lex.tok)
        return bt_jsonread_oom(r);
    int ret = lex_walk(&lex, text, len);
    while (lex.depth)
        lex_pop(&lex);
    json_tokener_free(lex.tok);
    return ret;
}
