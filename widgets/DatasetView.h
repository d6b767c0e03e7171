// A look at a project's data: the first samples of a split as images with their label names
// (image datasets such as Multi-Fashion) or as a table (CSV). Datasets load on a worker
// thread, and only while the view is visible, so neither opening a project nor a large
// dataset blocks the UI.
#pragma once

#include "project/Project.h"

#include <QImage>
#include <QList>
#include <QStringList>
#include <QThreadPool>
#include <QWidget>

#include <atomic>
#include <vector>

class QComboBox;
class QLabel;
class QListWidget;
class QStackedWidget;
class QTableWidget;

namespace mtlw {

// The first samples of each split of one dataset, in types the UI thread can show.
struct DatasetPreview {
    struct SplitPreview {
        QString name;
        qint64 size = 0;
        /// Image datasets: one image per sample and its caption ("left: Sneaker").
        QList<QImage> images;
        QStringList captions;
        /// Table datasets: feature and target columns, one row per sample.
        QStringList headers;
        QList<QStringList> rows;
    };
    QString dataset;
    bool isImage = false;
    std::vector<SplitPreview> splits;
};

/// Loads the dataset and keeps its first `maxSamples` samples per split. Throws InputError
/// like loadDataset; safe on any thread.
DatasetPreview buildDatasetPreview(const Project& project, const DatasetSpec& spec, int maxSamples);

class DatasetView : public QWidget {
    Q_OBJECT

public:
    /// Samples shown per split.
    static constexpr int kMaxSamples = 60;

    explicit DatasetView(QWidget* parent = nullptr);
    /// Waits for a load in progress, which cannot be interrupted.
    ~DatasetView() override;

    /// Shows this project's datasets; loads now if visible, else when next shown.
    void setProject(const Project& project);

    bool isLoading() const { return mLoading; }
    /// Samples shown for the current split: images or table rows.
    int sampleCount() const;
    QString captionAt(int index) const;
    QString statusText() const;
    QListWidget* imageList() const { return mImages; }
    QTableWidget* table() const { return mTable; }
    QComboBox* splitCombo() const { return mSplit; }

Q_SIGNALS:
    /// A load finished, with or without error.
    void loaded();

protected:
    void showEvent(QShowEvent* event) override;

private:
    void startLoad();
    void showPreview(const DatasetPreview& preview);
    void showSplit();

    Project mProject;
    bool mStale = false;
    bool mLoading = false;
    DatasetPreview mPreview;
    QThreadPool mPool;
    std::atomic<int> mGeneration{0};

    QComboBox* mDataset;
    QComboBox* mSplit;
    QLabel* mStatus;
    QStackedWidget* mStack;
    QListWidget* mImages;
    QTableWidget* mTable;
};

}  // namespace mtlw
