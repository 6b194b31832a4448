/* OCI runtime-spec config.json: strict loading into struct bt_spec, and the default spec. See
 * spec.h. Every error is one line naming the file, the key path and the reason; nothing in a
 * config.json is ever silently ignored, and no check may touch anything but the bundle. */
#include "spec.h"
#include "cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <limits.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static void put_json(struct json_object **obj)
{
    if (*obj)
        json_object_put(*obj);
}
#define cleanup_json __attribute__((cleanup(put_json)))

static void free_tokener(struct json_tokener **tok)
{
    if (*tok)
        json_tokener_free(*tok);
}
#define cleanup_tokener __attribute__((cleanup(free_tokener)))

/* Room for a key path such as "linux.resources.devices[12].access" in messages. */
#define KEYPATH_MAX 256
/* How much of a user-supplied value a message quotes. */
#define SHOWN_MAX 72

struct ctx {
    const char *file; /* config.json as named in messages */
    struct bt_err *err;
    struct bt_spec *spec;
};

/* Copies S into BUF with control characters escaped and long values cut with "...", so that a
 * message stays one readable line whatever the spec holds. */
static const char *printable(char *buf, size_t len, const char *s)
{
    size_t pos = 0, limit = len - 4;
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (pos + 4 > limit)
            break;
        if (ch < 0x20 || ch == 0x7f)
            pos += (size_t)snprintf(buf + pos, len - pos, "\\x%02x", ch);
        else
            buf[pos++] = (char)ch;
    }
    strcpy(buf + pos, *s ? "..." : "");
    return buf;
}

static int fail(struct ctx *c, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(struct ctx *c, const char *path, const char *fmt, ...)
{
    char reason[BT_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    if (path && *path)
        return bt_err_msg(c->err, EINVAL, "%s: %s: %s", c->file, path, reason);
    return bt_err_msg(c->err, EINVAL, "%s: %s", c->file, reason);
}

static int oom(struct ctx *c)
{
    return bt_err_sys(c->err, ENOMEM, "%s", c->file);
}

static int missing(struct ctx *c, const char *path)
{
    return fail(c, path, "required key is missing");
}

/* Appends TEXT to the KEYPATH_MAX buffer BUF: a truncated path is still a useful message. */
static void path_append(char *buf, const char *text)
{
    size_t len = strlen(buf), n = strnlen(text, KEYPATH_MAX - 1 - len);
    memcpy(buf + len, text, n);
    buf[len + n] = '\0';
}

/* Copies PARENT (which may be BUF itself) into BUF. */
static void path_start(char *buf, const char *parent)
{
    size_t len = strnlen(parent, KEYPATH_MAX - 1);
    memmove(buf, parent, len);
    buf[len] = '\0';
}

/* PARENT.KEY into BUF; KEY may come from the spec, so it is escaped. */
static const char *sub(char *buf, const char *parent, const char *key)
{
    char shown[SHOWN_MAX];
    path_start(buf, parent);
    if (*buf)
        path_append(buf, ".");
    path_append(buf, printable(shown, sizeof(shown), key));
    return buf;
}

/* PARENT[INDEX] into BUF. */
static const char *item(char *buf, const char *parent, size_t index)
{
    char number[32];
    snprintf(number, sizeof(number), "[%zu]", index);
    path_start(buf, parent);
    path_append(buf, number);
    return buf;
}

static const char *type_name(struct json_object *obj)
{
    switch (json_object_get_type(obj)) {
    case json_type_null: return "null";
    case json_type_boolean: return "a boolean";
    case json_type_double: return "a fractional number";
    case json_type_int: return "an integer";
    case json_type_object: return "an object";
    case json_type_array: return "an array";
    case json_type_string: return "a string";
    }
    return "an unknown type";
}

/* A member of OBJ, or NULL when it is absent or null: null means absent, as for runc. */
static struct json_object *member(struct json_object *obj, const char *key)
{
    struct json_object *value = NULL;
    json_object_object_get_ex(obj, key, &value);
    return value;
}

static int want(struct ctx *c, const char *path, struct json_object *obj, enum json_type type,
                const char *what)
{
    if (!json_object_is_type(obj, type))
        return fail(c, path, "expected %s, got %s", what, type_name(obj));
    return 0;
}

static int get_bool(struct ctx *c, const char *path, struct json_object *obj, bool *out)
{
    int ret = want(c, path, obj, json_type_boolean, "a boolean");
    if (ret == 0)
        *out = json_object_get_boolean(obj);
    return ret;
}

/* Integers beyond 64 bits never get here: check_lexical refuses them, because json-c would
 * clamp them silently. */
static int get_u64(struct ctx *c, const char *path, struct json_object *obj, uint64_t max,
                   uint64_t *out)
{
    int ret = want(c, path, obj, json_type_int, "an integer");
    if (ret < 0)
        return ret;
    int64_t value = json_object_get_int64(obj);
    if (value < 0)
        return fail(c, path, "%" PRId64 " is negative", value);
    uint64_t uvalue = json_object_get_uint64(obj);
    if (uvalue > max)
        return fail(c, path, "%" PRIu64 " is out of range (0..%" PRIu64 ")", uvalue, max);
    *out = uvalue;
    return 0;
}

static int get_i64(struct ctx *c, const char *path, struct json_object *obj, int64_t min,
                   int64_t max, int64_t *out)
{
    int ret = want(c, path, obj, json_type_int, "an integer");
    if (ret < 0)
        return ret;
    int64_t value = json_object_get_int64(obj);
    /* json-c keeps integers above INT64_MAX as uint64 and get_int64 clamps them. */
    if (value == INT64_MAX && json_object_get_uint64(obj) > (uint64_t)INT64_MAX)
        return fail(c, path, "%" PRIu64 " is out of range (%" PRId64 "..%" PRId64 ")",
                    json_object_get_uint64(obj), min, max);
    if (value < min || value > max)
        return fail(c, path, "%" PRId64 " is out of range (%" PRId64 "..%" PRId64 ")", value, min,
                    max);
    *out = value;
    return 0;
}

static int get_str(struct ctx *c, const char *path, struct json_object *obj, size_t max,
                   const char **out)
{
    int ret = want(c, path, obj, json_type_string, "a string");
    if (ret < 0)
        return ret;
    const char *value = json_object_get_string(obj);
    size_t len = (size_t)json_object_get_string_len(obj);
    if (strlen(value) != len)
        return fail(c, path, "contains a NUL character");
    if (len > max)
        return fail(c, path, "too long (%zu bytes, limit %zu)", len, max);
    *out = value;
    return 0;
}

static int dup_str(struct ctx *c, const char *value, char **out)
{
    *out = strdup(value);
    return *out ? 0 : oom(c);
}

/* An optional or required integer member KEY of OBJ; *HAS (when not NULL) tells whether it was
 * there. */
static int field_u64(struct ctx *c, const char *path, struct json_object *obj, const char *key,
                     bool required, uint64_t max, bool *has, uint64_t *out)
{
    char p[KEYPATH_MAX];
    struct json_object *value = member(obj, key);
    if (!value)
        return required ? missing(c, sub(p, path, key)) : 0;
    int ret = get_u64(c, sub(p, path, key), value, max, out);
    if (ret == 0 && has)
        *has = true;
    return ret;
}

static int field_i64(struct ctx *c, const char *path, struct json_object *obj, const char *key,
                     bool required, int64_t min, int64_t max, bool *has, int64_t *out)
{
    char p[KEYPATH_MAX];
    struct json_object *value = member(obj, key);
    if (!value)
        return required ? missing(c, sub(p, path, key)) : 0;
    int ret = get_i64(c, sub(p, path, key), value, min, max, out);
    if (ret == 0 && has)
        *has = true;
    return ret;
}

static int field_bool(struct ctx *c, const char *path, struct json_object *obj, const char *key,
                      bool required, bool *out)
{
    char p[KEYPATH_MAX];
    struct json_object *value = member(obj, key);
    if (!value)
        return required ? missing(c, sub(p, path, key)) : 0;
    return get_bool(c, sub(p, path, key), value, out);
}

/* An optional string member, copied into *OUT (left NULL when absent). */
static int field_str(struct ctx *c, const char *path, struct json_object *obj, const char *key,
                     bool required, size_t max, char **out)
{
    char p[KEYPATH_MAX];
    const char *value;
    struct json_object *jvalue = member(obj, key);
    if (!jvalue)
        return required ? missing(c, sub(p, path, key)) : 0;
    int ret = get_str(c, sub(p, path, key), jvalue, max, &value);
    return ret < 0 ? ret : dup_str(c, value, out);
}

static int get_array(struct ctx *c, const char *path, struct json_object *obj, size_t max,
                     size_t *len)
{
    int ret = want(c, path, obj, json_type_array, "an array");
    if (ret < 0)
        return ret;
    *len = json_object_array_length(obj);
    if (*len > max)
        return fail(c, path, "too many entries (%zu, limit %zu)", *len, max);
    return 0;
}

/* A value that asks for nothing: null, false, "", [] or an object of such values. A key that
 * bottle does not support is accepted only with such a value, since nothing is then ignored. */
static bool is_empty(struct json_object *obj)
{
    switch (json_object_get_type(obj)) {
    case json_type_null: return true;
    case json_type_boolean: return !json_object_get_boolean(obj);
    case json_type_string: return json_object_get_string_len(obj) == 0;
    case json_type_array: return json_object_array_length(obj) == 0;
    case json_type_object: {
        json_object_object_foreach(obj, key, value)
        {
            (void)key;
            if (!is_empty(value))
                return false;
        }
        return true;
    }
    default: return false;
    }
}

/* A key of the runtime-spec that bottle refuses, with the reason given to the user. */
struct unsupported {
    const char *key;
    const char *reason;
};

static bool listed(const char *const *names, const char *name)
{
    for (; names && *names; names++)
        if (strcmp(*names, name) == 0)
            return true;
    return false;
}

/* Checks that OBJ is an object whose keys are all in KNOWN, or in UNSUPPORTED with an empty
 * value. */
static int check_keys(struct ctx *c, const char *path, struct json_object *obj,
                      const char *const *known, const struct unsupported *unsupported)
{
    char p[KEYPATH_MAX];
    int ret = want(c, path, obj, json_type_object, "an object");
    if (ret < 0)
        return ret;
    json_object_object_foreach(obj, key, value)
    {
        if (listed(known, key))
            continue;
        const struct unsupported *u = unsupported;
        while (u && u->key && strcmp(u->key, key) != 0)
            u++;
        if (u && u->key) {
            if (is_empty(value))
                continue;
            return fail(c, sub(p, path, key), "%s", u->reason ? u->reason : "not supported");
        }
        return bt_err_msg(c->err, EINVAL, "%s: unknown key '%s'", c->file, sub(p, path, key));
    }
    return 0;
}

/* Refuses a relative path or one with a ".." component: both would let a spec reach outside
 * the container's rootfs. */
static int check_abs_path(struct ctx *c, const char *path, const char *value)
{
    char shown[SHOWN_MAX];
    if (value[0] != '/')
        return fail(c, path, "'%s' is not an absolute path",
                    printable(shown, sizeof(shown), value));
    for (const char *s = value; *s;) {
        const char *end = strchrnul(s, '/');
        if (end - s == 2 && s[0] == '.' && s[1] == '.')
            return fail(c, path, "'%s' contains a '..' component",
                        printable(shown, sizeof(shown), value));
        s = *end ? end + 1 : end;
    }
    return 0;
}

/* A list of strings into a new NULL-terminated vector *OUT of *LEN entries, each checked with
 * CHECK when not NULL. *TOTAL (when not NULL) grows by the bytes the strings take. */
static int get_strv(struct ctx *c, const char *path, struct json_object *obj, size_t max_items,
                    size_t max_len, int (*check)(struct ctx *, const char *, const char *),
                    char ***out, size_t *len, size_t *total)
{
    char p[KEYPATH_MAX];
    size_t n;
    int ret = get_array(c, path, obj, max_items, &n);
    if (ret < 0)
        return ret;
    *out = calloc(n + 1, sizeof(char *));
    if (!*out)
        return oom(c);
    *len = n;
    for (size_t i = 0; i < n; i++) {
        const char *value;
        ret = get_str(c, item(p, path, i), json_object_array_get_idx(obj, i), max_len, &value);
        if (ret == 0 && check)
            ret = check(c, p, value);
        if (ret == 0)
            ret = dup_str(c, value, &(*out)[i]);
        if (ret < 0)
            return ret;
        if (total)
            *total += strlen(value) + 1;
    }
    return 0;
}

/* ---- Refusing what json-c accepts silently: duplicate keys and integers beyond 64 bits ---- */

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
            sub(buf, buf, frame->key);
        else if (!frame->object)
            item(buf, buf, frame->index);
    }
    return key ? sub(buf, buf, key) : buf;
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
        return fail(lex->c, lex_path(lex, p, NULL), "cannot decode a key");
    const char *key = json_object_get_string(decoded);
    if (strlen(key) != (size_t)json_object_get_string_len(decoded))
        return fail(lex->c, lex_path(lex, p, key), "key contains a NUL character");
    if (frame->keys_len == frame->keys_cap) {
        size_t cap = frame->keys_cap ? 2 * frame->keys_cap : 16;
        char **keys = realloc(frame->keys, cap * sizeof(char *));
        if (!keys)
            return oom(lex->c);
        frame->keys = keys;
        frame->keys_cap = cap;
    }
    frame->key = frame->keys[frame->keys_len] = strdup(key);
    if (!frame->key)
        return oom(lex->c);
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
            return fail(lex->c, lex_path(lex, p, frame->keys[i]), "duplicate key");
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
    return fail(lex->c, lex_path(lex, p, NULL), "%s is out of range (more than 64 bits)",
                printable(shown, sizeof(shown), literal));
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
                return fail(lex->c, NULL, "nested too deeply");
            lex->frames[lex->depth++] =
                (struct lex_frame){.object = text[i] == '{', .want_key = text[i] == '{'};
            i++;
            break;
        case '}':
            if (!top)
                return fail(lex->c, NULL, "malformed JSON");
            ret = lex_end_object(lex);
            i++;
            break;
        case ']':
            if (!top)
                return fail(lex->c, NULL, "malformed JSON");
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
                return fail(lex->c, NULL, "malformed JSON");
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

static int check_lexical(struct ctx *c, const char *text, size_t len)
{
    struct lexer lex = {.c = c};
    lex.tok = json_tokener_new();
    if (!lex.tok)
        return oom(c);
    int ret = lex_walk(&lex, text, len);
    while (lex.depth)
        lex_pop(&lex);
    json_tokener_free(lex.tok);
    return ret;
}

/* ---- Names ---- */

struct name_value {
    const char *name;
    int value;
};

/* clang-format off */
#define CAP(n) {"CAP_" #n, CAP_##n}
static const struct name_value capabilities[] = {
    CAP(CHOWN), CAP(DAC_OVERRIDE), CAP(DAC_READ_SEARCH), CAP(FOWNER), CAP(FSETID), CAP(KILL),
    CAP(SETGID), CAP(SETUID), CAP(SETPCAP), CAP(LINUX_IMMUTABLE), CAP(NET_BIND_SERVICE),
    CAP(NET_BROADCAST), CAP(NET_ADMIN), CAP(NET_RAW), CAP(IPC_LOCK), CAP(IPC_OWNER),
    CAP(SYS_MODULE), CAP(SYS_RAWIO), CAP(SYS_CHROOT), CAP(SYS_PTRACE), CAP(SYS_PACCT),
    CAP(SYS_ADMIN), CAP(SYS_BOOT), CAP(SYS_NICE), CAP(SYS_RESOURCE), CAP(SYS_TIME),
    CAP(SYS_TTY_CONFIG), CAP(MKNOD), CAP(LEASE), CAP(AUDIT_WRITE), CAP(AUDIT_CONTROL),
    CAP(SETFCAP), CAP(MAC_OVERRIDE), CAP(MAC_ADMIN), CAP(SYSLOG), CAP(WAKE_ALARM),
    CAP(BLOCK_SUSPEND), CAP(AUDIT_READ), CAP(PERFMON), CAP(BPF), CAP(CHECKPOINT_RESTORE),
    {NULL, 0},
};

#define RLIM(n) {"RLIMIT_" #n, RLIMIT_##n}
static const struct name_value rlimits[] = {
    RLIM(CPU), RLIM(FSIZE), RLIM(DATA), RLIM(STACK), RLIM(CORE), RLIM(RSS), RLIM(NPROC),
    RLIM(NOFILE), RLIM(MEMLOCK), RLIM(AS), RLIM(LOCKS), RLIM(SIGPENDING), RLIM(MSGQUEUE),
    RLIM(NICE), RLIM(RTPRIO), RLIM(RTTIME), {NULL, 0},
};
/* clang-format on */

static const struct {
    const char *name;
    int clone_flag;
} namespace_types[BT_SPEC_NS_COUNT] = {
    [BT_SPEC_NS_PID] = {"pid", CLONE_NEWPID},
    [BT_SPEC_NS_NETWORK] = {"network", CLONE_NEWNET},
    [BT_SPEC_NS_MOUNT] = {"mount", CLONE_NEWNS},
    [BT_SPEC_NS_IPC] = {"ipc", CLONE_NEWIPC},
    [BT_SPEC_NS_UTS] = {"uts", CLONE_NEWUTS},
    [BT_SPEC_NS_USER] = {"user", CLONE_NEWUSER},
    [BT_SPEC_NS_CGROUP] = {"cgroup", CLONE_NEWCGROUP},
};

static const struct name_value propagations[] = {
    {"private", MS_PRIVATE},
    {"rprivate", MS_PRIVATE | MS_REC},
    {"shared", MS_SHARED},
    {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},
    {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE},
    {"runbindable", MS_UNBINDABLE | MS_REC},
    {NULL, 0},
};

/* Mount options that are flags: CLEAR ones reset FLAG, the others set it. */
static const struct {
    const char *name;
    bool clear;
    unsigned long flag;
} mount_flags[] = {
    {"defaults", false, 0},
    {"ro", false, MS_RDONLY},
    {"rw", true, MS_RDONLY},
    {"nosuid", false, MS_NOSUID},
    {"suid", true, MS_NOSUID},
    {"nodev", false, MS_NODEV},
    {"dev", true, MS_NODEV},
    {"noexec", false, MS_NOEXEC},
    {"exec", true, MS_NOEXEC},
    {"sync", false, MS_SYNCHRONOUS},
    {"async", true, MS_SYNCHRONOUS},
    {"dirsync", false, MS_DIRSYNC},
    {"remount", false, MS_REMOUNT},
    {"mand", false, MS_MANDLOCK},
    {"nomand", true, MS_MANDLOCK},
    {"noatime", false, MS_NOATIME},
    {"atime", true, MS_NOATIME},
    {"nodiratime", false, MS_NODIRATIME},
    {"diratime", true, MS_NODIRATIME},
    {"relatime", false, MS_RELATIME},
    {"norelatime", true, MS_RELATIME},
    {"strictatime", false, MS_STRICTATIME},
    {"nostrictatime", true, MS_STRICTATIME},
    {"lazytime", false, MS_LAZYTIME},
    {"nolazytime", true, MS_LAZYTIME},
    {"nosymfollow", false, MS_NOSYMFOLLOW},
    {"symfollow", true, MS_NOSYMFOLLOW},
    {"silent", false, MS_SILENT},
    {"loud", true, MS_SILENT},
    {"bind", false, MS_BIND},
    {"rbind", false, MS_BIND | MS_REC},
};

/* Options of crun or runc that bottle does not implement: refused rather than handed to the
 * kernel as filesystem data, where they would fail obscurely. */
static const char *const unsupported_mount_options[] = {
    "idmap",        "ridmap",    "tmpcopyup",    "notmpcopyup",  "copy-symlink",
    "src-nofollow", "rro",       "rrw",          "rnosuid",      "rsuid",
    "rnodev",       "rdev",      "rnoexec",      "rexec",        "rnoatime",
    "ratime",       "rrelatime", "rnorelatime",  "rstrictatime", "rnostrictatime",
    "rnodiratime",  "rdiratime", "rnosymfollow", "rsymfollow",   NULL,
};

static int lookup(const struct name_value *table, const char *name)
{
    for (; table->name; table++)
        if (strcmp(table->name, name) == 0)
            return table->value;
    return -1;
}

const char *bt_spec_ns_name(enum bt_spec_ns_type type)
{
    return (unsigned)type < BT_SPEC_NS_COUNT ? namespace_types[type].name : "?";
}

int bt_spec_ns_clone_flag(enum bt_spec_ns_type type)
{
    return (unsigned)type < BT_SPEC_NS_COUNT ? namespace_types[type].clone_flag : 0;
}

const struct bt_spec_namespace *bt_spec_find_ns(const struct bt_spec *spec,
                                                enum bt_spec_ns_type type)
{
    for (size_t i = 0; i < spec->namespaces_len; i++)
        if (spec->namespaces[i].type == type)
            return &spec->namespaces[i];
    return NULL;
}

/* ---- process ---- */

static int parse_caps(struct ctx *c, const char *path, struct json_object *obj)
{
    static const char *const known[] = {"bounding",  "effective", "inheritable",
                                        "permitted", "ambient",   NULL};
    struct bt_spec_caps *caps = &c->spec->process.caps;
    uint64_t *sets[] = {&caps->bounding, &caps->effective, &caps->inheritable, &caps->permitted,
                        &caps->ambient};
    char p[KEYPATH_MAX], q[KEYPATH_MAX], shown[SHOWN_MAX];
    int ret = check_keys(c, path, obj, known, NULL);
    if (ret < 0)
        return ret;
    c->spec->process.has_capabilities = true;
    for (size_t s = 0; known[s]; s++) {
        struct json_object *list = member(obj, known[s]);
        size_t n;
        if (!list)
            continue;
        ret = get_array(c, sub(p, path, known[s]), list, BT_SPEC_ITEMS_MAX, &n);
        for (size_t i = 0; ret == 0 && i < n; i++) {
            const char *name;
            ret = get_str(c, item(q, p, i), json_object_array_get_idx(list, i), SHOWN_MAX, &name);
            if (ret < 0)
                break;
            int cap = lookup(capabilities, name);
            if (cap < 0)
                return fail(c, q, "unknown capability '%s'", printable(shown, sizeof(shown), name));
            *sets[s] |= UINT64_C(1) << cap;
        }
        if (ret < 0)
            return ret;
    }
    return 0;
}

static int parse_rlimits(struct ctx *c, const char *path, struct json_object *list)
{
    static const char *const known[] = {"type", "soft", "hard", NULL};
    struct bt_spec_process *process = &c->spec->process;
    char p[KEYPATH_MAX], q[KEYPATH_MAX], shown[SHOWN_MAX];
    size_t n;
    int ret = get_array(c, path, list, sizeof(rlimits) / sizeof(rlimits[0]), &n);
    if (ret < 0)
        return ret;
    process->rlimits = calloc(n ? n : 1, sizeof(*process->rlimits));
    if (!process->rlimits)
        return oom(c);
    for (size_t i = 0; i < n; i++) {
        struct json_object *obj = json_object_array_get_idx(list, i);
        struct bt_spec_rlimit *rlimit = &process->rlimits[i];
        const char *type;
        item(p, path, i);
        ret = check_keys(c, p, obj, known, NULL);
        if (ret < 0)
            return ret;
        if (!member(obj, "type"))
            return missing(c, sub(q, p, "type"));
        ret = get_str(c, sub(q, p, "type"), member(obj, "type"), SHOWN_MAX, &type);
        if (ret < 0)
            return ret;
        rlimit->resource = lookup(rlimits, type);
        if (rlimit->resource < 0)
            return fail(c, q, "unknown resource limit '%s'", printable(shown, sizeof(shown), type));
        for (size_t j = 0; j < i; j++)
            if (process->rlimits[j].resource == rlimit->resource)
                return fail(c, q, "'%s' is listed twice", type);
        ret = field_u64(c, p, obj, "soft", true, UINT64_MAX, NULL, &rlimit->soft);
        if (ret == 0)
            ret = field_u64(c, p, obj, "hard", true, UINT64_MAX, NULL, &rlimit->hard);
        if (ret < 0)
            return ret;
        process->rlimits_len = i + 1;
        if (rlimit->soft > rlimit->hard)
            return fail(c, sub(q, p, "soft"), "%" PRIu64 " is above hard (%" PRIu64 ")",
                        rlimit->soft, rlimit->hard);
    }
    return 0;
}

static int parse_user(struct ctx *c, const char *path, struct json_object *obj)
{
    static const char *const known[] = {"uid", "gid", "umask", "additionalGids", NULL};
    static const struct unsupported unsupported[] = {{"username", "a Windows key"}, {NULL, NULL}};
    struct bt_spec_process *process = &c->spec->process;
    char p[KEYPATH_MAX], q[KEYPATH_MAX];
    uint64_t value;
    int ret = check_keys(c, path, obj, known, unsupported);
    if (ret == 0)
        ret = field_u64(c, path, obj, "uid", true, UINT32_MAX, NULL, &value);
    if (ret < 0)
        return ret;
    process->uid = (uint32_t)value;
    ret = field_u64(c, path, obj, "gid", true, UINT32_MAX, NULL, &value);
    if (ret < 0)
        return ret;
    process->gid = (uint32_t)value;
    ret = field_u64(c, path, obj, "umask", false, 0777, &process->has_umask, &value);
    if (ret < 0)
        return ret;
    process->umask = (uint32_t)value;
    struct json_object *gids = member(obj, "additionalGids");
    if (!gids)
        return 0;
    size_t n;
    ret = get_array(c, sub(p, path, "additionalGids"), gids, BT_SPEC_GROUPS_MAX, &n);
    if (ret < 0)
        return ret;
    process->additional_gids = calloc(n ? n : 1, sizeof(uint32_t));
    if (!process->additional_gids)
        return oom(c);
    process->additional_gids_len = n;
    for (size_t i = 0; i < n; i++) {
        ret = get_u64(c, item(q, p, i), json_object_array_get_idx(gids, i), UINT32_MAX, &value);
        if (ret < 0)
            return ret;
        process->additional_gids[i] = (uint32_t)value;
    }
    return 0;
}

static int check_env(struct ctx *c, const char *path, const char *value)
{
    char shown[SHOWN_MAX];
    const char *eq = strchr(value, '=');
    if (!eq || eq == value)
        return fail(c, path, "'%s' is not NAME=VALUE", printable(shown, sizeof(shown), value));
    return 0;
}

static int parse_process(struct ctx *c, const char *path, struct json_object *obj)
{
    static const char *const known[] = {
        "terminal", "consoleSize",     "user",        "args", "env", "cwd", "capabilities",
        "rlimits",  "noNewPrivileges", "oomScoreAdj", NULL};
    static const struct unsupported unsupported[] = {
        {"apparmorProfile", "AppArmor profiles are not supported"},
        {"selinuxLabel", "SELinux labels are not supported"},
        {"commandLine", "a Windows key"},
        {"ioPriority", "I/O priorities are not supported"},
        {"scheduler", "scheduler settings are not supported"},
        {"execCPUAffinity", "CPU affinity is not supported"},
        {NULL, NULL}};
    struct bt_spec_process *process = &c->spec->process;
    char p[KEYPATH_MAX];
    struct json_object *value;
    int64_t adj = 0;
    int ret = check_keys(c, path, obj, known, unsupported);
    if (ret == 0)
        ret = field_bool(c, path, obj, "terminal", false, &process->terminal);
    if (ret == 0 && (value = member(obj, "consoleSize"))) {
        static const char *const size_keys[] = {"height", "width", NULL};
        uint64_t height = 0, width = 0;
        sub(p, path, "consoleSize");
        ret = check_keys(c, p, value, size_keys, NULL);
        if (ret == 0)
            ret = field_u64(c, p, value, "height", true, USHRT_MAX, NULL, &height);
        if (ret == 0)
            ret = field_u64(c, p, value, "width", true, USHRT_MAX, NULL, &width);
        process->has_console_size = ret == 0;
        process->console_height = (unsigned short)height;
        process->console_width = (unsigned short)width;
    }
    if (ret == 0 && (value = member(obj, "user")))
        ret = parse_user(c, sub(p, path, "user"), value);
    if (ret < 0)
        return ret;

    size_t exec_bytes = 0;
    if (!(value = member(obj, "args")))
        return missing(c, sub(p, path, "args"));
    ret = get_strv(c, sub(p, path, "args"), value, BT_SPEC_ARGS_MAX, BT_SPEC_ARG_MAX, NULL,
                   &process->args, &process->args_len, &exec_bytes);
    if (ret < 0)
        return ret;
    if (process->args_len == 0 || process->args[0][0] == '\0')
        return fail(c, p, "must name a program to run");
    if ((value = member(obj, "env")))
        ret = get_strv(c, sub(p, path, "env"), value, BT_SPEC_ARGS_MAX, BT_SPEC_ARG_MAX, check_env,
                       &process->env, &process->env_len, &exec_bytes);
    else if (!(process->env = calloc(1, sizeof(char *))))
        ret = oom(c);
    if (ret < 0)
        return ret;
    if (exec_bytes > BT_SPEC_EXEC_MAX)
        return fail(c, path, "args and env are too long together (%zu bytes, limit %u)", exec_bytes,
                    BT_SPEC_EXEC_MAX);

    ret = field_str(c, path, obj, "cwd", true, BT_SPEC_STRING_MAX, &process->cwd);
    if (ret == 0 && process->cwd[0] != '/')
        ret = check_abs_path(c, sub(p, path, "cwd"), process->cwd);
    if (ret == 0 && (value = member(obj, "capabilities")))
        ret = parse_caps(c, sub(p, path, "capabilities"), value);
    if (ret == 0 && (value = member(obj, "rlimits")))
        ret = parse_rlimits(c, sub(p, path, "rlimits"), value);
    if (ret == 0)
        ret = field_bool(c, path, obj, "noNewPrivileges", false, &process->no_new_privileges);
    if (ret == 0)
        ret = field_i64(c, path, obj, "oomScoreAdj", false, -1000, 1000,
                        &process->has_oom_score_adj, &adj);
    process->oom_score_adj = (int)adj;
    return ret;
}

/* ---- mounts ---- */

static int parse_mount_options(struct ctx *c, const char *path, struct json_object *list,
                               struct bt_spec_mount *mount)
{
    char p[KEYPATH_MAX], shown[SHOWN_MAX];
    char data[BT_SPEC_MOUNT_DATA];
    size_t n, data_len = 0;
    int ret = get_array(c, path, list, BT_SPEC_ITEMS_MAX, &n);
    if (ret < 0)
        return ret;
    for (size_t i = 0; i < n; i++) {
        const char *option;
        ret = get_str(c, item(p, path, i), json_object_array_get_idx(list, i), BT_SPEC_STRING_MAX,
                      &option);
        if (ret < 0)
            return ret;
        printable(shown, sizeof(shown), option);
        if (!*option || strchr(option, ','))
            return fail(c, p, "'%s' is not one mount option", shown);
        if (listed(unsupported_mount_options, option))
            return fail(c, p, "mount option '%s' is not supported", shown);
        int propagation = lookup(propagations, option);
        if (propagation >= 0) {
            mount->propagation = (unsigned long)propagation;
            continue;
        }
        size_t f = 0, count = sizeof(mount_flags) / sizeof(mount_flags[0]);
        while (f < count && strcmp(mount_flags[f].name, option) != 0)
            f++;
        if (f < count) {
            if (mount_flags[f].clear)
                mount->flags &= ~mount_flags[f].flag;
            else
                mount->flags |= mount_flags[f].flag;
            continue;
        }
        /* Anything else is the filesystem's business ("mode=755", "newinstance"). */
        size_t len = strlen(option);
        if (data_len + !!data_len + len >= sizeof(data))
            return fail(c, p, "filesystem options are too long together (limit %d bytes)",
                        BT_SPEC_MOUNT_DATA - 1);
        if (data_len)
            data[data_len++] = ',';
        memcpy(data + data_len, option, len + 1);
        data_len += len;
    }
    if (data_len && !(mount->data = strdup(data)))
        return oom(c);
    return 0;
}

static int parse_mounts(struct ctx *c, const char *path, struct json_object *list)
{
    static const char *const known[] = {"destination", "type", "source", "options", NULL};
    static const struct unsupported unsupported[] = {
        {"uidMappings", "idmapped mounts are not supported"},
        {"gidMappings", "idmapped mounts are not supported"},
        {NULL, NULL}};
    struct bt_spec *spec = c->spec;
    char p[KEYPATH_MAX], q[KEYPATH_MAX];
    size_t n;
    int ret = get_array(c, path, list, BT_SPEC_ITEMS_MAX, &n);
    if (ret < 0)
        return ret;
    spec->mounts = calloc(n ? n : 1, sizeof(*spec->mounts));
    if (!spec->mounts)
        return oom(c);
    spec->mounts_len = n;
    for (size_t i = 0; i < n; i++) {
        struct json_object *obj = json_object_array_get_idx(list, i), *options;
        struct bt_spec_mount *mount = &spec->mounts[i];
        item(p, path, i);
        ret = check_keys(c, p, obj, known, unsupported);
        if (ret == 0)
            ret =
                field_str(c, p, obj, "destination", true, BT_SPEC_STRING_MAX, &mount->destination);
        if (ret == 0)
            ret = check_abs_path(c, sub(q, p, "destination"), mount->destination);
        if (ret == 0)
            ret = field_str(c, p, obj, "type", false, BT_SPEC_STRING_MAX, &mount->type);
        if (ret == 0)
            ret = field_str(c, p, obj, "source", false, BT_SPEC_STRING_MAX, &mount->source);
        if (ret == 0 && (options = member(obj, "options")))
            ret = parse_mount_options(c, sub(q, p, "options"), options, mount);
        if (ret < 0)
            return ret;
        bool bind = (mount->flags & MS_BIND) || (mount->type && strcmp(mount->type, "bind") == 0);
        if (bind)
            mount->flags |= MS_BIND;
        if (bind && (!mount->source || !*mount->source))
            return fail(c, sub(q, p, "source"), "a bind mount needs a source");
        /* The runtime-spec resolves a relative bind source against the bundle directory. */
        if (bind && mount->source[0] != '/') {
            char *absolute;
            if (asprintf(&absolute, "%s/%s", spec->bundle_dir, mount->source) < 0)
                return oom(c);
            free(mount->source);
            mount->source = absolute;
        }
    }
    return 0;
}

/* ---- linux ---- */

static int parse_namespaces(struct ctx *c, const char *path, struct json_object *list)
{
    static const char *const known[] = {"type", "path", NULL};
    struct bt_spec *spec = c->spec;
    char p[KEYPATH_MAX], q[KEYPATH_MAX], shown[SHOWN_MAX];
    size_t n;
    int ret = get_array(c, path, list, BT_SPEC_NS_COUNT + 1, &n);
    if (ret < 0)
        return ret;
    spec->namespaces = calloc(n ? n : 1, sizeof(*spec->namespaces));
    if (!spec->namespaces)
        return oom(c);
    for (size_t i = 0; i < n; i++) {
        struct json_object *obj = json_object_array_get_idx(list, i);
        struct bt_spec_namespace *ns = &spec->namespaces[i];
        const char *type;
        item(p, path, i);
        ret = check_keys(c, p, obj, known, NULL);
        if (ret < 0)
            return ret;
        if (!member(obj, "type"))
            return missing(c, sub(q, p, "type"));
        ret = get_str(c, sub(q, p, "type"), member(obj, "type"), SHOWN_MAX, &type);
        if (ret < 0)
            return ret;
        int t = 0;
        while (t < BT_SPEC_NS_COUNT && strcmp(namespace_types[t].name, type) != 0)
            t++;
        if (t == BT_SPEC_NS_COUNT)
            return fail(c, q, "%s namespace '%s'",
                        strcmp(type, "time") == 0 ? "unsupported" : "unknown",
                        printable(shown, sizeof(shown), type));
        ns->type = (enum bt_spec_ns_type)t;
        if (bt_spec_find_ns(spec, ns->type))
            return fail(c, q, "namespace '%s' is listed twice", type);
        spec->namespaces_len = i + 1;
        ret = field_str(c, p, obj, "path", false, BT_SPEC_STRING_MAX, &ns->path);
        if (ret == 0 && ns->path)
            ret = check_abs_path(c, sub(q, p, "path"), ns->path);
        if (ret < 0)
            return ret;
    }
    return 0;
}

static bool ranges_overlap(uint64_t a, uint64_t b, uint64_t size_a, uint64_t size_b)
{
    return a < b + size_b && b < a + size_a;
}

static int parse_id_mappings(struct ctx *c, const char *path, struct json_object *list,
                             struct bt_spec_id_map **out, size_t *len)
{
    static const char *const known[] = {"containerID", "hostID", "size", NULL};
    char p[KEYPATH_MAX];
    size_t n;
    int ret = get_array(c, path, list, BT_SPEC_IDMAP_MAX, &n);
    if (ret < 0)
        return ret;
    *out = calloc(n ? n : 1, sizeof(**out));
    if (!*out)
        return oom(c);
    *len = n;
    for (size_t i = 0; i < n; i++) {
        struct json_object *obj = json_object_array_get_idx(list, i);
        uint64_t container_id, host_id, size;
        item(p, path, i);
        ret = check_keys(c, p, obj, known, NULL);
        if (ret == 0)
            ret = field_u64(c, p, obj, "containerID", true, UINT32_MAX, NULL, &container_id);
        if (ret == 0)
            ret = field_u64(c, p, obj, "hostID", true, UINT32_MAX, NULL, &host_id);
        if (ret == 0)
            ret = field_u64(c, p, obj, "size", true, UINT32_MAX, NULL, &size);
        if (ret < 0)
            return ret;
        if (size == 0)
            return fail(c, p, "size must not be 0");
        if (container_id + size > (uint64_t)UINT32_MAX + 1 ||
            host_id + size > (uint64_t)UINT32_MAX + 1)
            return fail(c, p, "range goes past 4294967295");
        (*out)[i] =
            (struct bt_spec_id_map){(uint32_t)container_id, (uint32_t)host_id, (uint32_t)size};
        for (size_t j = 0; j < i; j++) {
            struct bt_spec_id_map *other = &(*out)[j];
            if (ranges_overlap(container_id, other->container_id, size, other->size) ||
                ranges_overlap(host_id, other->host_id, size, other->size))
                return fail(c, p, "overlaps %s[%zu]", path, j);
        }
    }
    return 0;
}

/* "0-3,6": the cpuset list format. */
static int check_cpu_list(struct ctx *c, const char *path, const char *value)
{
    char shown[SHOWN_MAX];
    const char *s = value;
    while (*s) {
        char *end;
        if (*s < '0' || *s > '9')
            goto bad;
        unsigned long first = strtoul(s, &end, 10), last = first;
        if (*end == '-') {
            if (end[1] < '0' || end[1] > '9')
                goto bad;
            last = strtoul(end + 1, &end, 10);
        }
        if (first > last || last >= 65536)
            goto bad;
        s = end;
        if (*s == ',' && s[1])
            s++;
        else if (*s)
            goto bad;
    }
    if (s != value)
        return 0;
bad:
    return fail(c, path, "'%s' is not a list such as '0-3,6'",
                printable(shown, sizeof(shown), value));
}

/* An optional integer in MIN..MAX where 0 means unset, as runc reads Go's zero values. */
static int field_unset0(struct ctx *c, const char *path, struct json_object *obj, const char *key,
                        uint64_t min, uint64_t max, bool *has, uint64_t *out)
{
    char p[KEYPATH_MAX];
    uint64_t value = 0;
    int ret = field_u64(c, path, obj, key, false, UINT64_MAX, NULL, &value);
    if (ret == 0 && value != 0 && (value < min || value > max))
        ret = fail(c, sub(p, path, key),
                   "%" PRIu64 " is out of range (%" PRIu64 "..%" PRIu64 ", or 0 for unset)", value,
                   min, max);
    *has = ret == 0 && value != 0;
    *out = value;
    return ret;
}

/* 0 means unset for cpu shares, quota and period and for blkio weight, as in runc. */
static int parse_resources(struct ctx *c, const char *path, struct json_object *obj)
{
    static const char *const known[] = {"memory", "cpu", "pids", "blockIO", "devices", NULL};
    static const struct unsupported unsupported[] = {
        {"hugepageLimits", "hugepage limits are not supported"},
        {"network", "network class and priorities are not supported"},
        {"rdma", "rdma limits are not supported"},
        {"unified", "raw cgroup v2 files (unified) are not supported"},
        {NULL, NULL}};
    static const char *const memory_known[] = {"limit", "reservation", "swap", NULL};
    static const struct unsupported memory_unsupported[] = {{"kernel", NULL},
                                                            {"kernelTCP", NULL},
                                                            {"swappiness", NULL},
                                                            {"disableOOMKiller", NULL},
                                                            {"useHierarchy", NULL},
                                                            {"checkBeforeUpdate", NULL},
                                                            {NULL, NULL}};
    static const char *const cpu_known[] = {"shares", "quota", "period", "cpus", "mems", NULL};
    static const struct unsupported cpu_unsupported[] = {{"realtimeRuntime", NULL},
                                                         {"realtimePeriod", NULL},
                                                         {"burst", NULL},
                                                         {"idle", NULL},
                                                         {NULL, NULL}};
    static const char *const pids_known[] = {"limit", NULL};
    static const char *const blkio_known[] = {"weight", NULL};
    static const struct unsupported blkio_unsupported[] = {{"leafWeight", NULL},
                                                           {"weightDevice", NULL},
                                                           {"throttleReadBpsDevice", NULL},
                                                           {"throttleWriteBpsDevice", NULL},
                                                           {"throttleReadIOPSDevice", NULL},
                                                           {"throttleWriteIOPSDevice", NULL},
                                                           {NULL, NULL}};
    struct bt_spec_resources *res = &c->spec->resources;
    char p[KEYPATH_MAX], q[KEYPATH_MAX];
    struct json_object *value;
    uint64_t u = 0;
    int ret = check_keys(c, path, obj, known, unsupported);
    if (ret < 0)
        return ret;

    if ((value = member(obj, "memory"))) {
        sub(p, path, "memory");
        ret = check_keys(c, p, value, memory_known, memory_unsupported);
        if (ret == 0)
            ret = field_i64(c, p, value, "limit", false, -1, INT64_MAX, &res->has_memory_limit,
                            &res->memory_limit);
        if (ret == 0)
            ret = field_i64(c, p, value, "reservation", false, -1, INT64_MAX,
                            &res->has_memory_reservation, &res->memory_reservation);
        if (ret == 0)
            ret = field_i64(c, p, value, "swap", false, -1, INT64_MAX, &res->has_memory_swap,
                            &res->memory_swap);
        if (ret < 0)
            return ret;
        if (res->has_memory_limit && res->has_memory_swap && res->memory_limit > 0 &&
            res->memory_swap >= 0 && res->memory_swap < res->memory_limit)
            return fail(c, sub(q, p, "swap"),
                        "%" PRId64 " is below limit (%" PRId64 "): swap counts memory+swap",
                        res->memory_swap, res->memory_limit);
    }

    if ((value = member(obj, "cpu"))) {
        sub(p, path, "cpu");
        ret = check_keys(c, p, value, cpu_known, cpu_unsupported);
        if (ret == 0)
            ret = field_unset0(c, p, value, "shares", 2, 262144, &res->has_cpu_shares,
                               &res->cpu_shares);
        if (ret == 0)
            ret = field_i64(c, p, value, "quota", false, -1, INT64_MAX, &res->has_cpu_quota,
                            &res->cpu_quota);
        if (ret == 0 && res->cpu_quota > 0 && res->cpu_quota < 1000)
            ret = fail(c, sub(q, p, "quota"),
                       "%" PRId64 " is below the kernel's minimum of 1000 microseconds",
                       res->cpu_quota);
        res->has_cpu_quota = res->cpu_quota != 0;
        if (ret == 0)
            ret = field_unset0(c, p, value, "period", 1000, 1000000, &res->has_cpu_period,
                               &res->cpu_period);
        if (ret == 0)
            ret = field_str(c, p, value, "cpus", false, BT_SPEC_STRING_MAX, &res->cpu_cpus);
        if (ret == 0 && res->cpu_cpus)
            ret = check_cpu_list(c, sub(q, p, "cpus"), res->cpu_cpus);
        if (ret == 0)
            ret = field_str(c, p, value, "mems", false, BT_SPEC_STRING_MAX, &res->cpu_mems);
        if (ret == 0 && res->cpu_mems)
            ret = check_cpu_list(c, sub(q, p, "mems"), res->cpu_mems);
        if (ret < 0)
            return ret;
    }

    if ((value = member(obj, "pids"))) {
        sub(p, path, "pids");
        ret = check_keys(c, p, value, pids_known, NULL);
        if (ret == 0)
            ret = field_i64(c, p, value, "limit", true, -1, INT64_MAX, &res->has_pids_limit,
                            &res->pids_limit);
        if (ret < 0)
            return ret;
    }

    if ((value = member(obj, "blockIO"))) {
        sub(p, path, "blockIO");
        ret = check_keys(c, p, value, blkio_known, blkio_unsupported);
        if (ret == 0)
            ret = field_unset0(c, p, value, "weight", 10, 1000, &res->has_blkio_weight, &u);
        if (ret < 0)
            return ret;
        res->blkio_weight = (uint16_t)u;
    }

    if ((value = member(obj, "devices"))) {
        static const char *const device_known[] = {"allow", "type",   "major",
                                                   "minor", "access", NULL};
        size_t n;
        sub(p, path, "devices");
        ret = get_array(c, p, value, BT_SPEC_ITEMS_MAX, &n);
        if (ret < 0)
            return ret;
        res->devices = calloc(n ? n : 1, sizeof(*res->devices));
        if (!res->devices)
            return oom(c);
        res->devices_len = n;
        for (size_t i = 0; i < n; i++) {
            struct json_object *rule = json_object_array_get_idx(value, i), *jvalue;
            struct bt_spec_device_rule *device = &res->devices[i];
            char r[KEYPATH_MAX], shown[SHOWN_MAX];
            const char *s;
            item(q, p, i);
            *device = (struct bt_spec_device_rule){
                .type = 'a', .major = -1, .minor = -1, .access = "rwm"};
            ret = check_keys(c, q, rule, device_known, NULL);
            if (ret == 0)
                ret = field_bool(c, q, rule, "allow", true, &device->allow);
            if (ret == 0 && (jvalue = member(rule, "type"))) {
                ret = get_str(c, sub(r, q, "type"), jvalue, SHOWN_MAX, &s);
                if (ret == 0 && (strlen(s) != 1 || !strchr("abc", s[0])))
                    ret = fail(c, r, "'%s' is not one of a, b, c",
                               printable(shown, sizeof(shown), s));
                if (ret == 0)
                    device->type = s[0];
            }
            if (ret == 0)
                ret = field_i64(c, q, rule, "major", false, -1, 4095, NULL, &device->major);
            if (ret == 0)
                ret =
                    field_i64(c, q, rule, "minor", false, -1, (1 << 20) - 1, NULL, &device->minor);
            if (ret == 0 && (jvalue = member(rule, "access"))) {
                ret = get_str(c, sub(r, q, "access"), jvalue, SHOWN_MAX, &s);
                size_t len = ret == 0 ? strlen(s) : 0;
                bool good = len >= 1 && len <= 3 && strspn(s, "rwm") == len;
                for (size_t k = 0; good && k < len; k++)
                    good = strchr(s + k + 1, s[k]) == NULL;
                if (ret == 0 && !good)
                    ret = fail(c, r, "'%s' is not a subset of rwm",
                               printable(shown, sizeof(shown), s));
                if (ret == 0)
                    memcpy(device->access, s, len + 1);
            }
            if (ret < 0)
                return ret;
        }
    }
    return 0;
}

/* A sysctl must belong to a namespace the container gets, or it would change the host. */
static int check_sysctl(struct ctx *c, const char *path, const char *key)
{
    static const char *const ipc[] = {"kernel.msgmax", "kernel.msgmnb",          "kernel.msgmni",
                                      "kernel.sem",    "kernel.shmall",          "kernel.shmmax",
                                      "kernel.shmmni", "kernel.shm_rmid_forced", NULL};
    static const char *const uts[] = {"kernel.hostname", "kernel.domainname", NULL};
    char name[BT_SPEC_STRING_MAX + 1], shown[SHOWN_MAX];
    enum bt_spec_ns_type needs;
    printable(shown, sizeof(shown), key);
    if (!*key || key[0] == '.' || key[0] == '/' || strstr(key, "..") || strpbrk(key, " \t\n=") ||
        strlen(key) >= sizeof(name))
        return fail(c, path, "'%s' is not a sysctl name", shown);
    strcpy(name, key);
    for (char *s = name; *s; s++)
        if (*s == '/')
            *s = '.';
    if (listed(ipc, name) || strncmp(name, "fs.mqueue.", 10) == 0)
        needs = BT_SPEC_NS_IPC;
    else if (listed(uts, name))
        needs = BT_SPEC_NS_UTS;
    else if (strncmp(name, "net.", 4) == 0)
        needs = BT_SPEC_NS_NETWORK;
    else
        return fail(c, path, "'%s' is not namespaced: setting it would change the host", shown);
    if (!bt_spec_find_ns(c->spec, needs))
        return fail(c, path, "'%s' needs a %s namespace in linux.namespaces", shown,
                    bt_spec_ns_name(needs));
    return 0;
}

/* A string-to-string object (sysctl, annotations) into a list of pairs, in file order. */
static int parse_kv(struct ctx *c, const char *path, struct json_object *obj,
                    int (*check_key)(struct ctx *, const char *, const char *),
                    struct bt_spec_kv **out, size_t *len)
{
    char p[KEYPATH_MAX];
    const char *text;
    int ret = want(c, path, obj, json_type_object, "an object");
    if (ret < 0)
        return ret;
    size_t n = (size_t)json_object_object_length(obj), i = 0;
    if (n > BT_SPEC_ITEMS_MAX)
        return fail(c, path, "too many entries (%zu, limit %d)", n, BT_SPEC_ITEMS_MAX);
    *out = calloc(n ? n : 1, sizeof(**out));
    if (!*out)
        return oom(c);
    json_object_object_foreach(obj, key, value)
    {
        sub(p, path, key);
        if (strlen(key) > BT_SPEC_STRING_MAX)
            return fail(c, p, "key too long (limit %d bytes)", BT_SPEC_STRING_MAX);
        if (check_key && (ret = check_key(c, p, key)) < 0)
            return ret;
        if (!value)
            return fail(c, p, "expected a string, got null");
        ret = get_str(c, p, value, BT_SPEC_ARG_MAX, &text);
        if (ret == 0)
            ret = dup_str(c, key, &(*out)[i].key);
        if (ret == 0)
            ret = dup_str(c, text, &(*out)[i].value);
        *len = ++i;
        if (ret < 0)
            return ret;
    }
    return 0;
}

static int parse_linux(struct ctx *c, const char *path, struct json_object *obj)
{
    static const char *const known[] = {
        "namespaces", "uidMappings", "gidMappings",   "resources",         "cgroupsPath",
        "sysctl",     "maskedPaths", "readonlyPaths", "rootfsPropagation", NULL};
    static const struct unsupported unsupported[] = {
        {"seccomp", "seccomp filters are not supported yet"},
        {"mountLabel", "SELinux labels are not supported"},
        {"devices", "creating device nodes (linux.devices) is not supported"},
        {"intelRdt", "Intel RDT is not supported"},
        {"personality", "execution domains (personality) are not supported"},
        {"timeOffsets", "time namespaces are not supported"},
        {"memoryPolicy", "memory policies are not supported"},
        {"netDevices", "moving network devices is not supported"},
        {NULL, NULL}};
    struct bt_spec *spec = c->spec;
    char p[KEYPATH_MAX], shown[SHOWN_MAX];
    struct json_object *value;
    int ret = check_keys(c, path, obj, known, unsupported);
    if (ret == 0 && (value = member(obj, "namespaces")))
        ret = parse_namespaces(c, sub(p, path, "namespaces"), value);
    if (ret == 0 && (value = member(obj, "uidMappings")))
        ret = parse_id_mappings(c, sub(p, path, "uidMappings"), value, &spec->uid_mappings,
                                &spec->uid_mappings_len);
    if (ret == 0 && (value = member(obj, "gidMappings")))
        ret = parse_id_mappings(c, sub(p, path, "gidMappings"), value, &spec->gid_mappings,
                                &spec->gid_mappings_len);
    if (ret == 0 && (value = member(obj, "resources")))
        ret = parse_resources(c, sub(p, path, "resources"), value);
    if (ret == 0)
        ret =
            field_str(c, path, obj, "cgroupsPath", false, BT_SPEC_STRING_MAX, &spec->cgroups_path);
    if (ret == 0 && spec->cgroups_path) {
        const char *s = spec->cgroups_path;
        sub(p, path, "cgroupsPath");
        if (!*s || strstr(s, "/../") || strncmp(s, "../", 3) == 0 || strcmp(s, "..") == 0 ||
            (strlen(s) >= 3 && strcmp(s + strlen(s) - 3, "/..") == 0))
            ret = fail(c, p, "'%s' is empty or contains a '..' component",
                       printable(shown, sizeof(shown), s));
    }
    if (ret == 0 && (value = member(obj, "sysctl")))
        ret = parse_kv(c, sub(p, path, "sysctl"), value, check_sysctl, &spec->sysctl,
                       &spec->sysctl_len);
    if (ret == 0 && (value = member(obj, "maskedPaths")))
        ret = get_strv(c, sub(p, path, "maskedPaths"), value, BT_SPEC_ITEMS_MAX, BT_SPEC_STRING_MAX,
                       check_abs_path, &spec->masked_paths, &spec->masked_paths_len, NULL);
    if (ret == 0 && (value = member(obj, "readonlyPaths")))
        ret =
            get_strv(c, sub(p, path, "readonlyPaths"), value, BT_SPEC_ITEMS_MAX, BT_SPEC_STRING_MAX,
                     check_abs_path, &spec->readonly_paths, &spec->readonly_paths_len, NULL);
    if (ret == 0 && (value = member(obj, "rootfsPropagation"))) {
        const char *s;
        ret = get_str(c, sub(p, path, "rootfsPropagation"), value, SHOWN_MAX, &s);
        int flags = ret == 0 ? lookup(propagations, s) : 0;
        if (ret == 0 && flags < 0)
            ret = fail(c, p, "unknown propagation '%s'", printable(shown, sizeof(shown), s));
        spec->rootfs_propagation = flags > 0 ? (unsigned long)flags : 0;
    }
    return ret;
}

/* ---- the whole spec ---- */

static int parse_version(struct ctx *c, struct json_object *top)
{
    char shown[SHOWN_MAX];
    int ret = field_str(c, "", top, "ociVersion", true, SHOWN_MAX, &c->spec->oci_version);
    if (ret < 0)
        return ret;
    const char *s = c->spec->oci_version;
    char *end;
    /* MAJOR.MINOR.PATCH with an optional -prerelease or +build ("1.0.2-dev" from runc). */
    bool good = strncmp(s, "1.", 2) == 0 && s[2] >= '0' && s[2] <= '9';
    unsigned long minor = good ? strtoul(s + 2, &end, 10) : 0;
    good = good && *end == '.' && end[1] >= '0' && end[1] <= '9';
    if (good) {
        strtoul(end + 1, &end, 10);
        good = minor <= 2 && (*end == '\0' || *end == '-' || *end == '+');
    }
    if (!good)
        return fail(c, "ociVersion", "unsupported version '%s' (bottle reads 1.0.x to 1.2.x)",
                    printable(shown, sizeof(shown), s));
    return 0;
}

static int parse_root(struct ctx *c, struct json_object *top)
{
    static const char *const known[] = {"path", "readonly", NULL};
    struct json_object *root = member(top, "root");
    if (!root)
        return missing(c, "root");
    int ret = check_keys(c, "root", root, known, NULL);
    if (ret == 0)
        ret = field_str(c, "root", root, "path", true, BT_SPEC_STRING_MAX, &c->spec->root_path);
    if (ret == 0 && !c->spec->root_path[0])
        ret = fail(c, "root.path", "must not be empty");
    if (ret == 0)
        ret = field_bool(c, "root", root, "readonly", false, &c->spec->root_readonly);
    return ret;
}

static int parse_hostnames(struct ctx *c, struct json_object *top)
{
    static const char *const keys[] = {"hostname", "domainname"};
    char **values[] = {&c->spec->hostname, &c->spec->domainname};
    for (size_t i = 0; i < 2; i++) {
        int ret = field_str(c, "", top, keys[i], false, BT_SPEC_HOSTNAME_MAX, values[i]);
        if (ret < 0)
            return ret;
        if (*values[i] && **values[i] && !bt_spec_find_ns(c->spec, BT_SPEC_NS_UTS))
            return fail(c, keys[i],
                        "needs a uts namespace in linux.namespaces, or it would "
                        "change the host's");
    }
    return 0;
}

static int parse_hooks(struct ctx *c, struct json_object *top)
{
    static const char *const known[] = {
        "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop",
        NULL};
    char p[KEYPATH_MAX];
    struct json_object *hooks = member(top, "hooks");
    if (!hooks)
        return 0;
    int ret = check_keys(c, "hooks", hooks, known, NULL);
    if (ret < 0)
        return ret;
    json_object_object_foreach(hooks, key, value)
    {
        if (!is_empty(value))
            return fail(c, sub(p, "hooks", key), "hooks are not supported");
    }
    return 0;
}

/* Checks that the ids and namespaces agree: mappings need a new user namespace, and a new user
 * namespace needs them and maps the process's uid and gid. */
static int check_user_namespace(struct ctx *c)
{
    struct bt_spec *spec = c->spec;
    const struct bt_spec_namespace *user = bt_spec_find_ns(spec, BT_SPEC_NS_USER);
    const char *const names[] = {"linux.uidMappings", "linux.gidMappings"};
    const struct bt_spec_id_map *maps[] = {spec->uid_mappings, spec->gid_mappings};
    size_t lens[] = {spec->uid_mappings_len, spec->gid_mappings_len};
    uint32_t ids[] = {spec->process.uid, spec->process.gid};
    for (size_t k = 0; k < 2; k++) {
        if (!user && lens[k])
            return fail(c, names[k], "needs a user namespace in linux.namespaces");
        if (user && user->path && lens[k])
            return fail(c, names[k], "must be empty when joining the user namespace %s",
                        user->path);
        if (user && !user->path && !lens[k])
            return fail(c, names[k], "required with a new user namespace");
        if (!user || user->path)
            continue;
        bool mapped = false;
        for (size_t i = 0; i < lens[k] && !mapped; i++)
            mapped = ids[k] >= maps[k][i].container_id &&
                     ids[k] - maps[k][i].container_id < maps[k][i].size;
        if (!mapped)
            return fail(c, k ? "process.user.gid" : "process.user.uid",
                        "%" PRIu32 " is not mapped by %s", ids[k], names[k]);
    }
    return 0;
}

static bool beneath(const char *path, const char *dir)
{
    size_t len = strlen(dir);
    if (strcmp(dir, "/") == 0)
        return true;
    return strncmp(path, dir, len) == 0 && (path[len] == '/' || path[len] == '\0');
}

/* Resolves root.path against the bundle: it must be a directory, and a relative root.path must
 * stay inside the bundle after every symlink (".." or a symlink out of it is refused). */
static int resolve_rootfs(struct ctx *c)
{
    struct bt_spec *spec = c->spec;
    char shown[SHOWN_MAX];
    cleanup_free char *joined = NULL;
    const char *path = spec->root_path;
    if (path[0] != '/') {
        if (asprintf(&joined, "%s/%s", spec->bundle_dir, path) < 0)
            return oom(c);
        path = joined;
    }
    printable(shown, sizeof(shown), path);
    spec->rootfs = realpath(path, NULL);
    if (!spec->rootfs)
        return fail(c, "root.path", "%s: %s", shown, strerror(errno));
    struct stat st;
    if (stat(spec->rootfs, &st) < 0)
        return fail(c, "root.path", "%s: %s", shown, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return fail(c, "root.path", "%s is not a directory", shown);
    if (spec->root_path[0] != '/' && !beneath(spec->rootfs, spec->bundle_dir)) {
        char real[SHOWN_MAX];
        return fail(c, "root.path", "%s resolves to %s, outside the bundle directory", shown,
                    printable(real, sizeof(real), spec->rootfs));
    }
    return 0;
}

static int parse_spec(struct ctx *c, struct json_object *top)
{
    static const char *const known[] = {"ociVersion", "root",   "process", "hostname",
                                        "domainname", "mounts", "linux",   "annotations",
                                        "hooks",      NULL};
    static const struct unsupported unsupported[] = {
        {"solaris", "not a Linux key"},
        {"windows", "not a Linux key"},
        {"vm", "virtual-machine containers are not supported"},
        {"zos", "not a Linux key"},
        {"freebsd", "not a Linux key"},
        {NULL, NULL}};
    struct bt_spec *spec = c->spec;
    struct json_object *value;
    int ret = check_keys(c, "", top, known, unsupported);
    if (ret == 0)
        ret = parse_version(c, top);
    if (ret == 0)
        ret = parse_root(c, top);
    if (ret == 0 && !(value = member(top, "process")))
        ret = missing(c, "process");
    if (ret == 0)
        ret = parse_process(c, "process", value);
    /* linux first: hostname, sysctl and the ids are checked against the namespaces. */
    if (ret == 0 && (value = member(top, "linux")))
        ret = parse_linux(c, "linux", value);
    if (ret == 0)
        ret = parse_hostnames(c, top);
    if (ret == 0 && (value = member(top, "mounts")))
        ret = parse_mounts(c, "mounts", value);
    if (ret == 0 && (value = member(top, "annotations")))
        ret = parse_kv(c, "annotations", value, NULL, &spec->annotations, &spec->annotations_len);
    if (ret == 0)
        ret = parse_hooks(c, top);
    if (ret == 0)
        ret = check_user_namespace(c);
    if (ret == 0 && !bt_spec_find_ns(spec, BT_SPEC_NS_MOUNT))
        ret = fail(c, "linux.namespaces", "a mount namespace is required");
    if (ret == 0)
        ret = resolve_rootfs(c);
    return ret;
}

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

static int parse_text(const char *text, size_t len, const char *bundle_dir, const char *config_path,
                      struct bt_spec **out, struct bt_err *err)
{
    struct ctx c = {.file = config_path, .err = err};
    cleanup_tokener struct json_tokener *tok = json_tokener_new();
    if (!tok)
        return oom(&c);
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    cleanup_json struct json_object *top =
        len <= BT_SPEC_FILE_MAX ? json_tokener_parse_ex(tok, text, (int)len) : NULL;
    if (len > BT_SPEC_FILE_MAX)
        return fail(&c, NULL, "too large (%zu bytes, limit %u)", len, BT_SPEC_FILE_MAX);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t end = json_tokener_get_parse_end(tok);
    unsigned line, column;
    position(text, end, &line, &column);
    if (jerr == json_tokener_continue || (jerr == json_tokener_success && !top && end >= len))
        return bt_err_msg(err, EINVAL, "%s:%u:%u: invalid JSON: unexpected end of input",
                          config_path, line, column);
    if (jerr != json_tokener_success)
        return bt_err_msg(err, EINVAL, "%s:%u:%u: invalid JSON: %s", config_path, line, column,
                          json_tokener_error_desc(jerr));
    if (end != len)
        return bt_err_msg(err, EINVAL, "%s:%u:%u: invalid JSON: unexpected data after the end",
                          config_path, line, column);
    if (!json_object_is_type(top, json_type_object))
        return fail(&c, NULL, "expected a JSON object, got %s", type_name(top));
    int ret = check_lexical(&c, text, len);
    if (ret < 0)
        return ret;

    struct bt_spec *spec = calloc(1, sizeof(*spec));
    if (!spec)
        return oom(&c);
    c.spec = spec;
    spec->bundle_dir = realpath(bundle_dir, NULL);
    if (!spec->bundle_dir)
        ret = bt_err_msg(err, EINVAL, "%s: bundle directory %s: %s", config_path, bundle_dir,
                         strerror(errno));
    if (ret == 0)
        ret = dup_str(&c, config_path, &spec->config_path);
    if (ret == 0)
        ret = parse_spec(&c, top);
    if (ret < 0) {
        bt_spec_free(spec);
        return ret;
    }
    *out = spec;
    return 0;
}

int bt_spec_parse(const char *json_text, const char *bundle_dir, struct bt_spec **out,
                  struct bt_err *err)
{
    *out = NULL;
    if (!json_text || !bundle_dir)
        return bt_err_msg(err, EINVAL, "bt_spec_parse: no text or no bundle directory");
    cleanup_free char *config_path = NULL;
    if (asprintf(&config_path, "%s/config.json", bundle_dir) < 0)
        return bt_err_sys(err, ENOMEM, "%s/config.json", bundle_dir);
    return parse_text(json_text, strlen(json_text), bundle_dir, config_path, out, err);
}

int bt_spec_load(const char *bundle_dir, struct bt_spec **out, struct bt_err *err)
{
    *out = NULL;
    cleanup_free char *config_path = NULL;
    if (asprintf(&config_path, "%s/config.json", bundle_dir) < 0)
        return bt_err_sys(err, ENOMEM, "%s/config.json", bundle_dir);
    cleanup_close int fd = open(config_path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return bt_err_sys(err, errno, "%s", config_path);
    struct stat st;
    if (fstat(fd, &st) < 0)
        return bt_err_sys(err, errno, "%s", config_path);
    if (!S_ISREG(st.st_mode))
        return bt_err_msg(err, EINVAL, "%s: not a regular file", config_path);
    if (st.st_size > BT_SPEC_FILE_MAX)
        return bt_err_msg(err, EINVAL, "%s: too large (%lld bytes, limit %u)", config_path,
                          (long long)st.st_size, BT_SPEC_FILE_MAX);
    /* Read one byte more than allowed, in case the file grew since fstat. */
    cleanup_free char *text = malloc((size_t)st.st_size + 2);
    size_t cap = (size_t)st.st_size + 1, len = 0;
    if (!text)
        return bt_err_sys(err, ENOMEM, "%s", config_path);
    while (len < cap) {
        ssize_t n = read(fd, text + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return bt_err_sys(err, errno, "read %s", config_path);
        if (n == 0)
            break;
        len += (size_t)n;
    }
    if (len > (size_t)st.st_size)
        return bt_err_msg(err, EINVAL, "%s: changed while being read", config_path);
    text[len] = '\0';
    if (strlen(text) != len)
        return bt_err_msg(err, EINVAL, "%s: contains a NUL byte", config_path);
    return parse_text(text, len, bundle_dir, config_path, out, err);
}

static void free_strv(char **strv)
{
    for (char **s = strv; s && *s; s++)
        free(*s);
    free(strv);
}

static void free_kv(struct bt_spec_kv *kv, size_t len)
{
    for (size_t i = 0; kv && i < len; i++) {
        free(kv[i].key);
        free(kv[i].value);
    }
    free(kv);
}

void bt_spec_free(struct bt_spec *spec)
{
    if (!spec)
        return;
    free(spec->config_path);
    free(spec->bundle_dir);
    free(spec->oci_version);
    free(spec->root_path);
    free(spec->rootfs);
    free(spec->process.additional_gids);
    free_strv(spec->process.args);
    free_strv(spec->process.env);
    free(spec->process.cwd);
    free(spec->process.rlimits);
    free(spec->hostname);
    free(spec->domainname);
    for (size_t i = 0; spec->mounts && i < spec->mounts_len; i++) {
        free(spec->mounts[i].destination);
        free(spec->mounts[i].type);
        free(spec->mounts[i].source);
        free(spec->mounts[i].data);
    }
    free(spec->mounts);
    for (size_t i = 0; spec->namespaces && i < spec->namespaces_len; i++)
        free(spec->namespaces[i].path);
    free(spec->namespaces);
    free(spec->uid_mappings);
    free(spec->gid_mappings);
    free(spec->resources.cpu_cpus);
    free(spec->resources.cpu_mems);
    free(spec->resources.devices);
    free(spec->cgroups_path);
    free_kv(spec->sysctl, spec->sysctl_len);
    free_strv(spec->masked_paths);
    free_strv(spec->readonly_paths);
    free_kv(spec->annotations, spec->annotations_len);
    free(spec);
}

/* ---- the default spec ---- */

/* Builds JSON with json-c. KEEP holds a reference to every object and array made, so that a
 * failed allocation anywhere never leaves a dangling parent: the builder just notes it and
 * reads on as the document it writes. */
struct builder {
    struct json_object *keep;
    bool failed;
};

/* Attaches VALUE to PARENT under KEY, or at the end of the array PARENT when KEY is NULL. */
static void add(struct builder *b, struct json_object *parent, const char *key,
                struct json_object *value)
{
    int ret = -1;
    if (parent && value)
        ret =
            key ? json_object_object_add(parent, key, value) : json_object_array_add(parent, value);
    if (ret < 0) {
        json_object_put(value);
        b->failed = true;
    }
}

/* Attaches the new object or array FRESH to PARENT (when not NULL) and returns it; it stays
 * valid until KEEP is released, even when attaching failed. */
static struct json_object *node(struct builder *b, struct json_object *parent, const char *key,
                                struct json_object *fresh)
{
    if (!fresh || json_object_array_add(b->keep, fresh) < 0) {
        json_object_put(fresh);
        b->failed = true;
        return NULL;
    }
    if (parent)
        add(b, parent, key, json_object_get(fresh));
    return fresh;
}

static struct json_object *strings(struct builder *b, struct json_object *parent, const char *key,
                                   const char *const *list)
{
    struct json_object *array = node(b, parent, key, json_object_new_array());
    for (; *list; list++)
        add(b, array, NULL, json_object_new_string(*list));
    return array;
}

static void default_mount(struct builder *b, struct json_object *mounts, const char *destination,
                          const char *type, const char *source, const char *const *options)
{
    struct json_object *mount = node(b, mounts, NULL, json_object_new_object());
    add(b, mount, "destination", json_object_new_string(destination));
    add(b, mount, "type", json_object_new_string(type));
    add(b, mount, "source", json_object_new_string(source));
    if (options)
        strings(b, mount, "options", options);
}

char *bt_spec_default_json(void)
{
    /* docker's default capability set (moby's oci/caps/defaults.go). */
    static const char *const docker_caps[] = {"CAP_CHOWN",
                                              "CAP_DAC_OVERRIDE",
                                              "CAP_FSETID",
                                              "CAP_FOWNER",
                                              "CAP_MKNOD",
                                              "CAP_NET_RAW",
                                              "CAP_SETGID",
                                              "CAP_SETUID",
                                              "CAP_SETFCAP",
                                              "CAP_SETPCAP",
                                              "CAP_NET_BIND_SERVICE",
                                              "CAP_SYS_CHROOT",
                                              "CAP_KILL",
                                              "CAP_AUDIT_WRITE",
                                              NULL};
    static const char *const none[] = {NULL};
    static const char *const env[] = {
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm", NULL};
    static const char *const args[] = {"sh", NULL};
    static const char *const dev_options[] = {"nosuid", "strictatime", "mode=755", "size=65536k",
                                              NULL};
    static const char *const pts_options[] = {"nosuid",    "noexec", "newinstance", "ptmxmode=0666",
                                              "mode=0620", "gid=5",  NULL};
    static const char *const shm_options[] = {"nosuid",    "noexec",      "nodev",
                                              "mode=1777", "size=65536k", NULL};
    static const char *const mqueue_options[] = {"nosuid", "noexec", "nodev", NULL};
    static const char *const sys_options[] = {"nosuid", "noexec", "nodev", "ro", NULL};
    static const char *const namespaces[] = {"pid",   "network", "ipc", "uts",
                                             "mount", "cgroup",  NULL};
    /* crun's and runc's defaults. */
    static const char *const masked[] = {"/proc/acpi",
                                         "/proc/asound",
                                         "/proc/kcore",
                                         "/proc/keys",
                                         "/proc/latency_stats",
                                         "/proc/timer_list",
                                         "/proc/timer_stats",
                                         "/proc/sched_debug",
                                         "/sys/firmware",
                                         "/proc/scsi",
                                         NULL};
    static const char *const readonly[] = {
        "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL};
    cleanup_json struct json_object *keep = json_object_new_array();
    struct builder b = {keep, keep == NULL};
    if (!keep)
        return NULL;
    struct json_object *top = node(&b, NULL, NULL, json_object_new_object());
    add(&b, top, "ociVersion", json_object_new_string("1.0.2"));

    struct json_object *process = node(&b, top, "process", json_object_new_object());
    add(&b, process, "terminal", json_object_new_boolean(1));
    struct json_object *user = node(&b, process, "user", json_object_new_object());
    add(&b, user, "uid", json_object_new_int(0));
    add(&b, user, "gid", json_object_new_int(0));
    strings(&b, process, "args", args);
    strings(&b, process, "env", env);
    add(&b, process, "cwd", json_object_new_string("/"));
    struct json_object *caps = node(&b, process, "capabilities", json_object_new_object());
    strings(&b, caps, "bounding", docker_caps);
    strings(&b, caps, "effective", docker_caps);
    strings(&b, caps, "inheritable", none);
    strings(&b, caps, "permitted", docker_caps);
    strings(&b, caps, "ambient", none);
    struct json_object *rlimit_list = node(&b, process, "rlimits", json_object_new_array());
    struct json_object *nofile = node(&b, rlimit_list, NULL, json_object_new_object());
    add(&b, nofile, "type", json_object_new_string("RLIMIT_NOFILE"));
    add(&b, nofile, "hard", json_object_new_int(1024));
    add(&b, nofile, "soft", json_object_new_int(1024));
    add(&b, process, "noNewPrivileges", json_object_new_boolean(1));

    struct json_object *root = node(&b, top, "root", json_object_new_object());
    add(&b, root, "path", json_object_new_string("rootfs"));
    add(&b, root, "readonly", json_object_new_boolean(1));
    add(&b, top, "hostname", json_object_new_string("bottle"));

    struct json_object *mounts = node(&b, top, "mounts", json_object_new_array());
    default_mount(&b, mounts, "/proc", "proc", "proc", NULL);
    default_mount(&b, mounts, "/dev", "tmpfs", "tmpfs", dev_options);
    default_mount(&b, mounts, "/dev/pts", "devpts", "devpts", pts_options);
    default_mount(&b, mounts, "/dev/shm", "tmpfs", "shm", shm_options);
    default_mount(&b, mounts, "/dev/mqueue", "mqueue", "mqueue", mqueue_options);
    default_mount(&b, mounts, "/sys", "sysfs", "sysfs", sys_options);

    struct json_object *linux_obj = node(&b, top, "linux", json_object_new_object());
    struct json_object *resources = node(&b, linux_obj, "resources", json_object_new_object());
    struct json_object *devices = node(&b, resources, "devices", json_object_new_array());
    struct json_object *deny_all = node(&b, devices, NULL, json_object_new_object());
    add(&b, deny_all, "allow", json_object_new_boolean(0));
    add(&b, deny_all, "access", json_object_new_string("rwm"));
    struct json_object *ns_list = node(&b, linux_obj, "namespaces", json_object_new_array());
    for (const char *const *type = namespaces; *type; type++) {
        struct json_object *ns = node(&b, ns_list, NULL, json_object_new_object());
        add(&b, ns, "type", json_object_new_string(*type));
    }
    strings(&b, linux_obj, "maskedPaths", masked);
    strings(&b, linux_obj, "readonlyPaths", readonly);
    if (b.failed)
        return NULL;

    const char *text = json_object_to_json_string_ext(top, JSON_C_TO_STRING_PRETTY |
                                                               JSON_C_TO_STRING_NOSLASHESCAPE);
    char *out;
    if (!text || asprintf(&out, "%s\n", text) < 0)
        return NULL;
    return out;
}
