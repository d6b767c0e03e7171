#include "store/StoreSchema.h"

#include "store/Sqlite.h"
#include "util/Errors.h"

#include <spdlog/spdlog.h>

#include <stdexcept>

namespace mtlw::store_schema {

namespace {

// Version 1: runs, metrics, checkpoints and events. Units and meanings: docs/run-store.md.
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE runs (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    project_path     TEXT NOT NULL,
    project_name     TEXT NOT NULL,
    project_json     TEXT NOT NULL,
    method           TEXT NOT NULL,
    status           TEXT NOT NULL,
    started_at       TEXT NOT NULL,
    ended_at         TEXT,
    seed             INTEGER NOT NULL,
    device           TEXT NOT NULL,
    code_version     TEXT NOT NULL,
    error            TEXT NOT NULL DEFAULT '',
    summary_json     TEXT NOT NULL DEFAULT '{}',
    owner_hostname   TEXT NOT NULL,
    owner_pid        INTEGER NOT NULL,
    owner_start_time INTEGER NOT NULL
);
CREATE INDEX runs_project_path ON runs (project_path);
CREATE INDEX runs_status ON runs (status);

CREATE TABLE metrics (
    run_id    INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    step      INTEGER NOT NULL,
    epoch     INTEGER NOT NULL,
    split     TEXT NOT NULL,
    task      TEXT NOT NULL DEFAULT '',
    name      TEXT NOT NULL,
    value     REAL,
    wall_time REAL NOT NULL
);
CREATE INDEX metrics_run_task_name ON metrics (run_id, task, name);
CREATE INDEX metrics_run_split ON metrics (run_id, split);

CREATE TABLE checkpoints (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id     INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    epoch      INTEGER NOT NULL,
    step       INTEGER NOT NULL,
    path       TEXT NOT NULL,
    score      REAL,
    is_best    INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE INDEX checkpoints_run ON checkpoints (run_id);
CREATE UNIQUE INDEX checkpoints_one_best ON checkpoints (run_id) WHERE is_best = 1;

CREATE TABLE events (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id  INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    time    TEXT NOT NULL,
    level   TEXT NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX events_run ON events (run_id);
)sql";

// Version 2: gradient statistics on the shared parameters, one row set per diagnostic step.
constexpr const char* kSchemaV2 = R"sql(
CREATE TABLE gradient_steps (
    run_id            INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    step              INTEGER NOT NULL,
    epoch             INTEGER NOT NULL,
    wall_time         REAL NOT NULL,
    conflict_fraction REAL NOT NULL
);
CREATE INDEX gradient_steps_run ON gradient_steps (run_id, step);

CREATE TABLE gradient_tasks (
    run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    step   INTEGER NOT NULL,
    task   TEXT NOT NULL,
    norm   REAL NOT NULL,
    weight REAL
);
CREATE INDEX gradient_tasks_run ON gradient_tasks (run_id, step);

CREATE TABLE gradient_pairs (
    run_id               INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    step                 INTEGER NOT NULL,
    task_a               TEXT NOT NULL,
    task_b               TEXT NOT NULL,
    cosine               REAL NOT NULL,
    magnitude_similarity REAL NOT NULL
);
CREATE INDEX gradient_pairs_run ON gradient_pairs (run_id, task_a, task_b);
)sql";

// Version 3: expert routing per routing layer and gate (task) at each logged step.
constexpr const char* kSchemaV3 = R"sql(
CREATE TABLE routing_gates (
    run_id       INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    step         INTEGER NOT NULL,
    epoch        INTEGER NOT NULL,
    layer        TEXT NOT NULL,
    task         TEXT NOT NULL,
    top_k        INTEGER NOT NULL,
    balance_loss REAL NOT NULL
);
CREATE INDEX routing_gates_run ON routing_gates (run_id, step);

CREATE TABLE routing_experts (
    run_id         INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    step           INTEGER NOT NULL,
    layer          TEXT NOT NULL,
    task           TEXT NOT NULL,
    expert         TEXT NOT NULL,
    gate_mean      REAL NOT NULL,
    top_k_fraction REAL NOT NULL
);
CREATE INDEX routing_experts_run ON routing_experts (run_id, layer, task);
)sql";

// Version 4: model merges, the runs they merged and the metrics of the merged model.
constexpr const char* kSchemaV4 = R"sql(
CREATE TABLE merges (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    project_path    TEXT NOT NULL,
    project_name    TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    method          TEXT NOT NULL,
    params_json     TEXT NOT NULL DEFAULT '{}',
    base_checkpoint TEXT NOT NULL,
    mtl_run_id      INTEGER,
    details_json    TEXT NOT NULL DEFAULT '{}',
    checkpoint_path TEXT NOT NULL DEFAULT '',
    seconds         REAL NOT NULL DEFAULT 0,
    code_version    TEXT NOT NULL
);
CREATE INDEX merges_project_path ON merges (project_path);

CREATE TABLE merge_inputs (
    merge_id        INTEGER NOT NULL REFERENCES merges (id) ON DELETE CASCADE,
    position        INTEGER NOT NULL,
    run_id          INTEGER,
    task            TEXT NOT NULL,
    checkpoint_path TEXT NOT NULL
);
CREATE INDEX merge_inputs_merge ON merge_inputs (merge_id);

CREATE TABLE merge_metrics (
    merge_id INTEGER NOT NULL REFERENCES merges (id) ON DELETE CASCADE,
    model    TEXT NOT NULL,
    run_id   INTEGER,
    task     TEXT NOT NULL,
    name     TEXT NOT NULL,
    value    REAL
);
CREATE INDEX merge_metrics_merge ON merge_metrics (merge_id, task);
)sql";

// Curve reads (run, task, name, split -> step, value) come from this index alone, without a
// table lookup per row, which makes loading a 20,000-step curve several times faster.
constexpr const char* kSchemaV5 = R"sql(
CREATE INDEX metrics_curve ON metrics (run_id, task, name, split, step, value);
)sql";

std::vector<Migration> buildMigrations() {
    std::vector<Migration> steps;
    steps.push_back({1, "create runs, metrics, checkpoints and events",
                     [](sqlite3* db) { sqlite::exec(db, kSchemaV1, "create schema version 1"); }});
    steps.push_back({2, "add gradient conflict diagnostics",
                     [](sqlite3* db) { sqlite::exec(db, kSchemaV2, "create schema version 2"); }});
    steps.push_back({3, "add expert routing statistics",
                     [](sqlite3* db) { sqlite::exec(db, kSchemaV3, "create schema version 3"); }});
    steps.push_back({4, "add model merges",
                     [](sqlite3* db) { sqlite::exec(db, kSchemaV4, "create schema version 4"); }});
    steps.push_back({5, "add a covering index for metric curves",
                     [](sqlite3* db) { sqlite::exec(db, kSchemaV5, "create schema version 5"); }});
    // Append version 6 here.

    for (std::size_t i = 0; i < steps.size(); ++i) {
        if (steps[i].version != static_cast<int>(i) + 1)
            throw std::logic_error("run store migrations must be numbered 1, 2, 3 ... in order");
    }
    return steps;
}

bool tableExists(sqlite3* db, const char* name) {
    sqlite::Statement query(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
                            "look up table");
    query.bindText(1, name);
    return query.step();
}

void writeVersion(sqlite3* db, int version) {
    sqlite::Statement update(db,
                             "INSERT INTO meta (key, value) VALUES ('schema_version', ?1) "
                             "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                             "write schema version");
    update.bindText(1, std::to_string(version));
    update.run();
}

}  // namespace

const std::vector<Migration>& migrations() {
    static const std::vector<Migration> steps = buildMigrations();
    return steps;
}

int currentVersion() {
    return migrations().back().version;
}

int readVersion(sqlite3* db, const std::string& path) {
    const std::string notRunStore = path + ": the file is an SQLite database but not an MTL Workbench run store";
    if (!tableExists(db, "meta")) {
        sqlite::Statement anyTable(db, "SELECT 1 FROM sqlite_master LIMIT 1", "read schema");
        if (anyTable.step())
            throw InputError(notRunStore + " (it has no meta table); pass --runs-db FILE to use another file");
        return 0;
    }

    sqlite::Statement query(db, "SELECT value FROM meta WHERE key = 'schema_version'", "read schema version");
    if (!query.step())
        throw InputError(notRunStore + " (meta has no schema_version); pass --runs-db FILE to use another file");
    const std::string text = query.columnText(0);
    std::size_t parsed = 0;
    int version = -1;
    try {
        version = std::stoi(text, &parsed);
    } catch (const std::exception&) {
        parsed = 0;
    }
    if (parsed != text.size() || version < 0)
        throw InputError(path + ": invalid run store schema_version '" + text +
                         "' in table meta; expected a whole number");
    return version;
}

void migrate(sqlite3* db, const std::string& path) {
    const int target = currentVersion();
    int version = readVersion(db, path);
    if (version == target)
        return;

    if (version < target) {
        sqlite::Transaction transaction(db, "migrate the run store schema");
        // Another process may have migrated the file while this one waited for the lock.
        version = readVersion(db, path);
        if (version <= target) {
            for (const Migration& step : migrations()) {
                if (step.version <= version)
                    continue;
                step.apply(db);
                writeVersion(db, step.version);
            }
            transaction.commit();
            if (version == 0)
                spdlog::info("Run store {}: created with schema version {}", path, target);
            else
                spdlog::info("Run store {}: migrated schema from version {} to {}", path, version, target);
            return;
        }
    }

    throw InputError(path + ": run store schema version " + std::to_string(version) +
                     " is newer than this build supports (" + std::to_string(target) +
                     "); upgrade MTL Workbench");
}

}  // namespace mtlw::store_schema
