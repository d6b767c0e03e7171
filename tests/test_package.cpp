// Tests for the Debian package: CPack builds the .deb from the build tree, dpkg-deb unpacks it
// into a temporary root, and the unpacked binaries run from there without LD_LIBRARY_PATH.
// The desktop file, AppStream metainfo and MIME entry in the package are checked with the
// freedesktop tools where they are installed.
#include "TestSupport.h"

#include <QDir>
#include <QDirIterator>
#include <QFileInfo>
#include <QProcess>
#include <QProcessEnvironment>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <nlohmann/json.hpp>

namespace {

const QString kSourceDir = QStringLiteral(MTLW_SOURCE_DIR);
const QString kBinaryDir = QStringLiteral(MTLW_BINARY_DIR);
const QString kAppId = QStringLiteral("io.github.mtlworkbench.MtlWorkbench");
constexpr int kWaitMs = 240000;

struct ProcessResult {
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

ProcessResult runProgram(const QString& program, const QStringList& arguments, const QString& workingDirectory = {},
                         const QProcessEnvironment& environment = QProcessEnvironment::systemEnvironment())
{
    QProcess process;
    process.setProcessEnvironment(environment);
    if (!workingDirectory.isEmpty())
        process.setWorkingDirectory(workingDirectory);
    process.start(program, arguments);
    ProcessResult result;
    if (!process.waitForFinished(kWaitMs)) {
        process.kill();
        process.waitForFinished();
        result.err = "timed out or failed to start: " + program.toUtf8();
        return result;
    }
    result.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    result.out = process.readAllStandardOutput();
    result.err = process.readAllStandardError();
    return result;
}

}  // namespace

class TestPackage : public QObject {
    Q_OBJECT

private:
    QTemporaryDir mWork;
    QString mDeb;
    QString mRoot;

    // The environment for the unpacked binaries: no LD_LIBRARY_PATH, so only RPATH and the
    // system search path can find libraries.
    QProcessEnvironment cleanEnvironment() const
    {
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.remove("LD_LIBRARY_PATH");
        environment.insert("QT_QPA_PLATFORM", "offscreen");
        environment.insert("MTLW_CACHE_DIR", mWork.filePath("cache"));
        return environment;
    }

private slots:
    void initTestCase()
    {
        QVERIFY(mWork.isValid());
        if (QStandardPaths::findExecutable("dpkg-deb").isEmpty())
            QSKIP("dpkg-deb is missing: the package test runs on Debian and its derivatives only");
        QVERIFY2(QFileInfo::exists(kBinaryDir + "/CPackConfig.cmake"), "CPackConfig.cmake is missing; reconfigure");

        // cpack installs the already built tree into its own staging folder under -B.
        const ProcessResult packed =
            runProgram("cpack", {"-G", "DEB", "--config", kBinaryDir + "/CPackConfig.cmake", "-B", mWork.filePath("deb")},
                       kBinaryDir);
        QVERIFY2(packed.exitCode == 0, (packed.out + packed.err).constData());
        const QStringList debs = QDir(mWork.filePath("deb")).entryList({"*.deb"}, QDir::Files);
        QCOMPARE(debs.size(), 1);
        mDeb = mWork.filePath("deb/" + debs.front());

        mRoot = mWork.filePath("root");
        const ProcessResult unpacked = runProgram("dpkg-deb", {"-x", mDeb, mRoot});
        QVERIFY2(unpacked.exitCode == 0, unpacked.err.constData());
    }

    void packageDependsOnDebianLibraries()
    {
        const ProcessResult depends = runProgram("dpkg-deb", {"-f", mDeb, "Depends"});
        QCOMPARE(depends.exitCode, 0);
        for (const char* package : {"libtorch1.13", "libsqlite3-0", "libspdlog1.10", "libfmt9", "zlib1g",
                                    "libqt6widgets6", "libqt6svg6", "libqcustomplot2.1-qt6"}) {
            QVERIFY2(depends.out.contains(package), (QByteArray(package) + " missing in: " + depends.out).constData());
        }
        QCOMPARE(runProgram("dpkg-deb", {"-f", mDeb, "Package"}).out.trimmed(), QByteArray("mtl-workbench"));
    }

    void packageHoldsFiles_data()
    {
        QTest::addColumn<QString>("path");
        QTest::newRow("mtlw") << "usr/bin/mtlw";
        QTest::newRow("app") << "usr/bin/mtl-workbench";
        QTest::newRow("desktop") << "usr/share/applications/" + kAppId + ".desktop";
        QTest::newRow("metainfo") << "usr/share/metainfo/" + kAppId + ".metainfo.xml";
        QTest::newRow("icon") << "usr/share/icons/hicolor/scalable/apps/mtl-workbench.svg";
        QTest::newRow("mime") << "usr/share/mime/packages/mtl-workbench.xml";
        QTest::newRow("example") << "usr/share/mtl-workbench/projects/multi-fashion.mtlw";
        QTest::newRow("license") << "usr/share/doc/mtl-workbench/LICENSE";
    }

    void packageHoldsFiles()
    {
        QFETCH(QString, path);
        QVERIFY2(QFileInfo::exists(mRoot + "/" + path), qPrintable(path));
    }

    void packageLeavesOutRunStores()
    {
        QDirIterator files(mRoot + "/usr/share/mtl-workbench", QDir::Files, QDirIterator::Subdirectories);
        while (files.hasNext()) {
            const QString file = files.next();
            QVERIFY2(file.endsWith(".mtlw") || file.endsWith(".csv"), qPrintable(file));
        }
    }

    void binariesHaveNoBuildRpath_data()
    {
        QTest::addColumn<QString>("binary");
        QTest::newRow("mtlw") << "usr/bin/mtlw";
        QTest::newRow("app") << "usr/bin/mtl-workbench";
    }

    void binariesHaveNoBuildRpath()
    {
        QFETCH(QString, binary);
        if (QStandardPaths::findExecutable("readelf").isEmpty())
            QSKIP("readelf (binutils) is missing");
        const ProcessResult dynamic = runProgram("readelf", {"-d", mRoot + "/" + binary});
        QCOMPARE(dynamic.exitCode, 0);
        QVERIFY2(!dynamic.out.contains(kBinaryDir.toUtf8()), dynamic.out.constData());
        QVERIFY2(!dynamic.out.contains(kSourceDir.toUtf8()), dynamic.out.constData());
    }

    void unpackedAppPrintsVersion()
    {
        const ProcessResult app = runProgram(mRoot + "/usr/bin/mtl-workbench", {"--version"}, {}, cleanEnvironment());
        QVERIFY2(app.exitCode == 0, app.err.constData());
        QVERIFY2(app.out.contains(MTLW_VERSION), app.out.constData());

        const ProcessResult cli = runProgram(mRoot + "/usr/bin/mtlw", {"--version"}, {}, cleanEnvironment());
        QVERIFY2(cli.exitCode == 0, cli.err.constData());
        QVERIFY2(cli.out.contains(MTLW_VERSION), cli.out.constData());
    }

    void unpackedCliTrains()
    {
        const QString folder = mWork.filePath("train");
        QVERIFY(QDir().mkpath(folder));
        for (const QString name : {"tiny-tabular.mtlw", "tiny-tabular.csv"})
            QVERIFY(QFile::copy(kSourceDir + "/tests/fixtures/" + name, folder + "/" + name));

        const ProcessResult trained = runProgram(mRoot + "/usr/bin/mtlw",
                                                 {"-q", "train", "tiny-tabular.mtlw", "--epochs", "1", "--json"}, folder,
                                                 cleanEnvironment());
        QVERIFY2(trained.exitCode == 0, trained.err.constData());
        const QList<QByteArray> lines = trained.out.trimmed().split('\n');
        const auto result = nlohmann::json::parse(lines.back().toStdString());
        QCOMPARE(result.at("status").get<std::string>(), std::string("completed"));
        QVERIFY(QFileInfo::exists(folder + "/tiny-tabular.runs.sqlite"));
    }

    void metainfoValidates()
    {
        if (QStandardPaths::findExecutable("appstreamcli").isEmpty())
            QSKIP("appstreamcli is missing (Debian package appstream)");
        const ProcessResult checked = runProgram(
            "appstreamcli", {"validate", "--no-net", mRoot + "/usr/share/metainfo/" + kAppId + ".metainfo.xml"});
        QVERIFY2(checked.exitCode == 0, (checked.out + checked.err).constData());
    }

    void desktopFileValidates()
    {
        if (QStandardPaths::findExecutable("desktop-file-validate").isEmpty())
            QSKIP("desktop-file-validate is missing (Debian package desktop-file-utils)");
        const ProcessResult checked =
            runProgram("desktop-file-validate", {mRoot + "/usr/share/applications/" + kAppId + ".desktop"});
        QVERIFY2(checked.exitCode == 0 && checked.out.isEmpty(), (checked.out + checked.err).constData());
    }

    void desktopFileOpensProjects()
    {
        const QString text = QString::fromUtf8(readBytes(mRoot + "/usr/share/applications/" + kAppId + ".desktop"));
        QVERIFY(text.contains("\nExec=mtl-workbench %f\n"));
        QVERIFY(text.contains("\nMimeType=application/x-mtl-workbench-project;\n"));
        QVERIFY(text.contains("\nIcon=mtl-workbench\n"));
    }

    void mimeEntryMatchesProjects()
    {
        if (QStandardPaths::findExecutable("update-mime-database").isEmpty())
            QSKIP("update-mime-database is missing (Debian package shared-mime-info)");
        // Build a MIME database from the packaged entry alone; it must map *.mtlw to the type.
        const QString database = mWork.filePath("mime");
        QVERIFY(QDir().mkpath(database + "/packages"));
        QVERIFY(QFile::copy(mRoot + "/usr/share/mime/packages/mtl-workbench.xml", database + "/packages/mtl-workbench.xml"));
        const ProcessResult updated = runProgram("update-mime-database", {database});
        QVERIFY2(updated.exitCode == 0, updated.err.constData());
        QVERIFY(readBytes(database + "/globs2").contains("application/x-mtl-workbench-project:*.mtlw"));
    }
};

QTEST_GUILESS_MAIN(TestPackage)
#include "test_package.moc"
