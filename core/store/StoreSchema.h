// The run store schema as a list of migrations, and the code that applies them.
#pragma once

#include <sqlite3.h>

#include <functional>
#include <string>
#include <vector>

namespace mtlw::store_schema {

// One step from schema version `version - 1` to `version`.
//
// To change the schema, append a step to the list in StoreSchema.cpp with the next
// version number and never edit a step that has shipped: stores already at that version
// would not run it again. RunStore::schemaVersion() follows the last step, so the store
// rejects files from newer builds and upgrades files from older ones.
struct Migration {
    int version = 0;
    std::string description;
    /// Runs inside the migration's transaction; throws sqlite::Error on failure.
    std::function<void(sqlite3*)> apply;
};

/// All steps, ordered by version from 1 without gaps.
const std::vector<Migration>& migrations();

/// The version after the last step.
int currentVersion();

/// Reads meta.schema_version, which is 0 for a file without tables. Throws InputError naming
/// path when the file has tables but no valid schema version (an SQLite file of another program).
int readVersion(sqlite3* db, const std::string& path);

/// Brings the store at path up to currentVersion(), each pending step and its version
/// update in one transaction. Throws InputError when the file is newer than this build.
void migrate(sqlite3* db, const std::string& path);

}  // namespace mtlw::store_schema
