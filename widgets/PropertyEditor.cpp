#include "PropertyEditor.h"

#include "ProjectDocument.h"

#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

namespace mtlw {

namespace {

QString valueText(const nlohmann::json& value) {
    return QString::fromStdString(value.is_string() ? value.get<std::string>() : value.dump());
}

// "5" -> 5, "[64, 32]" -> [64, 32], "true" -> true, "left" -> "left".
nlohmann::json parseValue(const QString& text) {
    const std::string input = text.trimmed().toStdString();
    const nlohmann::json parsed = nlohmann::json::parse(input, nullptr, false);
    if (parsed.is_discarded()) {
        return input;
    }
    return parsed;
}

}  // namespace

PropertyEditor::PropertyEditor(ProjectDocument* document, QWidget* parent)
    : QWidget(parent), mDocument(document) {
    auto* layout = new QVBoxLayout(this);
    auto* form = new QFormLayout;
    mIdLabel = new QLabel(this);
    mIdLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    mTypeLabel = new QLabel(this);
    form->addRow(tr("Id:"), mIdLabel);
    form->addRow(tr("Type:"), mTypeLabel);
    layout->addLayout(form);

    mErrorLabel = new QLabel(this);
    mErrorLabel->setWordWrap(true);
    mErrorLabel->setStyleSheet(QStringLiteral("color: #c62828;"));
    mErrorLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(mErrorLabel);

    mTable = new QTableWidget(0, 2, this);
    mTable->setHorizontalHeaderLabels({tr("Param"), tr("Value")});
    mTable->horizontalHeader()->setStretchLastSection(true);
    mTable->verticalHeader()->hide();
    mTable->setSelectionBehavior(QAbstractItemView::SelectRows);
    layout->addWidget(mTable, 1);

    mButtons = new QWidget(this);
    auto* buttons = new QHBoxLayout(mButtons);
    buttons->setContentsMargins(0, 0, 0, 0);
    auto* add = new QPushButton(tr("Add Param…"), mButtons);
    auto* remove = new QPushButton(tr("Remove Param"), mButtons);
    buttons->addWidget(add);
    buttons->addWidget(remove);
    buttons->addStretch();
    layout->addWidget(mButtons);

    connect(add, &QPushButton::clicked, this, &PropertyEditor::addParam);
    connect(remove, &QPushButton::clicked, this, &PropertyEditor::removeParam);
    connect(mTable, &QTableWidget::itemChanged, this, &PropertyEditor::commitItem);
    // Queued: an edit made in the table arrives here while the table is still emitting
    // itemChanged for the item that refresh() would delete.
    connect(
        mDocument, &ProjectDocument::nodeParamsChanged, this,
        [this](const QString& id) {
            if (id == mNodeId) {
                refresh();
            }
        },
        Qt::QueuedConnection);
    connect(mDocument, &ProjectDocument::nodeRemoved, this, [this](const QString& id) {
        if (id == mNodeId) {
            setNode({});
        }
    });
    connect(mDocument, &ProjectDocument::validationChanged, this, &PropertyEditor::refresh, Qt::QueuedConnection);
    connect(mDocument, &ProjectDocument::projectReset, this, [this]() { setNode({}); });
    refresh();
}

void PropertyEditor::setNode(const QString& id) {
    mNodeId = id;
    refresh();
}

void PropertyEditor::refresh() {
    mRefreshing = true;
    const NodeSpec* node = mDocument->project().findNode(mNodeId.toStdString());
    mTable->setRowCount(0);
    mButtons->setEnabled(node != nullptr);
    mTable->setEnabled(node != nullptr);
    if (node == nullptr) {
        mIdLabel->setText(tr("(no node selected)"));
        mTypeLabel->clear();
        mErrorLabel->clear();
        mErrorLabel->hide();
        mRefreshing = false;
        return;
    }

    mIdLabel->setText(QString::fromStdString(node->id));
    mTypeLabel->setText(QString::fromStdString(node->type));
    const auto& errors = mDocument->nodeErrors();
    const auto error = errors.find(node->id);
    mErrorLabel->setText(error == errors.end() ? QString() : QString::fromStdString(error->second));
    mErrorLabel->setVisible(error != errors.end());

    if (node->params.is_object()) {
        for (const auto& [key, value] : node->params.items()) {
            const int row = mTable->rowCount();
            mTable->insertRow(row);
            auto* keyItem = new QTableWidgetItem(QString::fromStdString(key));
            keyItem->setFlags(keyItem->flags() & ~Qt::ItemIsEditable);
            mTable->setItem(row, 0, keyItem);
            mTable->setItem(row, 1, new QTableWidgetItem(valueText(value)));
        }
    }
    mRefreshing = false;
}

void PropertyEditor::commitItem(QTableWidgetItem* item) {
    if (mRefreshing || item->column() != 1) {
        return;
    }
    const QString key = mTable->item(item->row(), 0)->text();
    const QString text = item->text();
    // An emptied value removes the param.
    const nlohmann::json value = text.trimmed().isEmpty() ? nlohmann::json() : parseValue(text);
    if (!mDocument->setNodeParam(mNodeId, key, value)) {
        QMetaObject::invokeMethod(this, &PropertyEditor::refresh, Qt::QueuedConnection);
    }
}

void PropertyEditor::addParam() {
    bool accepted = false;
    const QString key = QInputDialog::getText(this, tr("Add Param"), tr("Param name:"), QLineEdit::Normal, {},
                                              &accepted).trimmed();
    if (!accepted || key.isEmpty()) {
        return;
    }
    const QString text = QInputDialog::getText(this, tr("Add Param"), tr("Value of %1 (JSON or text):").arg(key),
                                               QLineEdit::Normal, {}, &accepted);
    if (accepted && !text.trimmed().isEmpty()) {
        mDocument->setNodeParam(mNodeId, key, parseValue(text));
    }
}

void PropertyEditor::removeParam() {
    const int row = mTable->currentRow();
    if (row < 0) {
        return;
    }
    mDocument->setNodeParam(mNodeId, mTable->item(row, 0)->text(), nlohmann::json());
}

}  // namespace mtlw
