// A line plot of named series with a legend and a tool row: x axis by step, epoch or wall
// time, exponential moving average (EMA) smoothing and a log-scale y axis. Built on QCustomPlot.
#pragma once

#include <QColor>
#include <QString>
#include <QStringList>
#include <QWidget>

#include <map>
#include <vector>

class QCheckBox;
class QComboBox;
class QCPGraph;
class QCustomPlot;
class QLabel;
class QSlider;

namespace mtlw {

// One value with every x it can be drawn against.
struct CurvePoint {
    double step = 0.0;
    /// Epochs done when the value was taken; fractional for values inside an epoch.
    double epoch = 0.0;
    /// Seconds since the run started.
    double wallTime = 0.0;
    double value = 0.0;
};

class CurvePlot : public QWidget {
    Q_OBJECT

public:
    enum class XAxis { Step, Epoch, WallTime };
    Q_ENUM(XAxis)

    /// Maximum smoothing weight; the slider runs from 0 to this in steps of 0.01.
    static constexpr double kMaxSmoothing = 0.99;

    CurvePlot(const QString& xLabel, const QString& yLabel, QWidget* parent = nullptr);

    /// Appends a point, creating the series on first use with the given pen. `x` is used for
    /// every x axis choice, so this suits plots that hide the x axis selector.
    void appendPoint(const QString& series, double x, double y, const QColor& color,
                     Qt::PenStyle style = Qt::SolidLine);
    void appendPoint(const QString& series, const CurvePoint& point, const QColor& color,
                     Qt::PenStyle style = Qt::SolidLine);
    /// Appends many points to one series with one redraw.
    void appendPoints(const QString& series, const std::vector<CurvePoint>& points, const QColor& color,
                      Qt::PenStyle style = Qt::SolidLine);
    void clear();
    /// Draws a circle at each point of series created afterwards, for sparse x such as epochs.
    void setMarkers(bool enabled) { mMarkers = enabled; }
    /// Shows or hides the x axis selector (hidden for plots with a single meaningful x).
    void setXAxisSelectable(bool selectable);
    /// Fixes the y range instead of fitting it to the data, e.g. [0, 1] for frequencies.
    void setFixedYRange(double lower, double upper);

    QStringList seriesNames() const;
    /// Number of points of a series, or 0 for an unknown one.
    int pointCount(const QString& series) const;
    /// The points of a series as stored, before smoothing; empty for an unknown one.
    std::vector<CurvePoint> points(const QString& series) const;
    /// The y values drawn for a series: the EMA of its values when smoothing is on.
    std::vector<double> drawnValues(const QString& series) const;
    bool logScale() const;
    double smoothing() const { return mSmoothing; }
    XAxis xAxis() const { return mXAxis; }
    QCustomPlot* plot() const { return mPlot; }

    /// A distinct colour for the n-th task, the same in every plot.
    static QColor taskColor(int index);
    /// EMA with bias correction: s_t = w s_(t-1) + (1 - w) y_t, divided by 1 - w^t, so the
    /// first values are not pulled towards 0. Non-finite values are passed through unchanged.
    static std::vector<double> smoothed(const std::vector<double>& values, double weight);

public Q_SLOTS:
    void setLogScale(bool enabled);
    /// Sets the EMA weight in [0, kMaxSmoothing]; 0 draws the raw values.
    void setSmoothing(double weight);
    void setXAxis(mtlw::CurvePlot::XAxis axis);

private:
    struct Series {
        QCPGraph* graph = nullptr;
        /// The unsmoothed values, drawn faintly while smoothing is on.
        QCPGraph* rawGraph = nullptr;
        std::vector<CurvePoint> points;
    };

    Series& seriesFor(const QString& name, const QColor& color, Qt::PenStyle style);
    double xOf(const CurvePoint& point) const;
    void rebuildSeries(Series& series);
    void rebuildAll();
    void rescale();

    QCustomPlot* mPlot;
    QComboBox* mXAxisCombo;
    QLabel* mXAxisLabel;
    QSlider* mSmoothingSlider;
    QLabel* mSmoothingValue;
    QCheckBox* mLogScale;
    std::map<QString, Series> mSeries;
    bool mMarkers = false;
    double mSmoothing = 0.0;
    XAxis mXAxis = XAxis::Step;
    bool mFixedY = false;
    double mFixedLower = 0.0;
    double mFixedUpper = 1.0;
};

}  // namespace mtlw
