// Undo commands for every edit of a ProjectDocument. Each command records what it needs
// in its constructor, and one swap routine serves both undo() and redo().
#pragma once

#include "ProjectDocument.h"

#include <QUndoCommand>

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mtlw {

// Moves nodes. Swapping exchanges the stored and the current positions.
class MoveNodesCommand : public QUndoCommand {
public:
    MoveNodesCommand(ProjectDocument* document, std::map<std::string, std::optional<NodePosition>> positions);

    void undo() override { swap(); }
    void redo() override { swap(); }

private:
    void swap();

    ProjectDocument* mDocument;
    std::map<std::string, std::optional<NodePosition>> mPositions;
};

// Adds or removes nodes together with their edges. Adding is removing run backwards, so one
// command class with a direction flag serves both.
class NodesPresenceCommand : public QUndoCommand {
public:
    enum class Action { Add, Remove };

    /// Add: `nodes` are appended in order. Remove: `nodes` hold the ids to remove, and the command
    /// records their full specs, positions in the list and touching edges.
    NodesPresenceCommand(ProjectDocument* document, Action action, std::vector<NodeSpec> nodes);

    void undo() override { toggle(); }
    void redo() override { toggle(); }

private:
    void toggle();
    void insertAll();
    void removeAll();

    ProjectDocument* mDocument;
    /// Nodes with their index in the node list, in ascending index order.
    std::vector<std::pair<size_t, NodeSpec>> mNodes;
    /// Edges touching the nodes, with their index in the edge list, in ascending index order.
    std::vector<std::pair<size_t, EdgeSpec>> mEdges;
    /// Whether the nodes are in the document now.
    bool mPresent;
};

// Connects or disconnects one edge. The edge keeps its place in the edge list because the
// order of a node's incoming edges is its input order.
class EdgeCommand : public QUndoCommand {
public:
    EdgeCommand(ProjectDocument* document, EdgeSpec edge, size_t index, bool connect);

    void undo() override { toggle(); }
    void redo() override { toggle(); }

private:
    void toggle();

    ProjectDocument* mDocument;
    EdgeSpec mEdge;
    size_t mIndex;
    bool mPresent;
};

// Sets or removes one node param. Swapping exchanges the stored and the current value.
class ChangeNodeParamCommand : public QUndoCommand {
public:
    /// A null `value` removes the param.
    ChangeNodeParamCommand(ProjectDocument* document, std::string nodeId, std::string key, nlohmann::json value);

    void undo() override { swap(); }
    void redo() override { swap(); }

private:
    void swap();

    ProjectDocument* mDocument;
    std::string mNodeId;
    std::string mKey;
    nlohmann::json mValue;
};

}  // namespace mtlw
