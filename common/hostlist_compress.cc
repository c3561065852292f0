// Slurm hostlist compression, the inverse of HostList's expansion (common/hostlist.h).
#include <algorithm>
#include <cstdlib>

#include "common/hostlist.h"

namespace trn {

std::string compress_hostlist(const std::vector<std::string>& names) {
  struct Group {
    std::string prefix;
    size_t width = 0;  // zero-padded width; 0 = not padded
    std::vector<unsigned long> numbers;
    std::string literal;  // a name without a trailing number
  };
  std::vector<Group> groups;
  for (const auto& name : names) {
    size_t d = name.size();
    while (d > 0 && name[d - 1] >= '0' && name[d - 1] <= '9') --d;
    const size_t digits = name.size() - d;
    if (digits == 0 || digits > 9) {
      groups.push_back({"", 0, {}, name});
      continue;
    }
    const size_t width = digits > 1 && name[d] == '0' ? digits : 0;
    const std::string prefix = name.substr(0, d);
    auto it = std::find_if(groups.begin(), groups.end(), [&](const Group& g) {
      return g.literal.empty() && g.prefix == prefix && g.width == width;
    });
    if (it == groups.end()) it = groups.insert(groups.end(), {prefix, width, {}, ""});
    it->numbers.push_back(std::strtoul(name.c_str() + d, nullptr, 10));
  }
  std::string out;
  for (const auto& g : groups) {
    out += out.empty() ? "" : ",";
    if (!g.literal.empty()) {
      out += g.literal;
      continue;
    }
    auto num = [&](unsigned long n) {
      std::string s = std::to_string(n);
      return s.size() < g.width ? std::string(g.width - s.size(), '0') + s : s;
    };
    if (g.numbers.size() == 1) {
      out += g.prefix + num(g.numbers[0]);
      continue;
    }
    std::string ranges;
    for (size_t i = 0; i < g.numbers.size();) {
      size_t j = i;
      while (j + 1 < g.numbers.size() && g.numbers[j + 1] == g.numbers[j] + 1) ++j;
      ranges += (ranges.empty() ? "" : ",") + num(g.numbers[i]) + (j > i ? "-" + num(g.numbers[j]) : "");
      i = j + 1;
    }
    out += g.prefix + "[" + ranges + "]";
  }
  return out;
}

}  // namespace trn
