# trainer/: the bundled native Llama engine (MPI + OpenBLAS). Built when sources exist.
TRAINER_SRCS := $(filter-out trainer/main.cc,$(wildcard trainer/*.cc))
ifneq ($(wildcard trainer/main.cc),)
TRAINER_OBJS := $(TRAINER_SRCS:%.cc=$(OBJDIR)/%.o)
TRN_NATIVE   := $(BINDIR)/trn-train-native
BINS_BUILT   += $(TRN_NATIVE)
$(OBJDIR)/trainer/%.o: MODULE_FLAGS := $(MPI_CXXFLAGS) $(OPENBLAS_CFLAGS) $(YAMLCPP_CFLAGS)
$(TRN_NATIVE): $(OBJDIR)/trainer/main.o $(TRAINER_OBJS) $(CACHE_LIB) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) $(LDFLAGS) -o $@ $(filter %.o,$^) $(CACHE_LIB) $(COMMON_LIB) \
	    $(MPI_LIBS) $(OPENBLAS_LIBS) $(YAMLCPP_LIBS) -ldl -lpthread
endif
