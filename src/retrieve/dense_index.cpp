// DenseIndex: choose flat or HNSW, verify or rebuild the index file (see dense_index.h).
#include "retrieve/dense_index.h"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>
#include <unistd.h>

namespace lore::retrieve {
namespace {

constexpr int kMetaFormat = 1;

std::string to_hex(std::uint64_t value) {
    char buf[17];
    std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(value));
    return buf;
}

}  // namespace

Result<std::uint64_t> checksum_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return Status::io_error("retrieve: cannot open " + path.string());
    }
    std::uint64_t hash = 0x243F6A8885A308D3ull;
    std::vector<char> buffer(1 << 20);
    std::uint64_t n_total = 0;
    while (in) {
        in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
        const auto n_read = static_cast<std::size_t>(in.gcount());
        n_total += n_read;
        std::size_t pos = 0;
        for (; pos + 8 <= n_read; pos += 8) {
            std::uint64_t word = 0;
            std::memcpy(&word, buffer.data() + pos, 8);
            hash = (hash ^ word) * 0x9E3779B97F4A7C15ull;
            hash ^= hash >> 29;
        }
        for (; pos < n_read; ++pos) {
            hash = (hash ^ static_cast<unsigned char>(buffer[pos])) * 0x100000001B3ull;
        }
    }
    return hash ^ n_total;
}

std::filesystem::path DenseIndex::index_path() const {
    return store_.dir() / "dense.hnsw";
}

std::filesystem::path DenseIndex::meta_path() const {
    return store_.dir() / "dense.hnsw.meta";
}

Result<std::unique_ptr<VectorIndex>> DenseIndex::load_hnsw(std::int64_t generation,
                                                           std::int64_t count,
                                                           std::int64_t dim,
                                                           const DenseIndexOptions& options) {
    std::ifstream meta_in(meta_path());
    if (!meta_in) {
        return Status::not_found("retrieve: no " + meta_path().string());
    }
    std::stringstream text;
    text << meta_in.rdbuf();
    const nlohmann::json meta = nlohmann::json::parse(text.str(), nullptr, false);
    if (meta.is_discarded() || !meta.is_object()) {
        return Status::corruption("retrieve: " + meta_path().string() + " is not json");
    }
    auto get_int = [&meta](const char* key) -> std::int64_t {
        auto it = meta.find(key);
        return it != meta.end() && it->is_number_integer() ? it->get<std::int64_t>() : -1;
    };
    if (get_int("format") != kMetaFormat || get_int("generation") != generation ||
        get_int("count") != count || get_int("dim") != dim || get_int("m") != options.hnsw.m ||
        get_int("ef_construction") != options.hnsw.ef_construction) {
        return Status::not_found("retrieve: " + meta_path().string() + " is stale");
    }
    std::error_code ec;
    const std::uint64_t size = std::filesystem::file_size(index_path(), ec);
    if (ec || static_cast<std::int64_t>(size) != get_int("bytes")) {
        return Status::corruption("retrieve: " + index_path().string() + " has the wrong size");
    }
    LORE_ASSIGN_OR_RETURN(std::uint64_t checksum, checksum_file(index_path()));
    auto checksum_it = meta.find("checksum");
    if (checksum_it == meta.end() || !checksum_it->is_string() ||
        checksum_it->get<std::string>() != to_hex(checksum)) {
        return Status::corruption("retrieve: " + index_path().string() + " fails its checksum");
    }
    LORE_ASSIGN_OR_RETURN(std::unique_ptr<HnswIndex> index,
                          HnswIndex::load(index_path(), static_cast<int>(dim), options.hnsw));
    if (static_cast<std::int64_t>(index->size()) != count) {
        return Status::corruption("retrieve: " + index_path().string() + " holds " +
                                  std::to_string(index->size()) + " vectors, expected " +
                                  std::to_string(count));
    }
    return std::unique_ptr<VectorIndex>(std::move(index));
}

Status DenseIndex::save_hnsw(const HnswIndex& index,
                             std::int64_t generation,
                             std::int64_t count,
                             std::int64_t dim,
                             const DenseIndexOptions& options) {
    const std::string suffix = ".tmp" + std::to_string(::getpid());
    std::filesystem::path tmp_index = index_path();
    tmp_index += suffix;
    std::filesystem::path tmp_meta = meta_path();
    tmp_meta += suffix;
    LORE_RETURN_IF_ERROR(index.save(tmp_index));
    std::error_code ec;
    const std::uint64_t size = std::filesystem::file_size(tmp_index, ec);
    LORE_ASSIGN_OR_RETURN(std::uint64_t checksum, checksum_file(tmp_index));
    nlohmann::json meta = {
        {"format", kMetaFormat}, {"generation", generation},
        {"count", count},        {"dim", dim},
        {"m", options.hnsw.m},   {"ef_construction", options.hnsw.ef_construction},
        {"bytes", size},         {"checksum", to_hex(checksum)}};
    {
        std::ofstream out(tmp_meta);
        out << meta.dump(2) << "\n";
        if (!out) {
            return Status::io_error("retrieve: cannot write " + tmp_meta.string());
        }
    }
    // Index first, meta last: a reader that sees the new meta finds the new index.
    std::filesystem::rename(tmp_index, index_path(), ec);
    if (!ec) {
        std::filesystem::rename(tmp_meta, meta_path(), ec);
    }
    if (ec) {
        std::filesystem::remove(tmp_index, ec);
        std::filesystem::remove(tmp_meta, ec);
        return Status::io_error("retrieve: cannot replace " + index_path().string());
    }
    return Status::ok();
}

Result<const VectorIndex*> DenseIndex::get(const DenseIndexOptions& options) {
    last_was_rebuilt_ = false;
    LORE_ASSIGN_OR_RETURN(std::int64_t generation, store_.vectors_generation());
    LORE_ASSIGN_OR_RETURN(std::int64_t count,
                          store_.db().query_int64("SELECT count(*) FROM embeddings"));
    const bool want_flat = count < options.flat_threshold;
    if (index_ && generation == generation_ && want_flat == is_flat_) {
        if (!is_flat_) {
            static_cast<HnswIndex*>(index_.get())->set_ef(options.hnsw.ef_search);
        }
        return index_.get();
    }
    index_.reset();
    generation_ = -1;
    if (count == 0) {
        return static_cast<const VectorIndex*>(nullptr);
    }
    LORE_ASSIGN_OR_RETURN(auto model, store_.embedding_model());
    const std::int64_t dim = model.second;
    if (!want_flat) {
        Result<std::unique_ptr<VectorIndex>> loaded = load_hnsw(generation, count, dim, options);
        if (loaded.has_value()) {
            index_ = std::move(loaded).value();
            generation_ = generation;
            is_flat_ = false;
            return index_.get();
        }
    }
    std::vector<std::int64_t> ids;
    std::vector<float> vectors;
    std::int64_t loaded_dim = 0;
    LORE_RETURN_IF_ERROR(store_.load_embeddings(ids, vectors, loaded_dim));
    if (want_flat) {
        index_ = std::make_unique<FlatIndex>(std::move(ids), std::move(vectors),
                                             static_cast<int>(loaded_dim));
    } else {
        LORE_ASSIGN_OR_RETURN(
            std::unique_ptr<HnswIndex> built,
            HnswIndex::build(ids, vectors, static_cast<int>(loaded_dim), options.hnsw));
        // Best effort: a read-only directory still searches, from memory.
        (void)save_hnsw(*built, generation, count, loaded_dim, options);
        index_ = std::move(built);
        last_was_rebuilt_ = true;
    }
    generation_ = generation;
    is_flat_ = want_flat;
    return index_.get();
}

}  // namespace lore::retrieve
