#include "BlockPalette.h"

#include "GraphItems.h"
#include "GraphView.h"
#include "model/Block.h"

#include <algorithm>

#include <QAbstractItemView>
#include <QApplication>
#include <QMimeData>
#include <QStyledItemDelegate>
#include <QPainter>

namespace mtlw {

namespace {

// Draws an item as its colour swatch, the type name in bold and the summary below it.
class BlockDelegate : public QStyledItemDelegate {
public:
    using QStyledItemDelegate::QStyledItemDelegate;

    void paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const override {
        QStyleOptionViewItem background = option;
        initStyleOption(&background, index);
        background.text.clear();
        background.icon = QIcon();
        QApplication::style()->drawControl(QStyle::CE_ItemViewItem, &background, painter, option.widget);

        const QRect area = option.rect.adjusted(8, 5, -6, -5);
        const QColor color = blockColor(index.data(Qt::UserRole).toString());
        painter->save();
        painter->setRenderHint(QPainter::Antialiasing);
        painter->setBrush(color);
        painter->setPen(color.darker(130));
        painter->drawRoundedRect(QRectF(area.left(), area.top() + 2, 12, 12), 3, 3);

        const bool selected = option.state & QStyle::State_Selected;
        const QRect text = area.adjusted(20, 0, 0, 0);
        QFont bold = option.font;
        bold.setBold(true);
        painter->setFont(bold);
        painter->setPen(option.palette.color(selected ? QPalette::HighlightedText : QPalette::Text));
        painter->drawText(text, Qt::AlignTop | Qt::AlignLeft, index.data(Qt::UserRole).toString());
        painter->setFont(option.font);
        painter->setPen(option.palette.color(selected ? QPalette::HighlightedText : QPalette::PlaceholderText));
        const int top = QFontMetrics(bold).height() + 1;
        painter->drawText(text.adjusted(0, top, 0, 0), Qt::AlignTop | Qt::AlignLeft | Qt::TextWordWrap,
                          index.data(SummaryRole).toString());
        painter->restore();
    }

    QSize sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const override {
        const auto* view = qobject_cast<const QAbstractItemView*>(option.widget);
        const int width = std::max(120, view != nullptr ? view->viewport()->width() - 6 : 240) - 34;
        const QFontMetrics metrics(option.font);
        const QRect summary = metrics.boundingRect(QRect(0, 0, width, 1000), Qt::TextWordWrap,
                                                   index.data(SummaryRole).toString());
        return QSize(width + 34, metrics.height() + summary.height() + 14);
    }

    static constexpr int SummaryRole = Qt::UserRole + 1;
};

}  // namespace

BlockPalette::BlockPalette(QWidget* parent) : QListWidget(parent) {
    setDragEnabled(true);
    setDragDropMode(DragOnly);
    setSelectionMode(SingleSelection);
    setWordWrap(true);
    setSpacing(1);
    setItemDelegate(new BlockDelegate(this));
    // Item heights depend on the width, because summaries wrap.
    setResizeMode(Adjust);
    setUniformItemSizes(false);
    for (const auto& type : blockTypes()) {
        const QString name = QString::fromUtf8(type->name());
        const QString summary = QString::fromUtf8(type->summary());
        auto* item = new QListWidgetItem(name, this);
        item->setData(Qt::UserRole, name);
        item->setData(BlockDelegate::SummaryRole, summary);
        item->setToolTip(tr("%1: %2\nDrag onto the graph or double-click to add.").arg(name, summary));
    }
    connect(this, &QListWidget::itemDoubleClicked, this,
            [this](QListWidgetItem* item) { Q_EMIT blockActivated(item->data(Qt::UserRole).toString()); });
}

QStringList BlockPalette::mimeTypes() const {
    return {QString::fromLatin1(GraphView::kBlockMimeType)};
}

QMimeData* BlockPalette::mimeData(const QList<QListWidgetItem*>& items) const {
    if (items.isEmpty()) {
        return nullptr;
    }
    auto* data = new QMimeData;
    data->setData(GraphView::kBlockMimeType, items.front()->data(Qt::UserRole).toString().toUtf8());
    return data;
}

}  // namespace mtlw
