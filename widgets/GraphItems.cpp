#include "GraphItems.h"

#include "project/Project.h"

#include <QFontMetricsF>
#include <QPainter>
#include <QPainterPathStroker>
#include <QStyleOptionGraphicsItem>

#include <algorithm>

namespace mtlw {

namespace {

constexpr double kWidth = 180.0;
constexpr double kHeight = 64.0;
constexpr double kHeaderHeight = 26.0;
constexpr double kPortRadius = 6.0;
constexpr double kPortHitRadius = 12.0;

// Formats params as "out_channels=10, kernel_size=5", with strings unquoted.
QString paramsText(const nlohmann::json& params) {
    QStringList parts;
    if (!params.is_object()) {
        return {};
    }
    for (const auto& [key, value] : params.items()) {
        const std::string text = value.is_string() ? value.get<std::string>() : value.dump();
        parts << QString::fromStdString(key + "=" + text);
    }
    return parts.join(QStringLiteral(", "));
}

}  // namespace

QColor blockColor(const QString& type) {
    if (type == QLatin1String("input")) {
        return QColor(0x3d, 0x7e, 0xd8);
    }
    if (type == QLatin1String("conv")) {
        return QColor(0xe0, 0x8a, 0x2e);
    }
    if (type == QLatin1String("flatten")) {
        return QColor(0x7d, 0x86, 0x91);
    }
    if (type == QLatin1String("mlp")) {
        return QColor(0x2f, 0x9e, 0x5b);
    }
    if (type == QLatin1String("head")) {
        return QColor(0x8e, 0x4f, 0xc9);
    }
    // Types added later get a stable colour from their name.
    return QColor::fromHsv(static_cast<int>(qHash(type) % 360), 140, 170);
}

NodeItem::NodeItem(const NodeSpec& node, bool hasInput, bool hasOutput)
    : mId(QString::fromStdString(node.id)), mHasInput(hasInput), mHasOutput(hasOutput) {
    setFlags(ItemIsMovable | ItemIsSelectable | ItemSendsGeometryChanges);
    setAcceptHoverEvents(true);
    setZValue(1.0);
    setSpec(node);
}

QRectF NodeItem::boundingRect() const {
    const double margin = kPortRadius + 3.0;
    return QRectF(-kWidth / 2 - margin, -kHeight / 2 - margin, kWidth + 2 * margin, kHeight + 2 * margin);
}

void NodeItem::setSpec(const NodeSpec& node) {
    mType = QString::fromStdString(node.type);
    mParamsText = paramsText(node.params);
    update();
}

void NodeItem::setError(const QString& message) {
    if (message == mError) {
        return;
    }
    mError = message;
    setToolTip(mError.isEmpty() ? QString() : mError);
    update();
}

void NodeItem::paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget* widget) {
    painter->setRenderHint(QPainter::Antialiasing);
    const QRectF body(-kWidth / 2, -kHeight / 2, kWidth, kHeight);
    const QColor color = blockColor(mType);

    // Body and header band.
    QPainterPath outline;
    outline.addRoundedRect(body, 7, 7);
    painter->fillPath(outline, QColor(0xfb, 0xfb, 0xfc));
    painter->save();
    painter->setClipRect(QRectF(body.left(), body.top(), body.width(), kHeaderHeight));
    painter->fillPath(outline, color);
    painter->restore();

    QPen border(QColor(0x55, 0x5b, 0x66), 1.2);
    if (hasError()) {
        border = QPen(QColor(0xd9, 0x30, 0x25), 2.6);
    } else if (isSelected()) {
        border = QPen(QColor(0x1a, 0x73, 0xe8), 2.6);
    }
    painter->setPen(border);
    painter->drawPath(outline);

    // Id in the header, type and params in the body.
    QFont titleFont = painter->font();
    titleFont.setBold(true);
    titleFont.setPointSizeF(10.5);
    painter->setFont(titleFont);
    painter->setPen(Qt::white);
    const QRectF header(body.left() + 10, body.top(), body.width() - 20, kHeaderHeight);
    painter->drawText(header, Qt::AlignVCenter | Qt::AlignLeft,
                      QFontMetricsF(titleFont).elidedText(mId, Qt::ElideRight, header.width()));

    QFont textFont = painter->font();
    textFont.setBold(false);
    textFont.setPointSizeF(9.0);
    painter->setFont(textFont);
    painter->setPen(QColor(0x30, 0x34, 0x3a));
    const QRectF typeRect(body.left() + 10, body.top() + kHeaderHeight + 2, body.width() - 20, 16);
    painter->drawText(typeRect, Qt::AlignVCenter | Qt::AlignLeft, mType);
    painter->setPen(QColor(0x6a, 0x70, 0x7a));
    const QRectF paramsRect(body.left() + 10, typeRect.bottom(), body.width() - 20, 16);
    painter->drawText(paramsRect, Qt::AlignVCenter | Qt::AlignLeft,
                      QFontMetricsF(textFont).elidedText(mParamsText, Qt::ElideRight, paramsRect.width()));

    // Ports.
    painter->setPen(QPen(QColor(0x40, 0x44, 0x4c), 1.2));
    painter->setBrush(QColor(0xff, 0xff, 0xff));
    if (mHasInput) {
        painter->drawEllipse(QPointF(body.left(), 0), kPortRadius, kPortRadius);
    }
    if (mHasOutput) {
        painter->setBrush(color);
        painter->drawEllipse(QPointF(body.right(), 0), kPortRadius, kPortRadius);
    }
}

QPointF NodeItem::inputPortScenePos() const {
    return mapToScene(QPointF(-kWidth / 2, 0));
}

QPointF NodeItem::outputPortScenePos() const {
    return mapToScene(QPointF(kWidth / 2, 0));
}

NodeItem::Port NodeItem::portAt(const QPointF& scenePos) const {
    const auto near = [&](const QPointF& port) {
        const QPointF delta = scenePos - port;
        return delta.x() * delta.x() + delta.y() * delta.y() <= kPortHitRadius * kPortHitRadius;
    };
    if (mHasOutput && near(outputPortScenePos())) {
        return Port::Output;
    }
    if (mHasInput && near(inputPortScenePos())) {
        return Port::Input;
    }
    return Port::None;
}

void NodeItem::setCommittedPos(const QPointF& pos) {
    mCommittedPos = pos;
    setPos(pos);
}

void NodeItem::removeEdge(EdgeItem* edge) {
    mEdges.erase(std::remove(mEdges.begin(), mEdges.end(), edge), mEdges.end());
}

QVariant NodeItem::itemChange(GraphicsItemChange change, const QVariant& value) {
    if (change == ItemPositionHasChanged) {
        for (EdgeItem* edge : mEdges) {
            edge->updatePath();
        }
    }
    if (change == ItemSelectedHasChanged) {
        update();
    }
    return QGraphicsItem::itemChange(change, value);
}

EdgeItem::EdgeItem(NodeItem* from, NodeItem* to) : mFrom(from), mTo(to) {
    setFlags(ItemIsSelectable);
    setZValue(0.0);
    mFrom->addEdge(this);
    mTo->addEdge(this);
    updatePath();
}

QPainterPath EdgeItem::curve(const QPointF& start, const QPointF& end) {
    const double bend = std::max(40.0, std::abs(end.x() - start.x()) * 0.5);
    QPainterPath path(start);
    path.cubicTo(start + QPointF(bend, 0), end - QPointF(bend, 0), end);
    return path;
}

void EdgeItem::updatePath() {
    setPath(curve(mFrom->outputPortScenePos(), mTo->inputPortScenePos()));
}

QPainterPath EdgeItem::shape() const {
    QPainterPathStroker stroker;
    stroker.setWidth(10.0);
    return stroker.createStroke(path());
}

void EdgeItem::paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget* widget) {
    painter->setRenderHint(QPainter::Antialiasing);
    const QColor color = isSelected() ? QColor(0x1a, 0x73, 0xe8) : QColor(0x70, 0x76, 0x80);
    painter->setPen(QPen(color, isSelected() ? 3.0 : 2.0));
    painter->setBrush(Qt::NoBrush);
    painter->drawPath(path());
}

}  // namespace mtlw
