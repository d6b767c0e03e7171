// Expert routing of a mixture-of-experts layer: a gate × expert colour map of the mean gate
// probability or the top-k selection share, with a layer selector, a value selector and a
// slider over the recorded steps.
#pragma once

#include "RunData.h"

#include <QStringList>
#include <QWidget>

#include <map>
#include <vector>

class QComboBox;
class QCPColorMap;
class QCustomPlot;
class QLabel;
class QSlider;

namespace mtlw {

class RoutingHeatmap : public QWidget {
    Q_OBJECT

public:
    explicit RoutingHeatmap(QWidget* parent = nullptr);

    /// Replaces the snapshots; they are grouped by layer and kept in step order per layer.
    void setSnapshots(const std::vector<RoutingSnapshot>& snapshots);
    void clear();

    QStringList layers() const;
    QString currentLayer() const;
    /// Snapshots of the current layer.
    int stepCount() const;
    /// The value drawn for a gate and an expert of the current snapshot.
    double cellValue(int task, int expert) const;
    /// True when the map shows top-k selection shares instead of mean gate probabilities.
    bool showsTopK() const;

public Q_SLOTS:
    void setCurrentLayer(const QString& layer);
    void setCurrentIndex(int index);
    void setShowTopK(bool topK);

private:
    void showSnapshot();

    std::map<QString, std::vector<RoutingSnapshot>> mByLayer;
    QComboBox* mLayer;
    QComboBox* mValue;
    QSlider* mSlider;
    QLabel* mStepLabel;
    QLabel* mEmpty;
    QCustomPlot* mPlot;
    QCPColorMap* mMap;
};

}  // namespace mtlw
