/* One service of a spec file into struct bt_svcspec_service: every key DESIGN.md lists, with
 * its defaults; lib/svcspec-net.c reads the ports, mounts and health checks. Nothing a spec
 * says is ignored, and nothing here looks at the host: paths and images are checked as text. */
#include "svcspec-internal.h"
#include "procattr.h"
#include "sig.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_MS     (86400 * UINT64_C(1000))
#define MEMORY_MIN (UINT64_C(1) << 20)
#define MEMORY_MAX (UINT64_C(1) << 60)

static int parse_image(struct svc_ctx *c, const char *path, const char *image)
{
    char shown[BT_JSONREAD_SHOWN_MAX];
    bool good = isalnum((unsigned char)image[0]) && strlen(image) <= 255;
    for (const char *s = image; good && *s; s++)
        good = isalnum((unsigned char)*s) || strchr("._/:@-", *s);
    if (!good)
        return bt_jsonread_fail(&c->json, path, "'%s' is not a valid image name",
                                bt_jsonread_printable(shown, sizeof(shown), image));
    return 0;
}

/* Exactly one of rootfs and image. */
static int parse_root(struct svc_ctx *c, const char *path, struct json_object *obj,
                      struct bt_svcspec_service *service)
{
    char p[BT_JSONREAD_PATH_MAX];
    int ret = bt_jsonread_field_nonempty(&c->json, path, obj, "rootfs", false,
                                         BT_SVCSPEC_STRING_MAX, &service->rootfs);
    if (ret == 0 && service->rootfs)
        ret = bt_jsonread_check_abs_path(&c->json, bt_jsonread_sub(p, path, "rootfs"),
                                         service->rootfs, false);
    if (ret == 0)
        ret = bt_jsonread_field_nonempty(&c->json, path, obj, "image", false, BT_SVCSPEC_STRING_MAX,
                                         &service->image);
    if (ret == 0 && service->image && service->rootfs)
        return bt_jsonread_fail(&c->json, bt_jsonread_sub(p, path, "image"),
                                "cannot be used with rootfs (give one of the two)");
    if (ret == 0 && service->image)
        ret = parse_image(c, bt_jsonread_sub(p, path, "image"), service->image);
    if (ret == 0 && !service->rootfs && !service->image)
        return bt_jsonread_fail(&c->json, path, "one of 'rootfs' or 'image' is required");
    return ret;
}

/* env names must be unique: two values for one name would leave the winner to chance. */
static int check_env_unique(struct svc_ctx *c, const char *path, char **env, size_t len)
{
    char p[BT_JSONREAD_PATH_MAX], shown[BT_JSONREAD_SHOWN_MAX];
    for (size_t i = 1; i < len; i++) {
        size_t name_len = (size_t)(strchr(env[i], '=') - env[i]);
        for (size_t j = 0; j < i; j++) {
            if (strncmp(env[i], env[j], name_len + 1) == 0) {
                char name[BT_JSONREAD_SHOWN_MAX];
                snprintf(name, sizeof(name), "%.*s", (int)name_len, env[i]);
                return bt_jsonread_fail(&c->json, bt_jsonread_item(p, path, i),
                                        "%s is already set by env[%zu]",
                                        bt_jsonread_printable(shown, sizeof(shown), name), j);
            }
        }
    }
    return 0;
}

/* "uid[:gid]" or "name[:group]": resolved against the rootfs's own files later, so only the
 * shape is checked here. */
static int check_user(struct svc_ctx *c, const char *path, const char *user)
{
    char shown[BT_JSONREAD_SHOWN_MAX];
    const char *colon = strchr(user, ':');
    bool good =
        strlen(user) <= 256 && user[0] != ':' && (!colon || (colon[1] && !strchr(colon + 1, ':')));
    for (const char *s = user; good && *s; s++)
        good = isgraph((unsigned char)*s) && *s != '/';
    if (!good)
        return bt_jsonread_fail(&c->json, path, "'%s' is not USER[:GROUP] (names or numbers)",
                                bt_jsonread_printable(shown, sizeof(shown), user));
    return 0;
}

static int check_hostname(struct svc_ctx *c, const char *path, const char *hostname)
{
    char shown[BT_JSONREAD_SHOWN_MAX];
    size_t len = strlen(hostname);
    bool good = len <= 64 && isalnum((unsigned char)hostname[0]) &&
                isalnum((unsigned char)hostname[len - 1]);
    for (const char *s = hostname; good && *s; s++)
        good = isalnum((unsigned char)*s) || *s == '-' || *s == '.';
    if (!good)
        return bt_jsonread_fail(&c->json, path, "'%s' is not a valid hostname",
                                bt_jsonread_printable(shown, sizeof(shown), hostname));
    return 0;
}

static int parse_process(struct svc_ctx *c, const char *path, struct json_object *obj,
                         struct bt_svcspec_service *service)
{
    char p[BT_JSONREAD_PATH_MAX];
    struct json_object *value = bt_jsonread_member(obj, "command");
    bt_jsonread_sub(p, path, "command");
    if (!value)
        return bt_jsonread_fail(&c->json, p, "required key is missing");
    int ret = bt_jsonread_get_strv(&c->json, p, value, BT_SVCSPEC_ARGS_MAX, BT_SVCSPEC_ARG_MAX,
                                   NULL, &service->command, &service->command_len, NULL);
    if (ret == 0 && service->command_len == 0)
        return bt_jsonread_fail(&c->json, p, "must not be empty");
    /* Only the program must be named: an empty argument is a legitimate argument. */
    if (ret == 0 && !service->command[0][0])
        return bt_jsonread_fail(&c->json, bt_jsonread_item(p, p, 0), "must not be empty");
    value = bt_jsonread_member(obj, "env");
    if (ret == 0 && value)
        ret = bt_jsonread_get_strv(&c->json, bt_jsonread_sub(p, path, "env"), value,
                                   BT_SVCSPEC_ARGS_MAX, BT_SVCSPEC_ARG_MAX, bt_jsonread_check_env,
                                   &service->env, &service->env_len, NULL);
    else if (ret == 0 && !(service->env = calloc(1, sizeof(char *))))
        ret = bt_jsonread_oom(&c->json);
    if (ret == 0)
        ret = check_env_unique(c, bt_jsonread_sub(p, path, "env"), service->env, service->env_len);
    if (ret == 0)
        ret = bt_jsonread_field_nonempty(&c->json, path, obj, "workdir", false,
                                         BT_SVCSPEC_STRING_MAX, &service->workdir);
    if (ret == 0 && service->workdir)
        ret = bt_jsonread_check_abs_path(&c->json, bt_jsonread_sub(p, path, "workdir"),
                                         service->workdir, true);
    if (ret == 0)
        ret = bt_jsonread_field_nonempty(&c->json, path, obj, "user", false, BT_SVCSPEC_STRING_MAX,
                                         &service->user);
    if (ret == 0 && service->user)
        ret = check_user(c, bt_jsonread_sub(p, path, "user"), service->user);
    if (ret == 0)
        ret = bt_jsonread_field_nonempty(&c->json, path, obj, "hostname", false,
                                         BT_SVCSPEC_STRING_MAX, &service->hostname);
    if (ret == 0 && service->hostname)
        ret = check_hostname(c, bt_jsonread_sub(p, path, "hostname"), service->hostname);
    return ret;
}

/* "no", "on-failure", "on-failure:N", "always" or "unless-stopped" (docker's spellings). */
static int parse_restart(struct svc_ctx *c, const char *path, struct json_object *obj,
                         struct bt_svcspec_service *service)
{
    char p[BT_JSONREAD_PATH_MAX], shown[BT_JSONREAD_SHOWN_MAX];
    const char *text;
    struct json_object *value = bt_jsonread_member(obj, "restart");
    if (!value)
        return 0;
    bt_jsonread_sub(p, path, "restart");
    int ret = bt_jsonread_get_str(&c->json, p, value, BT_SVCSPEC_STRING_MAX, &text);
    if (ret < 0)
        return ret;
    bt_jsonread_printable(shown, sizeof(shown), text);
    if (strcmp(text, "no") == 0) {
        service->restart = BT_SVCSPEC_RESTART_NO;
    } else if (strcmp(text, "always") == 0) {
        service->restart = BT_SVCSPEC_RESTART_ALWAYS;
    } else if (strcmp(text, "unless-stopped") == 0) {
        service->restart = BT_SVCSPEC_RESTART_ALWAYS;
        service->unless_stopped = true;
    } else if (strcmp(text, "on-failure") == 0) {
        service->restart = BT_SVCSPEC_RESTART_ON_FAILURE;
    } else if (strncmp(text, "on-failure:", 11) == 0) {
        const char *digits = text + 11;
        uint64_t count = 0;
        bool good = *digits && strlen(digits) <= 10;
        for (const char *s = digits; good && *s; s++) {
            good = *s >= '0' && *s <= '9';
            count = count * 10 + (uint64_t)(*s - '0');
        }
        if (!good || count < 1 || count > INT32_MAX)
            return bt_jsonread_fail(&c->json, p,
                                    "on-failure:N needs a count N from 1 to %d, got '%s'",
                                    INT32_MAX, shown);
        service->restart = BT_SVCSPEC_RESTART_ON_FAILURE;
        service->max_failures = (uint32_t)count;
    } else {
        return bt_jsonread_fail(
            &c->json, p, "expected no, on-failure[:N], always or unless-stopped, got '%s'", shown);
    }
    return 0;
}

static int parse_exit_codes(struct svc_ctx *c, const char *path, struct json_object *obj,
                            struct bt_svcspec_service *service)
{
    char p[BT_JSONREAD_PATH_MAX];
    size_t len;
    struct json_object *list = bt_jsonread_member(obj, "success_exit_codes");
    service->success_exit_codes[0] = 1; /* [0] */
    if (!list)
        return 0;
    bt_jsonread_sub(p, path, "success_exit_codes");
    int ret = bt_jsonread_get_array(&c->json, p, list, 256, &len);
    if (ret < 0)
        return ret;
    service->success_exit_codes[0] = 0;
    for (size_t i = 0; i < len; i++) {
        int64_t code;
        char item[BT_JSONREAD_PATH_MAX];
        bt_jsonread_item(item, p, i);
        ret = bt_svcspec_i_get_int(c, item, json_object_array_get_idx(list, i), 0, 255, &code);
        if (ret < 0)
            return ret;
        uint64_t bit = UINT64_C(1) << (code % 64);
        if (service->success_exit_codes[code / 64] & bit)
            return bt_jsonread_fail(&c->json, item, "%" PRId64 " is listed twice", code);
        service->success_exit_codes[code / 64] |= bit;
    }
    return 0;
}

static int parse_backoff(struct svc_ctx *c, const char *path, struct json_object *obj,
                         struct bt_svcspec_service *service)
{
    static const char *const known[] = {"initial_ms", "max_ms", "reset_after_s", NULL};
    char p[BT_JSONREAD_PATH_MAX], q[BT_JSONREAD_PATH_MAX];
    int64_t initial = BT_SVCSPEC_BACKOFF_INITIAL_MS, max = BT_SVCSPEC_BACKOFF_MAX_MS;
    struct json_object *backoff = bt_jsonread_member(obj, "backoff");
    service->backoff_reset_ms = BT_SVCSPEC_BACKOFF_RESET_MS;
    if (backoff) {
        bt_jsonread_sub(p, path, "backoff");
        int ret = bt_svcspec_i_check_keys(c, p, backoff, known, NULL);
        if (ret == 0)
            ret = bt_svcspec_i_field_int(c, p, backoff, "initial_ms", 1, (int64_t)DAY_MS, &initial);
        if (ret == 0)
            ret = bt_svcspec_i_field_int(c, p, backoff, "max_ms", 1, (int64_t)DAY_MS, &max);
        if (ret == 0)
            ret = bt_svcspec_i_field_seconds(c, p, backoff, "reset_after_s", 0, DAY_MS,
                                             &service->backoff_reset_ms);
        if (ret < 0)
            return ret;
        /* Name the key the spec wrote: the other one may be a default. */
        if (max < initial && bt_jsonread_member(backoff, "max_ms"))
            return bt_jsonread_fail(&c->json, bt_jsonread_sub(q, p, "max_ms"),
                                    "%" PRId64 " is below initial_ms (%" PRId64 ")", max, initial);
        if (max < initial)
            return bt_jsonread_fail(&c->json, bt_jsonread_sub(q, p, "initial_ms"),
                                    "%" PRId64 " is above max_ms (%" PRId64 ")", initial, max);
    }
    service->backoff_initial_ms = (uint64_t)initial;
    service->backoff_max_ms = (uint64_t)max;
    return 0;
}

static int parse_stop(struct svc_ctx *c, const char *path, struct json_object *obj,
                      struct bt_svcspec_service *service)
{
    static const char *const known[] = {"signal", "timeout_s", NULL};
    char p[BT_JSONREAD_PATH_MAX], q[BT_JSONREAD_PATH_MAX], shown[BT_JSONREAD_SHOWN_MAX];
    struct json_object *stop = bt_jsonread_member(obj, "stop");
    service->stop_signal = SIGTERM;
    service->stop_timeout_ms = BT_SVCSPEC_STOP_TIMEOUT_MS;
    if (!stop)
        return 0;
    bt_jsonread_sub(p, path, "stop");
    int ret = bt_svcspec_i_check_keys(c, p, stop, known, NULL);
    struct json_object *value = bt_jsonread_member(stop, "signal");
    bt_jsonread_sub(q, p, "signal");
    if (ret == 0 && value && json_object_is_type(value, json_type_int)) {
        int64_t number;
        ret = bt_svcspec_i_get_int(c, q, value, 1, BT_SIG_MAX, &number);
        service->stop_signal = (int)number;
    } else if (ret == 0 && value && json_object_is_type(value, json_type_string)) {
        const char *text;
        ret = bt_jsonread_get_str(&c->json, q, value, BT_SVCSPEC_STRING_MAX, &text);
        int sig = ret == 0 ? bt_sig_parse(text) : 0;
        if (ret == 0 && sig < 0)
            return bt_jsonread_fail(&c->json, q, "unknown signal '%s'",
                                    bt_jsonread_printable(shown, sizeof(shown), text));
        if (ret == 0)
            service->stop_signal = sig;
    } else if (ret == 0 && value) {
        return bt_jsonread_fail(&c->json, q, "expected a signal name or number, got %s",
                                bt_jsonread_type_name(value));
    }
    if (ret == 0)
        ret = bt_svcspec_i_field_seconds(c, p, stop, "timeout_s", 0, DAY_MS,
                                         &service->stop_timeout_ms);
    return ret;
}

/* "256M", "1g", "1.5GiB", "512k", "4096b" (powers of 1024, as docker) or a JSON integer of
 * bytes, into *OUT. The result must be a whole number of bytes. */
static int parse_size(struct svc_ctx *c, const char *path, struct json_object *value, uint64_t *out)
{
    char shown[BT_JSONREAD_SHOWN_MAX];
    if (json_object_is_type(value, json_type_int)) {
        int64_t bytes = json_object_get_int64(value);
        if (bytes < 0)
            return bt_jsonread_fail(&c->json, path, "%" PRId64 " is negative", bytes);
        if ((uint64_t)bytes > MEMORY_MAX)
            return bt_jsonread_fail(&c->json, path, "too large (limit 1024P)");
        *out = (uint64_t)bytes;
        return 0;
    }
    if (!json_object_is_type(value, json_type_string))
        return bt_jsonread_fail(&c->json, path, "expected a size such as \"256M\" or bytes, got %s",
                                bt_jsonread_type_name(value));
    const char *text = json_object_get_string(value), *s = text;
    bt_jsonread_printable(shown, sizeof(shown), text);
    uint64_t whole = 0, fraction = 0, scale = 1;
    bool good = *s >= '0' && *s <= '9';
    /* Past MEMORY_MAX the value only has to stay too large: stop growing it. */
    for (; *s >= '0' && *s <= '9'; s++)
        whole = whole > MEMORY_MAX ? whole : whole * 10 + (uint64_t)(*s - '0');
    if (good && *s == '.') {
        good = s[1] >= '0' && s[1] <= '9';
        for (s++; *s >= '0' && *s <= '9'; s++) {
            good = good && scale < 1000; /* three decimals at most */
            fraction = fraction * 10 + (uint64_t)(*s - '0');
            scale *= 10;
        }
    }
    static const char units[] = "bkmgtp";
    const char *unit = *s ? strchr(units, tolower((unsigned char)*s)) : NULL;
    unsigned shift = unit ? 10 * (unsigned)(unit - units) : 0;
    if (unit)
        s++;
    if (unit && unit != units && tolower((unsigned char)*s) == 'i' &&
        tolower((unsigned char)s[1]) == 'b')
        s += 2;
    else if (unit && unit != units && tolower((unsigned char)*s) == 'b')
        s++;
    if (!good || *s)
        return bt_jsonread_fail(
            &c->json, path, "expected a size such as \"256M\", \"1g\" or bytes, got '%s'", shown);
    if (whole > (MEMORY_MAX >> shift))
        return bt_jsonread_fail(&c->json, path, "'%s' is too large (limit 1024P)", shown);
    /* fraction < scale <= 1000 < 2^10, so fraction << 50 fits in 64 bits. */
    uint64_t part = fraction << shift;
    if (part % scale)
        return bt_jsonread_fail(&c->json, path, "'%s' is not a whole number of bytes", shown);
    *out = (whole << shift) + part / scale;
    if (*out > MEMORY_MAX)
        return bt_jsonread_fail(&c->json, path, "'%s' is too large (limit 1024P)", shown);
    return 0;
}

/* "cpus": 0.5 into 500 milli-cpus; the kernel's smallest quota is 1 ms per 100 ms period. */
static int parse_cpus(struct svc_ctx *c, const char *path, struct json_object *value, uint32_t *out)
{
    if (!json_object_is_type(value, json_type_int) && !json_object_is_type(value, json_type_double))
        return bt_jsonread_fail(&c->json, path, "expected a number of cpus, got %s",
                                bt_jsonread_type_name(value));
    const char *shown = json_object_get_string(value);
    double cpus = json_object_get_double(value);
    if (!isfinite(cpus) || cpus < 0.01 - 1e-9 || cpus > 1024)
        return bt_jsonread_fail(&c->json, path, "%s is out of range (0.01..1024)", shown);
    /* Rounded by hand: the programs that link this do not all link libm. */
    double milli = (double)(uint64_t)(cpus * 1000 + 0.5), error = cpus * 1000 - milli;
    if ((error < 0 ? -error : error) > 1e-6 * milli)
        return bt_jsonread_fail(&c->json, path, "%s is finer than 0.001", shown);
    *out = (uint32_t)milli;
    return 0;
}

static int parse_resources(struct svc_ctx *c, const char *path, struct json_object *obj,
                           struct bt_svcspec_service *service)
{
    static const char *const known[] = {"memory", "cpus", "pids", "io_weight", NULL};
    char p[BT_JSONREAD_PATH_MAX], q[BT_JSONREAD_PATH_MAX], shown[BT_JSONREAD_SHOWN_MAX];
    struct json_object *resources = bt_jsonread_member(obj, "resources"), *value;
    if (!resources)
        return 0;
    bt_jsonread_sub(p, path, "resources");
    int ret = bt_svcspec_i_check_keys(c, p, resources, known, NULL);
    if (ret == 0 && (value = bt_jsonread_member(resources, "memory"))) {
        ret = parse_size(c, bt_jsonread_sub(q, p, "memory"), value, &service->memory);
        if (ret == 0 && service->memory < MEMORY_MIN)
            return bt_jsonread_fail(
                &c->json, q, "%s is below the minimum (1M)",
                bt_jsonread_printable(shown, sizeof(shown), json_object_get_string(value)));
    }
    if (ret == 0 && (value = bt_jsonread_member(resources, "cpus")))
        ret = parse_cpus(c, bt_jsonread_sub(q, p, "cpus"), value, &service->milli_cpus);
    int64_t pids = 0, io_weight = 0;
    if (ret == 0)
        ret = bt_svcspec_i_field_int(c, p, resources, "pids", 1, 4194304, &pids);
    if (ret == 0)
        ret = bt_svcspec_i_field_int(c, p, resources, "io_weight", 10, 1000, &io_weight);
    service->pids = (uint32_t)pids;
    service->io_weight = (uint32_t)io_weight;
    return ret;
}

/* One rlimit value: a number or "unlimited". */
static int parse_limit(struct svc_ctx *c, const char *path, struct json_object *value, rlim_t *out)
{
    char shown[BT_JSONREAD_SHOWN_MAX];
    if (json_object_is_type(value, json_type_int)) {
        int64_t limit;
        int ret = bt_svcspec_i_get_int(c, path, value, 0, INT64_MAX - 1, &limit);
        *out = (rlim_t)limit;
        return ret;
    }
    if (json_object_is_type(value, json_type_string) &&
        strcmp(json_object_get_string(value), "unlimited") == 0) {
        *out = RLIM_INFINITY;
        return 0;
    }
    if (json_object_is_type(value, json_type_string))
        return bt_jsonread_fail(
            &c->json, path, "expected a number or \"unlimited\", got '%s'",
            bt_jsonread_printable(shown, sizeof(shown), json_object_get_string(value)));
    return bt_jsonread_fail(&c->json, path, "expected a number or \"unlimited\", got %s",
                            bt_jsonread_type_name(value));
}

static int compare_rlimits(const void *a, const void *b)
{
    const struct bt_rlimit *x = a, *y = b;
    return (x->resource > y->resource) - (x->resource < y->resource);
}

/* {"nofile": 1024, "nproc": {"soft": 512, "hard": 1024}, "core": "unlimited"} */
static int parse_rlimits(struct svc_ctx *c, const char *path, struct json_object *obj,
                         struct bt_svcspec_service *service)
{
    static const char *const pair[] = {"soft", "hard", NULL};
    char p[BT_JSONREAD_PATH_MAX], q[BT_JSONREAD_PATH_MAX], r[BT_JSONREAD_PATH_MAX];
    struct json_object *rlimits = bt_jsonread_member(obj, "rlimits");
    if (!rlimits)
        return 0;
    bt_jsonread_sub(p, path, "rlimits");
    if (!json_object_is_type(rlimits, json_type_object))
        return bt_jsonread_fail(&c->json, p, "expected an object, got %s",
                                bt_jsonread_type_name(rlimits));
    size_t n = (size_t)json_object_object_length(rlimits);
    service->rlimits = calloc(n ? n : 1, sizeof(*service->rlimits));
    if (!service->rlimits)
        return bt_jsonread_oom(&c->json);
    json_object_object_foreach(rlimits, key, value)
    {
        struct bt_rlimit *limit = &service->rlimits[service->rlimits_len];
        int ret = 0;
        bt_jsonread_sub(q, p, key);
        limit->resource = bt_procattr_rlimit_from_name(key, NULL);
        if (limit->resource < 0)
            return bt_jsonread_fail(&c->json, q,
                                    "unknown rlimit (as, core, cpu, data, fsize, locks, memlock, "
                                    "msgqueue, nice, nofile, nproc, rss, rtprio, rttime, "
                                    "sigpending, stack)");
        for (size_t i = 0; i < service->rlimits_len; i++)
            if (service->rlimits[i].resource == limit->resource)
                return bt_jsonread_fail(&c->json, q, "%s is already set",
                                        bt_procattr_rlimit_name(limit->resource));
        if (!value)
            return bt_jsonread_fail(&c->json, q,
                                    "expected a number, \"unlimited\" or "
                                    "{\"soft\", \"hard\"}, got null");
        if (json_object_is_type(value, json_type_object)) {
            ret = bt_svcspec_i_check_keys(c, q, value, pair, NULL);
            for (size_t i = 0; ret == 0 && i < 2; i++) {
                struct json_object *part = bt_jsonread_member(value, pair[i]);
                bt_jsonread_sub(r, q, pair[i]);
                ret = part ? parse_limit(c, r, part, i ? &limit->hard : &limit->soft)
                           : bt_jsonread_fail(&c->json, r, "required key is missing");
            }
        } else {
            ret = parse_limit(c, q, value, &limit->soft);
            limit->hard = limit->soft;
        }
        if (ret < 0)
            return ret;
        if (limit->soft > limit->hard)
            return bt_jsonread_fail(&c->json, q, "soft limit %llu is above hard limit %llu",
                                    (unsigned long long)limit->soft,
                                    (unsigned long long)limit->hard);
        service->rlimits_len++;
    }
    qsort(service->rlimits, service->rlimits_len, sizeof(*service->rlimits), compare_rlimits);
    return 0;
}

static int parse_readiness(struct svc_ctx *c, const char *path, struct json_object *obj,
                           struct bt_svcspec_service *service)
{
    static const char *const known[] = {"fd", NULL};
    static const char *const names[] = {
        [BT_SVCSPEC_READY_EXEC] = "exec",
        [BT_SVCSPEC_READY_SD_NOTIFY] = "sd_notify",
        [BT_SVCSPEC_READY_HEALTH] = "health",
    };
    char p[BT_JSONREAD_PATH_MAX], shown[BT_JSONREAD_SHOWN_MAX];
    struct json_object *value = bt_jsonread_member(obj, "readiness");
    if (!value)
        return 0;
    bt_jsonread_sub(p, path, "readiness");
    if (json_object_is_type(value, json_type_object)) {
        int64_t fd = -1;
        int ret = bt_svcspec_i_check_keys(c, p, value, known, NULL);
        if (ret == 0)
            ret = bt_svcspec_i_field_int(c, p, value, "fd", 3, 1023, &fd);
        if (ret == 0 && fd < 0)
            ret =
                bt_jsonread_fail(&c->json, bt_jsonread_sub(p, p, "fd"), "required key is missing");
        service->readiness = BT_SVCSPEC_READY_FD;
        service->ready_fd = (int)fd;
        return ret;
    }
    if (!json_object_is_type(value, json_type_string))
        return bt_jsonread_fail(&c->json, p, "expected a string or {\"fd\": N}, got %s",
                                bt_jsonread_type_name(value));
    const char *text = json_object_get_string(value);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(text, names[i]) == 0) {
            service->readiness = (enum bt_svcspec_readiness)i;
            if (i == BT_SVCSPEC_READY_HEALTH && service->health.kind == BT_SVCSPEC_HEALTH_NONE)
                return bt_jsonread_fail(&c->json, p, "'health' needs a health check (key health)");
            return 0;
        }
    }
    return bt_jsonread_fail(&c->json, p,
                            "expected exec, sd_notify, health or {\"fd\": N}, got '%s'",
                            bt_jsonread_printable(shown, sizeof(shown), text));
}

int bt_svcspec_i_parse_service(struct svc_ctx *c, const char *path, struct json_object *obj,
                               struct bt_svcspec_service *service)
{
    static const char *const known[] = {
        "name",    "rootfs", "image",     "command", "env",
        "workdir", "user",   "hostname",  "restart", "success_exit_codes",
        "backoff", "stop",   "resources", "rlimits", "network",
        "ports",   "mounts", "readiness", "health",  "start_timeout_s",
        NULL};
    int ret = bt_svcspec_i_check_keys(c, path, obj, known, NULL);
    if (ret == 0)
        ret = bt_svcspec_i_parse_name(c, path, obj, service->name);
    if (ret == 0)
        ret = parse_root(c, path, obj, service);
    if (ret == 0)
        ret = parse_process(c, path, obj, service);
    if (ret == 0)
        ret = parse_restart(c, path, obj, service);
    if (ret == 0)
        ret = parse_exit_codes(c, path, obj, service);
    if (ret == 0)
        ret = parse_backoff(c, path, obj, service);
    if (ret == 0)
        ret = parse_stop(c, path, obj, service);
    service->start_timeout_ms = BT_SVCSPEC_START_TIMEOUT_MS;
    if (ret == 0)
        ret = bt_svcspec_i_field_seconds(c, path, obj, "start_timeout_s", 0, DAY_MS,
                                         &service->start_timeout_ms);
    if (ret == 0)
        ret = parse_resources(c, path, obj, service);
    if (ret == 0)
        ret = parse_rlimits(c, path, obj, service);
    if (ret == 0)
        ret = bt_svcspec_i_parse_network(c, path, obj, service);
    if (ret == 0)
        ret = bt_svcspec_i_parse_mounts(c, path, obj, service);
    if (ret == 0)
        ret = bt_svcspec_i_parse_health(c, path, obj, service);
    if (ret == 0)
        ret = parse_readiness(c, path, obj, service);
    return ret;
}

void bt_svcspec_i_free_strv(char **strv)
{
    for (char **s = strv; s && *s; s++)
        free(*s);
    free(strv);
}

void bt_svcspec_i_free_service(struct bt_svcspec_service *service)
{
    free(service->rootfs);
    free(service->image);
    bt_svcspec_i_free_strv(service->command);
    bt_svcspec_i_free_strv(service->env);
    free(service->workdir);
    free(service->user);
    free(service->hostname);
    free(service->rlimits);
    free(service->ports);
    for (size_t i = 0; service->mounts && i < service->mounts_len; i++) {
        free(service->mounts[i].source);
        free(service->mounts[i].target);
    }
    free(service->mounts);
    bt_svcspec_i_free_strv(service->health.exec);
    free(service->health.tcp_host);
}
