// A thin RAII wrapper over SQLite's C API: a connection (Db) and prepared statements (Stmt)
// whose failures come back as Status values naming "store: sqlite", the SQLite message and the
// statement. Nothing here knows the KB schema; see schema.h for that.
//
// Thread safety: a Db and its Stmts belong to one thread at a time (SQLite is built
// serialized, but a statement's cursor state is not shareable).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "lore/result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace lore::store {

class Stmt {
public:
    Stmt() = default;

    Stmt(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}

    Stmt(Stmt&& other) noexcept;
    Stmt& operator=(Stmt&& other) noexcept;
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;
    ~Stmt();

    // Parameters are 1-based, as in SQLite. Text and blobs are copied by SQLite.
    Stmt& bind(int idx, std::int64_t value);
    Stmt& bind(int idx, double value);
    Stmt& bind(int idx, std::string_view text);
    Stmt& bind_blob(int idx, std::span<const std::byte> blob);
    Stmt& bind_null(int idx);

    // Advances: true when a row is available, false when done; an error otherwise.
    Result<bool> step();
    // Steps to completion, expecting no rows (INSERT, UPDATE, DELETE).
    Status run();
    // Resets the cursor and clears bindings so the statement can run again.
    void reset();

    std::int64_t column_int64(int idx) const;
    double column_double(int idx) const;
    // Valid until the next step/reset.
    std::string_view column_text(int idx) const;
    std::span<const std::byte> column_blob(int idx) const;
    bool column_is_null(int idx) const;

    sqlite3_stmt* handle() const { return stmt_; }

private:
    Status error(int rc) const;

    sqlite3* db_ = nullptr;
    sqlite3_stmt* stmt_ = nullptr;
};

enum class OpenMode { kReadWriteCreate, kReadWrite, kReadOnly };

class Db {
public:
    static Result<std::unique_ptr<Db>> open(const std::filesystem::path& path, OpenMode mode);
    ~Db();
    Db(const Db&) = delete;
    Db& operator=(const Db&) = delete;

    // Runs one or more statements without results.
    Status exec(std::string_view sql);
    Result<Stmt> prepare(std::string_view sql);
    // A single integer from a query such as "PRAGMA user_version"; error when there is no row.
    Result<std::int64_t> query_int64(std::string_view sql);

    std::int64_t last_insert_rowid() const;

    sqlite3* handle() const { return db_; }

    const std::filesystem::path& path() const { return path_; }

private:
    Db(sqlite3* db, std::filesystem::path path) : db_(db), path_(std::move(path)) {}

    sqlite3* db_ = nullptr;
    std::filesystem::path path_;
};

// Runs BEGIN IMMEDIATE (write) or BEGIN (read) and rolls back on destruction unless commit()
// succeeded. Not copyable.
class Transaction {
public:
    static Result<Transaction> begin_write(Db& db);
    static Result<Transaction> begin_read(Db& db);

    Transaction(Transaction&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }

    Transaction& operator=(Transaction&&) = delete;
    Transaction(const Transaction&) = delete;
    ~Transaction();

    Status commit();

private:
    explicit Transaction(Db* db) : db_(db) {}

    Db* db_ = nullptr;
};

}  // namespace lore::store
