// FlatIndex and HnswIndex. Both use hnswlib's inner-product kernel (SSE/AVX as compiled), so
// the exact scan and the graph search pay the same per-vector cost. hnswlib throws on
// allocation and I/O errors; every call into it is wrapped and becomes a Status.
#include "retrieve/vector_index.h"

#include <algorithm>
#include <queue>

// hnswlib 0.6.2's SSE path prefetches by reading one entry past the end of a neighbour list:
// harmless, but AddressSanitizer stops on it. Sanitizer builds use its scalar path.
#if defined(__SANITIZE_ADDRESS__)
#define NO_MANUAL_VECTORIZATION
#endif
#include <hnswlib/hnswlib.h>

namespace lore::retrieve {
namespace {

// hnswlib's InnerProductSpace distance is 1 - dot.
double score_from_distance(float distance) {
    return 1.0 - static_cast<double>(distance);
}

}  // namespace

FlatIndex::FlatIndex(std::vector<std::int64_t> ids, std::vector<float> vectors, int dim)
    : ids_(std::move(ids)), vectors_(std::move(vectors)), dim_(dim) {}

FlatIndex::~FlatIndex() = default;

std::vector<ScoredChunk> FlatIndex::search(std::span<const float> query, int top_k) const {
    std::vector<ScoredChunk> out;
    if (top_k <= 0 || ids_.empty()) {
        return out;
    }
    hnswlib::InnerProductSpace space(static_cast<std::size_t>(dim_));
    const hnswlib::DISTFUNC<float> distance = space.get_dist_func();
    void* params = space.get_dist_func_param();
    const auto k = static_cast<std::size_t>(top_k);
    // Min-heap on "better": the top holds the worst of the best k so far.
    auto worse_on_top = [](const ScoredChunk& a, const ScoredChunk& b) { return better(a, b); };
    std::priority_queue<ScoredChunk, std::vector<ScoredChunk>, decltype(worse_on_top)> heap(
        worse_on_top);
    const auto n_dim = static_cast<std::size_t>(dim_);
    for (std::size_t row_idx = 0; row_idx < ids_.size(); ++row_idx) {
        const ScoredChunk hit{
            ids_[row_idx],
            score_from_distance(distance(query.data(), vectors_.data() + row_idx * n_dim, params))};
        if (heap.size() < k) {
            heap.push(hit);
        } else if (better(hit, heap.top())) {
            heap.pop();
            heap.push(hit);
        }
    }
    out.reserve(heap.size());
    while (!heap.empty()) {
        out.push_back(heap.top());
        heap.pop();
    }
    std::reverse(out.begin(), out.end());
    return out;
}

struct HnswIndex::State {
    explicit State(std::size_t dim) : space(dim) {}

    hnswlib::InnerProductSpace space;
    std::unique_ptr<hnswlib::HierarchicalNSW<float>> graph;
};

HnswIndex::HnswIndex(std::unique_ptr<State> state, int dim) : state_(std::move(state)), dim_(dim) {}

HnswIndex::~HnswIndex() = default;

Result<std::unique_ptr<HnswIndex>> HnswIndex::build(std::span<const std::int64_t> ids,
                                                    std::span<const float> vectors,
                                                    int dim,
                                                    const HnswOptions& options) {
    const auto n_dim = static_cast<std::size_t>(dim);
    if (dim <= 0 || vectors.size() != ids.size() * n_dim) {
        return Status::invalid_argument("retrieve: hnsw: " + std::to_string(vectors.size()) +
                                        " floats for " + std::to_string(ids.size()) +
                                        " vectors of dim " + std::to_string(dim));
    }
    auto state = std::make_unique<State>(n_dim);
    try {
        state->graph = std::make_unique<hnswlib::HierarchicalNSW<float>>(
            &state->space, std::max<std::size_t>(ids.size(), 1),
            static_cast<std::size_t>(options.m), static_cast<std::size_t>(options.ef_construction),
            static_cast<std::size_t>(options.seed));
        state->graph->setEf(static_cast<std::size_t>(std::max(options.ef_search, 1)));
        for (std::size_t row_idx = 0; row_idx < ids.size(); ++row_idx) {
            state->graph->addPoint(vectors.data() + row_idx * n_dim,
                                   static_cast<hnswlib::labeltype>(ids[row_idx]));
        }
    } catch (const std::exception& e) {
        return Status::resource_exhausted(std::string("retrieve: hnsw: build failed: ") + e.what());
    }
    return std::unique_ptr<HnswIndex>(new HnswIndex(std::move(state), dim));
}

Result<std::unique_ptr<HnswIndex>> HnswIndex::load(const std::filesystem::path& path,
                                                   int dim,
                                                   const HnswOptions& options) {
    auto state = std::make_unique<State>(static_cast<std::size_t>(dim));
    try {
        state->graph =
            std::make_unique<hnswlib::HierarchicalNSW<float>>(&state->space, path.string());
        state->graph->setEf(static_cast<std::size_t>(std::max(options.ef_search, 1)));
    } catch (const std::exception& e) {
        return Status::corruption("retrieve: hnsw: cannot load " + path.string() + ": " + e.what());
    }
    return std::unique_ptr<HnswIndex>(new HnswIndex(std::move(state), dim));
}

Status HnswIndex::save(const std::filesystem::path& path) const {
    try {
        state_->graph->saveIndex(path.string());
    } catch (const std::exception& e) {
        return Status::io_error("retrieve: hnsw: cannot save " + path.string() + ": " + e.what());
    }
    return Status::ok();
}

void HnswIndex::set_ef(int ef) {
    state_->graph->setEf(static_cast<std::size_t>(std::max(ef, 1)));
}

std::size_t HnswIndex::size() const {
    return state_->graph->cur_element_count;
}

std::vector<ScoredChunk> HnswIndex::search(std::span<const float> query, int top_k) const {
    std::vector<ScoredChunk> out;
    if (top_k <= 0 || size() == 0) {
        return out;
    }
    std::priority_queue<std::pair<float, hnswlib::labeltype>> result;
    try {
        result = state_->graph->searchKnn(query.data(), static_cast<std::size_t>(top_k));
    } catch (const std::exception&) {
        return out;  // hnswlib throws only on internal inconsistency; no hits is the safe answer
    }
    out.reserve(result.size());
    while (!result.empty()) {
        out.push_back({static_cast<std::int64_t>(result.top().second),
                       score_from_distance(result.top().first)});
        result.pop();
    }
    std::sort(out.begin(), out.end(), better);
    return out;
}

}  // namespace lore::retrieve
