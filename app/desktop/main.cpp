// Entry point of mtl-workbench, the desktop application.
#include "GraphView.h"
#include "MainWindow.h"

#include <spdlog/spdlog.h>

#include <QApplication>
#include <QCommandLineParser>
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
    parser.addOption(screenshot);
    parser.addOption(screenshotDelay);
    parser.process(app);

    mtlw::MainWindow window;
    if (!parser.positionalArguments().isEmpty()) {
        window.openProject(parser.positionalArguments().front());
    }
    window.show();
    if (parser.isSet(selectNode)) {
        window.graphView()->selectNode(parser.value(selectNode));
    }
    if (parser.isSet(startTraining)) {
        QTimer::singleShot(0, &window, &mtlw::MainWindow::startTraining);
    }

    if (parser.isSet(screenshot)) {
        const QString path = parser.value(screenshot);
        QTimer::singleShot(parser.value(screenshotDelay).toInt(), &window, [&window, path]() {
            if (!window.grab().save(path)) {
                spdlog::error("failed to write the screenshot {}; check that its folder exists and is writable", path.toStdString());
                QApplication::exit(1);
                return;
            }
            QApplication::exit(0);
        });
    }
    return QApplication::exec();
}
