#include "RunTableModel.h"

#include <QDateTime>

#include <cmath>
#include <limits>
#include <set>

namespace mtlw {
namespace {

enum FixedColumn { Id, Project, Architecture, Method, Seed, Status, Duration, FixedCount };

const char* const kFixedTitles[] = {"Run", "Project", "Architecture", "Method", "Seed", "Status", "Duration"};

// Seconds from the start to the end of a run, or -1 while it has not ended.
double durationSeconds(const RunRecord& run) {
    if (run.endedAt.empty()) {
        return -1.0;
    }
    const QDateTime start = QDateTime::fromString(QString::fromStdString(run.startedAt), Qt::ISODate);
    const QDateTime end = QDateTime::fromString(QString::fromStdString(run.endedAt), Qt::ISODate);
    if (!start.isValid() || !end.isValid()) {
        return -1.0;
    }
    return static_cast<double>(start.msecsTo(end)) / 1000.0;
}

QString durationText(double seconds) {
    if (seconds < 0.0) {
        return QStringLiteral("–");
    }
    const auto whole = static_cast<qint64>(std::llround(seconds));
    if (whole < 60) {
        return QStringLiteral("%1 s").arg(whole);
    }
    if (whole < 3600) {
        return QStringLiteral("%1 min %2 s").arg(whole / 60).arg(whole % 60);
    }
    return QStringLiteral("%1 h %2 min").arg(whole / 3600).arg((whole % 3600) / 60);
}

}  // namespace

QString architectureLabel(const std::string& projectJson) {
    const nlohmann::json project = nlohmann::json::parse(projectJson, nullptr, false);
    if (project.is_discarded() || !project.contains("graph") || !project["graph"].contains("nodes")) {
        return {};
    }
    QStringList types;
    std::set<std::string> seen;
    for (const auto& node : project["graph"]["nodes"]) {
        const std::string type = node.value("type", "");
        if (type.empty() || type == "input" || type == "head" || !seen.insert(type).second) {
            continue;
        }
        types << QString::fromStdString(type);
    }
    return types.join(QStringLiteral(" → "));
}

RunTableModel::RunTableModel(QObject* parent) : QAbstractTableModel(parent) {}

void RunTableModel::setRuns(std::vector<RunOverview> runs) {
    beginResetModel();
    mRuns = std::move(runs);
    mMetricColumns.clear();
    mArchitectures.clear();
    for (const auto& overview : mRuns) {
        mArchitectures.push_back(architectureLabel(overview.run.projectJson));
        for (const auto& [task, metrics] : overview.taskMetrics) {
            for (const auto& [metric, value] : metrics) {
                const TaskMetric column{task, metric};
                if (columnOf(column) < 0) {
                    mMetricColumns.push_back(column);
                }
            }
        }
    }
    endResetModel();
}

int RunTableModel::columnOf(const TaskMetric& metric) const {
    for (std::size_t i = 0; i < mMetricColumns.size(); ++i) {
        if (mMetricColumns[i] == metric) {
            return FixedCount + static_cast<int>(i);
        }
    }
    return -1;
}

int RunTableModel::deltaMColumn() const {
    return FixedCount + static_cast<int>(mMetricColumns.size());
}

int RunTableModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(mRuns.size());
}

int RunTableModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : deltaMColumn() + 1;
}

QVariant RunTableModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= rowCount()) {
        return {};
    }
    const RunOverview& overview = mRuns[static_cast<std::size_t>(index.row())];
    if (role == kRunIdRole) {
        return QVariant::fromValue<qint64>(overview.run.id);
    }
    if (role == Qt::TextAlignmentRole) {
        const bool numeric = index.column() == Id || index.column() == Seed || index.column() >= Duration;
        return QVariant::fromValue(numeric ? Qt::AlignRight | Qt::AlignVCenter : Qt::AlignLeft | Qt::AlignVCenter);
    }
    if (role != Qt::DisplayRole && role != kSortRole && role != Qt::ToolTipRole) {
        return {};
    }

    if (index.column() < FixedCount) {
        return fixedColumn(overview, index.column(), role);
    }
    std::optional<double> value;
    if (index.column() == deltaMColumn()) {
        value = overview.deltaM;
    } else {
        const TaskMetric& metric = mMetricColumns[static_cast<std::size_t>(index.column() - FixedCount)];
        const auto task = overview.taskMetrics.find(metric.task);
        if (task != overview.taskMetrics.end()) {
            const auto found = task->second.find(metric.metric);
            if (found != task->second.end()) {
                value = found->second;
            }
        }
    }

    if (role == kSortRole) {
        // Missing values sort after every number in ascending order.
        return value ? QVariant(*value) : QVariant(std::numeric_limits<double>::infinity());
    }
    if (!value) {
        return QString();
    }
    if (index.column() == deltaMColumn()) {
        return QStringLiteral("%1%2%").arg(*value >= 0 ? "+" : "").arg(*value, 0, 'f', 2);
    }
    return QString::number(*value, 'f', 4);
}

QVariant RunTableModel::fixedColumn(const RunOverview& overview, int column, int role) const {
    const RunRecord& run = overview.run;
    switch (column) {
    case Id:
        return role == kSortRole ? QVariant::fromValue<qint64>(run.id) : QVariant(QStringLiteral("#%1").arg(run.id));
    case Project:
        return role == Qt::ToolTipRole ? QString::fromStdString(run.projectPath) : QString::fromStdString(run.projectName);
    case Architecture:
        return mArchitectures[static_cast<std::size_t>(&overview - mRuns.data())];
    case Method:
        return QString::fromStdString(run.method);
    case Seed:
        return role == kSortRole ? QVariant::fromValue<qulonglong>(run.seed) : QVariant(QString::number(run.seed));
    case Status:
        return role == Qt::ToolTipRole && !run.error.empty() ? QString::fromStdString(run.error)
                                                             : QString::fromStdString(run.status);
    case Duration: {
        const double seconds = durationSeconds(run);
        return role == kSortRole ? QVariant(seconds) : QVariant(durationText(seconds));
    }
    default:
        return {};
    }
}

QVariant RunTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) {
        return QAbstractTableModel::headerData(section, orientation, role);
    }
    if (section < FixedCount) {
        return QString::fromLatin1(kFixedTitles[section]);
    }
    if (section == deltaMColumn()) {
        return QStringLiteral("Δm%");
    }
    return QString::fromStdString(mMetricColumns[static_cast<std::size_t>(section - FixedCount)].label());
}

}  // namespace mtlw
