// Periodic autosave of the open document to a side file, so edits survive a crash.
// A saved project autosaves to "<project>.mtlw.autosave" next to it. An untitled one
// autosaves to "untitled-<pid>-<start time>.mtlw.autosave" in the application data folder:
// the name identifies the process, so a later session can tell a crashed session's file
// from a live one's. The side file is removed when the document is saved or closed normally.
#pragma once

#include <QObject>
#include <QString>
#include <QStringList>
#include <QTimer>

namespace mtlw {

class ProjectDocument;

class Autosave : public QObject {
    Q_OBJECT

public:
    static constexpr int kDefaultIntervalMs = 2 * 60 * 1000;

    Autosave(ProjectDocument* document, QObject* parent = nullptr);

    void setIntervalMs(int milliseconds) { mTimer.setInterval(milliseconds); }
    int intervalMs() const { return mTimer.interval(); }

    /// The side file of a saved project.
    static QString pathFor(const QString& projectPath);
    /// The folder of untitled projects' side files (QStandardPaths::AppDataLocation/autosave).
    static QString untitledFolder();
    /// Side files of untitled projects whose process has exited, newest first.
    static QStringList orphanedUntitledFiles();

    /// The side file the document autosaves to now.
    QString currentPath() const;
    /// Writes the document to its side file if it has unsaved changes, else removes the side
    /// file. Returns false and logs when the file cannot be written.
    bool saveNow();
    /// Removes the side file the document autosaved to, if any.
    void discard();
    /// Takes over a side file recovered from another session, so the next save or autosave
    /// removes it.
    void adopt(const QString& path) { mWrittenPath = path; }

private:
    ProjectDocument* mDocument;
    QTimer mTimer;
    /// The side file written last, so a rename or save-as removes the old one.
    QString mWrittenPath;
};

}  // namespace mtlw
