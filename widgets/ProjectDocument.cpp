#include "ProjectDocument.h"

#include "DocumentCommands.h"
#include "model/Block.h"
#include "model/GraphPlan.h"
#include "util/Errors.h"

#include <QFileInfo>

#include <algorithm>
#include <queue>
#include <regex>
#include <set>

namespace mtlw {

namespace {

constexpr double kLayerSpacing = 230.0;
constexpr double kRowSpacing = 110.0;

// Params a node of a fresh block gets, so that it validates once connected.
// NOTE: the defaults live here because BlockType has no way to list its params and defaults.
nlohmann::json defaultParams(const std::string& type, const Project& project) {
    if (type == "conv") {
        return {{"out_channels", 16}, {"kernel_size", 3}, {"pool", 2}};
    }
    if (type == "mlp") {
        return {{"hidden", {128}}};
    }
    // Blocks with a required param start with a working value that the user can change.
    if (type == "mmoe" || type == "moe") {
        return {{"experts", 4}};
    }
    if (type == "cross_stitch") {
        return {{"hidden", {64}}};
    }
    if (type == "lora") {
        return {{"width", 64}};
    }
    if (type == "head") {
        std::set<std::string> served;
        for (const auto& node : project.graph.nodes) {
            if (node.type == "head" && node.params.is_object() && node.params.contains("task") &&
                node.params["task"].is_string()) {
                served.insert(node.params["task"].get<std::string>());
            }
        }
        for (const auto& task : project.tasks) {
            if (served.count(task.name) == 0) {
                return {{"task", task.name}};
            }
        }
        return {{"task", project.tasks.empty() ? std::string() : project.tasks.front().name}};
    }
    return nlohmann::json::object();
}

// Builds the context planGraph needs without loading data: the input shape is known for
// Multi-Fashion only. Returns false when shapes cannot be inferred (CSV, unknown kinds).
bool makeValidationContext(const Project& project, BuildContext& context) {
    const bool multiFashion = !project.datasets.empty() && project.datasets.front().kind == "multi-fashion";
    // Multi-Fashion: one 36x36 grey canvas, ten Fashion-MNIST classes per task (and ten labels
    // for a multilabel task on "items").
    context.inputShape = multiFashion ? Shape{1, 36, 36} : Shape{1};
    for (const auto& task : project.tasks) {
        // Only the output width matters to validation; other kinds are not inferred here.
        std::int64_t outputs = 1;
        if (task.type == TaskType::Classification || task.type == TaskType::MultiLabel) {
            outputs = multiFashion ? 10 : 2;
        }
        context.taskOutputSizes[task.name] = outputs;
    }
    return multiFashion;
}

}  // namespace

ProjectDocument::ProjectDocument(QObject* parent) : QObject(parent) {
    connect(&mUndoStack, &QUndoStack::cleanChanged, this, [this](bool clean) { Q_EMIT modifiedChanged(!clean); });
    newProject();
}

QString ProjectDocument::displayName() const {
    if (!mProject.name.empty()) {
        return QString::fromStdString(mProject.name);
    }
    if (!mProject.filePath.empty()) {
        return QFileInfo(filePath()).fileName();
    }
    return tr("Untitled");
}

void ProjectDocument::newProject() {
    Project project;
    project.name = "Untitled";
    DatasetSpec dataset;
    dataset.name = "multi-fashion";
    dataset.kind = "multi-fashion";
    dataset.options = {{"directory", "/usr/share/datasets/fashion-mnist"}, {"seed", 0}, {"validation_size", 6000}};
    project.datasets.push_back(dataset);
    for (const char* side : {"left", "right"}) {
        TaskSpec task;
        task.name = side;
        task.dataset = dataset.name;
        task.target = side;
        task.loss = "cross_entropy";
        task.metrics = {"accuracy"};
        project.tasks.push_back(task);
    }
    NodeSpec input;
    input.id = "image";
    input.type = "input";
    input.position = NodePosition{0.0, 0.0};
    project.graph.nodes.push_back(input);
    resetProject(std::move(project));
}

void ProjectDocument::resetProject(Project project) {
    const bool pathChanged = project.filePath != mProject.filePath;
    mProject = std::move(project);
    mUndoStack.clear();
    mUndoStack.setClean();
    revalidate();
    Q_EMIT projectReset();
    if (pathChanged) {
        Q_EMIT filePathChanged(filePath());
    }
}

void ProjectDocument::recover(Project project) {
    resetProject(std::move(project));
    // No undo state matches the file any more, so the document stays modified until saved.
    mUndoStack.resetClean();
}

void ProjectDocument::open(const QString& path) {
    Project project = loadProject(path.toStdString());
    resetProject(std::move(project));
}

void ProjectDocument::saveAs(const QString& path) {
    const std::string before = mProject.filePath;
    saveProject(mProject, path.toStdString());
    mUndoStack.setClean();
    if (before != mProject.filePath) {
        // Validation messages name the file.
        revalidate();
        Q_EMIT filePathChanged(filePath());
    }
}

bool ProjectDocument::moveNodes(const std::map<std::string, QPointF>& positions) {
    std::map<std::string, std::optional<NodePosition>> changed;
    for (const auto& [id, point] : positions) {
        const NodeSpec* node = mProject.findNode(id);
        if (node == nullptr) {
            continue;
        }
        const NodePosition target{point.x(), point.y()};
        if (node->position && node->position->x == target.x && node->position->y == target.y) {
            continue;
        }
        changed[id] = target;
    }
    if (changed.empty()) {
        return false;
    }
    mUndoStack.push(new MoveNodesCommand(this, std::move(changed)));
    return true;
}

QString ProjectDocument::addNode(const QString& type, const QPointF& position) {
    const std::string typeName = type.toStdString();
    if (findBlockType(typeName) == nullptr) {
        return {};
    }
    NodeSpec node;
    node.type = typeName;
    node.id = uniqueNodeId(typeName == "input" ? "input" : typeName);
    node.params = defaultParams(typeName, mProject);
    node.position = NodePosition{position.x(), position.y()};
    const QString id = QString::fromStdString(node.id);
    mUndoStack.push(new NodesPresenceCommand(this, NodesPresenceCommand::Action::Add, {node}));
    return id;
}

bool ProjectDocument::removeNodes(const QStringList& ids) {
    std::vector<NodeSpec> nodes;
    for (const QString& id : ids) {
        if (mProject.findNode(id.toStdString()) != nullptr) {
            NodeSpec node;
            node.id = id.toStdString();
            nodes.push_back(node);
        }
    }
    if (nodes.empty()) {
        return false;
    }
    mUndoStack.push(new NodesPresenceCommand(this, NodesPresenceCommand::Action::Remove, std::move(nodes)));
    return true;
}

bool ProjectDocument::connectNodes(const QString& from, const QString& to) {
    const std::string fromId = from.toStdString();
    const std::string toId = to.toStdString();
    const NodeSpec* target = mProject.findNode(toId);
    if (fromId == toId || mProject.findNode(fromId) == nullptr || target == nullptr ||
        edgeIndex(fromId, toId).has_value()) {
        return false;
    }
    const BlockType* targetType = findBlockType(target->type);
    if (targetType != nullptr && targetType->inputCount() == 0) {
        return false;
    }
    mUndoStack.push(new EdgeCommand(this, {fromId, toId}, mProject.graph.edges.size(), true));
    return true;
}

bool ProjectDocument::disconnectNodes(const QString& from, const QString& to) {
    const auto index = edgeIndex(from.toStdString(), to.toStdString());
    if (!index) {
        return false;
    }
    mUndoStack.push(new EdgeCommand(this, mProject.graph.edges[*index], *index, false));
    return true;
}

bool ProjectDocument::setNodeParam(const QString& id, const QString& key, const nlohmann::json& value) {
    const NodeSpec* node = mProject.findNode(id.toStdString());
    if (node == nullptr || key.isEmpty()) {
        return false;
    }
    const std::string keyName = key.toStdString();
    const bool present = node->params.is_object() && node->params.contains(keyName);
    if ((value.is_null() && !present) || (present && node->params[keyName] == value)) {
        return false;
    }
    mUndoStack.push(new ChangeNodeParamCommand(this, id.toStdString(), keyName, value));
    return true;
}

bool ProjectDocument::applyAutoLayout() {
    std::map<std::string, QPointF> positions = layeredLayout();
    if (positions.empty()) {
        return false;
    }
    std::map<std::string, std::optional<NodePosition>> changed;
    for (const auto& [id, point] : positions) {
        changed[id] = NodePosition{point.x(), point.y()};
    }
    auto* command = new MoveNodesCommand(this, std::move(changed));
    command->setText(tr("Auto Layout"));
    mUndoStack.push(command);
    return true;
}

std::string ProjectDocument::uniqueNodeId(const std::string& base) const {
    if (base == "input" && mProject.findNode(base) == nullptr) {
        return base;
    }
    for (int suffix = 1;; ++suffix) {
        const std::string candidate = base + std::to_string(suffix);
        if (mProject.findNode(candidate) == nullptr) {
            return candidate;
        }
    }
}

std::map<std::string, QPointF> ProjectDocument::layeredLayout() const {
    const auto& nodes = mProject.graph.nodes;
    std::map<std::string, size_t> indexOf;
    for (size_t i = 0; i < nodes.size(); ++i) {
        indexOf[nodes[i].id] = i;
    }

    // Depth is the longest path from a source, computed in Kahn order; nodes on a cycle
    // never become ready and go one layer past the deepest node.
    std::vector<std::vector<size_t>> successors(nodes.size());
    std::vector<size_t> remaining(nodes.size(), 0);
    for (const auto& edge : mProject.graph.edges) {
        const auto from = indexOf.find(edge.from);
        const auto to = indexOf.find(edge.to);
        if (from != indexOf.end() && to != indexOf.end()) {
            successors[from->second].push_back(to->second);
            ++remaining[to->second];
        }
    }
    std::vector<int> depth(nodes.size(), -1);
    std::queue<size_t> ready;
    for (size_t i = 0; i < nodes.size(); ++i) {
        if (remaining[i] == 0) {
            depth[i] = 0;
            ready.push(i);
        }
    }
    int maxDepth = 0;
    while (!ready.empty()) {
        const size_t current = ready.front();
        ready.pop();
        maxDepth = std::max(maxDepth, depth[current]);
        for (const size_t next : successors[current]) {
            depth[next] = std::max(depth[next], depth[current] + 1);
            if (--remaining[next] == 0) {
                ready.push(next);
            }
        }
    }

    std::map<int, std::vector<size_t>> layers;
    for (size_t i = 0; i < nodes.size(); ++i) {
        layers[remaining[i] > 0 ? maxDepth + 1 : depth[i]].push_back(i);
    }
    std::map<std::string, QPointF> positions;
    for (const auto& [layer, members] : layers) {
        const double top = -0.5 * (static_cast<double>(members.size()) - 1.0) * kRowSpacing;
        for (size_t row = 0; row < members.size(); ++row) {
            positions[nodes[members[row]].id] = QPointF(layer * kLayerSpacing, top + row * kRowSpacing);
        }
    }
    return positions;
}

void ProjectDocument::insertNode(size_t index, NodeSpec node) {
    const QString id = QString::fromStdString(node.id);
    auto& nodes = mProject.graph.nodes;
    nodes.insert(nodes.begin() + static_cast<std::ptrdiff_t>(std::min(index, nodes.size())), std::move(node));
    Q_EMIT nodeAdded(id);
}

NodeSpec ProjectDocument::takeNode(const std::string& id) {
    const auto index = nodeIndex(id);
    if (!index) {
        return {};
    }
    auto& nodes = mProject.graph.nodes;
    NodeSpec node = std::move(nodes[*index]);
    nodes.erase(nodes.begin() + static_cast<std::ptrdiff_t>(*index));
    Q_EMIT nodeRemoved(QString::fromStdString(id));
    return node;
}

void ProjectDocument::insertEdge(size_t index, EdgeSpec edge) {
    const QString from = QString::fromStdString(edge.from);
    const QString to = QString::fromStdString(edge.to);
    auto& edges = mProject.graph.edges;
    edges.insert(edges.begin() + static_cast<std::ptrdiff_t>(std::min(index, edges.size())), std::move(edge));
    Q_EMIT edgeAdded(from, to);
}

EdgeSpec ProjectDocument::takeEdge(size_t index) {
    auto& edges = mProject.graph.edges;
    if (index >= edges.size()) {
        return {};
    }
    EdgeSpec edge = std::move(edges[index]);
    edges.erase(edges.begin() + static_cast<std::ptrdiff_t>(index));
    Q_EMIT edgeRemoved(QString::fromStdString(edge.from), QString::fromStdString(edge.to));
    return edge;
}

void ProjectDocument::setNodePosition(const std::string& id, const std::optional<NodePosition>& position) {
    NodeSpec* node = findNode(id);
    if (node == nullptr) {
        return;
    }
    node->position = position;
    Q_EMIT nodeMoved(QString::fromStdString(id));
}

void ProjectDocument::setNodeParamValue(const std::string& id, const std::string& key, const nlohmann::json& value) {
    NodeSpec* node = findNode(id);
    if (node == nullptr) {
        return;
    }
    if (!node->params.is_object()) {
        node->params = nlohmann::json::object();
    }
    if (value.is_null()) {
        node->params.erase(key);
    } else {
        node->params[key] = value;
    }
    Q_EMIT nodeParamsChanged(QString::fromStdString(id));
}

void ProjectDocument::revalidate() {
    mNodeErrors.clear();
    mGraphError.clear();

    BuildContext context{mProject, {}, {}};
    const bool shapesKnown = makeValidationContext(mProject, context);
    try {
        planGraph(context);
    } catch (const ShapeError& error) {
        // NOTE: without a known input shape (CSV) a shape error is dropped, and planning stops
        // there, so nodes after it go unchecked until training reports them.
        if (shapesKnown) {
            mGraphError = QString::fromUtf8(error.what());
        }
    } catch (const std::exception& error) {
        mGraphError = QString::fromUtf8(error.what());
    }

    // planGraph names the failing node first, as "node '<id>'"; put the message on that node.
    static const std::regex nodePattern("node '([^']+)'");
    std::smatch match;
    const std::string message = mGraphError.toStdString();
    if (std::regex_search(message, match, nodePattern) && mProject.findNode(match[1].str()) != nullptr) {
        mNodeErrors[match[1].str()] = message;
        mGraphError.clear();
    }
    Q_EMIT validationChanged();
}

NodeSpec* ProjectDocument::findNode(const std::string& id) {
    const auto index = nodeIndex(id);
    return index ? &mProject.graph.nodes[*index] : nullptr;
}

std::optional<size_t> ProjectDocument::nodeIndex(const std::string& id) const {
    const auto& nodes = mProject.graph.nodes;
    for (size_t i = 0; i < nodes.size(); ++i) {
        if (nodes[i].id == id) {
            return i;
        }
    }
    return std::nullopt;
}

std::optional<size_t> ProjectDocument::edgeIndex(const std::string& from, const std::string& to) const {
    const auto& edges = mProject.graph.edges;
    for (size_t i = 0; i < edges.size(); ++i) {
        if (edges[i].from == from && edges[i].to == to) {
            return i;
        }
    }
    return std::nullopt;
}

}  // namespace mtlw
