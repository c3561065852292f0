# tests/: helper programs the cluster tests run inside Slurm jobs.
# mpi_allreduce: the smoke test that MPI works across the emulated nodes.
MPI_ALLREDUCE := $(TESTDIR)/mpi_allreduce
BINS_TEST     := $(MPI_ALLREDUCE)
$(OBJDIR)/tests/helpers/%.o: MODULE_FLAGS := $(MPI_CXXFLAGS)
$(MPI_ALLREDUCE): $(OBJDIR)/tests/helpers/mpi_allreduce.o
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) $(LDFLAGS) -o $@ $< $(MPI_LIBS)
all: $(BINS_TEST)

# Every unit test object sees GoogleTest's headers.
$(OBJDIR)/tests/unit/%.o: MODULE_FLAGS := $(GTEST_CFLAGS)
