#include "MergeWindow.h"

#include "engine/Trainer.h"
#include "project/Project.h"
#include "store/RunStore.h"
#include "util/Errors.h"

#include <spdlog/spdlog.h>

#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSlider>
#include <QSpinBox>
#include <QTableWidget>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>
#include <chrono>
#include <cmath>

namespace mtlw {

namespace {

constexpr int kSliderSteps = 30;  // kMaxCoefficient / kCoefficientStep

std::string checkpointOfRun(const RunStore& store, std::int64_t runId) {
    auto checkpoint = store.bestCheckpoint(runId);
    if (!checkpoint) {
        checkpoint = store.latestCheckpoint(runId);
    }
    if (!checkpoint) {
        throw InputError(store.path() + ": run " + std::to_string(runId) + " has no checkpoint; choose another run");
    }
    return checkpoint->path;
}

QString runLabel(const RunRecord& run) {
    return QStringLiteral("run %1 · %2 · %3")
        .arg(run.id)
        .arg(QString::fromStdString(run.method), QString::fromStdString(run.status));
}

int comboIndexOf(const QComboBox* combo, std::int64_t runId) {
    return combo->findData(QVariant::fromValue<qint64>(runId));
}

}  // namespace

MergeWindow::MergeWindow(const QString& storePath, const QString& projectPath, QWidget* parent)
    : QMainWindow(parent), mStorePath(storePath), mProjectPath(projectPath) {
    setWindowTitle(tr("Merge Models — %1").arg(QDir::toNativeSeparators(projectPath)));
    QString projectError;
    try {
        for (const TaskSpec& task : loadProject(projectPath.toStdString()).tasks) {
            mTasks.push_back(task.name);
        }
    } catch (const std::exception& error) {
        projectError = QString::fromUtf8(error.what());
    }
    buildUi();
    fillRunCombos();
    if (!projectError.isEmpty()) {
        showError(projectError);
    }
}

MergeWindow::~MergeWindow() {
    if (mWorker.joinable()) {
        mWorker.join();
    }
}

void MergeWindow::buildUi() {
    auto* central = new QWidget(this);
    auto* layout = new QVBoxLayout(central);

    auto* baseBox = new QGroupBox(tr("Base checkpoint"), central);
    auto* baseLayout = new QHBoxLayout(baseBox);
    mBaseRun = new QComboBox(baseBox);
    mBaseRun->addItem(tr("Checkpoint file"), QVariant::fromValue<qint64>(-1));
    mBasePath = new QLineEdit(baseBox);
    mBasePath->setPlaceholderText(tr("checkpoint file of the model every fine-tuned run started from"));
    auto* browse = new QPushButton(tr("Browse…"), baseBox);
    connect(browse, &QPushButton::clicked, this, &MergeWindow::browseBase);
    connect(mBaseRun, &QComboBox::currentIndexChanged, this,
            [this](int index) { mBasePath->setEnabled(index == 0); });
    baseLayout->addWidget(mBaseRun);
    baseLayout->addWidget(mBasePath, 1);
    baseLayout->addWidget(browse);
    layout->addWidget(baseBox);

    mDebounce = new QTimer(this);
    mDebounce->setSingleShot(true);
    mDebounce->setInterval(kDebounceMs);
    connect(mDebounce, &QTimer::timeout, this, &MergeWindow::startEvaluation);

    auto* modelsBox = new QGroupBox(tr("Fine-tuned models and coefficients"), central);
    auto* grid = new QFormLayout(modelsBox);
    for (const std::string& task : mTasks) {
        TaskRow row;
        row.task = task;
        auto* line = new QWidget(modelsBox);
        auto* lineLayout = new QHBoxLayout(line);
        lineLayout->setContentsMargins(0, 0, 0, 0);
        row.run = new QComboBox(line);
        row.run->addItem(tr("(choose a run)"), QVariant::fromValue<qint64>(-1));
        row.slider = new QSlider(Qt::Horizontal, line);
        row.slider->setRange(0, kSliderSteps);
        row.slider->setValue(static_cast<int>(std::lround(kDefaultCoefficient / kCoefficientStep)));
        row.slider->setEnabled(false);
        row.value = new QLabel(QString::number(kDefaultCoefficient, 'f', 2), line);
        row.value->setMinimumWidth(row.value->fontMetrics().horizontalAdvance(QStringLiteral("0.00  ")));
        QLabel* value = row.value;
        connect(row.slider, &QSlider::valueChanged, this, [this, value](int step) {
            value->setText(QString::number(step * kCoefficientStep, 'f', 2));
            scheduleEvaluation();
        });
        lineLayout->addWidget(row.run, 1);
        lineLayout->addWidget(row.slider, 2);
        lineLayout->addWidget(row.value);
        grid->addRow(QString::fromStdString(task), line);
        mRows.push_back(row);
    }
    layout->addWidget(modelsBox);

    auto* controls = new QHBoxLayout();
    controls->addWidget(new QLabel(tr("Validation samples"), central));
    mSamples = new QSpinBox(central);
    mSamples->setRange(0, 1000000);
    mSamples->setSingleStep(100);
    mSamples->setValue(1000);
    mSamples->setSpecialValueText(tr("all"));
    mSamples->setToolTip(tr("Evaluate on the first N validation samples; 0 evaluates all of them"));
    connect(mSamples, &QSpinBox::valueChanged, this, &MergeWindow::scheduleEvaluation);
    controls->addWidget(mSamples);
    controls->addStretch(1);
    mLoadButton = new QPushButton(tr("Load"), central);
    mLoadButton->setToolTip(tr("Read the data and checkpoints; the sliders work once they are loaded"));
    connect(mLoadButton, &QPushButton::clicked, this, &MergeWindow::load);
    controls->addWidget(mLoadButton);
    layout->addLayout(controls);

    mResults = new QTableWidget(0, 4, central);
    mResults->setHorizontalHeaderLabels({tr("Task"), tr("Metric"), tr("Merged"), tr("Fine-tuned alone")});
    mResults->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    mResults->verticalHeader()->setVisible(false);
    mResults->setEditTriggers(QAbstractItemView::NoEditTriggers);
    layout->addWidget(mResults, 1);

    mError = new QLabel(central);
    mError->setWordWrap(true);
    mError->setStyleSheet(QStringLiteral("color: #b00020;"));
    mError->setTextInteractionFlags(Qt::TextSelectableByMouse);
    mError->hide();
    layout->addWidget(mError);
    mStatus = new QLabel(tr("Choose a base and one run per task, then Load."), central);
    layout->addWidget(mStatus);

    setCentralWidget(central);
    resize(720, 520);
}

void MergeWindow::fillRunCombos() {
    if (mStorePath.isEmpty()) {
        return;
    }
    std::vector<RunRecord> runs;
    std::map<std::int64_t, bool> hasCheckpoint;
    try {
        RunStore store(mStorePath.toStdString());
        runs = store.runs();
        for (const RunRecord& run : runs) {
            hasCheckpoint[run.id] = store.bestCheckpoint(run.id) || store.latestCheckpoint(run.id);
        }
    } catch (const std::exception& error) {
        showError(QString::fromUtf8(error.what()));
        return;
    }
    std::sort(runs.begin(), runs.end(), [](const RunRecord& a, const RunRecord& b) { return a.id > b.id; });

    std::int64_t defaultBase = -1;
    for (const RunRecord& run : runs) {
        if (!hasCheckpoint[run.id]) {
            continue;
        }
        std::vector<std::string> runTasks;
        try {
            for (const TaskSpec& task : projectOfRun(run).tasks) {
                runTasks.push_back(task.name);
            }
        } catch (const std::exception& error) {
            spdlog::warn("run {}: project snapshot is unreadable, not listed for merging: {}", run.id, error.what());
            continue;
        }
        mBaseRun->addItem(runLabel(run), QVariant::fromValue<qint64>(run.id));
        if (runTasks.size() > 1 && defaultBase < 0) {
            defaultBase = run.id;
        }
        const std::string baselineTask =
            run.summary.is_object() ? run.summary.value("baseline_task", std::string()) : std::string();
        for (TaskRow& row : mRows) {
            const bool singleTask = runTasks.size() == 1 && runTasks.front() == row.task;
            if (singleTask || baselineTask == row.task) {
                row.run->addItem(runLabel(run), QVariant::fromValue<qint64>(run.id));
                if (row.run->currentIndex() == 0) {
                    row.run->setCurrentIndex(row.run->count() - 1);
                }
            }
        }
    }
    if (defaultBase >= 0) {
        setBaseRun(defaultBase);
    }
}

void MergeWindow::browseBase() {
    const QString path = QFileDialog::getOpenFileName(this, tr("Base checkpoint"), mBasePath->text(),
                                                      tr("Checkpoints (*.pt *.ckpt);;All files (*)"));
    if (!path.isEmpty()) {
        setBaseCheckpoint(path);
    }
}

void MergeWindow::setBaseCheckpoint(const QString& path) {
    mBaseRun->setCurrentIndex(0);
    mBasePath->setText(path);
}

bool MergeWindow::setBaseRun(std::int64_t runId) {
    const int index = comboIndexOf(mBaseRun, runId);
    if (index <= 0) {
        return false;
    }
    mBaseRun->setCurrentIndex(index);
    return true;
}

bool MergeWindow::setModelRun(const std::string& task, std::int64_t runId) {
    for (TaskRow& row : mRows) {
        if (row.task == task) {
            const int index = comboIndexOf(row.run, runId);
            if (index <= 0) {
                return false;
            }
            row.run->setCurrentIndex(index);
            return true;
        }
    }
    return false;
}

void MergeWindow::setSamples(int samples) { mSamples->setValue(samples); }

void MergeWindow::setCoefficient(const std::string& task, double value) {
    for (TaskRow& row : mRows) {
        if (row.task == task) {
            row.slider->setValue(static_cast<int>(std::lround(value / kCoefficientStep)));
        }
    }
    scheduleEvaluation();
}

std::vector<double> MergeWindow::coefficients() const {
    std::vector<double> values;
    for (const TaskRow& row : mRows) {
        values.push_back(row.slider->value() * kCoefficientStep);
    }
    return values;
}

bool MergeWindow::isBusy() const { return mJobRunning || mEvaluationPending || mDebounce->isActive(); }

QString MergeWindow::errorText() const { return mError->text(); }

QString MergeWindow::statusText() const { return mStatus->text(); }

MergeSetup MergeWindow::buildSetup() const {
    RunStore store(mStorePath.toStdString());
    MergeSetup setup;
    const std::int64_t baseRun = mBaseRun->currentData().value<qint64>();
    if (baseRun >= 0) {
        setup.baseCheckpoint = checkpointOfRun(store, baseRun);
    } else {
        setup.baseCheckpoint = mBasePath->text().trimmed().toStdString();
        if (setup.baseCheckpoint.empty()) {
            throw InputError("no base checkpoint chosen; pick a run or a checkpoint file with Browse…");
        }
    }
    for (const TaskRow& row : mRows) {
        const std::int64_t runId = row.run->currentData().value<qint64>();
        if (runId < 0) {
            throw InputError("task " + row.task + ": no fine-tuned run chosen; train one with `mtlw baseline PROJECT --init "
                             "CHECKPOINT` and reopen this window");
        }
        setup.models.push_back({row.task, checkpointOfRun(store, runId), "run " + std::to_string(runId)});
    }
    setup.project = loadProject(mProjectPath.toStdString());
    return setup;
}

void MergeWindow::load() {
    if (mJobRunning) {
        mStatus->setText(tr("Wait for the running evaluation to finish, then load again."));
        return;
    }
    MergeSetup setup;
    try {
        setup = buildSetup();
    } catch (const std::exception& error) {
        showError(QString::fromUtf8(error.what()));
        return;
    }
    mSession.reset();
    setSlidersEnabled(false);
    mLoadButton->setEnabled(false);
    mStatus->setText(tr("Loading the data and %1 checkpoints…").arg(setup.models.size() + 1));
    const std::vector<double> coefficients = this->coefficients();
    const std::int64_t samples = mSamples->value();
    startJob([setup, coefficients, samples]() {
        JobResult result;
        result.session = std::make_shared<MergeSession>(setup);
        result.individual = result.session->evaluateIndividual(result.session->validationSplit(), samples);
        const auto start = std::chrono::steady_clock::now();
        result.merged = result.session->evaluateCoefficients(coefficients, samples);
        result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        result.coefficients = coefficients;
        result.samples = samples;
        return result;
    });
}

void MergeWindow::scheduleEvaluation() {
    if (mSession) {
        mDebounce->start();
    }
}

void MergeWindow::startEvaluation() {
    if (!mSession) {
        return;
    }
    if (mJobRunning) {
        mEvaluationPending = true;
        return;
    }
    mEvaluationPending = false;
    std::shared_ptr<MergeSession> session = mSession;
    const std::vector<double> coefficients = this->coefficients();
    const std::int64_t samples = mSamples->value();
    const bool needIndividual = samples != mIndividualSamples;
    startJob([session, coefficients, samples, needIndividual]() {
        JobResult result;
        if (needIndividual) {
            result.individual = session->evaluateIndividual(session->validationSplit(), samples);
        }
        const auto start = std::chrono::steady_clock::now();
        result.merged = session->evaluateCoefficients(coefficients, samples);
        result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        result.coefficients = coefficients;
        result.samples = samples;
        return result;
    });
}

void MergeWindow::startJob(std::function<JobResult()> job) {
    if (mWorker.joinable()) {
        mWorker.join();  // the previous job has delivered its result, so this returns at once
    }
    mJobRunning = true;
    mWorker = std::thread([this, job = std::move(job)]() {
        JobResult result;
        // The worker thread is a boundary: every failure becomes a message in the window.
        try {
            result = job();
        } catch (const std::exception& error) {
            spdlog::error("merge view: {}", error.what());
            result = JobResult();
            result.error = QString::fromUtf8(error.what());
        }
        // Queued to the UI thread; ~MergeWindow joins this thread before the window goes away.
        QMetaObject::invokeMethod(this, [this, result]() { finishJob(result); }, Qt::QueuedConnection);
    });
}

void MergeWindow::finishJob(const JobResult& result) {
    mJobRunning = false;
    mLoadButton->setEnabled(true);
    if (!result.error.isEmpty()) {
        showError(result.error);
        setSlidersEnabled(mSession != nullptr);
    } else {
        mError->clear();
        mError->hide();
        if (result.session) {
            mSession = result.session;
            setSlidersEnabled(true);
        }
        if (!result.individual.empty() || result.session) {
            mIndividual = result.individual;
            mIndividualSamples = result.samples;
        }
        mMerged = result.merged;
        mShownCoefficients = result.coefficients;
        ++mEvaluationCount;
        const qint64 evaluated = std::min<qint64>(result.samples > 0 ? result.samples : mSession->validationSplit().size(),
                                                  mSession->validationSplit().size());
        mStatus->setText(tr("evaluated %1 validation samples in %2 s").arg(evaluated).arg(result.seconds, 0, 'f', 2));
        showResults();
    }
    if (mEvaluationPending) {
        startEvaluation();
    }
}

void MergeWindow::showResults() {
    mResults->setRowCount(0);
    for (const auto& [task, metrics] : mMerged) {
        for (const auto& [metric, value] : metrics) {
            const int row = mResults->rowCount();
            mResults->insertRow(row);
            mResults->setItem(row, 0, new QTableWidgetItem(QString::fromStdString(task)));
            mResults->setItem(row, 1, new QTableWidgetItem(QString::fromStdString(metric)));
            mResults->setItem(row, 2, new QTableWidgetItem(QString::number(value, 'f', 4)));
            QString individual;
            const auto taskIt = mIndividual.find(task);
            if (taskIt != mIndividual.end()) {
                const auto metricIt = taskIt->second.find(metric);
                if (metricIt != taskIt->second.end()) {
                    individual = QString::number(metricIt->second, 'f', 4);
                }
            }
            mResults->setItem(row, 3, new QTableWidgetItem(individual));
        }
    }
}

void MergeWindow::showError(const QString& message) {
    mError->setText(message);
    mError->show();
    mStatus->setText(tr("Failed; fix the choice above and load again."));
}

void MergeWindow::setSlidersEnabled(bool enabled) {
    for (TaskRow& row : mRows) {
        row.slider->setEnabled(enabled);
    }
}

}  // namespace mtlw
