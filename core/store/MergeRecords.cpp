// The run store's model merge tables: merges, merge_inputs, merge_metrics.
#include "store/RunStore.h"
#include "store/Sqlite.h"

#include <chrono>
#include <cmath>
#include <ctime>
#include <limits>
#include <stdexcept>

namespace mtlw {

namespace {

std::string mergeTimeNow() {
    using namespace std::chrono;
    const auto sinceEpoch = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
    const std::time_t seconds = static_cast<std::time_t>(sinceEpoch / 1000);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char date[32];
    std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &utc);
    char text[40];
    std::snprintf(text, sizeof text, "%s.%03dZ", date, static_cast<int>(sinceEpoch % 1000));
    return text;
}

void bindOptionalId(sqlite::Statement& statement, int index, const std::optional<std::int64_t>& id) {
    if (id) {
        statement.bindInt64(index, *id);
    } else {
        statement.bindNull(index);
    }
}

std::optional<std::int64_t> optionalId(const sqlite::Statement& statement, int column) {
    if (statement.isNull(column)) {
        return std::nullopt;
    }
    return statement.columnInt64(column);
}

constexpr const char* kSelectMerges =
    "SELECT id, project_path, project_name, created_at, method, params_json, base_checkpoint, mtl_run_id, "
    "details_json, checkpoint_path, seconds, code_version FROM merges ";

MergeRecord readMergeRow(const sqlite::Statement& row) {
    MergeRecord merge;
    merge.id = row.columnInt64(0);
    merge.projectPath = row.columnText(1);
    merge.projectName = row.columnText(2);
    merge.createdAt = row.columnText(3);
    merge.method = row.columnText(4);
    merge.params = nlohmann::json::parse(row.columnText(5), nullptr, false);
    merge.baseCheckpoint = row.columnText(6);
    merge.mtlRunId = optionalId(row, 7);
    merge.details = nlohmann::json::parse(row.columnText(8), nullptr, false);
    merge.checkpointPath = row.columnText(9);
    merge.seconds = row.columnDouble(10);
    merge.codeVersion = row.columnText(11);
    return merge;
}

void readMergeChildren(sqlite3* db, MergeRecord& merge) {
    sqlite::Statement inputs(db,
                             "SELECT run_id, task, checkpoint_path FROM merge_inputs WHERE merge_id = ?1 "
                             "ORDER BY position",
                             "read merge inputs");
    inputs.bindInt64(1, merge.id);
    while (inputs.step()) {
        merge.inputs.push_back({optionalId(inputs, 0), inputs.columnText(1), inputs.columnText(2)});
    }
    sqlite::Statement metrics(db,
                              "SELECT model, run_id, task, name, value FROM merge_metrics WHERE merge_id = ?1 "
                              "ORDER BY rowid",
                              "read merge metrics");
    metrics.bindInt64(1, merge.id);
    while (metrics.step()) {
        MergeMetricRecord metric;
        metric.model = metrics.columnText(0);
        metric.runId = optionalId(metrics, 1);
        metric.task = metrics.columnText(2);
        metric.name = metrics.columnText(3);
        metric.value = metrics.isNull(4) ? std::numeric_limits<double>::quiet_NaN() : metrics.columnDouble(4);
        merge.metrics.push_back(std::move(metric));
    }
}

}  // namespace

std::int64_t RunStore::addMerge(const MergeRecord& merge) {
    sqlite::Transaction transaction(mDb, "insert merge");
    sqlite::Statement insert(mDb,
                             "INSERT INTO merges (project_path, project_name, created_at, method, params_json, "
                             "base_checkpoint, mtl_run_id, details_json, checkpoint_path, seconds, code_version) "
                             "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                             "insert merge");
    insert.bindText(1, merge.projectPath).bindText(2, merge.projectName);
    insert.bindText(3, merge.createdAt.empty() ? mergeTimeNow() : merge.createdAt);
    insert.bindText(4, merge.method).bindText(5, merge.params.dump()).bindText(6, merge.baseCheckpoint);
    bindOptionalId(insert, 7, merge.mtlRunId);
    insert.bindText(8, merge.details.dump()).bindText(9, merge.checkpointPath);
    insert.bindDouble(10, merge.seconds).bindText(11, merge.codeVersion);
    insert.run();
    const std::int64_t id = sqlite3_last_insert_rowid(mDb);

    sqlite::Statement insertInput(mDb,
                                  "INSERT INTO merge_inputs (merge_id, position, run_id, task, checkpoint_path) "
                                  "VALUES (?1, ?2, ?3, ?4, ?5)",
                                  "insert merge input");
    for (std::size_t i = 0; i < merge.inputs.size(); ++i) {
        const auto& input = merge.inputs[i];
        insertInput.reset();
        insertInput.bindInt64(1, id).bindInt64(2, static_cast<std::int64_t>(i));
        bindOptionalId(insertInput, 3, input.runId);
        insertInput.bindText(4, input.task).bindText(5, input.checkpointPath);
        insertInput.run();
    }
    sqlite::Statement insertMetric(mDb,
                                   "INSERT INTO merge_metrics (merge_id, model, run_id, task, name, value) "
                                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                                   "insert merge metric");
    for (const auto& metric : merge.metrics) {
        insertMetric.reset();
        insertMetric.bindInt64(1, id).bindText(2, metric.model);
        bindOptionalId(insertMetric, 3, metric.runId);
        insertMetric.bindText(4, metric.task).bindText(5, metric.name);
        if (std::isfinite(metric.value)) {
            insertMetric.bindDouble(6, metric.value);
        } else {
            insertMetric.bindNull(6);
        }
        insertMetric.run();
    }
    transaction.commit();
    return id;
}

void RunStore::setMergeCheckpoint(std::int64_t mergeId, const std::string& path) {
    sqlite::Statement update(mDb, "UPDATE merges SET checkpoint_path = ?1 WHERE id = ?2", "set merge checkpoint");
    update.bindText(1, path).bindInt64(2, mergeId);
    update.run();
    if (sqlite3_changes(mDb) == 0) {
        throw std::invalid_argument("merge " + std::to_string(mergeId) + " does not exist");
    }
}

std::optional<MergeRecord> RunStore::mergeRecord(std::int64_t mergeId) const {
    sqlite::Statement query(mDb, std::string(kSelectMerges) + "WHERE id = ?1", "read merge");
    query.bindInt64(1, mergeId);
    if (!query.step()) {
        return std::nullopt;
    }
    MergeRecord merge = readMergeRow(query);
    readMergeChildren(mDb, merge);
    return merge;
}

std::vector<MergeRecord> RunStore::merges(const std::string& projectPath) const {
    const std::string filter = projectPath.empty() ? "" : "WHERE project_path = ?1 ";
    sqlite::Statement query(mDb, std::string(kSelectMerges) + filter + "ORDER BY id DESC", "read merges");
    if (!projectPath.empty()) {
        query.bindText(1, projectPath);
    }
    std::vector<MergeRecord> merges;
    while (query.step()) {
        merges.push_back(readMergeRow(query));
    }
    for (auto& merge : merges) {
        readMergeChildren(mDb, merge);
    }
    return merges;
}

}  // namespace mtlw
