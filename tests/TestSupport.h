// Helpers shared by the Qt Test executables: reading and writing files, catching input errors.
#pragma once

#include "util/Errors.h"

#include <QByteArray>
#include <QFile>
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
