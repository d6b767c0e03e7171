#include "RunPlots.h"

#include "ConflictHeatmap.h"
#include "CurvePlot.h"
#include "RoutingHeatmap.h"
#include "WeightsPlot.h"
#include "engine/Events.h"

#include <QSplitter>

#include <algorithm>
#include <deque>
#include <map>

namespace mtlw {

namespace {

Qt::PenStyle splitStyle(const std::string& split) {
    if (split == "validation") {
        return Qt::DashLine;
    }
    if (split == "test") {
        return Qt::DotLine;
    }
    return Qt::SolidLine;
}

bool isStepRow(const MetricRow& row) {
    return row.name == "step_loss" || row.name == "weight";
}

}  // namespace

RunPlots::RunPlots(QWidget* parent) : QTabWidget(parent) {
    setDocumentMode(true);

    mStepLoss = new CurvePlot(tr("Step"), tr("Training loss"), this);
    mStepLoss->setSmoothing(0.6);
    mEpochLoss = new CurvePlot(tr("Epoch"), tr("Loss"), this);
    mEpochLoss->setMarkers(true);
    mEpochLoss->setXAxis(CurvePlot::XAxis::Epoch);
    mEpochMetric = new CurvePlot(tr("Epoch"), tr("Accuracy / MAE / F1"), this);
    mEpochMetric->setMarkers(true);
    mEpochMetric->setXAxis(CurvePlot::XAxis::Epoch);

    auto* conflicts = new QSplitter(Qt::Horizontal, this);
    mConflicts = new ConflictHeatmap(conflicts);
    mConflictFrequency = new CurvePlot(tr("Step"), tr("Conflict frequency"), conflicts);
    mConflictFrequency->setFixedYRange(0.0, 1.0);
    mConflictFrequency->setToolTip(
        tr("Share of negative gradient cosines over the last %1 diagnostic steps").arg(kConflictWindow));
    conflicts->addWidget(mConflicts);
    conflicts->addWidget(mConflictFrequency);
    // The heatmap needs room for its task labels, cell values and colour bar.
    mConflicts->setMinimumWidth(340);
    conflicts->setStretchFactor(0, 1);
    conflicts->setStretchFactor(1, 1);

    mWeights = new WeightsPlot(this);
    mRouting = new RoutingHeatmap(this);

    addTab(mStepLoss, tr("Step loss"));
    addTab(mEpochLoss, tr("Epoch loss"));
    addTab(mEpochMetric, tr("Epoch metrics"));
    addTab(conflicts, tr("Conflicts"));
    addTab(mWeights, tr("Task weights"));
    addTab(mRouting, tr("Routing"));
}

QString RunPlots::pairName(const QString& taskA, const QString& taskB) {
    return taskA + QStringLiteral(" × ") + taskB;
}

QColor RunPlots::colorOf(const std::string& task) const {
    return CurvePlot::taskColor(static_cast<int>(mTasks.indexOf(QString::fromStdString(task))));
}

void RunPlots::startRun(const QStringList& tasks) {
    mTasks = tasks;
    mRunId = 0;
    mStepsPerEpoch = 0;
    mStepLoss->clear();
    mEpochLoss->clear();
    mEpochMetric->clear();
    mConflicts->clear();
    mConflictFrequency->clear();
    mWeights->reset(tasks);
    mRouting->clear();
}

void RunPlots::showRun(const RunData& data) {
    startRun(data.tasks);
    mRunId = data.run.id;
    mStepsPerEpoch = data.stepsPerEpoch;
    std::vector<MetricRow> stepRows;
    std::vector<MetricRow> epochRows;
    for (const MetricRow& row : data.metrics) {
        (isStepRow(row) ? stepRows : epochRows).push_back(row);
    }
    addStepLossRows(stepRows);
    mWeights->appendRows(stepRows, mStepsPerEpoch);
    addEpochRows(epochRows);
    setGradientStats(data.gradientStats);
    setConflictSummary(data.conflicts);
    setRouting(data.routing);
}

void RunPlots::addStepLossRows(const std::vector<MetricRow>& rows) {
    std::map<QString, std::vector<CurvePoint>> byTask;
    for (const MetricRow& row : rows) {
        if (row.name == "step_loss" && !row.task.empty()) {
            byTask[QString::fromStdString(row.task)].push_back(curvePointOf(row, mStepsPerEpoch));
        }
    }
    for (const auto& [task, points] : byTask) {
        mStepLoss->appendPoints(task, points, colorOf(task.toStdString()));
    }
}

void RunPlots::addProgress(const EngineEvent& event) {
    mRunId = event.runId;
    if (event.batchesPerEpoch > 0) {
        mStepsPerEpoch = event.batchesPerEpoch;
    }
    // The event's losses are newer and more frequent than its logged step rows.
    CurvePoint point;
    point.step = static_cast<double>(event.step);
    point.epoch = event.batchesPerEpoch > 0
                      ? event.epoch - 1 + static_cast<double>(event.batchInEpoch) / static_cast<double>(event.batchesPerEpoch)
                      : event.epoch;
    point.wallTime = event.elapsedSeconds;
    for (const auto& [task, loss] : event.taskLosses) {
        point.value = loss;
        mStepLoss->appendPoint(QString::fromStdString(task), point, colorOf(task));
    }
    mWeights->appendRows(event.metrics, mStepsPerEpoch);
}

void RunPlots::addEpochRows(const std::vector<MetricRow>& rows) {
    // Grouped per series, so a run read from the store redraws each series once.
    struct Pending {
        std::vector<CurvePoint> points;
        QColor color;
        Qt::PenStyle style = Qt::SolidLine;
    };
    std::map<QString, Pending> loss;
    std::map<QString, Pending> metric;
    for (const MetricRow& row : rows) {
        if (row.task.empty() || isStepRow(row)) {
            continue;
        }
        const QString series = QString::fromStdString(row.task) + QStringLiteral(" ") + QString::fromStdString(row.split);
        CurvePoint point = curvePointOf(row, mStepsPerEpoch);
        // Epoch rows belong to the end of their epoch, also when the epoch length is unknown.
        point.epoch = row.epoch;
        Pending* pending = nullptr;
        if (row.name == "loss") {
            pending = &loss[series];
        } else if (row.name == "accuracy" || row.name == "mae" || row.name == "f1") {
            pending = &metric[series + QStringLiteral(" ") + QString::fromStdString(row.name)];
        } else {
            continue;
        }
        pending->points.push_back(point);
        pending->color = colorOf(row.task);
        pending->style = splitStyle(row.split);
    }
    for (const auto& [series, pending] : loss) {
        mEpochLoss->appendPoints(series, pending.points, pending.color, pending.style);
    }
    for (const auto& [series, pending] : metric) {
        mEpochMetric->appendPoints(series, pending.points, pending.color, pending.style);
    }
}

void RunPlots::setGradientStats(const std::vector<GradientStatsRecord>& records) {
    mConflicts->setRecords(records);
    mConflictFrequency->clear();

    // Per pair: the share of negative cosines over the last kConflictWindow diagnostic steps.
    std::map<QString, std::vector<CurvePoint>> curves;
    std::map<QString, std::deque<bool>> windows;
    std::map<QString, QColor> colors;
    for (const GradientStatsRecord& record : records) {
        const size_t count = record.tasks.size();
        for (size_t a = 0; a < count; ++a) {
            for (size_t b = a + 1; b < count; ++b) {
                const QString name =
                    pairName(QString::fromStdString(record.tasks[a]), QString::fromStdString(record.tasks[b]));
                std::deque<bool>& window = windows[name];
                window.push_back(record.cosine[a][b] < 0.0);
                if (window.size() > static_cast<size_t>(kConflictWindow)) {
                    window.pop_front();
                }
                const double negatives = static_cast<double>(std::count(window.begin(), window.end(), true));
                CurvePoint point;
                point.step = static_cast<double>(record.step);
                point.epoch = mStepsPerEpoch > 0 ? point.step / static_cast<double>(mStepsPerEpoch) : record.epoch;
                point.wallTime = record.wallTime;
                point.value = negatives / static_cast<double>(window.size());
                curves[name].push_back(point);
                colors.emplace(name, CurvePlot::taskColor(static_cast<int>(colors.size()) + static_cast<int>(mTasks.size())));
            }
        }
    }
    for (const auto& [name, points] : curves) {
        mConflictFrequency->appendPoints(name, points, colors[name]);
    }
}

void RunPlots::setConflictSummary(const std::vector<PairConflictSummary>& summary) {
    mConflicts->setSummary(summary);
}

void RunPlots::setRouting(const std::vector<RoutingSnapshot>& snapshots) {
    mRouting->setSnapshots(snapshots);
}

}  // namespace mtlw
