// Reciprocal-rank fusion; see fusion.h.
#include "retrieve/fusion.h"

#include <algorithm>
#include <unordered_map>

namespace lore::retrieve {

std::vector<FusedChunk> reciprocal_rank_fusion(std::span<const std::vector<ScoredChunk>> lists,
                                               std::span<const double> weights,
                                               double k,
                                               int top_k) {
    std::unordered_map<std::int64_t, std::size_t> index_of;
    std::vector<FusedChunk> fused;
    for (std::size_t list_idx = 0; list_idx < lists.size(); ++list_idx) {
        const std::vector<ScoredChunk>& list = lists[list_idx];
        for (std::size_t rank_idx = 0; rank_idx < list.size(); ++rank_idx) {
            const std::int64_t id = list[rank_idx].chunk_id;
            auto [it, inserted] = index_of.emplace(id, fused.size());
            if (inserted) {
                fused.push_back({id, 0.0, std::vector<int>(lists.size(), 0)});
            }
            FusedChunk& entry = fused[it->second];
            if (entry.ranks[list_idx] != 0) {
                continue;  // a list naming a chunk twice counts its best rank only
            }
            const int rank = static_cast<int>(rank_idx) + 1;
            entry.ranks[list_idx] = rank;
            entry.score += weights[list_idx] / (k + static_cast<double>(rank));
        }
    }
    std::sort(fused.begin(), fused.end(), [](const FusedChunk& a, const FusedChunk& b) {
        return a.score > b.score || (a.score == b.score && a.chunk_id < b.chunk_id);
    });
    if (top_k >= 0 && fused.size() > static_cast<std::size_t>(top_k)) {
        fused.resize(static_cast<std::size_t>(top_k));
    }
    return fused;
}

}  // namespace lore::retrieve
