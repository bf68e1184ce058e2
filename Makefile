# tieringd - one non-recursive Makefile.
#
#   make            build build/tieringd and build/tieringctl (runs `make deps` first)
#   make check      unit tests (ASan+UBSan) and the real-kernel VM suites
#   make demo       the kernel alone vs. tieringd, in a two-node 6.12 guest
#   make soak       30 min of churn under the shipped unit, then 5 under ASan (not in check)
#   make deps       install missing Debian 12 packages (idempotent, quiet)
#   make vmlinux    regenerate bpf/vmlinux.h from the 6.12 guest kernel's BTF
#   make install DESTDIR=D PREFIX=/usr   /  make uninstall
#   V=1 verbose, SANITIZE=1 ASan+UBSan for the daemon too.

.DELETE_ON_ERROR:
.SUFFIXES:
.DEFAULT_GOAL := all

BUILD    ?= build
PREFIX   ?= /usr/local
SBINDIR  ?= $(PREFIX)/sbin
BINDIR   ?= $(PREFIX)/bin
MANDIR   ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
UNITDIR  ?= $(PREFIX)/lib/systemd/system

CC       ?= cc
CLANG    ?= clang
BPFTOOL  ?= bpftool
PKG_CONFIG ?= pkg-config
CFLAGS   ?= -O2 -g
LDFLAGS  ?=

V ?= 0
ifeq ($(V),1)
Q :=
msg = @true
else
Q := @
msg = @printf '  %-8s %s\n' $(1) $(2)
endif

# Debian 12 packages the build, the tests, the harness and the demo need.
DEB_PKGS := make gcc clang llvm pkg-config libbpf-dev bpftool libnuma-dev \
	libhwloc-dev libcgroup-dev libsystemd-dev libcmocka-dev libjansson-dev libcap-ng-dev libclang-rt-14-dev \
	qemu-system-x86 busybox-static numactl debootstrap e2fsprogs xz-utils \
	zstd cpio kmod gnuplot-nox man-db groff-base debhelper dpkg-dev lintian

PKGS        := libbpf libsystemd numa hwloc libcgroup jansson libcap-ng
PKG_CFLAGS   = $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS     = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
CMOCKA_LIBS  = $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null)
JANSSON_LIBS = $(shell $(PKG_CONFIG) --libs jansson 2>/dev/null)

WARN     := -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow -Wformat=2
BASE_CFLAGS = -std=gnu11 -D_GNU_SOURCE $(WARN) -Ilib -I$(BUILD)
DAEMON_CFLAGS = -Idaemon
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
ifeq ($(SANITIZE),1)
BASE_CFLAGS += $(SAN_FLAGS)
# not LDFLAGS += : a LDFLAGS given on the command line would drop it
BASE_LDFLAGS += $(SAN_FLAGS)
endif

# ---------------------------------------------------------------- sources
LIB_SRCS     := $(wildcard lib/*.c)
LIB_OBJS     := $(LIB_SRCS:%.c=$(BUILD)/%.o)
LIB_SAN_OBJS := $(LIB_SRCS:%.c=$(BUILD)/san/%.o)
DAEMON_SRCS  := $(wildcard daemon/*.c daemon/*/*.c)
DAEMON_OBJS  := $(DAEMON_SRCS:%.c=$(BUILD)/%.o)
CTL_OBJS     := $(BUILD)/ctl/tieringctl.o
UNIT_SRCS    := $(wildcard tests/unit/test_*.c)
UNIT_BINS    := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
PAYLOAD_SRCS := $(wildcard tests/vm/payload/*.c)
PAYLOAD_BINS := $(PAYLOAD_SRCS:tests/vm/payload/%.c=$(BUILD)/vm/%) $(BUILD)/vm/bench_move_pages
BENCH_SRCS   := $(filter-out bench/bench_move_pages.c,$(wildcard bench/*.c))
BENCH_BINS   := $(BENCH_SRCS:bench/%.c=$(BUILD)/bench/%)
BPF_SRC      := bpf/tieringd.bpf.c
BPF_OBJ      := $(BUILD)/bpf/tieringd.bpf.o
SKEL         := $(BUILD)/tieringd.skel.h
# libFuzzer targets (see "fuzz" below): tests/fuzz/fuzz_<name>.c
FUZZ_SRCS     := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_NAMES    := $(FUZZ_SRCS:tests/fuzz/fuzz_%.c=%)
FUZZ_BINS     := $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/fuzz/%)
FUZZ_LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/fuzzlib/%.o)

.PHONY: all deps check unit vm demo scale bench install uninstall clean vmlinux fuzz
all: $(BUILD)/tieringd $(BUILD)/tieringctl

# Order-only: every entry point checks the packages first, without
# making the outputs depend on a phony target's timestamp.
$(LIB_OBJS) $(LIB_SAN_OBJS) $(DAEMON_OBJS) $(CTL_OBJS) $(BPF_OBJ) $(UNIT_BINS) $(PAYLOAD_BINS) $(BENCH_BINS): | deps

deps:
	@missing=; for p in $(DEB_PKGS); do \
		dpkg-query -W -f='$${db:Status-Status}' $$p 2>/dev/null | grep -qx installed || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "deps: installing$$missing"; \
		if [ "$$(id -u)" != 0 ]; then echo "deps: need root to install:$$missing" >&2; exit 1; fi; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get -q update >/dev/null && \
		apt-get -q install -y --no-install-recommends $$missing >/dev/null || \
		{ echo "deps: apt-get install failed" >&2; exit 1; }; \
	fi

# ---------------------------------------------------------------- BPF
$(BPF_OBJ): $(BPF_SRC) $(wildcard bpf/*.h) lib/tier_abi.h
	$(call msg,BPF,$@)
	@mkdir -p $(@D)
	$(Q)$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_x86 -Wall -Werror \
		-Ibpf -Ilib -c $< -o $@

$(SKEL): $(BPF_OBJ)
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name tieringd_bpf > $@

# ---------------------------------------------------------------- C
$(BUILD)/lib/%.o: lib/%.c
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(BASE_CFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/san/lib/%.o: lib/%.c
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(BASE_CFLAGS) -O1 -g $(SAN_FLAGS) -MMD -MP -c $< -o $@

# tieringctl links lib/ only: no BPF skeleton, no daemon libraries.
$(BUILD)/ctl/%.o: tieringctl/%.c
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(BASE_CFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/daemon/%.o: daemon/%.c $(SKEL)
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(BASE_CFLAGS) $(DAEMON_CFLAGS) $(PKG_CFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libtiering.a: $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/tieringd: $(DAEMON_OBJS) $(BUILD)/libtiering.a
	$(call msg,LD,$@)
	$(Q)$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

$(BUILD)/tieringctl: $(CTL_OBJS) $(BUILD)/libtiering.a
	$(call msg,LD,$@)
	$(Q)$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $^ $(JANSSON_LIBS) -lm

# Unit tests: one binary per tests/unit/test_<module>.c, always ASan+UBSan.
$(BUILD)/tests/%: tests/unit/%.c $(LIB_SAN_OBJS)
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(BASE_CFLAGS) $(DAEMON_CFLAGS) -O1 -g $(SAN_FLAGS) -MMD -MP -o $@ $< \
		$(filter %.o,$^) $(CMOCKA_LIBS) $(JANSSON_LIBS) \
		$(if $(filter $(BUILD)/san/daemon/%,$^),$(PKG_LIBS)) -lm

# Unit tests of daemon/ modules (decisions tested without a VM) also link
# the module's objects, listed in TEST_OBJS_<test>, built with ASan+UBSan.
TEST_OBJS_test_promoter := move/promoter move/sysops move/placement ops/log
TEST_OBJS_test_demoter := move/demoter policy/cgroupfs ops/log
TEST_OBJS_test_kernel := move/kernel ops/log
TEST_OBJS_test_groups := policy/groups policy/cgroupfs ops/log
TEST_OBJS_test_cgcache_resolve := policy/cgroupfs ops/log
TEST_OBJS_test_reap := source/reap
TEST_OBJS_test_placement := move/placement
TEST_OBJS_test_control := ops/control move/promoter move/sysops move/placement move/kernel policy/groups \
	policy/cgroupfs ops/log
TEST_OBJS_test_sources_drain := source/drain
TEST_OBJS_test_folio := source/folio
TEST_OBJS_test_privs := ops/privs move/kernel ops/log
TEST_OBJS_test_selfstat := ops/selfstat
DAEMON_TESTS := test_promoter test_demoter test_groups test_control test_kernel test_sources_drain test_reap \
	test_placement test_folio test_privs test_cgcache_resolve test_selfstat
$(foreach t,$(DAEMON_TESTS),$(eval $(BUILD)/tests/$(t): $(TEST_OBJS_$(t):%=$(BUILD)/san/daemon/%.o)))

$(BUILD)/san/daemon/%.o: daemon/%.c $(SKEL)
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(BASE_CFLAGS) $(DAEMON_CFLAGS) $(PKG_CFLAGS) -O1 -g $(SAN_FLAGS) -MMD -MP -c $< -o $@

# Guest payloads for tests/vm (statically small, dynamically linked; the
# harness copies their libraries into the guest).
$(BUILD)/vm/%: tests/vm/payload/%.c $(wildcard tests/vm/payload/*.h) $(BUILD)/libtiering.a
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(BASE_CFLAGS) -O2 -g -o $@ $< $(BUILD)/libtiering.a $(JANSSON_LIBS) -lnuma -lm

# bench_move_pages runs in the guest, beside the payloads.
$(BUILD)/vm/bench_move_pages: bench/bench_move_pages.c $(BUILD)/libtiering.a
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(BASE_CFLAGS) -O2 -g -o $@ $< $(BUILD)/libtiering.a -lnuma -lm

$(BUILD)/bench/%: bench/%.c $(BUILD)/libtiering.a
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(BASE_CFLAGS) -O2 -g -MMD -MP -o $@ $< $(BUILD)/libtiering.a -lnuma -lm

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# ---------------------------------------------------------------- tests
unit: $(UNIT_BINS)
vm-payloads: $(PAYLOAD_BINS)
bench: $(BENCH_BINS)

check: all $(UNIT_BINS) $(PAYLOAD_BINS) $(BENCH_BINS) $(FUZZ_BINS)
	$(Q)BUILD=$(BUILD) tests/check

demo: all $(PAYLOAD_BINS)
	$(Q)BUILD=$(BUILD) tests/vm/demo

# The scale suites (issue 12) on 6.12, one VM at a time (all four are also
# in make check).
SCALE_SUITES := tests/vm/suites/scale_conf.sh tests/vm/suites/throughput.sh \
	tests/vm/suites/scale_procs.sh tests/vm/suites/scale_table.sh
scale: all $(PAYLOAD_BINS)
	$(Q)rc=0; for s in $(SCALE_SUITES); do BUILD=$(BUILD) tests/vm/run $$s 6.12 || rc=1; done; exit $$rc

# ---------------------------------------------------------------- soak
# The soak (tests/vm/suites/soak.sh; too long for make check): SOAK_MINUTES
# of process, cgroup, reload and client churn under the shipped unit in a
# 6.12 guest, then SOAK_ASAN_MINUTES of the same with the daemon built with
# ASan+LSan+UBSan in $(BUILD)-asan, run bare (initramfs). The suite's copy
# in $(BUILD)/soak/ has the minutes written in. Per-minute table:
# $(BUILD)/vm-results/soak-6.12/soak.tsv (and $(BUILD)-asan/...).
#   make soak [SOAK_MINUTES=30] [SOAK_ASAN_MINUTES=5]   (or soak-unit, soak-asan)
SOAK_MINUTES      ?= 30
SOAK_ASAN_MINUTES ?= 5
ASAN_BUILD        := $(BUILD)-asan
soak_timeout       = $$(( $(1) * 60 + 900 ))
.PHONY: soak soak-unit soak-asan
soak:
	$(Q)rc=0; $(MAKE) --no-print-directory soak-unit || rc=1; \
		$(MAKE) --no-print-directory soak-asan || rc=1; exit $$rc

soak-unit: all $(PAYLOAD_BINS)
	@mkdir -p $(BUILD)/soak
	$(Q)sed 's/^SOAK_MINUTES=.*/SOAK_MINUTES=$(SOAK_MINUTES)/' tests/vm/suites/soak.sh > $(BUILD)/soak/soak.sh
	$(Q)BUILD=$(BUILD) tests/vm/run --timeout $(call soak_timeout,$(SOAK_MINUTES)) $(BUILD)/soak/soak.sh 6.12

# The ASan daemon beside build/'s tieringctl and payloads; lsanprobe (a
# known leak) built with ASan too, as the suite's proof that LSan reports.
soak-asan: all $(PAYLOAD_BINS)
	$(Q)$(MAKE) --no-print-directory BUILD=$(ASAN_BUILD) SANITIZE=1 $(ASAN_BUILD)/tieringd
	@mkdir -p $(ASAN_BUILD)/vm $(ASAN_BUILD)/soak
	$(Q)cp $(BUILD)/tieringctl $(ASAN_BUILD)/ && cp $(PAYLOAD_BINS) $(ASAN_BUILD)/vm/
	$(Q)$(CC) -fsanitize=address -g -O0 -o $(ASAN_BUILD)/vm/lsanprobe tests/vm/payload/lsanprobe.c
	$(Q)sed -e 's/^SOAK_MINUTES=.*/SOAK_MINUTES=$(SOAK_ASAN_MINUTES)/' -e 's/^SOAK_DAEMON=.*/SOAK_DAEMON=asan/' \
		-e '/^# vm:/s/mode=systemd/mode=initramfs/' tests/vm/suites/soak.sh > $(ASAN_BUILD)/soak/soak.sh
	$(Q)tests/vm/run --build $(ASAN_BUILD) --timeout $(call soak_timeout,$(SOAK_ASAN_MINUTES)) \
		$(ASAN_BUILD)/soak/soak.sh 6.12

# ---------------------------------------------------------------- fuzz
# One libFuzzer binary per tests/fuzz/fuzz_<name>.c, its seeds in
# tests/fuzz/corpus/<name>/. lib/ is rebuilt with clang and the same
# sanitizers (plus coverage) into $(BUILD)/fuzzlib/, never the gcc objects.
#   make fuzz [FUZZ_SECONDS=60]   runs each in turn on a copy of its corpus
FUZZ_SECONDS ?= 60
FUZZ_CFLAGS  := -g -O1 -fno-sanitize-recover=all -fno-omit-frame-pointer -std=gnu11 -D_GNU_SOURCE -Ilib

$(FUZZ_LIB_OBJS) $(FUZZ_BINS): | deps

$(BUILD)/fuzzlib/lib/%.o: lib/%.c
	$(call msg,CLANG,$@)
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined -MMD -MP -c $< -o $@

$(BUILD)/fuzzlib/libtiering.a: $(FUZZ_LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/fuzz/%: tests/fuzz/%.c $(BUILD)/fuzzlib/libtiering.a
	$(call msg,CLANG,$@)
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined -MMD -MP -o $@ $< $(BUILD)/fuzzlib/libtiering.a $(JANSSON_LIBS) -lm

fuzz: $(FUZZ_BINS)
	$(Q)BUILD=$(BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run $(FUZZ_NAMES)

# ---------------------------------------------------------------- vmlinux.h
vmlinux:
	bpf/gen-vmlinux-h 6.12 > bpf/vmlinux.h.new && mv bpf/vmlinux.h.new bpf/vmlinux.h

# ---------------------------------------------------------------- install
# The binaries, /etc/tieringd.conf (never over a changed one: the shipped file
# then goes beside it as tieringd.conf.new), the units with @SBINDIR@ and
# @BINDIR@ replaced, the sysusers.d entry (group tieringd), the journal
# catalog and the man pages. Without DESTDIR (a live system) it also creates
# the group and updates the catalog database, as a package would.
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
CATALOGDIR  ?= $(PREFIX)/lib/systemd/catalog
UNIT_SUBST   = sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@BINDIR@|$(BINDIR)|g'
CONF_DEST    = $(DESTDIR)$(SYSCONFDIR)/tieringd.conf

install: all
	install -Dm755 $(BUILD)/tieringd $(DESTDIR)$(SBINDIR)/tieringd
	install -Dm755 $(BUILD)/tieringctl $(DESTDIR)$(BINDIR)/tieringctl
	@if [ -e $(CONF_DEST) ] && ! cmp -s conf/tieringd.conf $(CONF_DEST); then \
		echo "install -Dm644 conf/tieringd.conf $(CONF_DEST).new"; \
		install -Dm644 conf/tieringd.conf $(CONF_DEST).new && \
		echo "install: $(CONF_DEST) has local changes, kept; the shipped one is $(CONF_DEST).new"; \
	else \
		echo "install -Dm644 conf/tieringd.conf $(CONF_DEST)"; \
		install -Dm644 conf/tieringd.conf $(CONF_DEST); \
	fi
	install -d $(DESTDIR)$(UNITDIR)
	for u in tieringd.service tieringd.socket; do \
		$(UNIT_SUBST) systemd/$$u > $(DESTDIR)$(UNITDIR)/$$u && \
		chmod 644 $(DESTDIR)$(UNITDIR)/$$u || exit 1; \
	done
	install -Dm644 systemd/tieringd.sysusers $(DESTDIR)$(SYSUSERSDIR)/tieringd.conf
	install -Dm644 systemd/tieringd.catalog $(DESTDIR)$(CATALOGDIR)/tieringd.catalog
	install -Dm644 man/tieringd.8 $(DESTDIR)$(MANDIR)/man8/tieringd.8
	install -Dm644 man/tieringctl.8 $(DESTDIR)$(MANDIR)/man8/tieringctl.8
	install -Dm644 man/tieringd.conf.5 $(DESTDIR)$(MANDIR)/man5/tieringd.conf.5
ifeq ($(DESTDIR),)
	@if command -v systemd-sysusers >/dev/null; then \
		echo "systemd-sysusers $(SYSUSERSDIR)/tieringd.conf"; \
		systemd-sysusers $(SYSUSERSDIR)/tieringd.conf || \
			echo "install: systemd-sysusers failed: create group tieringd by hand" >&2; \
	fi
	@if command -v journalctl >/dev/null; then \
		echo "journalctl --update-catalog"; journalctl --update-catalog || :; \
	fi
	@echo "install: now systemctl daemon-reload && systemctl enable --now tieringd.socket tieringd.service"
endif

# Removes what install put there. /etc/tieringd.conf only while it is the
# shipped one; the group stays (files may still belong to it).
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/tieringd $(DESTDIR)$(BINDIR)/tieringctl
	rm -f $(DESTDIR)$(UNITDIR)/tieringd.service $(DESTDIR)$(UNITDIR)/tieringd.socket
	rm -f $(DESTDIR)$(SYSUSERSDIR)/tieringd.conf $(DESTDIR)$(CATALOGDIR)/tieringd.catalog
	rm -f $(DESTDIR)$(MANDIR)/man8/tieringd.8 $(DESTDIR)$(MANDIR)/man8/tieringctl.8 \
		$(DESTDIR)$(MANDIR)/man5/tieringd.conf.5
	rm -f $(CONF_DEST).new
	@if [ -e $(CONF_DEST) ] && ! cmp -s conf/tieringd.conf $(CONF_DEST); then \
		echo "uninstall: $(CONF_DEST) has local changes, kept"; \
	else \
		echo "rm -f $(CONF_DEST)"; rm -f $(CONF_DEST); \
	fi
ifeq ($(DESTDIR),)
	@if command -v journalctl >/dev/null; then \
		echo "journalctl --update-catalog"; journalctl --update-catalog || :; \
	fi
else
	@# a staging tree: also the directories install made, when now empty
	@for d in $(SBINDIR) $(BINDIR) $(SYSCONFDIR) $(UNITDIR) $(CATALOGDIR) $(SYSUSERSDIR) \
		$(MANDIR)/man8 $(MANDIR)/man5 $(MANDIR) $(PREFIX)/share \
		$(PREFIX)/lib/systemd $(PREFIX)/lib $(PREFIX); do \
		rmdir $(DESTDIR)$$d 2>/dev/null || :; \
	done
endif

clean:
	rm -rf $(BUILD)

# ---------------------------------------------------------------- deb
# make deb: the Debian package (debian/), built with dpkg-buildpackage -us
# -uc -b from a copy of the tree in a temporary directory (it writes into
# ../; and not under $(BUILD), whose *.d files the include above reads:
# the package has etc/tieringd.conf.d). The copy is the files git tracks
# or does not ignore (a tree without git: all but build dirs). Output in
# $(DEB_DIR): tieringd_VERSION_amd64.deb, its -dbgsym .deb, .buildinfo,
# .changes and build.log. The unit tests run in the build (debian/rules);
# the VM suites do not (tests/vm/suites/deb.sh installs the package).
#   make deb-lint   lintian on the .changes: fails on any error or warning
DEB_DIR  = $(BUILD)/deb
DEB_JOBS ?= auto
.PHONY: deb deb-lint
deb: | deps
	$(call msg,DEB,$(DEB_DIR))
	$(Q)rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR) && \
	t=$$(mktemp -d "$${TMPDIR:-/tmp}/tieringd-deb.XXXXXX") && trap 'rm -rf "$$t"' EXIT && \
	mkdir "$$t/src" && \
	if git rev-parse --is-inside-work-tree > /dev/null 2>&1; then \
		git ls-files -z -c -o --exclude-standard | \
			xargs -0 sh -c 'for f; do [ -e "$$f" ] && printf "%s\0" "$$f"; done; :' sh | \
			tar --null -T - -cf - | tar -xf - -C "$$t/src"; \
	else \
		tar --exclude='./build*' -cf - . | tar -xf - -C "$$t/src"; \
	fi && \
	if (cd "$$t/src" && dpkg-buildpackage -us -uc -b -J$(DEB_JOBS)) > $(DEB_DIR)/build.log 2>&1; then \
		mv "$$t"/*.deb "$$t"/*.buildinfo "$$t"/*.changes $(DEB_DIR)/ && ls $(DEB_DIR)/*.deb; \
	else \
		tail -n 30 $(DEB_DIR)/build.log; \
		echo "deb: dpkg-buildpackage failed; log in $(DEB_DIR)/build.log" >&2; exit 1; \
	fi

deb-lint: deb
	$(Q)lintian --fail-on error,warning $(DEB_DIR)/*.changes
