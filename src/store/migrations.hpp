#pragma once
// Schema migrations, tracked by PRAGMA user_version. Migration N (1-based) brings the
// schema from version N-1 to N; each one runs in its own transaction together with the
// user_version bump. Adding a schema change = appending one entry to the list.
#include <functional>
#include <vector>

#include <sqlite3.h>

namespace camrelay::store::detail {

struct Migration {
  const char* description;
  std::function<void(sqlite3*)> apply;  // throws SqliteError on failure
};

const std::vector<Migration>& migrations();

// Size of the migration list = the schema version this build writes.
int latest_version();

// Applies every pending migration and returns the resulting user_version.
// Throws camrelay::Error(Errc::unavailable) if the database is newer than latest_version(),
// SqliteError if a migration fails (that migration is rolled back).
int migrate(sqlite3* db);

}  // namespace camrelay::store::detail
