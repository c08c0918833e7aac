// Vector indexes over L2-normalised embeddings, compared by inner product (= cosine):
//   FlatIndex  exact scan of every vector; the reference (and the faster choice when small);
//   HnswIndex  hnswlib's HNSW graph (Malkov and Yashunin 2016), approximate.
// Both return chunk ids with score = cosine similarity, best first, ties to the smaller id.
//
// Thread safety: immutable after build/load; search() is const and may run on many threads
// as long as set_ef() is not called concurrently.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <vector>

#include "lore/result.h"

#include "retrieve/scored_chunk.h"

namespace lore::retrieve {

class VectorIndex {
public:
    virtual ~VectorIndex() = default;
    // REQUIRES: query.size() == dim().
    virtual std::vector<ScoredChunk> search(std::span<const float> query, int top_k) const = 0;
    virtual std::size_t size() const = 0;
    virtual int dim() const = 0;
};

class FlatIndex final : public VectorIndex {
public:
    // `vectors` is row-major [ids.size(), dim]. REQUIRES: sizes agree, dim > 0.
    FlatIndex(std::vector<std::int64_t> ids, std::vector<float> vectors, int dim);
    ~FlatIndex() override;

    std::vector<ScoredChunk> search(std::span<const float> query, int top_k) const override;

    std::size_t size() const override { return ids_.size(); }

    int dim() const override { return dim_; }

private:
    std::vector<std::int64_t> ids_;
    std::vector<float> vectors_;
    int dim_ = 0;
};

struct HnswOptions {
    // Graph degree (hnswlib's M); memory grows with it, recall too.
    int m = 16;
    // Candidate list size while building.
    int ef_construction = 200;
    // Candidate list size while searching (raised to top_k when smaller).
    int ef_search = 128;
    std::uint64_t seed = 100;
};

class HnswIndex final : public VectorIndex {
public:
    // Builds from row-major `vectors` [ids.size(), dim] on the calling thread (about 750
    // vectors/s for 384-d on this machine; hnswlib's addPoint can run on several threads, a
    // speed-up left for later: TODO(#4)). kInvalidArgument on inconsistent sizes.
    static Result<std::unique_ptr<HnswIndex>> build(std::span<const std::int64_t> ids,
                                                    std::span<const float> vectors,
                                                    int dim,
                                                    const HnswOptions& options);

    // Loads an index written by save(). The caller has verified the file's checksum (see
    // dense_index.h): hnswlib trusts the bytes it reads.
    static Result<std::unique_ptr<HnswIndex>> load(const std::filesystem::path& path,
                                                   int dim,
                                                   const HnswOptions& options);

    ~HnswIndex() override;

    Status save(const std::filesystem::path& path) const;
    void set_ef(int ef);

    std::vector<ScoredChunk> search(std::span<const float> query, int top_k) const override;
    std::size_t size() const override;

    int dim() const override { return dim_; }

    struct State;

private:
    HnswIndex(std::unique_ptr<State> state, int dim);

    std::unique_ptr<State> state_;
    int dim_ = 0;
};

}  // namespace lore::retrieve
