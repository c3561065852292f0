# common/: small, exception-free helpers shared by the launcher and the SPANK plugin
# (the plugin links this archive, so nothing here may throw or pull heavy deps).
COMMON_SRCS := $(wildcard common/*.cc)
COMMON_OBJS := $(COMMON_SRCS:%.cc=$(OBJDIR)/%.o)
COMMON_LIB  := $(LIBDIR)/libtrncommon.a
LIBS_BUILT  += $(COMMON_LIB)

$(COMMON_LIB): $(COMMON_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && $(AR) rcs $@ $^
