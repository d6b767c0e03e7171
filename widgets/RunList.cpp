#include "RunList.h"

#include <QDateTime>
#include <QHeaderView>

namespace mtlw {

namespace {

enum Column { kIdColumn, kMethodColumn, kStatusColumn, kStartedColumn, kResultColumn, kColumnCount };

QColor statusColor(const std::string& status) {
    if (status == run_status::kCompleted) {
        return QColor(0x2e, 0x7d, 0x32);
    }
    if (status == run_status::kFailed) {
        return QColor(0xc6, 0x28, 0x28);
    }
    if (status == run_status::kRunning) {
        return QColor(0x15, 0x65, 0xc0);
    }
    return QColor(0x75, 0x75, 0x75);
}

}  // namespace

RunList::RunList(QWidget* parent) : QTreeWidget(parent) {
    setColumnCount(kColumnCount);
    setHeaderLabels({tr("Run"), tr("Method"), tr("Status"), tr("Started"), tr("Test result")});
    setRootIsDecorated(false);
    setUniformRowHeights(true);
    setAlternatingRowColors(true);
    setSelectionMode(QAbstractItemView::SingleSelection);
    header()->setStretchLastSection(true);
    header()->setSectionResizeMode(QHeaderView::ResizeToContents);
    connect(this, &QTreeWidget::currentItemChanged, this, [this](QTreeWidgetItem* item) {
        if (item != nullptr) {
            Q_EMIT runSelected(item->data(kIdColumn, Qt::UserRole).toLongLong());
        }
    });
}

QString RunList::resultText(const nlohmann::json& summary) {
    if (!summary.is_object() || !summary.contains("tasks") || !summary["tasks"].is_object()) {
        return {};
    }
    QStringList parts;
    for (const auto& [task, metrics] : summary["tasks"].items()) {
        if (!metrics.is_object()) {
            continue;
        }
        const QString name = QString::fromStdString(task);
        if (metrics.contains("accuracy") && metrics["accuracy"].is_number()) {
            parts << QStringLiteral("%1 %2%").arg(name).arg(metrics["accuracy"].get<double>() * 100.0, 0, 'f', 1);
        } else if (metrics.contains("mae") && metrics["mae"].is_number()) {
            parts << tr("%1 MAE %2").arg(name).arg(metrics["mae"].get<double>(), 0, 'g', 4);
        } else if (metrics.contains("f1") && metrics["f1"].is_number()) {
            parts << tr("%1 F1 %2").arg(name).arg(metrics["f1"].get<double>(), 0, 'f', 3);
        }
    }
    return parts.join(QStringLiteral(" · "));
}

void RunList::setRuns(const std::vector<RunRecord>& runs) {
    const qint64 selected = selectedRunId();
    {
        // Rebuilding the rows must not announce a selection change per row.
        const QSignalBlocker block(this);
        clear();
        for (const RunRecord& run : runs) {
            auto* item = new QTreeWidgetItem(this);
            item->setText(kIdColumn, QString::number(run.id));
            item->setData(kIdColumn, Qt::UserRole, static_cast<qlonglong>(run.id));
            item->setText(kMethodColumn, QString::fromStdString(run.method));
            item->setText(kStatusColumn, QString::fromStdString(run.status));
            item->setForeground(kStatusColumn, statusColor(run.status));
            const QDateTime started = QDateTime::fromString(QString::fromStdString(run.startedAt), Qt::ISODate);
            item->setText(kStartedColumn, started.isValid() ? started.toLocalTime().toString(QStringLiteral("MM-dd HH:mm"))
                                                            : QString::fromStdString(run.startedAt));
            item->setText(kResultColumn, resultText(run.summary));
            item->setToolTip(kStartedColumn, QString::fromStdString(run.startedAt));
            if (!run.error.empty()) {
                item->setToolTip(kStatusColumn, QString::fromStdString(run.error));
            }
        }
    }
    for (int row = 0; row < topLevelItemCount(); ++row) {
        if (topLevelItem(row)->data(kIdColumn, Qt::UserRole).toLongLong() == selected) {
            const QSignalBlocker block(this);
            setCurrentItem(topLevelItem(row));
        }
    }
}

bool RunList::selectRun(qint64 runId) {
    for (int row = 0; row < topLevelItemCount(); ++row) {
        QTreeWidgetItem* item = topLevelItem(row);
        if (item->data(kIdColumn, Qt::UserRole).toLongLong() == runId) {
            if (currentItem() == item) {
                Q_EMIT runSelected(runId);
            } else {
                setCurrentItem(item);
            }
            return true;
        }
    }
    return false;
}

qint64 RunList::selectedRunId() const {
    const QTreeWidgetItem* item = currentItem();
    return item == nullptr ? 0 : item->data(kIdColumn, Qt::UserRole).toLongLong();
}

}  // namespace mtlw
