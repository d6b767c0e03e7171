// The table of runs in the run browser: id, project, architecture, method, seed, status,
// duration, each task's final test metrics and Δm%. Sorts numerically through kSortRole.
#pragma once

#include "compare/Comparison.h"

#include <QAbstractTableModel>

#include <cstdint>
#include <vector>

namespace mtlw {

/// The block types of a project's graph between its input and its heads, in graph order and
/// without repeats, e.g. "conv → flatten → mlp". Empty for a snapshot that does not parse.
QString architectureLabel(const std::string& projectJson);

class RunTableModel : public QAbstractTableModel {
    Q_OBJECT

public:
    /// Role that returns ids, seeds, seconds and metrics as numbers, so sorting is numeric.
    static constexpr int kSortRole = Qt::UserRole + 1;
    /// Role that returns the row's run id, on every column.
    static constexpr int kRunIdRole = Qt::UserRole + 2;

    explicit RunTableModel(QObject* parent = nullptr);

    void setRuns(std::vector<RunOverview> runs);
    const std::vector<RunOverview>& runs() const { return mRuns; }
    /// The task/metric pairs shown as columns, in column order.
    const std::vector<TaskMetric>& metricColumns() const { return mMetricColumns; }
    /// Returns the column of a task/metric pair, or -1.
    int columnOf(const TaskMetric& metric) const;
    int deltaMColumn() const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

private:
    QVariant fixedColumn(const RunOverview& overview, int column, int role) const;

    std::vector<RunOverview> mRuns;
    std::vector<TaskMetric> mMetricColumns;
    std::vector<QString> mArchitectures;
};

}  // namespace mtlw
