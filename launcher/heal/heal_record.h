// What a run decided when it ended early (launcher/heal/heal.h), as plain data: one
// `decision.json` per restart in logs/<job>/<restart>/heal/, read by the next run (its
// restart line, the trainer's JSONL record) and by `trn-train status`.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace trn {

// Why a run ends itself and asks for the next one.
//   time-limit: Slurm's --signal before the time limit (SIGUSR1 to every step's tasks);
//   bad-node:   a node found broken (preflight, a hardware error in its output, a rank
//               stopped on it), taken out before the job is requeued;
//   hang:       no step progress for launch.hang_timeout, no node to blame.
enum class HealReason { kTimeLimit, kBadNode, kHang };
const char* to_string(HealReason r);  // "time-limit" | "bad-node" | "hang"
std::optional<HealReason> heal_reason_from(const std::string& name);

struct BadNode {
  std::string host;
  std::string why;  // "preflight: neuron devices: 15 of 16", "Neuron runtime: <line>", "hang: rank 3 stopped"
};

struct HealDecision {
  int restart = 0;                 // the run that ended (SLURM_RESTART_COUNT)
  HealReason reason = HealReason::kTimeLimit;
  std::vector<BadNode> bad;        // every node found bad in this run
  std::vector<std::string> drained;   // scontrol update ... State=DRAIN succeeded
  std::vector<std::string> excluded;  // not drainable by this user: the requeued job excludes them
  bool requeued = false;
  std::string not_requeued;        // why not, when !requeued
  std::string decided_by;          // host
};

std::string decision_json(const HealDecision& d);
// nullopt (and *why) for text that is not a decision record.
std::optional<HealDecision> parse_decision(const std::string& text, std::string* why);

// The console line for a decision: what was found, what was done.
std::string describe_decision(const HealDecision& d, const std::string& job_id);

}  // namespace trn
