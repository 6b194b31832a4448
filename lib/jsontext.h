/* The raw text of a JSON file, for the parsers of config.json and of service specs: reading it
 * with a size cap, parsing it strictly with json-c, and refusing what json-c accepts silently
 * (a key written twice, an integer beyond 64 bits). Every failure is one line naming the file,
 * as in jsonread.h. */
#ifndef BT_JSONTEXT_H
#define BT_JSONTEXT_H

#include "err.h"
#include "jsonread.h"

#include <json-c/json.h>
#include <stddef.h>

/* The deepest nesting bt_jsontext_parse may allow, and bt_jsontext_check walks. */
#define BT_JSONTEXT_DEPTH_MAX 64

/* What bt_jsontext_check refuses besides duplicate keys. */
enum {
    BT_JSONTEXT_WIDE_INTEGERS = 1 << 0, /* integers beyond 64 bits, which json-c clamps */
    BT_JSONTEXT_NUL_IN_KEYS = 1 << 1,   /* keys with a NUL character, which json-c cuts there */
};

/* Reads the regular file PATH, opened O_RDONLY | O_CLOEXEC | O_NOCTTY | OPEN_FLAGS, of at most
 * MAX bytes and without a NUL byte, into *TEXT (NUL-terminated, caller frees) and *LEN.
 * Messages name PATH. Returns 0 or -errno with ERR filled. */
int bt_jsontext_load(const char *path, int open_flags, size_t max, char **text, size_t *len,
                     struct bt_err *err);

/* Parses TEXT[0..LEN) (at most MAX bytes) as one JSON value with json-c in strict mode, nested
 * at most DEPTH (up to BT_JSONTEXT_DEPTH_MAX) deep, into *OUT (caller puts it). A syntax error is
 * reported as "FILE:LINE:COLUMN: invalid JSON: ...". Returns 0 or -errno with r->err filled. */
int bt_jsontext_parse(struct bt_jsonread *r, const char *text, size_t len, size_t max, int depth,
                      struct json_object **out);

/* Refuses a key written twice in one object of TEXT[0..LEN), and what REFUSE (BT_JSONTEXT_*)
 * names, naming the key path: json-c would keep the last value silently. TEXT must be what
 * bt_jsontext_parse accepted: only that is walked right. Returns 0 or -errno with r->err
 * filled. */
int bt_jsontext_check(struct bt_jsonread *r, const char *text, size_t len, unsigned refuse);

#endif
