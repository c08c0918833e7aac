// SQLite wrapper: every failing call becomes a Status that names the SQLite message and the
// statement text, so a failure deep inside an ingest still says what it was doing.
#include "store/sqlite.h"

#include <sqlite3.h>

namespace lore::store {
namespace {

// Busy readers or a writer in another process: wait this long for a lock before failing.
constexpr int kBusyTimeoutMs = 10000;

std::string short_sql(std::string_view sql) {
    constexpr std::size_t kMaxChars = 80;
    std::string out(sql.substr(0, kMaxChars));
    if (sql.size() > kMaxChars) {
        out += "...";
    }
    return out;
}

Status sqlite_status(sqlite3* db, int rc, std::string_view what) {
    std::string msg = "store: sqlite: ";
    msg += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    msg += " (code " + std::to_string(rc) + ") in '" + short_sql(what) + "'";
    const int primary = rc & 0xff;
    if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) {
        return Status::corruption(std::move(msg));
    }
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
        return Status::deadline_exceeded(std::move(msg));
    }
    if (primary == SQLITE_FULL || primary == SQLITE_NOMEM) {
        return Status::resource_exhausted(std::move(msg));
    }
    if (primary == SQLITE_CANTOPEN || primary == SQLITE_IOERR || primary == SQLITE_READONLY ||
        primary == SQLITE_PERM) {
        return Status::io_error(std::move(msg));
    }
    return Status::internal(std::move(msg));
}

}  // namespace

Stmt::Stmt(Stmt&& other) noexcept : db_(other.db_), stmt_(other.stmt_) {
    other.stmt_ = nullptr;
}

Stmt& Stmt::operator=(Stmt&& other) noexcept {
    if (this != &other) {
        sqlite3_finalize(stmt_);
        db_ = other.db_;
        stmt_ = other.stmt_;
        other.stmt_ = nullptr;
    }
    return *this;
}

Stmt::~Stmt() {
    sqlite3_finalize(stmt_);
}

Stmt& Stmt::bind(int idx, std::int64_t value) {
    sqlite3_bind_int64(stmt_, idx, value);
    return *this;
}

Stmt& Stmt::bind(int idx, double value) {
    sqlite3_bind_double(stmt_, idx, value);
    return *this;
}

Stmt& Stmt::bind(int idx, std::string_view text) {
    sqlite3_bind_text64(stmt_, idx, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    return *this;
}

Stmt& Stmt::bind_blob(int idx, std::span<const std::byte> blob) {
    sqlite3_bind_blob64(stmt_, idx, blob.data(), blob.size(), SQLITE_TRANSIENT);
    return *this;
}

Stmt& Stmt::bind_null(int idx) {
    sqlite3_bind_null(stmt_, idx);
    return *this;
}

Result<bool> Stmt::step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) {
        return true;
    }
    if (rc == SQLITE_DONE) {
        return false;
    }
    return error(rc);
}

Status Stmt::run() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_DONE || rc == SQLITE_ROW) {
        sqlite3_reset(stmt_);
        sqlite3_clear_bindings(stmt_);
        return Status::ok();
    }
    Status status = error(rc);
    sqlite3_reset(stmt_);
    return status;
}

void Stmt::reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

std::int64_t Stmt::column_int64(int idx) const {
    return sqlite3_column_int64(stmt_, idx);
}

double Stmt::column_double(int idx) const {
    return sqlite3_column_double(stmt_, idx);
}

std::string_view Stmt::column_text(int idx) const {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, idx));
    const int n_bytes = sqlite3_column_bytes(stmt_, idx);
    if (text == nullptr) {
        return {};
    }
    return {text, static_cast<std::size_t>(n_bytes)};
}

std::span<const std::byte> Stmt::column_blob(int idx) const {
    const auto* data = static_cast<const std::byte*>(sqlite3_column_blob(stmt_, idx));
    const int n_bytes = sqlite3_column_bytes(stmt_, idx);
    if (data == nullptr) {
        return {};
    }
    return {data, static_cast<std::size_t>(n_bytes)};
}

bool Stmt::column_is_null(int idx) const {
    return sqlite3_column_type(stmt_, idx) == SQLITE_NULL;
}

Status Stmt::error(int rc) const {
    const char* sql = sqlite3_sql(stmt_);
    return sqlite_status(db_, rc, sql != nullptr ? sql : "");
}

Result<std::unique_ptr<Db>> Db::open(const std::filesystem::path& path, OpenMode mode) {
    int flags = SQLITE_OPEN_NOMUTEX;
    switch (mode) {
        case OpenMode::kReadWriteCreate: flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE; break;
        case OpenMode::kReadWrite: flags |= SQLITE_OPEN_READWRITE; break;
        case OpenMode::kReadOnly: flags |= SQLITE_OPEN_READONLY; break;
    }
    sqlite3* db = nullptr;
    const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
    if (rc != SQLITE_OK) {
        Status status = sqlite_status(db, rc, "open " + path.string());
        sqlite3_close(db);
        return status;
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, kBusyTimeoutMs);
    return std::unique_ptr<Db>(new Db(db, path));
}

Db::~Db() {
    sqlite3_close_v2(db_);
}

Status Db::exec(std::string_view sql) {
    const std::string text(sql);
    char* err = nullptr;
    const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
    sqlite3_free(err);
    if (rc != SQLITE_OK) {
        return sqlite_status(db_, rc, sql);
    }
    return Status::ok();
}

Result<Stmt> Db::prepare(std::string_view sql) {
    sqlite3_stmt* stmt = nullptr;
    const int rc =
        sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(stmt);
        return sqlite_status(db_, rc, sql);
    }
    return Stmt(db_, stmt);
}

Result<std::int64_t> Db::query_int64(std::string_view sql) {
    LORE_ASSIGN_OR_RETURN(Stmt stmt, prepare(sql));
    LORE_ASSIGN_OR_RETURN(bool has_row, stmt.step());
    if (!has_row) {
        return Status::not_found("store: sqlite: no row from '" + short_sql(sql) + "'");
    }
    return stmt.column_int64(0);
}

std::int64_t Db::last_insert_rowid() const {
    return sqlite3_last_insert_rowid(db_);
}

Result<Transaction> Transaction::begin_write(Db& db) {
    LORE_RETURN_IF_ERROR(db.exec("BEGIN IMMEDIATE"));
    return Transaction(&db);
}

Result<Transaction> Transaction::begin_read(Db& db) {
    // A deferred transaction takes its WAL snapshot at the first read and keeps it until
    // COMMIT, so every statement inside sees one consistent state of the KB.
    LORE_RETURN_IF_ERROR(db.exec("BEGIN"));
    return Transaction(&db);
}

Transaction::~Transaction() {
    if (db_ != nullptr) {
        (void)db_->exec("ROLLBACK");
    }
}

Status Transaction::commit() {
    if (db_ == nullptr) {
        return Status::internal("store: commit of a finished transaction");
    }
    Status status = db_->exec("COMMIT");
    if (status.is_ok()) {
        db_ = nullptr;
    }
    return status;
}

}  // namespace lore::store
