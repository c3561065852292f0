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

bool is_sep(char c) { return c == ',' || c == ' ' || c == '\t' || c == '\n'; }

bool fail(std::string* error, std::string_view expr, const std::string& what) {
  if (error) *error = "hostlist '" + std::string(expr) + "': " + what;
  return false;
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

}  // namespace

// One "lo[-hi]" item, parsed with strtoul like Slurm so that widths and odd-but-
// accepted spellings (`+1`, ` 1`) give the same names scontrol prints.
bool HostList::parse_range(std::string_view item, Range* out, std::string* why) {
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
bool HostList::parse_group(std::string_view body, Group* g, std::string* why) {
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
    g->ranges.push_back(r);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  g->count = count;
  return true;
}

bool HostList::parse_token(std::string_view tok, Token* t, std::string_view expr, std::string* error) {
  if (tok.find('[') == std::string_view::npos) {
    t->literal = std::string(tok);
    return true;
  }
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
    if (!parse_group(tok.substr(open + 1, close - open - 1), &g, &why)) return fail(error, expr, why);
    t->count *= g.count;
    if (t->count > kMaxHosts) return fail(error, expr, "expands to more than 4194304 hosts");
    t->groups.push_back(std::move(g));
    pos = close + 1;
  }
  // Slurm peels bracket groups off the right end of the prefix, so with groups
  // G1..Gk the loops run G(k-1) outermost, then G(k-2) ... G1, and the last group
  // Gk innermost. For the usual one or two groups this is plain left-to-right order.
  const size_t k = t->groups.size();
  for (size_t g = k - 1; g-- > 0;) t->order.push_back(g);
  t->order.push_back(k - 1);
  return true;
}

bool HostList::parse(std::string_view expr, std::string* error) {
  HostList parsed;
  const bool ok = parsed.parse_all(expr, error);
  *this = ok ? std::move(parsed) : HostList();  // empty on error, never half a list
  return ok;
}

bool HostList::parse_all(std::string_view expr, std::string* error) {
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
    Token t;
    if (!parse_token(expr.substr(start, i - start), &t, expr, error)) return false;
    t.first = total_;
    total_ += t.count;
    if (total_ > kMaxHosts) return fail(error, expr, "expands to more than 4194304 hosts");
    tokens_.push_back(std::move(t));
  }
  return true;
}

HostList HostList::of(std::vector<std::string> names) {
  HostList h;
  h.total_ = names.size();
  h.names_ = std::move(names);
  return h;
}

// Host j of one token: j written in the mixed radix of the groups' sizes (the
// innermost loop varies fastest), each digit picking a value of its group.
void HostList::append_name(const Token& t, size_t j, std::string* out) const {
  if (t.groups.empty()) {
    out->append(t.literal);
    return;
  }
  size_t digit[16];
  std::vector<size_t> many;
  size_t* idx = digit;
  if (t.groups.size() > 16) {
    many.resize(t.groups.size());
    idx = many.data();
  }
  for (size_t o = t.order.size(); o-- > 0;) {
    const size_t g = t.order[o];
    idx[g] = j % t.groups[g].count;
    j /= t.groups[g].count;
  }
  for (size_t g = 0; g < t.groups.size(); ++g) {
    out->append(t.groups[g].text_before);
    size_t v = idx[g];
    for (const Range& r : t.groups[g].ranges) {
      const size_t n = r.hi - r.lo + 1;
      if (v < n) {
        append_number(out, r.lo + v, r.width);
        break;
      }
      v -= n;
    }
  }
}

std::string HostList::at(size_t i) const {
  if (!names_.empty()) return names_[i];
  // The token holding host i: tokens are few, except in explicit comma lists.
  size_t lo = 0, hi = tokens_.size();
  while (hi - lo > 1) {
    const size_t mid = (lo + hi) / 2;
    (tokens_[mid].first <= i ? lo : hi) = mid;
  }
  std::string name;
  append_name(tokens_[lo], i - tokens_[lo].first, &name);
  return name;
}

std::vector<std::string> HostList::expand() const {
  if (!names_.empty()) return names_;
  std::vector<std::string> hosts;
  hosts.reserve(total_);
  for (const Token& t : tokens_) {
    for (size_t j = 0; j < t.count; ++j) {
      std::string name;
      name.reserve(32);
      append_name(t, j, &name);
      hosts.push_back(std::move(name));
    }
  }
  return hosts;
}

namespace {

// Walks "32(x16),16" run by run: f(count, repeat) for each item.
template <typename F>
bool for_each_tasks_run(std::string_view expr, std::string* error, F&& f) {
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
  size_t start = 0, nodes = 0;
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
    nodes += repeat;
    if (nodes > kMaxHosts) return bad(part);
    f(static_cast<int>(count), static_cast<size_t>(repeat));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return true;
}

}  // namespace

bool tasks_on_node(std::string_view expr, size_t node, int* count, size_t* nodes, std::string* error) {
  size_t seen = 0;
  *count = 0;
  const bool ok = for_each_tasks_run(expr, error, [&](int c, size_t repeat) {
    if (node >= seen && node < seen + repeat) *count = c;
    seen += repeat;
  });
  *nodes = ok ? seen : 0;
  return ok;
}

}  // namespace trn
