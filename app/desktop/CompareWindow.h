// The run browser: every run of a run store in a sortable, filterable table, and for the
// selected runs their curves overlaid, final metrics per seed group, a Pareto plot of two task
// metrics and the hyperparameter differences. Comparisons export as CSV, plots as PNG/SVG/PDF.
#pragma once

#include "compare/Comparison.h"
#include "store/RunStore.h"

#include <QMainWindow>

#include <cstdint>
#include <memory>
#include <vector>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QSortFilterProxyModel;
class QTabWidget;
class QTableView;
class QTableWidget;

namespace mtlw {

class CurvePlot;
class MetricBarChart;
class ParetoPlot;
class RunTableModel;

class CompareWindow : public QMainWindow {
    Q_OBJECT

public:
    /// Shows the runs of `storePath`; with `projectPath`, only that project's runs.
    explicit CompareWindow(const QString& storePath, const QString& projectPath = {}, QWidget* parent = nullptr);
    ~CompareWindow() override;

    /// Selects these runs in the table (those present), which updates every view.
    void selectRuns(const std::vector<std::int64_t>& runIds);
    std::vector<std::int64_t> selectedRunIds() const;
    /// Filters the table to rows containing `text` in any column.
    void setFilterText(const QString& text);
    void setOnlyDifferences(bool only);

    /// Shows the tab with this title ("Curves", "Final metrics", "Pareto", "Hyperparameters").
    bool showTab(const QString& title);
    /// Writes the comparison of the selected runs as CSV; returns an error message or "".
    QString exportCsv(const QString& path);
    /// Writes the plot of the current tab; returns an error message or "".
    QString exportPlot(const QString& path);
    /// Exports the model of the one selected run from its best checkpoint, as TorchScript for a
    /// .pt path and as safetensors for a .safetensors path; returns an error message or "".
    QString exportModel(const QString& path);

    QTabWidget* tabs() const { return mTabs; }
    RunTableModel* runModel() const { return mRunModel; }
    QSortFilterProxyModel* filteredRuns() const { return mFilteredRuns; }
    CurvePlot* curvePlot() const { return mCurvePlot; }
    MetricBarChart* barChart() const { return mBarChart; }
    ParetoPlot* paretoPlot() const { return mParetoPlot; }
    QTableWidget* hyperparameterTable() const { return mHyperparameters; }
    QComboBox* curveMetricCombo() const { return mCurveMetric; }
    QComboBox* barMetricCombo() const { return mBarMetric; }

public Q_SLOTS:
    /// Reads the run list again, keeping the selection.
    void reload();

private:
    void buildUi();
    void updateComparison();
    void fillMetricCombos();
    void updateCurves();
    void updateBars();
    void updatePareto();
    void updateHyperparameters();
    void showError(const QString& message);
    void exportCsvInteractive();
    void exportPlotInteractive();
    void exportModelInteractive();

    QString mStorePath;
    QString mProjectPath;
    std::unique_ptr<RunStore> mStore;
    Comparison mComparison;

    RunTableModel* mRunModel;
    QSortFilterProxyModel* mFilteredRuns;
    QLineEdit* mFilter = nullptr;
    QTableView* mRunTable = nullptr;
    QLabel* mSelectionLabel = nullptr;
    QTabWidget* mTabs = nullptr;
    QComboBox* mCurveMetric = nullptr;
    QComboBox* mCurveTask = nullptr;
    CurvePlot* mCurvePlot = nullptr;
    QLabel* mCurveStyles = nullptr;
    QComboBox* mBarMetric = nullptr;
    MetricBarChart* mBarChart = nullptr;
    QComboBox* mParetoX = nullptr;
    QComboBox* mParetoY = nullptr;
    ParetoPlot* mParetoPlot = nullptr;
    QCheckBox* mOnlyDifferences = nullptr;
    QTableWidget* mHyperparameters = nullptr;
};

}  // namespace mtlw
