// Small helpers shared by the reference quantizers.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace lore::kernels::reference {

inline int round_to_int(float v) {
    return static_cast<int>(std::lrintf(v));
}

inline int clamp_int(int v, int lo, int hi) {
    return std::clamp(v, lo, hi);
}

// The element of x[0..n) with the largest magnitude, with its sign (0 for an empty or zero
// block). Symmetric quantizers map it to the most negative level so that level is used.
inline float signed_absmax(const float* x, int n) {
    float best = 0.0f;
    for (int i = 0; i < n; ++i) {
        if (std::fabs(x[i]) > std::fabs(best)) {
            best = x[i];
        }
    }
    return best;
}

inline float absmax(const float* x, int n) {
    float best = 0.0f;
    for (int i = 0; i < n; ++i) {
        best = std::max(best, std::fabs(x[i]));
    }
    return best;
}

}  // namespace lore::kernels::reference
