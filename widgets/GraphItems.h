// Scene items of the graph editor: a node box with an input port on the left and an output
// port on the right, and an edge drawn as a cubic curve between two ports.
#pragma once

#include <QColor>
#include <QGraphicsItem>
#include <QGraphicsPathItem>
#include <QString>

namespace mtlw {

struct NodeSpec;
class EdgeItem;

/// Header colour of a block type, shared by the graph editor and the palette.
QColor blockColor(const QString& type);

class NodeItem : public QGraphicsItem {
public:
    enum class Port { None, Input, Output };
    enum { Type = UserType + 1 };

    NodeItem(const NodeSpec& node, bool hasInput, bool hasOutput);

    int type() const override { return Type; }
    QRectF boundingRect() const override;
    void paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget* widget) override;

    const QString& id() const { return mId; }
    /// Refreshes type and params text from the spec.
    void setSpec(const NodeSpec& node);
    /// An empty message marks the node valid.
    void setError(const QString& message);
    bool hasError() const { return !mError.isEmpty(); }

    QPointF inputPortScenePos() const;
    QPointF outputPortScenePos() const;
    /// The port under a scene position, with some slack around its circle.
    Port portAt(const QPointF& scenePos) const;
    bool hasInputPort() const { return mHasInput; }
    bool hasOutputPort() const { return mHasOutput; }

    /// Position last taken from the document, which the view compares with pos() after a drag.
    QPointF committedPos() const { return mCommittedPos; }
    void setCommittedPos(const QPointF& pos);

    void addEdge(EdgeItem* edge) { mEdges.push_back(edge); }
    void removeEdge(EdgeItem* edge);

protected:
    QVariant itemChange(GraphicsItemChange change, const QVariant& value) override;

private:
    QString mId;
    QString mType;
    QString mParamsText;
    QString mError;
    bool mHasInput;
    bool mHasOutput;
    QPointF mCommittedPos;
    std::vector<EdgeItem*> mEdges;
};

class EdgeItem : public QGraphicsPathItem {
public:
    enum { Type = UserType + 2 };

    EdgeItem(NodeItem* from, NodeItem* to);

    int type() const override { return Type; }
    void paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget* widget) override;
    QPainterPath shape() const override;

    NodeItem* fromNode() const { return mFrom; }
    NodeItem* toNode() const { return mTo; }
    /// Recomputes the curve from the ports' current positions.
    void updatePath();

    /// The curve between two scene points, as edges and the connection preview draw it.
    static QPainterPath curve(const QPointF& start, const QPointF& end);

private:
    NodeItem* mFrom;
    NodeItem* mTo;
};

}  // namespace mtlw
