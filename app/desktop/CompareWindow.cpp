#include "CompareWindow.h"

#include "CurvePlot.h"
#include "MetricBarChart.h"
#include "ParetoPlot.h"
#include "PlotExport.h"
#include "RunTableModel.h"
#include "compare/Curves.h"
#include "export/ModelExport.h"
#include "util/Errors.h"

#include <spdlog/spdlog.h>

#include <QCheckBox>
#include <QComboBox>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>
#include <QTableWidget>
#include <QToolBar>
#include <QVBoxLayout>

#include <qcustomplot.h>

#include <set>

namespace mtlw {
namespace {

// Points per curve after downsampling; more would not show on a screen.
constexpr std::size_t kCurvePoints = 1000;

const Qt::PenStyle kTaskPens[] = {Qt::SolidLine, Qt::DashLine, Qt::DotLine, Qt::DashDotLine, Qt::DashDotDotLine};

// The label the bar chart uses for Δm% of a seed group.
const TaskMetric kDeltaMMetric{"all tasks", "Δm%"};

QString metricText(const TaskMetric& metric) {
    return QString::fromStdString(metric.label());
}

TaskMetric metricFrom(const QComboBox* combo) {
    const QStringList parts = combo->currentData().toStringList();
    if (parts.size() != 2) {
        return {};
    }
    return {parts[0].toStdString(), parts[1].toStdString()};
}

void addMetricItem(QComboBox* combo, const TaskMetric& metric) {
    combo->addItem(metricText(metric), QStringList{QString::fromStdString(metric.task), QString::fromStdString(metric.metric)});
}

// Restores the previous choice of a refilled combo box when it is still there.
void restoreChoice(QComboBox* combo, const QString& previous, int fallback) {
    const int index = combo->findText(previous);
    combo->setCurrentIndex(index >= 0 ? index : std::min(fallback, combo->count() - 1));
}

QWidget* labelled(const QString& text, QWidget* field) {
    auto* box = new QWidget;
    auto* layout = new QHBoxLayout(box);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(new QLabel(text));
    layout->addWidget(field);
    return box;
}

}  // namespace

CompareWindow::CompareWindow(const QString& storePath, const QString& projectPath, QWidget* parent)
    : QMainWindow(parent), mStorePath(storePath), mProjectPath(projectPath), mRunModel(new RunTableModel(this)),
      mFilteredRuns(new QSortFilterProxyModel(this)) {
    setWindowTitle(QStringLiteral("Compare runs — %1").arg(QFileInfo(storePath).fileName()));
    mFilteredRuns->setSourceModel(mRunModel);
    mFilteredRuns->setSortRole(RunTableModel::kSortRole);
    mFilteredRuns->setFilterCaseSensitivity(Qt::CaseInsensitive);
    mFilteredRuns->setFilterKeyColumn(-1);
    buildUi();
    reload();
    resize(1200, 820);
}

CompareWindow::~CompareWindow() = default;

void CompareWindow::buildUi() {
    auto* toolbar = addToolBar(QStringLiteral("Compare"));
    toolbar->setObjectName(QStringLiteral("compareToolbar"));
    toolbar->addAction(QIcon::fromTheme(QStringLiteral("view-refresh")), QStringLiteral("Refresh"), this,
                       &CompareWindow::reload);
    toolbar->addAction(QIcon::fromTheme(QStringLiteral("document-export")), QStringLiteral("Export CSV…"), this,
                       &CompareWindow::exportCsvInteractive);
    toolbar->addAction(QIcon::fromTheme(QStringLiteral("image-x-generic")), QStringLiteral("Export plot…"), this,
                       &CompareWindow::exportPlotInteractive);
    toolbar->addAction(QIcon::fromTheme(QStringLiteral("document-save-as")), QStringLiteral("Export model…"), this,
                       &CompareWindow::exportModelInteractive);

    auto* top = new QWidget;
    auto* topLayout = new QVBoxLayout(top);
    topLayout->setContentsMargins(6, 6, 6, 0);
    auto* filterRow = new QHBoxLayout;
    mFilter = new QLineEdit;
    mFilter->setPlaceholderText(QStringLiteral("Filter runs: method, status, project, architecture…"));
    mFilter->setClearButtonEnabled(true);
    connect(mFilter, &QLineEdit::textChanged, this, &CompareWindow::setFilterText);
    filterRow->addWidget(mFilter, 1);
    mSelectionLabel = new QLabel;
    filterRow->addWidget(mSelectionLabel);
    topLayout->addLayout(filterRow);

    mRunTable = new QTableView;
    mRunTable->setModel(mFilteredRuns);
    mRunTable->setSortingEnabled(true);
    mRunTable->sortByColumn(0, Qt::DescendingOrder);
    mRunTable->setSelectionBehavior(QAbstractItemView::SelectRows);
    mRunTable->setSelectionMode(QAbstractItemView::ExtendedSelection);
    mRunTable->setAlternatingRowColors(true);
    mRunTable->verticalHeader()->hide();
    mRunTable->horizontalHeader()->setStretchLastSection(true);
    connect(mRunTable->selectionModel(), &QItemSelectionModel::selectionChanged, this, &CompareWindow::updateComparison);
    topLayout->addWidget(mRunTable);

    mTabs = new QTabWidget;

    auto* curves = new QWidget;
    auto* curvesLayout = new QVBoxLayout(curves);
    auto* curveChoices = new QHBoxLayout;
    mCurveMetric = new QComboBox;
    mCurveTask = new QComboBox;
    curveChoices->addWidget(labelled(QStringLiteral("Curve"), mCurveMetric));
    curveChoices->addWidget(labelled(QStringLiteral("Task"), mCurveTask));
    curveChoices->addStretch(1);
    curvesLayout->addLayout(curveChoices);
    mCurvePlot = new CurvePlot(QStringLiteral("step"), QStringLiteral("value"));
    mCurvePlot->setXAxisSelectable(false);
    // Dozens of overlaid, dashed, noisy curves are slow to stroke with antialiasing.
    mCurvePlot->plot()->setNotAntialiasedElements(QCP::aePlottables);
    mCurvePlot->plot()->setPlottingHint(QCP::phFastPolylines, true);
    curvesLayout->addWidget(mCurvePlot, 1);
    mCurveStyles = new QLabel;
    curvesLayout->addWidget(mCurveStyles);
    connect(mCurveMetric, &QComboBox::currentIndexChanged, this, &CompareWindow::updateCurves);
    connect(mCurveTask, &QComboBox::currentIndexChanged, this, &CompareWindow::updateCurves);
    mTabs->addTab(curves, QStringLiteral("Curves"));

    auto* bars = new QWidget;
    auto* barsLayout = new QVBoxLayout(bars);
    mBarMetric = new QComboBox;
    auto* barChoices = new QHBoxLayout;
    barChoices->addWidget(labelled(QStringLiteral("Final test metric"), mBarMetric));
    barChoices->addStretch(1);
    barsLayout->addLayout(barChoices);
    mBarChart = new MetricBarChart;
    barsLayout->addWidget(mBarChart, 1);
    connect(mBarMetric, &QComboBox::currentIndexChanged, this, &CompareWindow::updateBars);
    mTabs->addTab(bars, QStringLiteral("Final metrics"));

    auto* pareto = new QWidget;
    auto* paretoLayout = new QVBoxLayout(pareto);
    mParetoX = new QComboBox;
    mParetoY = new QComboBox;
    auto* paretoChoices = new QHBoxLayout;
    paretoChoices->addWidget(labelled(QStringLiteral("x"), mParetoX));
    paretoChoices->addWidget(labelled(QStringLiteral("y"), mParetoY));
    paretoChoices->addStretch(1);
    paretoLayout->addLayout(paretoChoices);
    mParetoPlot = new ParetoPlot;
    paretoLayout->addWidget(mParetoPlot, 1);
    connect(mParetoX, &QComboBox::currentIndexChanged, this, &CompareWindow::updatePareto);
    connect(mParetoY, &QComboBox::currentIndexChanged, this, &CompareWindow::updatePareto);
    mTabs->addTab(pareto, QStringLiteral("Pareto"));

    auto* hyperparameters = new QWidget;
    auto* hyperparametersLayout = new QVBoxLayout(hyperparameters);
    mOnlyDifferences = new QCheckBox(QStringLiteral("Only differences"));
    mOnlyDifferences->setChecked(true);
    connect(mOnlyDifferences, &QCheckBox::toggled, this, &CompareWindow::updateHyperparameters);
    hyperparametersLayout->addWidget(mOnlyDifferences);
    mHyperparameters = new QTableWidget;
    mHyperparameters->setEditTriggers(QAbstractItemView::NoEditTriggers);
    mHyperparameters->horizontalHeader()->setStretchLastSection(true);
    hyperparametersLayout->addWidget(mHyperparameters, 1);
    mTabs->addTab(hyperparameters, QStringLiteral("Hyperparameters"));

    auto* splitter = new QSplitter(Qt::Vertical);
    splitter->addWidget(top);
    splitter->addWidget(mTabs);
    splitter->setStretchFactor(0, 2);
    splitter->setStretchFactor(1, 3);
    setCentralWidget(splitter);
}

void CompareWindow::reload() {
    const std::vector<std::int64_t> selected = selectedRunIds();
    try {
        mStore = std::make_unique<RunStore>(mStorePath.toStdString());
        mRunModel->setRuns(listRuns(*mStore, mProjectPath.toStdString()));
    } catch (const std::exception& error) {
        showError(QString::fromUtf8(error.what()));
        return;
    }
    mRunTable->resizeColumnsToContents();
    selectRuns(selected);
    statusBar()->showMessage(QStringLiteral("%1 runs in %2").arg(mRunModel->rowCount()).arg(mStorePath));
}

void CompareWindow::selectRuns(const std::vector<std::int64_t>& runIds) {
    const std::set<std::int64_t> wanted(runIds.begin(), runIds.end());
    QItemSelection selection;
    for (int row = 0; row < mFilteredRuns->rowCount(); ++row) {
        const QModelIndex index = mFilteredRuns->index(row, 0);
        if (wanted.count(index.data(RunTableModel::kRunIdRole).toLongLong()) > 0) {
            selection.select(index, mFilteredRuns->index(row, mFilteredRuns->columnCount() - 1));
        }
    }
    // The selection signal updates every view once.
    const bool unchanged = selection.indexes() == mRunTable->selectionModel()->selectedIndexes();
    mRunTable->selectionModel()->select(selection, QItemSelectionModel::ClearAndSelect);
    if (unchanged) {
        updateComparison();
    }
}

std::vector<std::int64_t> CompareWindow::selectedRunIds() const {
    std::vector<std::int64_t> ids;
    for (const QModelIndex& index : mRunTable->selectionModel()->selectedRows()) {
        ids.push_back(index.data(RunTableModel::kRunIdRole).toLongLong());
    }
    std::sort(ids.begin(), ids.end());
    return ids;
}

void CompareWindow::setFilterText(const QString& text) {
    if (mFilter->text() != text) {
        mFilter->setText(text);
    }
    mFilteredRuns->setFilterFixedString(text);
}

void CompareWindow::setOnlyDifferences(bool only) {
    mOnlyDifferences->setChecked(only);
}

void CompareWindow::updateComparison() {
    const std::vector<std::int64_t> ids = selectedRunIds();
    mSelectionLabel->setText(ids.empty() ? QStringLiteral("Select runs to compare (Ctrl/Shift-click)")
                                         : QStringLiteral("%1 selected").arg(ids.size()));
    mComparison = {};
    if (!ids.empty() && mStore) {
        try {
            mComparison = compareRuns(*mStore, ids);
        } catch (const std::exception& error) {
            showError(QString::fromUtf8(error.what()));
        }
    }
    fillMetricCombos();
    updateCurves();
    updateBars();
    updatePareto();
    updateHyperparameters();
}

void CompareWindow::fillMetricCombos() {
    const QString curve = mCurveMetric->currentText();
    const QString task = mCurveTask->currentText();
    // Before any run is selected Δm% is the only choice, and it should not stick.
    const QString bar = mBarMetric->count() > 1 ? mBarMetric->currentText() : QString();
    const QString paretoX = mParetoX->currentText();
    const QString paretoY = mParetoY->currentText();
    for (QComboBox* combo : {mCurveMetric, mCurveTask, mBarMetric, mParetoX, mParetoY}) {
        combo->blockSignals(true);
        combo->clear();
    }

    mCurveMetric->addItem(QStringLiteral("train step loss"), QStringList{"train", "step_loss"});
    mCurveMetric->addItem(QStringLiteral("train weight"), QStringList{"train", "weight"});
    std::set<std::string> names;
    std::set<std::string> tasks;
    for (const TaskMetric& metric : mComparison.metrics) {
        names.insert(metric.metric);
        tasks.insert(metric.task);
    }
    names.insert("loss");
    for (const char* split : {"validation", "train"}) {
        for (const std::string& name : names) {
            mCurveMetric->addItem(QStringLiteral("%1 %2 (per epoch)").arg(split, QString::fromStdString(name)),
                                  QStringList{split, QString::fromStdString(name)});
        }
    }
    mCurveTask->addItem(QStringLiteral("All tasks"), QString());
    for (const std::string& name : tasks) {
        mCurveTask->addItem(QString::fromStdString(name), QString::fromStdString(name));
    }
    for (const TaskMetric& metric : mComparison.metrics) {
        addMetricItem(mBarMetric, metric);
        addMetricItem(mParetoX, metric);
        addMetricItem(mParetoY, metric);
    }
    addMetricItem(mBarMetric, kDeltaMMetric);

    restoreChoice(mCurveMetric, curve, 0);
    restoreChoice(mCurveTask, task, 0);
    restoreChoice(mBarMetric, bar, 0);
    restoreChoice(mParetoX, paretoX, 0);
    restoreChoice(mParetoY, paretoY, 1);
    for (QComboBox* combo : {mCurveMetric, mCurveTask, mBarMetric, mParetoX, mParetoY}) {
        combo->blockSignals(false);
    }
}

void CompareWindow::updateCurves() {
    mCurvePlot->clear();
    const QStringList choice = mCurveMetric->currentData().toStringList();
    if (mComparison.runs.empty() || choice.size() != 2 || !mStore) {
        return;
    }
    CurveRequest request;
    request.split = choice[0].toStdString();
    request.name = choice[1].toStdString();
    request.task = mCurveTask->currentData().toString().toStdString();
    std::vector<std::int64_t> ids;
    for (const ComparedRun& run : mComparison.runs) {
        ids.push_back(run.run.id);
    }
    std::vector<Curve> curves;
    try {
        curves = loadCurves(*mStore, ids, request, kCurvePoints, Downsampling::MinMax);
    } catch (const std::exception& error) {
        showError(QString::fromUtf8(error.what()));
        return;
    }

    mCurvePlot->setMarkers(request.name != "step_loss" && request.name != "weight");
    std::map<std::int64_t, int> runIndex;
    std::map<std::string, int> taskIndex;
    for (const Curve& curve : curves) {
        if (curve.steps.empty()) {
            continue;
        }
        const int run = runIndex.emplace(curve.runId, static_cast<int>(runIndex.size())).first->second;
        const int task = taskIndex.emplace(curve.task, static_cast<int>(taskIndex.size())).first->second;
        std::vector<CurvePoint> points;
        points.reserve(curve.steps.size());
        for (std::size_t i = 0; i < curve.steps.size(); ++i) {
            points.push_back({curve.steps[i], curve.steps[i], curve.steps[i], curve.values[i]});
        }
        const QString series = QStringLiteral("#%1 %2").arg(curve.runId).arg(QString::fromStdString(curve.task));
        mCurvePlot->appendPoints(series, points, CurvePlot::taskColor(run), kTaskPens[task % 5]);
    }

    // The legend names each run once, by its colour, and the line style marks the task.
    std::map<std::int64_t, const ComparedRun*> runsById;
    for (const ComparedRun& run : mComparison.runs) {
        runsById[run.run.id] = &run;
    }
    QCustomPlot* plot = mCurvePlot->plot();
    for (int i = 0; i < plot->graphCount(); ++i) {
        QCPGraph* graph = plot->graph(i);
        const QStringList parts = graph->name().split(QLatin1Char(' '));
        if (parts.size() < 2 || !parts[0].startsWith(QLatin1Char('#')) || !graph->visible()) {
            continue;
        }
        const std::int64_t id = parts[0].mid(1).toLongLong();
        const auto found = runsById.find(id);
        const auto task = taskIndex.find(graph->name().section(QLatin1Char(' '), 1).toStdString());
        // Thin lines: many overlaid curves stay readable and draw several times faster.
        QPen pen = graph->pen();
        pen.setWidthF(1.0);
        graph->setPen(pen);
        if (task != taskIndex.end() && task->second != 0) {
            graph->removeFromLegend();
        } else if (found != runsById.end()) {
            const RunRecord& run = found->second->run;
            graph->setName(QStringLiteral("#%1 %2 seed %3").arg(id).arg(QString::fromStdString(run.method)).arg(run.seed));
        }
    }
    // Many runs wrap the legend into columns of 12 instead of running off the plot.
    plot->legend->setFillOrder(QCPLayoutGrid::foRowsFirst, false);
    plot->legend->setWrap(12);
    plot->legend->setFillOrder(QCPLayoutGrid::foRowsFirst, true);

    QStringList styles;
    const char* const styleNames[] = {"solid", "dashed", "dotted", "dash-dot", "dash-dot-dot"};
    for (const auto& [name, index] : taskIndex) {
        styles << QStringLiteral("%1: %2").arg(QString::fromLatin1(styleNames[index % 5]), QString::fromStdString(name));
    }
    mCurveStyles->setText(taskIndex.size() > 1 ? QStringLiteral("Line style by task: %1").arg(styles.join(QStringLiteral(", ")))
                                               : QString());
    plot->replot();
}

void CompareWindow::updateBars() {
    std::vector<SeedGroup> groups = seedGroups(mComparison);
    // Ticks name a group by its method. Where groups share a method, the project name or the
    // differing hyperparameters (shortened, because they can be long) tell them apart.
    std::map<std::int64_t, const RunRecord*> records;
    std::map<std::string, std::set<std::string>> projectsPerMethod;
    std::map<std::string, int> groupsPerMethod;
    for (const ComparedRun& run : mComparison.runs) {
        records[run.run.id] = &run.run;
    }

    for (const SeedGroup& group : groups) {
        const RunRecord* run = records[group.runIds.front()];
        ++groupsPerMethod[run->method];
        projectsPerMethod[run->method].insert(run->projectName);
    }
    for (SeedGroup& group : groups) {
        const RunRecord* run = records[group.runIds.front()];
        const std::string& method = run->method;
        if (groupsPerMethod[method] > 1 && projectsPerMethod[method].size() == static_cast<std::size_t>(groupsPerMethod[method])) {
            group.label = method + " · " + run->projectName;
        } else if (groupsPerMethod[method] > 1 && group.label != method) {
            QString detail = QString::fromStdString(group.label);
            if (detail.size() > 28) {
                detail = detail.left(27) + QStringLiteral("…");
            }
            group.label = method + " (" + detail.toStdString() + ")";
        } else {
            group.label = method;
        }
    }

    const TaskMetric metric = metricFrom(mBarMetric);
    if (metric == kDeltaMMetric) {
        for (SeedGroup& group : groups) {
            group.taskMetrics[kDeltaMMetric.task][kDeltaMMetric.metric] = group.deltaM;
        }
    }
    mBarChart->setGroups(groups, metric);
}

void CompareWindow::updatePareto() {
    const TaskMetric x = metricFrom(mParetoX);
    const TaskMetric y = metricFrom(mParetoY);
    if (x.task.empty() || y.task.empty()) {
        mParetoPlot->setComparison({}, x, y);
        return;
    }
    mParetoPlot->setComparison(mComparison, x, y);
}

void CompareWindow::updateHyperparameters() {
    const std::vector<HyperparameterRow> rows = hyperparameterRows(mComparison, mOnlyDifferences->isChecked());
    mHyperparameters->clear();
    mHyperparameters->setRowCount(static_cast<int>(rows.size()));
    mHyperparameters->setColumnCount(static_cast<int>(mComparison.runs.size()));
    QStringList headers;
    for (const ComparedRun& run : mComparison.runs) {
        headers << QStringLiteral("#%1 %2").arg(run.run.id).arg(QString::fromStdString(run.run.method));
    }
    mHyperparameters->setHorizontalHeaderLabels(headers);
    QStringList keys;
    const QColor differs = palette().color(QPalette::Highlight).lighter(185);
    for (std::size_t row = 0; row < rows.size(); ++row) {
        keys << QString::fromStdString(rows[row].key);
        for (std::size_t column = 0; column < rows[row].values.size(); ++column) {
            const auto& value = rows[row].values[column];
            auto* item = new QTableWidgetItem(value ? QString::fromStdString(*value) : QStringLiteral("—"));
            if (rows[row].differs) {
                item->setBackground(differs);
            }
            mHyperparameters->setItem(static_cast<int>(row), static_cast<int>(column), item);
        }
    }
    mHyperparameters->setVerticalHeaderLabels(keys);
    mHyperparameters->resizeColumnsToContents();
}

bool CompareWindow::showTab(const QString& title) {
    for (int i = 0; i < mTabs->count(); ++i) {
        if (mTabs->tabText(i).compare(title, Qt::CaseInsensitive) == 0) {
            mTabs->setCurrentIndex(i);
            return true;
        }
    }
    return false;
}

QString CompareWindow::exportCsv(const QString& path) {
    if (mComparison.runs.empty()) {
        return QStringLiteral("Select at least one run to export a comparison.");
    }
    try {
        writeComparisonCsv(mComparison, path.toStdString(), mOnlyDifferences->isChecked());
    } catch (const std::exception& error) {
        return QString::fromUtf8(error.what());
    }
    return {};
}

QString CompareWindow::exportPlot(const QString& path) {
    QCustomPlot* plot = nullptr;
    switch (mTabs->currentIndex()) {
    case 0:
        plot = mCurvePlot->plot();
        break;
    case 1:
        plot = mBarChart->plot();
        break;
    case 2:
        plot = mParetoPlot->plot();
        break;
    default:
        return QStringLiteral("The Hyperparameters tab has no plot; export it with Export CSV.");
    }
    return savePlot(plot, path);
}

QString CompareWindow::exportModel(const QString& path) {
    const std::vector<std::int64_t> ids = selectedRunIds();
    if (ids.size() != 1) {
        return QStringLiteral("Select exactly one run to export its model (%1 selected).").arg(ids.size());
    }
    const QString suffix = QFileInfo(path).suffix().toLower();
    if (suffix != QLatin1String("pt") && suffix != QLatin1String("safetensors")) {
        return QStringLiteral("%1: unknown model format '%2'; use .pt for TorchScript or .safetensors").arg(path, suffix);
    }
    const ExportFormat format = suffix == QLatin1String("pt") ? ExportFormat::TorchScript : ExportFormat::Safetensors;
    try {
        exportRun(*mStore, ids.front(), format, CheckpointChoice::Best, path.toStdString());
    } catch (const std::exception& error) {
        return QString::fromUtf8(error.what());
    }
    spdlog::info("run {}: exported the model to {}", ids.front(), path.toStdString());
    return {};
}

void CompareWindow::showError(const QString& message) {
    spdlog::error("run browser: {}", message.toStdString());
    statusBar()->showMessage(message, 15000);
}

void CompareWindow::exportCsvInteractive() {
    const QString path = QFileDialog::getSaveFileName(this, QStringLiteral("Export comparison"), QStringLiteral("comparison.csv"),
                                                      QStringLiteral("CSV file (*.csv)"));
    if (path.isEmpty()) {
        return;
    }
    const QString error = exportCsv(path);
    if (!error.isEmpty()) {
        QMessageBox::warning(this, QStringLiteral("Export comparison"), error);
        return;
    }
    statusBar()->showMessage(QStringLiteral("Saved %1").arg(path), 5000);
}

void CompareWindow::exportPlotInteractive() {
    const QString path = QFileDialog::getSaveFileName(this, QStringLiteral("Export plot"), QStringLiteral("plot.png"),
                                                      plotFileFilter());
    if (path.isEmpty()) {
        return;
    }
    const QString error = exportPlot(path);
    if (!error.isEmpty()) {
        QMessageBox::warning(this, QStringLiteral("Export plot"), error);
        return;
    }
    statusBar()->showMessage(QStringLiteral("Saved %1").arg(path), 5000);
}

void CompareWindow::exportModelInteractive() {
    const std::vector<std::int64_t> ids = selectedRunIds();
    const QString name = ids.size() == 1 ? QStringLiteral("run-%1.pt").arg(ids.front()) : QStringLiteral("model.pt");
    const QString path = QFileDialog::getSaveFileName(
        this, QStringLiteral("Export model"), name,
        QStringLiteral("TorchScript module (*.pt);;safetensors weights (*.safetensors)"));
    if (path.isEmpty()) {
        return;
    }
    const QString error = exportModel(path);
    if (!error.isEmpty()) {
        QMessageBox::warning(this, QStringLiteral("Export model"), error);
        return;
    }
    statusBar()->showMessage(QStringLiteral("Saved %1").arg(path), 5000);
}

}  // namespace mtlw
