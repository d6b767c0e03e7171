#include "DocumentCommands.h"

#include <QCoreApplication>

#include <algorithm>
#include <set>

namespace mtlw {

MoveNodesCommand::MoveNodesCommand(ProjectDocument* document,
                                   std::map<std::string, std::optional<NodePosition>> positions)
    : mDocument(document), mPositions(std::move(positions)) {
    setText(mPositions.size() == 1 ? QCoreApplication::translate("Undo", "Move Node")
                                   : QCoreApplication::translate("Undo", "Move %n Node(s)", nullptr,
                                                                 static_cast<int>(mPositions.size())));
}

void MoveNodesCommand::swap() {
    for (auto& [id, position] : mPositions) {
        NodeSpec* node = mDocument->findNode(id);
        if (node == nullptr) {
            continue;
        }
        const std::optional<NodePosition> current = node->position;
        mDocument->setNodePosition(id, position);
        position = current;
    }
}

NodesPresenceCommand::NodesPresenceCommand(ProjectDocument* document, Action action, std::vector<NodeSpec> nodes)
    : mDocument(document), mPresent(action == Action::Remove) {
    const Project& project = document->project();
    if (action == Action::Add) {
        size_t index = project.graph.nodes.size();
        for (auto& node : nodes) {
            mNodes.emplace_back(index++, std::move(node));
        }
        setText(QCoreApplication::translate("Undo", "Add Node"));
        return;
    }

    std::set<std::string> ids;
    for (const auto& node : nodes) {
        if (const auto index = document->nodeIndex(node.id)) {
            ids.insert(node.id);
            mNodes.emplace_back(*index, project.graph.nodes[*index]);
        }
    }
    std::sort(mNodes.begin(), mNodes.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (size_t i = 0; i < project.graph.edges.size(); ++i) {
        const EdgeSpec& edge = project.graph.edges[i];
        if (ids.count(edge.from) > 0 || ids.count(edge.to) > 0) {
            mEdges.emplace_back(i, edge);
        }
    }
    setText(QCoreApplication::translate("Undo", "Remove %n Node(s)", nullptr, static_cast<int>(mNodes.size())));
}

void NodesPresenceCommand::toggle() {
    if (mPresent) {
        removeAll();
    } else {
        insertAll();
    }
    mPresent = !mPresent;
    mDocument->revalidate();
}

void NodesPresenceCommand::insertAll() {
    // Ascending order restores every recorded index, because each insertion only shifts later items.
    for (const auto& [index, node] : mNodes) {
        mDocument->insertNode(index, node);
    }
    for (const auto& [index, edge] : mEdges) {
        mDocument->insertEdge(index, edge);
    }
}

void NodesPresenceCommand::removeAll() {
    for (auto it = mEdges.rbegin(); it != mEdges.rend(); ++it) {
        mDocument->takeEdge(it->first);
    }
    for (auto it = mNodes.rbegin(); it != mNodes.rend(); ++it) {
        // Take the current spec, so a redo after undo re-adds the node as it was when removed.
        it->second = mDocument->takeNode(it->second.id);
    }
}

EdgeCommand::EdgeCommand(ProjectDocument* document, EdgeSpec edge, size_t index, bool connect)
    : mDocument(document), mEdge(std::move(edge)), mIndex(index), mPresent(!connect) {
    setText(connect ? QCoreApplication::translate("Undo", "Connect %1 to %2")
                          .arg(QString::fromStdString(mEdge.from), QString::fromStdString(mEdge.to))
                    : QCoreApplication::translate("Undo", "Disconnect %1 from %2")
                          .arg(QString::fromStdString(mEdge.from), QString::fromStdString(mEdge.to)));
}

void EdgeCommand::toggle() {
    if (mPresent) {
        mEdge = mDocument->takeEdge(mIndex);
    } else {
        mDocument->insertEdge(mIndex, mEdge);
    }
    mPresent = !mPresent;
    mDocument->revalidate();
}

ChangeNodeParamCommand::ChangeNodeParamCommand(ProjectDocument* document, std::string nodeId, std::string key,
                                               nlohmann::json value)
    : mDocument(document), mNodeId(std::move(nodeId)), mKey(std::move(key)), mValue(std::move(value)) {
    setText(QCoreApplication::translate("Undo", "Change %1.%2")
                .arg(QString::fromStdString(mNodeId), QString::fromStdString(mKey)));
}

void ChangeNodeParamCommand::swap() {
    NodeSpec* node = mDocument->findNode(mNodeId);
    if (node == nullptr) {
        return;
    }
    nlohmann::json current = nullptr;
    if (node->params.is_object() && node->params.contains(mKey)) {
        current = node->params[mKey];
    }
    mDocument->setNodeParamValue(mNodeId, mKey, mValue);
    mValue = std::move(current);
    mDocument->revalidate();
}

}  // namespace mtlw
