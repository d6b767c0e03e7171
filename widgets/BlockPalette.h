// The list of block types. A block reaches the graph editor by drag and drop, or by
// double-click, which emits blockActivated.
#pragma once

#include <QListWidget>

namespace mtlw {

class BlockPalette : public QListWidget {
    Q_OBJECT

public:
    explicit BlockPalette(QWidget* parent = nullptr);

Q_SIGNALS:
    void blockActivated(const QString& type);

protected:
    QStringList mimeTypes() const override;
    QMimeData* mimeData(const QList<QListWidgetItem*>& items) const override;
};

}  // namespace mtlw
