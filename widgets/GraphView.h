// The graph editor: draws a ProjectDocument's graph and turns mouse and key gestures into
// document edits (move, connect, delete, drop from the palette). It never edits the project
// directly but redraws from the document's change signals.
#pragma once

#include <QGraphicsView>
#include <QPointer>
#include <QStringList>

#include <map>

class QGraphicsPathItem;

namespace mtlw {

class EdgeItem;
class NodeItem;
class ProjectDocument;

class GraphView : public QGraphicsView {
    Q_OBJECT

public:
    /// Mime type of a block type name dragged from the palette.
    static const char* const kBlockMimeType;

    explicit GraphView(ProjectDocument* document, QWidget* parent = nullptr);
    ~GraphView() override;

    NodeItem* nodeItem(const QString& id) const;
    QStringList selectedNodeIds() const;
    void selectNode(const QString& id);
    /// Scene position of the centre of the visible area, where double-clicked blocks appear.
    QPointF visibleCenter() const;

public Q_SLOTS:
    void fitToView();
    void zoomIn();
    void zoomOut();
    void selectAll();
    /// Removes the selected nodes (with their edges) and the selected edges, as one undo step.
    void deleteSelection();

Q_SIGNALS:
    /// The single selected node, or an empty id when none or several are selected.
    void currentNodeChanged(const QString& id);

protected:
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void wheelEvent(QWheelEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;
    void keyReleaseEvent(QKeyEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dragMoveEvent(QDragMoveEvent* event) override;
    void dropEvent(QDropEvent* event) override;
    void drawBackground(QPainter* painter, const QRectF& rect) override;
    void resizeEvent(QResizeEvent* event) override;

private:
    void rebuild();
    void addNodeItem(const QString& id);
    void removeNodeItem(const QString& id);
    void addEdgeItem(const QString& from, const QString& to);
    void removeEdgeItem(const QString& from, const QString& to);
    void updateNodeSpec(const QString& id);
    void updateNodePosition(const QString& id);
    void updateErrors();
    /// Pushes one move command for the nodes dragged away from their document positions.
    void commitMovedNodes();
    void scaleBy(double factor);
    NodeItem* nodeItemAt(const QPoint& viewPos) const;

    ProjectDocument* mDocument;
    QGraphicsScene* mScene;
    std::map<QString, NodeItem*> mNodes;
    std::map<std::pair<QString, QString>, EdgeItem*> mEdges;
    /// Positions for nodes the project gives none, from the layered layout.
    std::map<std::string, QPointF> mLayout;

    QString mConnectFrom;
    QGraphicsPathItem* mConnectPreview = nullptr;
    bool mFitPending = false;
    bool mPanning = false;
    bool mSpaceHeld = false;
    QPoint mLastPanPos;
};

}  // namespace mtlw
