// DenseIndex: the KB's vector index, kept in step with the embeddings in SQLite.
//
// SQLite is the truth; index files are a cache. kb_meta.vectors_generation changes with every
// write to the embeddings table (triggers), and the index remembers the generation it was
// built from. Below `flat_threshold` embeddings the index is an exact FlatIndex loaded from
// SQLite; above, an HnswIndex saved beside the database:
//   DIR/dense.hnsw       hnswlib's file
//   DIR/dense.hnsw.meta  JSON: format, generation, count, dim, m, ef_construction, file size
//                        in bytes and a 64-bit checksum of dense.hnsw (hex)
// A missing, stale, truncated or damaged file is rebuilt from SQLite and replaced atomically
// (write to a temporary name, then rename), so a kill leaves the old file or the new one.
//
// Thread safety: not thread-safe; one per KnowledgeBase connection.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>

#include "lore/result.h"

#include "retrieve/vector_index.h"
#include "store/store.h"

namespace lore::retrieve {

struct DenseIndexOptions {
    // Fewer embeddings than this: exact flat search (see bench/retrieve for the crossover).
    std::int64_t flat_threshold = 10000;
    HnswOptions hnsw;
};

class DenseIndex {
public:
    explicit DenseIndex(store::Store& store) : store_(store) {}

    // The index for the KB's current embeddings, (re)built or loaded when needed; null when
    // the KB has no embeddings. Valid until the next call. REQUIRES: the caller holds a read
    // transaction, so the generation and the vectors read come from one snapshot.
    Result<const VectorIndex*> get(const DenseIndexOptions& options);

    // Paths of the index files in the KB directory.
    std::filesystem::path index_path() const;
    std::filesystem::path meta_path() const;

    // True when the last get() built the HNSW graph instead of loading or reusing it.
    bool last_was_rebuilt() const { return last_was_rebuilt_; }

private:
    Result<std::unique_ptr<VectorIndex>> load_hnsw(std::int64_t generation,
                                                   std::int64_t count,
                                                   std::int64_t dim,
                                                   const DenseIndexOptions& options);
    Status save_hnsw(const HnswIndex& index,
                     std::int64_t generation,
                     std::int64_t count,
                     std::int64_t dim,
                     const DenseIndexOptions& options);

    store::Store& store_;
    std::unique_ptr<VectorIndex> index_;
    std::int64_t generation_ = -1;
    bool is_flat_ = false;
    bool last_was_rebuilt_ = false;
};

// 64-bit checksum of a file's bytes (multiply-xorshift over 8-byte words); for detecting
// damaged or truncated index files, not adversaries.
Result<std::uint64_t> checksum_file(const std::filesystem::path& path);

}  // namespace lore::retrieve
