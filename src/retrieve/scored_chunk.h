// ScoredChunk: a chunk id with a score, the currency of every retriever. Higher is better.
#pragma once

#include <cstdint>

namespace lore::retrieve {

struct ScoredChunk {
    std::int64_t chunk_id = 0;
    double score = 0.0;
};

// Best first; ties go to the smaller chunk id, so rankings are deterministic.
inline bool better(const ScoredChunk& a, const ScoredChunk& b) {
    return a.score > b.score || (a.score == b.score && a.chunk_id < b.chunk_id);
}

}  // namespace lore::retrieve
