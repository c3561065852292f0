#include "cache/entry_layout.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <limits>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/fs.h"
#include "cache/record_fields.h"

namespace trn::cache {

const char* state_name(EntryState s) {
  switch (s) {
    case EntryState::kSuccess: return "SUCCESS";
    case EntryState::kFailed: return "FAILED";
    case EntryState::kLocked: return "LOCKED";
    case EntryState::kEmpty: return "EMPTY";
  }
  return "?";
}

static bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

EntryState classify_entry(const std::string& dir, std::vector<std::string>* locks) {
  bool neff = false, done = false, log = false, locked = false;
  for (const auto& n : list_dir(dir)) {
    if (n == files::kArtifact) neff = true;
    else if (n == files::kDone) done = true;
    else if (n == files::kLog) log = true;
    else if (ends_with(n, ".lock")) {
      locked = true;
      if (locks) locks->push_back(dir + "/" + n);
    }
  }
  if (neff && done) return EntryState::kSuccess;
  if (log && !neff) return EntryState::kFailed;
  if (locked) return EntryState::kLocked;
  return EntryState::kEmpty;
}

bool split_compiler_dir(const std::string& dir, std::string* name, std::string* version) {
  if (dir.empty() || dir[0] == '.') return false;
  auto dash = dir.find('-');
  if (dash == std::string::npos || dash == 0 || dash + 1 >= dir.size()) return false;
  if (name) *name = dir.substr(0, dash);
  if (version) *version = dir.substr(dash + 1);
  return true;
}

std::vector<std::string> list_compiler_dirs(const std::string& root) {
  std::vector<std::string> out;
  for (const auto& n : list_dir(root)) {
    if (!split_compiler_dir(n, nullptr, nullptr) || is_leftover_name(n)) continue;
    struct stat st;  // lstat: a link planted as a version dir is not part of the cache
    if (::lstat((root + "/" + n).c_str(), &st) == 0 && S_ISDIR(st.st_mode)) out.push_back(n);
  }
  return out;
}

std::vector<EntryInfo> scan_entries(const std::string& root, bool with_sizes) {
  std::vector<EntryInfo> out;
  for (const auto& cd : list_compiler_dirs(root)) {
    std::string cpath = root + "/" + cd;
    for (const auto& m : list_dir(cpath)) {
      if (m.rfind("MODULE_", 0) != 0 || is_leftover_name(m)) continue;
      EntryInfo e;
      e.compiler_dir = cd;
      e.module = m;
      e.path = cpath + "/" + m;
      struct stat st;
      if (::lstat(e.path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) continue;  // links are not entries
      e.last_used = double(st.st_mtim.tv_sec) + st.st_mtim.tv_nsec / 1e9;
      e.state = classify_entry(e.path, &e.locks);
      if (::lstat((e.path + "/" + files::kDone).c_str(), &st) == 0)
        e.last_used = double(st.st_mtim.tv_sec) + st.st_mtim.tv_nsec / 1e9;
      if (with_sizes) e.bytes = tree_size(e.path);
      out.push_back(std::move(e));
    }
  }
  return out;
}

int compare_versions(const std::string& a, const std::string& b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (std::isdigit((unsigned char)a[i]) && std::isdigit((unsigned char)b[j])) {
      size_t i2 = i, j2 = j;
      while (i2 < a.size() && std::isdigit((unsigned char)a[i2])) ++i2;
      while (j2 < b.size() && std::isdigit((unsigned char)b[j2])) ++j2;
      unsigned long long x = std::strtoull(a.substr(i, i2 - i).c_str(), nullptr, 10);
      unsigned long long y = std::strtoull(b.substr(j, j2 - j).c_str(), nullptr, 10);
      if (x != y) return x < y ? -1 : 1;
      i = i2;
      j = j2;
    } else {
      if (a[i] != b[j]) return a[i] < b[j] ? -1 : 1;
      ++i;
      ++j;
    }
  }
  if (i < a.size()) return 1;
  if (j < b.size()) return -1;
  return 0;
}

static bool is_sha256_hex(const std::string& v) {
  return v.size() == 64 && v.find_first_not_of("0123456789abcdef") == std::string::npos;
}

bool parse_done_record(std::string_view text, DoneRecord* out) {
  if (text.size() > kMaxRecordBytes) return false;
  constexpr long long kMinNs = std::numeric_limits<long long>::min(), kMaxNs = std::numeric_limits<long long>::max();
  DoneRecord r;
  bool ok = true;
  int stamp_fields = 0;
  // Every lookup parses a done marker: keys are compared as string_views (length
  // first, inline), not through std::string::compare(const char*).
  for_each_key_value(text, [&](const std::string& key, const std::string& v) {
    const std::string_view k = key;
    if (k == "sha256") {
      r.sha256 = v;
      r.has_checksum = true;
      ok = ok && is_sha256_hex(v);
    } else if (k == "size") {
      ok = ok && parse_u64_field(v, &r.size);
    } else if (k == "inode") {
      ok = ok && parse_u64_field(v, &r.stamp.inode);
      stamp_fields |= 1;
    } else if (k == "mtime_ns") {
      ok = ok && parse_int_field(v, kMinNs, kMaxNs, &r.stamp.mtime_ns);
      stamp_fields |= 2;
    } else if (k == "ctime_ns") {
      ok = ok && parse_int_field(v, kMinNs, kMaxNs, &r.stamp.ctime_ns);
      stamp_fields |= 4;
    } else if (k == "graph") {
      r.graph = v;
    } else if (k == "flags") {
      r.flags = v;
    } else if (k == "host") {
      r.host = v;
    } else if (k == "created") {
      ok = ok && parse_finite_field(v, &r.created);
    }
  });
  // A stamp only stands for a checksum it was taken with, and only whole.
  r.has_stamp = r.has_checksum && stamp_fields == 7;
  r.stamp.size = r.size;
  if (ok) *out = std::move(r);
  return ok;
}

// Nanoseconds, wrapping (not overflowing) for times set past the year 2262: a stamp
// only has to change when the time does.
static long long wrapped_ns(const struct timespec& t) {
  return (long long)(uint64_t(t.tv_sec) * 1000000000ULL + uint64_t(t.tv_nsec));
}

FileStamp FileStamp::of(const struct stat& st) {
  FileStamp s;
  s.size = uint64_t(st.st_size);
  s.inode = uint64_t(st.st_ino);
  s.mtime_ns = wrapped_ns(st.st_mtim);
  s.ctime_ns = wrapped_ns(st.st_ctim);
  return s;
}

std::string DoneRecord::serialize() const {
  std::ostringstream o;
  o << "sha256=" << sha256 << "\nsize=" << size;
  if (has_stamp) o << "\ninode=" << stamp.inode << "\nmtime_ns=" << stamp.mtime_ns << "\nctime_ns=" << stamp.ctime_ns;
  o << "\ngraph=" << graph << "\nflags=" << flags
    << "\nhost=" << host << "\ncreated=" << std::fixed << created << "\n";
  return o.str();
}

std::vector<std::string> read_compile_flags(const std::string& entry_dir, std::string* problem) {
  std::vector<std::string> words;
  std::string text;
  const std::string path = entry_dir + "/" + files::kFlags;
  // Never through a link, never a FIFO, at most 1 MiB (flags are a few hundred bytes).
  std::string err;
  if (!read_regular_file(path, 1 << 20, &text, &err)) {
    *problem = errno == ENOENT ? path + " is missing" : "cannot read " + err;
    return words;
  }
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  bool ok = j.is_array();
  for (const auto& w : j) {
    if (!ok || !w.is_string()) {
      ok = false;
      break;
    }
    words.push_back(w.get<std::string>());
  }
  if (!ok) {
    words.clear();
    *problem = path + " is not the JSON list of flag words the Neuron SDK writes";
    return words;
  }
  problem->clear();
  return words;
}

bool is_leftover_name(const std::string& name) {
  return name.find(".tmp.") != std::string::npos || name.find(".stale.") != std::string::npos ||
         name.find(".trash.") != std::string::npos;
}

}  // namespace trn::cache
