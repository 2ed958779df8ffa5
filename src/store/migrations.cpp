#include "migrations.hpp"

#include <string>
#include <unordered_set>

#include "camrelay/util/error.hpp"
#include "camrelay/util/log.hpp"
#include "sqlite_util.hpp"

namespace camrelay::store::detail {
namespace {

// Tables of the seed 000 schema plus camrelay's additions. IF NOT EXISTS lets a database
// created by an earlier (seed-schema, user_version 0) deployment be adopted: its tables are
// kept and the missing columns are added below.
constexpr const char* kV1Tables = R"sql(
CREATE TABLE IF NOT EXISTS cameras (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  source_type TEXT NOT NULL,
  config_json TEXT NOT NULL DEFAULT '{}',
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS stream_sessions (
  session_id         TEXT PRIMARY KEY,
  camera_id          TEXT NOT NULL,
  pipeline_id        TEXT,
  rtp_endpoint_id    TEXT,
  webrtc_endpoint_id TEXT,
  stream_id          TEXT,
  status             TEXT,
  created_at         INTEGER,
  updated_at         INTEGER,
  ended_at           INTEGER,
  error_message      TEXT,
  min_kbps           INTEGER,
  max_kbps           INTEGER
);
CREATE TABLE IF NOT EXISTS viewer_sessions (
  viewer_id          TEXT PRIMARY KEY,
  stream_session_id  TEXT,
  webrtc_endpoint_id TEXT,
  user_agent         TEXT,
  ip_address         TEXT,
  connected_at       INTEGER,
  disconnected_at    INTEGER,
  camera_id          TEXT,
  kind               TEXT,
  close_reason       TEXT,
  FOREIGN KEY (stream_session_id) REFERENCES stream_sessions(session_id)
);
)sql";

constexpr const char* kV1Indexes = R"sql(
CREATE INDEX IF NOT EXISTS idx_stream_sessions_camera_created
  ON stream_sessions(camera_id, created_at);
CREATE INDEX IF NOT EXISTS idx_stream_sessions_status ON stream_sessions(status);
CREATE INDEX IF NOT EXISTS idx_viewer_sessions_stream ON viewer_sessions(stream_session_id);
CREATE INDEX IF NOT EXISTS idx_viewer_sessions_disconnected ON viewer_sessions(disconnected_at);
)sql";

struct ColumnDef {
  const char* table;
  const char* column;
  const char* type;
};

// Columns camrelay adds to the seed tables (absent from a seed-schema database).
constexpr ColumnDef kV1AddedColumns[] = {
    {"stream_sessions", "min_kbps", "INTEGER"},
    {"stream_sessions", "max_kbps", "INTEGER"},
    {"viewer_sessions", "camera_id", "TEXT"},
    {"viewer_sessions", "kind", "TEXT"},
    {"viewer_sessions", "close_reason", "TEXT"},
};

std::unordered_set<std::string> column_names(sqlite3* db, const std::string& table) {
  std::unordered_set<std::string> names;
  Stmt st(db, "SELECT name FROM pragma_table_info(?1)");
  st.bind(1, table);
  while (st.step()) names.insert(st.col_text(0));
  return names;
}

void migrate_v1(sqlite3* db) {
  exec(db, kV1Tables);
  for (const auto& c : kV1AddedColumns) {
    if (column_names(db, c.table).count(c.column)) continue;
    // Identifiers cannot be bound; these are compile-time constants, not values.
    const std::string sql = std::string("ALTER TABLE ") + c.table + " ADD COLUMN " + c.column +
                            " " + c.type;
    exec(db, sql.c_str());
  }
  exec(db, kV1Indexes);
}

// Accounts (docs/security.md): users with Argon2id password hashes, API tokens and login
// sessions stored as SHA-256 hashes of their secret.
constexpr const char* kV2Accounts = R"sql(
CREATE TABLE IF NOT EXISTS users (
  name          TEXT PRIMARY KEY,
  password_hash TEXT NOT NULL,
  role          TEXT NOT NULL,
  cameras       TEXT NOT NULL DEFAULT '[]',
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS api_tokens (
  id          TEXT PRIMARY KEY,
  user_name   TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
  label       TEXT NOT NULL DEFAULT '',
  token_hash  TEXT NOT NULL UNIQUE,
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER,
  revoked_at  INTEGER
);
CREATE TABLE IF NOT EXISTS auth_sessions (
  id_hash     TEXT PRIMARY KEY,
  user_name   TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL,
  ip_address  TEXT,
  user_agent  TEXT
);
CREATE INDEX IF NOT EXISTS idx_auth_sessions_expires ON auth_sessions(expires_at);
)sql";

constexpr const char* kV3Audit = R"sql(
CREATE TABLE IF NOT EXISTS audit_log (
  id      INTEGER PRIMARY KEY AUTOINCREMENT,
  at      INTEGER NOT NULL,
  user    TEXT,
  ip      TEXT,
  action  TEXT NOT NULL,
  target  TEXT,
  status  INTEGER,
  detail  TEXT
);
CREATE INDEX IF NOT EXISTS idx_audit_log_at ON audit_log(at);
)sql";

constexpr const char* kV4Recordings = R"sql(
CREATE TABLE IF NOT EXISTS recordings (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  camera_id   TEXT NOT NULL,
  session_id  TEXT,
  path        TEXT NOT NULL UNIQUE,
  reason      TEXT NOT NULL,
  status      TEXT NOT NULL,
  start_ms    INTEGER NOT NULL,
  end_ms      INTEGER,
  duration_ms INTEGER NOT NULL DEFAULT 0,
  bytes       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS idx_recordings_camera_start ON recordings(camera_id, start_ms);
CREATE INDEX IF NOT EXISTS idx_recordings_start ON recordings(start_ms);
)sql";

// Cameras added through the REST API (docs/cameras.md). config_json is the camera in the
// configuration file's format without its credentials; `secrets` holds those, sealed with
// <data_dir>/secret.key (store::SecretBox), NULL when it has none.
constexpr const char* kApiCameras = R"sql(
CREATE TABLE IF NOT EXISTS api_cameras (
  id          TEXT PRIMARY KEY,
  position    INTEGER NOT NULL,
  config_json TEXT NOT NULL,
  secrets     BLOB,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);
)sql";

// Stream settings (PUT /streams/{id}/settings) of cameras from the configuration file,
// applied over the file's values: the settings document's keys that were set, as JSON.
constexpr const char* kCameraSettings = R"sql(
CREATE TABLE IF NOT EXISTS camera_settings (
  camera_id     TEXT PRIMARY KEY,
  settings_json TEXT NOT NULL,
  updated_at    INTEGER NOT NULL
);
)sql";

}  // namespace

const std::vector<Migration>& migrations() {
  static const std::vector<Migration> list = {
      {"initial schema: cameras, stream_sessions, viewer_sessions", migrate_v1},
      {"accounts: users, api_tokens, auth_sessions", [](sqlite3* db) { exec(db, kV2Accounts); }},
      {"audit_log", [](sqlite3* db) { exec(db, kV3Audit); }},
      {"recordings", [](sqlite3* db) { exec(db, kV4Recordings); }},
      {"api_cameras", [](sqlite3* db) { exec(db, kApiCameras); }},
      {"camera_settings", [](sqlite3* db) { exec(db, kCameraSettings); }},
  };
  return list;
}

int latest_version() { return static_cast<int>(migrations().size()); }

int migrate(sqlite3* db) {
  const int latest = latest_version();
  auto current = pragma_int(db, "PRAGMA user_version");
  if (current > latest) {
    throw Error(Errc::unavailable, "database schema version " + std::to_string(current) +
                                       " is newer than this camrelay supports (" +
                                       std::to_string(latest) + ")");
  }
  const auto& list = migrations();
  while (current < latest) {
    Transaction tx(db);
    // Re-read under the write lock: another process may have migrated meanwhile.
    current = pragma_int(db, "PRAGMA user_version");
    if (current >= latest) break;
    const int v = static_cast<int>(current) + 1;
    const auto& m = list[static_cast<std::size_t>(v - 1)];
    log::get("store")->info("applying schema migration {}: {}", v, m.description);
    m.apply(db);
    // PRAGMA takes no parameters; v is an integer from this code, not an outside value.
    exec(db, ("PRAGMA user_version = " + std::to_string(v)).c_str());
    tx.commit();
    current = v;
  }
  return static_cast<int>(pragma_int(db, "PRAGMA user_version"));
}

}  // namespace camrelay::store::detail
