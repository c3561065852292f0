#include "common/config/duplicate_keys.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/parser.h>

#include <map>
#include <sstream>
#include <vector>

namespace trn::config {
namespace {

class DuplicateKeyFinder : public YAML::EventHandler {
 public:
  DuplicateKeyFinder(const std::string& origin, Problems* problems) : origin_(origin), problems_(problems) {}

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { leaf(mark, "null"); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { leaf(mark, ""); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t, const std::string& value) override {
    leaf(mark, value);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    open(mark, false);
  }
  void OnSequenceEnd() override { frames_.pop_back(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    open(mark, true);
  }
  void OnMapEnd() override { frames_.pop_back(); }

 private:
  struct Frame {
    bool map = false;
    bool expect_key = true;
    std::string path;                // dotted path of this collection
    std::string last_key;            // the key whose value comes next
    std::map<std::string, int> seen;  // key -> line (1-based)
  };

  // A scalar, null or alias: a key when the enclosing mapping expects one.
  void leaf(const YAML::Mark& mark, const std::string& value) {
    if (frames_.empty() || !frames_.back().map) return;
    Frame& f = frames_.back();
    if (f.expect_key) {
      key(f, mark, value);
    } else {
      f.expect_key = true;
    }
  }

  void open(const YAML::Mark& mark, bool map) {
    std::string path;
    if (!frames_.empty()) {
      Frame& parent = frames_.back();
      if (parent.map && parent.expect_key) {
        key(parent, mark, "");  // a collection as a key: nothing to compare
      } else if (parent.map) {
        parent.expect_key = true;
        path = parent.last_key;
      } else {
        path = parent.path + "[]";
      }
    }
    frames_.push_back({map, true, path, "", {}});
  }

  void key(Frame& f, const YAML::Mark& mark, const std::string& value) {
    f.expect_key = false;
    f.last_key = f.path.empty() ? value : f.path + "." + value;
    const int line = mark.line + 1;
    const auto [it, fresh] = f.seen.emplace(value, line);
    if (!fresh && !value.empty())
      problems_->push_back({origin_ + ":" + std::to_string(line) + ": " + f.last_key, "(written twice)",
                            "also set at line " + std::to_string(it->second) +
                                "; a key may appear once in a mapping (OmegaConf refuses the file too): keep one"});
  }

  const std::string& origin_;
  Problems* problems_;
  std::vector<Frame> frames_;
};

}  // namespace

void find_duplicate_keys(const std::string& text, const std::string& origin, Problems* problems) {
  std::istringstream in(text);
  DuplicateKeyFinder finder(origin, problems);
  try {
    // The first document only, as YAML::Load reads it: later ones are never used, and
    // yaml-cpp can loop forever over a malformed stream after the first (a fuzzer's find).
    YAML::Parser parser(in);
    parser.HandleNextDocument(finder);
  } catch (const YAML::Exception&) {
    // Malformed YAML: the loader reports it with its position.
  }
}

}  // namespace trn::config
