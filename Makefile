# podkit: podrun (OCI runtime), podnet (pod networking), pod (pods).
# Sources are picked up by wildcard: add a .c file to a directory and it
# builds.  `make SANITIZE=1` builds everything with ASan+UBSan into
# build-asan/ (dynamic, since the sanitizers need it).

PREFIX ?= /usr/local
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
LIBEXECDIR ?= $(PREFIX)/libexec/podkit

CC ?= cc
PKG_CONFIG ?= pkg-config
VERSION := 0.1.0
SANITIZE ?= 0

WARN := -Wall -Wextra -Werror -Wno-unused-parameter
BASE_CFLAGS := -std=gnu11 -O2 -g -D_GNU_SOURCE -DPODKIT_VERSION=\"$(VERSION)\" \
  -fno-strict-aliasing -fstack-protector-strong $(WARN)

ifeq ($(SANITIZE),1)
  B := build-asan
  SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
  STATIC ?= 0
else
  B := build
  SAN :=
  STATIC ?= 1
endif

RT_PKGS := jansson libseccomp
NET_PKGS := libnl-3.0 libnl-route-3.0 libmnl libnftnl jansson

RT_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(RT_PKGS))
NET_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(NET_PKGS))
RT_LIBS := $(shell $(PKG_CONFIG) --libs $(RT_PKGS))
NET_LIBS := $(shell $(PKG_CONFIG) --libs $(NET_PKGS))

CFLAGS_ALL := $(BASE_CFLAGS) $(SAN) $(CFLAGS) -Iruntime/lib -Inet/lib -Ipod/lib
LDFLAGS_ALL := $(SAN) $(LDFLAGS)

# podrun is linked statically by default: no dynamic loader work on the
# container start path and a small peak RSS (see docs/benchmarks.md).
# podnet and pod link their libraries statically too where Debian ships the
# .a (libmnl has none): about 0.6 ms less dynamic linking per command.
ifeq ($(STATIC),1)
  PODRUN_LINK := -static $(shell $(PKG_CONFIG) --static --libs $(RT_PKGS))
  NET_LINK := -Wl,-Bstatic -lnl-route-3 -lnl-3 -lnftnl -ljansson -lseccomp -Wl,-Bdynamic -lmnl -lpthread -lm
else
  PODRUN_LINK := $(RT_LIBS)
  NET_LINK := $(NET_LIBS) $(RT_LIBS)
endif

RT_LIB_SRC := $(sort $(wildcard runtime/lib/*.c))
RT_CLI_SRC := $(sort $(wildcard runtime/*.c))
NET_LIB_SRC := $(sort $(wildcard net/lib/*.c))
NET_CLI_SRC := $(sort $(wildcard net/*.c))
POD_LIB_SRC := $(sort $(wildcard pod/lib/*.c))
POD_CLI_SRC := $(sort $(wildcard pod/*.c))
PAUSE_SRC := $(wildcard pod/pause/pause.c)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))

obj = $(patsubst %.c,$(B)/obj/%.o,$(1))

RT_LIB := $(B)/libpodrun.a
NET_LIB := $(B)/libpodnet.a
POD_LIB := $(B)/libpod.a

BINS := $(B)/podrun
ifneq ($(NET_CLI_SRC),)
  BINS += $(B)/podnet
endif
ifneq ($(POD_CLI_SRC),)
  BINS += $(B)/pod
endif
ifneq ($(PAUSE_SRC),)
  BINS += $(B)/pod-pause
endif
UNIT_BINS := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRC))

.PHONY: all unit-bins check check-unit check-integration check-reliability check-asan install uninstall clean fuzz format bench interop
all: $(BINS)

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(RT_CFLAGS) $(NET_CFLAGS) -MMD -MP -c -o $@ $<

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)

$(RT_LIB): $(call obj,$(RT_LIB_SRC))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(NET_LIB): $(call obj,$(NET_LIB_SRC))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(POD_LIB): $(call obj,$(POD_LIB_SRC))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(B)/podrun: $(call obj,$(RT_CLI_SRC)) $(RT_LIB)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(PODRUN_LINK)

$(B)/podnet: $(call obj,$(NET_CLI_SRC)) $(NET_LIB) $(RT_LIB)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(NET_LINK)

$(B)/pod: $(call obj,$(POD_CLI_SRC)) $(POD_LIB) $(NET_LIB) $(RT_LIB)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(NET_LINK)

# The pause binary is always static: it runs alone in an empty rootfs.
$(B)/pod-pause: $(PAUSE_SRC)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -Os -static -o $@ $<

$(B)/tests/%: tests/unit/%.c tests/unit/unit.h $(RT_LIB) $(if $(NET_LIB_SRC),$(NET_LIB)) $(if $(POD_LIB_SRC),$(POD_LIB))
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(RT_CFLAGS) $(NET_CFLAGS) -Itests/unit -o $@ $< \
	  $(if $(POD_LIB_SRC),$(POD_LIB)) $(if $(NET_LIB_SRC),$(NET_LIB)) $(RT_LIB) \
	  $(LDFLAGS_ALL) $(NET_LIBS) $(RT_LIBS)

# make check: the unit tests and the integration suites run twice, as built
# and with every binary built with ASan+UBSan (build-asan/), then the
# reliability scripts (tests/reliability/: fault injection, crash
# consistency, stress, bad input matrix, valgrind, short fuzzing runs).
unit-bins: $(UNIT_BINS)

check: all $(UNIT_BINS)
	@$(MAKE) --no-print-directory SANITIZE=1 all unit-bins >/dev/null
	@PODKIT_BUILD=$(CURDIR)/$(B) PODKIT_ASAN_BUILD=$(CURDIR)/build-asan tests/run.sh

check-unit: $(UNIT_BINS)
	@PODKIT_BUILD=$(CURDIR)/$(B) tests/run.sh --unit

check-integration: all
	@PODKIT_BUILD=$(CURDIR)/$(B) tests/run.sh --integration

check-reliability: all
	@PODKIT_BUILD=$(CURDIR)/$(B) tests/run.sh --reliability

# Unit and integration tests with the ASan+UBSan build only.
check-asan:
	@$(MAKE) --no-print-directory SANITIZE=1 all unit-bins >/dev/null
	@PODKIT_BUILD=$(CURDIR)/build-asan tests/run.sh --unit
	@PODKIT_BUILD=$(CURDIR)/build-asan tests/run.sh --integration

FUZZ_SECONDS ?= 60
fuzz:
	@FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh

bench: all
	scripts/bench-runtime.sh
	scripts/bench-net.sh
	scripts/bench-pod.sh

interop: all
	tests/interop/run.sh

install: all
	install -d $(DESTDIR)$(BINDIR)
	install -m 0755 $(BINS) $(DESTDIR)$(BINDIR)/

uninstall:
	cd $(DESTDIR)$(BINDIR) && rm -f podrun podnet pod pod-pause

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-asan build-fuzz build-fault build-vg
