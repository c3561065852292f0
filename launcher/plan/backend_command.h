// The exact argv of the backend, the one thing `run` execs and `plan` prints.
#pragma once

#include <string>
#include <vector>

#include "launcher/plan/config_loader.h"
#include "launcher/plan/plan.h"

namespace trn {

// native:      <bindir>/trn-train-native --config <log_dir>/config.yaml --compile|--train
// nxdt:        [neuron_parallel_compile] torchrun --nproc_per_node P --nnodes N --node_rank R
//              --master_addr A --master_port M training_orchestrator.py --config-path=D
//              --config-name=C trainer.devices=P trainer.num_nodes=N exp_manager.explicit_log_dir=null
//              [overrides]   (the per-node log folder is only for the console log; see B1, issue 9)
//              (per-worker pattern: python3 <script> ... with RANK/LOCAL_RANK in the env instead of torchrun)
// torchneuron: torchrun ... --no-python <bindir>/trn-train worker python3 <script> --config <yaml> [overrides]
//              torchrun ... --no-python <bindir>/trn-train worker python3 -m torchtitan.train
//                --job.config_file <toml>            (launch.torchtitan_config: TorchTitan, the
//                documented recipe; its [parallelism] degrees are checked in validate.cc)
//              `trn-train worker` (launcher/commands/worker_command.h) gives each torchrun
//              worker the one core of the task's NEURON_RT_VISIBLE_CORES its LOCAL_RANK
//              picks, then execs the rest of its argv.
//              TorchNeuron (Neuron SDK >= 2.29, PyTorch >= 2.10; native PyTorch, device "neuron")
//              is launched like any PyTorch job: torchrun of the user's script, one worker per
//              NeuronCore (logical, LNC 2 by default on trn2: "NGPU=64 for 16 Trainium2 chips").
//              There is no ahead-of-time collector: torch.compile(backend="neuron") compiles on
//              first use, on Trainium itself, so COMPILE=1 is refused (validate.cc). The docs
//              read (below) name no compile-cache variable for TorchNeuron; trn-train exports
//              NEURON_COMPILE_CACHE_URL, NEURON_CC_FLAGS (config and precision compiler flags,
//              --lnc) and NEURON_LOGICAL_NC_CONFIG as for nxdt, but no --cache_dir (an option of
//              the PyTorch/XLA compile wrapper) and no XLA_* variables (neuron_env.cc).
//   https://awsdocs-neuron.readthedocs-hosted.com/en/latest/torch/index.html
//   https://awsdocs-neuron.readthedocs-hosted.com/en/latest/torch/about-pytorch-neuron.html
//   https://awsdocs-neuron.readthedocs-hosted.com/en/latest/torch/reference/env-vars.html
//   https://awsdocs-neuron.readthedocs-hosted.com/en/latest/torch/compile/about-torch-compile.html
//   aws-neuron-sdk frameworks/torch/pytorch-native-overview.rst (FAQ: compile needs Trn2/Trn3)
std::vector<std::string> backend_command(const Plan& plan, const LoadedConfig& cfg, const std::string& bindir);

}  // namespace trn
