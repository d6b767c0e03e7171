// RAII helpers over the SQLite C API, used by the run store's source files.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>

namespace mtlw::sqlite {

// A failed SQLite call. what() names the file, the purpose of the statement and the
// SQLite message.
class Error : public std::runtime_error {
public:
    Error(const std::string& message, int extendedCode, std::string sqliteMessage)
        : std::runtime_error(message), mExtendedCode(extendedCode), mSqliteMessage(std::move(sqliteMessage)) {}

    int extendedCode() const { return mExtendedCode; }
    /// The primary result code (SQLITE_BUSY, SQLITE_NOTADB, ...).
    int primaryCode() const { return mExtendedCode & 0xff; }
    /// SQLite's own message ("file is not a database"), without file name and purpose.
    const std::string& sqliteMessage() const { return mSqliteMessage; }

private:
    int mExtendedCode;
    std::string mSqliteMessage;
};

/// Builds the Error for result code rc, with the connection's current error message.
Error makeError(sqlite3* db, int rc, const std::string& purpose);
/// Throws Error for result code rc, with the connection's current error message.
[[noreturn]] void throwError(sqlite3* db, int rc, const std::string& purpose);

/// Runs SQL that returns no rows; the text may hold several statements.
void exec(sqlite3* db, const char* sql, const std::string& purpose);

// One prepared statement, finalized on destruction. Bind indexes start at 1 and
// column indexes at 0, as in the C API.
class Statement {
public:
    /// Prepares sql; purpose goes into error messages ("insert metrics").
    Statement(sqlite3* db, const char* sql, std::string purpose);
    explicit Statement(sqlite3* db, const std::string& sql, std::string purpose)
        : Statement(db, sql.c_str(), std::move(purpose)) {}
    ~Statement();
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    Statement& bindInt64(int index, std::int64_t value);
    Statement& bindDouble(int index, double value);
    Statement& bindText(int index, const std::string& value);
    Statement& bindNull(int index);

    /// Steps once; returns true when a row is ready, false when the statement is done.
    bool step();
    /// Steps a statement that returns no rows (INSERT, UPDATE, DELETE).
    void run();
    /// Resets the statement and clears its bindings so it can run again.
    void reset();

    bool isNull(int column) const;
    std::int64_t columnInt64(int column) const;
    double columnDouble(int column) const;
    /// The column as UTF-8 text; empty for NULL.
    std::string columnText(int column) const;

private:
    sqlite3* mDb = nullptr;
    sqlite3_stmt* mStatement = nullptr;
    std::string mPurpose;
};

// A write transaction (BEGIN IMMEDIATE) that rolls back on destruction unless committed,
// so an exception never leaves it open. Taking the write lock at BEGIN makes a second
// writer wait for busy_timeout at the start rather than fail at its first write.
class Transaction {
public:
    Transaction(sqlite3* db, std::string purpose);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;

    void commit();

private:
    sqlite3* mDb = nullptr;
    std::string mPurpose;
    bool mFinished = false;
};

}  // namespace mtlw::sqlite
