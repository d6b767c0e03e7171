// Tests of the Merge view on a base trained on the tiny-tabular fixture and one fine-tuned
// single-task run per task, in a real run store. Expected metrics come from a MergeSession the
// test builds itself.
#include "MergeFixture.h"
#include "MergeWindow.h"
#include "TestSupport.h"
#include "engine/Baselines.h"
#include "engine/Trainer.h"
#include "merging/MergeSession.h"
#include "project/Project.h"
#include "store/RunStore.h"

#include <QFile>
#include <QPixmap>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

using namespace mtlw;

namespace {

constexpr int kSamples = 10;  // below the fixture's 16 validation rows, so a real subset
constexpr int kWaitMs = 120000;

}  // namespace

class TestMergeView : public QObject, protected MergeFixture {
    Q_OBJECT

private:
    MergeSetup expectedSetup() const
    {
        MergeSetup setup;
        setup.project = loadProject(mProjectPath.toStdString());
        setup.baseCheckpoint = mBaseCheckpoint;
        setup.models = {{"label", bestCheckpoint(mLabelRun), "label"}, {"size", bestCheckpoint(mSizeRun), "size"}};
        return setup;
    }

    // Sets the base and both runs and loads; false when loading did not finish.
    bool loadWindow(MergeWindow& window)
    {
        window.setBaseCheckpoint(QString::fromStdString(mBaseCheckpoint));
        if (!window.setModelRun("label", mLabelRun) || !window.setModelRun("size", mSizeRun))
            return false;
        window.setSamples(kSamples);
        window.load();
        return QTest::qWaitFor([&]() { return !window.isBusy(); }, kWaitMs) && window.isLoaded();
    }

    // Moves both sliders and waits for the evaluation of exactly those coefficients.
    bool evaluateAt(MergeWindow& window, double label, double size)
    {
        const int before = window.evaluationCount();
        window.setCoefficient("label", label);
        window.setCoefficient("size", size);
        return QTest::qWaitFor([&]() { return window.evaluationCount() > before && !window.isBusy(); }, kWaitMs);
    }

    // Compares the shown merged metrics and the table's Merged column with `expected`.
    void compareShown(const MergeWindow& window, const TaskMetrics& expected)
    {
        QCOMPARE(window.mergedMetrics().size(), expected.size());
        for (const auto& [task, metrics] : expected) {
            for (const auto& [metric, value] : metrics) {
                const double shown = window.mergedMetrics().at(task).at(metric);
                QVERIFY2(std::abs(shown - value) <= 1e-6 * std::max(1.0, std::abs(value)),
                         qPrintable(QString("%1/%2: shown %3, expected %4")
                                        .arg(QString::fromStdString(task), QString::fromStdString(metric))
                                        .arg(shown)
                                        .arg(value)));
            }
        }
        const QTableWidget* table = window.resultsTable();
        int rows = 0;
        for (int row = 0; row < table->rowCount(); ++row) {
            const std::string task = table->item(row, 0)->text().toStdString();
            const std::string metric = table->item(row, 1)->text().toStdString();
            QCOMPARE(table->item(row, 2)->text(), QString::number(expected.at(task).at(metric), 'f', 4));
            ++rows;
        }
        int expectedRows = 0;
        for (const auto& entry : expected)
            expectedRows += static_cast<int>(entry.second.size());
        QCOMPARE(rows, expectedRows);
    }

private slots:
    void initTestCase() { trainFixtureRuns(1); }

    void runListsPerTask()
    {
        MergeWindow window(mStorePath, mProjectPath);
        QCOMPARE(window.tasks(), (std::vector<std::string>{"label", "size"}));
        QVERIFY(window.setModelRun("label", mLabelRun));
        QVERIFY(window.setModelRun("size", mSizeRun));
        QVERIFY(!window.setModelRun("label", mSizeRun));
        QVERIFY(!window.setModelRun("size", mBaseRun));
        QVERIFY(window.setBaseRun(mBaseRun));
        QVERIFY(!window.setBaseRun(mSizeRun + 100));
    }

    void sliderMatchesSession_data()
    {
        QTest::addColumn<double>("label");
        QTest::addColumn<double>("size");
        QTest::newRow("mixed") << 0.8 << 0.3;
        QTest::newRow("one task off") << 1.0 << 0.0;
        QTest::newRow("maximum") << 1.5 << 1.5;
    }

    void sliderMatchesSession()
    {
        QFETCH(double, label);
        QFETCH(double, size);
        MergeWindow window(mStorePath, mProjectPath);
        QVERIFY(loadWindow(window));
        QVERIFY2(window.errorText().isEmpty(), qPrintable(window.errorText()));
        QVERIFY(evaluateAt(window, label, size));

        const std::vector<double> coefficients = window.coefficients();
        QCOMPARE(coefficients.size(), std::size_t(2));
        QVERIFY(std::abs(coefficients[0] - label) < 1e-9);
        QVERIFY(std::abs(coefficients[1] - size) < 1e-9);
        QCOMPARE(window.shownCoefficients(), coefficients);

        MergeSession session(expectedSetup());
        compareShown(window, session.evaluateCoefficients(coefficients, kSamples));
        const TaskMetrics individual = session.evaluateIndividual(session.validationSplit(), kSamples);
        QCOMPARE(window.individualMetrics().size(), individual.size());
        for (const auto& [task, metrics] : individual) {
            for (const auto& [metric, value] : metrics)
                QVERIFY(std::abs(window.individualMetrics().at(task).at(metric) - value) <= 1e-6 * std::max(1.0, std::abs(value)));
        }
        QVERIFY2(window.statusText().startsWith(QString("evaluated %1 validation samples in").arg(kSamples)),
                 qPrintable(window.statusText()));

        // MTLW_MERGE_SCREENSHOT=FILE saves the window as the documentation screenshot.
        const QString screenshot = qEnvironmentVariable("MTLW_MERGE_SCREENSHOT");
        if (!screenshot.isEmpty() && QTest::currentDataTag() == QString("mixed")) {
            window.show();
            QVERIFY(QTest::qWaitForWindowExposed(&window));
            QVERIFY(window.grab().save(screenshot));
        }
    }

    void zeroCoefficientsGiveBase()
    {
        MergeWindow window(mStorePath, mProjectPath);
        QVERIFY(loadWindow(window));
        QVERIFY(evaluateAt(window, 0.0, 0.0));

        // The base's shared tensors with each fine-tuned head, evaluated without task arithmetic.
        MergeSession session(expectedSetup());
        compareShown(window, session.evaluate(session.problem().base, session.validationSplit(), kSamples));
    }

    void badBaseShowsError()
    {
        MergeWindow window(mStorePath, mProjectPath);
        const QString missing = mDir.filePath("missing-base.pt");
        window.setBaseCheckpoint(missing);
        QVERIFY(window.setModelRun("label", mLabelRun));
        QVERIFY(window.setModelRun("size", mSizeRun));
        window.load();
        QVERIFY(QTest::qWaitFor([&]() { return !window.isBusy(); }, kWaitMs));
        QVERIFY(!window.isLoaded());
        QVERIFY2(window.errorText().contains("missing-base.pt"), qPrintable(window.errorText()));
        QCOMPARE(window.evaluationCount(), 0);

        window.setCoefficient("label", 1.0);
        QVERIFY(!window.isBusy());
    }
};

QTEST_MAIN(TestMergeView)
#include "test_merge_view.moc"
