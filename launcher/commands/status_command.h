// `trn-train status [JOB]`: one job across its restarts, read from launch.log_dir/<job>/
// (launcher/heal/run_summary.h): each run's last step, loss and tokens/s, why it ended,
// the restarts and the nodes drained on the way.
#pragma once

namespace CLI {
class App;
}

namespace trn {

// Adds the `status` subcommand to `app`; when it runs, its exit status (0 ok, 2 bad
// input: no such job folder) is written to *exit_code.
void add_status_command(CLI::App& app, int* exit_code);

}  // namespace trn
