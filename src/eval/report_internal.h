// Helpers shared by the report renderers (report.cpp, plot.cpp); not part of the API.
#pragma once

#include <string>
#include <vector>

#include "lore/eval.h"

namespace lore::eval {

// Gate names in order of first appearance: rows first, then sweep points.
std::vector<std::string> gates_in_order(const Report& report);

}  // namespace lore::eval
