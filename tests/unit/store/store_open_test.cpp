// Opening, pragmas and schema migrations.
#include <algorithm>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "camrelay/store/store.hpp"
#include "camrelay/util/error.hpp"
#include "store_test_util.hpp"

namespace camrelay::store {
namespace {

using testing::RawDb;
using testing::TempDir;

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

TEST(StoreOpen, CreatesFileAndParentDirsAtLatestVersion) {
  TempDir dir;
  const auto path = dir.file("nested/deeper/camrelay.db");
  ASSERT_FALSE(std::filesystem::exists(path));
  auto store = Store::open(path);
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(std::filesystem::exists(path));
  EXPECT_GE(Store::latest_schema_version(), 1);
  EXPECT_EQ(store->schema_version(), Store::latest_schema_version());
  EXPECT_TRUE(store->healthy());
  EXPECT_EQ(store->dropped_jobs(), 0u);
  store->flush();
  RawDb raw(path);
  EXPECT_EQ(raw.integer("PRAGMA user_version"), Store::latest_schema_version());
}

TEST(StoreOpen, JournalModeIsWal) {
  TempDir dir;
  const auto path = dir.file("camrelay.db");
  auto store = Store::open(path);
  store->flush();
  RawDb raw(path);  // WAL is persistent: a fresh connection sees it
  EXPECT_EQ(raw.text("PRAGMA journal_mode"), "wal");
}

TEST(StoreOpen, SchemaHasTablesColumnsAndIndexes) {
  TempDir dir;
  const auto path = dir.file("camrelay.db");
  auto store = Store::open(path);
  store->flush();
  RawDb raw(path);
  const auto tables = raw.column("SELECT name FROM sqlite_master WHERE type = 'table'");
  for (const char* t : {"cameras", "stream_sessions", "viewer_sessions", "api_cameras"}) {
    EXPECT_TRUE(contains(tables, t)) << t;
  }
  const auto cam = raw.column("SELECT name FROM pragma_table_info('cameras')");
  for (const char* c : {"id", "name", "source_type", "config_json", "created_at", "updated_at"}) {
    EXPECT_TRUE(contains(cam, c)) << c;
  }
  const auto ss = raw.column("SELECT name FROM pragma_table_info('stream_sessions')");
  for (const char* c : {"session_id", "camera_id", "pipeline_id", "rtp_endpoint_id",
                        "webrtc_endpoint_id", "stream_id", "status", "created_at", "updated_at",
                        "ended_at", "error_message", "min_kbps", "max_kbps"}) {
    EXPECT_TRUE(contains(ss, c)) << c;
  }
  const auto vs = raw.column("SELECT name FROM pragma_table_info('viewer_sessions')");
  for (const char* c : {"viewer_id", "stream_session_id", "webrtc_endpoint_id", "user_agent",
                        "ip_address", "connected_at", "disconnected_at", "camera_id", "kind",
                        "close_reason"}) {
    EXPECT_TRUE(contains(vs, c)) << c;
  }
  EXPECT_EQ(raw.text("SELECT \"table\" FROM pragma_foreign_key_list('viewer_sessions')"),
            "stream_sessions");
  // Each required index, by its column list.
  auto index_columns = [&raw](const std::string& table) {
    std::vector<std::string> out;
    for (const auto& idx : raw.column("SELECT name FROM pragma_index_list('" + table +
                                      "') WHERE origin = 'c'")) {
      std::string cols;
      for (const auto& c : raw.column("SELECT name FROM pragma_index_info('" + idx + "')")) {
        cols += (cols.empty() ? "" : ",") + c;
      }
      out.push_back(cols);
    }
    return out;
  };
  const auto ssi = index_columns("stream_sessions");
  EXPECT_TRUE(contains(ssi, "camera_id,created_at"));
  EXPECT_TRUE(contains(ssi, "status"));
  const auto vsi = index_columns("viewer_sessions");
  EXPECT_TRUE(contains(vsi, "stream_session_id"));
  EXPECT_TRUE(contains(vsi, "disconnected_at"));
}

TEST(StoreOpen, ReopenIsIdempotentAndKeepsData) {
  TempDir dir;
  const auto path = dir.file("camrelay.db");
  {
    auto store = Store::open(path);
    store->insert_stream_session(testing::stream_row("s1", "cam1", "stopped", 100));
  }  // destructor drains the queue
  for (int i = 0; i < 2; ++i) {
    auto store = Store::open(path);
    EXPECT_EQ(store->schema_version(), Store::latest_schema_version());
    const auto rows = testing::list_streams(*store);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].session_id, "s1");
  }
  RawDb raw(path);
  EXPECT_EQ(raw.integer("PRAGMA user_version"), Store::latest_schema_version());
}

TEST(StoreOpen, MigratesVersionZeroDatabaseWithUnrelatedTable) {
  TempDir dir;
  const auto path = dir.file("old.db");
  {
    RawDb raw(path);
    raw.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);"
             "INSERT INTO notes (body) VALUES ('keep me');");
    ASSERT_EQ(raw.integer("PRAGMA user_version"), 0);
  }
  auto store = Store::open(path);
  EXPECT_EQ(store->schema_version(), Store::latest_schema_version());
  store->insert_stream_session(testing::stream_row("s1", "cam1", "active", 1));
  EXPECT_EQ(testing::list_streams(*store).size(), 1u);
  EXPECT_TRUE(store->healthy());
  RawDb raw(path);
  EXPECT_EQ(raw.text("SELECT body FROM notes"), "keep me");
  EXPECT_EQ(raw.integer("PRAGMA user_version"), Store::latest_schema_version());
}

TEST(StoreOpen, AdoptsSeedSchemaDatabase) {
  TempDir dir;
  const auto path = dir.file("seed.db");
  {
    RawDb raw(path);
    raw.exec(R"sql(
      CREATE TABLE stream_sessions (session_id TEXT PRIMARY KEY, camera_id TEXT NOT NULL,
        pipeline_id TEXT, rtp_endpoint_id TEXT, webrtc_endpoint_id TEXT, stream_id TEXT,
        status TEXT, created_at INTEGER, updated_at INTEGER, ended_at INTEGER,
        error_message TEXT);
      CREATE TABLE viewer_sessions (viewer_id TEXT PRIMARY KEY, stream_session_id TEXT,
        webrtc_endpoint_id TEXT, user_agent TEXT, ip_address TEXT, connected_at INTEGER,
        disconnected_at INTEGER,
        FOREIGN KEY (stream_session_id) REFERENCES stream_sessions(session_id));
      INSERT INTO stream_sessions (session_id, camera_id, status, created_at, updated_at)
        VALUES ('old', 'cam1', 'stopped', 5, 6);
      INSERT INTO viewer_sessions (viewer_id, stream_session_id, connected_at)
        VALUES ('v-old', 'old', 5);
    )sql");
  }
  auto store = Store::open(path);
  EXPECT_EQ(store->schema_version(), Store::latest_schema_version());
  auto rows = testing::list_streams(*store);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].session_id, "old");
  EXPECT_EQ(rows[0].min_kbps, 0);  // new column, NULL in the old row
  store->insert_stream_session(testing::stream_row("new", "cam1", "active", 10));
  auto v = testing::viewer_row("v-new", "new", "cam1", 10);
  store->insert_viewer_session(v);
  rows = testing::list_streams(*store);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].max_kbps, 4000);
  const auto viewers = testing::list_viewers(*store);
  ASSERT_EQ(viewers.size(), 2u);
  EXPECT_EQ(viewers[0].kind, "whep");
  EXPECT_TRUE(store->healthy()) << store->last_error();
}

TEST(StoreOpen, RefusesNewerSchemaVersion) {
  TempDir dir;
  const auto path = dir.file("future.db");
  const int newer = Store::latest_schema_version() + 1;
  {
    RawDb raw(path);
    raw.exec("PRAGMA user_version = " + std::to_string(newer));
  }
  try {
    Store::open(path);
    FAIL() << "open should have thrown";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::unavailable);
    EXPECT_EQ(std::string(e.what()),
              "database schema version " + std::to_string(newer) +
                  " is newer than this camrelay supports (" +
                  std::to_string(Store::latest_schema_version()) + ")");
  }
  RawDb raw(path);
  EXPECT_EQ(raw.integer("PRAGMA user_version"), newer);
  EXPECT_TRUE(raw.column("SELECT name FROM sqlite_master WHERE name = 'cameras'").empty());
}

TEST(StoreOpen, FailedMigrationIsRolledBack) {
  TempDir dir;
  const auto path = dir.file("broken.db");
  {
    // A stream_sessions table without camera_id: the index of migration 1 cannot be built.
    RawDb raw(path);
    raw.exec("CREATE TABLE stream_sessions (session_id TEXT PRIMARY KEY, status TEXT)");
  }
  try {
    Store::open(path);
    FAIL() << "open should have thrown";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::unavailable);
    EXPECT_EQ(std::string(e.what()).rfind("database " + path + ": ", 0), 0u) << e.what();
    EXPECT_NE(std::string(e.what()).find("camera_id"), std::string::npos) << e.what();
  }
  RawDb raw(path);
  EXPECT_EQ(raw.integer("PRAGMA user_version"), 0);
  EXPECT_TRUE(raw.column("SELECT name FROM sqlite_master WHERE name = 'cameras'").empty());
  EXPECT_FALSE(contains(raw.column("SELECT name FROM pragma_table_info('stream_sessions')"),
                        "min_kbps"));
}

TEST(StoreOpen, UnopenablePathThrowsUnavailable) {
  TempDir dir;
  const auto path = dir.file("is-a-directory");
  std::filesystem::create_directories(path);
  try {
    Store::open(path);
    FAIL() << "open should have thrown";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::unavailable);
    EXPECT_EQ(std::string(e.what()).rfind("database " + path + ": ", 0), 0u) << e.what();
  }
}

TEST(StoreOpen, NotADatabaseIsReportedAsDamagedWithWhatToDo) {
  TempDir dir;
  const auto path = dir.file("garbage.db");
  {
    std::ofstream f(path, std::ios::binary);
    for (int i = 0; i < 512; ++i) f << "this is definitely not an sqlite database. ";
  }
  try {
    Store::open(path);
    FAIL() << "open should have thrown";
  } catch (const Error& e) {
    // invalid_argument: the daemon exits 2 (a restart would not fix it).
    EXPECT_EQ(e.code(), Errc::invalid_argument);
    const std::string what = e.what();
    EXPECT_EQ(what.rfind("database " + path + " is damaged (file is not a database). Move it aside", 0), 0u) << what;
  }
}

TEST(StoreOpen, DatabaseLockedByAnotherProcessIsAConflict) {
  TempDir dir;
  const auto path = dir.file("locked.db");
  Store::open(path).reset();  // a valid database
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other,
                         "PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE; "
                         "INSERT INTO cameras (id, name, source_type, config_json, created_at, updated_at) "
                         "VALUES ('x', 'x', 'test', '{}', 0, 0)",
                         nullptr, nullptr, nullptr),
            SQLITE_OK)
      << sqlite3_errmsg(other);
  try {
    Store::open(path);  // waits busy_timeout (5 s), then gives up
    FAIL() << "open should have thrown";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::conflict);
    EXPECT_NE(std::string(e.what()).find("is locked by another process"), std::string::npos) << e.what();
  }
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);
}

}  // namespace
}  // namespace camrelay::store
