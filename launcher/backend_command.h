// The exact argv of the backend, the one thing `run` execs and `plan` prints.
#pragma once

#include <string>
#include <vector>

#include "launcher/config_loader.h"
#include "launcher/plan.h"

namespace trn {

// native:      <bindir>/trn-train-native --config <log_dir>/config.yaml --compile|--train
// nxdt:        [neuron_parallel_compile] torchrun --nproc_per_node P --nnodes N --node_rank R
//              --master_addr A --master_port M training_orchestrator.py --config-path=D
//              --config-name=C trainer.devices=P trainer.num_nodes=N exp_manager.explicit_log_dir=null
//              [overrides]   (the per-node log folder is only for the console log; see B1, issue 9)
//              (per-worker pattern: python3 <script> ... with RANK/LOCAL_RANK in the env instead of torchrun)
// torchneuron: torchrun ... <script> --config <yaml> [overrides]
std::vector<std::string> backend_command(const Plan& plan, const LoadedConfig& cfg, const std::string& bindir);

}  // namespace trn
