// Slurm hostlist / tasks-per-node expansion. Exception-free (the SPANK plugin links it).
//
// Behaviour was pinned against `scontrol show hostnames` (see the table in
// tests/unit/common_hostlist_test.cc). Deliberate divergence: where scontrol silently
// "repairs" unbalanced brackets (it turns `a[1-2` into the host `a]`), we refuse with
// an error, because a node list like that is a bug upstream and launching on a host
// called `a]` would only fail later and further away.
#include "common/hostlist.h"

#include <algorithm>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace trn {
namespace {

// Slurm's MAX_RANGE / MAX_PREFIX_CNT: one range, or one bracket group, may name at
// most 64K hosts. The total cap only guards memory against hostile input.
constexpr unsigned long kMaxRange = 65536;
constexpr size_t kMaxHosts = size_t{1} << 22;

struct Range {
  unsigned long lo = 0;
  unsigned long hi = 0;
  int width = 0;  // zero padding = length of the low bound as written
};

bool is_sep(char c) { return c == ',' || c == ' ' || c == '\t' || c == '\n'; }

bool fail(std::string* error, std::string_view expr, const std::string& what) {
  if (error) *error = "hostlist '" + std::string(expr) + "': " + what;
  return false;
}

// One "lo[-hi]" item, parsed with strtoul like Slurm so that widths and odd-but-
// accepted spellings (`+1`, ` 1`) give the same names scontrol prints.
bool parse_range(std::string_view item, Range* out, std::string* why) {
  std::string text(item);
  if (text.find('x') != std::string::npos) {
    *why = "'" + text + "' is not a range (multi-dimensional 'x' boxes are not supported); write LO-HI";
    return false;
  }
  const auto dash = text.find('-');
  std::string lo_text = dash == std::string::npos ? text : text.substr(0, dash);
  std::string hi_text = dash == std::string::npos ? std::string() : text.substr(dash + 1);
  auto bad = [&](const char* fix) {
    *why = "'" + text + "' is not a valid range: " + fix;
    return false;
  };
  if (dash != std::string::npos && !hi_text.empty() && hi_text[0] == '-') return bad("negative numbers are not allowed");
  char* end = nullptr;
  errno = 0;
  out->width = static_cast<int>(lo_text.size());
  out->lo = std::strtoul(lo_text.c_str(), &end, 10);
  if (end == lo_text.c_str()) return bad("write a number or LO-HI, e.g. 1-4");
  if (dash == std::string::npos) {
    if (*end != '\0') return bad("write a number or LO-HI, e.g. 1-4");
    out->hi = out->lo;
  } else {
    out->hi = std::strtoul(hi_text.c_str(), &end, 10);
    if (end == hi_text.c_str() || *end != '\0') return bad("write LO-HI with two numbers, e.g. 1-4");
  }
  if (out->lo > out->hi) return bad("the low bound is greater than the high bound");
  if (out->hi - out->lo >= kMaxRange) return bad("a range may name at most 65536 hosts");
  return true;
}

// "1-3,7" -> ranges; empty items are errors (scontrol: "Invalid range: `'").
bool parse_group(std::string_view body, std::vector<Range>* ranges, std::string* why) {
  size_t start = 0;
  unsigned long count = 0;
  while (true) {
    const size_t comma = body.find(',', start);
    const std::string_view item = body.substr(start, comma == std::string_view::npos ? body.npos : comma - start);
    Range r;
    if (item.empty()) {
      *why = "empty range inside '[" + std::string(body) + "]'";
      return false;
    }
    if (!parse_range(item, &r, why)) return false;
    count += r.hi - r.lo + 1;
    if (count > kMaxRange) {
      *why = "bracket group '[" + std::string(body) + "]' names more than 65536 hosts";
      return false;
    }
    ranges->push_back(r);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return true;
}

// Zero-padded decimal, written by hand: this runs once per host of lists with
// thousands of nodes, where snprintf's format parsing dominated the expansion.
void append_number(std::string* s, unsigned long v, int width) {
  char buf[48];
  int n = 0;
  do buf[n++] = static_cast<char>('0' + v % 10); while ((v /= 10) != 0);
  while (n < width && n < static_cast<int>(sizeof buf)) buf[n++] = '0';
  while (n > 0) s->push_back(buf[--n]);
}

struct Group {
  std::string text_before;  // literal text before this group's '['
  std::vector<Range> ranges;
};

// Emits the product in Slurm's order: Slurm peels bracket groups off the right end
// of the prefix, so with groups G1..Gk the loops run G(k-1) outermost, then
// G(k-2) ... G1, and the last group Gk innermost. For the usual one or two groups
// this is plain left-to-right order.
bool emit(const std::vector<Group>& groups, std::vector<std::string>* hosts, std::string_view expr,
          std::string* error) {
  const size_t k = groups.size();
  std::vector<std::vector<std::string>> values(k);  // formatted numbers per group
  size_t total = 1;
  for (size_t g = 0; g < k; ++g) {
    for (const Range& r : groups[g].ranges) {
      for (unsigned long v = r.lo;; ++v) {
        std::string s;
        append_number(&s, v, r.width);
        values[g].push_back(std::move(s));
        if (v == r.hi) break;
      }
    }
    total *= values[g].size();
    if (total > kMaxHosts) return fail(error, expr, "expands to more than 4194304 hosts");
  }
  // Loop order: index 0 = outermost.
  std::vector<size_t> order;
  for (size_t g = k - 1; g-- > 0;) order.push_back(g);
  order.push_back(k - 1);
  std::vector<size_t> idx(k, 0);
  hosts->reserve(hosts->size() + total);
  size_t longest = 0;  // one allocation per name
  for (size_t g = 0; g < k; ++g) {
    size_t widest = 0;
    for (const auto& v : values[g]) widest = std::max(widest, v.size());
    longest += groups[g].text_before.size() + widest;
  }
  for (size_t n = 0; n < total; ++n) {
    std::string name;
    name.reserve(longest);
    for (size_t g = 0; g < k; ++g) {
      name += groups[g].text_before;
      name += values[g][idx[g]];
    }
    hosts->push_back(std::move(name));
    for (size_t o = order.size(); o-- > 0;) {  // odometer, innermost first
      const size_t g = order[o];
      if (++idx[g] < values[g].size()) break;
      idx[g] = 0;
    }
  }
  return true;
}

bool expand_token(std::string_view tok, std::vector<std::string>* hosts, std::string_view expr, std::string* error) {
  if (tok.find('[') == std::string_view::npos) {
    hosts->emplace_back(tok);
    return true;
  }
  std::vector<Group> groups;
  size_t pos = 0;
  while (pos < tok.size()) {
    const size_t open = tok.find('[', pos);
    if (open == std::string_view::npos) {
      // Slurm refuses text after the last ']' (e.g. "a[1-2]-eth").
      return fail(error, expr,
                  "text '" + std::string(tok.substr(pos)) + "' after the last ']' in '" + std::string(tok) +
                      "' is not allowed; put the suffix inside the host names or list them");
    }
    const size_t close = tok.find(']', open);
    Group g;
    g.text_before = std::string(tok.substr(pos, open - pos));
    std::string why;
    if (!parse_group(tok.substr(open + 1, close - open - 1), &g.ranges, &why)) return fail(error, expr, why);
    groups.push_back(std::move(g));
    pos = close + 1;
  }
  return emit(groups, hosts, expr, error);
}

}  // namespace

bool expand_hostlist(std::string_view expr, std::vector<std::string>* hosts, std::string* error) {
  hosts->clear();
  size_t i = 0;
  while (i < expr.size()) {
    while (i < expr.size() && is_sep(expr[i])) ++i;
    if (i >= expr.size()) break;
    const size_t start = i;
    int depth = 0;
    for (; i < expr.size() && (depth > 0 || !is_sep(expr[i])); ++i) {
      if (expr[i] == '[') {
        if (++depth > 1) return fail(error, expr, "nested '[' at offset " + std::to_string(i) + "; brackets do not nest");
      } else if (expr[i] == ']') {
        if (--depth < 0) return fail(error, expr, "']' at offset " + std::to_string(i) + " has no matching '['");
      }
    }
    if (depth != 0) {
      return fail(error, expr, "'[' at offset " + std::to_string(expr.find('[', start)) + " is never closed; add ']'");
    }
    if (!expand_token(expr.substr(start, i - start), hosts, expr, error)) return false;
    if (hosts->size() > kMaxHosts) return fail(error, expr, "expands to more than 4194304 hosts");
  }
  return true;
}

bool expand_tasks_per_node(std::string_view expr, std::vector<int>* counts, std::string* error) {
  counts->clear();
  auto bad = [&](std::string_view part) {
    if (error) {
      *error = "tasks-per-node '" + std::string(expr) + "': item '" + std::string(part) +
               "' is malformed; expected COUNT or COUNT(xREPEAT), comma-separated, e.g. 32(x16),16";
    }
    return false;
  };
  auto number = [](std::string_view s, unsigned long* v) {
    if (s.empty() || s.size() > 9) return false;
    unsigned long r = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return false;
      r = r * 10 + static_cast<unsigned long>(c - '0');
    }
    *v = r;
    return true;
  };
  if (expr.empty()) return bad(expr);
  size_t start = 0;
  while (true) {
    const size_t comma = expr.find(',', start);
    const std::string_view part = expr.substr(start, comma == std::string_view::npos ? expr.npos : comma - start);
    unsigned long count = 0, repeat = 1;
    const size_t paren = part.find('(');
    if (paren == std::string_view::npos) {
      if (!number(part, &count)) return bad(part);
    } else {
      if (part.size() < paren + 4 || part.substr(paren, 2) != "(x" || part.back() != ')') return bad(part);
      if (!number(part.substr(0, paren), &count) || !number(part.substr(paren + 2, part.size() - paren - 3), &repeat) ||
          repeat == 0) {
        return bad(part);
      }
    }
    if (counts->size() + repeat > kMaxHosts) return bad(part);
    counts->insert(counts->end(), repeat, static_cast<int>(count));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return true;
}

}  // namespace trn
