// Entry point of mtl-workbench, the desktop application.
#include "CompareWindow.h"
#include "GraphView.h"
#include "MainWindow.h"
#include "RunTableModel.h"
#include "TrainingPanel.h"

#include <spdlog/spdlog.h>

#include <QApplication>
#include <QCommandLineParser>
#include <QDockWidget>
#include <QTimer>

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("mtl-workbench"));
    QApplication::setApplicationName(QStringLiteral("mtl-workbench"));
    QApplication::setApplicationDisplayName(QStringLiteral("MTL Workbench"));
    QApplication::setApplicationVersion(QStringLiteral(MTLW_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Build, train and inspect multi-task learning models."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("project"), QStringLiteral("Project file (.mtlw) to open."));
    // For documentation screenshots: grab the window to FILE after a delay, then quit.
    QCommandLineOption screenshot(QStringLiteral("screenshot"), QStringLiteral("Save a PNG of the window and quit."),
                                  QStringLiteral("FILE"));
    screenshot.setFlags(QCommandLineOption::HiddenFromHelp);
    QCommandLineOption screenshotDelay(QStringLiteral("screenshot-delay"),
                                       QStringLiteral("Milliseconds to wait before the screenshot."),
                                       QStringLiteral("MS"), QStringLiteral("1500"));
    screenshotDelay.setFlags(QCommandLineOption::HiddenFromHelp);
    QCommandLineOption startTraining(QStringLiteral("start-training"),
                                     QStringLiteral("Start training the opened project at once."));
    startTraining.setFlags(QCommandLineOption::HiddenFromHelp);
    parser.addOption(startTraining);
    QCommandLineOption selectNode(QStringLiteral("select-node"), QStringLiteral("Select a node of the opened project."),
                                  QStringLiteral("ID"));
    selectNode.setFlags(QCommandLineOption::HiddenFromHelp);
    parser.addOption(selectNode);
    QCommandLineOption screenshotWhenFinished(
        QStringLiteral("screenshot-when-finished"),
        QStringLiteral("Take the screenshot the delay after the training run ends instead of after the start."));
    screenshotWhenFinished.setFlags(QCommandLineOption::HiddenFromHelp);
    QCommandLineOption epochs(QStringLiteral("epochs"), QStringLiteral("Epochs for the next run."), QStringLiteral("N"));
    epochs.setFlags(QCommandLineOption::HiddenFromHelp);
    QCommandLineOption showPlot(QStringLiteral("show-plot"),
                                QStringLiteral("Show the plot tab with this title, e.g. Conflicts."), QStringLiteral("TAB"));
    showPlot.setFlags(QCommandLineOption::HiddenFromHelp);
    QCommandLineOption showDataset(QStringLiteral("show-dataset"), QStringLiteral("Show the Dataset dock in front of the log."));
    showDataset.setFlags(QCommandLineOption::HiddenFromHelp);
    parser.addOption(screenshot);
    parser.addOption(screenshotDelay);
    parser.addOption(screenshotWhenFinished);
    parser.addOption(epochs);
    parser.addOption(showPlot);
    parser.addOption(showDataset);
    QCommandLineOption compareRuns(QStringLiteral("compare-runs"),
                                   QStringLiteral("Open the run browser with every run selected; the screenshot shows it."));
    compareRuns.setFlags(QCommandLineOption::HiddenFromHelp);
    parser.addOption(compareRuns);
    parser.process(app);

    mtlw::MainWindow window;
    if (!parser.positionalArguments().isEmpty()) {
        window.openProject(parser.positionalArguments().front());
    }
    if (parser.isSet(epochs)) {
        window.trainingPanel()->setEpochs(parser.value(epochs).toInt());
    }
    if (parser.isSet(showPlot) && !window.showPlotTab(parser.value(showPlot))) {
        spdlog::warn("no plot tab titled {}", parser.value(showPlot).toStdString());
    }
    if (parser.isSet(showDataset)) {
        if (auto* dock = window.findChild<QDockWidget*>(QStringLiteral("datasetDock"))) {
            dock->show();
            dock->raise();
        }
    }
    window.show();
    if (!parser.isSet(screenshot)) {
        // A crashed session may have left an untitled project behind.
        QTimer::singleShot(0, &window, &mtlw::MainWindow::recoverUntitled);
    }
    if (parser.isSet(selectNode)) {
        window.graphView()->selectNode(parser.value(selectNode));
    }
    if (parser.isSet(startTraining)) {
        QTimer::singleShot(0, &window, &mtlw::MainWindow::startTraining);
    }

    QWidget* shown = &window;
    if (parser.isSet(compareRuns)) {
        if (auto* compare = window.openCompareWindow()) {
            std::vector<std::int64_t> ids;
            for (int row = 0; row < compare->runModel()->rowCount(); ++row) {
                ids.push_back(compare->runModel()->runs()[static_cast<std::size_t>(row)].run.id);
            }
            compare->selectRuns(ids);
            if (parser.isSet(showPlot)) {
                compare->showTab(parser.value(showPlot));
            }
            shown = compare;
        }
    }

    if (parser.isSet(screenshot)) {
        const QString path = parser.value(screenshot);
        const int delay = parser.value(screenshotDelay).toInt();
        const auto grab = [shown, path]() {
            if (!shown->grab().save(path)) {
                spdlog::error("failed to write the screenshot {}; check that its folder exists and is writable", path.toStdString());
                QApplication::exit(1);
                return;
            }
            QApplication::exit(0);
        };
        if (parser.isSet(screenshotWhenFinished)) {
            QObject::connect(window.engineController(), &mtlw::EngineController::finished, &window,
                             [delay, grab]() { QTimer::singleShot(delay, grab); });
        } else {
            QTimer::singleShot(delay, &window, grab);
        }
    }
    return QApplication::exec();
}
