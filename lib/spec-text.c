/* The raw-text pre-check of config.json: refuses what json-c accepts silently, duplicate keys
 * and integers beyond 64 bits, naming the key path. It only reads the text json-c has already
 * accepted. */
#include "spec-internal.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

struct lex_frame {
    bool object;
    bool want_key; /* object: the next string is a key */
    size_t index;  /* array: the current element */
    char *key;     /* object: the current key (borrowed from keys) */
    char **keys;   /* object: every key so far, to find duplicates */
    size_t keys_len, keys_cap;
};

struct lexer {
    struct ctx *c;
    struct json_tokener *tok;
    struct lex_frame frames[JSON_TOKENER_DEFAULT_DEPTH + 1];
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
            bt_spec_i_sub(buf, buf, frame->key);
        else if (!frame->object)
            bt_spec_i_item(buf, buf, frame->index);
    }
    return key ? bt_spec_i_sub(buf, buf, key) : buf;
}

static int compare_keys(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Decodes the JSON string TEXT[0..LEN) (quotes included) with json-c, so that two spellings of
 * one key ("a" and "\u0061") compare equal, and records it as the current key. */
static int lex_key(struct lexer *lex, const char *text, size_t len)
{
    char p[KEYPATH_MAX];
    struct lex_frame *frame = &lex->frames[lex->depth - 1];
    json_tokener_reset(lex->tok);
    cleanup_json struct json_object *decoded = json_tokener_parse_ex(lex->tok, text, (int)len);
    if (!decoded || !json_object_is_type(decoded, json_type_string))
        return bt_spec_i_fail(lex->c, lex_path(lex, p, NULL), "cannot decode a key");
    const char *key = json_object_get_string(decoded);
    if (strlen(key) != (size_t)json_object_get_string_len(decoded))
        return bt_spec_i_fail(lex->c, lex_path(lex, p, key), "key contains a NUL character");
    if (frame->keys_len == frame->keys_cap) {
        size_t cap = frame->keys_cap ? 2 * frame->keys_cap : 16;
        char **keys = realloc(frame->keys, cap * sizeof(char *));
        if (!keys)
            return bt_spec_i_oom(lex->c);
        frame->keys = keys;
        frame->keys_cap = cap;
    }
    frame->key = frame->keys[frame->keys_len] = strdup(key);
    if (!frame->key)
        return bt_spec_i_oom(lex->c);
    frame->keys_len++;
    frame->want_key = false;
    return 0;
}

static int lex_end_object(struct lexer *lex)
{
    char p[KEYPATH_MAX];
    struct lex_frame *frame = &lex->frames[lex->depth - 1];
    if (frame->keys_len > 1)
        qsort(frame->keys, frame->keys_len, sizeof(char *), compare_keys);
    for (size_t i = 1; i < frame->keys_len; i++) {
        if (strcmp(frame->keys[i - 1], frame->keys[i]) == 0) {
            frame->key = NULL;
            return bt_spec_i_fail(lex->c, lex_path(lex, p, frame->keys[i]), "duplicate key");
        }
    }
    lex_pop(lex);
    return 0;
}

/* Refuses an integer literal that does not fit in 64 bits (json-c clamps it silently). */
static int lex_number(struct lexer *lex, const char *text, size_t len, size_t *pos)
{
    char p[KEYPATH_MAX], shown[SHOWN_MAX];
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
    if (fraction)
        return 0;
    const char *limit = negative ? "9223372036854775808" : "18446744073709551615";
    size_t limit_len = strlen(limit);
    if (ndigits < limit_len || (ndigits == limit_len && memcmp(text + digits, limit, ndigits) <= 0))
        return 0;
    char literal[SHOWN_MAX];
    size_t n = i - start < sizeof(literal) - 1 ? i - start : sizeof(literal) - 1;
    memcpy(literal, text + start, n);
    literal[n] = '\0';
    return bt_spec_i_fail(lex->c, lex_path(lex, p, NULL), "%s is out of range (more than 64 bits)",
                          bt_spec_i_printable(shown, sizeof(shown), literal));
}

/* Walks TEXT, which json-c has already accepted, tracking the key path. */
static int lex_walk(struct lexer *lex, const char *text, size_t len)
{
    for (size_t i = 0; i < len;) {
        struct lex_frame *top = lex->depth ? &lex->frames[lex->depth - 1] : NULL;
        int ret = 0;
        switch (text[i]) {
        case '{':
        case '[':
            if (lex->depth == sizeof(lex->frames) / sizeof(lex->frames[0]))
                return bt_spec_i_fail(lex->c, NULL, "nested too deeply");
            lex->frames[lex->depth++] =
                (struct lex_frame){.object = text[i] == '{', .want_key = text[i] == '{'};
            i++;
            break;
        case '}':
            if (!top)
                return bt_spec_i_fail(lex->c, NULL, "malformed JSON");
            ret = lex_end_object(lex);
            i++;
            break;
        case ']':
            if (!top)
                return bt_spec_i_fail(lex->c, NULL, "malformed JSON");
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
                return bt_spec_i_fail(lex->c, NULL, "malformed JSON");
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

int bt_spec_i_check_lexical(struct ctx *c, const char *text, size_t len)
{
    struct lexer lex = {.c = c};
    lex.tok = json_tokener_new();
    if (!lex.tok)
        return bt_spec_i_oom(c);
    int ret = lex_walk(&lex, text, len);
    while (lex.depth)
        lex_pop(&lex);
    json_tokener_free(lex.tok);
    return ret;
}
