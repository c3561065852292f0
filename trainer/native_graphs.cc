#include "trainer/native_graphs.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>

#include "cache/compile_cache.h"
#include "cache/compile_scheduler.h"
#include "cache/compiler_runner.h"
#include "common/config/cache_location.h"
#include "common/config/site_file.h"

namespace trn::native {

extern const char kAttentionKernelSource[];  // trainer/attention_kernel.h, embedded at build time

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

const std::vector<std::string> kFlags = {"-O3", "-std=c++17", "-shared", "-fPIC"};

struct Prepared {
  std::unique_ptr<CompileCache> cache;
  std::string compiler;
  CacheKey key;
  std::string graph_path;  // the source, written to a private temp file
  ~Prepared() {
    if (!graph_path.empty()) {
      ::unlink(graph_path.c_str());
      ::rmdir(graph_path.substr(0, graph_path.rfind('/')).c_str());
    }
  }
};

bool prepare(const ModelShape& shape, const CacheSettings& settings, Prepared* p, std::string* error) {
  cache::CompilerIdentity id;
  if (!host_compiler(&p->compiler, &id, error)) return false;
  const std::string source = attention_graph_source(shape);
  p->key = cache::make_key(id, kFlags, source);
  cache::CacheOptions options;
  static_cast<CacheSettings&>(options) = settings;
  if (!CompileCache::open(options, &p->cache, error)) return false;
  char tmpl[] = "/tmp/trn-native-graph.XXXXXX";
  if (!::mkdtemp(tmpl)) {
    *error = "cannot create a temporary folder under /tmp for the graph source";
    return false;
  }
  p->graph_path = std::string(tmpl) + "/attention.cc";
  std::ofstream(p->graph_path) << source;
  return true;
}

cache::CompileFn compile_fn(const std::string& compiler) {
  std::vector<std::string> argv = {compiler};
  argv.insert(argv.end(), kFlags.begin(), kFlags.end());
  argv.insert(argv.end(), {"-x", "c++", "{in}", "-o", "{out}"});
  return cache::command_compiler(argv);
}

}  // namespace

std::string attention_graph_source(const ModelShape& s) {
  std::ostringstream o;
  o << "// trn-train native graph: attention for T=" << s.seq_length << " NH=" << s.num_heads
    << " NKV=" << s.num_kv_heads << " HS=" << s.head_dim() << "\n"
    << kAttentionKernelSource << "\n"
    << "using Dims = trn::native::kernels::FixedDims<" << s.seq_length << ", " << s.num_heads << ", "
    << s.num_kv_heads << ", " << s.head_dim() << ">;\n"
    << "extern \"C\" void trn_attention_forward(float* out, float* att, const float* q, const float* k,\n"
    << "                                      const float* v, int B) {\n"
    << "  trn::native::kernels::attention_forward(Dims{}, out, att, q, k, v, B);\n}\n"
    << "extern \"C\" void trn_attention_backward(float* dq, float* dk, float* dv, const float* dout,\n"
    << "                                       const float* att, const float* q, const float* k,\n"
    << "                                       const float* v, int B) {\n"
    << "  trn::native::kernels::attention_backward(Dims{}, dq, dk, dv, dout, att, q, k, v, B);\n}\n";
  return o.str();
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

int compile_graphs(const ModelShape& shape, const CacheSettings& cache, int mpi_rank, std::string* error) {
  Prepared p;
  if (!prepare(shape, cache, &p, error)) return -1;
  cache::RankInfo me = cache::RankInfo::from_env();
  if (me.nodes <= 1 && me.rank == 0) me.rank = mpi_rank;  // not under Slurm: MPI rank 0 reports
  cache::ScheduleOptions opt;
  const auto summary = cache::compile_distributed(*p.cache, {{p.graph_path, p.key}}, compile_fn(p.compiler), me, opt);
  for (const auto& f : summary.failures) *error += f + "\n";
  return summary.failed;
}

bool load_graphs(const ModelShape& shape, const CacheSettings& cache, AttentionKernels* kernels, std::string* error) {
  Prepared p;
  if (!prepare(shape, cache, &p, error)) return false;
  const cache::CacheResult r = p.cache->get_or_compile(p.key, p.graph_path, compile_fn(p.compiler));
  if (!r.ok()) {
    *error = r.message;
    return false;
  }
  // Kept loaded for the life of the process: the model calls into it every step.
  void* so = ::dlopen(r.artifact_path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!so) {
    *error = "cannot load " + r.artifact_path + ": " + ::dlerror();
    return false;
  }
  kernels->forward = reinterpret_cast<AttentionKernels::Forward>(::dlsym(so, "trn_attention_forward"));
  kernels->backward = reinterpret_cast<AttentionKernels::Backward>(::dlsym(so, "trn_attention_backward"));
  if (!kernels->forward || !kernels->backward) {
    *kernels = AttentionKernels{};
    *error = r.artifact_path + " lacks the trn_attention_* entry points";
    return false;
  }
  return true;
}

}  // namespace trn::native
