#include "GraphView.h"

#include "GraphItems.h"
#include "ProjectDocument.h"
#include "model/Block.h"

#include <QGraphicsPathItem>
#include <QGraphicsScene>
#include <QKeyEvent>
#include <QMimeData>
#include <QMouseEvent>
#include <QResizeEvent>
#include <QScrollBar>
#include <QUndoStack>
#include <QWheelEvent>

#include <cmath>

namespace mtlw {

const char* const GraphView::kBlockMimeType = "application/x-mtlw-block-type";

namespace {

constexpr double kMinScale = 0.2;
constexpr double kMaxScale = 3.0;
constexpr double kZoomStep = 1.2;
constexpr double kGridStep = 24.0;

}  // namespace

GraphView::GraphView(ProjectDocument* document, QWidget* parent)
    : QGraphicsView(parent), mDocument(document), mScene(new QGraphicsScene(this)) {
    // A large fixed scene lets the user pan freely. Fit to View uses the items' bounds.
    mScene->setSceneRect(-5000, -5000, 10000, 10000);
    setScene(mScene);
    setRenderHints(QPainter::Antialiasing | QPainter::TextAntialiasing);
    setDragMode(RubberBandDrag);
    setRubberBandSelectionMode(Qt::IntersectsItemShape);
    setTransformationAnchor(AnchorUnderMouse);
    setViewportUpdateMode(BoundingRectViewportUpdate);
    setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    setAcceptDrops(true);
    setFocusPolicy(Qt::StrongFocus);

    connect(mDocument, &ProjectDocument::projectReset, this, &GraphView::rebuild);
    connect(mDocument, &ProjectDocument::nodeAdded, this, &GraphView::addNodeItem);
    connect(mDocument, &ProjectDocument::nodeRemoved, this, &GraphView::removeNodeItem);
    connect(mDocument, &ProjectDocument::nodeMoved, this, &GraphView::updateNodePosition);
    connect(mDocument, &ProjectDocument::nodeParamsChanged, this, &GraphView::updateNodeSpec);
    connect(mDocument, &ProjectDocument::edgeAdded, this, &GraphView::addEdgeItem);
    connect(mDocument, &ProjectDocument::edgeRemoved, this, &GraphView::removeEdgeItem);
    connect(mDocument, &ProjectDocument::validationChanged, this, &GraphView::updateErrors);
    connect(mScene, &QGraphicsScene::selectionChanged, this, [this]() {
        const QStringList ids = selectedNodeIds();
        Q_EMIT currentNodeChanged(ids.size() == 1 ? ids.front() : QString());
    });
    rebuild();
}

GraphView::~GraphView() {
    // Deleting selected items emits selectionChanged, which must not reach this half-destroyed view.
    mScene->disconnect(this);
    mNodes.clear();
    mEdges.clear();
}

NodeItem* GraphView::nodeItem(const QString& id) const {
    const auto found = mNodes.find(id);
    return found == mNodes.end() ? nullptr : found->second;
}

QStringList GraphView::selectedNodeIds() const {
    QStringList ids;
    for (const auto& [id, item] : mNodes) {
        if (item->isSelected()) {
            ids << id;
        }
    }
    return ids;
}

void GraphView::selectNode(const QString& id) {
    mScene->clearSelection();
    if (NodeItem* item = nodeItem(id)) {
        item->setSelected(true);
        ensureVisible(item);
    }
}

QPointF GraphView::visibleCenter() const {
    return mapToScene(viewport()->rect().center());
}

void GraphView::rebuild() {
    mConnectPreview = nullptr;
    // Forget the items first: clearing the scene emits selectionChanged for selected ones.
    mNodes.clear();
    mEdges.clear();
    mScene->clear();
    mLayout = mDocument->layeredLayout();
    for (const auto& node : mDocument->project().graph.nodes) {
        addNodeItem(QString::fromStdString(node.id));
    }
    for (const auto& edge : mDocument->project().graph.edges) {
        addEdgeItem(QString::fromStdString(edge.from), QString::fromStdString(edge.to));
    }
    updateErrors();
    // The view may not have its final size yet, while hidden or while docks settle, so
    // resizeEvent fits again until the user first touches the view.
    mFitPending = true;
    fitToView();
}

void GraphView::resizeEvent(QResizeEvent* event) {
    QGraphicsView::resizeEvent(event);
    if (mFitPending) {
        fitToView();
    }
}

void GraphView::addNodeItem(const QString& id) {
    const NodeSpec* node = mDocument->project().findNode(id.toStdString());
    if (node == nullptr || mNodes.count(id) > 0) {
        return;
    }
    const BlockType* type = findBlockType(node->type);
    const bool hasInput = type == nullptr || type->inputCount() > 0;
    const bool hasOutput = type == nullptr || !type->isHead();
    auto* item = new NodeItem(*node, hasInput, hasOutput);
    mScene->addItem(item);
    mNodes[id] = item;
    updateNodePosition(id);
}

void GraphView::removeNodeItem(const QString& id) {
    NodeItem* item = nodeItem(id);
    if (item == nullptr) {
        return;
    }
    // The document removes edges before their nodes, so this only drops edges left over.
    for (auto it = mEdges.begin(); it != mEdges.end();) {
        if (it->first.first == id || it->first.second == id) {
            EdgeItem* edge = it->second;
            edge->fromNode()->removeEdge(edge);
            edge->toNode()->removeEdge(edge);
            delete edge;
            it = mEdges.erase(it);
        } else {
            ++it;
        }
    }
    mNodes.erase(id);
    delete item;
}

void GraphView::addEdgeItem(const QString& from, const QString& to) {
    NodeItem* fromItem = nodeItem(from);
    NodeItem* toItem = nodeItem(to);
    if (fromItem == nullptr || toItem == nullptr || mEdges.count({from, to}) > 0) {
        return;
    }
    auto* edge = new EdgeItem(fromItem, toItem);
    mScene->addItem(edge);
    mEdges[{from, to}] = edge;
}

void GraphView::removeEdgeItem(const QString& from, const QString& to) {
    const auto found = mEdges.find({from, to});
    if (found == mEdges.end()) {
        return;
    }
    EdgeItem* edge = found->second;
    edge->fromNode()->removeEdge(edge);
    edge->toNode()->removeEdge(edge);
    mEdges.erase(found);
    delete edge;
}

void GraphView::updateNodeSpec(const QString& id) {
    NodeItem* item = nodeItem(id);
    const NodeSpec* node = mDocument->project().findNode(id.toStdString());
    if (item != nullptr && node != nullptr) {
        item->setSpec(*node);
    }
}

void GraphView::updateNodePosition(const QString& id) {
    NodeItem* item = nodeItem(id);
    const NodeSpec* node = mDocument->project().findNode(id.toStdString());
    if (item == nullptr || node == nullptr) {
        return;
    }
    if (node->position) {
        item->setCommittedPos(QPointF(node->position->x, node->position->y));
        return;
    }
    if (mLayout.count(node->id) == 0) {
        mLayout = mDocument->layeredLayout();
    }
    item->setCommittedPos(mLayout[node->id]);
}

void GraphView::updateErrors() {
    const auto& errors = mDocument->nodeErrors();
    for (const auto& [id, item] : mNodes) {
        const auto found = errors.find(id.toStdString());
        item->setError(found == errors.end() ? QString() : QString::fromStdString(found->second));
    }
}

void GraphView::commitMovedNodes() {
    std::map<std::string, QPointF> moved;
    for (const auto& [id, item] : mNodes) {
        if (item->pos() != item->committedPos()) {
            moved[id.toStdString()] = item->pos();
        }
    }
    if (!moved.empty()) {
        mDocument->moveNodes(moved);
    }
}

void GraphView::fitToView() {
    QRectF bounds = mScene->itemsBoundingRect();
    if (bounds.isEmpty()) {
        return;
    }
    bounds.adjust(-40, -40, 40, 40);
    fitInView(bounds, Qt::KeepAspectRatio);
    // Small graphs would otherwise be blown up to giant boxes.
    if (transform().m11() > 1.4) {
        setTransform(QTransform::fromScale(1.4, 1.4));
        centerOn(bounds.center());
    }
}

void GraphView::zoomIn() {
    scaleBy(kZoomStep);
}

void GraphView::zoomOut() {
    scaleBy(1.0 / kZoomStep);
}

void GraphView::scaleBy(double factor) {
    mFitPending = false;
    const double current = transform().m11();
    const double target = std::clamp(current * factor, kMinScale, kMaxScale);
    scale(target / current, target / current);
}

void GraphView::selectAll() {
    for (QGraphicsItem* item : mScene->items()) {
        item->setSelected(true);
    }
}

void GraphView::deleteSelection() {
    const QStringList nodeIds = selectedNodeIds();
    std::vector<std::pair<QString, QString>> edges;
    for (const auto& [key, edge] : mEdges) {
        if (edge->isSelected() && !nodeIds.contains(key.first) && !nodeIds.contains(key.second)) {
            edges.push_back(key);
        }
    }
    if (nodeIds.isEmpty() && edges.empty()) {
        return;
    }
    QUndoStack* stack = mDocument->undoStack();
    stack->beginMacro(tr("Delete"));
    for (const auto& [from, to] : edges) {
        mDocument->disconnectNodes(from, to);
    }
    mDocument->removeNodes(nodeIds);
    stack->endMacro();
}

NodeItem* GraphView::nodeItemAt(const QPoint& viewPos) const {
    for (QGraphicsItem* item : items(viewPos)) {
        if (item->type() == NodeItem::Type) {
            return static_cast<NodeItem*>(item);
        }
    }
    return nullptr;
}

void GraphView::mousePressEvent(QMouseEvent* event) {
    mFitPending = false;
    if (event->button() == Qt::MiddleButton || (event->button() == Qt::LeftButton && mSpaceHeld)) {
        mPanning = true;
        mLastPanPos = event->pos();
        viewport()->setCursor(Qt::ClosedHandCursor);
        event->accept();
        return;
    }
    if (event->button() == Qt::LeftButton) {
        // A press on an output port starts a connection instead of a node drag.
        const QPointF scenePos = mapToScene(event->pos());
        for (const auto& [id, item] : mNodes) {
            if (item->portAt(scenePos) == NodeItem::Port::Output) {
                mConnectFrom = id;
                mConnectPreview = mScene->addPath(EdgeItem::curve(item->outputPortScenePos(), scenePos),
                                                  QPen(QColor(0x1a, 0x73, 0xe8), 2.0, Qt::DashLine));
                mConnectPreview->setZValue(2.0);
                event->accept();
                return;
            }
        }
    }
    QGraphicsView::mousePressEvent(event);
}

void GraphView::mouseMoveEvent(QMouseEvent* event) {
    if (mPanning) {
        const QPoint delta = event->pos() - mLastPanPos;
        mLastPanPos = event->pos();
        horizontalScrollBar()->setValue(horizontalScrollBar()->value() - delta.x());
        verticalScrollBar()->setValue(verticalScrollBar()->value() - delta.y());
        event->accept();
        return;
    }
    if (mConnectPreview != nullptr) {
        const NodeItem* from = nodeItem(mConnectFrom);
        if (from != nullptr) {
            mConnectPreview->setPath(EdgeItem::curve(from->outputPortScenePos(), mapToScene(event->pos())));
        }
        event->accept();
        return;
    }
    QGraphicsView::mouseMoveEvent(event);
}

void GraphView::mouseReleaseEvent(QMouseEvent* event) {
    if (mPanning && (event->button() == Qt::MiddleButton || event->button() == Qt::LeftButton)) {
        mPanning = false;
        viewport()->setCursor(mSpaceHeld ? Qt::OpenHandCursor : Qt::ArrowCursor);
        event->accept();
        return;
    }
    if (mConnectPreview != nullptr && event->button() == Qt::LeftButton) {
        delete mConnectPreview;
        mConnectPreview = nullptr;
        const QString from = mConnectFrom;
        mConnectFrom.clear();
        // Dropping anywhere on a node connects to its input port.
        if (NodeItem* target = nodeItemAt(event->pos()); target != nullptr && target->hasInputPort()) {
            mDocument->connectNodes(from, target->id());
        }
        event->accept();
        return;
    }
    QGraphicsView::mouseReleaseEvent(event);
    if (event->button() == Qt::LeftButton) {
        commitMovedNodes();
    }
}

void GraphView::wheelEvent(QWheelEvent* event) {
    mFitPending = false;
    if (event->modifiers() & Qt::ControlModifier) {
        const double steps = event->angleDelta().y() / 120.0;
        scaleBy(std::pow(kZoomStep, steps));
        event->accept();
        return;
    }
    QGraphicsView::wheelEvent(event);
}

void GraphView::keyPressEvent(QKeyEvent* event) {
    if (event->key() == Qt::Key_Space && !event->isAutoRepeat()) {
        mSpaceHeld = true;
        viewport()->setCursor(Qt::OpenHandCursor);
        event->accept();
        return;
    }
    if (event->key() == Qt::Key_Delete || event->key() == Qt::Key_Backspace) {
        deleteSelection();
        event->accept();
        return;
    }
    QGraphicsView::keyPressEvent(event);
}

void GraphView::keyReleaseEvent(QKeyEvent* event) {
    if (event->key() == Qt::Key_Space && !event->isAutoRepeat()) {
        mSpaceHeld = false;
        viewport()->setCursor(Qt::ArrowCursor);
        event->accept();
        return;
    }
    QGraphicsView::keyReleaseEvent(event);
}

void GraphView::dragEnterEvent(QDragEnterEvent* event) {
    if (event->mimeData()->hasFormat(kBlockMimeType)) {
        event->acceptProposedAction();
    } else {
        event->ignore();
    }
}

void GraphView::dragMoveEvent(QDragMoveEvent* event) {
    if (event->mimeData()->hasFormat(kBlockMimeType)) {
        event->acceptProposedAction();
    } else {
        event->ignore();
    }
}

void GraphView::dropEvent(QDropEvent* event) {
    if (!event->mimeData()->hasFormat(kBlockMimeType)) {
        event->ignore();
        return;
    }
    const QString type = QString::fromUtf8(event->mimeData()->data(kBlockMimeType));
    const QString id = mDocument->addNode(type, mapToScene(event->position().toPoint()));
    if (!id.isEmpty()) {
        selectNode(id);
    }
    event->acceptProposedAction();
}

void GraphView::drawBackground(QPainter* painter, const QRectF& rect) {
    painter->fillRect(rect, QColor(0xf3, 0xf4, 0xf6));
    const double left = std::floor(rect.left() / kGridStep) * kGridStep;
    const double top = std::floor(rect.top() / kGridStep) * kGridStep;
    QVector<QPointF> dots;
    for (double x = left; x < rect.right(); x += kGridStep) {
        for (double y = top; y < rect.bottom(); y += kGridStep) {
            dots.append(QPointF(x, y));
        }
    }
    painter->setPen(QPen(QColor(0xc8, 0xcc, 0xd2), 1.5));
    painter->drawPoints(dots.data(), static_cast<int>(dots.size()));
}

}  // namespace mtlw
