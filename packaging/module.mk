# packaging/: what is built for the chosen configuration, the source tarball, the
# .deb and .rpm packages (plugin and tools apart; packaging/README.md). On demand,
# not part of `make check` (CI builds the .deb and installs it: .ci/run).

# --disable-trainer / --enable-plugin-only (configure): drop what a head or login
# node does not need. Included last, so every module has filled in its lists.
ifeq ($(BUILD_TRAINER),no)
BINS_BUILT := $(filter-out $(TRN_NATIVE),$(BINS_BUILT))
LIBS_BUILT := $(filter-out $(TRAINER_LIB),$(LIBS_BUILT))
endif
ifeq ($(PLUGIN_ONLY),yes)
BINS_BUILT :=
LIBS_BUILT := $(SPANK_PLUGIN)
.DEFAULT_GOAL := programs
endif
# What `make install` installs (the test helpers of `all` are not).
.PHONY: programs
programs: $(LIBS_BUILT) $(BINS_BUILT)

# `trn-train --version` names the Slurm the plugin was built against.
$(OBJDIR)/launcher/main.o: CXXFLAGS += -DTRN_SLURM_VERSION=\"$(SLURM_VERSION)\"

# Shipped as documentation and examples by the tools package.
EXAMPLE_FILES := $(wildcard examples/*.sbatch)

# The tarball is the working tree's files that git tracks or would track (a clean
# clone: HEAD), so `make deb` packages what was just built and tested.
DIST_NAME := trn-train-$(PACKAGE_VERSION)
DIST_TAR  := $(BUILD)/$(DIST_NAME).tar.gz
.PHONY: dist rpm deb debsrc
dist:
	@mkdir -p $(BUILD)
	git ls-files -co --exclude-standard | grep -Ev '^build[^/]*/' | \
	  tar -czf $(DIST_TAR) --transform 's|^|$(DIST_NAME)/|' --owner=0 --group=0 -T -
	@echo "wrote $(DIST_TAR)"

# Binary packages for this Slurm (the plugin is pinned to $(SLURM_MAJMIN)).
PKG_JOBS ?= $(shell nproc)
# The package builds run make afresh in their own tree: none of this make's
# command-line variables (BUILD=...) may leak into it.
PKG_ENV := env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES
deb: dist
	rm -rf $(BUILD)/deb && mkdir -p $(BUILD)/deb
	tar -C $(BUILD)/deb -xzf $(DIST_TAR)
	cp -r packaging/deb/debian $(BUILD)/deb/$(DIST_NAME)/
	cd $(BUILD)/deb/$(DIST_NAME) && $(PKG_ENV) DEB_BUILD_OPTIONS="nocheck parallel=$(PKG_JOBS) $(DEB_BUILD_OPTIONS)" \
	    dpkg-buildpackage -us -uc -b
	@ls $(BUILD)/deb/*.deb

# The Debian source package (.dsc, orig.tar.gz, debian.tar.xz). Format 3.0 (quilt), not
# native: trn-train is an upstream project whose tarball (`make dist`) sites build from,
# with the Debian packaging kept apart in packaging/deb/debian, and a Debian revision
# (0.1.0-1) must be able to change the packaging alone; dpkg-source refuses a native
# format with a revision. Built in its own fresh tree: the binary build's outputs in
# $(BUILD)/deb would read as changes to the upstream files.
DEB_ORIG := $(BUILD)/debsrc/trn-train_$(PACKAGE_VERSION).orig.tar.gz
debsrc: dist
	rm -rf $(BUILD)/debsrc && mkdir -p $(BUILD)/debsrc
	cp $(DIST_TAR) $(DEB_ORIG)
	tar -C $(BUILD)/debsrc -xzf $(DIST_TAR)
	cp -r packaging/deb/debian $(BUILD)/debsrc/$(DIST_NAME)/
	cd $(BUILD)/debsrc && dpkg-source -b $(DIST_NAME)
	@ls $(BUILD)/debsrc/*.dsc

# rpmbuild runs on Debian too (--nodeps: the BuildRequires name RHEL packages). The
# spec takes Slurm's prefix, plugin and config folders and version from configure.
rpm: dist
	rm -rf $(BUILD)/rpmbuild
	$(PKG_ENV) rpmbuild -tb $(DIST_TAR) --nodeps --define '_topdir $(abspath $(BUILD))/rpmbuild' \
	    --define '_smp_mflags -j$(PKG_JOBS)' \
	    --define 'slurm_prefix $(SLURM_DIR)' --define 'slurm_plugindir $(SLURM_PLUGINDIR)' \
	    --define 'slurm_sysconfdir $(SLURM_SYSCONFDIR)' --define 'slurm_majmin $(SLURM_MAJMIN)'
	@find $(BUILD)/rpmbuild/RPMS -name '*.rpm'

# Maintainer scripts shared by both packages, for this Slurm (used by debian/rules
# and the spec): refuse another Slurm major.minor; disable the snippet on removal.
MAINT_SUBST = sed -e 's|@SLURM_MAJMIN@|$(SLURM_MAJMIN)|g' -e 's|@SLURM_DIR@|$(SLURM_DIR)|g' -e 's|@SLURM_SYSCONFDIR@|$(SLURM_SYSCONFDIR)|g' \
                  -e 's|@SLURM_PLUGINDIR@|$(SLURM_PLUGINDIR)|g' -e 's|@SNIPPET@|$(SNIPPET_DIR)/neuron.conf|g'
$(BUILD)/packaging/%: packaging/scripts/%.in config.mk
	@mkdir -p $(@D)
	$(MAINT_SUBST) $< > $@
.PHONY: maintscripts
maintscripts: $(BUILD)/packaging/preinst $(BUILD)/packaging/postrm
