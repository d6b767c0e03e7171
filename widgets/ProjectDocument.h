// The open project as a document: owns the mtlw::Project, applies every edit as an undo command,
// tells views what changed and validates the graph after each change.
#pragma once

#include "project/Project.h"

#include <QObject>
#include <QPointF>
#include <QString>
#include <QStringList>
#include <QUndoStack>

#include <map>
#include <optional>
#include <string>

namespace mtlw {

class ProjectDocument : public QObject {
    Q_OBJECT

public:
    explicit ProjectDocument(QObject* parent = nullptr);

    const Project& project() const { return mProject; }
    QUndoStack* undoStack() { return &mUndoStack; }

    /// True when the project differs from the file it was opened from or last saved to.
    bool isModified() const { return !mUndoStack.isClean(); }
    /// Empty for a project that was never saved.
    QString filePath() const { return QString::fromStdString(mProject.filePath); }
    /// The project name, or the file name when the project has none.
    QString displayName() const;

    /// Replaces the project with a new one: a Multi-Fashion dataset, two tasks and an input node.
    void newProject();
    /// Replaces the project with `project` and clears the undo history.
    void resetProject(Project project);
    /// Replaces the project like resetProject but marks the document modified, for content
    /// that differs from its file, such as a recovered autosave.
    void recover(Project project);
    /// Loads a project file. Throws InputError naming the file and field; the document is
    /// unchanged on error.
    void open(const QString& path);
    /// Writes the project atomically to `path` and marks the document clean. Throws InputError
    /// or std::runtime_error when the file cannot be written.
    void saveAs(const QString& path);

    // Edits. Each pushes one undo command. Invalid requests (unknown node, duplicate edge)
    // push nothing and return false or an empty id.

    /// Moves nodes to scene positions, as one undoable step.
    bool moveNodes(const std::map<std::string, QPointF>& positions);
    /// Adds a node of `type` with the block's default params; returns its new id.
    QString addNode(const QString& type, const QPointF& position);
    /// Removes nodes and every edge touching them.
    bool removeNodes(const QStringList& ids);
    /// Adds an edge. Rejects self-loops, duplicates, unknown nodes and edges into the input node.
    bool connectNodes(const QString& from, const QString& to);
    bool disconnectNodes(const QString& from, const QString& to);
    /// Sets one param of a node; a null `value` removes the param.
    bool setNodeParam(const QString& id, const QString& key, const nlohmann::json& value);
    /// Gives every node a position from the layered layout, as one undoable step.
    bool applyAutoLayout();

    /// A node id not used yet, built from `base` ("conv" -> "conv1", "conv2", ...).
    std::string uniqueNodeId(const std::string& base) const;
    /// Positions by topological depth, left to right: x grows with depth, nodes of one
    /// depth stack vertically. Covers every node, positioned or not.
    std::map<std::string, QPointF> layeredLayout() const;

    /// Validation result of the last change: the error of each invalid node by id, and the
    /// error that names no node (no input node, a task without head, a cycle).
    const std::map<std::string, std::string>& nodeErrors() const { return mNodeErrors; }
    const QString& graphError() const { return mGraphError; }
    bool isValid() const { return mNodeErrors.empty() && mGraphError.isEmpty(); }

    std::optional<size_t> nodeIndex(const std::string& id) const;
    std::optional<size_t> edgeIndex(const std::string& from, const std::string& to) const;

Q_SIGNALS:
    /// The whole project changed (new, open), so views rebuild.
    void projectReset();
    void nodeAdded(const QString& id);
    void nodeRemoved(const QString& id);
    void nodeMoved(const QString& id);
    void nodeParamsChanged(const QString& id);
    void edgeAdded(const QString& from, const QString& to);
    void edgeRemoved(const QString& from, const QString& to);
    void validationChanged();
    void modifiedChanged(bool modified);
    void filePathChanged(const QString& path);

private:
    friend class MoveNodesCommand;
    friend class NodesPresenceCommand;
    friend class EdgeCommand;
    friend class ChangeNodeParamCommand;

    // Primitive changes, for the undo commands only, so that every edit can be undone.
    // Each emits its signal.
    void insertNode(size_t index, NodeSpec node);
    NodeSpec takeNode(const std::string& id);
    void insertEdge(size_t index, EdgeSpec edge);
    EdgeSpec takeEdge(size_t index);
    void setNodePosition(const std::string& id, const std::optional<NodePosition>& position);
    void setNodeParamValue(const std::string& id, const std::string& key, const nlohmann::json& value);
    /// Runs graph validation and emits validationChanged.
    void revalidate();
    NodeSpec* findNode(const std::string& id);

    Project mProject;
    QUndoStack mUndoStack;
    std::map<std::string, std::string> mNodeErrors;
    QString mGraphError;
};

}  // namespace mtlw
