// The runs that the merging tests share: a base trained on both tasks of the tiny-tabular
// fixture and one single-task run per task ("label", "size") fine-tuned from it, in a real run
// store in a temporary folder.
#pragma once

#include "TestSupport.h"
#include "engine/Baselines.h"
#include "engine/Trainer.h"
#include "project/Project.h"
#include "store/RunStore.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <string>

class MergeFixture {
protected:
    QTemporaryDir mDir;
    QString mProjectPath;
    QString mStorePath;
    std::int64_t mBaseRun = 0;
    std::string mBaseCheckpoint;
    /// Fine-tuned single-task runs of "label" and "size", started from mBaseCheckpoint.
    std::int64_t mLabelRun = 0;
    std::int64_t mSizeRun = 0;

    mtlw::TrainResult train(const mtlw::Project& project, const std::string& init = {},
                            const std::string& baselineTask = {})
    {
        mtlw::TrainRequest request;
        request.project = project;
        request.storePath = mStorePath.toStdString();
        request.initCheckpoint = init;
        request.baselineTask = baselineTask;
        mtlw::Trainer trainer(std::move(request), nullptr, nullptr);
        trainer.prepare();
        return trainer.run();
    }

    std::string bestCheckpoint(std::int64_t runId) const
    {
        return mtlw::RunStore(mStorePath.toStdString()).bestCheckpoint(runId)->path;
    }

    // Copies the fixture into mDir and trains the base and both fine-tuned runs for `epochs`.
    void trainFixtureRuns(int epochs)
    {
        QVERIFY(mDir.isValid());
        for (const char* name : {"tiny-tabular.mtlw", "tiny-tabular.csv"})
            QVERIFY(QFile::copy(QStringLiteral(MTLW_SOURCE_DIR "/tests/fixtures/") + name, mDir.filePath(name)));
        mProjectPath = mDir.filePath("tiny-tabular.mtlw");
        mStorePath = QString::fromStdString(mtlw::RunStore::defaultPathFor(mProjectPath.toStdString()));
        mtlw::Project project = mtlw::loadProject(mProjectPath.toStdString());
        project.training.epochs = epochs;

        const mtlw::TrainResult base = train(project);
        QCOMPARE(base.status, std::string("completed"));
        mBaseRun = base.runId;
        mBaseCheckpoint = bestCheckpoint(mBaseRun);

        const mtlw::TrainResult label = train(mtlw::singleTaskProject(project, "label"), mBaseCheckpoint, "label");
        const mtlw::TrainResult size = train(mtlw::singleTaskProject(project, "size"), mBaseCheckpoint, "size");
        QCOMPARE(label.status, std::string("completed"));
        QCOMPARE(size.status, std::string("completed"));
        mLabelRun = label.runId;
        mSizeRun = size.runId;
    }
};
