// A line plot of named series over a shared x axis (step or epoch), with a legend and a
// log-scale toggle for the y axis. Built on QCustomPlot.
#pragma once

#include <QColor>
#include <QString>
#include <QStringList>
#include <QWidget>

#include <map>

class QCheckBox;
class QCPGraph;
class QCustomPlot;

namespace mtlw {

class CurvePlot : public QWidget {
    Q_OBJECT

public:
    CurvePlot(const QString& xLabel, const QString& yLabel, QWidget* parent = nullptr);

    /// Appends a point, creating the series on first use with the given pen.
    void appendPoint(const QString& series, double x, double y, const QColor& color,
                     Qt::PenStyle style = Qt::SolidLine);
    void clear();
    /// Draws a circle at each point of series created afterwards, for sparse x such as epochs.
    void setMarkers(bool enabled) { mMarkers = enabled; }

    QStringList seriesNames() const;
    /// Number of points of a series, or 0 for an unknown one.
    int pointCount(const QString& series) const;
    bool logScale() const;
    QCustomPlot* plot() const { return mPlot; }

    /// A distinct colour for the n-th task, the same in every plot.
    static QColor taskColor(int index);

public Q_SLOTS:
    void setLogScale(bool enabled);

private:
    QCustomPlot* mPlot;
    QCheckBox* mLogScale;
    std::map<QString, QCPGraph*> mSeries;
    bool mMarkers = false;
};

}  // namespace mtlw
