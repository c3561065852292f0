# bench/: benchmarks, run on demand with `make bench`. Each prints its measurement
# and the ratio against a peer measured in the same run; none is part of `make check`.
BENCH_SCRIPTS := $(sort $(wildcard bench/*.sh))
bench: all
	@set -e; for b in $(BENCH_SCRIPTS); do echo "== $$b"; BUILD=$(BUILD) $$b; done
