// The run store's gradient diagnostics tables: gradient_steps, gradient_tasks, gradient_pairs.
#include "store/RunStore.h"
#include "store/Sqlite.h"

#include <cmath>
#include <map>

namespace mtlw {

void RunStore::appendGradientStats(const std::vector<GradientStatsRecord>& records) {
    if (records.empty()) {
        return;
    }
    sqlite::Transaction transaction(mDb, "insert gradient statistics");
    insertGradientStats(records);
    transaction.commit();
}

void RunStore::insertGradientStats(const std::vector<GradientStatsRecord>& records) {
    sqlite::Statement insertStep(mDb,
                                 "INSERT INTO gradient_steps (run_id, step, epoch, wall_time, conflict_fraction) "
                                 "VALUES (?1, ?2, ?3, ?4, ?5)",
                                 "insert gradient step");
    sqlite::Statement insertTask(mDb,
                                 "INSERT INTO gradient_tasks (run_id, step, task, norm, weight) VALUES (?1, ?2, ?3, ?4, ?5)",
                                 "insert gradient task");
    sqlite::Statement insertPair(mDb,
                                 "INSERT INTO gradient_pairs (run_id, step, task_a, task_b, cosine, magnitude_similarity) "
                                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                                 "insert gradient pair");
    for (const auto& record : records) {
        insertStep.reset();
        insertStep.bindInt64(1, record.runId).bindInt64(2, record.step).bindInt64(3, record.epoch);
        insertStep.bindDouble(4, record.wallTime).bindDouble(5, record.conflictFraction);
        insertStep.run();
        for (size_t i = 0; i < record.tasks.size(); ++i) {
            insertTask.reset();
            insertTask.bindInt64(1, record.runId).bindInt64(2, record.step).bindText(3, record.tasks[i]);
            insertTask.bindDouble(4, record.norms.at(i));
            if (i < record.weights.size() && std::isfinite(record.weights[i])) {
                insertTask.bindDouble(5, record.weights[i]);
            } else {
                insertTask.bindNull(5);
            }
            insertTask.run();
            for (size_t j = i + 1; j < record.tasks.size(); ++j) {
                insertPair.reset();
                insertPair.bindInt64(1, record.runId).bindInt64(2, record.step);
                insertPair.bindText(3, record.tasks[i]).bindText(4, record.tasks[j]);
                insertPair.bindDouble(5, record.cosine.at(i).at(j)).bindDouble(6, record.magnitudeSimilarity.at(i).at(j));
                insertPair.run();
            }
        }
    }
}

std::vector<GradientStatsRecord> RunStore::gradientStats(std::int64_t runId) const {
    std::vector<GradientStatsRecord> records;
    std::map<std::int64_t, size_t> indexOfStep;
    sqlite::Statement steps(mDb,
                            "SELECT step, epoch, wall_time, conflict_fraction FROM gradient_steps "
                            "WHERE run_id = ?1 ORDER BY step",
                            "read gradient steps");
    steps.bindInt64(1, runId);
    while (steps.step()) {
        GradientStatsRecord record;
        record.runId = runId;
        record.step = steps.columnInt64(0);
        record.epoch = static_cast<int>(steps.columnInt64(1));
        record.wallTime = steps.columnDouble(2);
        record.conflictFraction = steps.columnDouble(3);
        indexOfStep[record.step] = records.size();
        records.push_back(std::move(record));
    }

    std::map<std::int64_t, std::map<std::string, size_t>> taskIndex;
    sqlite::Statement tasks(mDb, "SELECT step, task, norm, weight FROM gradient_tasks WHERE run_id = ?1 ORDER BY rowid",
                            "read gradient tasks");
    tasks.bindInt64(1, runId);
    while (tasks.step()) {
        const auto found = indexOfStep.find(tasks.columnInt64(0));
        if (found == indexOfStep.end()) {
            continue;
        }
        GradientStatsRecord& record = records[found->second];
        taskIndex[record.step][tasks.columnText(1)] = record.tasks.size();
        record.tasks.push_back(tasks.columnText(1));
        record.norms.push_back(tasks.columnDouble(2));
        record.weights.push_back(tasks.isNull(3) ? std::nan("") : tasks.columnDouble(3));
    }
    for (auto& record : records) {
        const size_t k = record.tasks.size();
        record.cosine.assign(k, std::vector<double>(k, 1.0));
        record.magnitudeSimilarity.assign(k, std::vector<double>(k, 1.0));
    }

    sqlite::Statement pairs(mDb,
                            "SELECT step, task_a, task_b, cosine, magnitude_similarity FROM gradient_pairs "
                            "WHERE run_id = ?1",
                            "read gradient pairs");
    pairs.bindInt64(1, runId);
    while (pairs.step()) {
        const std::int64_t step = pairs.columnInt64(0);
        const auto found = indexOfStep.find(step);
        if (found == indexOfStep.end()) {
            continue;
        }
        GradientStatsRecord& record = records[found->second];
        const size_t a = taskIndex[step].at(pairs.columnText(1));
        const size_t b = taskIndex[step].at(pairs.columnText(2));
        record.cosine[a][b] = record.cosine[b][a] = pairs.columnDouble(3);
        record.magnitudeSimilarity[a][b] = record.magnitudeSimilarity[b][a] = pairs.columnDouble(4);
    }
    return records;
}

std::vector<PairConflictSummary> RunStore::conflictSummary(std::int64_t runId) const {
    std::vector<PairConflictSummary> summaries;
    sqlite::Statement query(mDb,
                            "SELECT task_a, task_b, AVG(cosine), AVG(magnitude_similarity), "
                            "AVG(CASE WHEN cosine < 0 THEN 1.0 ELSE 0.0 END), COUNT(*) "
                            "FROM gradient_pairs WHERE run_id = ?1 GROUP BY task_a, task_b ORDER BY MIN(rowid)",
                            "summarize gradient conflicts");
    query.bindInt64(1, runId);
    while (query.step()) {
        summaries.push_back({query.columnText(0), query.columnText(1), query.columnDouble(2), query.columnDouble(3),
                             query.columnDouble(4), query.columnInt64(5)});
    }
    return summaries;
}

}  // namespace mtlw
