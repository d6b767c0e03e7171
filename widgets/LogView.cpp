#include "LogView.h"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <QFontDatabase>
#include <QScrollBar>
#include <QTextCharFormat>

#include <algorithm>
#include <mutex>

namespace mtlw {

namespace {

class QtSink : public spdlog::sinks::base_sink<std::mutex> {
public:
    QtSink() { set_pattern_("%H:%M:%S %^%l%$ %v"); }

    LogBridge* bridge() { return &mBridge; }

protected:
    void sink_it_(const spdlog::details::log_msg& message) override {
        spdlog::memory_buf_t formatted;
        formatter_->format(message, formatted);
        QString line = QString::fromUtf8(formatted.data(), static_cast<int>(formatted.size()));
        while (line.endsWith(QLatin1Char('\n')) || line.endsWith(QLatin1Char('\r'))) {
            line.chop(1);
        }
        Q_EMIT mBridge.lineLogged(static_cast<int>(message.level), line);
    }

    void flush_() override {}

private:
    LogBridge mBridge;
};

}  // namespace

LogView::LogView(QWidget* parent) : QPlainTextEdit(parent) {
    setReadOnly(true);
    setMaximumBlockCount(kMaxLines);
    setLineWrapMode(WidgetWidth);
    setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
}

LogView::~LogView() {
    if (mSink) {
        auto& sinks = spdlog::default_logger()->sinks();
        sinks.erase(std::remove(sinks.begin(), sinks.end(), mSink), sinks.end());
    }
}

void LogView::attachToDefaultLogger() {
    if (mSink) {
        return;
    }
    auto sink = std::make_shared<QtSink>();
    connect(sink->bridge(), &LogBridge::lineLogged, this, &LogView::appendLine, Qt::QueuedConnection);
    mSink = sink;
    spdlog::default_logger()->sinks().push_back(mSink);
}

void LogView::appendLine(int level, const QString& line) {
    QTextCharFormat format;
    if (level >= spdlog::level::err) {
        format.setForeground(QColor(0xc6, 0x28, 0x28));
    } else if (level == spdlog::level::warn) {
        format.setForeground(QColor(0xb2, 0x6a, 0x00));
    } else if (level <= spdlog::level::debug) {
        format.setForeground(QColor(0x80, 0x80, 0x80));
    }
    const bool atBottom = verticalScrollBar()->value() == verticalScrollBar()->maximum();
    QTextCursor cursor(document());
    cursor.movePosition(QTextCursor::End);
    if (!document()->isEmpty()) {
        cursor.insertBlock();
    }
    cursor.insertText(line, format);
    if (atBottom) {
        verticalScrollBar()->setValue(verticalScrollBar()->maximum());
    }
}

}  // namespace mtlw
