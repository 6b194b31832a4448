/* The raw-text pre-check of a service spec: json-c keeps the last of two equal keys silently,
 * and a spec whose "restart" is written twice must be refused, naming the key path. Only reads
 * text that json-c has already accepted, so it need not validate anything else. */
#include "svcspec-internal.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

/* As deep as the tokener lets a spec nest (bt_svcspec_parse sets it). */
#define LEX_DEPTH_MAX 64

struct lex_frame {
    bool object;
    bool want_key; /* object: the next string is a key */
    size_t index;  /* array: the current element */
    char *key;     /* object: the current key (borrowed from keys) */
    char **keys;   /* object: every key so far, sorted at the end to find duplicates */
    size_t keys_len, keys_cap;
};

struct lexer {
    struct svc_ctx *c;
    struct json_tokener *tok;
    struct lex_frame frames[LEX_DEPTH_MAX + 1];
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

/* The key path of the current value, with KEY appended. */
static const char *lex_path(struct lexer *lex, char *buf, const char *key)
{
    buf[0] = '\0';
    for (size_t i = 0; i + 1 < lex->depth; i++) {
        struct lex_frame *frame = &lex->frames[i];
        if (frame->object && frame->key)
            bt_svcspec_i_sub(buf, buf, frame->key);
        else if (!frame->object)
            bt_svcspec_i_item(buf, buf, frame->index);
    }
    return bt_svcspec_i_sub(buf, buf, key);
}

static int compare_keys(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Records the JSON string TEXT[0..LEN) (quotes included) as the current key, decoded with
 * json-c when it holds an escape, so that "a" and "\u0061" compare equal. */
static int lex_key(struct lexer *lex, const char *text, size_t len)
{
    struct lex_frame *frame = &lex->frames[lex->depth - 1];
    char *key;
    if (memchr(text, '\\', len)) {
        json_tokener_reset(lex->tok);
        cleanup_json struct json_object *decoded = json_tokener_parse_ex(lex->tok, text, (int)len);
        key = strdup(decoded ? json_object_get_string(decoded) : "?");
    } else {
        key = strndup(text + 1, len - 2);
    }
    if (!key)
        return bt_svcspec_i_oom(lex->c);
    if (frame->keys_len == frame->keys_cap) {
        size_t cap = frame->keys_cap ? 2 * frame->keys_cap : 16;
        char **keys = realloc(frame->keys, cap * sizeof(char *));
        if (!keys) {
            free(key);
            return bt_svcspec_i_oom(lex->c);
        }
        frame->keys = keys;
        frame->keys_cap = cap;
    }
    frame->key = frame->keys[frame->keys_len++] = key;
    frame->want_key = false;
    return 0;
}

static int lex_end_object(struct lexer *lex)
{
    char p[SVC_PATH_MAX];
    struct lex_frame *frame = &lex->frames[lex->depth - 1];
    if (frame->keys_len > 1)
        qsort(frame->keys, frame->keys_len, sizeof(char *), compare_keys);
    for (size_t i = 1; i < frame->keys_len; i++)
        if (strcmp(frame->keys[i - 1], frame->keys[i]) == 0)
            return bt_svcspec_i_fail(lex->c, lex_path(lex, p, frame->keys[i]), "duplicate key");
    lex_pop(lex);
    return 0;
}

static int lex_walk(struct lexer *lex, const char *text, size_t len)
{
    for (size_t i = 0; i < len;) {
        struct lex_frame *top = lex->depth ? &lex->frames[lex->depth - 1] : NULL;
        int ret = 0;
        switch (text[i]) {
        case '{':
        case '[':
            if (lex->depth == LEX_DEPTH_MAX)
                return bt_svcspec_i_fail(lex->c, NULL, "nested too deeply");
            lex->frames[lex->depth++] =
                (struct lex_frame){.object = text[i] == '{', .want_key = text[i] == '{'};
            break;
        case '}':
            if (!top)
                return bt_svcspec_i_fail(lex->c, NULL, "malformed JSON");
            ret = lex_end_object(lex);
            break;
        case ']':
            if (!top)
                return bt_svcspec_i_fail(lex->c, NULL, "malformed JSON");
            lex_pop(lex);
            break;
        case ',':
            if (top && top->object)
                top->want_key = true;
            else if (top)
                top->index++;
            break;
        case '"': {
            size_t end = i + 1;
            while (end < len && text[end] != '"')
                end += text[end] == '\\' ? 2 : 1;
            if (end >= len)
                return bt_svcspec_i_fail(lex->c, NULL, "malformed JSON");
            if (top && top->object && top->want_key)
                ret = lex_key(lex, text + i, end + 1 - i);
            i = end;
            break;
        }
        default: break;
        }
        if (ret < 0)
            return ret;
        i++;
    }
    return 0;
}

int bt_svcspec_i_check_lexical(struct svc_ctx *c, const char *text, size_t len)
{
    struct lexer lex = {.c = c};
    lex.tok = json_tokener_new();
    if (!lex.tok)
        return bt_svcspec_i_oom(c);
    int ret = lex_walk(&lex, text, len);
    while (lex.depth)
        lex_pop(&lex);
    json_tokener_free(lex.tok);
    return ret;
}
