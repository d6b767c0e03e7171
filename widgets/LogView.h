// A read-only view of spdlog output. A spdlog sink emits each formatted line from whatever
// thread logged it, and a queued connection delivers it on the UI thread.
#pragma once

#include <QObject>
#include <QPlainTextEdit>

#include <memory>

namespace spdlog::sinks {
class sink;
}

namespace mtlw {

// Carries log lines across threads; lives as long as the sink that owns it.
class LogBridge : public QObject {
    Q_OBJECT

Q_SIGNALS:
    /// `level` is the spdlog level as an int.
    void lineLogged(int level, const QString& line);
};

class LogView : public QPlainTextEdit {
    Q_OBJECT

public:
    /// Keeps at most this many lines; older ones scroll away.
    static constexpr int kMaxLines = 5000;

    explicit LogView(QWidget* parent = nullptr);
    /// Detaches the sink from the default logger.
    ~LogView() override;

    /// Adds a sink for this view to spdlog's default logger. Call before other threads log,
    /// because spdlog's sink list is not thread-safe to change.
    void attachToDefaultLogger();

public Q_SLOTS:
    void appendLine(int level, const QString& line);

private:
    std::shared_ptr<spdlog::sinks::sink> mSink;
};

}  // namespace mtlw
