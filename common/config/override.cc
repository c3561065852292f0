#include "common/config/override.h"

#include <algorithm>
#include <cctype>
#include <string_view>

namespace trn::config {
namespace {

bool is_id_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '$'; }

// Characters Hydra takes in an unquoted value besides letters, digits and blanks.
bool is_unquoted_char(char c) {
  return is_id_char(c) || c == ' ' || c == '\t' || std::string_view("/\\+.%*@?|:").find(c) != std::string_view::npos;
}

// Characters a backslash escapes in an unquoted value (Hydra's ESC token).
bool is_escapable(char c) { return std::string_view("\\()[]{}:=, \t").find(c) != std::string_view::npos; }

std::string trim(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t"), b = s.find_last_not_of(" \t");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

// Hydra's number tokens (its OverrideLexer), matched by hand: std::regex trips GCC 12's
// -Wmaybe-uninitialized under the sanitizers, and the grammar is small:
//   INT_UNSIGNED: '0' | [1-9] ('_'? DIGIT)*        INT: [+-]? INT_UNSIGNED
//   POINT_FLOAT: INT_UNSIGNED? '.' DIGIT ('_'? DIGIT)* | INT_UNSIGNED '.'
//   EXPONENT_FLOAT: (INT_UNSIGNED | POINT_FLOAT) [eE] [+-]? INT_UNSIGNED
//   FLOAT: [+-]? (POINT_FLOAT | EXPONENT_FLOAT | [Ii][Nn][Ff] | [Nn][Aa][Nn])
// Each matcher returns where its token ends when one starts at i, else kNone.
constexpr size_t kNone = std::string_view::npos;
bool is_digit(std::string_view s, size_t i) { return i < s.size() && s[i] >= '0' && s[i] <= '9'; }
// DIGIT ('_'? DIGIT)* after a first digit at i - 1.
size_t more_digits(std::string_view s, size_t i) {
  for (;;) {
    const size_t j = i < s.size() && s[i] == '_' ? i + 1 : i;
    if (!is_digit(s, j)) return i;
    i = j + 1;
  }
}
size_t int_unsigned(std::string_view s, size_t i) {
  if (!is_digit(s, i)) return kNone;
  return s[i] == '0' ? i + 1 : more_digits(s, i + 1);
}
size_t after_sign(std::string_view s, size_t i) { return i < s.size() && (s[i] == '+' || s[i] == '-') ? i + 1 : i; }
size_t point_float(std::string_view s, size_t i) {
  const size_t whole = int_unsigned(s, i);
  const size_t point = whole == kNone ? i : whole;
  if (point >= s.size() || s[point] != '.') return kNone;
  if (is_digit(s, point + 1)) return more_digits(s, point + 2);
  return whole == kNone ? kNone : point + 1;
}
// [eE] [+-]? INT_UNSIGNED at i, to the end of s.
bool exponent_to_end(std::string_view s, size_t i) {
  return i < s.size() && (s[i] == 'e' || s[i] == 'E') && int_unsigned(s, after_sign(s, i + 1)) == s.size();
}
bool is_hydra_int(std::string_view s) { return int_unsigned(s, after_sign(s, 0)) == s.size(); }
bool is_hydra_float(std::string_view s, std::string_view lower) {
  const size_t i = after_sign(s, 0);
  if (lower.substr(i) == "inf" || lower.substr(i) == "nan") return true;
  const size_t point = point_float(s, i);
  if (point != kNone && (point == s.size() || exponent_to_end(s, point))) return true;
  const size_t whole = int_unsigned(s, i);
  return whole != kNone && exponent_to_end(s, whole);
}

// A primitive's text as the YAML scalar of the type Hydra gives it.
YAML::Node typed_scalar(const std::string& text, bool had_interpolation) {
  std::string lower;
  for (char c : text) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!had_interpolation) {
    if (lower == "null") return YAML::Node(YAML::NodeType::Null);
    if (lower == "true" || lower == "false") return YAML::Node(lower);
    std::string digits;
    for (char c : text)
      if (c != '_') digits += c;
    if (is_hydra_int(text)) return YAML::Node(digits);
    if (is_hydra_float(text, lower)) {
      // yaml-cpp spells infinity and NaN the YAML way.
      const std::string sign = digits[0] == '-' ? "-" : "";
      if (lower.find("inf") != std::string::npos) return YAML::Node(sign + ".inf");
      if (lower.find("nan") != std::string::npos) return YAML::Node(".nan");
      return YAML::Node(digits);
    }
  }
  return YAML::Node(text);
}

class ValueParser {
 public:
  explicit ValueParser(const std::string& s) : s_(s) {}

  // The whole value, or nullopt with `error` set.
  std::optional<YAML::Node> parse_all() {
    if (trim(s_).empty()) return YAML::Node(std::string());  // `key=` is the empty string
    auto v = element();
    if (!v) return std::nullopt;
    skip_blanks();
    if (i_ < s_.size() && s_[i_] == ',') {
      error = "a comma outside brackets is a Hydra sweep, which needs --multirun; write a list as [a,b] or quote "
              "the text as 'a,b'";
      return std::nullopt;
    }
    if (i_ < s_.size())
      return fail("unexpected '" + std::string(1, s_[i_]) + "' at character " + std::to_string(i_ + 1) +
                  "; quote a value that holds it, e.g. key='a=b'");
    return v;
  }

  std::string error;

 private:
  std::optional<YAML::Node> fail(const std::string& why) {
    if (error.empty()) error = why;
    return std::nullopt;
  }
  void skip_blanks() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t')) ++i_;
  }
  bool at(char c) {
    skip_blanks();
    return i_ < s_.size() && s_[i_] == c;
  }

  std::optional<YAML::Node> element() {
    skip_blanks();
    if (i_ >= s_.size()) return fail("a value is missing at the end");
    if (s_[i_] == '[') return list();
    if (s_[i_] == '{') return dict();
    return primitive();
  }

  std::optional<YAML::Node> list() {
    ++i_;
    YAML::Node out(YAML::NodeType::Sequence);
    if (at(']')) return ++i_, out;
    while (true) {
      auto v = element();
      if (!v) return std::nullopt;
      out.push_back(*v);
      if (at(',')) {
        ++i_;
      } else if (at(']')) {
        return ++i_, out;
      } else {
        return fail("a list needs ',' or ']' at character " + std::to_string(i_ + 1) +
                    "; quote an item that holds other characters, e.g. ['--flag=1']");
      }
    }
  }

  std::optional<YAML::Node> dict() {
    ++i_;
    YAML::Node out(YAML::NodeType::Map);
    if (at('}')) return ++i_, out;
    while (true) {
      skip_blanks();
      const size_t start = i_;
      while (i_ < s_.size() && is_id_char(s_[i_])) ++i_;
      const std::string key = s_.substr(start, i_ - start);
      if (key.empty() || !at(':')) return fail("a dict is written {key: value, ...}");
      ++i_;
      auto v = element();
      if (!v) return std::nullopt;
      out[key] = *v;
      if (at(',')) {
        ++i_;
      } else if (at('}')) {
        return ++i_, out;
      } else {
        return fail("a dict needs ',' or '}' at character " + std::to_string(i_ + 1));
      }
    }
  }

  // A quoted string, or a run of unquoted characters, escapes and ${...} interpolations.
  std::optional<YAML::Node> primitive() {
    if (s_[i_] == '\'' || s_[i_] == '"') return quoted();
    std::string text;
    bool interpolation = false;
    while (i_ < s_.size()) {
      const char c = s_[i_];
      if (c == '$' && i_ + 1 < s_.size() && s_[i_ + 1] == '{') {
        const size_t close = interpolation_end(i_);
        if (close == std::string::npos) return fail("an interpolation ${...} is not closed");
        text += s_.substr(i_, close + 1 - i_);
        i_ = close + 1;
        interpolation = true;
      } else if (c == '\\' && i_ + 1 < s_.size() && is_escapable(s_[i_ + 1])) {
        text += s_[i_ + 1];
        i_ += 2;
      } else if (c == '(') {
        return fail("Hydra's functions (choice, range, glob, int, ...) are sweeps or casts; give one value, or quote "
                     "the text");
      } else if (is_unquoted_char(c)) {
        text += c;
        ++i_;
      } else {
        break;
      }
    }
    if (text.empty()) return fail("'" + std::string(1, s_[i_]) + "' cannot start a value; quote the text");
    return typed_scalar(trim(text), interpolation);
  }

  std::optional<YAML::Node> quoted() {
    const char q = s_[i_++];
    std::string text;
    while (i_ < s_.size() && s_[i_] != q) {
      if (s_[i_] == '\\' && i_ + 1 < s_.size() && (s_[i_ + 1] == q || s_[i_ + 1] == '\\')) ++i_;
      text += s_[i_++];
    }
    if (i_ >= s_.size()) return fail(std::string("the quote ") + q + " is not closed");
    ++i_;
    return YAML::Node(text);
  }

  size_t interpolation_end(size_t open) const {
    int depth = 0;
    for (size_t j = open + 1; j < s_.size(); ++j) {
      if (s_[j] == '{') ++depth;
      if (s_[j] == '}' && --depth == 0) return j;
    }
    return std::string::npos;
  }

  const std::string& s_;
  size_t i_ = 0;
};

bool valid_dotted_key(const std::string& key) {
  if (key.empty()) return false;
  size_t start = 0;
  while (true) {
    const size_t dot = key.find('.', start);
    const std::string part = key.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (part.empty()) return false;
    for (char c : part)
      if (!is_id_char(c)) return false;
    if (dot == std::string::npos) return true;
    start = dot + 1;
  }
}

std::string quote_if_needed(const std::string& text) {
  const bool plain = !text.empty() && text == trim(text) &&
                     std::all_of(text.begin(), text.end(), [](char c) { return is_unquoted_char(c) && c != '\\'; }) &&
                     text.find("${") == std::string::npos;
  if (plain) return text;
  std::string out = "'";
  for (char c : text) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

}  // namespace

std::string hydra_value(const YAML::Node& value) {
  if (value.IsNull() || !value.IsDefined()) return "null";
  if (value.IsScalar()) return quote_if_needed(value.Scalar());
  std::string out;
  if (value.IsSequence()) {
    for (const auto& item : value) out += (out.empty() ? "" : ",") + hydra_value(item);
    return "[" + out + "]";
  }
  for (const auto& kv : value) out += (out.empty() ? "" : ",") + kv.first.Scalar() + ":" + hydra_value(kv.second);
  return "{" + out + "}";
}

std::optional<Override> parse_override(const std::string& arg, Problems* problems) {
  Override o;
  o.arg = arg;
  size_t i = 0;
  if (arg.rfind("++", 0) == 0) {
    o.kind = OverrideKind::kForceAdd, i = 2;
  } else if (arg.rfind("+", 0) == 0) {
    o.kind = OverrideKind::kAdd, i = 1;
  } else if (arg.rfind("~", 0) == 0) {
    o.kind = OverrideKind::kDelete, i = 1;
  }
  const size_t eq = arg.find('=', i);
  o.key = arg.substr(i, eq == std::string::npos ? std::string::npos : eq - i);
  if (eq == std::string::npos && o.kind != OverrideKind::kDelete) {
    problems->push_back({"override", arg,
                         "write KEY=VALUE (e.g. trainer.max_steps=10), +KEY=VALUE to add a key, ++KEY=VALUE to add or "
                         "set, ~KEY to delete"});
    return std::nullopt;
  }
  if (o.key.find_first_of("/@") != std::string::npos) {
    problems->push_back({"override", arg,
                         "config groups and packages (a/b=x, key@pkg) are not supported: trn-train's configs have no "
                         "defaults list; set the key itself"});
    return std::nullopt;
  }
  if (!valid_dotted_key(o.key)) {
    problems->push_back({"override", arg,
                         "the key must be dotted names of letters, digits, _ - or $ (e.g. trainer.max_steps)"});
    return std::nullopt;
  }
  if (eq == std::string::npos) return o;
  const std::string text = arg.substr(eq + 1);
  ValueParser parser(text);
  o.value = parser.parse_all();
  if (!o.value) {
    problems->push_back({o.key, text, "not a valid value: " + parser.error});
    return std::nullopt;
  }
  return o;
}

}  // namespace trn::config
