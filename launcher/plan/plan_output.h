// Printing a Plan: JSON (design.md keys, stable for scripts) and a human table.
#pragma once

#include <string>

#include "launcher/plan/plan.h"

namespace trn {

std::string plan_to_json(const Plan& plan);
std::string plan_to_table(const Plan& plan);

}  // namespace trn
