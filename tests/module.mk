# tests/: helper programs the cluster tests run inside Slurm jobs.
# mpi_allreduce: the smoke test that MPI works across the emulated nodes (MPI is
# there unless configure --disable-trainer / --enable-plugin-only dropped it).
MPI_ALLREDUCE := $(TESTDIR)/mpi_allreduce
BINS_TEST     := $(if $(filter no,$(BUILD_TRAINER)),,$(MPI_ALLREDUCE))
$(OBJDIR)/tests/helpers/%.o: MODULE_FLAGS := $(MPI_CXXFLAGS)
$(MPI_ALLREDUCE): $(OBJDIR)/tests/helpers/mpi_allreduce.o
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) $(LDFLAGS) -o $@ $< $(MPI_LIBS)
all: $(BINS_TEST)

# Every unit test object sees GoogleTest's headers.
$(OBJDIR)/tests/unit/%.o: MODULE_FLAGS := $(GTEST_CFLAGS)

# GoogleTest is optional at configure time (only the tests need it): without it
# `make check` and `make unit-check` stop here, saying what to install.
ifeq ($(HAVE_GTEST),no)
UNIT_TESTS := gtest-missing
.PHONY: gtest-missing
gtest-missing:
	@echo "make check needs GoogleTest: install libgtest-dev libgmock-dev (RHEL/AL2023: gtest-devel gmock-devel), then re-run ./configure" >&2; exit 1
endif
