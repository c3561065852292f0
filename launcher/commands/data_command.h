// `trn-train data`: tokenize text or JSONL into a Megatron indexed dataset (data/).
#pragma once

namespace CLI {
class App;
}

namespace trn {

// Adds the `data` subcommand to `app`; when it runs, its exit status (0 ok, 1 failure,
// 2 bad input) is written to *exit_code.
void add_data_command(CLI::App& app, int* exit_code);

}  // namespace trn
