/* Unit tests for lib/spec.c: the default spec, a full-featured fixture, crun's and runc's own
 * default specs, and one case per rejection rule with the exact one-line message. */
#include "spec.h"
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>

/* Every bundle lives under this temporary directory, removed at the end. */
static char tmp[PATH_MAX];
/* The bundle most cases use: a rootfs directory and a config.json written per case. */
static char bundle[PATH_MAX];

static const char base_spec[] =
    "{'ociVersion':'1.0.2','root':{'path':'rootfs'},'process':{'args':['sh'],'cwd':'/'},"
    "'linux':{'namespaces':[{'type':'pid'},{'type':'network'},{'type':'ipc'},{'type':'uts'},"
    "{'type':'mount'}]}}";

/* The message of ERR after "BUNDLE/config.json", or a note saying why there is none. */
static const char *after_file(const char *dir, int ret, const struct bt_err *err)
{
    static char buf[BT_ERR_MSG_MAX + 64];
    size_t len = strlen(dir);
    if (ret == 0)
        return "(accepted)";
    if (strncmp(err->msg, dir, len) != 0 || strncmp(err->msg + len, "/config.json", 12) != 0) {
        format_or_exit(buf, "(ret %d, unprefixed) %s", ret, err->msg);
        return buf;
    }
    if (ret != -EINVAL) {
        format_or_exit(buf, "(ret %d) %s", ret, err->msg + len + 12);
        return buf;
    }
    return err->msg + len + 12;
}

static void reject_text(const char *text, const char *want, const char *name)
{
    struct bt_err err = {0};
    struct bt_spec *spec = NULL;
    int ret = bt_spec_parse(text, bundle, &spec, &err);
    is_str(after_file(bundle, ret, &err), want, "rejects %s", name);
    if (ret == 0 && spec)
        bt_spec_free(spec);
    else if (spec)
        diag("*out was not left NULL");
    if (ret < 0 && strchr(err.msg, '\n'))
        diag("message has a newline");
}

/* Rejects base_spec with PATCH merged in, with the message WANT after "BUNDLE/config.json". */
static void reject(const char *patch, const char *want)
{
    char *text = json_patched(base_spec, patch);
    char name[128];
    format_or_exit(name, "%.100s%s", patch, strlen(patch) > 100 ? "..." : "");
    reject_text(text, want, name);
    free(text);
}

/* Parses TEXT in DIR; NULL (with a diagnostic) when it is refused. */
static struct bt_spec *accept_in(const char *dir, const char *text, const char *name)
{
    struct bt_err err = {0};
    struct bt_spec *spec = NULL;
    int ret = bt_spec_parse(text, dir, &spec, &err);
    if (!ok(ret == 0 && spec, "accepts %s", name))
        diag("  %s", err.msg);
    return ret == 0 ? spec : NULL;
}

static struct bt_spec *accept(const char *patch)
{
    char *text = json_patched(base_spec, patch);
    struct bt_spec *spec = accept_in(bundle, text, patch);
    free(text);
    return spec;
}

/* write_data, or the run stops: a case without its file would test nothing. */
static void write_or_exit(const char *path, const void *data, size_t len)
{
    if (write_data(path, data, len) < 0) {
        diag("cannot write %s", path);
        exit(1);
    }
}

/* A new bundle directory NAME under tmp, with an empty rootfs directory. */
static const char *make_bundle(char *buf, const char *name)
{
    if (snprintf(buf, PATH_MAX, "%s/%s", tmp, name) >= PATH_MAX)
        exit(1);
    char rootfs[PATH_MAX + 16];
    format_or_exit(rootfs, "%s/rootfs", buf);
    if (mkdir(buf, 0755) < 0 || mkdir(rootfs, 0755) < 0) {
        diag("cannot make bundle %s", buf);
        exit(1);
    }
    return buf;
}

/* Removes tmp, also when a helper gives up with exit(1). */
static void remove_tmp(void)
{
    remove_tree(tmp);
}

static char *read_fixture(const char *name)
{
    char path[PATH_MAX + 64];
    format_or_exit(path, "%s/%s", fixture_dir("spec"), name);
    FILE *f = fopen(path, "r");
    if (!f) {
        diag("cannot open %s (run from the top of the tree or set BOTTLE_SRCDIR)", path);
        return NULL;
    }
    char *text = calloc(1, BT_SPEC_FILE_MAX + 1);
    size_t len = text ? fread(text, 1, BT_SPEC_FILE_MAX, f) : 0;
    (void)len;
    fclose(f);
    return text;
}

static uint64_t caps_of(const int *values, size_t n)
{
    uint64_t mask = 0;
    for (size_t i = 0; i < n; i++)
        mask |= UINT64_C(1) << values[i];
    return mask;
}

static void test_default(void)
{
    char dir[PATH_MAX];
    char *text = bt_spec_default_json();
    ok(text && text[strlen(text) - 1] == '\n', "default spec is a text ending with a newline");
    if (!text)
        return;
    make_bundle(dir, "default");
    struct bt_spec *spec = accept_in(dir, text, "the default spec");
    free(text);
    if (!spec) {
        skip("default spec fields");
        return;
    }
    static const int docker[] = {
        CAP_CHOWN,   CAP_DAC_OVERRIDE, CAP_FSETID,           CAP_FOWNER,
        CAP_MKNOD,   CAP_NET_RAW,      CAP_SETGID,           CAP_SETUID,
        CAP_SETFCAP, CAP_SETPCAP,      CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT,
        CAP_KILL,    CAP_AUDIT_WRITE};
    uint64_t docker_mask = caps_of(docker, sizeof(docker) / sizeof(docker[0]));
    const struct bt_spec_mount *dev = spec->mounts_len > 1 ? &spec->mounts[1] : NULL;
    ok(spec->process.args_len == 1 && strcmp(spec->process.args[0], "sh") == 0 &&
           spec->process.args[1] == NULL && spec->process.terminal && spec->process.uid == 0 &&
           spec->process.env_len == 2 && strcmp(spec->process.cwd, "/") == 0 &&
           spec->process.no_new_privileges,
       "default process: sh on a terminal as root, no new privileges");
    ok(spec->process.has_capabilities && spec->process.caps.bounding == docker_mask &&
           spec->process.caps.effective == docker_mask &&
           spec->process.caps.permitted == docker_mask && spec->process.caps.inheritable == 0 &&
           spec->process.caps.ambient == 0,
       "default capabilities are docker's 14");
    ok(spec->process.rlimits_len == 1 && spec->process.rlimits[0].resource == RLIMIT_NOFILE &&
           spec->process.rlimits[0].soft == 1024 && spec->process.rlimits[0].hard == 1024,
       "default RLIMIT_NOFILE 1024");
    ok(spec->namespaces_len == 6 && bt_spec_find_ns(spec, BT_SPEC_NS_PID) &&
           bt_spec_find_ns(spec, BT_SPEC_NS_NETWORK) && bt_spec_find_ns(spec, BT_SPEC_NS_IPC) &&
           bt_spec_find_ns(spec, BT_SPEC_NS_UTS) && bt_spec_find_ns(spec, BT_SPEC_NS_MOUNT) &&
           bt_spec_find_ns(spec, BT_SPEC_NS_CGROUP) && !bt_spec_find_ns(spec, BT_SPEC_NS_USER),
       "default namespaces: pid network ipc uts mount cgroup");
    ok(spec->mounts_len == 6 && strcmp(spec->mounts[0].destination, "/proc") == 0 && dev &&
           strcmp(dev->destination, "/dev") == 0 && dev->flags == (MS_NOSUID | MS_STRICTATIME) &&
           dev->data && strcmp(dev->data, "mode=755,size=65536k") == 0 &&
           strcmp(spec->mounts[5].destination, "/sys") == 0 &&
           spec->mounts[5].flags == (MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY),
       "default mounts /proc /dev /dev/pts /dev/shm /dev/mqueue /sys");
    ok(spec->masked_paths_len == 10 && spec->readonly_paths_len == 5 && spec->root_readonly &&
           strcmp(spec->root_path, "rootfs") == 0 && spec->resources.devices_len == 1 &&
           !spec->resources.devices[0].allow && strcmp(spec->hostname, "bottle") == 0,
       "default masked and read-only paths, read-only rootfs, devices denied");
    bt_spec_free(spec);
}

static void test_full(void)
{
    char dir[PATH_MAX], path[PATH_MAX + 32];
    struct bt_err err = {0};
    struct bt_spec *spec = NULL;
    char *text = read_fixture("full.json");
    make_bundle(dir, "full");
    format_or_exit(path, "%s/config.json", dir);
    if (text)
        write_or_exit(path, text, strlen(text));
    free(text);
    int ret = bt_spec_load(dir, &spec, &err);
    if (!ok(ret == 0 && spec, "loads the full fixture")) {
        diag("  %s", err.msg);
        for (int i = 0; i < 14; i++)
            skip("full fixture not loaded");
        return;
    }
    const struct bt_spec_process *p = &spec->process;
    char rootfs[PATH_MAX + 16];
    format_or_exit(rootfs, "%s/rootfs", dir);
    ok(strcmp(spec->oci_version, "1.2.0") == 0 && spec->root_readonly &&
           strcmp(spec->root_path, "rootfs") == 0 && strcmp(spec->rootfs, rootfs) == 0 &&
           strcmp(spec->bundle_dir, dir) == 0,
       "version, root path and the resolved rootfs");
    ok(!p->terminal && p->has_console_size && p->console_height == 24 && p->console_width == 80 &&
           p->uid == 1000 && p->gid == 1001 && p->has_umask && p->umask == 022 &&
           p->additional_gids_len == 3 && p->additional_gids[2] == UINT32_MAX,
       "terminal, console size, user, umask, additional gids");
    ok(p->args_len == 3 && strcmp(p->args[2], "yes") == 0 && !p->args[3] && p->env_len == 3 &&
           strcmp(p->env[2], "EMPTY=") == 0 && !p->env[3] && strcmp(p->cwd, "/data") == 0,
       "args, env and cwd");
    ok(p->has_capabilities &&
           p->caps.bounding ==
               ((1ULL << CAP_CHOWN) | (1ULL << CAP_KILL) | (1ULL << CAP_NET_BIND_SERVICE) |
                (1ULL << CAP_CHECKPOINT_RESTORE)) &&
           p->caps.effective == (1ULL << CAP_KILL) && p->caps.inheritable == 0 &&
           p->caps.permitted == ((1ULL << CAP_KILL) | (1ULL << CAP_CHOWN)) &&
           p->caps.ambient == (1ULL << CAP_NET_BIND_SERVICE),
       "capability sets");
    ok(p->rlimits_len == 3 && p->rlimits[0].resource == RLIMIT_NOFILE &&
           p->rlimits[0].soft == 1024 && p->rlimits[0].hard == 4096 &&
           p->rlimits[1].resource == RLIMIT_CORE && p->rlimits[1].hard == UINT64_MAX &&
           p->rlimits[2].resource == RLIMIT_NPROC,
       "rlimits, with RLIM_INFINITY");
    ok(p->no_new_privileges && p->has_oom_score_adj && p->oom_score_adj == -500 &&
           strcmp(spec->hostname, "redis") == 0 && strcmp(spec->domainname, "example.org") == 0,
       "noNewPrivileges, oomScoreAdj, hostname, domainname");
    const struct bt_spec_mount *m = spec->mounts;
    char data_source[PATH_MAX + 16];
    format_or_exit(data_source, "%s/data", dir);
    ok(spec->mounts_len == 5 && strcmp(m[0].type, "proc") == 0 && m[0].flags == 0 && !m[0].data &&
           m[1].flags == (MS_NOSUID | MS_STRICTATIME) &&
           strcmp(m[1].data, "mode=755,size=65536k") == 0,
       "proc and tmpfs mounts: flags and data");
    ok(strcmp(m[2].source, data_source) == 0 &&
           m[2].flags == (MS_BIND | MS_REC | MS_NODEV | MS_RDONLY) &&
           m[2].propagation == (MS_PRIVATE | MS_REC) && !m[3].type &&
           strcmp(m[3].source, "/etc/hosts") == 0 &&
           m[3].flags == (MS_BIND | MS_RDONLY | MS_NOSUID | MS_NOEXEC) && m[3].propagation == 0 &&
           m[4].flags == (MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RELATIME),
       "bind mounts: relative source resolved, propagation apart, rw clears ro");
    ok(spec->namespaces_len == 7 && spec->namespaces[0].type == BT_SPEC_NS_PID &&
           !spec->namespaces[0].path && spec->namespaces[1].type == BT_SPEC_NS_NETWORK &&
           strcmp(spec->namespaces[1].path, "/run/netns/bottle-test") == 0 &&
           bt_spec_ns_clone_flag(spec->namespaces[5].type) == CLONE_NEWUSER &&
           strcmp(bt_spec_ns_name(spec->namespaces[6].type), "cgroup") == 0,
       "namespaces, with a path to join");
    ok(spec->uid_mappings_len == 1 && spec->uid_mappings[0].host_id == 100000 &&
           spec->uid_mappings[0].size == 65536 && spec->gid_mappings_len == 2 &&
           spec->gid_mappings[1].container_id == 65536 && spec->gid_mappings[1].host_id == 300000,
       "uid and gid mappings");
    const struct bt_spec_resources *r = &spec->resources;
    ok(r->has_memory_limit && r->memory_limit == 268435456 && r->has_memory_reservation &&
           r->memory_reservation == 134217728 && r->has_memory_swap &&
           r->memory_swap == 536870912 && r->has_cpu_shares && r->cpu_shares == 512 &&
           r->has_cpu_quota && r->cpu_quota == 50000 && r->has_cpu_period &&
           r->cpu_period == 100000 && strcmp(r->cpu_cpus, "0-3,6") == 0 &&
           strcmp(r->cpu_mems, "0") == 0 && r->has_pids_limit && r->pids_limit == 256 &&
           r->has_blkio_weight && r->blkio_weight == 100,
       "memory, cpu, pids and blockIO resources");
    ok(r->devices_len == 3 && !r->devices[0].allow && r->devices[0].type == 'a' &&
           r->devices[0].major == -1 && r->devices[0].minor == -1 &&
           strcmp(r->devices[0].access, "rwm") == 0 && r->devices[1].allow &&
           r->devices[1].type == 'c' && r->devices[1].major == 1 && r->devices[1].minor == 3 &&
           strcmp(r->devices[1].access, "rw") == 0 && r->devices[2].minor == -1 &&
           strcmp(r->devices[2].access, "mrw") == 0,
       "device rules");
    ok(strcmp(spec->cgroups_path, "/bottle/redis") == 0 && spec->sysctl_len == 4 &&
           strcmp(spec->sysctl[0].key, "net.ipv4.ip_forward") == 0 &&
           strcmp(spec->sysctl[0].value, "1") == 0 &&
           strcmp(spec->sysctl[3].key, "net/ipv4/conf/eth0.1/forwarding") == 0 &&
           spec->masked_paths_len == 2 && strcmp(spec->masked_paths[1], "/sys/firmware") == 0 &&
           !spec->masked_paths[2] && spec->readonly_paths_len == 2 &&
           spec->rootfs_propagation == (MS_SLAVE | MS_REC),
       "cgroupsPath, sysctl, masked and read-only paths, rootfs propagation");
    ok(spec->annotations_len == 2 &&
           strcmp(spec->annotations[0].key, "org.opencontainers.image.title") == 0 &&
           strcmp(spec->annotations[0].value, "redis") == 0 &&
           strcmp(spec->annotations[1].value, "") == 0,
       "annotations, in file order");
    bt_spec_free(spec);
}

/* crun's and runc's own default specs, as committed and as the installed tools print them. */
static void test_other_runtimes(void)
{
    static const char *const fixtures[] = {"crun-1.8.1.json", "runc-1.1.5.json"};
    static const char *const tools[] = {"crun", "runc"};
    char dir[PATH_MAX], name[64], command[PATH_MAX + 64];
    for (int i = 0; i < 2; i++) {
        char *text = read_fixture(fixtures[i]);
        format_or_exit(name, "fixture-%s", tools[i]);
        make_bundle(dir, name);
        struct bt_spec *spec = text ? accept_in(dir, text, fixtures[i]) : NULL;
        if (!text)
            ok(0, "read %s", fixtures[i]);
        bt_spec_free(spec);
        free(text);
    }
    for (int i = 0; i < 2; i++) {
        format_or_exit(command, "command -v %s >/dev/null 2>&1", tools[i]);
        if (system(command) != 0) {
            char reason[64];
            format_or_exit(reason, "%s is not installed", tools[i]);
            skip(reason);
            continue;
        }
        format_or_exit(name, "live-%s", tools[i]);
        make_bundle(dir, name);
        format_or_exit(command, "cd '%s' && %s spec >/dev/null 2>&1", dir, tools[i]);
        struct bt_err err = {0};
        struct bt_spec *spec = NULL;
        int ret = system(command) == 0 ? bt_spec_load(dir, &spec, &err) : -1;
        if (!ok(ret == 0, "`%s spec` output loads", tools[i]))
            diag("  %s", ret == -1 ? "the tool failed" : err.msg);
        bt_spec_free(spec);
    }
}

struct reject_case {
    const char *patch;
    const char *want;
};

static const struct reject_case reject_cases[] = {
    /* unknown keys, anywhere */
    {"{'foo':1}", ": unknown key 'foo'"},
    {"{'linux':{'resources':{'memroy':{}}}}", ": unknown key 'linux.resources.memroy'"},
    {"{'mounts':[{'destination':'/x','type':'tmpfs','sorce':'tmpfs'}]}",
     ": unknown key 'mounts[0].sorce'"},
    {"{'process':{'user':{'uid':0,'gid':0,'gids':[]}}}", ": unknown key 'process.user.gids'"},
    {"{'process':{'capabilities':{'bounded':[]}}}", ": unknown key 'process.capabilities.bounded'"},
    {"{'linux':{'resources':{'cpu':{'shrares':2}}}}",
     ": unknown key 'linux.resources.cpu.shrares'"},
    {"{'process':{'Args':['x']}}", ": unknown key 'process.Args'"},
    {"{'root':{'path':'rootfs','readOnly':true}}", ": unknown key 'root.readOnly'"},
    {"{'linux':{'namespaces':[{'type':'mount','pth':'/x'}]}}",
     ": unknown key 'linux.namespaces[0].pth'"},
    /* wrong types */
    {"{'process':{'terminal':'yes'}}", ": process.terminal: expected a boolean, got a string"},
    {"{'process':{'user':{'uid':'0','gid':0}}}",
     ": process.user.uid: expected an integer, got a string"},
    {"{'process':{'oomScoreAdj':1.5}}",
     ": process.oomScoreAdj: expected an integer, got a fractional number"},
    {"{'process':{'args':'sh'}}", ": process.args: expected an array, got a string"},
    {"{'process':{'args':['sh',1]}}", ": process.args[1]: expected a string, got an integer"},
    {"{'process':[]}", ": process: expected an object, got an array"},
    {"{'linux':{'sysctl':{'net.ipv4.ip_forward':1}}}",
     ": linux.sysctl.net.ipv4.ip_forward: expected a string, got an integer"},
    {"{'annotations':{'a':true}}", ": annotations.a: expected a string, got a boolean"},
    /* negative and oversize values */
    {"{'process':{'user':{'uid':-1,'gid':0}}}", ": process.user.uid: -1 is negative"},
    {"{'process':{'user':{'uid':4294967296,'gid':0}}}",
     ": process.user.uid: 4294967296 is out of range (0..4294967295)"},
    {"{'process':{'user':{'uid':0,'gid':0,'additionalGids':[1,4294967296]}}}",
     ": process.user.additionalGids[1]: 4294967296 is out of range (0..4294967295)"},
    {"{'process':{'user':{'uid':0,'gid':0,'umask':512}}}",
     ": process.user.umask: 512 is out of range (0..511)"},
    {"{'process':{'oomScoreAdj':1001}}",
     ": process.oomScoreAdj: 1001 is out of range (-1000..1000)"},
    {"{'process':{'consoleSize':{'height':65536,'width':80}}}",
     ": process.consoleSize.height: 65536 is out of range (0..65535)"},
    {"{'process':{'rlimits':[{'type':'RLIMIT_NOFILE','soft':2048,'hard':1024}]}}",
     ": process.rlimits[0].soft: 2048 is above hard (1024)"},
    {"{'process':{'rlimits':[{'type':'RLIMIT_NOFILE','soft':-1,'hard':1024}]}}",
     ": process.rlimits[0].soft: -1 is negative"},
    {"{'hostname':'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'}",
     ": hostname: too long (65 bytes, limit 64)"},
    {"{'linux':{'resources':{'memory':{'limit':-2}}}}",
     ": linux.resources.memory.limit: -2 is out of range (-1..9223372036854775807)"},
    {"{'linux':{'resources':{'memory':{'limit':9223372036854775808}}}}",
     ": linux.resources.memory.limit: 9223372036854775808 is out of range "
     "(-1..9223372036854775807)"},
    {"{'linux':{'resources':{'memory':{'limit':1048576,'swap':524288}}}}",
     ": linux.resources.memory.swap: 524288 is below limit (1048576): swap counts memory+swap"},
    {"{'linux':{'resources':{'cpu':{'shares':1}}}}",
     ": linux.resources.cpu.shares: 1 is out of range (2..262144, or 0 for unset)"},
    {"{'linux':{'resources':{'cpu':{'shares':262145}}}}",
     ": linux.resources.cpu.shares: 262145 is out of range (2..262144, or 0 for unset)"},
    {"{'linux':{'resources':{'cpu':{'quota':500}}}}",
     ": linux.resources.cpu.quota: 500 is below the kernel's minimum of 1000 microseconds"},
    {"{'linux':{'resources':{'cpu':{'period':2000000}}}}",
     ": linux.resources.cpu.period: 2000000 is out of range (1000..1000000, or 0 for unset)"},
    {"{'linux':{'resources':{'cpu':{'cpus':'0-a'}}}}",
     ": linux.resources.cpu.cpus: '0-a' is not a list such as '0-3,6'"},
    {"{'linux':{'resources':{'cpu':{'mems':'3-1'}}}}",
     ": linux.resources.cpu.mems: '3-1' is not a list such as '0-3,6'"},
    {"{'linux':{'resources':{'pids':{'limit':-5}}}}",
     ": linux.resources.pids.limit: -5 is out of range (-1..9223372036854775807)"},
    {"{'linux':{'resources':{'pids':{}}}}",
     ": linux.resources.pids.limit: required key is missing"},
    {"{'linux':{'resources':{'blockIO':{'weight':5}}}}",
     ": linux.resources.blockIO.weight: 5 is out of range (10..1000, or 0 for unset)"},
    {"{'linux':{'resources':{'devices':[{'allow':true,'access':'rwx'}]}}}",
     ": linux.resources.devices[0].access: 'rwx' is not a subset of rwm"},
    {"{'linux':{'resources':{'devices':[{'allow':true,'type':'x'}]}}}",
     ": linux.resources.devices[0].type: 'x' is not one of a, b, c"},
    {"{'linux':{'resources':{'devices':[{'allow':true,'major':5000}]}}}",
     ": linux.resources.devices[0].major: 5000 is out of range (-1..4095)"},
    {"{'linux':{'resources':{'devices':[{'access':'r'}]}}}",
     ": linux.resources.devices[0].allow: required key is missing"},
    /* process */
    {"{'process':null}", ": process: required key is missing"},
    {"{'process':{'args':null}}", ": process.args: required key is missing"},
    {"{'process':{'args':[]}}", ": process.args: must name a program to run"},
    {"{'process':{'args':['']}}", ": process.args: must name a program to run"},
    {"{'process':{'env':['PATH=/bin','FOO']}}", ": process.env[1]: 'FOO' is not NAME=VALUE"},
    {"{'process':{'env':['=x']}}", ": process.env[0]: '=x' is not NAME=VALUE"},
    {"{'process':{'cwd':'tmp'}}", ": process.cwd: 'tmp' is not an absolute path"},
    {"{'process':{'cwd':null}}", ": process.cwd: required key is missing"},
    {"{'process':{'user':{'uid':0}}}", ": process.user.gid: required key is missing"},
    {"{'process':{'capabilities':{'bounding':['CAP_KILL','CAP_FOO']}}}",
     ": process.capabilities.bounding[1]: unknown capability 'CAP_FOO'"},
    {"{'process':{'capabilities':{'ambient':['chown']}}}",
     ": process.capabilities.ambient[0]: unknown capability 'chown'"},
    {"{'process':{'rlimits':[{'type':'RLIMIT_FOO','soft':1,'hard':1}]}}",
     ": process.rlimits[0].type: unknown resource limit 'RLIMIT_FOO'"},
    {"{'process':{'rlimits':[{'type':'RLIMIT_NOFILE','soft':1,'hard':1},"
     "{'type':'RLIMIT_NOFILE','soft':2,'hard':2}]}}",
     ": process.rlimits[1].type: 'RLIMIT_NOFILE' is listed twice"},
    {"{'process':{'rlimits':[{'type':'RLIMIT_NOFILE','soft':1}]}}",
     ": process.rlimits[0].hard: required key is missing"},
    {"{'process':{'apparmorProfile':'docker-default'}}",
     ": process.apparmorProfile: AppArmor profiles are not supported"},
    {"{'process':{'selinuxLabel':'system_u:system_r:container_t:s0'}}",
     ": process.selinuxLabel: SELinux labels are not supported"},
    {"{'process':{'scheduler':{'policy':'SCHED_FIFO'}}}",
     ": process.scheduler: scheduler settings are not supported"},
    /* mounts */
    {"{'mounts':[{'destination':'proc','type':'proc'}]}",
     ": mounts[0].destination: 'proc' is not an absolute path"},
    {"{'mounts':[{'destination':'/proc/../etc','type':'proc'}]}",
     ": mounts[0].destination: '/proc/../etc' contains a '..' component"},
    {"{'mounts':[{'destination':'/..','type':'proc'}]}",
     ": mounts[0].destination: '/..' contains a '..' component"},
    {"{'mounts':[{'type':'proc'}]}", ": mounts[0].destination: required key is missing"},
    {"{'mounts':[{'destination':'/x','type':'tmpfs','options':['ro,nosuid']}]}",
     ": mounts[0].options[0]: 'ro,nosuid' is not one mount option"},
    {"{'mounts':[{'destination':'/x','type':'tmpfs','options':['']}]}",
     ": mounts[0].options[0]: '' is not one mount option"},
    {"{'mounts':[{'destination':'/x','source':'/y','options':['rbind','idmap']}]}",
     ": mounts[0].options[1]: mount option 'idmap' is not supported"},
    {"{'mounts':[{'destination':'/x','options':['rbind']}]}",
     ": mounts[0].source: a bind mount needs a source"},
    {"{'mounts':[{'destination':'/x','type':'bind','source':'/y','uidMappings':"
     "[{'containerID':0,'hostID':1,'size':1}]}]}",
     ": mounts[0].uidMappings: idmapped mounts are not supported"},
    /* namespaces and ids */
    {"{'linux':{'namespaces':[{'type':'mount'},{'type':'pid'},{'type':'mount'}]}}",
     ": linux.namespaces[2].type: namespace 'mount' is listed twice"},
    {"{'linux':{'namespaces':[{'type':'mount'},{'type':'foo'}]}}",
     ": linux.namespaces[1].type: unknown namespace 'foo'"},
    {"{'linux':{'namespaces':[{'type':'mount'},{'type':'time'}]}}",
     ": linux.namespaces[1].type: unsupported namespace 'time'"},
    {"{'linux':{'namespaces':[{'type':'mount'},{'type':'network','path':'proc/1/ns/net'}]}}",
     ": linux.namespaces[1].path: 'proc/1/ns/net' is not an absolute path"},
    {"{'linux':{'namespaces':[{'path':'/proc/1/ns/net'}]}}",
     ": linux.namespaces[0].type: required key is missing"},
    {"{'linux':{'namespaces':[{'type':'pid'},{'type':'uts'}]}}",
     ": linux.namespaces: a mount namespace is required"},
    {"{'hostname':'box','linux':{'namespaces':[{'type':'mount'}]}}",
     ": hostname: needs a uts namespace in linux.namespaces, or it would change the host's"},
    {"{'linux':{'uidMappings':[{'containerID':0,'hostID':1000,'size':1}]}}",
     ": linux.uidMappings: needs a user namespace in linux.namespaces"},
    {"{'linux':{'namespaces':[{'type':'mount'},{'type':'user'}]}}",
     ": linux.uidMappings: required with a new user namespace"},
    {"{'linux':{'namespaces':[{'type':'mount'},{'type':'user','path':'/proc/1/ns/user'}],"
     "'uidMappings':[{'containerID':0,'hostID':1000,'size':1}]}}",
     ": linux.uidMappings: must be empty when joining the user namespace /proc/1/ns/user"},
    {"{'process':{'user':{'uid':5,'gid':0}},'linux':{'namespaces':[{'type':'mount'},"
     "{'type':'user'}],'uidMappings':[{'containerID':0,'hostID':1000,'size':1}],"
     "'gidMappings':[{'containerID':0,'hostID':1000,'size':1}]}}",
     ": process.user.uid: 5 is not mapped by linux.uidMappings"},
    {"{'linux':{'uidMappings':[{'containerID':0,'hostID':1000,'size':0}]}}",
     ": linux.uidMappings[0]: size must not be 0"},
    {"{'linux':{'gidMappings':[{'containerID':4294967295,'hostID':1000,'size':2}]}}",
     ": linux.gidMappings[0]: range goes past 4294967295"},
    {"{'linux':{'uidMappings':[{'containerID':0,'hostID':1000,'size':10},"
     "{'containerID':5,'hostID':2000,'size':10}]}}",
     ": linux.uidMappings[1]: overlaps linux.uidMappings[0]"},
    {"{'linux':{'uidMappings':[{'containerID':0,'hostID':1000}]}}",
     ": linux.uidMappings[0].size: required key is missing"},
    /* the rest of linux */
    {"{'linux':{'sysctl':{'kernel.panic':'1'}}}",
     ": linux.sysctl.kernel.panic: 'kernel.panic' is not namespaced: setting it would change the "
     "host"},
    {"{'linux':{'namespaces':[{'type':'mount'}],'sysctl':{'net.ipv4.ip_forward':'1'}}}",
     ": linux.sysctl.net.ipv4.ip_forward: 'net.ipv4.ip_forward' needs a network namespace in "
     "linux.namespaces"},
    {"{'linux':{'sysctl':{'net/../kernel/panic':'1'}}}",
     ": linux.sysctl.net/../kernel/panic: 'net/../kernel/panic' is not a sysctl name"},
    {"{'linux':{'maskedPaths':['/proc/kcore','proc/keys']}}",
     ": linux.maskedPaths[1]: 'proc/keys' is not an absolute path"},
    {"{'linux':{'readonlyPaths':['/proc/../sys']}}",
     ": linux.readonlyPaths[0]: '/proc/../sys' contains a '..' component"},
    {"{'linux':{'rootfsPropagation':'bogus'}}",
     ": linux.rootfsPropagation: unknown propagation 'bogus'"},
    {"{'linux':{'cgroupsPath':'/bottle/../../escape'}}",
     ": linux.cgroupsPath: '/bottle/../../escape' is empty or contains a '..' component"},
    {"{'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ERRNO'}}}",
     ": linux.seccomp: seccomp filters are not supported yet"},
    {"{'linux':{'devices':[{'path':'/dev/fuse','type':'c','major':10,'minor':229}]}}",
     ": linux.devices: creating device nodes (linux.devices) is not supported"},
    {"{'linux':{'mountLabel':'system_u:object_r:container_file_t:s0'}}",
     ": linux.mountLabel: SELinux labels are not supported"},
    {"{'linux':{'resources':{'hugepageLimits':[{'pageSize':'2MB','limit':1}]}}}",
     ": linux.resources.hugepageLimits: hugepage limits are not supported"},
    {"{'linux':{'resources':{'memory':{'swappiness':10}}}}",
     ": linux.resources.memory.swappiness: not supported"},
    {"{'linux':{'resources':{'blockIO':{'leafWeight':10}}}}",
     ": linux.resources.blockIO.leafWeight: not supported"},
    /* top level */
    {"{'hooks':{'prestart':[{'path':'/bin/true'}]}}", ": hooks.prestart: hooks are not supported"},
    {"{'hooks':{'prestrat':[]}}", ": unknown key 'hooks.prestrat'"},
    {"{'ociVersion':'2.0.0'}",
     ": ociVersion: unsupported version '2.0.0' (bottle reads 1.0.x to 1.2.x)"},
    {"{'ociVersion':'1.3.0'}",
     ": ociVersion: unsupported version '1.3.0' (bottle reads 1.0.x to 1.2.x)"},
    {"{'ociVersion':'1.0'}",
     ": ociVersion: unsupported version '1.0' (bottle reads 1.0.x to 1.2.x)"},
    {"{'ociVersion':null}", ": ociVersion: required key is missing"},
    {"{'root':null}", ": root: required key is missing"},
    {"{'root':{'path':''}}", ": root.path: must not be empty"},
    {"{'windows':{'layerFolders':['C:\\\\x']}}", ": windows: not a Linux key"},
};

struct raw_case {
    const char *text;
    const char *want;
    const char *name;
};

/* Texts that json-c would accept but must not reach the spec: not a merge of base_spec. */
static const struct raw_case raw_cases[] = {
    {"{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"},\"root\":{\"path\":\"/\"}}",
     ": root: duplicate key", "a duplicate key"},
    {"{\"linux\":{\"resources\":{\"memory\":{\"limit\":1,\"limit\":2}}}}",
     ": linux.resources.memory.limit: duplicate key", "a nested duplicate key"},
    {"{\"a\":1,\"\\u0061\":2}", ": a: duplicate key", "a duplicate key spelled with an escape"},
    {"{\"process\":{\"rlimits\":[{\"type\":\"RLIMIT_CORE\",\"soft\":1,"
     "\"hard\":18446744073709551616}]}}",
     ": process.rlimits[0].hard: 18446744073709551616 is out of range (more than 64 bits)",
     "an integer beyond 64 bits"},
    {"{\"process\":{\"oomScoreAdj\":-9223372036854775809}}",
     ": process.oomScoreAdj: -9223372036854775809 is out of range (more than 64 bits)",
     "an integer below -2^63"},
    {"{\"ociVersion\":\"1.0.2\",", ":1:23: invalid JSON: unexpected end of input",
     "truncated JSON"},
    {"{\"ociVersion\":\n'1.0.2'}", ":2:1: invalid JSON: unexpected character",
     "single-quoted JSON"},
    {"{\"a\":1,}", ":1:8: invalid JSON: unexpected character", "a trailing comma"},
    {"{\"a\":1} {}", ":1:9: invalid JSON: unexpected character", "data after the object"},
    {"[]", ": expected a JSON object, got an array", "a top-level array"},
    {"", ":1:1: invalid JSON: unexpected end of input", "an empty file"},
    {"{\"ociVersion\":\"1.0.2\\u0000x\"}", ": ociVersion: contains a NUL character",
     "a NUL character in a string"},
    {"{\"args\\u0000x\":1}", ": args: key contains a NUL character", "a NUL character in a key"},
    {"{\"hostname\":\"a\\nb\",\"x\\ny\":1}", ": unknown key 'x\\x0ay'",
     "a key with a newline, escaped in the message"},
};

/* Cases built in code: sizes beyond the limits. */
static void test_limits(void)
{
    /* 4097 args */
    size_t n = BT_SPEC_ARGS_MAX + 1;
    char *patch = malloc(n * 5 + 64), *s = patch;
    s += sprintf(s, "{'process':{'args':[");
    for (size_t i = 0; i < n; i++)
        s += sprintf(s, "%s'a'", i ? "," : "");
    strcpy(s, "]}}");
    reject(patch, ": process.args: too many entries (4097, limit 4096)");
    free(patch);

    /* one argument of 128 KiB + 1 */
    patch = malloc(BT_SPEC_ARG_MAX + 64);
    s = patch + sprintf(patch, "{'process':{'args':['sh','");
    memset(s, 'x', BT_SPEC_ARG_MAX + 1);
    strcpy(s + BT_SPEC_ARG_MAX + 1, "']}}");
    reject(patch, ": process.args[1]: too long (131073 bytes, limit 131072)");
    free(patch);

    /* 20 arguments of 120000 bytes: each fits, together they pass 2 MiB */
    patch = malloc(20 * 120004 + 64);
    s = patch + sprintf(patch, "{'process':{'args':['sh'");
    for (int i = 0; i < 20; i++) {
        s += sprintf(s, ",'");
        memset(s, 'y', 120000);
        s += 120000;
        *s++ = '\'';
    }
    strcpy(s, "]}}");
    reject(patch, ": process: args and env are too long together (2400023 bytes, limit 2097152)");
    free(patch);

    /* a path longer than PATH_MAX */
    patch = malloc(BT_SPEC_STRING_MAX + 64);
    s = patch + sprintf(patch, "{'process':{'cwd':'/");
    memset(s, 'z', BT_SPEC_STRING_MAX);
    strcpy(s + BT_SPEC_STRING_MAX, "'}}");
    reject(patch, ": process.cwd: too long (4097 bytes, limit 4096)");
    free(patch);

    /* 1025 mounts */
    patch = malloc(1025 * 40 + 64);
    s = patch + sprintf(patch, "{'mounts':[");
    for (int i = 0; i < 1025; i++)
        s += sprintf(s, "%s{'destination':'/m'}", i ? "," : "");
    strcpy(s, "]}");
    reject(patch, ": mounts: too many entries (1025, limit 1024)");
    free(patch);
}

/* root.path resolution against the bundle directory. */
static void test_rootfs(void)
{
    char dir[PATH_MAX], path[PATH_MAX + 64], want[2 * PATH_MAX];
    struct bt_spec *spec;

    format_or_exit(want, ": root.path: %s/nowhere: No such file or directory", bundle);
    reject("{'root':{'path':'nowhere'}}", want);

    format_or_exit(path, "%s/file", bundle);
    write_or_exit(path, "x", 1);
    format_or_exit(want, ": root.path: %s/file is not a directory", bundle);
    reject("{'root':{'path':'file'}}", want);

    format_or_exit(path, "%s/escape", bundle);
    if (symlink("/etc", path) < 0)
        diag("symlink: %s", strerror(errno));
    format_or_exit(want, ": root.path: %s/escape resolves to /etc, outside the bundle directory",
                   bundle);
    reject("{'root':{'path':'escape'}}", want);

    make_bundle(dir, "sibling");
    format_or_exit(want,
                   ": root.path: %s/../sibling/rootfs resolves to %s/rootfs, outside the bundle "
                   "directory",
                   bundle, dir);
    reject("{'root':{'path':'../sibling/rootfs'}}", want);

    /* An absolute root.path may be anywhere; a relative symlink inside the bundle is fine. */
    char patch[2 * PATH_MAX];
    format_or_exit(patch, "{'root':{'path':'%s/rootfs'}}", dir);
    spec = accept(patch);
    format_or_exit(path, "%s/rootfs", dir);
    ok(spec && strcmp(spec->rootfs, path) == 0, "an absolute root.path resolves to itself");
    bt_spec_free(spec);

    format_or_exit(path, "%s/link", bundle);
    if (symlink("rootfs", path) < 0)
        diag("symlink: %s", strerror(errno));
    spec = accept("{'root':{'path':'link'}}");
    format_or_exit(path, "%s/rootfs", bundle);
    ok(spec && strcmp(spec->rootfs, path) == 0, "a symlink inside the bundle resolves");
    bt_spec_free(spec);

    struct bt_err err = {0};
    format_or_exit(path, "%s/missing-bundle", tmp);
    int ret = bt_spec_parse("{}", path, &spec, &err);
    format_or_exit(want, ": bundle directory %s: No such file or directory", path);
    is_str(after_file(path, ret, &err), want, "refuses a bundle directory that does not exist");
}

/* bt_spec_load: the file itself. */
static void test_load(void)
{
    char dir[PATH_MAX], path[PATH_MAX + 32], want[2 * PATH_MAX];
    struct bt_err err = {0};
    struct bt_spec *spec = NULL;

    make_bundle(dir, "load");
    int ret = bt_spec_load(dir, &spec, &err);
    format_or_exit(want, "%s/config.json: No such file or directory", dir);
    ok(ret == -ENOENT && !spec && strcmp(err.msg, want) == 0,
       "a missing config.json is ENOENT, named");
    if (ret != -ENOENT)
        diag("  %d %s", ret, err.msg);

    format_or_exit(path, "%s/config.json", dir);
    char *big = malloc(BT_SPEC_FILE_MAX + 1);
    memset(big, ' ', BT_SPEC_FILE_MAX + 1);
    big[0] = '{';
    big[BT_SPEC_FILE_MAX - 1] = '}';
    write_or_exit(path, big, BT_SPEC_FILE_MAX + 1);
    free(big);
    ret = bt_spec_load(dir, &spec, &err);
    is_str(after_file(dir, ret, &err), ": too large (4194305 bytes, limit 4194304)",
           "refuses a config.json over 4 MiB");

    write_or_exit(path, "{\"a\":\0}", 7);
    ret = bt_spec_load(dir, &spec, &err);
    is_str(after_file(dir, ret, &err), ": contains a NUL byte", "refuses a NUL byte in the file");

    unlink(path);
    mkdir(path, 0755);
    ret = bt_spec_load(dir, &spec, &err);
    is_str(after_file(dir, ret, &err), ": not a regular file", "refuses a directory config.json");
}

/* What must be accepted: empty unsupported keys ask for nothing, runc's null for absent. */
static void test_accepted(void)
{
    struct bt_spec *spec = accept("{'process':{'apparmorProfile':'','selinuxLabel':''},"
                                  "'hooks':{'prestart':[],'poststop':[]},'linux':{'seccomp':null,"
                                  "'devices':[],'mountLabel':'','resources':{'memory':"
                                  "{'disableOOMKiller':false}}},'annotations':{}}");
    ok(spec && !spec->process.has_capabilities && spec->process.env_len == 0 && spec->process.env &&
           !spec->process.env[0],
       "empty unsupported keys; no capabilities and an empty env when absent");
    bt_spec_free(spec);
    spec = accept("{'ociVersion':'1.0.2-dev','linux':{'resources':{'memory':{'limit':-1,'swap':-1},"
                  "'cpu':{'shares':0,'quota':-1},'pids':{'limit':-1}}}}");
    ok(spec && spec->resources.has_memory_limit && spec->resources.memory_limit == -1 &&
           !spec->resources.has_cpu_shares && spec->resources.has_cpu_quota &&
           spec->resources.pids_limit == -1,
       "runc's version suffix, -1 for unlimited, 0 for unset");
    bt_spec_free(spec);
    char source[PATH_MAX + 16];
    format_or_exit(source, "%s/src", bundle);
    spec =
        accept("{'mounts':[{'destination':'/x','type':'bind','source':'src','options':['ro']}]}");
    ok(spec && spec->mounts[0].flags == (MS_BIND | MS_RDONLY) &&
           strcmp(spec->mounts[0].source, source) == 0,
       "type bind means MS_BIND, its relative source is in the bundle");
    bt_spec_free(spec);
}

int main(void)
{
    size_t nreject = sizeof(reject_cases) / sizeof(reject_cases[0]);
    size_t nraw = sizeof(raw_cases) / sizeof(raw_cases[0]);
    plan((int)(8 + 15 + 4 + nreject + nraw + 5 + 9 + 4 + 6 + 2));
    tap_alarm(60);

    make_tmpdir(tmp, sizeof(tmp), "t-spec");
    atexit(remove_tmp);
    make_bundle(bundle, "bundle");

    test_default();        /* 8 */
    test_full();           /* 15 */
    test_other_runtimes(); /* 4 */
    for (size_t i = 0; i < nreject; i++)
        reject(reject_cases[i].patch, reject_cases[i].want);
    for (size_t i = 0; i < nraw; i++)
        reject_text(raw_cases[i].text, raw_cases[i].want, raw_cases[i].name);
    test_limits();   /* 5 */
    test_rootfs();   /* 9 */
    test_load();     /* 4 */
    test_accepted(); /* 6 */
    {
        /* Freeing NULL and a spec refused half-way must be safe (the latter under ASan). */
        bt_spec_free(NULL);
        ok(1, "bt_spec_free(NULL)");
        char *text =
            json_patched(base_spec, "{'mounts':[{'destination':'/a','type':'tmpfs','options':"
                                    "['mode=1']},{'destination':'b'}]}");
        struct bt_err err = {0};
        struct bt_spec *spec = NULL;
        ok(bt_spec_parse(text, bundle, &spec, &err) == -EINVAL && !spec,
           "a spec refused half-way leaves nothing behind");
        free(text);
    }

    return done();
}
