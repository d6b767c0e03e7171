#include "PlotExport.h"

#include <qcustomplot.h>

#include <QFileInfo>
#include <QSvgGenerator>

#include <algorithm>

namespace mtlw {

QString plotFileFilter() {
    return QStringLiteral("PNG image (*.png);;SVG drawing (*.svg);;PDF document (*.pdf)");
}

QString savePlot(QCustomPlot* plot, const QString& path) {
    const int width = std::max(plot->width(), 640);
    const int height = std::max(plot->height(), 400);
    const QString suffix = QFileInfo(path).suffix().toLower();
    bool saved = false;
    if (suffix == QLatin1String("png")) {
        saved = plot->savePng(path, width, height);
    } else if (suffix == QLatin1String("pdf")) {
        saved = plot->savePdf(path, width, height);
    } else if (suffix == QLatin1String("svg")) {
        QSvgGenerator generator;
        generator.setFileName(path);
        generator.setSize(QSize(width, height));
        generator.setViewBox(QRect(0, 0, width, height));
        generator.setTitle(QStringLiteral("MTL Workbench plot"));
        QCPPainter painter;
        saved = painter.begin(&generator);
        if (saved) {
            plot->toPainter(&painter, width, height);
            saved = painter.end();
        }
    } else {
        return QStringLiteral("%1: unknown plot format '%2'; use .png, .svg or .pdf").arg(path, suffix);
    }
    if (!saved || !QFileInfo(path).exists() || QFileInfo(path).size() == 0) {
        return QStringLiteral("%1: could not write the plot; check that the folder exists and is writable").arg(path);
    }
    return {};
}

}  // namespace mtlw
