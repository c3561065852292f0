// Small typed accessors over yaml-cpp that turn conversion failures into Problems
// (key, value, fix) instead of YAML::BadConversion stack traces.
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <vector>

#include "launcher/errors.h"

namespace trn {

// Node at dotted path ("a.b.c"), or an undefined node. Never inserts.
YAML::Node at_path(const YAML::Node& root, const std::string& dotted);

// Integer / bool / string at path; nullopt when absent or null. A value of the wrong
// type appends a Problem and yields nullopt.
std::optional<long long> get_int(const YAML::Node& root, const std::string& key, std::vector<Problem>* problems);
std::optional<bool> get_bool(const YAML::Node& root, const std::string& key, std::vector<Problem>* problems);
std::optional<std::string> get_string(const YAML::Node& root, const std::string& key, std::vector<Problem>* problems);

std::string scalar_text(const YAML::Node& n);  // for messages

// Unknown keys of a strict block become Problems ("launch.foo: unknown key; known keys are ...").
void check_keys(const YAML::Node& block, const std::string& where, const std::vector<std::string>& known,
                std::vector<Problem>* problems);

// Loads a YAML file; throws InputError naming the file, line and the parser's message.
YAML::Node load_yaml_file(const std::string& path);

}  // namespace trn
