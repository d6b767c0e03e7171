#include "StoreLoader.h"

#include <spdlog/spdlog.h>

#include <QCoreApplication>
#include <QFileInfo>
#include <QMetaObject>

#include <algorithm>
#include <exception>

namespace mtlw {

StoreLoader::StoreLoader(QObject* parent) : QObject(parent) {
    // One thread keeps the reads in request order.
    mPool.setMaxThreadCount(1);
}

StoreLoader::~StoreLoader() {
    mPool.waitForDone();
}

void StoreLoader::requestRuns(const QString& storePath, const QString& projectPath) {
    const int generation = ++mRunsGeneration;
    mPool.start([this, generation, storePath, projectPath]() {
        std::vector<RunRecord> runs;
        QString error;
        try {
            // Opening a RunStore creates the file; a project without runs has none.
            if (QFileInfo::exists(storePath)) {
                runs = RunStore(storePath.toStdString()).runs();
                // The store keeps the project path as the trainer was given it, relative or
                // absolute, so runs match by file rather than by the stored text.
                const QFileInfo project(projectPath);
                const auto otherProject = [&project](const RunRecord& run) {
                    return QFileInfo(QString::fromStdString(run.projectPath)).fileName() != project.fileName();
                };
                runs.erase(std::remove_if(runs.begin(), runs.end(), otherProject), runs.end());
            }
        } catch (const std::exception& exception) {
            error = tr("Could not read the runs in %1: %2").arg(storePath, QString::fromUtf8(exception.what()));
        }
        QMetaObject::invokeMethod(this, [this, generation, storePath, runs = std::move(runs), error]() {
            if (generation != mRunsGeneration) {
                return;
            }
            if (!error.isEmpty()) {
                spdlog::error("{}", error.toStdString());
                Q_EMIT loadFailed(error);
                return;
            }
            Q_EMIT runsLoaded(storePath, runs);
        }, Qt::QueuedConnection);
    });
}

void StoreLoader::requestRun(const QString& storePath, qint64 runId) {
    const int generation = ++mRunGeneration;
    mPool.start([this, generation, storePath, runId]() {
        RunData data;
        QString error;
        try {
            if (!QFileInfo::exists(storePath)) {
                throw std::runtime_error("the file does not exist");
            }
            data = loadRunData(storePath.toStdString(), runId);
        } catch (const std::exception& exception) {
            error = tr("Could not read run %1 from %2: %3").arg(runId).arg(storePath, QString::fromUtf8(exception.what()));
        }
        QMetaObject::invokeMethod(this, [this, generation, data = std::move(data), error]() {
            if (generation != mRunGeneration) {
                return;
            }
            if (!error.isEmpty()) {
                spdlog::error("{}", error.toStdString());
                Q_EMIT loadFailed(error);
                return;
            }
            Q_EMIT runLoaded(data);
        }, Qt::QueuedConnection);
    });
}

void StoreLoader::waitForIdle() {
    mPool.waitForDone();
    QCoreApplication::sendPostedEvents(this);
}

}  // namespace mtlw
