#include "DatasetView.h"

#include "data/Dataset.h"

#include <spdlog/spdlog.h>

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QListWidget>
#include <QMetaObject>
#include <QStackedWidget>
#include <QTableWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <cstring>

namespace mtlw {

namespace {

// Image samples are drawn at this multiple of their size, without smoothing.
constexpr int kImageScale = 2;

// One [C, H, W] sample as an 8-bit image, scaled from its own min..max so normalized inputs show.
QImage sampleImage(const torch::Tensor& sample) {
    torch::Tensor pixels = sample.to(torch::kFloat32).contiguous();
    const std::int64_t channels = pixels.size(0);
    const int height = static_cast<int>(pixels.size(1));
    const int width = static_cast<int>(pixels.size(2));
    const float low = pixels.min().item<float>();
    const float high = pixels.max().item<float>();
    const float range = high > low ? high - low : 1.0f;
    pixels = ((pixels - low) / range * 255.0f).clamp(0.0f, 255.0f).to(torch::kUInt8).contiguous();

    if (channels == 3) {
        const torch::Tensor interleaved = pixels.permute({1, 2, 0}).contiguous();
        QImage image(width, height, QImage::Format_RGB888);
        for (int y = 0; y < height; ++y) {
            std::memcpy(image.scanLine(y), interleaved[y].data_ptr<std::uint8_t>(), static_cast<size_t>(width) * 3);
        }
        return image;
    }
    // Other channel counts show their first channel.
    const torch::Tensor gray = pixels[0].contiguous();
    QImage image(width, height, QImage::Format_Grayscale8);
    for (int y = 0; y < height; ++y) {
        std::memcpy(image.scanLine(y), gray[y].data_ptr<std::uint8_t>(), static_cast<size_t>(width));
    }
    return image;
}

QString targetText(const TargetInfo& info, const torch::Tensor& values, std::int64_t index) {
    if (info.kind == TargetInfo::Kind::MultiLabel) {
        // A row of 0/1 indicators in classNames order, shown as the names of the labels present.
        QStringList labels;
        const torch::Tensor row = values[index].to(torch::kCPU);
        for (std::int64_t label = 0; label < row.size(0); ++label) {
            if (row[label].item<float>() > 0.5f && label < static_cast<std::int64_t>(info.classNames.size())) {
                labels << QString::fromStdString(info.classNames[static_cast<size_t>(label)]);
            }
        }
        return labels.join(QStringLiteral(" | "));
    }
    if (info.kind == TargetInfo::Kind::Categorical) {
        const std::int64_t label = values[index].item<std::int64_t>();
        if (label >= 0 && label < static_cast<std::int64_t>(info.classNames.size())) {
            return QString::fromStdString(info.classNames[static_cast<size_t>(label)]);
        }
        return QString::number(label);
    }
    return QString::number(values[index].item<double>(), 'g', 5);
}

// Target names in the order the preview shows them: single-label and numeric targets first,
// then multi-label targets, which summarize the others on a Multi-Fashion canvas.
std::vector<std::string> previewTargetOrder(const Dataset& dataset) {
    std::vector<std::string> names;
    for (const bool multiLabel : {false, true}) {
        for (const auto& [target, info] : dataset.targets) {
            if ((info.kind == TargetInfo::Kind::MultiLabel) == multiLabel) {
                names.push_back(target);
            }
        }
    }
    return names;
}

DatasetPreview::SplitPreview previewSplit(const Dataset& dataset, const Split& split, const QString& name,
                                          bool isImage, int maxSamples) {
    DatasetPreview::SplitPreview preview;
    preview.name = name;
    preview.size = split.size();
    const std::int64_t count = std::min<std::int64_t>(split.size(), maxSamples);
    const std::vector<std::string> targetOrder = previewTargetOrder(dataset);
    if (!isImage) {
        for (const std::string& feature : dataset.featureNames) {
            preview.headers << QString::fromStdString(feature);
        }
        for (const std::string& target : targetOrder) {
            preview.headers << QString::fromStdString(target);
        }
    }
    const torch::Tensor inputs = count > 0 ? split.inputs.slice(0, 0, count).to(torch::kCPU) : torch::Tensor();
    for (std::int64_t i = 0; i < count; ++i) {
        QStringList labels;
        for (const std::string& target : targetOrder) {
            const auto found = split.targets.find(target);
            if (found != split.targets.end()) {
                const QString text = targetText(dataset.targets.at(target), found->second, i);
                labels << (isImage ? QStringLiteral("%1: %2").arg(QString::fromStdString(target), text) : text);
            }
        }
        if (isImage) {
            preview.images << sampleImage(inputs[i]);
            preview.captions << labels.join(QLatin1Char('\n'));
            continue;
        }
        QStringList row;
        const torch::Tensor features = inputs[i].flatten().to(torch::kDouble);
        for (std::int64_t f = 0; f < features.size(0); ++f) {
            row << QString::number(features[f].item<double>(), 'g', 5);
        }
        row << labels;
        preview.rows << row;
    }
    return preview;
}

}  // namespace

DatasetPreview buildDatasetPreview(const Project& project, const DatasetSpec& spec, int maxSamples) {
    const Dataset dataset = loadDataset(project, spec);
    DatasetPreview preview;
    preview.dataset = QString::fromStdString(spec.name);
    preview.isImage = dataset.inputShape.size() == 3 && dataset.featureNames.empty();
    preview.splits.push_back(previewSplit(dataset, dataset.train, DatasetView::tr("train"), preview.isImage, maxSamples));
    preview.splits.push_back(
        previewSplit(dataset, dataset.validation, DatasetView::tr("validation"), preview.isImage, maxSamples));
    preview.splits.push_back(previewSplit(dataset, dataset.test, DatasetView::tr("test"), preview.isImage, maxSamples));
    return preview;
}

DatasetView::DatasetView(QWidget* parent) : QWidget(parent) {
    mPool.setMaxThreadCount(1);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    auto* tools = new QHBoxLayout;
    tools->addWidget(new QLabel(tr("Dataset:"), this));
    mDataset = new QComboBox(this);
    mDataset->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    tools->addWidget(mDataset);
    tools->addWidget(new QLabel(tr("Split:"), this));
    mSplit = new QComboBox(this);
    tools->addWidget(mSplit);
    tools->addStretch();
    layout->addLayout(tools);
    mStatus = new QLabel(this);
    mStatus->setWordWrap(true);
    mStatus->setStyleSheet(QStringLiteral("color: palette(mid);"));
    layout->addWidget(mStatus);

    mStack = new QStackedWidget(this);
    mImages = new QListWidget(mStack);
    mImages->setViewMode(QListView::IconMode);
    mImages->setResizeMode(QListView::Adjust);
    mImages->setMovement(QListView::Static);
    mImages->setWordWrap(true);
    mImages->setUniformItemSizes(true);
    mImages->setSpacing(4);
    mImages->setSelectionMode(QAbstractItemView::NoSelection);
    mTable = new QTableWidget(mStack);
    mTable->setEditTriggers(QAbstractItemView::NoEditTriggers);
    mTable->verticalHeader()->setDefaultSectionSize(mTable->fontMetrics().height() + 6);
    mStack->addWidget(mImages);
    mStack->addWidget(mTable);
    layout->addWidget(mStack, 1);

    connect(mDataset, &QComboBox::currentIndexChanged, this, [this]() {
        mStale = true;
        if (isVisible()) {
            startLoad();
        }
    });
    connect(mSplit, &QComboBox::currentIndexChanged, this, &DatasetView::showSplit);
}

DatasetView::~DatasetView() {
    ++mGeneration;
    mPool.waitForDone();
}

void DatasetView::setProject(const Project& project) {
    mProject = project;
    {
        const QSignalBlocker block(mDataset);
        mDataset->clear();
        for (const DatasetSpec& spec : mProject.datasets) {
            mDataset->addItem(QString::fromStdString(spec.name));
        }
    }
    mStale = true;
    mPreview = {};
    mImages->clear();
    mTable->clear();
    mTable->setRowCount(0);
    mStatus->setText(mProject.datasets.empty() ? tr("The project has no dataset.") : tr("Shown when this view is open."));
    if (isVisible()) {
        startLoad();
    }
}

void DatasetView::showEvent(QShowEvent* event) {
    QWidget::showEvent(event);
    if (mStale) {
        startLoad();
    }
}

void DatasetView::startLoad() {
    mStale = false;
    const int index = mDataset->currentIndex();
    if (index < 0 || index >= static_cast<int>(mProject.datasets.size())) {
        return;
    }
    const DatasetSpec spec = mProject.datasets[static_cast<size_t>(index)];
    const int generation = ++mGeneration;
    mLoading = true;
    mStatus->setText(tr("Loading %1…").arg(QString::fromStdString(spec.name)));
    mPool.start([this, generation, project = mProject, spec]() {
        DatasetPreview preview;
        QString error;
        try {
            if (generation == mGeneration) {
                preview = buildDatasetPreview(project, spec, kMaxSamples);
            }
        } catch (const std::exception& exception) {
            error = QString::fromUtf8(exception.what());
        }
        QMetaObject::invokeMethod(this, [this, generation, preview = std::move(preview), error]() {
            if (generation != mGeneration) {
                return;
            }
            mLoading = false;
            if (!error.isEmpty()) {
                spdlog::error("could not load the dataset for the dataset view: {}", error.toStdString());
                mStatus->setText(error);
            } else {
                showPreview(preview);
            }
            Q_EMIT loaded();
        }, Qt::QueuedConnection);
    });
}

void DatasetView::showPreview(const DatasetPreview& preview) {
    mPreview = preview;
    const QString previous = mSplit->currentText();
    {
        const QSignalBlocker block(mSplit);
        mSplit->clear();
        for (const auto& split : mPreview.splits) {
            mSplit->addItem(split.name);
        }
        const int index = mSplit->findText(previous);
        mSplit->setCurrentIndex(index >= 0 ? index : 0);
    }
    mStack->setCurrentWidget(mPreview.isImage ? static_cast<QWidget*>(mImages) : mTable);
    showSplit();
}

void DatasetView::showSplit() {
    const int index = mSplit->currentIndex();
    if (index < 0 || index >= static_cast<int>(mPreview.splits.size())) {
        return;
    }
    const DatasetPreview::SplitPreview& split = mPreview.splits[static_cast<size_t>(index)];
    const qint64 shown = mPreview.isImage ? split.images.size() : split.rows.size();
    mStatus->setText(tr("%1: %2 samples, the first %3 shown").arg(split.name).arg(split.size).arg(shown));

    if (mPreview.isImage) {
        mImages->clear();
        QSize iconSize;
        for (int i = 0; i < split.images.size(); ++i) {
            const QImage& image = split.images[i];
            iconSize = image.size() * kImageScale;
            const QPixmap pixmap = QPixmap::fromImage(image.scaled(iconSize, Qt::IgnoreAspectRatio, Qt::FastTransformation));
            auto* item = new QListWidgetItem(QIcon(pixmap), split.captions[i], mImages);
            item->setToolTip(split.captions[i]);
            item->setTextAlignment(Qt::AlignHCenter | Qt::AlignTop);
        }
        if (iconSize.isValid()) {
            mImages->setIconSize(iconSize);
            // Room for the image, two caption lines and a margin.
            const int captionWidth = mImages->fontMetrics().horizontalAdvance(QStringLiteral("right: T-shirt/top"));
            mImages->setGridSize(QSize(std::max(iconSize.width(), captionWidth) + 12,
                                       iconSize.height() + 2 * mImages->fontMetrics().height() + 14));
        }
        return;
    }

    mTable->clear();
    mTable->setColumnCount(static_cast<int>(split.headers.size()));
    mTable->setHorizontalHeaderLabels(split.headers);
    mTable->setRowCount(static_cast<int>(split.rows.size()));
    for (int row = 0; row < split.rows.size(); ++row) {
        const QStringList& values = split.rows[row];
        for (int column = 0; column < values.size(); ++column) {
            mTable->setItem(row, column, new QTableWidgetItem(values[column]));
        }
    }
    mTable->resizeColumnsToContents();
}

int DatasetView::sampleCount() const {
    return mPreview.isImage ? mImages->count() : mTable->rowCount();
}

QString DatasetView::captionAt(int index) const {
    if (mPreview.isImage) {
        const QListWidgetItem* item = mImages->item(index);
        return item == nullptr ? QString() : item->text();
    }
    QStringList cells;
    for (int column = 0; column < mTable->columnCount(); ++column) {
        const QTableWidgetItem* item = mTable->item(index, column);
        cells << (item == nullptr ? QString() : item->text());
    }
    return cells.join(QLatin1Char(','));
}

QString DatasetView::statusText() const {
    return mStatus->text();
}

}  // namespace mtlw
