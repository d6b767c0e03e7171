#include "TrainingPanel.h"

#include "engine/Device.h"
#include "engine/Events.h"
#include "methods/BalancingMethod.h"

#include <QAction>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>

#include <cmath>

namespace mtlw {

namespace {

QString formatDuration(double seconds) {
    const int total = static_cast<int>(std::lround(seconds));
    if (total >= 3600) {
        return QStringLiteral("%1 h %2 min").arg(total / 3600).arg((total % 3600) / 60);
    }
    if (total >= 60) {
        return QStringLiteral("%1 min %2 s").arg(total / 60).arg(total % 60);
    }
    return QStringLiteral("%1 s").arg(total);
}

}  // namespace

TrainingPanel::TrainingPanel(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);

    auto* settings = new QFormLayout;
    mMethod = new QComboBox(this);
    for (const auto& [info, factory] : methodRegistry()) {
        mMethod->addItem(QString::fromStdString(info.displayName), QString::fromStdString(info.name));
        mMethod->setItemData(mMethod->count() - 1, QString::fromStdString(info.summary), Qt::ToolTipRole);
    }
    settings->addRow(tr("Method:"), mMethod);
    mMethodSummary = new QLabel(this);
    mMethodSummary->setWordWrap(true);
    mMethodSummary->setStyleSheet(QStringLiteral("color: palette(mid);"));
    settings->addRow(QString(), mMethodSummary);

    mDevice = new QComboBox(this);
    mDevice->addItem(tr("auto"), QStringLiteral("auto"));
    for (const auto& device : availableDevices()) {
        mDevice->addItem(QString::fromStdString(device), QString::fromStdString(device));
    }
    settings->addRow(tr("Device:"), mDevice);
    mEpochs = new QSpinBox(this);
    mEpochs->setRange(1, 100000);
    settings->addRow(tr("Epochs:"), mEpochs);
    mBatchSize = new QSpinBox(this);
    mBatchSize->setRange(1, 1 << 20);
    settings->addRow(tr("Batch size:"), mBatchSize);
    layout->addLayout(settings);

    mParamsBox = new QGroupBox(tr("Method params"), this);
    mParamsForm = new QFormLayout(mParamsBox);
    layout->addWidget(mParamsBox);

    mButtons = new QWidget(this);
    new QHBoxLayout(mButtons);
    mButtons->layout()->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(mButtons);

    mProgress = new QProgressBar(this);
    mProgress->setRange(0, 1000);
    mProgress->setValue(0);
    mProgress->setTextVisible(true);
    mProgress->setFormat(QStringLiteral("%p%"));
    layout->addWidget(mProgress);
    mStatus = new QLabel(tr("Idle"), this);
    mStatus->setWordWrap(true);
    mStatus->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(mStatus);
    layout->addStretch();

    connect(mMethod, &QComboBox::currentIndexChanged, this, &TrainingPanel::rebuildMethodParams);
    rebuildMethodParams();
}

void TrainingPanel::setActions(QAction* start, QAction* pause, QAction* resume, QAction* stop) {
    for (QAction* action : {start, pause, resume, stop}) {
        auto* button = new QToolButton(mButtons);
        button->setDefaultAction(action);
        button->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
        button->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
        mButtons->layout()->addWidget(button);
    }
}

void TrainingPanel::loadFrom(const Project& project) {
    const TrainingSpec& training = project.training;
    mProjectParams = training.method.params.is_object() ? training.method.params : nlohmann::json::object();
    const int method = mMethod->findData(QString::fromStdString(training.method.name));
    if (method >= 0) {
        mMethod->setCurrentIndex(method);
    }
    // Rebuild even when the index did not change, so the project's param values show.
    rebuildMethodParams();
    int device = mDevice->findData(QString::fromStdString(training.device));
    if (device < 0) {
        mDevice->addItem(QString::fromStdString(training.device), QString::fromStdString(training.device));
        device = mDevice->count() - 1;
    }
    mDevice->setCurrentIndex(device);
    mEpochs->setValue(training.epochs);
    mBatchSize->setValue(training.batchSize);
}

void TrainingPanel::applyTo(Project& project) const {
    TrainingSpec& training = project.training;
    training.method.name = mMethod->currentData().toString().toStdString();
    training.method.params = nlohmann::json::object();
    for (const auto& [name, spin] : mParams) {
        training.method.params[name] = spin->value();
    }
    training.device = mDevice->currentData().toString().toStdString();
    training.epochs = mEpochs->value();
    training.batchSize = mBatchSize->value();
}

void TrainingPanel::setEpochs(int epochs) {
    mEpochs->setValue(epochs);
}

void TrainingPanel::rebuildMethodParams() {
    while (mParamsForm->rowCount() > 0) {
        mParamsForm->removeRow(0);
    }
    mParams.clear();
    const MethodInfo* info = findMethod(mMethod->currentData().toString().toStdString());
    mMethodSummary->setText(info == nullptr ? QString() : QString::fromStdString(info->summary));
    if (info == nullptr || info->params.empty()) {
        mParamsForm->addRow(new QLabel(tr("This method has no params."), mParamsBox));
        return;
    }
    for (const MethodParam& param : info->params) {
        auto* spin = new QDoubleSpinBox(mParamsBox);
        spin->setDecimals(4);
        spin->setRange(param.minValue, param.maxValue);
        spin->setSingleStep(std::max(1e-4, (param.maxValue - param.minValue) / 100.0));
        double value = param.defaultValue;
        if (mProjectParams.contains(param.name) && mProjectParams[param.name].is_number()) {
            value = mProjectParams[param.name].get<double>();
        }
        spin->setValue(value);
        spin->setToolTip(QString::fromStdString(param.description));
        mParamsForm->addRow(QString::fromStdString(param.name) + QStringLiteral(":"), spin);
        mParams[param.name] = spin;
    }
}

void TrainingPanel::showRunStarted(qint64 runId) {
    mFirstDone = -1.0;
    mProgress->setValue(0);
    mStatus->setText(tr("Run %1 started").arg(runId));
}

void TrainingPanel::showProgress(const EngineEvent& event) {
    if (event.batchesPerEpoch <= 0 || event.epochs <= 0) {
        return;
    }
    const double epochFraction = static_cast<double>(event.batchInEpoch) / static_cast<double>(event.batchesPerEpoch);
    const double done = std::clamp((event.epoch - 1 + epochFraction) / event.epochs, 0.0, 1.0);
    mProgress->setValue(static_cast<int>(done * 1000));

    // The rate is measured from the first event seen, so time spent loading data does not count.
    if (mFirstDone < 0.0) {
        mFirstDone = done;
        mFirstSeconds = event.elapsedSeconds;
    }
    const double seconds = event.elapsedSeconds - mFirstSeconds;
    QString eta = tr("estimating…");
    if (done > mFirstDone && seconds > 0.0) {
        eta = formatDuration((1.0 - done) * seconds / (done - mFirstDone));
    }
    mStatus->setText(tr("Run %1: epoch %2/%3, batch %4/%5, ETA %6")
                         .arg(event.runId)
                         .arg(event.epoch)
                         .arg(event.epochs)
                         .arg(event.batchInEpoch)
                         .arg(event.batchesPerEpoch)
                         .arg(eta));
}

void TrainingPanel::showFinished(const QString& status, const QString& message) {
    if (status == QLatin1String("completed")) {
        mProgress->setValue(mProgress->maximum());
    }
    mStatus->setText(message.isEmpty() ? tr("Run %1").arg(status) : tr("Run %1: %2").arg(status, message));
}

}  // namespace mtlw
