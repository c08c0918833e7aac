// lore's version; kept equal to project(VERSION) in CMakeLists.txt.
#pragma once

namespace lore {

inline constexpr const char* kVersionString = "0.1.0";

}  // namespace lore
