// Slurm hostlist and tasks-per-node expressions, parsed in C++ (never `scontrol`).
//
// Grammar as in Slurm's src/common/hostlist.c: comma-separated items, each a prefix
// followed by zero or more bracket groups "[a-b,c,...]" (ranges keep zero padding,
// several groups form a cartesian product in order), optional suffix; duplicates are
// kept; results match `scontrol show hostnames` item for item.
// Both functions are exception-free because the SPANK plugin uses them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace trn {

// A parsed hostlist that names its hosts on demand: planning a 4096-node step
// needs the count, the first host and this node's host, not 4096 strings.
// "trn1-st-trn1-[1-4,7],head" -> "trn1-st-trn1-1", ..., "trn1-st-trn1-7", "head".
// parse() returns false and fills *error (quoting the expression and the bad part)
// when the expression is malformed; at(i) == expand()[i].
class HostList {
 public:
  bool parse(std::string_view expr, std::string* error);
  static HostList of(std::vector<std::string> names);  // already expanded (OMPI, Batch, torchrun lists)
  size_t size() const { return total_; }
  bool empty() const { return total_ == 0; }
  std::string at(size_t i) const;  // requires i < size()
  std::string front() const { return at(0); }
  std::vector<std::string> expand() const;

 private:
  struct Range {
    unsigned long lo = 0, hi = 0;
    int width = 0;  // zero padding = length of the low bound as written
  };
  struct Group {
    std::string text_before;  // literal text before this group's '['
    std::vector<Range> ranges;
    size_t count = 0;
  };
  struct Token {
    std::string literal;         // a plain name (no groups)
    std::vector<Group> groups;   // or a product of bracket groups
    std::vector<size_t> order;   // loop order of the groups, outermost first
    size_t first = 0, count = 1; // index of its first host in the list, and how many
  };
  std::vector<Token> tokens_;
  std::vector<std::string> names_;  // set by of()
  size_t total_ = 0;

  bool parse_all(std::string_view expr, std::string* error);
  static bool parse_token(std::string_view tok, Token* t, std::string_view expr, std::string* error);
  static bool parse_group(std::string_view body, Group* g, std::string* why);
  static bool parse_range(std::string_view item, Range* out, std::string* why);
  void append_name(const Token& t, size_t j, std::string* out) const;
};

// "trn1-st-trn1-1,trn1-st-trn1-2,trn1-st-trn1-4" -> "trn1-st-trn1-[1-2,4]": names that
// differ only in a trailing number of the same width share one bracket group, in the
// order given, so HostList::parse of the result expands to `names` again.
std::string compress_hostlist(const std::vector<std::string>& names);

// SLURM_STEP_TASKS_PER_NODE / SLURM_TASKS_PER_NODE ("32(x16),16": 16 nodes of 32, then 16).
// The task count of one node (0-based; 0 when node is past the end) and how many
// nodes the expression names, without building the per-node list.
bool tasks_on_node(std::string_view expr, size_t node, int* count, size_t* nodes, std::string* error);

}  // namespace trn
