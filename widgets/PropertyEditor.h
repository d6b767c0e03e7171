// Shows the selected node: id and type, and its params as key/value rows. Values are JSON
// (numbers, lists, true/false); text that is not JSON is taken as a string. Each edit goes
// through the document as an undo command.
#pragma once

#include <QWidget>

class QLabel;
class QTableWidget;
class QTableWidgetItem;

namespace mtlw {

class ProjectDocument;

class PropertyEditor : public QWidget {
    Q_OBJECT

public:
    explicit PropertyEditor(ProjectDocument* document, QWidget* parent = nullptr);

    QString nodeId() const { return mNodeId; }
    QTableWidget* table() const { return mTable; }

public Q_SLOTS:
    /// Shows a node; an empty id shows nothing.
    void setNode(const QString& id);

private:
    void refresh();
    void commitItem(QTableWidgetItem* item);
    void addParam();
    void removeParam();

    ProjectDocument* mDocument;
    QString mNodeId;
    QLabel* mIdLabel;
    QLabel* mTypeLabel;
    QLabel* mErrorLabel;
    QTableWidget* mTable;
    QWidget* mButtons;
    bool mRefreshing = false;
};

}  // namespace mtlw
