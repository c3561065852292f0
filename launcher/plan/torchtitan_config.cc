#include "launcher/plan/torchtitan_config.h"

#include <cstdint>

#include "common/fs.h"
#include "launcher/plan/count_math.h"

// toml++ in its header-only mode (configure checks for the header; nothing to link), and
// without exceptions: a parse error is a value we turn into a Problem.
// Its asserts are made inert: Debian's 3.3.0 asserts a precondition of parse_key() that
// malformed input breaks ("[# x": found by tests/fuzz/fuzz_torchtitan_config), where the
// code right after reports a parse error anyway. An assert must not abort `trn-train
// plan`, nor, under NDEBUG, turn into an optimiser assumption (TOML_ASSERT_ASSUME); this
// is the only file that includes toml++, so the choice is one for the whole program.
#ifdef NDEBUG
#undef NDEBUG
#endif
#define TOML_ASSERT(expr) static_cast<void>(0)
#define TOML_HEADER_ONLY 1
#define TOML_EXCEPTIONS 0
#include <toml++/toml.h>

namespace trn {
namespace {

std::string s(long long v) { return std::to_string(v); }

struct IntKey {
  const char* section;
  const char* key;
  long long* out;
  long long min;  // -1 admits TorchTitan's "derive it" value
};

}  // namespace

bool parse_torchtitan_config(const std::string& text, const std::string& path, TorchTitanConfig* out,
                             Problems* problems) {
  const size_t before = problems->size();
  out->path = path;
  // ASCII only: Debian's toml++ 3.3.0 reaches __builtin_unreachable() classifying some
  // non-ASCII characters (is_non_ascii_horizontal_whitespace on U+0451, found by
  // tests/fuzz/fuzz_torchtitan_config), which is undefined behaviour, not an error. Its
  // classification is only asked for bytes >= 0x80; TorchTitan's configs are ASCII.
  for (size_t i = 0, line = 1; i < text.size(); ++i) {
    if (text[i] == '\n') ++line;
    if (static_cast<unsigned char>(text[i]) >= 0x80) {
      problems->push_back({path, "line " + s(static_cast<long long>(line)),
                           "has a non-ASCII character; trn-train reads TorchTitan's TOML as ASCII (toml++ 3.3.0 "
                           "misreads some Unicode): write it in ASCII, comments included"});
      return false;
    }
  }
  toml::parse_result parsed = toml::parse(text, path);
  if (!parsed) {
    const toml::parse_error& e = parsed.error();
    problems->push_back({path, "line " + s(e.source().begin.line),
                         "is not valid TOML (" + std::string(e.description()) + "); fix the file"});
    return false;
  }
  const toml::table& root = parsed.table();
  for (const char* section : {"parallelism", "training"}) {
    if (const toml::node* n = root.get(section); n && !n->is_table()) {
      problems->push_back({path + ": " + section, "(not a table)", "must be a [" + std::string(section) + "] table"});
    }
  }
  const IntKey keys[] = {
      {"parallelism", "data_parallel_replicate_degree", &out->dp_replicate, 1},
      {"parallelism", "data_parallel_shard_degree", &out->dp_shard, -1},
      {"parallelism", "tensor_parallel_degree", &out->tp, 1},
      {"parallelism", "pipeline_parallel_degree", &out->pp, 1},
      {"parallelism", "context_parallel_degree", &out->cp, 1},
      {"parallelism", "expert_parallel_degree", &out->ep, 1},
      {"parallelism", "expert_tensor_parallel_degree", &out->etp, 1},
      {"training", "local_batch_size", &out->local_batch_size, 1},
      {"training", "global_batch_size", &out->global_batch_size, -1},
  };
  constexpr long long kMax = 1LL << 30;
  for (const IntKey& k : keys) {
    const toml::node* n = root.at_path(std::string(k.section) + "." + k.key).node();
    if (!n) continue;
    const std::string name = path + ": " + k.section + "." + k.key;
    const std::optional<int64_t> v = n->is_integer() ? n->value<int64_t>() : std::nullopt;
    if (!v || *v > kMax || *v < k.min || *v == 0) {
      std::string shown = v ? s(*v) : "(not a whole number)";
      if (!v)
        if (auto str = n->value<std::string>()) shown = "\"" + *str + "\" (a string)";
      problems->push_back({name, shown,
                           k.min < 0 ? "must be -1 (TorchTitan derives it) or a whole number from 1 to " + s(kMax)
                                     : "must be a whole number from 1 to " + s(kMax)});
      continue;
    }
    *k.out = *v;
  }
  return problems->size() == before;
}

bool read_torchtitan_config(const std::string& path, TorchTitanConfig* out, Problems* problems) {
  std::string text, error;
  if (!read_file(path, &text, &error)) {
    problems->push_back({"launch.torchtitan_config", path,
                         "cannot be read (" + error + "); name TorchTitan's TOML job config, relative to the "
                         "trn-train config's folder or absolute"});
    return false;
  }
  return parse_torchtitan_config(text, path, out, problems);
}

void check_torchtitan_world(const TorchTitanConfig& c, long long nodes, long long procs_per_node, Problems* out) {
  const auto world_opt = product({nodes, procs_per_node});
  if (!world_opt) return;  // the plan reports a bad world itself
  const long long world = *world_opt;
  const std::string world_text =
      "the world size " + s(world) + " (" + s(nodes) + " nodes x " + s(procs_per_node) + " workers per node)";
  const std::string par = c.path + ": parallelism.";
  const auto mp = product({c.dp_replicate, c.cp, c.tp, c.pp});
  long long shard = c.dp_shard;
  if (c.dp_shard < 0) {
    // TorchTitan: dp_shard = world // (replicate*cp*tp*pp), then the product must be the world.
    if (!mp || world % *mp != 0) {
      out->push_back({par + "data_parallel_shard_degree", "-1",
                      "leaves data_parallel_replicate_degree*context*tensor*pipeline = " + s(c.dp_replicate) + "*" +
                          s(c.cp) + "*" + s(c.tp) + "*" + s(c.pp) + (mp ? " = " + s(*mp) : std::string(" (too large)")) +
                          ", which must divide " + world_text + "; change the degrees or the node count"});
      return;
    }
    shard = world / *mp;
  } else if (const auto all = product({c.dp_replicate, c.dp_shard, c.cp, c.tp, c.pp}); !all || *all != world) {
    out->push_back({par + "data_parallel_shard_degree",
                    s(c.dp_shard) + " (replicate*shard*context*tensor*pipeline = " + s(c.dp_replicate) + "*" +
                        s(c.dp_shard) + "*" + s(c.cp) + "*" + s(c.tp) + "*" + s(c.pp) +
                        (all ? " = " + s(*all) : std::string(" (too large)")) + ")",
                    "the product must equal " + world_text + "; set data_parallel_shard_degree = -1 to let "
                    "TorchTitan use the ranks left over, or change the degrees or the node count"});
    return;
  }
  if (c.ep > 1) {
    if (c.etp != c.tp && c.etp != 1) {
      out->push_back({par + "expert_tensor_parallel_degree", s(c.etp),
                      "must be 1 or tensor_parallel_degree (" + s(c.tp) + ") when expert_parallel_degree > 1"});
    } else if (const auto inner = product({shard, c.cp, c.tp}), outer = product({c.etp, c.ep});
               !inner || !outer || *inner % *outer != 0) {
      out->push_back({par + "expert_parallel_degree", s(c.ep),
                      "expert_parallel_degree*expert_tensor_parallel_degree = " + s(c.ep) + "*" + s(c.etp) +
                          " must divide data_parallel_shard_degree*context*tensor = " + s(shard) + "*" + s(c.cp) +
                          "*" + s(c.tp) + "; change the expert degrees"});
    }
  }
  const auto unit = product({c.local_batch_size, c.dp_replicate, shard});
  if (c.global_batch_size > 0 && (!unit || c.global_batch_size % *unit != 0)) {
    out->push_back({c.path + ": training.global_batch_size", s(c.global_batch_size),
                    "must be a multiple of local_batch_size*data-parallel degree = " + s(c.local_batch_size) + "*" +
                        s(c.dp_replicate * shard) + (unit ? " = " + s(*unit) : std::string()) +
                        " (TorchTitan asserts it after every worker started); change it, or set -1 for one "
                        "gradient-accumulation step"});
  }
}

}  // namespace trn
