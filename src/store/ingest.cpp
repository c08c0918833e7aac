// Ingester: file discovery, change detection, reading, chunking and the per-file write.
// Reading and chunking a file happen before its write transaction opens, so readers and other
// writers wait only for the SQL itself; a JSONL file is read, chunked and embedded a batch at a
// time on a worker thread while the transaction writes the batches before.
#include "store/ingest.h"

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <fstream>
#include <iterator>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>

#include <fnmatch.h>

#include "store/chunker.h"
#include "store/extract.h"
#include "store/sha256.h"

namespace lore::store {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

bool is_hidden(const std::filesystem::path& path) {
    const std::string name = path.filename().string();
    return name.size() > 1 && name[0] == '.' && name != "..";
}

bool matches_any(const std::vector<std::string>& globs,
                 const std::string& relative,
                 const std::string& name) {
    for (const std::string& glob : globs) {
        if (fnmatch(glob.c_str(), relative.c_str(), 0) == 0 ||
            fnmatch(glob.c_str(), name.c_str(), 0) == 0) {
            return true;
        }
    }
    return false;
}

Result<std::string> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return Status::io_error("store: cannot open " + path + " for reading");
    }
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) {
        return Status::io_error("store: read error in " + path);
    }
    return bytes;
}

// Records keep only 64 bits of hash (documents.content_hash), so a fast 64-bit hash does: per
// record SHA-256 cost more than the FTS5 insert of the record. Hex, as hash_prefix64 reads it.
std::string record_hash_hex(std::string_view text, std::string_view metadata) {
    std::uint64_t hash = 0x9E3779B97F4A7C15ull ^ text.size();
    auto mix = [&hash](std::string_view bytes) {
        std::size_t pos = 0;
        for (; pos + 8 <= bytes.size(); pos += 8) {
            std::uint64_t word = 0;
            std::memcpy(&word, bytes.data() + pos, 8);
            hash = (hash ^ word) * 0xFF51AFD7ED558CCDull;
            hash ^= hash >> 32;
        }
        for (; pos < bytes.size(); ++pos) {
            hash = (hash ^ static_cast<unsigned char>(bytes[pos])) * 0x100000001B3ull;
        }
        hash ^= hash >> 29;
    };
    mix(text);
    hash = (hash ^ 0xA5) * 0xC4CEB9FE1A85EC53ull;  // separator: text and metadata do not blend
    mix(metadata);
    hash ^= hash >> 33;
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out(16, '0');
    for (int digit = 0; digit < 16; ++digit) {
        out[static_cast<std::size_t>(digit)] = kHex[(hash >> (60 - 4 * digit)) & 0xf];
    }
    return out;
}

std::string title_from_path(const std::string& path) {
    return std::filesystem::path(path).stem().string();
}

// Runs `produce` on a worker thread and hands its batches to the Store's thread in order, at
// most kDepth ahead: the write transaction is an ingest's bottleneck, so parsing, chunking
// and embedding the next batch overlap the insert of this one. The destructor stops the
// worker (after its current batch) and joins it.
class PipelinedBatches final : public DocumentBatches {
public:
    // Fills the batch it is given; returns false after the last one.
    using Producer = std::function<Result<bool>(std::vector<DocumentRecord>& batch)>;

    explicit PipelinedBatches(Producer produce)
        : produce_(std::move(produce)), worker_([this] { run(); }) {}

    ~PipelinedBatches() override {
        {
            std::lock_guard<std::mutex> lock(mu_);
            cancelled_ = true;
        }
        space_.notify_all();
        worker_.join();
    }

    PipelinedBatches(const PipelinedBatches&) = delete;
    PipelinedBatches& operator=(const PipelinedBatches&) = delete;

    Result<std::span<const DocumentRecord>> next() override {
        std::unique_lock<std::mutex> lock(mu_);
        ready_cv_.wait(lock, [this] { return !ready_.empty() || finished_; });
        if (ready_.empty()) {
            if (!error_.is_ok()) {
                return error_;
            }
            return std::span<const DocumentRecord>();
        }
        // The batch just written is freed on the worker: freeing thousands of strings is not
        // work for the writer's thread, which is the bottleneck.
        spent_.push_back(std::exchange(current_, std::move(ready_.front())));
        ready_.pop_front();
        lock.unlock();
        space_.notify_one();
        return std::span<const DocumentRecord>(current_);
    }

private:
    static constexpr std::size_t kDepth = 2;

    void run() {
        while (true) {
            {
                std::vector<std::vector<DocumentRecord>> spent;
                {
                    std::lock_guard<std::mutex> lock(mu_);
                    spent.swap(spent_);
                }
            }
            std::vector<DocumentRecord> batch;
            Result<bool> more = produce_(batch);
            std::unique_lock<std::mutex> lock(mu_);
            if (!more.has_value()) {
                error_ = more.status();
                finished_ = true;
            } else {
                space_.wait(lock, [this] { return ready_.size() < kDepth || cancelled_; });
                if (!batch.empty()) {
                    ready_.push_back(std::move(batch));
                }
                finished_ = !*more || cancelled_;
            }
            const bool stop = finished_;
            lock.unlock();
            ready_cv_.notify_one();
            if (stop) {
                return;
            }
        }
    }

    Producer produce_;
    std::mutex mu_;
    std::condition_variable ready_cv_;  // a batch is ready or the worker finished
    std::condition_variable space_;     // the queue has room or the reader is gone
    std::deque<std::vector<DocumentRecord>> ready_;
    std::vector<DocumentRecord> current_;             // the batch the writer reads
    std::vector<std::vector<DocumentRecord>> spent_;  // written batches, for the worker to free
    Status error_;
    bool finished_ = false;
    bool cancelled_ = false;
    std::thread worker_;  // last: starts once everything above is constructed
};

// Records per JSONL batch: large enough to amortise the hand-over, small enough that the
// writer starts at once and the queue holds little memory.
constexpr std::size_t kJsonlBatchRecords = 1024;

}  // namespace

Ingester::Ingester(Store& store,
                   const IngestOptions& options,
                   IngestProgressFn progress,
                   EmbedChunksFn embed,
                   std::string embedding_model)
    : store_(store),
      options_(options),
      progress_(std::move(progress)),
      embed_(std::move(embed)),
      embedding_model_(std::move(embedding_model)) {}

std::vector<ChunkRecord> Ingester::make_chunks(const ExtractedText& text) const {
    ChunkerOptions chunker;
    chunker.chunk_tokens = std::max<std::size_t>(options_.chunk_tokens, 1);
    chunker.overlap_tokens = std::min(options_.overlap_tokens, chunker.chunk_tokens - 1);
    chunker.counter = options_.token_counter;
    std::vector<ChunkRecord> out;
    for (const ChunkSpan& span : chunk_text(text, chunker)) {
        ChunkRecord chunk;
        chunk.text = text.text.substr(span.begin, span.end - span.begin);
        const auto [src_begin, src_end] = text.source_range(span.begin, span.end);
        chunk.byte_begin = src_begin;
        chunk.byte_end = src_end;
        chunk.page = text.sections[span.section_idx].page;
        chunk.section = text.sections[span.section_idx].title;
        out.push_back(std::move(chunk));
    }
    return out;
}

Status Ingester::skip(IngestSummary& summary, std::string path, const Status& reason) {
    summary.skipped.push_back({std::move(path), reason.message()});
    if (options_.strict) {
        return Status(reason.code(), reason.message() + " (--strict)");
    }
    return Status::ok();
}

Status Ingester::collect_files(std::span<const std::string> paths,
                               std::vector<std::string>& files,
                               IngestSummary& summary) const {
    std::error_code ec;
    const std::filesystem::path kb_dir =
        std::filesystem::absolute(store_.dir(), ec).lexically_normal();
    for (const std::string& arg : paths) {
        const std::filesystem::path root = std::filesystem::absolute(arg, ec).lexically_normal();
        const auto status = std::filesystem::status(root, ec);
        if (ec || !std::filesystem::exists(status)) {
            summary.skipped.push_back({arg, "store: " + arg + ": no such file or directory"});
            summary.n_files_skipped += 1;
            if (options_.strict) {
                return Status::not_found("store: " + arg + ": no such file or directory");
            }
            continue;
        }
        if (!std::filesystem::is_directory(status)) {
            files.push_back(root.string());
            continue;
        }
        std::vector<std::string> found;
        auto it = std::filesystem::recursive_directory_iterator(
            root, std::filesystem::directory_options::skip_permission_denied, ec);
        for (; !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
            const std::filesystem::path& path = it->path();
            if (is_hidden(path) || path == kb_dir) {
                if (it->is_directory(ec)) {
                    it.disable_recursion_pending();
                }
                continue;
            }
            if (!it->is_regular_file(ec)) {
                continue;
            }
            const std::string relative = path.lexically_relative(root).string();
            const std::string name = path.filename().string();
            if (!options_.include_globs.empty() &&
                !matches_any(options_.include_globs, relative, name)) {
                continue;
            }
            if (matches_any(options_.exclude_globs, relative, name)) {
                continue;
            }
            found.push_back(path.string());
        }
        if (ec) {
            summary.skipped.push_back({arg, "store: cannot walk " + arg + ": " + ec.message()});
            summary.n_files_skipped += 1;
        }
        std::sort(found.begin(), found.end());
        files.insert(files.end(), found.begin(), found.end());
    }
    return Status::ok();
}

Status Ingester::jsonl_batch(std::vector<JsonlRecord>& records,
                             std::string_view name,
                             const std::unordered_map<std::string, std::int64_t>& old_hashes,
                             IngestSummary& summary,
                             std::vector<DocumentRecord>& documents) {
    documents.reserve(documents.size() + records.size());
    for (JsonlRecord& record : records) {
        DocumentRecord doc;
        doc.key = std::move(record.key);
        doc.content_hash = record_hash_hex(record.text, record.metadata_json);
        auto old = old_hashes.find(doc.key);
        if (old != old_hashes.end() && old->second == hash_prefix64(doc.content_hash)) {
            documents.push_back(std::move(doc));  // unchanged: no chunks needed
            continue;
        }
        const std::string where = std::string(name) + ":" + std::to_string(record.line_idx);
        Result<ExtractedText> text = extract_plain_text(record.text, where);
        if (!text.has_value()) {
            summary.n_records_skipped += 1;
            LORE_RETURN_IF_ERROR(skip(summary, where, text.status()));
            continue;
        }
        doc.chunks = make_chunks(*text);
        doc.metadata_json = std::move(record.metadata_json);
        documents.push_back(std::move(doc));
    }
    return Status::ok();
}

Status Ingester::write_jsonl(const SourceRecord& source,
                             std::string_view bytes,
                             std::int64_t source_id,
                             IngestSummary& summary) {
    std::unordered_map<std::string, std::int64_t> old_hashes;
    if (source_id != 0) {
        LORE_ASSIGN_OR_RETURN(auto hashes, store_.document_hashes(source_id));
        old_hashes.insert(hashes.begin(), hashes.end());
    }
    JsonlReader reader(bytes, source.path, options_.text_field, options_.id_field);
    IngestSummary worker_summary;  // the worker's skipped records; merged once it has stopped
    Result<ReplaceStats> stats = ReplaceStats{};
    {
        PipelinedBatches batches([&](std::vector<DocumentRecord>& batch) -> Result<bool> {
            JsonlContents contents;
            const bool more = reader.read(kJsonlBatchRecords, contents);
            for (const std::string& problem : contents.problems) {
                worker_summary.n_records_skipped += 1;
                LORE_RETURN_IF_ERROR(skip(worker_summary, source.path,
                                          Status::invalid_argument("store: jsonl: " + problem)));
            }
            LORE_RETURN_IF_ERROR(
                jsonl_batch(contents.records, source.path, old_hashes, worker_summary, batch));
            if (embed_ && !batch.empty()) {
                LORE_RETURN_IF_ERROR(embed_(batch));
            }
            return more;
        });
        stats = store_.replace_source(source, batches);
    }
    summary.n_records_skipped += worker_summary.n_records_skipped;
    summary.skipped.insert(summary.skipped.end(),
                           std::make_move_iterator(worker_summary.skipped.begin()),
                           std::make_move_iterator(worker_summary.skipped.end()));
    if (!stats.has_value()) {
        return stats.status();
    }
    add_stats(*stats, summary);
    return Status::ok();
}

Status Ingester::write(const SourceRecord& source,
                       std::vector<DocumentRecord>& documents,
                       IngestSummary& summary) {
    if (embed_) {
        LORE_RETURN_IF_ERROR(embed_(documents));
    }
    LORE_ASSIGN_OR_RETURN(ReplaceStats stats, store_.replace_source(source, documents));
    add_stats(stats, summary);
    return Status::ok();
}

void Ingester::add_stats(const ReplaceStats& stats, IngestSummary& summary) {
    summary.n_chunks_added += stats.n_chunks_added;
    summary.n_chunks_removed += stats.n_chunks_removed;
    summary.n_documents_removed += stats.n_documents_removed;
}

Result<Ingester::Outcome> Ingester::ingest_file(const std::string& path, IngestSummary& summary) {
    std::error_code ec;
    const std::uint64_t size = std::filesystem::file_size(path, ec);
    const auto mtime = std::filesystem::last_write_time(path, ec);
    if (ec) {
        LORE_RETURN_IF_ERROR(skip(
            summary, path, Status::io_error("store: cannot stat " + path + ": " + ec.message())));
        return Outcome::kSkipped;
    }
    const std::int64_t mtime_ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(mtime.time_since_epoch()).count();
    const Format format = format_from_path(path);
    if (format == Format::kUnknown) {
        LORE_RETURN_IF_ERROR(skip(summary, path,
                                  Status::unsupported("store: " + path +
                                                      ": unsupported format (known: .txt .md "
                                                      ".html .jsonl .pdf)")));
        return Outcome::kSkipped;
    }
    LORE_ASSIGN_OR_RETURN(std::optional<SourceRow> existing, store_.find_source(path));
    if (existing && existing->size_bytes == size && existing->mtime_ns == mtime_ns) {
        return Outcome::kUnchanged;
    }
    Result<std::string> bytes = read_file(path);
    if (!bytes.has_value()) {
        LORE_RETURN_IF_ERROR(skip(summary, path, bytes.status()));
        return Outcome::kSkipped;
    }
    const std::string hash = sha256_hex(*bytes);
    if (existing && existing->content_hash == hash) {
        LORE_RETURN_IF_ERROR(store_.touch_source(existing->id, mtime_ns, size));
        return Outcome::kUnchanged;
    }

    SourceRecord source;
    source.path = path;
    source.kind = std::string(format_name(format));
    source.content_hash = hash;
    source.size_bytes = size;
    source.mtime_ns = mtime_ns;
    source.embedding_model = embedding_model_;
    if (format == Format::kJsonl) {
        LORE_RETURN_IF_ERROR(write_jsonl(source, *bytes, existing ? existing->id : 0, summary));
        return existing ? Outcome::kUpdated : Outcome::kAdded;
    }
    std::vector<DocumentRecord> documents;
    {
        Result<ExtractedText> text = Status::internal("unset");
        switch (format) {
            case Format::kText: text = extract_plain_text(*bytes, path); break;
            case Format::kMarkdown: text = extract_markdown(*bytes, path); break;
            case Format::kHtml: text = extract_html(*bytes, path); break;
            case Format::kPdf: text = extract_pdf(*bytes, path); break;
            case Format::kJsonl:
            case Format::kUnknown: break;
        }
        if (!text.has_value()) {
            LORE_RETURN_IF_ERROR(skip(summary, path, text.status()));
            return Outcome::kSkipped;
        }
        DocumentRecord doc;
        doc.content_hash = hash;
        doc.title = text->title.empty() ? title_from_path(path) : text->title;
        doc.chunks = make_chunks(*text);
        documents.push_back(std::move(doc));
    }
    LORE_RETURN_IF_ERROR(write(source, documents, summary));
    return existing ? Outcome::kUpdated : Outcome::kAdded;
}

Status Ingester::remove_missing(IngestSummary& summary) {
    LORE_ASSIGN_OR_RETURN(std::vector<SourceRow> sources, store_.list_sources());
    for (const SourceRow& source : sources) {
        std::error_code ec;
        if (source.kind == "stream" || std::filesystem::exists(source.path, ec) || ec) {
            continue;
        }
        LORE_ASSIGN_OR_RETURN(std::int64_t n_removed, store_.remove_source(source.path));
        summary.n_documents_removed += static_cast<std::size_t>(n_removed);
    }
    return Status::ok();
}

Result<IngestSummary> Ingester::ingest_paths(std::span<const std::string> paths) {
    const Clock::time_point start = Clock::now();
    IngestSummary summary;
    std::vector<std::string> files;
    LORE_RETURN_IF_ERROR(collect_files(paths, files, summary));
    IngestProgress progress;
    progress.n_files_total = files.size();
    for (const std::string& path : files) {
        progress.current_path = path;
        LORE_ASSIGN_OR_RETURN(Outcome outcome, ingest_file(path, summary));
        switch (outcome) {
            case Outcome::kAdded: summary.n_files_added += 1; break;
            case Outcome::kUpdated: summary.n_files_updated += 1; break;
            case Outcome::kUnchanged: summary.n_files_unchanged += 1; break;
            case Outcome::kSkipped: summary.n_files_skipped += 1; break;
        }
        progress.n_files_done += 1;
        progress.n_chunks = summary.n_chunks_added;
        progress.elapsed_s = seconds_since(start);
        if (progress_) {
            progress_(progress);
        }
    }
    if (options_.sync) {
        LORE_RETURN_IF_ERROR(remove_missing(summary));
    }
    summary.elapsed_s = seconds_since(start);
    return summary;
}

Result<IngestSummary> Ingester::ingest_stream(std::string_view bytes, std::string_view name) {
    const Clock::time_point start = Clock::now();
    IngestSummary summary;
    LORE_ASSIGN_OR_RETURN(std::optional<SourceRow> existing, store_.find_source(name));
    SourceRecord source;
    source.path = std::string(name);
    source.kind = "stream";
    source.content_hash = sha256_hex(bytes);
    source.size_bytes = bytes.size();
    source.is_stream = true;
    source.embedding_model = embedding_model_;
    LORE_RETURN_IF_ERROR(write_jsonl(source, bytes, existing ? existing->id : 0, summary));
    if (existing) {
        summary.n_files_updated = 1;
    } else {
        summary.n_files_added = 1;
    }
    summary.elapsed_s = seconds_since(start);
    return summary;
}

}  // namespace lore::store
