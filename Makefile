# bottle: one non-recursive GNU make file. `make help` lists the targets.
.SUFFIXES:
.DELETE_ON_ERROR:
SHELL := /bin/bash

VERSION   := 0.1.0
PREFIX    ?= /usr/local
DESTDIR   ?=
BUILD     ?= build
CC        ?= cc
# bottle-init is linked statically against musl when musl-gcc is there (small, fast to exec);
# otherwise statically against the default libc.
MUSL_CC   ?= $(shell command -v musl-gcc 2>/dev/null)
PROVE     ?= prove
# SANITIZE=address,undefined builds everything but bottle-init with sanitizers.
SANITIZE  ?=

WARN      := -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes -Werror
CPPFLAGS  += -D_GNU_SOURCE -DBT_VERSION='"$(VERSION)"' -Ilib
CFLAGS    ?= -O2 -g
CFLAGS    += -std=gnu11 $(WARN) -fno-strict-aliasing
LDFLAGS   ?=
# Test payloads (tests/helpers) are never sanitized: they stand in for arbitrary programs.
HELPER_CFLAGS := $(CFLAGS)
ifneq ($(SANITIZE),)
CFLAGS    += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS   += -fsanitize=$(SANITIZE)
endif

# Debian packages that building, testing, benchmarking and the demo need.
DEPS_BUILD := build-essential pkg-config musl-tools libuv1-dev libjson-c-dev libcap-ng-dev \
              clang-format libarchive-dev libssl-dev
DEPS_TEST  := bats perl python3 procps util-linux iproute2 busybox-static btrfs-progs strace \
              umoci skopeo zstd jq redis-server redis-tools
DEPS_BENCH := tini dumb-init catatonit hyperfine crun runc conmon
DEPS       := $(DEPS_BUILD) $(DEPS_TEST)

# Every lib/*.c is one module of libbottle.a; the libraries it may use come from pkg-config.
PKGS      := json-c libcap-ng
PKG_CFLAGS:= $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS  := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# Only the bottle command (images: lib/archive*, lib/image-*) reads and writes archives; the
# static shim and bottled stay without libarchive and libcrypto.
IMAGE_LIBS:= $(shell pkg-config --libs libarchive libcrypto 2>/dev/null)
UV_CFLAGS := $(shell pkg-config --cflags libuv 2>/dev/null)
UV_LIBS   := $(shell pkg-config --libs libuv 2>/dev/null)
LIB_SRC   := $(wildcard lib/*.c)
LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
LIBBOTTLE := $(BUILD)/lib/libbottle.a

INIT_SRC  := $(wildcard init/*.c)
INIT_LIB  := lib/err.c lib/log.c lib/sig.c lib/proc.c
# bottle-init is always static: bottle-shim runs it inside containers that hold no libraries.
# So SANITIZE does not apply to it (its lib modules are sanitized in the unit tests).
ifneq ($(MUSL_CC),)
INIT_CC      := $(MUSL_CC)
INIT_CFLAGS  := -std=gnu11 $(WARN) -Os -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables \
                -fno-stack-protector
INIT_LDFLAGS := -static -s -Wl,--gc-sections -Wl,-z,noseparate-code -Wl,-z,norelro -Wl,--build-id=none
else
INIT_CC      := $(CC)
INIT_CFLAGS  := -std=gnu11 $(WARN) -Os -ffunction-sections -fdata-sections
INIT_LDFLAGS := -static -s -Wl,--gc-sections
endif
INIT_OBJ  := $(INIT_SRC:%.c=$(BUILD)/init-obj/%.o) $(INIT_LIB:%.c=$(BUILD)/init-obj/%.o)
INIT_BIN  := $(BUILD)/bin/bottle-init

HELPER_SRC := $(wildcard tests/helpers/*.c)
HELPERS    := $(HELPER_SRC:tests/helpers/%.c=$(BUILD)/tests/helpers/%)
UNIT_SRC   := $(wildcard tests/lib/t-*.c)
UNITS      := $(UNIT_SRC:tests/%.c=$(BUILD)/tests/%)
BATS       := $(sort $(wildcard tests/*/[0-9]*.bats))

# One program per folder, each a set of .c files linked with libbottle.a.
SHIM_SRC   := $(wildcard shim/*.c)
SHIM_BIN   := $(if $(SHIM_SRC),$(BUILD)/bin/bottle-shim)
CLI_SRC    := $(wildcard cli/*.c)
CLI_BIN    := $(if $(CLI_SRC),$(BUILD)/bin/bottle)
SUP_SRC    := $(wildcard supervisor/*.c)
SUP_BIN    := $(if $(SUP_SRC),$(BUILD)/bin/bottled)

ROOTFS     := $(BUILD)/rootfs/busybox
BINS       := $(INIT_BIN) $(SHIM_BIN) $(CLI_BIN) $(SUP_BIN)

.PHONY: all help deps deps-bench check check-unit check-format format bench demo rootfs \
        install uninstall clean

all: $(BINS) $(HELPERS) $(UNITS)

help:
	@echo "make [all]        build every program into $(BUILD)/bin"
	@echo "make deps         install the Debian packages needed to build, test and run the demo"
	@echo "make demo         the main job: bottle-init as PID 1 on the busybox rootfs"
	@echo "make check        every test, under prove (SANITIZE=address,undefined works too)"
	@echo "make bench        side-by-side benchmarks (make deps-bench installs the anchors)"
	@echo "make install      PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)"
	@echo "make format / check-format"

deps:
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(DEPS)

deps-bench:
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(DEPS_BENCH)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

# Only bottled includes <uv.h>.
$(BUILD)/obj/supervisor/%.o: supervisor/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(UV_CFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

# One bottle-shim runs per container for its whole life: linked statically, its pages are
# shared by every shim and it has no relocations to dirty (bench/start: PSS 0.65 -> ~0.5 of
# conmon's). Sanitizer runtimes cannot be linked statically.
SHIM_LDFLAGS := $(if $(SANITIZE),,-static)
$(BUILD)/bin/bottle-shim: $(SHIM_SRC:%.c=$(BUILD)/obj/%.o) $(LIBBOTTLE)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) $(SHIM_LDFLAGS) -o $@ $^ $(PKG_LIBS) 2>&1 | \
		{ grep -v -e "in statically linked applications requires" -e "in function .capng_change_id" || true; }
	@test -x $@

$(BUILD)/bin/bottle: $(CLI_SRC:%.c=$(BUILD)/obj/%.o) $(LIBBOTTLE)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(IMAGE_LIBS)

$(BUILD)/bin/bottled: $(SUP_SRC:%.c=$(BUILD)/obj/%.o) $(LIBBOTTLE)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(UV_LIBS) $(PKG_LIBS)

$(LIBBOTTLE): $(LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/init-obj/%.o: %.c
	@mkdir -p $(@D)
	$(INIT_CC) $(CPPFLAGS) $(INIT_CFLAGS) -MMD -MP -c -o $@ $<

$(INIT_BIN): $(INIT_OBJ)
	@mkdir -p $(@D)
	$(INIT_CC) $(INIT_CFLAGS) $(INIT_LDFLAGS) -o $@ $^
	ln -sf bottle-init $(BUILD)/bin/tini
	ln -sf bottle-init $(BUILD)/bin/dumb-init

$(BUILD)/tests/helpers/%: tests/helpers/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(HELPER_CFLAGS) -o $@ $< -lutil

# A unit test t-NAME links the core modules, lib/NAME.c and the modules TEST_USES_NAME lists,
# so that each module's test builds on its own.
CORE_OBJ  := $(patsubst %,$(BUILD)/obj/lib/%.o,err log sig proc)
TEST_USES_rootfs := mount
TEST_USES_spec := jsonread jsontext spec-value spec-process spec-mounts spec-linux spec-default mount
TEST_USES_cgroup := cgroup-limits cgroup-freeze cgroup-events
TEST_USES_svcspec := jsonread jsontext svcspec-value svcspec-service svcspec-net svcspec-json procattr
TEST_USES_archive-tar := archive-tree
TEST_USES_image := image-store image-import image-export archive-tar archive-tree rootfs mount
TEST_USES_bundle := spec $(TEST_USES_spec) svcspec $(TEST_USES_svcspec) caps
.SECONDEXPANSION:
# (No % inside the $$ expansions: make would substitute the stem for it first.)
$(BUILD)/tests/lib/t-%: tests/lib/t-%.c $(CORE_OBJ) \
		$$(addprefix $(BUILD)/obj/,$$(subst .c,.o,$$(wildcard lib/$$*.c))) \
		$$(addprefix $(BUILD)/obj/lib/,$$(addsuffix .o,$$(TEST_USES_$$*)))
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) -Itests $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.c %.o,$(sort $^)) $(PKG_LIBS) $(IMAGE_LIBS)

# The default rootfs: Debian's busybox-static and its applet links, nothing else.
rootfs: $(ROOTFS)/bin/busybox
$(ROOTFS)/bin/busybox: /bin/busybox tests/mkrootfs
	tests/mkrootfs $(ROOTFS)

demo: all rootfs
	examples/demo.sh $(BUILD)

check: all rootfs
	BOTTLE_BUILD=$(abspath $(BUILD)) $(PROVE) --comments -e tests/prove-exec $(UNITS) $(BATS)

check-format:
	clang-format --dry-run -Werror $(shell git ls-files '*.c' '*.h')

format:
	clang-format -i $(shell git ls-files '*.c' '*.h')

bench: all rootfs
	bench/init/run $(BUILD)
	bench/start/run $(BUILD)
	bench/images/run $(BUILD)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(BINS) $(DESTDIR)$(PREFIX)/bin/

uninstall:
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/bin/,$(notdir $(BINS)))

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
