// `trn-train cache status|verify|clean|clear-locks` (implemented with the cache, issue 5).
// main.cc registers it like every other subcommand; the callback stores the exit code.
#pragma once

namespace CLI {
class App;
}

namespace trn {

// Adds the `cache` subcommand and its sub-subcommands to `app`. When one of them is
// run, its exit status (0 ok, 1 problems found / operation failed, 2 bad input) is
// written to *exit_code.
void add_cache_command(CLI::App& app, int* exit_code);

}  // namespace trn
