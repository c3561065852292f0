# Shared helpers for script tests (sourced): tests of the build, install and tools
# that need no cluster. tests/run exports TRN_BUILD and TRN_TOP.
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
expect_contains() { [[ $1 == *"$2"* ]] || fail "$3: expected to contain '$2', got: $1"; }
