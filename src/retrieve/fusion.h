// Reciprocal-rank fusion (Cormack, Clarke and Büttcher, SIGIR 2009): a chunk's fused score is
// the sum over lists of weight / (k + rank), rank counted from 1; a list that lacks the chunk
// adds nothing. Scores of different retrievers need no calibration, only ranks.
//
// Thread safety: pure function.
#pragma once

#include <span>
#include <vector>

#include "retrieve/scored_chunk.h"

namespace lore::retrieve {

struct FusedChunk {
    std::int64_t chunk_id = 0;
    double score = 0.0;
    // 1-based rank in each input list, 0 when absent; ranks.size() == number of lists.
    std::vector<int> ranks;
};

// Fuses ranked lists (each best first). REQUIRES: weights.size() == lists.size(), k >= 0.
// Result: best first, ties to the smaller chunk id, at most top_k entries.
std::vector<FusedChunk> reciprocal_rank_fusion(std::span<const std::vector<ScoredChunk>> lists,
                                               std::span<const double> weights,
                                               double k,
                                               int top_k);

}  // namespace lore::retrieve
