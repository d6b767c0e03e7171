// The run store's expert routing tables: routing_gates and routing_experts.
#include "store/RunStore.h"
#include "store/Sqlite.h"

#include <map>
#include <tuple>

namespace mtlw {

void RunStore::appendRoutingStats(const std::vector<RoutingStatsRecord>& records) {
    if (records.empty()) {
        return;
    }
    sqlite::Transaction transaction(mDb, "insert routing statistics");
    sqlite::Statement insertGate(mDb,
                                 "INSERT INTO routing_gates (run_id, step, epoch, layer, task, top_k, balance_loss) "
                                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                                 "insert routing gate");
    sqlite::Statement insertExpert(mDb,
                                   "INSERT INTO routing_experts (run_id, step, layer, task, expert, gate_mean, "
                                   "top_k_fraction) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                                   "insert routing expert");
    for (const auto& record : records) {
        insertGate.reset();
        insertGate.bindInt64(1, record.runId).bindInt64(2, record.step).bindInt64(3, record.epoch);
        insertGate.bindText(4, record.layer).bindText(5, record.task).bindInt64(6, record.topK);
        insertGate.bindDouble(7, record.balanceLoss);
        insertGate.run();
        for (size_t e = 0; e < record.experts.size(); ++e) {
            insertExpert.reset();
            insertExpert.bindInt64(1, record.runId).bindInt64(2, record.step);
            insertExpert.bindText(3, record.layer).bindText(4, record.task).bindText(5, record.experts[e]);
            insertExpert.bindDouble(6, record.gateMean.at(e)).bindDouble(7, record.topKFraction.at(e));
            insertExpert.run();
        }
    }
    transaction.commit();
}

void RunStore::deleteRoutingStatsAfter(std::int64_t runId, std::int64_t step) {
    sqlite::Transaction transaction(mDb, "delete routing statistics");
    for (const char* table : {"routing_gates", "routing_experts"}) {
        sqlite::Statement remove(mDb, std::string("DELETE FROM ") + table + " WHERE run_id = ?1 AND step > ?2",
                                 "delete routing statistics");
        remove.bindInt64(1, runId).bindInt64(2, step);
        remove.run();
    }
    transaction.commit();
}

std::vector<RoutingStatsRecord> RunStore::routingStats(std::int64_t runId) const {
    std::vector<RoutingStatsRecord> records;
    std::map<std::tuple<std::int64_t, std::string, std::string>, size_t> indexOf;
    sqlite::Statement gates(mDb,
                            "SELECT step, epoch, layer, task, top_k, balance_loss FROM routing_gates "
                            "WHERE run_id = ?1 ORDER BY step, rowid",
                            "read routing gates");
    gates.bindInt64(1, runId);
    while (gates.step()) {
        RoutingStatsRecord record;
        record.runId = runId;
        record.step = gates.columnInt64(0);
        record.epoch = static_cast<int>(gates.columnInt64(1));
        record.layer = gates.columnText(2);
        record.task = gates.columnText(3);
        record.topK = gates.columnInt64(4);
        record.balanceLoss = gates.columnDouble(5);
        indexOf[{record.step, record.layer, record.task}] = records.size();
        records.push_back(std::move(record));
    }

    sqlite::Statement experts(mDb,
                              "SELECT step, layer, task, expert, gate_mean, top_k_fraction FROM routing_experts "
                              "WHERE run_id = ?1 ORDER BY rowid",
                              "read routing experts");
    experts.bindInt64(1, runId);
    while (experts.step()) {
        const auto found = indexOf.find({experts.columnInt64(0), experts.columnText(1), experts.columnText(2)});
        if (found == indexOf.end()) {
            continue;
        }
        RoutingStatsRecord& record = records[found->second];
        record.experts.push_back(experts.columnText(3));
        record.gateMean.push_back(experts.columnDouble(4));
        record.topKFraction.push_back(experts.columnDouble(5));
    }
    return records;
}

std::vector<RoutingUtilisation> RunStore::routingUtilisation(std::int64_t runId) const {
    std::vector<RoutingUtilisation> rows;
    sqlite::Statement query(mDb,
                            "SELECT layer, task, expert, AVG(gate_mean), AVG(top_k_fraction), COUNT(*) "
                            "FROM routing_experts WHERE run_id = ?1 GROUP BY layer, task, expert "
                            "ORDER BY MIN(rowid)",
                            "read routing utilisation");
    query.bindInt64(1, runId);
    while (query.step()) {
        RoutingUtilisation row;
        row.layer = query.columnText(0);
        row.task = query.columnText(1);
        row.expert = query.columnText(2);
        row.meanGate = query.columnDouble(3);
        row.meanTopKFraction = query.columnDouble(4);
        row.steps = query.columnInt64(5);
        rows.push_back(std::move(row));
    }
    return rows;
}

}  // namespace mtlw
