// `trn-train health`, the pure half: what this node's probe found (HealthFacts, read by
// launcher/health/health_probe.cc) judged against its instance, the error counters
// compared with the last run's, and what to tell Slurm about the node. No I/O here, so
// every verdict and every drain/resume decision is unit-tested with hand-made facts
// (tests/unit/launcher_health_test.cc).
//
// The node-level checks are preflight's (launcher/preflight/preflight_checks.h: devices,
// driver, instance, EFA, cache, open files): one verdict per fact whether a job step or
// slurmd asks. Health adds what only a periodic check can see: a Neuron error counter
// that rose since the last run.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "launcher/preflight/preflight_checks.h"

namespace trn {

// Neuron sysfs error counters by path under the device folder
// ("neuron3/stats/hardware/mem_ecc_uncorrected", "neuron0/neuron_core1/stats/status/hw_error").
using ErrorCounters = std::map<std::string, uint64_t>;

struct HealthFacts {
  NodeFacts node;                // preflight's probe: devices, driver, instance, EFA, cache, files
  std::string runtime_version;   // aws-neuronx-runtime-lib's package version ("" = not found)
  ErrorCounters counters;        // now
  bool have_baseline = false;    // a previous run left its counts (the state file)
  ErrorCounters baseline;        // the counts a rise is measured from
  std::string state_error;       // the state file could not be read or trusted ("" = fine)
};

struct HealthLine {
  std::string check;  // "devices", "counters", ...
  CheckCell cell;
};

struct HealthVerdict {
  std::vector<HealthLine> lines;
  ErrorCounters next_baseline;  // what the state file keeps for the next run
  bool healthy() const;         // no line failed (warnings pass)
  // "trn-train health: devices: <detail>" for the first failed line, at most 200
  // characters (Slurm shows it in sinfo -R); "" when healthy.
  std::string drain_reason() const;
};

inline constexpr const char* kHealthReasonPrefix = "trn-train health";

// The versions every node of the cluster must run (--driver, --runtime; "" = any): a
// node-local check cannot compare with the other nodes as preflight does, so the admin
// names them. "2.19" pins 2.19.x (a prefix up to a '.', '-' or '+').
struct VersionPins {
  std::string driver;   // the Neuron driver's module version (aws-neuronx-dkms)
  std::string runtime;  // aws-neuronx-runtime-lib's package version
};
bool version_matches(const std::string& have, const std::string& pin);

// accept_counters: the admin looked at the errors (--accept-counters): today's counts
// become the baseline and do not fail.
HealthVerdict judge_health(const HealthFacts& f, const Expectation& want, bool accept_counters,
                           const VersionPins& pins = {});

// The baseline the next run compares with. A counter that rose keeps its old baseline,
// so the node stays failed (and drained) run after run until the driver is reloaded
// (the counts restart from 0, below the baseline) or the admin accepts them; a new
// counter, or one that fell (reset, write-to-clear), starts from today's count.
ErrorCounters next_baseline(const ErrorCounters& baseline, const ErrorCounters& now, bool accept);

// What `scontrol show node -o NAME` says about the node.
struct SlurmNodeState {
  bool drained = false;  // the state has the DRAIN flag (draining or drained)
  std::string reason;    // "" when none; without Slurm's " [user@time]" suffix
};
bool parse_scontrol_node(const std::string& line, SlurmNodeState* state);

enum class NodeAction { kNone, kDrain, kResume };
// Drain a failing node unless it is drained already: with the same reason (nothing to
// do), or by someone else (an admin's reason is theirs to lift, never overwritten).
// Resume a healthy node only when its drain reason is this command's own.
NodeAction decide_node_action(bool healthy, const SlurmNodeState& state, const std::string& reason);

}  // namespace trn
