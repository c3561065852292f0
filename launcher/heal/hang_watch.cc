#include "launcher/heal/hang_watch.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace trn {

double hang_limit(int configured, bool first_step_done, double longest_gap) {
  if (configured > 0) return first_step_done ? configured : std::max<double>(configured, kStartFloor);
  return first_step_done ? std::max(kAutoFloor, kStepFactor * longest_gap) : kStartFloor;
}

double blame_settle(double longest_gap) { return std::min(60.0, 5.0 + longest_gap); }

void ProgressClock::observe(long long step, double now) {
  if (step <= step_) return;
  // The first gap runs from the start: startup, not a step.
  if (steps_seen_ > 0) longest_gap_ = std::max(longest_gap_, now - last_progress_);
  step_ = step, last_progress_ = now;
  ++steps_seen_;
}

bool ProgressClock::hung(int configured, double now) const {
  return since_progress(now) > hang_limit(configured, first_step_done(), longest_gap_);
}

std::optional<std::string> node_blame(const std::vector<RankSnapshot>& ranks) {
  std::string why;
  auto add = [&why](const RankSnapshot& r, const std::string& what) {
    const std::string who = r.rank >= 0 ? "rank " + std::to_string(r.rank) + " (pid " + std::to_string(r.pid) + ")"
                                        : "process " + std::to_string(r.pid);  // nxdt: no ranks known
    why += (why.empty() ? "" : "; ") + who + " " + what;
  };
  const RankSnapshot* waiting = nullptr;
  for (const auto& r : ranks)
    if (r.phase == ProgressPhase::kCollective) waiting = &r;
  for (const auto& r : ranks) {
    if (r.state == 'T' || r.state == 't') add(r, "is stopped");
    else if (r.state == 'D') add(r, "is in uninterruptible sleep (D)");
    else if (r.state == 0 || r.state == 'Z' || r.state == 'X') add(r, "is gone");
    else if (r.phase == ProgressPhase::kCompute && waiting)
      add(r, "computes while rank " + std::to_string(waiting->rank) + " waits in a collective");
  }
  if (why.empty()) return std::nullopt;
  return why;
}

std::optional<ProcStat> parse_proc_stat(const std::string& text) {
  const size_t close = text.rfind(')');
  ProcStat s;
  if (close == std::string::npos || std::sscanf(text.c_str(), "%ld", &s.pid) != 1 ||
      std::sscanf(text.c_str() + close + 1, " %c %ld %ld", &s.state, &s.ppid, &s.pgrp) != 3)
    return std::nullopt;
  return s;
}

void NxdtStepParser::feed(std::string_view chunk) {
  static constexpr std::string_view kKey = "global_step=";
  std::string text = tail_;
  text.append(chunk.data(), chunk.size());
  size_t at = 0, end_of_matches = 0;
  while ((at = text.find(kKey, at)) != std::string::npos) {
    size_t i = at + kKey.size(), digits = i;
    while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
    if (digits == text.size()) break;  // the number may go on in the next chunk
    if (digits > i && digits - i < 18) step_ = std::max(step_, std::stoll(text.substr(i, digits - i)));
    at = end_of_matches = digits;
  }
  // Keep what might still become a match: an unfinished number, or a partial key.
  const size_t keep_from =
      at != std::string::npos ? at : std::max(end_of_matches, text.size() - std::min(text.size(), kKey.size() - 1));
  tail_ = text.substr(keep_from);
  if (tail_.size() > 64) tail_.clear();  // no key with a number that long: nothing to finish
}

}  // namespace trn
