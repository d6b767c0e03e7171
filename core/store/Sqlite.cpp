#include "store/Sqlite.h"

#include <spdlog/spdlog.h>

#include <utility>

namespace mtlw::sqlite {

namespace {

std::string fileNameOf(sqlite3* db) {
    const char* name = db ? sqlite3_db_filename(db, "main") : nullptr;
    return name && *name ? name : "(in-memory)";
}

}  // namespace

Error makeError(sqlite3* db, int rc, const std::string& purpose) {
    const int code = db ? sqlite3_extended_errcode(db) : rc;
    const char* message = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    return Error("run store " + fileNameOf(db) + ": " + purpose + " failed: " + message, code, message);
}

void throwError(sqlite3* db, int rc, const std::string& purpose) {
    throw makeError(db, rc, purpose);
}

void exec(sqlite3* db, const char* sql, const std::string& purpose) {
    char* message = nullptr;
    const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &message);
    if (rc != SQLITE_OK) {
        // The connection's error message has the same text as sqlite3_exec's own buffer.
        sqlite3_free(message);
        throwError(db, rc, purpose);
    }
}

Statement::Statement(sqlite3* db, const char* sql, std::string purpose)
    : mDb(db), mPurpose(std::move(purpose)) {
    const int rc = sqlite3_prepare_v2(mDb, sql, -1, &mStatement, nullptr);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(mStatement);
        mStatement = nullptr;
        throwError(mDb, rc, mPurpose);
    }
}

Statement::~Statement() {
    // Finalizing also ends the read transaction of a SELECT that was not stepped to the end.
    sqlite3_finalize(mStatement);
}

Statement& Statement::bindInt64(int index, std::int64_t value) {
    const int rc = sqlite3_bind_int64(mStatement, index, value);
    if (rc != SQLITE_OK)
        throwError(mDb, rc, mPurpose);
    return *this;
}

Statement& Statement::bindDouble(int index, double value) {
    const int rc = sqlite3_bind_double(mStatement, index, value);
    if (rc != SQLITE_OK)
        throwError(mDb, rc, mPurpose);
    return *this;
}

Statement& Statement::bindText(int index, const std::string& value) {
    const int rc = sqlite3_bind_text(mStatement, index, value.data(),
                                     static_cast<int>(value.size()), SQLITE_TRANSIENT);
    if (rc != SQLITE_OK)
        throwError(mDb, rc, mPurpose);
    return *this;
}

Statement& Statement::bindNull(int index) {
    const int rc = sqlite3_bind_null(mStatement, index);
    if (rc != SQLITE_OK)
        throwError(mDb, rc, mPurpose);
    return *this;
}

bool Statement::step() {
    const int rc = sqlite3_step(mStatement);
    if (rc == SQLITE_ROW)
        return true;
    if (rc == SQLITE_DONE)
        return false;
    // Reset so the failed statement holds no lock or snapshot while the error unwinds.
    Error error = makeError(mDb, rc, mPurpose);
    sqlite3_reset(mStatement);
    throw error;
}

void Statement::run() {
    while (step()) {
    }
}

void Statement::reset() {
    sqlite3_reset(mStatement);
    sqlite3_clear_bindings(mStatement);
}

bool Statement::isNull(int column) const {
    return sqlite3_column_type(mStatement, column) == SQLITE_NULL;
}

std::int64_t Statement::columnInt64(int column) const {
    return sqlite3_column_int64(mStatement, column);
}

double Statement::columnDouble(int column) const {
    return sqlite3_column_double(mStatement, column);
}

std::string Statement::columnText(int column) const {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(mStatement, column));
    if (!text)
        return {};
    return std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(mStatement, column)));
}

Transaction::Transaction(sqlite3* db, std::string purpose) : mDb(db), mPurpose(std::move(purpose)) {
    exec(mDb, "BEGIN IMMEDIATE", mPurpose + " (begin transaction)");
}

Transaction::~Transaction() {
    // SQLite rolls back by itself after some errors, such as SQLITE_FULL or SQLITE_IOERR.
    // The connection is then back in autocommit mode, so there is nothing left to roll back.
    if (mFinished || sqlite3_get_autocommit(mDb))
        return;
    if (sqlite3_exec(mDb, "ROLLBACK", nullptr, nullptr, nullptr) != SQLITE_OK)
        spdlog::error("Run store {}: rollback after failed {} failed: {}", fileNameOf(mDb), mPurpose,
                      sqlite3_errmsg(mDb));
}

void Transaction::commit() {
    exec(mDb, "COMMIT", mPurpose + " (commit)");
    mFinished = true;
}

}  // namespace mtlw::sqlite
