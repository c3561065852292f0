// Which Neuron SDK generation a backend needs, checked before any rank starts.
//
// The line between the two Neuron PyTorch stacks is the PyTorch version, not an SDK
// number: PyTorch 2.9 is the last with PyTorch/XLA (what NxDT runs on), TorchNeuron
// (native PyTorch, device "neuron") starts with PyTorch 2.10. The Neuron docs give
// the SDK numbers inconsistently (2.28 announced the end of NxDT, 2.29 still shipped NxDT
// 1.7.0 and torch-neuronx on PyTorch/XLA, 2.31 is named the last release that supports
// NxDT, and torch-neuronx is not in 2.32), so trn-train checks the installed torch itself
// and names the SDK only in its advice (kLastNxdtSdk). Sources:
//   https://awsdocs-neuron.readthedocs-hosted.com/en/latest/about-neuron/announcements/neuron2.x/announce-eos-nxdt-nxd-core-training.html
//   https://awsdocs-neuron.readthedocs-hosted.com/en/latest/about-neuron/announcements/neuron2.x/announcement-end-of-support-nxdt-nxd-core.html
//   https://awsdocs-neuron.readthedocs-hosted.com/en/v2.29.0/_sources/release-notes/components/pytorch.rst
//   https://awsdocs-neuron.readthedocs-hosted.com/en/latest/torch/index.html (TorchNeuron: trn2, trn3)
#pragma once

#include <optional>
#include <string>

#include "common/problem.h"
#include "launcher/plan/config_loader.h"

namespace trn {

// The last Neuron SDK release with NxD Training and torch-neuronx (neuron_parallel_compile):
// the release notes of 2.31 (Jul 2026) say so, and 2.32 ships neither.
inline constexpr const char* kLastNxdtSdk = "2.31";

struct TorchInstall {
  int major = 0, minor = 0;
  std::string version;  // as the package names it ("2.9.0", "2.10.0+cpu")
  std::string where;    // the dist-info folder it was read from
};

// The torch installed in the Python environment `torchrun` belongs to:
// <prefix>/bin/torchrun -> <prefix>/lib/python3*/{site,dist}-packages/torch-<v>.dist-info
// (venv, conda and pip --prefix layouts). Read from the folder name, without starting
// Python. nullopt when there is none there (another layout): then nothing is checked.
std::optional<TorchInstall> torch_next_to(const std::string& torchrun_path);

// One Problem when `backend` cannot run on that torch: nxdt needs PyTorch <= 2.9,
// torchneuron PyTorch >= 2.10.
Problems check_torch_for_backend(Backend backend, const TorchInstall& torch);

}  // namespace trn
