// Helpers shared by the Qt Test executables: reading and writing files, catching input errors.
#pragma once

#include "util/Errors.h"

#include <QByteArray>
#include <QFile>
#include <QProcess>
#include <QStringList>
#include <QString>
#include <QTest>

#include <functional>

// Runs `action` and returns the InputError message, or an empty string when nothing is thrown.
inline QString inputErrorOf(const std::function<void()>& action)
{
    try {
        action();
    } catch (const mtlw::InputError& error) {
        return QString::fromStdString(error.what());
    }
    return {};
}

// Writes `bytes` to `path`, failing the current test if that is not possible.
inline void writeFile(const QString& path, const QByteArray& bytes)
{
    QFile file(path);
    QVERIFY2(file.open(QIODevice::WriteOnly | QIODevice::Truncate), qPrintable(path));
    QCOMPARE(file.write(bytes), qint64(bytes.size()));
}

// Returns the file's bytes, or an empty array when it cannot be read.
inline QByteArray readBytes(const QString& path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return file.readAll();
}

// What a finished `mtlw` process printed, and its exit status (-1 when it crashed or timed out).
struct Output {
    int exitCode = -1;
    QString out;
    QString err;
};

#ifdef MTLW_BINARY_DIR
// Runs the built `mtlw` with `arguments`, waiting at most `waitMs`.
inline Output runMtlwCommand(const QStringList& arguments, const QString& workingDirectory = {}, int waitMs = 180000)
{
    const QString program = QStringLiteral(MTLW_BINARY_DIR "/bin/mtlw");
    QProcess process;
    if (!workingDirectory.isEmpty())
        process.setWorkingDirectory(workingDirectory);
    process.start(program, arguments);
    Output output;
    if (!process.waitForStarted() || !process.waitForFinished(waitMs)) {
        output.err = program + ": " + process.errorString();
        process.kill();
        process.waitForFinished();
        return output;
    }
    output.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    output.out = QString::fromUtf8(process.readAllStandardOutput());
    output.err = QString::fromUtf8(process.readAllStandardError());
    return output;
}
#endif

// The exit status and both streams of a process, for failure messages.
inline QString describe(const Output& output)
{
    return QString("exit %1\nstdout:\n%2\nstderr:\n%3").arg(output.exitCode).arg(output.out, output.err);
}
