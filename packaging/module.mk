# packaging/: source tarball, RPM and DEB. Run on demand; not part of `make check`.
DIST_NAME := trn-train-$(PACKAGE_VERSION)
.PHONY: dist rpm deb
dist:
	@mkdir -p $(BUILD)
	git archive --format=tar.gz --prefix=$(DIST_NAME)/ -o $(BUILD)/$(DIST_NAME).tar.gz HEAD
	@echo "wrote $(BUILD)/$(DIST_NAME).tar.gz"

rpm: dist
	rpmbuild -ta $(BUILD)/$(DIST_NAME).tar.gz --define '_topdir $(abspath $(BUILD))/rpmbuild' \
	    --define 'slurm_prefix $(SLURM_DIR)' --nodeps
	@find $(BUILD)/rpmbuild/RPMS -name '*.rpm'

deb: dist
	rm -rf $(BUILD)/deb && mkdir -p $(BUILD)/deb
	tar -C $(BUILD)/deb -xzf $(BUILD)/$(DIST_NAME).tar.gz
	cp -r packaging/deb/debian $(BUILD)/deb/$(DIST_NAME)/
	cd $(BUILD)/deb/$(DIST_NAME) && dpkg-buildpackage -us -uc -b
	@ls $(BUILD)/deb/*.deb
