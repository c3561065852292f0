#include "trainer/checkpoint/checkpoint_shards.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "cache/checksum.h"
#include "common/fs.h"

namespace trn::native {
namespace {

constexpr std::string_view kManifestMagic = "trn-train native checkpoint 3 manifest\n";
constexpr std::string_view kShardMagic = "trn-train native checkpoint 3 shard\n";
constexpr const char* kStartFresh = "move the checkpoint (manifest and shards) away to start fresh";
constexpr size_t kChunkFloats = 1 << 20;  // 4 MiB reads

bool refuse(Problem* problem, std::string key, std::string value, std::string fix) {
  *problem = {std::move(key), std::move(value), std::move(fix)};
  return false;
}

// The header of a shard file, also what a reader expects to find there, byte for byte.
std::string shard_header(int step, int rank, int ranks, Shard s) {
  return std::string(kShardMagic) + "step=" + std::to_string(step) + "\nrank=" + std::to_string(rank) +
         "\nranks=" + std::to_string(ranks) + "\nbegin=" + std::to_string(s.begin) +
         "\ncount=" + std::to_string(s.size) + "\n\n";
}

// An open regular file (a FIFO or device planted under the name must not hang us).
struct File {
  int fd = -1;
  struct stat st {};
  ~File() {
    if (fd >= 0) ::close(fd);
  }
};

bool pread_all(int fd, void* out, size_t n, uint64_t at) {
  char* p = static_cast<char*>(out);
  while (n > 0) {
    const ssize_t got = ::pread(fd, p, n, static_cast<off_t>(at));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    p += got, n -= static_cast<size_t>(got), at += static_cast<uint64_t>(got);
  }
  return true;
}

// Reads section `part` (0 parameters, 1 m, 2 v) of shard `rank`, checks its checksum,
// and copies [want) of it (global indices, within the shard) to out.
bool read_section(const std::string& manifest_path, const Manifest& man, int rank, int part, Shard want, float* out,
                  Problem* problem) {
  const ShardRecord& rec = man.shards[static_cast<size_t>(rank)];
  const int ranks = static_cast<int>(man.shards.size());
  const std::string path = shard_path(manifest_path, rank, ranks);
  const std::string header = shard_header(static_cast<int>(man.header.step), rank, ranks, rec.range);
  File f;
  std::string error;
  f.fd = open_regular(AT_FDCWD, path, &f.st, &error, Links::kFollow);
  if (f.fd < 0)
    return refuse(problem, path, "(" + error + ")",
                  "a shard the manifest " + manifest_path + " names is missing or unreadable; " + kStartFresh);
  const uint64_t expected = header.size() + 12 * rec.range.size, size = static_cast<uint64_t>(f.st.st_size);
  if (size != expected)
    return refuse(problem, path, std::to_string(size) + " bytes",
                  std::string(size < expected ? "truncated" : "longer than its manifest says") + ": expected " +
                      std::to_string(expected) + "; " + kStartFresh);
  std::string head(header.size(), '\0');
  if (!pread_all(f.fd, head.data(), head.size(), 0) || head != header)
    return refuse(problem, path, "(header not the one the manifest names)",
                  "the shard belongs to another save (expected \"" + header.substr(kShardMagic.size(), 40) +
                      "...\"); " + kStartFresh);
  cache::Sha256 sha;
  std::vector<float> chunk(std::min<uint64_t>(kChunkFloats, rec.range.size));
  const uint64_t base = header.size() + static_cast<uint64_t>(part) * rec.range.size * sizeof(float);
  for (uint64_t at = 0; at < rec.range.size; at += chunk.size()) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(chunk.size(), rec.range.size - at));
    if (!pread_all(f.fd, chunk.data(), n * sizeof(float), base + at * sizeof(float)))
      return refuse(problem, path, "(read error)", kStartFresh);
    sha.update(chunk.data(), n * sizeof(float));
    // The part of [want) in this chunk.
    const uint64_t lo = std::max<uint64_t>(want.begin, rec.range.begin + at);
    const uint64_t hi = std::min<uint64_t>(want.begin + want.size, rec.range.begin + at + n);
    if (lo < hi) std::copy_n(chunk.data() + (lo - rec.range.begin - at), hi - lo, out + (lo - want.begin));
  }
  const std::string digest = sha.hex_digest();
  if (digest.empty()) return refuse(problem, path, "(not hashed)", sha.error());
  if (digest != rec.sha256[part])
    return refuse(problem, path, "(checksum mismatch)",
                  "its contents changed after it was written (a flipped bit, an edit, a bad disk); " +
                      std::string(kStartFresh));
  return values_usable(path, part, out, want.size, want.begin, problem);
}

bool read_sharded(const std::string& path, const CheckpointIdentity& id, bool with_params, Shard slice,
                  TrainState* state, Problem* problem) {
  std::string text, error;
  if (!read_regular_file(path, kMaxManifestBytes, &text, &error, nullptr, Links::kFollow))
    return refuse(problem, path, "(" + error + ")", kStartFresh);
  Manifest man;
  if (!read_manifest_text(text, &man, problem)) {
    problem->key = path;
    return false;
  }
  if (!identity_matches(path, man.header.identity, id, problem)) return false;
  if (with_params) {
    state->params.resize(id.parameters);
    for (size_t r = 0; r < man.shards.size(); ++r) {
      const Shard s = man.shards[r].range;
      if (s.size > 0 && !read_section(path, man, static_cast<int>(r), 0, s, state->params.data() + s.begin, problem))
        return false;
    }
  }
  state->m.resize(slice.size), state->v.resize(slice.size);
  for (size_t r = 0; r < man.shards.size(); ++r) {
    const Shard s = man.shards[r].range;
    const size_t lo = std::max(s.begin, slice.begin), hi = std::min(s.begin + s.size, slice.begin + slice.size);
    if (lo >= hi) continue;  // this shard holds nothing of the slice: not opened
    for (int part : {1, 2}) {
      float* out = (part == 1 ? state->m : state->v).data() + (lo - slice.begin);
      if (!read_section(path, man, static_cast<int>(r), part, {lo, hi - lo}, out, problem)) return false;
    }
  }
  state->step = static_cast<int>(man.header.step);
  state->consumed_samples = man.header.consumed_samples;
  return true;
}

}  // namespace

bool is_manifest(std::string_view head) { return head.substr(0, kManifestMagic.size()) == kManifestMagic; }

std::string shard_record_text(const ShardRecord& r) {
  return std::to_string(r.range.begin) + " " + std::to_string(r.range.size) + " " + r.sha256[0] + " " + r.sha256[1] +
         " " + r.sha256[2];
}

bool read_shard_record(const std::string& text, uint64_t parameters, ShardRecord* out) {
  std::istringstream in(text);
  std::string begin, count, extra;
  unsigned long long b = 0, c = 0;
  if (!(in >> begin >> count >> out->sha256[0] >> out->sha256[1] >> out->sha256[2]) || (in >> extra) ||
      !parse_count(begin, 0, parameters, &b) || !parse_count(count, 0, parameters - b, &c))
    return false;
  out->range = {static_cast<size_t>(b), static_cast<size_t>(c)};
  return is_sha256_hex(out->sha256[0]) && is_sha256_hex(out->sha256[1]) && is_sha256_hex(out->sha256[2]);
}

std::string manifest_text(const Manifest& m) {
  const CheckpointHeader& h = m.header;
  std::string text = std::string(kManifestMagic) + "step=" + std::to_string(h.step) +
                     "\nparameters=" + std::to_string(h.identity.parameters) + "\nshape=" + h.identity.shape +
                     "\nlayout=" + h.identity.layout + "\nconsumed_samples=" + std::to_string(h.consumed_samples) +
                     "\nranks=" + std::to_string(m.shards.size()) + "\n";
  for (size_t r = 0; r < m.shards.size(); ++r)
    text += "shard." + std::to_string(r) + "=" + shard_record_text(m.shards[r]) + "\n";
  return text + "\n";
}

bool read_manifest_text(std::string_view text, Manifest* out, Problem* problem) {
  const std::string key = "checkpoint manifest", damaged = "the manifest is damaged; " + std::string(kStartFresh);
  if (!is_manifest(text)) return refuse(problem, key, "(not a trn-train checkpoint manifest)", kStartFresh);
  const auto known = [](const std::string& k) {
    return k == "step" || k == "parameters" || k == "shape" || k == "layout" || k == "consumed_samples" ||
           k == "ranks" || (k.rfind("shard.", 0) == 0 && k.size() > 6 && k.size() <= 12);
  };
  HeaderFields fields;
  Manifest m;
  if (!read_header_fields(text, kManifestMagic, kMaxManifestBytes, known, &fields, &m.header.header_bytes,
                          problem) ||
      !read_identity_fields(fields, &m.header, problem)) {
    problem->key = key;
    return false;
  }
  if (m.header.header_bytes != text.size())
    return refuse(problem, key, "(" + std::to_string(text.size() - m.header.header_bytes) + " bytes after the end)",
                  damaged);
  unsigned long long ranks = 0;
  if (!parse_count(fields["ranks"], 1, kMaxShards, &ranks))
    return refuse(problem, key, "ranks=" + fields["ranks"].substr(0, 40),
                  "not a rank count from 1 to " + std::to_string(kMaxShards) + "; " + damaged);
  const size_t other = fields.size() - (fields.count("consumed_samples") ? 6 : 5);
  if (other != ranks)
    return refuse(problem, key, std::to_string(other) + " shard lines for ranks=" + std::to_string(ranks), damaged);
  uint64_t next = 0;
  for (unsigned long long r = 0; r < ranks; ++r) {
    const std::string name = "shard." + std::to_string(r);
    ShardRecord rec;
    if (!fields.count(name) || !read_shard_record(fields[name], m.header.identity.parameters, &rec) ||
        rec.range.begin != next)
      return refuse(problem, key, name + "=" + fields[name].substr(0, 40),
                    "not \"<begin> <count> <3 sha256>\" continuing at parameter " + std::to_string(next) + "; " +
                        damaged);
    next += rec.range.size;
    m.shards.push_back(rec);
  }
  if (next != m.header.identity.parameters)
    return refuse(problem, key, "shards cover " + std::to_string(next) + " parameters",
                  "parameters=" + std::to_string(m.header.identity.parameters) + "; " + damaged);
  *out = std::move(m);
  return true;
}

std::string shard_path(const std::string& manifest_path, int rank, int ranks) {
  const std::string stem = manifest_path.substr(0, manifest_path.size() - (manifest_path.size() >= 4 ? 4 : 0));
  return stem + ".shard-" + std::to_string(rank) + "-of-" + std::to_string(ranks) + ".bin";
}

std::string write_shard(const std::string& manifest_path, int step, int rank, int ranks, Shard shard,
                        const float* params, const float* m, const float* v, ShardRecord* record) {
  const std::string path = shard_path(manifest_path, rank, ranks), tmp = temp_name_for(path);
  const std::string header = shard_header(step, rank, ranks, shard);
  record->range = shard;
  std::string error;
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(header.data(), static_cast<std::streamsize>(header.size()));
    int part = 0;
    for (const float* x : {params + shard.begin, m, v}) {
      cache::Sha256 sha;
      sha.update(x, shard.size * sizeof(float));
      record->sha256[part++] = sha.hex_digest();
      if (record->sha256[part - 1].empty()) error = sha.error();
      out.write(reinterpret_cast<const char*>(x), static_cast<std::streamsize>(shard.size * sizeof(float)));
    }
    out.close();
    if (!out) error = "cannot write " + tmp + " (disk full or not writable?)";
  }
  if (error.empty() && commit_file(tmp, path, 0644, &error)) return "";
  ::unlink(tmp.c_str());
  return error;
}

std::string write_manifest(const std::string& path, const Manifest& manifest) {
  const int ranks = static_cast<int>(manifest.shards.size());
  for (int r = 0; r < ranks; ++r) {
    const Shard s = manifest.shards[static_cast<size_t>(r)].range;
    const std::string shard = shard_path(path, r, ranks);
    const uint64_t want = shard_header(static_cast<int>(manifest.header.step), r, ranks, s).size() + 12 * s.size;
    struct stat st;
    if (::stat(shard.c_str(), &st) != 0 || static_cast<uint64_t>(st.st_size) != want)
      return shard + " (written by rank " + std::to_string(r) + ") is not here with its " + std::to_string(want) +
             " bytes: with distributed_strategy.zero1 every rank writes its own shard, so the experiment folder "
             "must be on a filesystem all nodes share; no checkpoint of step " +
             std::to_string(manifest.header.step) + " was published";
  }
  std::string error;
  return write_file_atomic(path, manifest_text(manifest), 0644, &error) ? "" : error;
}

bool read_checkpoint(const std::string& path, const CheckpointIdentity& id, bool with_params, Shard slice,
                     TrainState* state, Problem* problem) {
  std::string head, error;
  {
    File f;
    f.fd = open_regular(AT_FDCWD, path, &f.st, &error, Links::kFollow);
    if (f.fd < 0) return refuse(problem, path, "(" + error + ")", kStartFresh);
    head.resize(std::min<size_t>(kManifestMagic.size(), static_cast<size_t>(f.st.st_size)));
    if (!pread_all(f.fd, head.data(), head.size(), 0)) return refuse(problem, path, "(unreadable)", kStartFresh);
  }
  if (is_manifest(head)) return read_sharded(path, id, with_params, slice, state, problem);
  // A single file (format 2): verified whole, then cut to what this rank keeps.
  std::vector<float> params = with_params ? std::vector<float>() : std::move(state->params);
  if (!read_checkpoint_file(path, id, state, problem)) {
    if (!with_params) state->params = std::move(params);
    return false;
  }
  if (!with_params) state->params = std::move(params);
  if (slice.size != id.parameters)
    for (auto* x : {&state->m, &state->v})
      *x = std::vector<float>(x->begin() + static_cast<long>(slice.begin),
                              x->begin() + static_cast<long>(slice.begin + slice.size));
  return true;
}

}  // namespace trn::native
