/* Unit tests for lib/svcspec.c: the full fixtures field by field, the defaults, one case per
 * rejection rule with its exact one-line message, equality, a directory with good and bad
 * files, and the round trip through bt_svcspec_to_json. */
#include "svcspec.h"
#include "testutil.h"

#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

static char tmp[PATH_MAX];

static const char base_service[] = "{'name':'web','rootfs':'/srv/web','command':['httpd']}";

/* Parses TEXT as t.json; NULL (with a diagnostic) when it is refused. */
static struct bt_svcspec_node *parse(const char *text)
{
    struct bt_err err = {0};
    struct bt_svcspec_node *node = NULL;
    if (bt_svcspec_parse(text, "t.json", &node, &err) < 0)
        diag("refused: %s", err.msg);
    return node;
}

static struct bt_svcspec_node *parse_patch(const char *patch)
{
    char *text = json_patched(base_service, patch);
    struct bt_svcspec_node *node = parse(text);
    free(text);
    return node;
}

static struct bt_svcspec_node *load_fixture(const char *name)
{
    char path[PATH_MAX + 64];
    struct bt_err err = {0};
    struct bt_svcspec_node *node = NULL;
    format_or_exit(path, "%s/%s", fixture_dir("svcspec"), name);
    if (bt_svcspec_load_file(path, &node, &err) < 0)
        diag("%s (run from the top of the tree or set BOTTLE_SRCDIR)", err.msg);
    return node;
}

static bool exit_codes_are(const struct bt_svcspec_service *svc, const int *codes, size_t n)
{
    int count = 0;
    for (int code = 0; code < 256; code++)
        count += bt_svcspec_exit_is_success(svc, code);
    for (size_t i = 0; i < n; i++)
        if (!bt_svcspec_exit_is_success(svc, codes[i]))
            return false;
    return count == (int)n && !bt_svcspec_exit_is_success(svc, -1) &&
           !bt_svcspec_exit_is_success(svc, 256);
}

static bool strv_is(char *const *strv, size_t len, const char *const *want, size_t want_len)
{
    if (!strv || len != want_len || strv[len])
        return false;
    for (size_t i = 0; i < len; i++)
        if (strcmp(strv[i], want[i]) != 0)
            return false;
    return true;
}
#define STRV_IS(strv, len, ...)                                                                    \
    strv_is(strv, len, (const char *const[]){__VA_ARGS__},                                         \
            sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

static bool str_is(const char *got, const char *want)
{
    return got && strcmp(got, want) == 0;
}

static void test_full(void)
{
    struct bt_svcspec_node *node = load_fixture("full.json");
    const struct bt_svcspec_service *svc = node ? &node->service : NULL;
    ok(node && node->kind == BT_SVCSPEC_SERVICE && strstr(node->file, "/full.json"),
       "full.json: a service, its file recorded");
    if (!node || node->kind != BT_SVCSPEC_SERVICE) {
        for (int i = 0; i < 12; i++)
            skip("full.json refused");
        bt_svcspec_free(node);
        return;
    }
    ok(strcmp(svc->name, "redis") == 0 && str_is(svc->rootfs, "/srv/rootfs/redis") && !svc->image,
       "name and rootfs");
    ok(STRV_IS(svc->command, svc->command_len, "redis-server", "--appendonly", "yes", "") &&
           STRV_IS(svc->env, svc->env_len, "TZ=UTC", "EMPTY="),
       "command (an empty argument kept) and env");
    ok(str_is(svc->workdir, "/data") && str_is(svc->user, "999:999") &&
           str_is(svc->hostname, "redis-1.local"),
       "workdir, user, hostname");
    static const int codes[] = {0, 3, 143};
    ok(svc->restart == BT_SVCSPEC_RESTART_ON_FAILURE && svc->max_failures == 5 &&
           !svc->unless_stopped && exit_codes_are(svc, codes, 3),
       "restart on-failure:5, success exit codes 0 3 143");
    ok(svc->backoff_initial_ms == 250 && svc->backoff_max_ms == 60000 &&
           svc->backoff_reset_ms == 20000,
       "backoff 250 ms to 60 s, reset after 20 s");
    ok(svc->stop_signal == SIGINT && svc->stop_timeout_ms == 2500 && svc->start_timeout_ms == 30000,
       "stop SIGINT after 2.5 s, start timeout 30 s");
    ok(svc->memory == 256u << 20 && svc->milli_cpus == 500 && svc->pids == 256 &&
           svc->io_weight == 100,
       "resources 256M, 0.5 cpus, 256 pids, io weight 100");
    ok(svc->rlimits_len == 3 && svc->rlimits[0].resource == RLIMIT_CORE &&
           svc->rlimits[0].soft == RLIM_INFINITY && svc->rlimits[0].hard == RLIM_INFINITY &&
           svc->rlimits[1].resource == RLIMIT_NPROC && svc->rlimits[1].soft == 512 &&
           svc->rlimits[1].hard == 1024 && svc->rlimits[2].resource == RLIMIT_NOFILE &&
           svc->rlimits[2].soft == 1024 && svc->rlimits[2].hard == 1024,
       "rlimits sorted by resource: core unlimited, nproc 512/1024, nofile 1024");
    const struct bt_svcspec_port *p = svc->ports;
    ok(svc->network == BT_SVCSPEC_NETWORK_BRIDGE && svc->ports_len == 3 && !p[0].host_ip[0] &&
           p[0].host_port == 6379 && p[0].container_port == 6379 && !p[0].udp &&
           strcmp(p[1].host_ip, "127.0.0.1") == 0 && p[1].host_port == 8080 &&
           p[1].container_port == 80 && !p[1].udp && strcmp(p[2].host_ip, "::1") == 0 &&
           p[2].host_port == 5353 && p[2].container_port == 53 && p[2].udp,
       "network bridge, three ports (all addresses, IPv4, IPv6/udp)");
    const struct bt_svcspec_mount *m = svc->mounts;
    ok(svc->mounts_len == 3 && m[0].type == BT_SVCSPEC_MOUNT_BIND &&
           str_is(m[0].source, "/srv/redis-data") && str_is(m[0].target, "/data") &&
           !m[0].readonly && m[1].type == BT_SVCSPEC_MOUNT_BIND &&
           str_is(m[1].target, "/etc/redis") && m[1].readonly &&
           m[2].type == BT_SVCSPEC_MOUNT_TMPFS && !m[2].source && str_is(m[2].target, "/tmp"),
       "mounts: bind, read-only bind (target normalised), tmpfs");
    const struct bt_svcspec_health *h = &svc->health;
    ok(h->kind == BT_SVCSPEC_HEALTH_EXEC && STRV_IS(h->exec, h->exec_len, "redis-cli", "ping") &&
           !h->tcp_host && h->interval_ms == 10000 && h->timeout_ms == 500 && h->retries == 4 &&
           h->start_period_ms == 1250 && h->on_unhealthy == BT_SVCSPEC_UNHEALTHY_STOP,
       "health exec every 10 s, timeout 0.5 s, 4 retries, start period 1.25 s, stop");
    ok(svc->readiness == BT_SVCSPEC_READY_HEALTH && svc->ready_fd == 0, "readiness health");
    bt_svcspec_free(node);
}

static void test_tree(void)
{
    struct bt_svcspec_node *node = load_fixture("tree.json");
    const struct bt_svcspec_tree *tree = node ? &node->tree : NULL;
    if (!node || node->kind != BT_SVCSPEC_TREE || tree->children_len != 3 ||
        tree->children[1]->kind != BT_SVCSPEC_TREE || tree->children[1]->tree.children_len != 2) {
        ok(0, "tree.json: a tree of three children, the second a tree of two");
        for (int i = 0; i < 6; i++)
            skip("tree.json refused");
        bt_svcspec_free(node);
        return;
    }
    ok(1, "tree.json: a tree of three children, the second a tree of two");
    ok(strcmp(tree->name, "app") == 0 && tree->strategy == BT_SVCSPEC_REST_FOR_ONE &&
           tree->max_restarts == 3 && tree->period_ms == 60000 && node->file &&
           !tree->children[0]->file,
       "app: rest_for_one, 3 restarts in 60 s; only the top node has a file");
    const struct bt_svcspec_service *db = &tree->children[0]->service;
    ok(strcmp(db->name, "db") == 0 && !db->rootfs && str_is(db->image, "postgres:15") &&
           db->restart == BT_SVCSPEC_RESTART_ALWAYS && !db->unless_stopped &&
           db->readiness == BT_SVCSPEC_READY_SD_NOTIFY,
       "db: image, always, sd_notify");
    const struct bt_svcspec_tree *workers = &tree->children[1]->tree;
    const struct bt_svcspec_service *w1 = &workers->children[0]->service;
    const struct bt_svcspec_service *w2 = &workers->children[1]->service;
    ok(strcmp(workers->name, "workers") == 0 && workers->strategy == BT_SVCSPEC_ONE_FOR_ONE &&
           workers->max_restarts == 5 && workers->period_ms == 30000,
       "workers: the default strategy and intensity");
    ok(strcmp(w1->name, "worker.1") == 0 && w1->restart == BT_SVCSPEC_RESTART_ALWAYS &&
           w1->unless_stopped && w1->readiness == BT_SVCSPEC_READY_FD && w1->ready_fd == 3 &&
           strcmp(w2->name, "worker_2") == 0 && w2->health.kind == BT_SVCSPEC_HEALTH_TCP &&
           str_is(w2->health.tcp_host, "localhost") && w2->health.tcp_port == 9000 &&
           w2->readiness == BT_SVCSPEC_READY_HEALTH,
       "workers: unless-stopped with an fd, a tcp health check as readiness");
    const struct bt_svcspec_service *proxy = &tree->children[2]->service;
    ok(proxy->network == BT_SVCSPEC_NETWORK_HOST && proxy->stop_signal == SIGQUIT &&
           proxy->health.kind == BT_SVCSPEC_HEALTH_TCP && !proxy->health.tcp_host &&
           proxy->health.tcp_port == 80 && proxy->readiness == BT_SVCSPEC_READY_EXEC,
       "proxy: host network, stop signal by number, health on a bare port");
    ok(bt_svcspec_find(node, "worker_2") == workers->children[1] &&
           bt_svcspec_find(node, "app") == node && bt_svcspec_find(node, "workers") &&
           !bt_svcspec_find(node, "nope"),
       "bt_svcspec_find looks through the whole tree");
    bt_svcspec_free(node);
}

static void test_defaults(void)
{
    struct bt_svcspec_node *node = parse_patch("{}");
    const struct bt_svcspec_service *svc = node ? &node->service : NULL;
    if (!node) {
        for (int i = 0; i < 6; i++)
            skip("the base service was refused");
        return;
    }
    static const int zero[] = {0};
    ok(svc->restart == BT_SVCSPEC_RESTART_NO && !svc->max_failures && !svc->unless_stopped &&
           exit_codes_are(svc, zero, 1),
       "default: restart no, success exit codes [0]");
    ok(svc->backoff_initial_ms == 100 && svc->backoff_max_ms == 30000 &&
           svc->backoff_reset_ms == 10000 && svc->stop_signal == SIGTERM &&
           svc->stop_timeout_ms == 10000 && svc->start_timeout_ms == 90000,
       "default: backoff 100 ms..30 s reset 10 s, stop SIGTERM after 10 s, start timeout 90 s");
    ok(svc->env && svc->env_len == 0 && !svc->env[0] && !svc->workdir && !svc->user &&
           !svc->hostname && !svc->image,
       "default: an empty env, no workdir, user or hostname");
    ok(!svc->memory && !svc->milli_cpus && !svc->pids && !svc->io_weight && !svc->rlimits_len &&
           svc->network == BT_SVCSPEC_NETWORK_NONE && !svc->ports_len && !svc->mounts_len,
       "default: no limits, network none, no ports, no mounts");
    ok(svc->readiness == BT_SVCSPEC_READY_EXEC && svc->health.kind == BT_SVCSPEC_HEALTH_NONE &&
           !svc->health.interval_ms && !svc->health.exec,
       "default: readiness exec, no health check");
    bt_svcspec_free(node);

    node = parse_patch("{'health':{'exec':['true']}}");
    ok(node && node->service.health.interval_ms == 10000 &&
           node->service.health.timeout_ms == 5000 && node->service.health.retries == 3 &&
           node->service.health.start_period_ms == 0 &&
           node->service.health.on_unhealthy == BT_SVCSPEC_UNHEALTHY_RESTART,
       "default health: every 10 s, timeout 5 s, 3 retries, no start period, restart");
    bt_svcspec_free(node);
}

/* Values that are accepted, with what they become. */
static void test_accepted(void)
{
    struct bt_svcspec_node *node;
    static const struct {
        const char *patch;
        uint64_t memory;
    } sizes[] = {{"{'resources':{'memory':'1g'}}", 1u << 30},
                 {"{'resources':{'memory':'1.5GiB'}}", 3u << 29},
                 {"{'resources':{'memory':'2048kb'}}", 2u << 20},
                 {"{'resources':{'memory':1048576}}", 1u << 20},
                 {"{'resources':{'memory':'3145728b'}}", 3u << 20},
                 {"{'resources':{'memory':'1T'}}", UINT64_C(1) << 40}};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        node = parse_patch(sizes[i].patch);
        is_int(node ? (long long)node->service.memory : -1, (long long)sizes[i].memory, "memory %s",
               sizes[i].patch);
        bt_svcspec_free(node);
    }
    node = parse_patch("{'resources':{'cpus':2},'stop':{'signal':'rtmin+2','timeout_s':0}}");
    ok(node && node->service.milli_cpus == 2000 && node->service.stop_signal == SIGRTMIN + 2 &&
           node->service.stop_timeout_ms == 0,
       "cpus 2, stop signal RTMIN+2, stop timeout 0");
    bt_svcspec_free(node);
    node = parse_patch("{'restart':'on-failure','success_exit_codes':[],'start_timeout_s':0}");
    ok(node && node->service.restart == BT_SVCSPEC_RESTART_ON_FAILURE &&
           node->service.max_failures == 0 && exit_codes_are(&node->service, NULL, 0) &&
           node->service.start_timeout_ms == 0,
       "on-failure without a count; no success exit code at all; no start timeout");
    bt_svcspec_free(node);
    node = parse_patch("{'network':'bridge','ports':['8080:80','8080:80/udp','1.2.3.4:81:80',"
                       "'[2001:DB8::1]:82:80']}");
    ok(node && node->service.ports_len == 4 &&
           strcmp(node->service.ports[3].host_ip, "2001:db8::1") == 0,
       "one host port for tcp and udp; IPv6 addresses normalised");
    bt_svcspec_free(node);
    node = parse_patch("{'health':{'tcp':'[::1]:6379'},'env':null,'hostname':null}");
    ok(node && str_is(node->service.health.tcp_host, "::1") &&
           node->service.health.tcp_port == 6379,
       "health tcp on an IPv6 address; null means absent");
    bt_svcspec_free(node);
}

/* Each rejection rule, with the exact message. */
static const struct {
    const char *patch;
    const char *want;
} reject_cases[] = {
    {"{'restart':'sometimes'}",
     "t.json: restart: expected no, on-failure[:N], always or unless-stopped, got 'sometimes'"},
    {"{'restart':'on-failure:0'}",
     "t.json: restart: on-failure:N needs a count N from 1 to 2147483647, got 'on-failure:0'"},
    {"{'restart':'on-failure:-1'}",
     "t.json: restart: on-failure:N needs a count N from 1 to 2147483647, got 'on-failure:-1'"},
    {"{'restart':3}", "t.json: restart: expected a string, got an integer"},
    {"{'restrat':'no'}", "t.json: restrat: unknown key"},
    {"{'name':null}", "t.json: name: required key is missing"},
    {"{'name':'-web'}", "t.json: name: '-web' is not a valid name (1 to 64 letters, digits, "
                        "'_', '.' or '-', starting with a letter or a digit)"},
    {"{'name':'a b'}", "t.json: name: 'a b' is not a valid name (1 to 64 letters, digits, "
                       "'_', '.' or '-', starting with a letter or a digit)"},
    {"{'name':'a1234567890123456789012345678901234567890123456789012345678901234'}",
     "t.json: name: 'a1234567890123456789012345678901234567890123456789012345678901234' is not "
     "a valid name (1 to 64 letters, digits, '_', '.' or '-', starting with a letter or a "
     "digit)"},
    {"{'rootfs':null}", "t.json: one of 'rootfs' or 'image' is required"},
    {"{'image':'redis'}", "t.json: image: cannot be used with rootfs (give one of the two)"},
    {"{'rootfs':'srv/web'}", "t.json: rootfs: 'srv/web' is not an absolute path"},
    {"{'rootfs':''}", "t.json: rootfs: must not be empty"},
    {"{'rootfs':null,'image':'Bad Image'}", "t.json: image: 'Bad Image' is not a valid image name"},
    {"{'command':null}", "t.json: command: required key is missing"},
    {"{'command':[]}", "t.json: command: must not be empty"},
    {"{'command':['']}", "t.json: command[0]: must not be empty"},
    {"{'command':'httpd -f'}", "t.json: command: expected an array, got a string"},
    {"{'command':['httpd',1]}", "t.json: command[1]: expected a string, got an integer"},
    {"{'env':['TZ']}", "t.json: env[0]: 'TZ' is not NAME=VALUE"},
    {"{'env':['=x']}", "t.json: env[0]: '=x' is not NAME=VALUE"},
    {"{'env':['A=1','B=2','A=3']}", "t.json: env[2]: A is already set by env[0]"},
    {"{'workdir':'data'}", "t.json: workdir: 'data' is not an absolute path"},
    {"{'workdir':'/data/../..'}", "t.json: workdir: '/data/../..' contains a '..' component"},
    {"{'user':'1:2:3'}", "t.json: user: '1:2:3' is not USER[:GROUP] (names or numbers)"},
    {"{'user':'a b'}", "t.json: user: 'a b' is not USER[:GROUP] (names or numbers)"},
    {"{'hostname':'a_b'}", "t.json: hostname: 'a_b' is not a valid hostname"},
    {"{'success_exit_codes':[0,256]}",
     "t.json: success_exit_codes[1]: 256 is out of range (0..255)"},
    {"{'success_exit_codes':[1,1]}", "t.json: success_exit_codes[1]: 1 is listed twice"},
    {"{'success_exit_codes':0}", "t.json: success_exit_codes: expected an array, got an integer"},
    {"{'backoff':{'initial_ms':0}}", "t.json: backoff.initial_ms: 0 is out of range (1..86400000)"},
    {"{'backoff':{'initial_ms':60000}}", "t.json: backoff.initial_ms: 60000 is above max_ms "
                                         "(30000)"},
    {"{'backoff':{'initial_ms':500,'max_ms':100}}",
     "t.json: backoff.max_ms: 100 is below initial_ms (500)"},
    {"{'backoff':{'reset_after_s':-1}}", "t.json: backoff.reset_after_s: -1 is negative"},
    {"{'backoff':{'reset_after_s':'10s'}}",
     "t.json: backoff.reset_after_s: expected a number of seconds, got a string"},
    {"{'backoff':{'initial':1}}", "t.json: backoff.initial: unknown key"},
    {"{'backoff':{'initial_ms':1.5}}",
     "t.json: backoff.initial_ms: expected an integer, got a fractional number"},
    {"{'backoff':{'max_ms':99999999999999999999999}}",
     "t.json: backoff.max_ms: out of range (1..86400000)"},
    {"{'backoff':[]}", "t.json: backoff: expected an object, got an array"},
    {"{'stop':{'signal':'SIGFOO'}}", "t.json: stop.signal: unknown signal 'SIGFOO'"},
    {"{'stop':{'signal':65}}", "t.json: stop.signal: 65 is out of range (1..64)"},
    {"{'stop':{'signal':true}}",
     "t.json: stop.signal: expected a signal name or number, got a boolean"},
    {"{'stop':{'timeout_s':0.0005}}", "t.json: stop.timeout_s: 0.0005 is finer than a "
                                      "millisecond"},
    {"{'stop':{'timeout_s':86401}}", "t.json: stop.timeout_s: 86401 is out of range (0..86400)"},
    {"{'start_timeout_s':1e6}", "t.json: start_timeout_s: 1e6 is out of range (0..86400)"},
    {"{'resources':{'memory':'12x'}}",
     "t.json: resources.memory: expected a size such as \"256M\", \"1g\" or bytes, got '12x'"},
    {"{'resources':{'memory':'1.2345m'}}",
     "t.json: resources.memory: expected a size such as \"256M\", \"1g\" or bytes, got "
     "'1.2345m'"},
    {"{'resources':{'memory':'1.1k'}}",
     "t.json: resources.memory: '1.1k' is not a whole number of bytes"},
    {"{'resources':{'memory':'512k'}}", "t.json: resources.memory: 512k is below the minimum "
                                        "(1M)"},
    {"{'resources':{'memory':'2048P'}}",
     "t.json: resources.memory: '2048P' is too large (limit 1024P)"},
    {"{'resources':{'memory':'99999999999999999999999'}}",
     "t.json: resources.memory: '99999999999999999999999' is too large (limit 1024P)"},
    {"{'resources':{'memory':-1}}", "t.json: resources.memory: -1 is negative"},
    {"{'resources':{'memory':true}}",
     "t.json: resources.memory: expected a size such as \"256M\" or bytes, got a boolean"},
    {"{'resources':{'cpus':0.001}}", "t.json: resources.cpus: 0.001 is out of range (0.01..1024)"},
    {"{'resources':{'cpus':0.0125}}", "t.json: resources.cpus: 0.0125 is finer than 0.001"},
    {"{'resources':{'cpus':'1'}}", "t.json: resources.cpus: expected a number of cpus, got a "
                                   "string"},
    {"{'resources':{'pids':0}}", "t.json: resources.pids: 0 is out of range (1..4194304)"},
    {"{'resources':{'io_weight':5}}", "t.json: resources.io_weight: 5 is out of range (10..1000)"},
    {"{'resources':{'swap':1}}", "t.json: resources.swap: unknown key"},
    {"{'rlimits':{'files':1}}",
     "t.json: rlimits.files: unknown rlimit (as, core, cpu, data, fsize, locks, memlock, "
     "msgqueue, nice, nofile, nproc, rss, rtprio, rttime, sigpending, stack)"},
    {"{'rlimits':{'nofile':1,'RLIMIT_NOFILE':2}}",
     "t.json: rlimits.RLIMIT_NOFILE: RLIMIT_NOFILE is already set"},
    {"{'rlimits':{'nofile':{'soft':2048,'hard':1024}}}",
     "t.json: rlimits.nofile: soft limit 2048 is above hard limit 1024"},
    {"{'rlimits':{'nofile':{'soft':'unlimited','hard':1024}}}",
     "t.json: rlimits.nofile: soft limit 18446744073709551615 is above hard limit 1024"},
    {"{'rlimits':{'nofile':{'soft':1}}}", "t.json: rlimits.nofile.hard: required key is missing"},
    {"{'rlimits':{'nofile':{'soft':1,'hard':2,'max':3}}}",
     "t.json: rlimits.nofile.max: unknown key"},
    {"{'rlimits':{'nofile':'lots'}}",
     "t.json: rlimits.nofile: expected a number or \"unlimited\", got 'lots'"},
    {"{'rlimits':{'nofile':-1}}",
     "t.json: rlimits.nofile: -1 is out of range (0..9223372036854775806)"},
    {"{'rlimits':[1]}", "t.json: rlimits: expected an object, got an array"},
    {"{'network':'bridged'}", "t.json: network: expected none, host or bridge, got 'bridged'"},
    {"{'ports':['80:80']}",
     "t.json: ports: publishing ports needs network bridge (network is none)"},
    {"{'network':'host','ports':['80:80']}",
     "t.json: ports: publishing ports needs network bridge (network is host)"},
    {"{'network':'bridge','ports':['80']}",
     "t.json: ports[0]: expected [IP:]HOST:CONTAINER[/udp], got '80'"},
    {"{'network':'bridge','ports':['a:80']}",
     "t.json: ports[0]: expected [IP:]HOST:CONTAINER[/udp], got 'a:80'"},
    {"{'network':'bridge','ports':['::1:80:80']}",
     "t.json: ports[0]: expected [IP:]HOST:CONTAINER[/udp], got '::1:80:80'"},
    {"{'network':'bridge','ports':['70000:80']}", "t.json: ports[0]: '70000:80': ports are "
                                                  "1..65535"},
    {"{'network':'bridge','ports':['0:80']}", "t.json: ports[0]: '0:80': ports are 1..65535"},
    {"{'network':'bridge','ports':['80:80/sctp']}",
     "t.json: ports[0]: '80:80/sctp': the protocol must be tcp or udp"},
    {"{'network':'bridge','ports':['300.1.1.1:80:80']}",
     "t.json: ports[0]: '300.1.1.1:80:80': '300.1.1.1' is not an IPv4 address"},
    {"{'network':'bridge','ports':['[1.2.3.4]:80:80']}",
     "t.json: ports[0]: '[1.2.3.4]:80:80': '1.2.3.4' is not an IPv6 address"},
    {"{'network':'bridge','ports':['8080:80','127.0.0.1:8080:81']}",
     "t.json: ports[1]: host port 8080/tcp is already published by ports[0]"},
    {"{'network':'bridge','ports':[8080]}", "t.json: ports[0]: expected a string, got an integer"},
    {"{'mounts':[{'target':'/data'}]}", "t.json: mounts[0].source: required key is missing"},
    {"{'mounts':[{'source':'/a'}]}", "t.json: mounts[0].target: required key is missing"},
    {"{'mounts':[{'source':'a','target':'/data'}]}",
     "t.json: mounts[0].source: 'a' is not an absolute path"},
    {"{'mounts':[{'source':'/a','target':'data'}]}",
     "t.json: mounts[0].target: 'data' is not an absolute path"},
    {"{'mounts':[{'source':'/a','target':'/data/../etc'}]}",
     "t.json: mounts[0].target: '/data/../etc' contains a '..' component"},
    {"{'mounts':[{'type':'tmpfs','source':'/a','target':'/t'}]}",
     "t.json: mounts[0].source: a tmpfs mount has no source"},
    {"{'mounts':[{'type':'volume','target':'/t'}]}",
     "t.json: mounts[0].type: expected bind or tmpfs, got 'volume'"},
    {"{'mounts':[{'source':'/a','target':'/d'},{'type':'tmpfs','target':'//d/./'}]}",
     "t.json: mounts[1].target: /d is already mounted by mounts[0]"},
    {"{'mounts':[{'source':'/a','target':'/.'}]}",
     "t.json: mounts[0].target: cannot mount over the container's root"},
    {"{'mounts':[{'source':'/a','target':'/d','readonly':'yes'}]}",
     "t.json: mounts[0].readonly: expected a boolean, got a string"},
    {"{'mounts':[{'source':'/a','target':'/d','options':['ro']}]}",
     "t.json: mounts[0].options: unknown key"},
    {"{'mounts':['/a:/d']}", "t.json: mounts[0]: expected an object, got a string"},
    {"{'readiness':'ready'}",
     "t.json: readiness: expected exec, sd_notify, health or {\"fd\": N}, got 'ready'"},
    {"{'readiness':'health'}", "t.json: readiness: 'health' needs a health check (key health)"},
    {"{'readiness':{'fd':1}}", "t.json: readiness.fd: 1 is out of range (3..1023)"},
    {"{'readiness':{}}", "t.json: readiness.fd: required key is missing"},
    {"{'readiness':3}", "t.json: readiness: expected a string or {\"fd\": N}, got an integer"},
    {"{'health':{}}", "t.json: health: one of 'exec' or 'tcp' is required"},
    {"{'health':{'exec':['x'],'tcp':80}}",
     "t.json: health.tcp: cannot be used with exec (give one of the two)"},
    {"{'health':{'tcp':'localhost'}}",
     "t.json: health.tcp: expected \"HOST:PORT\" or a port, got 'localhost'"},
    {"{'health':{'tcp':'local_host:80'}}",
     "t.json: health.tcp: expected \"HOST:PORT\" or a port, got 'local_host:80'"},
    {"{'health':{'tcp':'[::1:80'}}",
     "t.json: health.tcp: expected \"HOST:PORT\" or a port, got '[::1:80'"},
    {"{'health':{'tcp':'db:99999'}}", "t.json: health.tcp: 'db:99999': ports are 1..65535"},
    {"{'health':{'tcp':0}}", "t.json: health.tcp: 0 is out of range (1..65535)"},
    {"{'health':{'exec':['x'],'interval_s':0}}",
     "t.json: health.interval_s: 0 is out of range (0.001..86400)"},
    {"{'health':{'exec':['x'],'retries':0}}",
     "t.json: health.retries: 0 is out of range (1..1000000)"},
    {"{'health':{'exec':['x'],'on_unhealthy':'panic'}}",
     "t.json: health.on_unhealthy: expected restart, stop or none, got 'panic'"},
    {"{'health':{'exec':[]}}", "t.json: health.exec: must not be empty"},
    {"{'health':{'exec':['x'],'interval':1}}", "t.json: health.interval: unknown key"},
    {"{'children':[]}", "t.json: rootfs: unknown key (a tree has name, strategy, intensity and "
                        "children)"},
};

static void reject(const char *patch, const char *want)
{
    char *text = json_patched(base_service, patch);
    struct bt_err err = {0};
    struct bt_svcspec_node *node = (struct bt_svcspec_node *)1;
    int ret = bt_svcspec_parse(text, "t.json", &node, &err);
    if (!ok(ret == -EINVAL && !node && err.code == EINVAL && strcmp(err.msg, want) == 0,
            "refuses %s", patch))
        diag("  got %d '%s'\n#   expected '%s'", ret, err.msg, want);
    free(text);
}

/* Whole files (single-quoted), for what a merge patch cannot express. */
static const struct {
    const char *name;
    const char *text;
    const char *want;
} raw_cases[] = {
    {"a duplicate key", "{'name':'a','rootfs':'/r','command':['x'],'name':'b'}",
     "t.json: name: duplicate key"},
    {"a nested duplicate key",
     "{'name':'a','rootfs':'/r','command':['x'],'stop':{'signal':'INT','signal':'TERM'}}",
     "t.json: stop.signal: duplicate key"},
    {"a duplicate key spelled with an escape",
     "{'name':'a','rootfs':'/r','command':['x'],'\\u0072ootfs':'/s'}",
     "t.json: rootfs: duplicate key"},
    {"an infinite duration", "{'name':'a','rootfs':'/r','command':['x'],'start_timeout_s':1e999}",
     "t.json: start_timeout_s: 1e999 is out of range (0..86400)"},
    {"an empty file", "", "t.json:1:1: invalid JSON: unexpected end of input"},
    {"an unfinished object", "{'name':\n'a',", "t.json:2:5: invalid JSON: unexpected end of input"},
    {"data after the object", "{} {}", "t.json:1:4: invalid JSON: unexpected character"},
    {"an array", "[]", "t.json: expected a service or a tree (an object), got an array"},
    {"a tree without children", "{'name':'t','children':[]}",
     "t.json: children: a tree needs at least one child"},
    {"children as an object", "{'name':'t','children':{}}",
     "t.json: children: expected an array, got an object"},
    {"a child that is not an object", "{'name':'t','children':[1]}",
     "t.json: children[0]: expected a service or a tree (an object), got an integer"},
    {"a tree without a name", "{'children':[{'name':'a','rootfs':'/r','command':['x']}]}",
     "t.json: name: required key is missing"},
    {"two children with one name",
     "{'name':'t','children':[{'name':'a','rootfs':'/r','command':['x']},"
     "{'name':'b','children':[{'name':'a','image':'i','command':['x']}]}]}",
     "t.json: children[1].children[0].name: 'a' is already used at children[0].name"},
    {"a child named like its tree",
     "{'name':'t','children':[{'name':'t','rootfs':'/r','command':['x']}]}",
     "t.json: children[0].name: 't' is already used at name"},
    {"a bad strategy",
     "{'name':'t','strategy':'all','children':[{'name':'a','rootfs':'/r','command':['x']}]}",
     "t.json: strategy: expected one_for_one, one_for_all or rest_for_one, got 'all'"},
    {"negative max_restarts",
     "{'name':'t','intensity':{'max_restarts':-1},'children':[{'name':'a','rootfs':'/r',"
     "'command':['x']}]}",
     "t.json: intensity.max_restarts: -1 is out of range (0..1000000)"},
    {"a zero period",
     "{'name':'t','intensity':{'period_s':0},'children':[{'name':'a','rootfs':'/r',"
     "'command':['x']}]}",
     "t.json: intensity.period_s: 0 is out of range (0.001..86400)"},
    {"an unknown intensity key",
     "{'name':'t','intensity':{'restarts':1},'children':[{'name':'a','rootfs':'/r',"
     "'command':['x']}]}",
     "t.json: intensity.restarts: unknown key"},
    {"a bad service deep in a tree",
     "{'name':'t','children':[{'name':'a','rootfs':'/r','command':['x']},{'name':'u',"
     "'children':[{'name':'b','rootfs':'/r','command':['x'],'restart':'sometimes'}]}]}",
     "t.json: children[1].children[0].restart: expected no, on-failure[:N], always or "
     "unless-stopped, got 'sometimes'"},
    {"children null is a service key", "{'name':'a','rootfs':'/r','command':['x'],'children':null}",
     "t.json: children: unknown key"},
};

static void reject_text(const char *name, const char *text, const char *want)
{
    char *real = quotes(text);
    struct bt_err err = {0};
    struct bt_svcspec_node *node = NULL;
    int ret = bt_svcspec_parse(real, "t.json", &node, &err);
    if (!ok(ret == -EINVAL && !node && strcmp(err.msg, want) == 0, "refuses %s", name))
        diag("  got %d '%s'\n#   expected '%s'", ret, err.msg, want);
    bt_svcspec_free(node);
    free(real);
}

/* A tree nesting DEPTH trees, the innermost holding one service. Caller frees. */
static char *nested(int depth)
{
    size_t cap = (size_t)depth * 64 + 128, len = 0;
    char *text = malloc(cap);
    for (int i = 0; i < depth; i++)
        len += (size_t)snprintf(text + len, cap - len, "{\"name\":\"t%d\",\"children\":[", i);
    len += (size_t)snprintf(text + len, cap - len,
                            "{\"name\":\"s\",\"rootfs\":\"/r\",\"command\":[\"x\"]}");
    for (int i = 0; i < depth; i++)
        len += (size_t)snprintf(text + len, cap - len, "]}");
    return text;
}

static void test_limits(void)
{
    char *text = nested(BT_SVCSPEC_DEPTH_MAX);
    struct bt_svcspec_node *node = parse(text);
    ok(node != NULL, "trees nested %d deep", BT_SVCSPEC_DEPTH_MAX);
    bt_svcspec_free(node);
    free(text);

    text = nested(BT_SVCSPEC_DEPTH_MAX + 1);
    struct bt_err err = {0};
    node = NULL;
    int ret = bt_svcspec_parse(text, "t.json", &node, &err);
    ok(ret == -EINVAL && !node &&
           strcmp(err.msg, "t.json: children[0].children[0].children[0].children[0].children[0]."
                           "children[0].children[0].children[0]: trees nest at most 8 deep") == 0,
       "trees nested %d deep are refused", BT_SVCSPEC_DEPTH_MAX + 1);
    if (ret != -EINVAL)
        diag("  got %d '%s'", ret, err.msg);
    free(text);

    text = nested(200);
    ret = bt_svcspec_parse(text, "t.json", &node, &err);
    ok(ret == -EINVAL && strstr(err.msg, "t.json:1:") == err.msg &&
           strstr(err.msg, "invalid JSON: nesting too deep"),
       "nesting beyond what json-c reads is refused: %s", err.msg);
    free(text);

    /* Exactly the limit passes the size check (and fails as JSON); one more byte does not. */
    size_t big = BT_SVCSPEC_FILE_MAX + 1;
    text = malloc(big + 1);
    memset(text, ' ', big);
    text[big] = '\0';
    ret = bt_svcspec_parse(text, "t.json", &node, &err);
    ok(ret == -EINVAL && strcmp(err.msg, "t.json: too large (1048577 bytes, limit 1048576)") == 0,
       "a text over 1 MiB is refused: %s", err.msg);
    text[big - 1] = '\0';
    ret = bt_svcspec_parse(text, "t.json", &node, &err);
    ok(ret == -EINVAL && strstr(err.msg, "unexpected end of input"), "1 MiB of blanks is read");
    free(text);

    char path[PATH_MAX + 32];
    format_or_exit(path, "%s/big.json", tmp);
    FILE *f = fopen(path, "w");
    for (size_t i = 0; f && i < BT_SVCSPEC_FILE_MAX + 1; i++)
        fputc(' ', f);
    if (f)
        fclose(f);
    ret = bt_svcspec_load_file(path, &node, &err);
    char want[PATH_MAX + 128];
    format_or_exit(want, "%s: too large (1048577 bytes, limit 1048576)", path);
    ok(ret == -EINVAL && strcmp(err.msg, want) == 0, "a file over 1 MiB is refused");

    format_or_exit(path, "%s/missing.json", tmp);
    ret = bt_svcspec_load_file(path, &node, &err);
    format_or_exit(want, "%s: No such file or directory", path);
    ok(ret == -ENOENT && !node && strcmp(err.msg, want) == 0, "a missing file: %s", err.msg);

    format_or_exit(path, "%s/fifo.json", tmp);
    ret = mkfifo(path, 0600) == 0 ? bt_svcspec_load_file(path, &node, &err) : -errno;
    format_or_exit(want, "%s: not a regular file", path);
    ok(ret == -EINVAL && strcmp(err.msg, want) == 0, "a FIFO is refused without blocking");

    format_or_exit(path, "%s/nul.json", tmp);
    write_data(path, "{\"name\"\0}", 9);
    ret = bt_svcspec_load_file(path, &node, &err);
    format_or_exit(want, "%s: contains a NUL byte", path);
    ok(ret == -EINVAL && strcmp(err.msg, want) == 0, "a NUL byte is refused");
}

/* Pairs that differ in one field: never equal. */
static const char *const differ_cases[] = {
    "{'name':'web2'}",
    "{'rootfs':'/srv/web2'}",
    "{'rootfs':null,'image':'web'}",
    "{'command':['httpd','-f']}",
    "{'env':['A=1']}",
    "{'workdir':'/'}",
    "{'user':'1'}",
    "{'hostname':'h'}",
    "{'restart':'always'}",
    "{'restart':'on-failure'}",
    "{'success_exit_codes':[0,1]}",
    "{'backoff':{'initial_ms':101}}",
    "{'backoff':{'max_ms':30001}}",
    "{'backoff':{'reset_after_s':11}}",
    "{'stop':{'signal':'KILL'}}",
    "{'stop':{'timeout_s':9.999}}",
    "{'start_timeout_s':89}",
    "{'resources':{'memory':'1G'}}",
    "{'resources':{'cpus':1}}",
    "{'resources':{'pids':1}}",
    "{'resources':{'io_weight':10}}",
    "{'rlimits':{'nofile':1}}",
    "{'network':'host'}",
    "{'network':'bridge'}",
    "{'mounts':[{'type':'tmpfs','target':'/t'}]}",
    "{'readiness':'sd_notify'}",
    "{'readiness':{'fd':3}}",
    "{'health':{'exec':['true']}}",
};

/* Pairs of specs that differ in spelling only. */
static const char *const same_cases[][2] = {
    {"{'restart':'no','stop':{'signal':'TERM','timeout_s':10.0}}", "{'stop':{'signal':15}}"},
    {"{'rlimits':{'nofile':1024,'core':{'soft':1,'hard':2}}}",
     "{'rlimits':{'RLIMIT_CORE':{'hard':2,'soft':1},'NOFILE':{'soft':1024,'hard':1024}}}"},
    {"{'mounts':[{'source':'/a','target':'/d/'}]}",
     "{'mounts':[{'source':'/a','target':'/d','type':'bind','readonly':false}]}"},
    {"{'resources':{'memory':'1g','cpus':0.5}}",
     "{'resources':{'memory':1073741824,'cpus':0.500}}"},
    {"{'success_exit_codes':[3,0]}", "{'success_exit_codes':[0,3]}"},
};

static void test_equal(void)
{
    struct bt_svcspec_node *base = parse_patch("{}"), *again = parse_patch("{}");
    ok(base && again && bt_svcspec_equal(&base->service, &again->service) &&
           bt_svcspec_equal(&base->service, &base->service) && bt_svcspec_node_equal(base, again),
       "a spec equals itself and its own reparse");
    for (size_t i = 0; i < sizeof(differ_cases) / sizeof(differ_cases[0]); i++) {
        struct bt_svcspec_node *other = parse_patch(differ_cases[i]);
        ok(base && other && !bt_svcspec_equal(&base->service, &other->service) &&
               !bt_svcspec_equal(&other->service, &base->service),
           "not equal: %s", differ_cases[i]);
        bt_svcspec_free(other);
    }
    for (size_t i = 0; i < sizeof(same_cases) / sizeof(same_cases[0]); i++) {
        struct bt_svcspec_node *a = parse_patch(same_cases[i][0]);
        struct bt_svcspec_node *b = parse_patch(same_cases[i][1]);
        ok(a && b && bt_svcspec_equal(&a->service, &b->service), "equal: %s and %s",
           same_cases[i][0], same_cases[i][1]);
        bt_svcspec_free(a);
        bt_svcspec_free(b);
    }
    /* Two health checks that differ only in a field past the kind. */
    struct bt_svcspec_node *h1 = parse_patch("{'health':{'tcp':80,'retries':2}}");
    struct bt_svcspec_node *h2 = parse_patch("{'health':{'tcp':80,'retries':3}}");
    struct bt_svcspec_node *h3 = parse_patch("{'health':{'tcp':'localhost:80','retries':3}}");
    ok(h1 && h2 && h3 && !bt_svcspec_equal(&h1->service, &h2->service) &&
           !bt_svcspec_equal(&h2->service, &h3->service),
       "not equal: health retries, health tcp host");
    bt_svcspec_free(h1);
    bt_svcspec_free(h2);
    bt_svcspec_free(h3);

    struct bt_svcspec_node *tree = load_fixture("tree.json");
    struct bt_svcspec_node *tree2 = load_fixture("tree.json");
    ok(tree && tree2 && bt_svcspec_node_equal(tree, tree2) && base &&
           !bt_svcspec_node_equal(tree, base),
       "trees: equal to their reparse, not to a service");
    if (tree2 && tree2->kind == BT_SVCSPEC_TREE) {
        tree2->tree.strategy = BT_SVCSPEC_ONE_FOR_ALL;
        ok(!bt_svcspec_node_equal(tree, tree2), "trees: a strategy changed");
    } else {
        skip("tree.json refused");
    }
    bt_svcspec_free(tree);
    bt_svcspec_free(tree2);
    bt_svcspec_free(base);
    bt_svcspec_free(again);
}

struct errors {
    int count;
    char first[BT_ERR_MSG_MAX];
};

static void collect(const struct bt_err *err, void *data)
{
    struct errors *errors = data;
    if (errors->count++ == 0)
        snprintf(errors->first, sizeof(errors->first), "%s", err->msg);
    diag("  error reported: %s", err->msg);
}

static void test_dir(void)
{
    char dir[PATH_MAX], want[PATH_MAX + 256];
    struct bt_svcspec_list list = {0};
    struct errors errors = {0};
    struct bt_err err = {0};
    format_or_exit(dir, "%s/dir", fixture_dir("svcspec"));
    int ret = bt_svcspec_load_dir(dir, &list, collect, &errors, &err);
    format_or_exit(
        want,
        "%s/20-cache.json: restart: expected no, on-failure[:N], always or unless-stopped, "
        "got 'sometimes'",
        dir);
    ok(ret == 0 && list.len == 2 && errors.count == 1 && strcmp(errors.first, want) == 0,
       "a directory with two good specs and a bad one: two loaded, one error");
    ok(list.len == 2 && list.nodes[0]->kind == BT_SVCSPEC_SERVICE &&
           strcmp(list.nodes[0]->service.name, "redis") == 0 &&
           strstr(list.nodes[0]->file, "/10-redis.json") &&
           list.nodes[1]->kind == BT_SVCSPEC_TREE && strcmp(list.nodes[1]->tree.name, "app") == 0,
       "in file-name order, hidden files and other names skipped");
    bt_svcspec_list_free(&list);
    ok(list.len == 0 && !list.nodes, "bt_svcspec_list_free empties the list");

    /* A name an earlier file uses, even deep in a tree, refuses the later file only. */
    char sub[PATH_MAX + 16], path[PATH_MAX + 64];
    format_or_exit(sub, "%s/names", tmp);
    mkdir(sub, 0700);
    static const char *const files[][2] = {
        {"a.json", "{\"name\":\"t\",\"children\":[{\"name\":\"web\",\"rootfs\":\"/r\","
                   "\"command\":[\"x\"]}]}"},
        {"b.json",
         "{\"name\":\"u\",\"children\":[{\"name\":\"db\",\"rootfs\":\"/r\","
         "\"command\":[\"x\"]},{\"name\":\"web\",\"rootfs\":\"/r\",\"command\":[\"y\"]}]}"},
        {"c.json", "{\"name\":\"db\",\"rootfs\":\"/r\",\"command\":[\"x\"]}"},
    };
    for (size_t i = 0; i < 3; i++) {
        format_or_exit(path, "%s/%s", sub, files[i][0]);
        write_file(path, files[i][1]);
    }
    format_or_exit(path, "%s/d.json", sub);
    mkdir(path, 0700);
    errors = (struct errors){0};
    ret = bt_svcspec_load_dir(sub, &list, collect, &errors, &err);
    format_or_exit(want, "%s/b.json: children[1].name: 'web' is already used in %s/a.json", sub,
                   sub);
    ok(ret == 0 && list.len == 2 && errors.count == 2 && strcmp(errors.first, want) == 0 &&
           list.len == 2 && strcmp(list.nodes[1]->service.name, "db") == 0,
       "names are unique across files: the later file is refused; a directory named .json too");
    bt_svcspec_list_free(&list);

    format_or_exit(path, "%s/no-such-dir", tmp);
    ret = bt_svcspec_load_dir(path, &list, NULL, NULL, &err);
    format_or_exit(want, "%s: No such file or directory", path);
    ok(ret == -ENOENT && list.len == 0 && strcmp(err.msg, want) == 0,
       "a missing directory is an error");
}

/* to_json, then parse: the same spec. */
static void round_trip(struct bt_svcspec_node *node, const char *what)
{
    char *text = NULL;
    struct bt_err err = {0};
    struct bt_svcspec_node *back = NULL;
    int ret = node ? bt_svcspec_to_json(node, &text, &err) : -EINVAL;
    if (ret == 0 && bt_svcspec_parse(text, "persisted.json", &back, &err) < 0)
        diag("%s\n%s", err.msg, text);
    ok(ret == 0 && text[strlen(text) - 1] == '\n' && back && bt_svcspec_node_equal(node, back),
       "round trip through to_json: %s", what);
    free(text);
    bt_svcspec_free(back);
}

static void test_round_trip(void)
{
    struct bt_svcspec_node *node = load_fixture("full.json");
    round_trip(node, "full.json");
    bt_svcspec_free(node);
    node = load_fixture("tree.json");
    round_trip(node, "tree.json");
    bt_svcspec_free(node);
    node = parse_patch("{}");
    round_trip(node, "the defaults");
    char *text = NULL;
    struct bt_err err = {0};
    ok(node && bt_svcspec_to_json(node, &text, &err) == 0 && strstr(text, "\"restart\": \"no\"") &&
           strstr(text, "\"initial_ms\": 100") && strstr(text, "\"signal\": \"SIGTERM\"") &&
           strstr(text, "\"network\": \"none\"") && !strstr(text, "\"health\""),
       "the defaults are written out");
    free(text);
    bt_svcspec_free(node);
    node = parse_patch("{'restart':'unless-stopped','resources':{'memory':1048577,'cpus':0.125},"
                       "'stop':{'signal':'RTMIN+3','timeout_s':0.1},'health':{'tcp':'[::1]:80',"
                       "'interval_s':0.25},'network':'bridge','ports':['[::]:1:2/udp'],"
                       "'rlimits':{'stack':{'soft':8388608,'hard':'unlimited'}}}");
    round_trip(node, "odd values (bytes, fractions, RT signals, IPv6)");
    text = NULL;
    ok(node && bt_svcspec_to_json(node, &text, &err) == 0 && strstr(text, "\"cpus\": 0.125") &&
           strstr(text, "\"timeout_s\": 0.1\n") && strstr(text, "\"memory\": 1048577") &&
           strstr(text, "\"tcp\": \"[::1]:80\"") && strstr(text, "\"[::]:1:2/udp\""),
       "fractions written as written, not as binary doubles");
    free(text);
    bt_svcspec_free(node);
}

static void remove_tmp(void)
{
    remove_tree(tmp);
}

int main(void)
{
    size_t nreject = sizeof(reject_cases) / sizeof(reject_cases[0]);
    size_t nraw = sizeof(raw_cases) / sizeof(raw_cases[0]);
    size_t ndiffer = sizeof(differ_cases) / sizeof(differ_cases[0]);
    size_t nsame = sizeof(same_cases) / sizeof(same_cases[0]);
    plan((int)(13 + 7 + 6 + 10 + nreject + nraw + 9 + 1 + ndiffer + nsame + 3 + 5 + 6 + 1));
    tap_alarm(60);

    make_tmpdir(tmp, sizeof(tmp), "t-svcspec");
    atexit(remove_tmp);

    test_full();     /* 13 */
    test_tree();     /* 7 */
    test_defaults(); /* 6 */
    test_accepted(); /* 10 */
    for (size_t i = 0; i < nreject; i++)
        reject(reject_cases[i].patch, reject_cases[i].want);
    for (size_t i = 0; i < nraw; i++)
        reject_text(raw_cases[i].name, raw_cases[i].text, raw_cases[i].want);
    test_limits();     /* 9 */
    test_equal();      /* 1 + differ + same + 3 */
    test_dir();        /* 5 */
    test_round_trip(); /* 6 */
    bt_svcspec_free(NULL);
    ok(1, "bt_svcspec_free(NULL)");
    return done();
}
