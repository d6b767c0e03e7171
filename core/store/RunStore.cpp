#include "store/RunStore.h"

#include "store/ProcessOwner.h"
#include "store/Sqlite.h"
#include "store/StoreSchema.h"
#include "util/Errors.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <limits>
#include <stdexcept>

namespace mtlw {

namespace {

constexpr int kBusyTimeoutMs = 5000;
constexpr const char* kOwnerDiedError = "the process that ran it stopped without finishing (killed or crashed)";

std::string utcNowIso8601() {
    using namespace std::chrono;
    const auto sinceEpoch = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
    const std::time_t seconds = static_cast<std::time_t>(sinceEpoch / 1000);
    const int millis = static_cast<int>(sinceEpoch % 1000);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char date[32];
    std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &utc);
    char text[40];
    std::snprintf(text, sizeof text, "%s.%03dZ", date, millis);
    return text;
}

std::string notWritableMessage(const std::string& path, const std::string& reason) {
    return path + ": cannot open or write the run store (" + reason +
           "). Check that the folder exists and is writable, or pass --runs-db FILE to keep runs elsewhere";
}

std::string corruptMessage(const std::string& path, const std::string& reason) {
    return path + ": not a run store: the file is not an SQLite database or is damaged (" + reason +
           "). Move the file aside, or pass --runs-db FILE to use another file";
}

// Returns whether an SQLite error raised while opening the store is one the user can fix by
// choosing another file. Errors such as busy or out of memory are not.
bool isUserFixableOpenError(const sqlite::Error& error) {
    switch (error.primaryCode()) {
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
        return true;
    default:
        return false;
    }
}

void bindOptionalDouble(sqlite::Statement& statement, int index, double value) {
    // SQLite stores NaN as NULL in any case; binding NULL makes that explicit.
    if (std::isnan(value))
        statement.bindNull(index);
    else
        statement.bindDouble(index, value);
}

double columnOptionalDouble(const sqlite::Statement& statement, int column) {
    return statement.isNull(column) ? std::numeric_limits<double>::quiet_NaN() : statement.columnDouble(column);
}

void bindOwner(sqlite::Statement& statement, int firstIndex, const ProcessOwner& owner) {
    statement.bindText(firstIndex, owner.hostname);
    statement.bindInt64(firstIndex + 1, owner.pid);
    statement.bindInt64(firstIndex + 2, owner.startTime);
}

constexpr const char* kRunColumns =
    "id, project_path, project_name, project_json, method, status, started_at, ended_at, seed, device, "
    "code_version, error, summary_json";

RunRecord readRun(const sqlite::Statement& row, const std::string& path) {
    RunRecord run;
    run.id = row.columnInt64(0);
    run.projectPath = row.columnText(1);
    run.projectName = row.columnText(2);
    run.projectJson = row.columnText(3);
    run.method = row.columnText(4);
    run.status = row.columnText(5);
    run.startedAt = row.columnText(6);
    run.endedAt = row.columnText(7);
    // The seed is stored as the int64 with the same bits, since SQLite has no unsigned type.
    run.seed = static_cast<std::uint64_t>(row.columnInt64(8));
    run.device = row.columnText(9);
    run.codeVersion = row.columnText(10);
    run.error = row.columnText(11);
    const std::string summary = row.columnText(12);
    try {
        run.summary = summary.empty() ? nlohmann::json::object() : nlohmann::json::parse(summary);
    } catch (const nlohmann::json::parse_error& error) {
        throw std::runtime_error("run store " + path + ": run " + std::to_string(run.id) +
                                 " has an invalid summary_json: " + error.what());
    }
    return run;
}

constexpr const char* kCheckpointColumns = "id, run_id, epoch, step, path, score, is_best, created_at";

CheckpointRecord readCheckpoint(const sqlite::Statement& row) {
    CheckpointRecord checkpoint;
    checkpoint.id = row.columnInt64(0);
    checkpoint.runId = row.columnInt64(1);
    checkpoint.epoch = static_cast<int>(row.columnInt64(2));
    checkpoint.step = row.columnInt64(3);
    checkpoint.path = row.columnText(4);
    checkpoint.score = columnOptionalDouble(row, 5);
    checkpoint.isBest = row.columnInt64(6) != 0;
    checkpoint.createdAt = row.columnText(7);
    return checkpoint;
}

std::vector<CheckpointRecord> queryCheckpoints(sqlite3* db, std::int64_t runId, const std::string& condition) {
    const std::string sql =
        std::string("SELECT ") + kCheckpointColumns + " FROM checkpoints WHERE run_id = ?1" + condition;
    sqlite::Statement query(db, sql, "read checkpoints of run " + std::to_string(runId));
    query.bindInt64(1, runId);
    std::vector<CheckpointRecord> result;
    while (query.step())
        result.push_back(readCheckpoint(query));
    return result;
}

}  // namespace

RunStore::RunStore(const std::string& path) : mPath(path) {
    if (path.empty())
        throw InputError("run store path is empty; pass --runs-db FILE");

    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    const int rc = sqlite3_open_v2(path.c_str(), &mDb, flags, nullptr);
    if (rc != SQLITE_OK) {
        const std::string reason = mDb ? sqlite3_errmsg(mDb) : sqlite3_errstr(rc);
        sqlite3_close_v2(mDb);
        mDb = nullptr;
        throw InputError(notWritableMessage(path, reason));
    }

    try {
        // SQLite falls back to read-only when the file exists but cannot be opened for writing.
        if (sqlite3_db_readonly(mDb, "main") == 1)
            throw InputError(notWritableMessage(path, "the file is read-only"));
        configureConnection();
        store_schema::migrate(mDb, mPath);
        markInterruptedRuns();
    } catch (const sqlite::Error& error) {
        sqlite3_close_v2(mDb);
        mDb = nullptr;
        if (!isUserFixableOpenError(error))
            throw;
        const int code = error.primaryCode();
        if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT)
            throw InputError(corruptMessage(path, error.sqliteMessage()));
        throw InputError(notWritableMessage(path, error.sqliteMessage()));
    } catch (...) {
        sqlite3_close_v2(mDb);
        mDb = nullptr;
        throw;
    }
}

RunStore::~RunStore() {
    sqlite3_close_v2(mDb);
}

void RunStore::configureConnection() {
    sqlite3_busy_timeout(mDb, kBusyTimeoutMs);

    // The first statement reads the file header, so a file that is not SQLite fails here.
    std::string mode;
    {
        sqlite::Statement journal(mDb, "PRAGMA journal_mode=WAL", "switch to WAL journal mode");
        if (journal.step())
            mode = journal.columnText(0);
    }
    if (mode != "wal") {
        // NOTE: WAL needs shared memory, which some network file systems lack. The store
        // still works, but readers then block the writer.
        spdlog::warn("Run store {}: journal mode is '{}' instead of 'wal'; readers will block writers", mPath,
                     mode);
    }
    sqlite::exec(mDb, "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON", "configure the connection");
}

void RunStore::markInterruptedRuns() {
    const std::string thisHostname = currentProcessOwner().hostname;

    struct Candidate {
        std::int64_t runId = 0;
        ProcessOwner owner;
    };
    std::vector<Candidate> candidates;
    {
        sqlite::Statement query(
            mDb, "SELECT id, owner_hostname, owner_pid, owner_start_time FROM runs WHERE status = 'running'",
            "find running runs");
        while (query.step()) {
            Candidate candidate;
            candidate.runId = query.columnInt64(0);
            candidate.owner = {query.columnText(1), query.columnInt64(2), query.columnInt64(3)};
            if (!isOwnerAlive(candidate.owner, thisHostname))
                candidates.push_back(candidate);
        }
    }
    if (candidates.empty())
        return;

    sqlite::Transaction transaction(mDb, "mark interrupted runs");
    // The owner columns in the condition keep a run that another process resumed meanwhile.
    sqlite::Statement update(mDb,
                             "UPDATE runs SET status = 'interrupted', ended_at = ?1, error = ?2 "
                             "WHERE id = ?3 AND status = 'running' AND owner_hostname = ?4 AND owner_pid = ?5 "
                             "AND owner_start_time = ?6",
                             "mark interrupted runs");
    sqlite::Statement event(mDb, "INSERT INTO events (run_id, time, level, message) VALUES (?1, ?2, 'warning', ?3)",
                            "add interruption event");
    std::vector<std::int64_t> marked;
    for (const Candidate& candidate : candidates) {
        const std::string now = utcNowIso8601();
        update.reset();
        update.bindText(1, now).bindText(2, kOwnerDiedError).bindInt64(3, candidate.runId);
        bindOwner(update, 4, candidate.owner);
        update.run();
        if (sqlite3_changes(mDb) != 1)
            continue;

        event.reset();
        event.bindInt64(1, candidate.runId).bindText(2, now);
        event.bindText(3, "Marked interrupted because process " + std::to_string(candidate.owner.pid) + " on " +
                              candidate.owner.hostname + " stopped without finishing (killed or crashed)");
        event.run();
        marked.push_back(candidate.runId);
    }
    transaction.commit();

    for (std::int64_t runId : marked) {
        spdlog::warn("Run {} in {} marked interrupted: {}", runId, mPath, kOwnerDiedError);
        mInterruptedAtOpen.push_back(runId);
    }
}

std::string RunStore::defaultPathFor(const std::string& projectPath) {
    const std::filesystem::path project(projectPath);
    if (project.extension() == ".mtlw") {
        std::filesystem::path store = project;
        store.replace_extension(".runs.sqlite");
        return store.string();
    }
    return projectPath + ".runs.sqlite";
}

int RunStore::schemaVersion() {
    return store_schema::currentVersion();
}

std::int64_t RunStore::createRun(const NewRun& run) {
    sqlite::Statement insert(mDb,
                             "INSERT INTO runs (project_path, project_name, project_json, method, status, "
                             "started_at, seed, device, code_version, owner_hostname, owner_pid, owner_start_time) "
                             "VALUES (?1, ?2, ?3, ?4, 'running', ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                             "create run");
    insert.bindText(1, run.projectPath).bindText(2, run.projectName).bindText(3, run.projectJson);
    insert.bindText(4, run.method).bindText(5, utcNowIso8601());
    insert.bindInt64(6, static_cast<std::int64_t>(run.seed));
    insert.bindText(7, run.device).bindText(8, run.codeVersion);
    bindOwner(insert, 9, currentProcessOwner());
    insert.run();

    const std::int64_t runId = sqlite3_last_insert_rowid(mDb);
    spdlog::debug("Run {} created in {} (project {}, method {})", runId, mPath, run.projectPath, run.method);
    return runId;
}

void RunStore::reopenRun(std::int64_t runId) {
    sqlite::Transaction transaction(mDb, "reopen run " + std::to_string(runId));
    const std::optional<RunRecord> existing = run(runId);
    if (!existing)
        throw InputError(mPath + ": run " + std::to_string(runId) + " not found; list the runs in this store");
    if (existing->status == run_status::kRunning)
        throw InputError(mPath + ": run " + std::to_string(runId) +
                         " is still running in another process; stop that process or wait for it to finish");
    if (existing->status == run_status::kCompleted)
        throw InputError(mPath + ": run " + std::to_string(runId) +
                         " has completed and cannot be resumed; start a new run instead");

    sqlite::Statement update(mDb,
                             "UPDATE runs SET status = 'running', ended_at = NULL, error = '', "
                             "owner_hostname = ?1, owner_pid = ?2, owner_start_time = ?3 WHERE id = ?4",
                             "reopen run " + std::to_string(runId));
    bindOwner(update, 1, currentProcessOwner());
    update.bindInt64(4, runId);
    update.run();
    transaction.commit();
    spdlog::debug("Run {} in {} reopened (was {})", runId, mPath, existing->status);
}

void RunStore::finishRun(std::int64_t runId, const std::string& status, const nlohmann::json& summary,
                         const std::string& error) {
    if (status != run_status::kCompleted && status != run_status::kFailed && status != run_status::kCancelled &&
        status != run_status::kInterrupted)
        throw std::invalid_argument("finishRun: invalid final status '" + status +
                                    "'; expected completed, failed, cancelled or interrupted");

    sqlite::Statement update(mDb,
                             "UPDATE runs SET status = ?1, ended_at = ?2, error = ?3, summary_json = ?4 WHERE id = ?5",
                             "finish run " + std::to_string(runId));
    update.bindText(1, status).bindText(2, utcNowIso8601()).bindText(3, error);
    update.bindText(4, summary.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    update.bindInt64(5, runId);
    update.run();
    if (sqlite3_changes(mDb) != 1)
        throw std::invalid_argument("finishRun: run " + std::to_string(runId) + " not found in " + mPath);
    spdlog::debug("Run {} in {} finished with status {}", runId, mPath, status);
}

void RunStore::insertMetricRows(const std::vector<MetricRow>& rows) {
    sqlite::Statement insert(mDb,
                             "INSERT INTO metrics (run_id, step, epoch, split, task, name, value, wall_time) "
                             "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                             "insert metrics");
    for (const MetricRow& row : rows) {
        insert.reset();
        insert.bindInt64(1, row.runId).bindInt64(2, row.step).bindInt64(3, row.epoch);
        insert.bindText(4, row.split).bindText(5, row.task).bindText(6, row.name);
        bindOptionalDouble(insert, 7, row.value);
        insert.bindDouble(8, row.wallTime);
        insert.run();
    }
}

void RunStore::appendMetrics(const std::vector<MetricRow>& rows) {
    if (rows.empty())
        return;

    sqlite::Transaction transaction(mDb, "insert metrics");
    insertMetricRows(rows);
    transaction.commit();
}

std::int64_t RunStore::insertCheckpoint(const CheckpointRecord& checkpoint) {
    if (checkpoint.isBest) {
        sqlite::Statement clear(mDb, "UPDATE checkpoints SET is_best = 0 WHERE run_id = ?1 AND is_best = 1",
                                "clear the previous best checkpoint");
        clear.bindInt64(1, checkpoint.runId);
        clear.run();
    }

    sqlite::Statement insert(mDb,
                             "INSERT INTO checkpoints (run_id, epoch, step, path, score, is_best, created_at) "
                             "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                             "add checkpoint");
    insert.bindInt64(1, checkpoint.runId).bindInt64(2, checkpoint.epoch).bindInt64(3, checkpoint.step);
    insert.bindText(4, checkpoint.path);
    bindOptionalDouble(insert, 5, checkpoint.score);
    insert.bindInt64(6, checkpoint.isBest ? 1 : 0);
    insert.bindText(7, checkpoint.createdAt.empty() ? utcNowIso8601() : checkpoint.createdAt);
    insert.run();
    return sqlite3_last_insert_rowid(mDb);
}

std::int64_t RunStore::addCheckpoint(const CheckpointRecord& checkpoint) {
    sqlite::Transaction transaction(mDb, "add checkpoint");
    const std::int64_t checkpointId = insertCheckpoint(checkpoint);
    transaction.commit();
    return checkpointId;
}

std::int64_t RunStore::recordEpoch(const std::vector<MetricRow>& rows, const std::vector<GradientStatsRecord>& gradientStats,
                                   const CheckpointRecord& checkpoint) {
    sqlite::Transaction transaction(mDb, "record epoch");
    insertMetricRows(rows);
    insertGradientStats(gradientStats);
    const std::int64_t checkpointId = insertCheckpoint(checkpoint);
    transaction.commit();
    return checkpointId;
}

void RunStore::addEvent(std::int64_t runId, const std::string& level, const std::string& message) {
    if (level != "info" && level != "warning" && level != "error")
        throw std::invalid_argument("addEvent: invalid level '" + level + "'; expected info, warning or error");

    sqlite::Statement insert(mDb, "INSERT INTO events (run_id, time, level, message) VALUES (?1, ?2, ?3, ?4)",
                             "add event");
    insert.bindInt64(1, runId).bindText(2, utcNowIso8601()).bindText(3, level).bindText(4, message);
    insert.run();
}

std::optional<RunRecord> RunStore::run(std::int64_t runId) const {
    sqlite::Statement query(mDb, std::string("SELECT ") + kRunColumns + " FROM runs WHERE id = ?1",
                            "read run " + std::to_string(runId));
    query.bindInt64(1, runId);
    if (!query.step())
        return std::nullopt;
    return readRun(query, mPath);
}

RunRecord RunStore::requireRun(std::int64_t runId) const {
    auto found = run(runId);
    if (!found)
        throw InputError(mPath + ": run " + std::to_string(runId) + " not found; `mtlw runs PROJECT` lists runs");
    return std::move(*found);
}

std::vector<RunRecord> RunStore::runs(const std::string& projectPath) const {
    sqlite::Statement query(mDb,
                            std::string("SELECT ") + kRunColumns +
                                " FROM runs WHERE ?1 = '' OR project_path = ?1 ORDER BY started_at DESC, id DESC",
                            "list runs");
    query.bindText(1, projectPath);
    std::vector<RunRecord> result;
    while (query.step())
        result.push_back(readRun(query, mPath));
    return result;
}

std::vector<MetricRow> RunStore::metrics(std::int64_t runId, const MetricFilter& filter) const {
    std::string sql =
        "SELECT run_id, step, epoch, split, task, name, value, wall_time FROM metrics WHERE run_id = ?1";
    if (filter.split)
        sql += " AND split = ?2";
    if (filter.task)
        sql += " AND task = ?3";
    if (filter.name)
        sql += " AND name = ?4";
    sql += " ORDER BY rowid";

    sqlite::Statement query(mDb, sql, "read metrics of run " + std::to_string(runId));
    query.bindInt64(1, runId);
    if (filter.split)
        query.bindText(2, *filter.split);
    if (filter.task)
        query.bindText(3, *filter.task);
    if (filter.name)
        query.bindText(4, *filter.name);

    std::vector<MetricRow> result;
    while (query.step()) {
        MetricRow row;
        row.runId = query.columnInt64(0);
        row.step = query.columnInt64(1);
        row.epoch = static_cast<int>(query.columnInt64(2));
        row.split = query.columnText(3);
        row.task = query.columnText(4);
        row.name = query.columnText(5);
        row.value = columnOptionalDouble(query, 6);
        row.wallTime = query.columnDouble(7);
        result.push_back(std::move(row));
    }
    return result;
}

std::vector<CheckpointRecord> RunStore::checkpoints(std::int64_t runId) const {
    return queryCheckpoints(mDb, runId, " ORDER BY id");
}

std::optional<CheckpointRecord> RunStore::latestCheckpoint(std::int64_t runId) const {
    auto found = queryCheckpoints(mDb, runId, " ORDER BY id DESC LIMIT 1");
    if (found.empty())
        return std::nullopt;
    return found.front();
}

std::optional<CheckpointRecord> RunStore::bestCheckpoint(std::int64_t runId) const {
    auto found = queryCheckpoints(mDb, runId, " AND is_best = 1 LIMIT 1");
    if (found.empty())
        return std::nullopt;
    return found.front();
}

std::vector<EventRecord> RunStore::events(std::int64_t runId) const {
    sqlite::Statement query(mDb, "SELECT id, run_id, time, level, message FROM events WHERE run_id = ?1 ORDER BY id",
                            "read events of run " + std::to_string(runId));
    query.bindInt64(1, runId);
    std::vector<EventRecord> result;
    while (query.step()) {
        EventRecord event;
        event.id = query.columnInt64(0);
        event.runId = query.columnInt64(1);
        event.time = query.columnText(2);
        event.level = query.columnText(3);
        event.message = query.columnText(4);
        result.push_back(std::move(event));
    }
    return result;
}

}  // namespace mtlw
