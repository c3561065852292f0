#include "trainer/model/native_graphs.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>

#include "cache/compile_cache.h"
#include "cache/compile_scheduler.h"
#include "cache/compiler_runner.h"
#include "common/config/cache_location.h"
#include "common/config/site_file.h"
#include "trainer/model/graph_isa.h"

namespace trn::native {

extern const char kKernelSource[];  // trainer/kernels/*.h, embedded at build time

namespace {

using cache::CacheKey;
using cache::CompileCache;

// The host compiler: $TRN_NATIVE_CXX or c++, found on PATH. Its identity in the
// cache key is a hash of the binary, so a compiler upgrade never reuses old graphs.
bool host_compiler(std::string* path, cache::CompilerIdentity* id, std::string* error) {
  const char* env = std::getenv("TRN_NATIVE_CXX");
  const std::string name = env && *env ? env : "c++";
  std::string found = name;
  if (name.find('/') == std::string::npos) {
    found.clear();
    std::istringstream dirs(std::getenv("PATH") ? std::getenv("PATH") : "/usr/bin");
    for (std::string dir; std::getline(dirs, dir, ':');)
      if (!dir.empty() && ::access((dir + "/" + name).c_str(), X_OK) == 0) {
        found = dir + "/" + name;
        break;
      }
  }
  if (found.empty() || !cache::compiler_identity_from_binary("native-c++", found, id, error)) {
    *error = "host compiler '" + name + "' not found or unreadable (install g++, or set TRN_NATIVE_CXX)";
    return false;
  }
  *path = found;
  return true;
}

// -fopenmp: the kernels run on the trainer's OpenMP team (trainer/model/threads.h);
// -fno-trapping-math as for the generic kernels (trainer/module.mk); -march: the
// instruction-set level (trainer/model/graph_isa.h), in the key with the other flags.
std::vector<std::string> graph_flags(const std::string& isa) {
  std::vector<std::string> flags = {"-O3", "-std=c++17", "-shared", "-fPIC", "-fopenmp", "-fno-trapping-math"};
  if (!isa.empty()) flags.push_back("-march=" + isa);
  return flags;
}

// The cache, the compiler, and each graph's key and source file (private temp folder).
struct Prepared {
  std::unique_ptr<CompileCache> cache;
  std::string compiler;
  std::string isa;  // "" off x86-64
  std::vector<std::string> flags;
  std::string dir;
  std::vector<Graph> graphs;
  std::vector<cache::GraphJob> jobs;
  ~Prepared() {
    for (const auto& j : jobs) ::unlink(j.path.c_str());
    if (!dir.empty()) ::rmdir(dir.c_str());
  }
};

bool prepare(const ModelShape& shape, const CacheSettings& settings, const std::optional<std::string>& isa,
             Prepared* p, std::string* error) {
  if (isa) p->isa = *isa;
  else if (!graph_isa(&p->isa, error)) return false;
  p->flags = graph_flags(p->isa);
  cache::CompilerIdentity id;
  if (!host_compiler(&p->compiler, &id, error)) return false;
  cache::CacheOptions options;
  static_cast<CacheSettings&>(options) = settings;
  if (!CompileCache::open(options, &p->cache, error)) return false;
  char tmpl[] = "/tmp/trn-native-graph.XXXXXX";
  if (!::mkdtemp(tmpl)) {
    *error = "cannot create a temporary folder under /tmp for the graph sources";
    return false;
  }
  p->dir = tmpl;
  p->graphs = graph_list(shape);
  for (const auto& g : p->graphs) {
    const std::string path = p->dir + "/" + g.kernel + ".cc";
    std::ofstream(path) << g.source;
    p->jobs.push_back({path, cache::make_key(id, p->flags, g.source)});
  }
  return true;
}

cache::CompileFn compile_fn(const Prepared& p) {
  std::vector<std::string> argv = {p.compiler};
  argv.insert(argv.end(), p.flags.begin(), p.flags.end());
  argv.insert(argv.end(), {"-x", "c++", "{in}", "-o", "{out}"});
  return cache::command_compiler(argv);
}

// The kinds and the sizes each reads (trainer/kernels/*.h).
struct Kind {
  const char* name;
  std::vector<std::pair<const char*, int>> sizes;
};
std::vector<Kind> kinds(const ModelShape& s) {
  const std::vector<std::pair<const char*, int>> C = {{"C", s.hidden_size}}, F = {{"F", s.intermediate_size}},
                                                 V = {{"V", s.vocab_size}},
                                                 rope = {{"T", s.seq_length}, {"HS", s.head_dim()}},
                                                 attention = {{"T", s.seq_length}, {"NH", s.num_heads},
                                                              {"NKV", s.num_kv_heads}, {"HS", s.head_dim()}};
  return {{"rmsnorm_forward", C},         {"rmsnorm_backward", C},        {"rope_forward", rope},
          {"rope_backward", rope},        {"attention_forward", attention}, {"attention_backward", attention},
          {"swiglu_forward", F},          {"swiglu_backward", F},         {"crossentropy_forward", V},
          {"crossentropy_backward", V}};
}

// Points *slot at the kernel a loaded graph exports (a pointer variable named
// trn_<kernel>, of the slot's own type).
template <typename Fn>
bool bind(void* so, const std::string& kernel, Fn* slot) {
  void* sym = ::dlsym(so, ("trn_" + kernel).c_str());
  if (!sym) return false;
  *slot = *static_cast<Fn*>(sym);
  return true;
}

bool bind_entry(void* so, const std::string& k, KernelTable* t) {
  if (k == "rmsnorm_forward") return bind(so, k, &t->rmsnorm_forward);
  if (k == "rmsnorm_backward") return bind(so, k, &t->rmsnorm_backward);
  if (k == "rope_forward") return bind(so, k, &t->rope_forward);
  if (k == "rope_backward") return bind(so, k, &t->rope_backward);
  if (k == "attention_forward") return bind(so, k, &t->attention_forward);
  if (k == "attention_backward") return bind(so, k, &t->attention_backward);
  if (k == "swiglu_forward") return bind(so, k, &t->swiglu_forward);
  if (k == "swiglu_backward") return bind(so, k, &t->swiglu_backward);
  if (k == "crossentropy_forward") return bind(so, k, &t->crossentropy_forward);
  return k == "crossentropy_backward" && bind(so, k, &t->crossentropy_backward);
}

}  // namespace

std::vector<Graph> graph_list(const ModelShape& s) {
  std::vector<Graph> out;
  for (const Kind& k : kinds(s)) {
    Graph g{k.name, "", ""};
    std::ostringstream dims;
    for (const auto& [name, value] : k.sizes) {
      g.sizes += (g.sizes.empty() ? "" : " ") + std::string(name) + "=" + std::to_string(value);
      dims << " static constexpr int " << name << " = " << value << ";";
    }
    std::ostringstream o;
    o << "// trn-train native graph: " << g.kernel << " for " << g.sizes << "\n"
      << kKernelSource << "\n"
      << "namespace {\nstruct Dims {" << dims.str() << " };\n}  // namespace\n"
      << "extern \"C\" {\ndecltype(&trn::native::kernels::Bound<Dims>::" << g.kernel << ") trn_" << g.kernel
      << " = &trn::native::kernels::Bound<Dims>::" << g.kernel << ";\n}\n";
    g.source = o.str();
    out.push_back(std::move(g));
  }
  return out;
}

CacheSettings graph_cache_settings(const std::string& config_url, const EnvMap& env, Problems* problems) {
  config::SiteConfig site;
  config::load_site_config(env, &site, problems);
  config::CacheSources sources;
  sources.config_url = config_url;
  sources.site_root = site.cache_root, sources.site_group = site.cache_group;
  sources.site_max_size = site.cache_max_size, sources.site_path = site.path;
  return config::resolve_cache_settings(sources, env, problems);
}

int compile_graphs(const ModelShape& shape, const CacheSettings& cache, int mpi_rank, std::string* error,
                   const std::optional<std::string>& isa) {
  Prepared p;
  if (!prepare(shape, cache, isa, &p, error)) return -1;
  if (mpi_rank == 0)
    std::printf("native: graphs for %s (this CPU: %s)\n", p.isa.empty() ? "the compiler's default" : p.isa.c_str(),
                isa_name(host_isa_level()).c_str());
  cache::RankInfo me = cache::RankInfo::from_env();
  if (me.nodes <= 1 && me.rank == 0) me.rank = mpi_rank;  // not under Slurm: MPI rank 0 reports
  cache::ScheduleOptions opt;
  const auto summary = cache::compile_distributed(*p.cache, p.jobs, compile_fn(p), me, opt);
  for (const auto& f : summary.failures) *error += f + "\n";
  return summary.failed;
}

std::optional<GraphOrigins> load_graphs(const ModelShape& shape, const CacheSettings& cache, KernelTable* kernels,
                                        std::string* error, const std::optional<std::string>& isa) {
  Prepared p;
  if (!prepare(shape, cache, isa, &p, error)) return std::nullopt;
  KernelTable loaded;
  GraphOrigins counted;
  for (size_t i = 0; i < p.jobs.size(); ++i) {
    const cache::CacheResult r = p.cache->get_or_compile(p.jobs[i].key, p.jobs[i].path, compile_fn(p));
    if (!r.ok()) {
      *error = r.message;
      return std::nullopt;
    }
    ++(r.outcome == cache::Outcome::kCompiled ? counted.compiled : counted.from_cache);
    // Kept loaded for the life of the process: the model calls into it every step.
    void* so = ::dlopen(r.artifact_path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!so) {
      *error = "cannot load " + r.artifact_path + ": " + ::dlerror();
      return std::nullopt;
    }
    if (!bind_entry(so, p.graphs[i].kernel, &loaded)) {
      *error = r.artifact_path + " lacks the trn_" + p.graphs[i].kernel + " entry point";
      return std::nullopt;
    }
  }
  *kernels = loaded;
  return counted;
}

}  // namespace trn::native
