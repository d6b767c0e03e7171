#include "Autosave.h"

#include "ProjectDocument.h"
#include "project/AtomicFile.h"
#include "store/ProcessOwner.h"

#include <spdlog/spdlog.h>

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>
#include <QStandardPaths>


namespace mtlw {

namespace {

const char* const kSuffix = ".autosave";

}  // namespace

Autosave::Autosave(ProjectDocument* document, QObject* parent) : QObject(parent), mDocument(document) {
    mTimer.setInterval(kDefaultIntervalMs);
    connect(&mTimer, &QTimer::timeout, this, &Autosave::saveNow);
    mTimer.start();
}

QString Autosave::pathFor(const QString& projectPath) {
    return projectPath + QLatin1String(kSuffix);
}

QString Autosave::untitledFolder() {
    return QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + QStringLiteral("/autosave");
}

QStringList Autosave::orphanedUntitledFiles() {
    const QDir folder(untitledFolder());
    static const QRegularExpression pattern(QStringLiteral("^untitled-(\\d+)-(\\d+)\\.mtlw\\.autosave$"));
    const std::string host = currentProcessOwner().hostname;
    QStringList files;
    for (const QFileInfo& file : folder.entryInfoList({QStringLiteral("untitled-*.mtlw.autosave")}, QDir::Files, QDir::Time)) {
        const auto match = pattern.match(file.fileName());
        if (!match.hasMatch()) {
            continue;
        }
        ProcessOwner owner;
        owner.hostname = host;
        owner.pid = match.captured(1).toLongLong();
        owner.startTime = match.captured(2).toLongLong();
        if (!isOwnerAlive(owner, host)) {
            files << file.absoluteFilePath();
        }
    }
    return files;
}

QString Autosave::currentPath() const {
    if (!mDocument->filePath().isEmpty()) {
        return pathFor(mDocument->filePath());
    }
    const ProcessOwner owner = currentProcessOwner();
    return untitledFolder() + QStringLiteral("/untitled-%1-%2.mtlw.autosave").arg(owner.pid).arg(owner.startTime);
}

bool Autosave::saveNow() {
    if (!mDocument->isModified()) {
        discard();
        return true;
    }
    const QString path = currentPath();
    if (!mWrittenPath.isEmpty() && mWrittenPath != path) {
        discard();
    }
    try {
        QDir().mkpath(QFileInfo(path).path());
        writeFileAtomically(path.toStdString(), toJson(mDocument->project()).dump(2) + "\n");
    } catch (const std::exception& error) {
        spdlog::error("autosave to {} failed: {}", path.toStdString(), error.what());
        return false;
    }
    mWrittenPath = path;
    spdlog::debug("autosaved {}", path.toStdString());
    return true;
}

void Autosave::discard() {
    if (mWrittenPath.isEmpty()) {
        return;
    }
    if (QFile::exists(mWrittenPath) && !QFile::remove(mWrittenPath)) {
        spdlog::warn("could not remove the autosave file {}", mWrittenPath.toStdString());
    }
    mWrittenPath.clear();
}

}  // namespace mtlw
