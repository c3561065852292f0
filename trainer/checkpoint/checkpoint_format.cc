#include "trainer/checkpoint/checkpoint_format.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <functional>

#include "cache/checksum.h"

namespace trn::native {
namespace {

constexpr std::string_view kMagic = "trn-train native checkpoint 2\n";
constexpr std::string_view kFormat1 = "TRNCKPT1";
constexpr const char* kIdentityKeys[] = {"step", "parameters", "shape", "layout"};
constexpr const char* kPayloadKeys[] = {"payload_bytes", "payload_sha256"};
constexpr const char* kOptionalKey = "consumed_samples";
constexpr const char* kStartFresh = "move it away to start fresh";
constexpr size_t kChunkFloats = 1 << 20;  // 4 MiB reads: hashing and reading a big state in step

bool refuse(Problem* problem, std::string value, std::string fix) {
  *problem = {"checkpoint header", std::move(value), std::move(fix)};
  return false;
}

std::vector<float>* part(TrainState* s, int i) { return i == 0 ? &s->params : i == 1 ? &s->m : &s->v; }

}  // namespace

// A decimal in [lo, hi], nothing else (no sign, no spaces, no leading zeros beyond "0").
bool parse_count(const std::string& s, unsigned long long lo, unsigned long long hi, unsigned long long* out) {
  if (s.empty() || s.size() > 20 || (s.size() > 1 && s[0] == '0')) return false;
  unsigned long long v = 0;
  for (char c : s) {
    if (c < '0' || c > '9' || __builtin_mul_overflow(v, 10ULL, &v) || __builtin_add_overflow(v, c - '0', &v))
      return false;
  }
  *out = v;
  return v >= lo && v <= hi;
}

bool is_sha256_hex(const std::string& s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

CheckpointIdentity CheckpointIdentity::of(const ModelShape& s) {
  CheckpointIdentity id;
  id.parameters = ParameterLayout(s).total;
  id.shape = "vocab_size " + std::to_string(s.vocab_size) + ", hidden_size " + std::to_string(s.hidden_size) +
             ", intermediate_size " + std::to_string(s.intermediate_size) + ", num_hidden_layers " +
             std::to_string(s.num_layers) + ", num_attention_heads " + std::to_string(s.num_heads) +
             ", num_key_value_heads " + std::to_string(s.num_kv_heads);
  // Bump the version when ParameterLayout's tensor order or the optimizer state changes.
  id.layout = cache::sha256_hex("llama-layout/1 tok_emb,{attn_norm,wq,wk,wv,wo,ffn_norm,w1,w3,w2}xL,final_norm,"
                                "lm_head; adamw fp32 m,v; " + id.shape);
  return id;
}

std::string checkpoint_header_text(const CheckpointHeader& h) {
  return std::string(kMagic) + "step=" + std::to_string(h.step) + "\nparameters=" +
         std::to_string(h.identity.parameters) + "\nshape=" + h.identity.shape + "\nlayout=" + h.identity.layout +
         "\npayload_bytes=" + std::to_string(h.payload_bytes) + "\npayload_sha256=" + h.payload_sha256 + "\n" +
         (h.consumed_samples >= 0 ? "consumed_samples=" + std::to_string(h.consumed_samples) + "\n" : "") + "\n";
}

bool read_header_fields(std::string_view bytes, std::string_view magic, size_t max_bytes,
                        const std::function<bool(const std::string&)>& known, HeaderFields* fields,
                        size_t* header_bytes, Problem* problem) {
  const size_t end = bytes.substr(0, max_bytes).find("\n\n");
  if (bytes.substr(0, magic.size()) != magic || end == std::string_view::npos)
    return refuse(problem, "(no end of header in the first " + std::to_string(max_bytes) + " bytes)",
                  "the file is damaged; " + std::string(kStartFresh));
  fields->clear();
  for (size_t at = magic.size(); at < end + 1;) {
    const size_t nl = bytes.find('\n', at);
    const std::string_view line = bytes.substr(at, nl - at);
    const size_t eq = line.find('=');
    const std::string key(line.substr(0, eq));
    if (eq == std::string_view::npos || !known(key) || !fields->emplace(key, std::string(line.substr(eq + 1))).second)
      return refuse(problem, std::string(line.substr(0, 80)), "not a header line of this format (unknown, repeated "
                                                               "or without '='); the file is damaged");
    at = nl + 1;
  }
  *header_bytes = end + 2;
  return true;
}

bool read_identity_fields(HeaderFields& fields, CheckpointHeader* h, Problem* problem) {
  for (const char* key : kIdentityKeys)
    if (!fields.count(key)) return refuse(problem, std::string("(no ") + key + ")", "the file is damaged");
  unsigned long long step = 0, params = 0;
  if (!parse_count(fields["step"], 1, kMaxCheckpointStep, &step))
    return refuse(problem, "step=" + fields["step"].substr(0, 40),
                  "not a step from 1 to " + std::to_string(kMaxCheckpointStep) + "; the file is damaged");
  if (!parse_count(fields["parameters"], 1, (1ULL << 62) / 12, &params))
    return refuse(problem, "parameters=" + fields["parameters"].substr(0, 40),
                  "not a parameter count; the file is damaged");
  if (!is_sha256_hex(fields["layout"])) return refuse(problem, "(layout not 64 hex digits)", "the file is damaged");
  if (fields["shape"].empty() || fields["shape"].size() > 400)
    return refuse(problem, "shape=" + fields["shape"].substr(0, 80), "not a model shape; the file is damaged");
  unsigned long long consumed = 0;
  if (fields.count(kOptionalKey) && !parse_count(fields[kOptionalKey], 0, 1ULL << 62, &consumed))
    return refuse(problem, "consumed_samples=" + fields[kOptionalKey].substr(0, 40),
                  "not a sample count; the file is damaged");
  h->consumed_samples = fields.count(kOptionalKey) ? static_cast<long long>(consumed) : -1;
  h->step = static_cast<long long>(step);
  h->identity = {params, fields["shape"], fields["layout"]};
  return true;
}

bool read_checkpoint_header(std::string_view bytes, CheckpointHeader* out, Problem* problem) {
  if (bytes.substr(0, kFormat1.size()) == kFormat1)
    return refuse(problem, "(format 1)", "written by an earlier trn-train, without shape record or checksum; " +
                                             std::string(kStartFresh));
  if (bytes.substr(0, kMagic.size()) != kMagic)
    return refuse(problem, "(not a trn-train native checkpoint)", kStartFresh);
  HeaderFields fields;
  CheckpointHeader h;
  const auto known = [](const std::string& key) {
    return key == kPayloadKeys[0] || key == kPayloadKeys[1] || key == kOptionalKey ||
           std::find(std::begin(kIdentityKeys), std::end(kIdentityKeys), key) != std::end(kIdentityKeys);
  };
  if (!read_header_fields(bytes, kMagic, kMaxCheckpointHeader, known, &fields, &h.header_bytes, problem) ||
      !read_identity_fields(fields, &h, problem))
    return false;
  for (const char* key : kPayloadKeys)
    if (!fields.count(key)) return refuse(problem, std::string("(no ") + key + ")", "the file is damaged");
  const unsigned long long params = h.identity.parameters;
  unsigned long long payload = 0;
  if (!parse_count(fields["payload_bytes"], params * 12, params * 12, &payload))
    return refuse(problem, "payload_bytes=" + fields["payload_bytes"].substr(0, 40),
                  "must be 12 x parameters = " + std::to_string(params * 12) + "; the file is damaged");
  if (!is_sha256_hex(fields["payload_sha256"]))
    return refuse(problem, "(payload_sha256 not 64 hex digits)", "the file is damaged");
  h.payload_bytes = payload;
  h.payload_sha256 = fields["payload_sha256"];
  *out = h;
  return true;
}

std::string write_checkpoint_file(const std::string& path, const CheckpointIdentity& id, const TrainState& state) {
  cache::Sha256 sha;
  for (const auto* v : {&state.params, &state.m, &state.v}) sha.update(v->data(), v->size() * sizeof(float));
  CheckpointHeader h;
  h.step = state.step;
  h.identity = id;
  h.payload_bytes = 3 * state.params.size() * sizeof(float);
  h.payload_sha256 = sha.hex_digest();
  if (h.payload_sha256.empty()) return "cannot checksum " + path + ": " + sha.error();
  h.consumed_samples = state.consumed_samples;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  const std::string header = checkpoint_header_text(h);
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  for (const auto* v : {&state.params, &state.m, &state.v})
    out.write(reinterpret_cast<const char*>(v->data()), static_cast<std::streamsize>(v->size() * sizeof(float)));
  out.close();
  return out ? "" : "cannot write " + path + " (disk full or not writable?)";
}

bool identity_matches(const std::string& path, const CheckpointIdentity& got, const CheckpointIdentity& want,
                      Problem* problem) {
  if (got.shape != want.shape)
    *problem = {path, got.shape, "it belongs to another model shape (this model: " + want.shape + "); " +
                                     kStartFresh + " or set the shape it was trained with"};
  else if (got.parameters != want.parameters || got.layout != want.layout)
    *problem = {path, "layout " + got.layout.substr(0, 12),
                "written with another parameter or optimizer-state layout (this trainer: " +
                    want.layout.substr(0, 12) + "); " + kStartFresh};
  else
    return true;
  return false;
}

bool values_usable(const std::string& path, int part, const float* x, size_t n, size_t first_index,
                   Problem* problem) {
  const char* names[] = {"parameters", "AdamW m", "AdamW v"};
  const float* bad = std::find_if(x, x + n, [&](float f) { return !std::isfinite(f) || (part == 2 && f < 0); });
  if (bad == x + n) return true;
  *problem = {path, std::string(names[part]) + " hold " + std::to_string(*bad) + " at index " +
                        std::to_string(first_index + static_cast<size_t>(bad - x)),
              "written by a run that had diverged, or not by trn-train; " + std::string(kStartFresh)};
  return false;
}

bool read_checkpoint_file(const std::string& path, const CheckpointIdentity& id, TrainState* state,
                          Problem* problem) {
  auto refuse_file = [&](std::string value, std::string fix) {
    *problem = {path, std::move(value), std::move(fix)};
    return false;
  };
  std::error_code ec;  // a FIFO or device planted under a checkpoint's name must not hang or flood us
  if (!std::filesystem::is_regular_file(path, ec)) return refuse_file("(not a regular file)", kStartFresh);
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return refuse_file("(unreadable)", "check its permissions, or " + std::string(kStartFresh));
  const uint64_t size = static_cast<uint64_t>(in.tellg());
  std::string head(std::min<uint64_t>(size, kMaxCheckpointHeader), '\0');
  in.seekg(0);
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  CheckpointHeader h;
  if (!in || !read_checkpoint_header(head, &h, problem)) {
    if (!in) *problem = {path, "(unreadable)", kStartFresh};
    problem->key = path;
    return false;
  }
  if (!identity_matches(path, h.identity, id, problem)) return false;
  const uint64_t expected = h.header_bytes + h.payload_bytes;
  if (size != expected)
    return refuse_file(std::to_string(size) + " bytes", std::string(size < expected ? "truncated" : "longer than its "
                                                                    "header says") + ": expected " +
                                                            std::to_string(expected) + "; " + kStartFresh);
  in.seekg(static_cast<std::streamoff>(h.header_bytes));
  cache::Sha256 sha;
  for (int i = 0; i < 3; ++i) {
    std::vector<float>& v = *part(state, i);
    v.resize(id.parameters);
    for (size_t at = 0; at < v.size() && in; at += kChunkFloats) {
      const size_t n = std::min(kChunkFloats, v.size() - at);
      in.read(reinterpret_cast<char*>(v.data() + at), static_cast<std::streamsize>(n * sizeof(float)));
      sha.update(v.data() + at, n * sizeof(float));
    }
  }
  if (!in) return refuse_file("(read error)", kStartFresh);
  const std::string digest = sha.hex_digest();
  if (digest.empty()) return refuse_file("(not hashed)", sha.error());
  if (digest != h.payload_sha256)
    return refuse_file("(checksum mismatch)", "its contents changed after it was written (a flipped bit, an "
                                              "edit, a bad disk); " + std::string(kStartFresh));
  for (int i = 0; i < 3; ++i)
    if (!values_usable(path, i, part(state, i)->data(), id.parameters, 0, problem)) return false;
  state->step = static_cast<int>(h.step);
  state->consumed_samples = h.consumed_samples;  // -1: written before it was recorded
  return true;
}

}  // namespace trn::native
