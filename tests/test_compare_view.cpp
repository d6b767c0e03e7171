// Tests of the run browser window on four real runs of the tiny tabular fixture (EW and PCGrad,
// two seeds each) in a real SQLite run store.
#include "CompareWindow.h"
#include "MainWindow.h"
#include "CurvePlot.h"
#include "MetricBarChart.h"
#include "ParetoPlot.h"
#include "RunTableModel.h"
#include "TestSupport.h"
#include "engine/Trainer.h"
#include "project/Project.h"

#include <QComboBox>
#include <QSortFilterProxyModel>
#include <QTabWidget>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>

#include <qcustomplot.h>

using namespace mtlw;

class TestCompareView : public QObject {
    Q_OBJECT

private:
    QTemporaryDir mFolder;
    QString mStorePath;
    std::vector<std::int64_t> mRunIds;

private slots:
    void initTestCase()
    {
        QVERIFY(mFolder.isValid());
        mStorePath = mFolder.filePath("runs.sqlite");
        const Project fixture = loadProject(MTLW_SOURCE_DIR "/tests/fixtures/tiny-tabular.mtlw");
        for (const char* method : {"ew", "pcgrad"}) {
            for (std::uint64_t seed : {1, 2}) {
                TrainRequest request;
                request.project = fixture;
                request.project.training.epochs = 2;
                request.project.training.seed = seed;
                request.project.training.method.name = method;
                request.storePath = mStorePath.toStdString();
                Trainer trainer(std::move(request), nullptr, nullptr);
                trainer.prepare();
                const TrainResult result = trainer.run();
                QCOMPARE(result.status, std::string("completed"));
                mRunIds.push_back(result.runId);
            }
        }
    }

    void tableListsRuns()
    {
        CompareWindow window(mStorePath);
        QCOMPARE(window.runModel()->rowCount(), 4);
        const int accuracy = window.runModel()->columnOf({"label", "accuracy"});
        QVERIFY(accuracy > 0);
        QVERIFY(window.runModel()->columnOf({"size", "mae"}) > 0);
        QCOMPARE(window.runModel()->headerData(0, Qt::Horizontal, Qt::DisplayRole).toString(), QString("Run"));
        const QModelIndex cell = window.runModel()->index(0, accuracy);
        const double value = window.runModel()->data(cell, RunTableModel::kSortRole).toDouble();
        QVERIFY2(value >= 0.0 && value <= 1.0, qPrintable(QString::number(value)));
        QCOMPARE(architectureLabel(window.runModel()->runs().front().run.projectJson), QString("mlp"));
    }

    void filterNarrowsRows()
    {
        CompareWindow window(mStorePath);
        window.setFilterText("pcgrad");
        QCOMPARE(window.filteredRuns()->rowCount(), 2);
        window.setFilterText("");
        QCOMPARE(window.filteredRuns()->rowCount(), 4);
    }

    void sortByIdIsNumeric()
    {
        CompareWindow window(mStorePath);
        window.filteredRuns()->sort(0, Qt::AscendingOrder);
        QCOMPARE(window.filteredRuns()->index(0, 0).data(RunTableModel::kRunIdRole).toLongLong(), mRunIds.front());
        window.filteredRuns()->sort(0, Qt::DescendingOrder);
        QCOMPARE(window.filteredRuns()->index(0, 0).data(RunTableModel::kRunIdRole).toLongLong(), mRunIds.back());
    }

    void curvesOverlayEveryRun()
    {
        CompareWindow window(mStorePath);
        window.selectRuns(mRunIds);
        QCOMPARE(window.selectedRunIds(), mRunIds);
        // One series per run and task: 4 runs x 2 tasks of step losses.
        QCOMPARE(window.curvePlot()->seriesNames().size(), 8);
        for (const QString& series : window.curvePlot()->seriesNames()) {
            QVERIFY2(window.curvePlot()->pointCount(series) > 0, qPrintable(series));
        }
        const int validationAccuracy = window.curveMetricCombo()->findText("validation accuracy (per epoch)");
        QVERIFY(validationAccuracy >= 0);
        window.curveMetricCombo()->setCurrentIndex(validationAccuracy);
        // Accuracy exists for the classification task only: 4 series of 2 epochs.
        QCOMPARE(window.curvePlot()->seriesNames().size(), 4);
        QCOMPARE(window.curvePlot()->pointCount(window.curvePlot()->seriesNames().front()), 2);
    }

    void barsGroupSeeds()
    {
        CompareWindow window(mStorePath);
        window.selectRuns(mRunIds);
        const int accuracy = window.barMetricCombo()->findText("label/accuracy");
        QVERIFY(accuracy >= 0);
        window.barMetricCombo()->setCurrentIndex(accuracy);
        // EW and PCGrad, each the mean of two seeds.
        QCOMPARE(window.barChart()->means().size(), std::size_t(2));
        for (double mean : window.barChart()->means()) {
            QVERIFY(mean >= 0.0 && mean <= 1.0);
        }
        QCOMPARE(window.barChart()->deviations().size(), std::size_t(2));
    }

    void paretoHighlightsFront()
    {
        CompareWindow window(mStorePath);
        window.selectRuns(mRunIds);
        QCOMPARE(window.paretoPlot()->pointCount(), 4);
        const auto& front = window.paretoPlot()->frontRunIds();
        QVERIFY(!front.empty());
        QVERIFY(front.size() <= 4);
        for (std::int64_t id : front) {
            QVERIFY(std::find(mRunIds.begin(), mRunIds.end(), id) != mRunIds.end());
        }
    }

    void hyperparameterDifferences()
    {
        CompareWindow window(mStorePath);
        window.selectRuns(mRunIds);
        window.setOnlyDifferences(true);
        QTableWidget* table = window.hyperparameterTable();
        QCOMPARE(table->columnCount(), 4);
        QStringList keys;
        for (int row = 0; row < table->rowCount(); ++row) {
            keys << table->verticalHeaderItem(row)->text();
        }
        QVERIFY2(keys.contains("training.method.name"), qPrintable(keys.join(", ")));
        QVERIFY2(keys.contains("training.seed"), qPrintable(keys.join(", ")));
        QVERIFY2(!keys.contains("training.batch_size"), qPrintable(keys.join(", ")));
        window.setOnlyDifferences(false);
        QVERIFY(table->rowCount() > keys.size());
    }

    void exportsWriteFiles()
    {
        CompareWindow window(mStorePath);
        QVERIFY(!window.exportCsv(mFolder.filePath("empty.csv")).isEmpty());
        window.selectRuns(mRunIds);
        const QString csv = mFolder.filePath("comparison.csv");
        QCOMPARE(window.exportCsv(csv), QString());
        const QList<QByteArray> lines = readBytes(csv).trimmed().split('\n');
        QCOMPARE(lines.size(), 5);
        for (const char* suffix : {"png", "svg", "pdf"}) {
            const QString path = mFolder.filePath(QString("curves.%1").arg(suffix));
            QCOMPARE(window.exportPlot(path), QString());
            QVERIFY2(readBytes(path).size() > 500, suffix);
        }
        QVERIFY(readBytes(mFolder.filePath("curves.svg")).contains("<svg"));
        QVERIFY(window.exportPlot(mFolder.filePath("curves.bmp")).contains("unknown plot format"));
        window.tabs()->setCurrentIndex(3);
        QVERIFY(!window.exportPlot(mFolder.filePath("table.png")).isEmpty());
    }

    void exportModelFromBrowser()
    {
        CompareWindow window(mStorePath);
        window.selectRuns(mRunIds);
        QVERIFY(window.exportModel(mFolder.filePath("two.pt")).contains("exactly one run"));
        window.selectRuns({mRunIds.front()});
        QVERIFY(window.exportModel(mFolder.filePath("model.onnx")).contains("unknown model format"));
        for (const char* name : {"model.pt", "model.safetensors"}) {
            QCOMPARE(window.exportModel(mFolder.filePath(name)), QString());
            QVERIFY2(readBytes(mFolder.filePath(name)).size() > 1000, name);
        }
    }

    void mainWindowOpensBrowser()
    {
        // A project beside its own run store, as the application keeps them.
        const QString project = mFolder.filePath("tabular.mtlw");
        QVERIFY(QFile::copy(MTLW_SOURCE_DIR "/tests/fixtures/tiny-tabular.mtlw", project));
        QVERIFY(QFile::copy(MTLW_SOURCE_DIR "/tests/fixtures/tiny-tabular.csv", mFolder.filePath("tiny-tabular.csv")));
        TrainRequest request;
        request.project = loadProject(project.toStdString());
        request.project.training.epochs = 1;
        Trainer trainer(std::move(request), nullptr, nullptr);
        trainer.prepare();
        QCOMPARE(trainer.run().status, std::string("completed"));

        MainWindow main;
        QVERIFY(main.openProject(project, true));
        CompareWindow* browser = main.openCompareWindow();
        QVERIFY(browser != nullptr);
        QCOMPARE(browser->runModel()->rowCount(), 1);
        QVERIFY(browser->isVisible());
    }
};

QTEST_MAIN(TestCompareView)
#include "test_compare_view.moc"
