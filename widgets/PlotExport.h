// Saves a QCustomPlot as PNG, SVG or PDF, chosen by the file's suffix.
#pragma once

#include <QString>

class QCustomPlot;

namespace mtlw {

/// The file dialog filter for the formats savePlot writes.
QString plotFileFilter();

/// Writes the plot at its current size (at least 640 x 400) to `path`; the suffix .png, .svg or
/// .pdf picks the format. Returns an empty string on success, else a message naming the file.
QString savePlot(QCustomPlot* plot, const QString& path);

}  // namespace mtlw
