# policyd - GNU Makefile.  `make` builds the three programs; `make check`
# runs every test; `make SANITIZE=1 check` does so under ASan + UBSan,
# `make check TSAN=1` with policyd under ThreadSanitizer;
# `make install` / `make uninstall` (DESTDIR, PREFIX) put them in place;
# `make deb` builds the Debian package in build/deb/;
# `make deps` installs the Debian packages the build and tests need.

# The one place the version is written: debian/changelog's first line.
# It changes with the wire protocol and the schema (tests/test_version.sh);
# every object depends on the file, so a new version rebuilds them all.
VERSION := $(shell awk 'NR == 1 { gsub(/[()]/, "", $$2); print $$2 }' \
	debian/changelog)
PKG_CONFIG ?= pkg-config

ifeq ($(TSAN),1)
ifeq ($(SANITIZE),1)
$(error TSAN=1 and SANITIZE=1 cannot be combined: one sanitizer a build)
endif
BUILD ?= build/tsan
endif
ifeq ($(SANITIZE),1)
BUILD ?= build/sanitize
OPT := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=all
SANLD := -fsanitize=address,undefined
else
BUILD ?= build/release
OPT := -O2 -g -D_FORTIFY_SOURCE=2
SANLD :=
endif

WARN := -Wall -Wextra -Werror -Wformat=2 -Wstrict-prototypes \
	-Wmissing-prototypes -Wshadow -Wvla
CFLAGS_BASE := -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) \
	-fstack-protector-strong -fstack-clash-protection \
	-DPOLICYD_VERSION='"$(VERSION)"' -Iinclude
LDHARD := -Wl,-z,relro,-z,now -Wl,--as-needed $(SANLD)

# Libraries, each through pkg-config.
DAEMON_PKGS := sqlite3 libsodium libargon2 inih liboath libcrypto libsystemd
MODULE_PKGS := pam
TEST_PKGS := cmocka libpamtest pam sqlite3 libargon2
# libzxcvbn and libpasswdqc (Debian's -dev packages) ship no pkg-config
# file.
ZXCVBN_LIBS := -lzxcvbn -lm
PASSWDQC_LIBS := -lpasswdqc
# libunistring (u8_normalize: passwords in NFKC) ships none either.
UNISTRING_LIBS := -lunistring
pc_cflags = $(shell $(PKG_CONFIG) --cflags $(1))
pc_libs = $(shell $(PKG_CONFIG) --libs $(1))

# The code shared by all three programs: codec, framing, client, wiping,
# terminal-safe text.
COMMON_SRC := common/wire.c common/frame.c common/client.c common/wipe.c \
	common/text.c
DAEMON_SRC := policyd/main.c policyd/config.c policyd/log.c \
	policyd/server.c policyd/dispatch.c policyd/auth.c policyd/admin.c \
	policyd/hash.c policyd/cost.c policyd/store_sqlite.c policyd/store_sqlite_lock.c \
	policyd/store_sqlite_totp.c policyd/store_sqlite_schema.c policyd/totp.c policyd/seal.c policyd/second.c \
	policyd/pending.c policyd/login.c policyd/housekeeping.c policyd/admin_totp.c policyd/audit.c \
	policyd/store_sqlite_audit.c policyd/store_record.c \
	policyd/admin_audit.c policyd/alert.c \
	policyd/password.c policyd/rules.c policyd/settings.c \
	policyd/trusted.c policyd/breached.c policyd/lockout.c policyd/stats.c \
	policyd/normalize.c policyd/state.c policyd/sealkey.c \
	policyd/sealing.c common/auditseal.c policyctl/qr.c
MODULE_SRC := pam_module/pam_policyd.c pam_module/args.c
CTL_SRC := policyctl/policyctl.c policyctl/commands.c policyctl/show.c \
	policyctl/totp.c policyctl/audit.c policyctl/verify.c policyd/store_record.c \
	common/auditseal.c policyctl/qr.c policyctl/doctor.c \
	policyctl/doctor_pam.c policyctl/doctor_rules.c policyctl/doctor_files.c \
	policyctl/jsonout.c policyctl/report.c policyctl/report_trail.c \
	policyctl/report_text.c policyctl/report_json.c policyctl/report_html.c

obj = $(patsubst %.c,$(BUILD)/$(2)/%.o,$(1))
COMMON_PIE := $(call obj,$(COMMON_SRC),pie)
COMMON_PIC := $(call obj,$(COMMON_SRC),pic)
DAEMON_OBJ := $(call obj,$(DAEMON_SRC),pie)
MODULE_OBJ := $(call obj,$(MODULE_SRC),pic)
CTL_OBJ := $(call obj,$(CTL_SRC),pie)
DAEMON_COMMON := $(COMMON_PIE)

# ThreadSanitizer (`make check TSAN=1`, in build/tsan): policyd alone is
# instrumented, all of it, common code included, from its own objects in
# $(BUILD)/thread.  The PAM module stays plain because an uninstrumented
# host (pamtester, sshd) cannot dlopen a module that needs libtsan (no
# room in its static TLS).  The test programs and policyctl stay plain:
# they are the harness, not what is tested, and a report must be the
# daemon's, in its stderr, which is the log the tests keep (tests/run.sh
# fails a step on one).  The rest is built as for a release, policyd
# without _FORTIFY_SOURCE, whose __*_chk calls TSan would not see.
ifeq ($(TSAN),1)
TSAN_OPT := -O1 -g -fno-omit-frame-pointer -U_FORTIFY_SOURCE \
	-fsanitize=thread
DAEMON_OBJ := $(call obj,$(DAEMON_SRC),thread)
DAEMON_COMMON := $(call obj,$(COMMON_SRC),thread)
$(BUILD)/policyd: LDFLAGS += -fsanitize=thread

$(BUILD)/thread/%.o: %.c debian/changelog
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(TSAN_OPT) -fPIE -Ipolicyd -Ipolicyctl \
		$(call pc_cflags,$(DAEMON_PKGS)) $(CFLAGS) -MMD -MP -c $< -o $@
endif

PROGRAMS := $(BUILD)/policyd $(BUILD)/policyctl $(BUILD)/pam_policyd.so
TESTS := $(BUILD)/tests/test_wire $(BUILD)/tests/test_config \
	$(BUILD)/tests/test_text $(BUILD)/tests/test_jsonout \
	$(BUILD)/tests/test_unicode \
	$(BUILD)/tests/test_hostile_text \
	$(BUILD)/tests/test_rules $(BUILD)/tests/test_seal \
	$(BUILD)/tests/test_qr \
	$(BUILD)/tests/test_server $(BUILD)/tests/test_store \
	$(BUILD)/tests/test_cost \
	$(BUILD)/tests/test_pam \
	$(BUILD)/tests/test_password $(BUILD)/tests/test_lockout \
	$(BUILD)/tests/test_totp $(BUILD)/tests/test_audit \
	$(BUILD)/tests/test_verbs $(BUILD)/tests/test_stress \
	$(BUILD)/tests/test_faults $(BUILD)/tests/failsync.so \
	$(BUILD)/tests/test_sealing \
	$(BUILD)/tests/fuzz_wire $(BUILD)/tests/notify_sink

# Debian packages: build, test and demo dependencies, in one place.
# openssh-server, openssh-client and python3-paramiko are for
# tests/test_sshd.sh, which runs a private sshd on its own port.  Installing
# openssh-server also starts and enables the system's sshd on port 22
# (Debian's postinst); the test neither uses nor stops it.  To keep it from
# starting, create /etc/ssh/sshd_not_to_be_run before `make deps` (Debian's
# switch, read by ssh.service and /etc/init.d/ssh).  mandoc is for
# tests/test_manpages.sh only (it renders the man pages and lints them).
# libjansson-dev builds policyctl report --json; chromium and python3-pil
# are for tests/test_report.sh, which renders the HTML report headless
# and looks at the picture.
DEPS := gcc make pkg-config libc6-dev binutils \
	libpam0g-dev libsodium-dev libargon2-dev libsqlite3-dev libinih-dev \
	libzxcvbn-dev libpasswdqc-dev passwdqc libssl-dev liboath-dev \
	oathtool libqrencode-dev libpng-dev libpam-oath \
	libcmocka-dev libpamtest0-dev libpam-wrapper pamtester sqlite3 argon2 \
	libunistring-dev openssh-server openssh-client python3-paramiko sudo \
	libsystemd-dev systemd mandoc libjansson-dev chromium python3-pil \
	faketime
# Packaging tools: `make deb`, and tests/test_deb.sh in `make check`.
DEB_DEPS := debhelper dpkg-dev lintian

.PHONY: all deps deps-fuzz install-packages check demo fuzz bench clean
all: $(PROGRAMS)

$(BUILD)/pie/%.o: %.c debian/changelog
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) -fPIE -Ipolicyd -Ipolicyctl \
		$(call pc_cflags,$(DAEMON_PKGS) $(CTL_PKGS)) \
		$(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/pic/%.o: %.c debian/changelog
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) -fPIC $(call pc_cflags,$(MODULE_PKGS)) \
		$(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/policyd: $(DAEMON_OBJ) $(DAEMON_COMMON)
	$(CC) -pie $(LDHARD) $(LDFLAGS) -o $@ $^ \
		$(call pc_libs,$(DAEMON_PKGS) $(CTL_PKGS)) $(ZXCVBN_LIBS) \
		$(PASSWDQC_LIBS) $(UNISTRING_LIBS) -pthread

# inih: doctor reads the file names of policyd.conf as the daemon does;
# jansson: every --json document, the report's too.
CTL_PKGS := libqrencode libpng libsodium inih jansson

$(BUILD)/policyctl: $(CTL_OBJ) $(COMMON_PIE)
	$(CC) -pie $(LDHARD) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(CTL_PKGS))

$(BUILD)/pam_policyd.so: $(MODULE_OBJ) $(COMMON_PIC) \
		pam_module/pam_policyd.map
	$(CC) -shared $(LDHARD) $(LDFLAGS) \
		-Wl,--version-script=pam_module/pam_policyd.map \
		-o $@ $(MODULE_OBJ) $(COMMON_PIC) $(call pc_libs,$(MODULE_PKGS))

# Tests.  Each binary links the real code it exercises; testlib.o (the
# private daemon and its store queries) needs sqlite3.
TEST_CFLAGS = $(CFLAGS_BASE) -fPIE -Ipolicyd -Ipolicyctl -Itests \
	$(call pc_cflags,$(TEST_PKGS) $(DAEMON_PKGS) $(CTL_PKGS)) \
	-DPAM_WRAPPER_MODULES='"$(shell $(PKG_CONFIG) --variable=modules \
		pam_wrapper)"'
TEST_LIB := $(BUILD)/pie/tests/testlib.o
TMPDIR_LIB := $(BUILD)/pie/tests/tmpdir.o

$(BUILD)/tests/test_wire: $(BUILD)/pie/tests/test_wire.o $(COMMON_PIE)
	@mkdir -p $(dir $@)
	$(CC) -pie $(LDHARD) -o $@ $^ $(call pc_libs,cmocka)

$(BUILD)/tests/test_text: $(BUILD)/pie/tests/test_text.o \
		$(BUILD)/pie/common/text.o
	@mkdir -p $(dir $@)
	$(CC) -pie $(LDHARD) -o $@ $^ $(call pc_libs,cmocka)

$(BUILD)/tests/test_jsonout: $(BUILD)/pie/tests/test_jsonout.o \
		$(BUILD)/pie/policyctl/jsonout.o $(BUILD)/pie/common/text.o
	@mkdir -p $(dir $@)
	$(CC) -pie $(LDHARD) -o $@ $^ $(call pc_libs,cmocka jansson)

$(BUILD)/tests/fuzz_wire: $(BUILD)/pie/tests/fuzz_wire.o \
		$(BUILD)/pie/tests/fuzz_main.o $(COMMON_PIE)
	@mkdir -p $(dir $@)
	$(CC) -pie $(LDHARD) -o $@ $^

$(BUILD)/tests/test_config: $(BUILD)/pie/tests/test_config.o $(TMPDIR_LIB) \
		$(BUILD)/pie/policyd/config.o $(BUILD)/pie/policyd/trusted.o
	@mkdir -p $(dir $@)
	$(CC) -pie $(LDHARD) -o $@ $^ $(call pc_libs,cmocka inih)

$(BUILD)/tests/test_seal: $(BUILD)/pie/tests/test_seal.o $(TMPDIR_LIB) \
		$(BUILD)/pie/policyd/seal.o $(BUILD)/pie/policyd/sealkey.o \
		$(BUILD)/pie/common/auditseal.o $(BUILD)/pie/common/wipe.o
	@mkdir -p $(dir $@)
	$(CC) -pie $(LDHARD) -o $@ $^ $(call pc_libs,cmocka libcrypto libsodium)

$(BUILD)/tests/test_qr: $(BUILD)/pie/tests/test_qr.o \
		$(BUILD)/pie/policyctl/qr.o
	@mkdir -p $(dir $@)
	$(CC) -pie $(LDHARD) -o $@ $^ $(call pc_libs,cmocka $(CTL_PKGS))

$(BUILD)/tests/test_rules: $(BUILD)/pie/tests/test_rules.o $(TMPDIR_LIB) \
		$(BUILD)/pie/policyd/rules.o $(BUILD)/pie/policyd/trusted.o \
		$(BUILD)/pie/common/wipe.o $(BUILD)/pie/common/text.o
	@mkdir -p $(dir $@)
	$(CC) -pie $(LDHARD) -o $@ $^ $(call pc_libs,cmocka) $(ZXCVBN_LIBS) \
		-pthread

$(BUILD)/tests/test_server: $(BUILD)/pie/tests/test_server.o $(TEST_LIB) \
		$(COMMON_PIE)
	@mkdir -p $(dir $@)
	$(CC) -pie $(LDHARD) -o $@ $^ $(call pc_libs,$(TEST_PKGS))

$(BUILD)/tests/test_cost: $(BUILD)/pie/tests/test_cost.o $(TEST_LIB) \
		$(COMMON_PIE)
	@mkdir -p $(dir $@)
	$(CC) -pie $(LDHARD) -o $@ $^ $(call pc_libs,$(TEST_PKGS))

# The SQLite backend with what it needs, for the tests and fuzz targets
# that open a store in-process.
STORE_SQLITE_SRC := policyd/store_sqlite.c policyd/store_sqlite_lock.c \
	policyd/store_sqlite_totp.c policyd/store_sqlite_audit.c \
	policyd/store_sqlite_schema.c policyd/store_record.c policyd/audit.c \
	policyd/log.c policyd/stats.c policyd/lockout.c policyd/sealkey.c \
	common/auditseal.c
STORE_TEST_OBJ := $(call obj,$(STORE_SQLITE_SRC),pie)

$(BUILD)/tests/test_store: $(BUILD)/pie/tests/test_store.o $(TEST_LIB) \
		$(STORE_TEST_OBJ) $(COMMON_PIE)
	@mkdir -p $(dir $@)
	$(CC) -pie $(LDHARD) -o $@ $^ \
		$(call pc_libs,cmocka sqlite3 libsodium libsystemd) -pthread

PAM_TEST_LIB := $(BUILD)/pie/tests/pamlib.o

$(BUILD)/tests/test_pam: $(BUILD)/pie/tests/test_pam.o $(TEST_LIB) \
		$(PAM_TEST_LIB) $(COMMON_PIE)
	@mkdir -p $(dir $@)
	$(CC) -pie $(LDHARD) -o $@ $^ $(call pc_libs,$(TEST_PKGS)) -pthread

$(BUILD)/tests/test_password: $(BUILD)/pie/tests/test_password.o \
		$(TEST_LIB) $(PAM_TEST_LIB) $(COMMON_PIE)
	@mkdir -p $(dir $@)
	$(CC) -pie $(LDHARD) -o $@ $^ $(call pc_libs,$(TEST_PKGS))

$(BUILD)/tests/test_unicode: $(BUILD)/pie/tests/test_unicode.o \
		$(TEST_LIB) $(PAM_TEST_LIB) $(COMMON_PIE)
	@mkdir -p $(dir $@)
	$(CC) -pie $(LDHARD) -o $@ $^ $(call pc_libs,$(TEST_PKGS))

$(BUILD)/tests/test_hostile_text: $(BUILD)/pie/tests/test_hostile_text.o \
		$(TEST_LIB) $(PAM_TEST_LIB) $(COMMON_PIE)
	@mkdir -p $(dir $@)
	$(CC) -pie $(LDHARD) -o $@ $^ $(call pc_libs,$(TEST_PKGS))

$(BUILD)/tests/test_lockout: $(BUILD)/pie/tests/test_lockout.o \
		$(BUILD)/pie/policyd/lockout.o $(TEST_LIB) $(PAM_TEST_LIB) \
		$(COMMON_PIE)
	@mkdir -p $(dir $@)
	$(CC) -pie $(LDHARD) -o $@ $^ $(call pc_libs,$(TEST_PKGS)) -pthread

$(BUILD)/tests/test_totp: $(BUILD)/pie/tests/test_totp.o \
		$(BUILD)/pie/policyd/totp.o $(TEST_LIB) $(PAM_TEST_LIB) \
		$(COMMON_PIE)
	@mkdir -p $(dir $@)
	$(CC) -pie $(LDHARD) -o $@ $^ \
		$(call pc_libs,$(TEST_PKGS) liboath libsodium) -pthread

$(BUILD)/tests/test_verbs: $(BUILD)/pie/tests/test_verbs.o $(TEST_LIB) \
		$(BUILD)/pie/policyd/pending.o $(COMMON_PIE)
	@mkdir -p $(dir $@)
	$(CC) -pie $(LDHARD) -o $@ $^ \
		$(call pc_libs,cmocka libsodium sqlite3) -pthread

$(BUILD)/tests/test_audit: $(BUILD)/pie/tests/test_audit.o $(TEST_LIB) \
		$(COMMON_PIE)
	@mkdir -p $(dir $@)
	$(CC) -pie $(LDHARD) -o $@ $^ $(call pc_libs,cmocka sqlite3) -pthread

$(BUILD)/tests/test_stress: $(BUILD)/pie/tests/test_stress.o $(TEST_LIB) \
		$(COMMON_PIE)
	@mkdir -p $(dir $@)
	$(CC) -pie $(LDHARD) -o $@ $^ \
		$(call pc_libs,cmocka liboath sqlite3) -pthread

$(BUILD)/tests/test_faults: $(BUILD)/pie/tests/test_faults.o $(TEST_LIB) \
		$(STORE_TEST_OBJ) $(COMMON_PIE)
	@mkdir -p $(dir $@)
	$(CC) -pie $(LDHARD) -o $@ $^ \
		$(call pc_libs,cmocka sqlite3 libsodium libsystemd) -pthread

$(BUILD)/tests/test_sealing: $(BUILD)/pie/tests/test_sealing.o $(TEST_LIB) \
		$(BUILD)/pie/policyd/store_record.o \
		$(BUILD)/pie/common/auditseal.o $(COMMON_PIE)
	@mkdir -p $(dir $@)
	$(CC) -pie $(LDHARD) -o $@ $^ \
		$(call pc_libs,cmocka sqlite3 libsodium) -pthread

# Preloaded into a test daemon, never into a test: no sanitizer.
$(BUILD)/tests/failsync.so: tests/failsync.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 $(WARN) -O2 -fPIC -shared -o $@ $< -ldl

$(BUILD)/tests/notify_sink: $(BUILD)/pie/tests/notify_sink.o
	@mkdir -p $(dir $@)
	$(CC) -pie $(LDHARD) -o $@ $^

$(BUILD)/pie/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

# Only `make fuzz` needs these.
FUZZ_DEPS := clang libclang-rt-14-dev

deps:
	@$(MAKE) -s install-packages PACKAGES="$(DEPS) $(DEB_DEPS)"

deps-fuzz:
	@$(MAKE) -s install-packages PACKAGES="$(FUZZ_DEPS)"

install-packages:
	@missing=$$(for p in $(PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
		grep -q '^install ok installed$$' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		if [ "$$(id -u)" != 0 ]; then \
			echo "make deps: run as root to install:" $$missing >&2; \
			exit 1; \
		fi; \
		DEBIAN_FRONTEND=noninteractive apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			--no-install-recommends $$missing; \
	fi

check: deps
	$(MAKE) all tests
	BUILD=$(BUILD) SANITIZE=$(SANITIZE) sh tests/run.sh

.PHONY: tests
tests: $(PROGRAMS) $(TESTS)

demo: deps
	$(MAKE) all
	BUILD=$(BUILD) sh tests/demo.sh

# Figures, never assertions: see bench/.
$(BUILD)/bench/bench_password: $(BUILD)/pie/bench/bench_password.o $(TEST_LIB) \
		$(COMMON_PIE)
	@mkdir -p $(dir $@)
	$(CC) -pie $(LDHARD) -o $@ $^ $(call pc_libs,libsodium sqlite3) -pthread

$(BUILD)/bench/bench_seal: $(BUILD)/pie/bench/bench_seal.o $(TEST_LIB) \
		$(BUILD)/pie/policyd/store_record.o \
		$(BUILD)/pie/common/auditseal.o $(COMMON_PIE)
	@mkdir -p $(dir $@)
	$(CC) -pie $(LDHARD) -o $@ $^ $(call pc_libs,libsodium sqlite3) -pthread

$(BUILD)/bench/bench_pam: $(BUILD)/pie/bench/bench_pam.o $(TEST_LIB) \
		$(PAM_TEST_LIB) $(COMMON_PIE)
	@mkdir -p $(dir $@)
	$(CC) -pie $(LDHARD) -o $@ $^ $(call pc_libs,$(TEST_PKGS))

$(BUILD)/bench/bench_login: $(BUILD)/pie/bench/bench_login.o $(TEST_LIB) \
		$(PAM_TEST_LIB) $(COMMON_PIE)
	@mkdir -p $(dir $@)
	$(CC) -pie $(LDHARD) -o $@ $^ \
		$(call pc_libs,$(TEST_PKGS) libsodium libargon2 sqlite3) -pthread

$(BUILD)/pie/bench/%.o: bench/%.c
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

bench: deps
	$(MAKE) all $(BUILD)/bench/bench_login $(BUILD)/bench/bench_password \
		$(BUILD)/bench/bench_pam $(BUILD)/bench/bench_seal
	@for b in bench_login bench_password bench_pam bench_seal; do \
		dir=$$(mktemp -d); chmod 755 $$dir; \
		QUICK=$(QUICK) POLICYD_BUILD=$$(pwd)/$(BUILD) \
			POLICYD_TEST_DIR=$$dir $(BUILD)/bench/$$b; rc=$$?; \
		rm -rf $$dir; \
		[ $$rc -eq 0 ] || exit $$rc; echo; \
	done

# Fuzz targets: tests/fuzz_NAME.c, seeds in tests/corpus/NAME/.  `make
# check` replays each corpus through a plain build (the new targets share
# tests/fuzz_main.c); `make fuzz` runs each under libFuzzer for
# FUZZ_SECONDS (60), `make fuzz-ci` for 15 (six targets: under three
# minutes with the build).  FUZZ_SRC_x: the code a target links;
# FUZZ_PKGS_x and FUZZ_LIBS_x: its libraries; FUZZ_LEN_x: -max_len;
# FUZZ_OPTS_x: more libFuzzer options.
FUZZ_TARGETS := reply config phc audit auditrow
FUZZ_SECONDS ?= 60
FUZZ_SRC_wire := common/wire.c
FUZZ_LEN_wire := 70000
FUZZ_SRC_phc := policyd/hash.c policyd/stats.c $(COMMON_SRC)
FUZZ_PKGS_phc := libsodium libargon2
FUZZ_LIBS_phc := -pthread
FUZZ_LEN_phc := 512
FUZZ_SRC_reply := $(COMMON_SRC)
FUZZ_PKGS_reply := pam
FUZZ_LIBS_reply := -pthread
FUZZ_LEN_reply := 8192
FUZZ_SRC_audit := policyctl/audit.c policyctl/show.c policyctl/verify.c \
	policyctl/jsonout.c policyd/store_record.c common/auditseal.c \
	$(COMMON_SRC)
FUZZ_PKGS_audit := libsodium jansson
FUZZ_LEN_audit := 16384
# policyctl's own complaints on stderr would swamp libFuzzer's output.
FUZZ_OPTS_audit := -close_fd_mask=2
FUZZ_SRC_auditrow := $(STORE_SQLITE_SRC) $(COMMON_SRC)
FUZZ_PKGS_auditrow := sqlite3 libsodium libsystemd
FUZZ_LIBS_auditrow := -pthread
FUZZ_LEN_auditrow := 4096
FUZZ_SRC_config := policyd/config.c policyd/trusted.c
FUZZ_PKGS_config := inih
FUZZ_LEN_config := 8192
FUZZ_OPTS_config := -dict=tests/corpus/config.dict

FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -DPOLICYD_LIBFUZZER -std=c11 \
	-D_GNU_SOURCE -Iinclude -Ipolicyd -Ipolicyctl -Itests

fuzz_libs = $(if $(FUZZ_PKGS_$(1)),$(call pc_libs,$(FUZZ_PKGS_$(1)))) \
	$(FUZZ_LIBS_$(1))

define fuzz_target
$(BUILD)/tests/fuzz_$(1): $(BUILD)/pie/tests/fuzz_$(1).o \
		$(BUILD)/pie/tests/fuzz_main.o $(call obj,$(FUZZ_SRC_$(1)),pie)
	@mkdir -p $$(dir $$@)
	$$(CC) -pie $$(LDHARD) -o $$@ $$^ \
		$$(call fuzz_libs,$(1))
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call fuzz_target,$(t))))
tests: $(patsubst %,$(BUILD)/tests/fuzz_%,$(FUZZ_TARGETS))

.PHONY: fuzz-ci fuzz-build fuzz-run
fuzz: deps-fuzz
	$(MAKE) fuzz-build
	$(MAKE) -j1 fuzz-run

fuzz-ci:
	$(MAKE) fuzz FUZZ_SECONDS=15

fuzz-build: $(patsubst %,fuzz-build-%,wire $(FUZZ_TARGETS))
fuzz-run: $(patsubst %,fuzz-run-%,wire $(FUZZ_TARGETS))

fuzz-build-%:
	@mkdir -p $(BUILD)/fuzz
	clang $(FUZZ_FLAGS) \
		$(if $(FUZZ_PKGS_$*),$(call pc_cflags,$(FUZZ_PKGS_$*))) \
		tests/fuzz_$*.c $(FUZZ_SRC_$*) -o $(BUILD)/fuzz/$* \
		$(call fuzz_libs,$*)

# The corpus a run grows is kept in the build tree; crashes land there too.
fuzz-run-%:
	@mkdir -p $(BUILD)/fuzz/corpus-$*
	$(BUILD)/fuzz/$* -max_total_time=$(FUZZ_SECONDS) \
		-max_len=$(FUZZ_LEN_$*) -artifact_prefix=$(BUILD)/fuzz/$*- \
		$(FUZZ_OPTS_$*) \
		$(BUILD)/fuzz/corpus-$* tests/corpus/$*

# Installing.  `make install` (as root, or with DESTDIR for a package)
# copies the three programs, the man pages, the example configuration and
# the systemd files; `make uninstall` removes them again.  PREFIX holds the
# programs and man pages; the PAM module, the units and the configuration
# go where the system looks for them whatever PREFIX is:
# - PAMDIR: libpam loads modules named without a path from the directory
#   compiled into it, on Debian /lib/<multiarch triplet>/security (the
#   directory of libpam-modules' pam_unix.so and of pam.pc's libdir; on a
#   merged /usr it is the same directory as /usr/lib/<triplet>/security).
#   The triplet is the build's host (dpkg-architecture), else the
#   compiler's.
# - UNITDIR, SYSUSERSDIR, TMPFILESDIR: as systemd.pc says, else Debian 12's.
# - SYSCONFDIR/policyd/policyd.conf is policyd's compiled-in default; an
#   existing file is never overwritten, and uninstall removes it only if it
#   is still the example.
PREFIX ?= /usr
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
MULTIARCH ?= $(shell dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || \
	$(CC) -print-multiarch)
PAMDIR ?= /lib/$(MULTIARCH)/security
systemd_dir = $(or $(shell $(PKG_CONFIG) --variable=$(1) systemd \
	2>/dev/null),$(2))
UNITDIR ?= $(call systemd_dir,systemdsystemunitdir,/lib/systemd/system)
SYSUSERSDIR ?= $(call systemd_dir,sysusersdir,/usr/lib/sysusers.d)
TMPFILESDIR ?= $(call systemd_dir,tmpfilesdir,/usr/lib/tmpfiles.d)
MAN8 := man/policyd.8 man/policyctl.8 man/pam_policyd.8
MAN5 := man/policyd.conf.5
CONF_DEST = $(DESTDIR)$(SYSCONFDIR)/policyd/policyd.conf

.PHONY: install uninstall
install: $(PROGRAMS)
	@[ -n "$(MULTIARCH)" ] || { echo "make install: no multiarch" \
		"triplet from dpkg-architecture or $(CC); set PAMDIR" >&2; \
		exit 1; }
	install -d $(DESTDIR)$(PAMDIR) $(DESTDIR)$(SBINDIR) \
		$(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(SYSCONFDIR)/policyd \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) \
		$(DESTDIR)$(TMPFILESDIR)
	install -m 0644 $(BUILD)/pam_policyd.so $(DESTDIR)$(PAMDIR)/
	install -m 0755 $(BUILD)/policyd $(DESTDIR)$(SBINDIR)/
	install -m 0755 $(BUILD)/policyctl $(DESTDIR)$(BINDIR)/
	install -m 0644 $(MAN8) $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 $(MAN5) $(DESTDIR)$(MANDIR)/man5/
	@if [ -e $(CONF_DEST) ]; then \
		echo "keeping $(CONF_DEST)"; \
	else \
		echo install -m 0644 conf/policyd.conf $(CONF_DEST); \
		install -m 0644 conf/policyd.conf $(CONF_DEST); \
	fi
	sed 's|/usr/sbin/policyd|$(SBINDIR)/policyd|g' conf/policyd.service \
		> $(DESTDIR)$(UNITDIR)/policyd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/policyd.service
	install -m 0644 conf/sysusers.conf $(DESTDIR)$(SYSUSERSDIR)/policyd.conf
	install -m 0644 conf/tmpfiles.conf $(DESTDIR)$(TMPFILESDIR)/policyd.conf

uninstall:
	rm -f $(DESTDIR)$(PAMDIR)/pam_policyd.so $(DESTDIR)$(SBINDIR)/policyd \
		$(DESTDIR)$(BINDIR)/policyctl \
		$(patsubst man/%,$(DESTDIR)$(MANDIR)/man8/%,$(MAN8)) \
		$(patsubst man/%,$(DESTDIR)$(MANDIR)/man5/%,$(MAN5)) \
		$(DESTDIR)$(UNITDIR)/policyd.service \
		$(DESTDIR)$(SYSUSERSDIR)/policyd.conf \
		$(DESTDIR)$(TMPFILESDIR)/policyd.conf
	@if cmp -s conf/policyd.conf $(CONF_DEST); then \
		echo rm -f $(CONF_DEST); rm -f $(CONF_DEST); \
		rmdir $(DESTDIR)$(SYSCONFDIR)/policyd 2>/dev/null || :; \
	elif [ -e $(CONF_DEST) ]; then \
		echo "keeping $(CONF_DEST): changed since installed"; \
	fi

# The Debian package: `make deb` builds it with dpkg-buildpackage from a
# copy of the tree in build/deb/policyd-VERSION (so that the package's own
# clean never touches this tree's build/), leaves policyd_VERSION_ARCH.deb
# (and its -dbgsym) in build/deb/ and checks it with lintian (an error or
# a warning fails).  deb-build is that without `make deps` (DEB_DIR= puts
# it elsewhere: tests/test_deb.sh).
DEB_DIR := build/deb

.PHONY: deb deb-build deps-deb
deps-deb:
	@$(MAKE) -s install-packages PACKAGES="$(DEB_DEPS)"

deb: deps
	$(MAKE) deb-build

deb-build:
	rm -rf $(DEB_DIR)
	mkdir -p $(DEB_DIR)/policyd-$(VERSION)
	tar -c --exclude=./build --exclude=./.git --exclude=./debian/policyd \
		--exclude=./debian/.debhelper --exclude=./debian/files \
		--exclude='./debian/*.substvars' \
		--exclude=./debian/debhelper-build-stamp . | \
		tar -x -C $(DEB_DIR)/policyd-$(VERSION)
	cd $(DEB_DIR)/policyd-$(VERSION) && dpkg-buildpackage -us -uc -b
	lintian --fail-on error,warning $(DEB_DIR)/policyd_$(VERSION)_*.changes
	@ls $(DEB_DIR)/*.deb

# The package installed in a throwaway Debian 12 root (debootstrap; its
# packages cached in build/debootstrap/): users, key, store, the unit's
# start, pam-auth-update, reinstall, remove, purge.  It downloads from the
# Debian archive, so it is not part of `make check`.
.PHONY: check-deb-root
check-deb-root: deb
	@$(MAKE) -s install-packages PACKAGES=debootstrap
	sh tests/test_deb_root.sh $(DEB_DIR)/policyd_$(VERSION)_$(shell \
		dpkg-architecture -qDEB_HOST_ARCH).deb \
		build/debootstrap/bookworm-minbase.tar.gz

clean:
	rm -rf build

-include $(shell find build -name '*.d' -type f 2>/dev/null)
