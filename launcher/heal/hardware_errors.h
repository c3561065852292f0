// A node whose hardware fails says so in its backend's output (issue 21): the Neuron
// runtime's and EFA's messages for a fault of this node's own devices are data
// (conf/hardware_errors.yaml, found like conf/instances.yaml), and `run` watches the
// backend's output with a HardwareErrorMatcher; the first line that matches makes the
// node report itself bad (launcher/heal/run_healing.h).
#pragma once

#include <optional>
// GCC 12 warns inside <regex> under the sanitizers (-Wmaybe-uninitialized on its own
// std::function moves, a known false positive); the sanitizer build is -Werror in CI.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <regex>
#pragma GCC diagnostic pop
#include <string>
#include <string_view>
#include <vector>

#include "common/config/site_file.h"
#include "common/problem.h"

namespace trn {

struct HardwareErrorPattern {
  std::string name;   // the entry's key: "nrt-hbm-ue"
  std::string means;  // "Neuron runtime: uncorrectable HBM memory error (NRT_EXEC_HW_ERR_HBM_UE)"
  std::regex regex;   // ECMAScript, searched in each whole output line
};

// The `patterns:` of a hardware-errors file's text; each bad entry (no regex, no
// meaning, a regex that does not compile or matches an empty line) is a Problem naming
// `origin: patterns.<name>.<key>`.
std::vector<HardwareErrorPattern> parse_hardware_errors(const std::string& text, const std::string& origin,
                                                        Problems* problems);
// The file on the config search path (the config's folder first, as instances.yaml).
// Throws InputError when it is missing or bad.
std::vector<HardwareErrorPattern> load_hardware_errors(const std::string& config_dir, const config::SiteConfig& site);

struct HardwareErrorMatch {
  std::string name;
  std::string means;
  std::string line;  // the matched line, without its end
};

// Output as read, in chunks cut anywhere. Lines end at '\n' or '\r' (progress bars);
// only whole lines are matched, and only their first kMaxLine bytes (a runtime message
// is one short line; an endless line must not grow memory). The stdout and stderr
// chunks of a backend arrive interleaved: a half-written line of one stream glued to a
// whole line of the other still matches, since patterns are searched, not anchored.
class HardwareErrorMatcher {
 public:
  static constexpr size_t kMaxLine = 4096;
  explicit HardwareErrorMatcher(std::vector<HardwareErrorPattern> patterns) : patterns_(std::move(patterns)) {}

  // The first match of the run, once a fed line has matched (later lines are not read).
  const std::optional<HardwareErrorMatch>& feed(std::string_view chunk);
  const std::optional<HardwareErrorMatch>& match() const { return match_; }

 private:
  void end_line();

  std::vector<HardwareErrorPattern> patterns_;
  std::string line_;
  std::optional<HardwareErrorMatch> match_;
};

}  // namespace trn
