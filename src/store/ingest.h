// Ingester: walks files and folders, reads each supported format, chunks it and writes it to
// the Store in one transaction per file (Store::replace_source). Incremental: a file whose
// size and mtime are unchanged is not read; one whose content hash is unchanged is not
// rewritten; a JSONL file re-ingested rewrites only the records whose hash changed.
//
// Thread safety: not thread-safe; one ingest at a time per Store.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "lore/kb.h"

#include "store/extract.h"
#include "store/store.h"

namespace lore::store {

// Fills ChunkRecord::embedding for every chunk of `documents` (documents without chunks are
// unchanged ones and need nothing). Supplied by the retrieve layer when an embedder is set.
using EmbedChunksFn = std::function<Status(std::vector<DocumentRecord>& documents)>;

class Ingester {
public:
    // `store` and `options` must outlive the Ingester.
    Ingester(Store& store,
             const IngestOptions& options,
             IngestProgressFn progress = {},
             EmbedChunksFn embed = {},
             std::string embedding_model = {});

    // Files and folders; see IngestOptions for globs, sync and strict.
    Result<IngestSummary> ingest_paths(std::span<const std::string> paths);

    // JSONL from a stream, stored under source `name`; records are added or replaced, none
    // removed.
    Result<IngestSummary> ingest_stream(std::string_view bytes, std::string_view name);

    // Chunks `text` (already extracted) into records. Exposed for tests.
    std::vector<ChunkRecord> make_chunks(const ExtractedText& text) const;

private:
    enum class Outcome { kAdded, kUpdated, kUnchanged, kSkipped };

    Status collect_files(std::span<const std::string> paths,
                         std::vector<std::string>& files,
                         IngestSummary& summary) const;
    Result<Outcome> ingest_file(const std::string& path, IngestSummary& summary);
    // Records to documents: hashed; chunked unless unchanged (same key and hash as before).
    Status jsonl_batch(std::vector<JsonlRecord>& records,
                       std::string_view name,
                       const std::unordered_map<std::string, std::int64_t>& old_hashes,
                       IngestSummary& summary,
                       std::vector<DocumentRecord>& documents);
    // The JSONL `bytes` of `source` (id `source_id`, 0 if new) in one transaction.
    Status write_jsonl(const SourceRecord& source,
                       std::string_view bytes,
                       std::int64_t source_id,
                       IngestSummary& summary);
    static void add_stats(const ReplaceStats& stats, IngestSummary& summary);
    Status write(const SourceRecord& source,
                 std::vector<DocumentRecord>& documents,
                 IngestSummary& summary);
    Status skip(IngestSummary& summary, std::string path, const Status& reason);
    Status remove_missing(IngestSummary& summary);

    Store& store_;
    const IngestOptions& options_;
    IngestProgressFn progress_;
    EmbedChunksFn embed_;
    std::string embedding_model_;
};

}  // namespace lore::store
