# trn-train top-level Makefile (non-recursive).
#
# Each part of the suite describes its own targets in <dir>/module.mk; this file
# holds the shared rules. Everything is built under build/ so `make clean` is one
# rm -rf and the source tree stays readable.
#
#   make                 build trn-train, spank_neuron.so, the native trainer
#   make check           unit tests + cluster tests on a local 4-node Slurm
#   make unit-check      unit tests only (no daemons)
#   make demo            the README's end-to-end demo on the local Slurm
#   make bench           benchmarks (on demand; print ratios against a peer)
#   make fuzz            libFuzzer targets (clang), FUZZ_SECONDS each (default 60)
#   make SANITIZE=yes    everything but the plugin with ASan + UBSan (CI runs check so)
#   make install         honours DESTDIR, prefix, sysconfdir, SLURM_PLUGINDIR
#   make clean | distclean
#
# On a clean clone `make` runs autoreconf + ./configure itself (default options);
# run ./configure yourself for --with-slurm=/opt/slurm and friends.

.DEFAULT_GOAL := all
SHELL := /bin/bash

-include config.mk

# config.mk is made by configure; GNU make remakes it (and restarts) when it is
# missing or older than configure.ac, keeping the options of an earlier ./configure.
config.mk: configure config.mk.in
	@if [ -x ./config.status ]; then ./config.status --recheck && ./config.status; \
	 else ./configure $(CONFIGURE_FLAGS); fi

configure: configure.ac
	autoreconf -fi

BUILD    := build
OBJDIR   := $(BUILD)/obj
BINDIR   := $(BUILD)/bin
LIBDIR   := $(BUILD)/lib
TESTDIR  := $(BUILD)/tests

CXXFLAGS ?= -O2 -g
# `make SANITIZE=yes` (or ./configure --enable-sanitizers): ASan + UBSan, any finding fatal.
SANITIZER_FLAGS_ON := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
SANITIZE_FLAGS := $(if $(filter yes,$(SANITIZE)),$(SANITIZER_FLAGS_ON))
LDFLAGS += $(SANITIZE_FLAGS)
PLAIN_CXXFLAGS := -std=c++17 -Wall -Wextra $(WERROR) -fPIC -I. \
                -DTRN_VERSION=\"$(PACKAGE_VERSION)\" \
                -DTRN_DATADIR=\"$(datadir)/trn-train\" \
                -DTRN_SYSCONFDIR=\"$(sysconfdir)/trn-train\"
TRN_CXXFLAGS := $(PLAIN_CXXFLAGS) $(SANITIZE_FLAGS)

# Filled in by the module fragments.
LIBS_BUILT  :=
BINS_BUILT  :=
UNIT_TESTS  :=
CLEAN_EXTRA :=

include common/module.mk
include common/config/module.mk
include cache/module.mk
include data/module.mk
include launcher/module.mk
include spank/module.mk
include trainer/module.mk
include tests/module.mk
include tests/fuzz/module.mk
include bench/module.mk
include packaging/module.mk

.PHONY: all check unit-check cluster-check demo bench install install-plugin install-tools uninstall clean distclean

all: $(LIBS_BUILT) $(BINS_BUILT)

# Unit tests then cluster tests; tests/run prints one "N passed, N failed" summary.
# Sanitizer runs: leaks of MPI and the Slurm tools are not ours to fix; every other finding aborts.
export ASAN_OPTIONS ?= detect_leaks=0:abort_on_error=1
export UBSAN_OPTIONS ?= print_stacktrace=1:halt_on_error=1

# A sanitized build skips the tests that say they belong to the plain pass (tests/run).
RUN_FLAGS = --build $(BUILD) $(if $(filter yes,$(SANITIZE)),--sanitized)

check: all $(UNIT_TESTS)
	tests/run $(RUN_FLAGS) $(UNIT_TESTS)

unit-check: all $(UNIT_TESTS)
	tests/run $(RUN_FLAGS) --unit-only $(UNIT_TESTS)

cluster-check: all
	tests/run $(RUN_FLAGS) --cluster-only

demo: all
	examples/demo.sh

# Compile rule shared by every module; MODULE_FLAGS is set per directory.
$(OBJDIR)/%.o: %.cc
	@mkdir -p $(@D)
	$(CXX) $(TRN_CXXFLAGS) $(MODULE_FLAGS) $(CXXFLAGS) -MMD -MP -c $< -o $@

-include $(shell find $(OBJDIR) -name '*.d' 2>/dev/null)

# ---- install ---------------------------------------------------------------
# Two parts, as the packages split them (packaging/README.md): the plugin (the .so,
# its man page and its plugstack snippet under $(datadir)/slurm-spank-neuron, which
# an admin links into plugstack.conf.d to enable it) and the tools (everything else;
# not with --enable-plugin-only). `programs` (packaging/module.mk) is what is built.
INSTALL ?= install
SNIPPET_DIR := $(datadir)/slurm-spank-neuron
DOC_DIR     := $(datarootdir)/doc/trn-train
install: install-plugin $(if $(filter yes,$(PLUGIN_ONLY)),,install-tools)

install-plugin: programs
	$(INSTALL) -d $(DESTDIR)$(SLURM_PLUGINDIR) $(DESTDIR)$(SNIPPET_DIR) $(DESTDIR)$(mandir)/man8
	$(INSTALL) -m 0644 $(SPANK_PLUGIN) $(DESTDIR)$(SLURM_PLUGINDIR)/spank_neuron.so
	sed 's|@SLURM_PLUGINDIR@|$(SLURM_PLUGINDIR)|' packaging/plugstack/neuron.conf.in > $(DESTDIR)$(SNIPPET_DIR)/neuron.conf
	chmod 0644 $(DESTDIR)$(SNIPPET_DIR)/neuron.conf
	$(INSTALL) -m 0644 man/spank_neuron.8 $(DESTDIR)$(mandir)/man8/

install-tools: programs
	$(INSTALL) -d $(DESTDIR)$(bindir) $(DESTDIR)$(datadir)/trn-train/conf $(DESTDIR)$(sysconfdir)/trn-train \
	    $(DESTDIR)$(mandir)/man1 $(DESTDIR)$(mandir)/man5 $(DESTDIR)$(DOC_DIR)/examples
	$(INSTALL) -m 0755 $(BINS_BUILT) $(DESTDIR)$(bindir)/
	$(INSTALL) -m 0644 $(wildcard conf/*.yaml conf/*.json conf/*.toml) $(DESTDIR)$(datadir)/trn-train/conf/
	@if [ ! -e $(DESTDIR)$(sysconfdir)/trn-train/site.yaml ]; then \
	  echo "$(INSTALL) -m 0644 packaging/site.yaml $(DESTDIR)$(sysconfdir)/trn-train/site.yaml"; \
	  $(INSTALL) -m 0644 packaging/site.yaml $(DESTDIR)$(sysconfdir)/trn-train/site.yaml; fi
	$(INSTALL) -m 0644 $(wildcard man/*.1) $(DESTDIR)$(mandir)/man1/
	$(INSTALL) -m 0644 $(wildcard man/*.5) $(DESTDIR)$(mandir)/man5/
	$(INSTALL) -m 0644 README.md $(DESTDIR)$(DOC_DIR)/README.md
	$(INSTALL) -m 0644 packaging/README.md $(DESTDIR)$(DOC_DIR)/README.packaging.md
	$(INSTALL) -m 0644 $(EXAMPLE_FILES) $(DESTDIR)$(DOC_DIR)/examples/
	$(INSTALL) -d $(DESTDIR)$(DOC_DIR)/examples/parallelcluster
	$(INSTALL) -m 0644 $(wildcard examples/parallelcluster/*) $(DESTDIR)$(DOC_DIR)/examples/parallelcluster/

# The site file is the admin's: left in place, as a package manager keeps a conffile.
uninstall:
	rm -f $(addprefix $(DESTDIR)$(bindir)/,$(notdir $(BINS_BUILT))) \
	      $(DESTDIR)$(SLURM_PLUGINDIR)/spank_neuron.so $(DESTDIR)$(mandir)/man8/spank_neuron.8 \
	      $(addprefix $(DESTDIR)$(mandir)/man1/,$(notdir $(wildcard man/*.1))) \
	      $(addprefix $(DESTDIR)$(mandir)/man5/,$(notdir $(wildcard man/*.5)))
	rm -rf $(DESTDIR)$(datadir)/trn-train $(DESTDIR)$(SNIPPET_DIR) $(DESTDIR)$(DOC_DIR)

# `make print-bindir` etc.: a configured value, fully expanded (used by tests and packaging).
print-%:
	@echo '$($*)'

clean:
	-tests/cluster/localslurm down >/dev/null 2>&1
	rm -rf $(BUILD) $(CLEAN_EXTRA)

distclean: clean
	rm -rf config.mk config.status config.log configure autom4te.cache aclocal.m4
