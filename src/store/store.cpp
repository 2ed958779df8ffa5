#include "camrelay/store/store.hpp"

#include <atomic>
#include <deque>
#include <filesystem>
#include <future>
#include <mutex>
#include <system_error>
#include <utility>

#include "camrelay/util/error.hpp"
#include "camrelay/util/ids.hpp"
#include "camrelay/util/log.hpp"
#include "api_camera_queries.hpp"
#include "auth_queries.hpp"
#include "migrations.hpp"
#include "queries.hpp"
#include "recording_queries.hpp"
#include "sqlite_util.hpp"
#include "worker.hpp"

namespace camrelay::store {

using detail::SqliteError;
using detail::Worker;

struct Store::Impl {
  std::string path;
  sqlite3* db = nullptr;
  int schema_version = 0;
  std::shared_ptr<spdlog::logger> log = log::get("store");
  std::atomic<bool> healthy{true};
  mutable std::mutex err_mu;
  std::string last_error;
  std::unique_ptr<Worker> worker;  // reset (drained, joined) before db is closed

  ~Impl() {
    worker.reset();  // drains the queue and joins
    if (db) {
      if (sqlite3_close(db) != SQLITE_OK) {
        log->error("database {}: close failed: {}", path, sqlite3_errmsg(db));
        sqlite3_close_v2(db);
      }
    }
  }

  void fail(const char* what, const char* message) {
    log->error("database {}: {} failed: {}", path, what, message);
    {
      std::lock_guard lk(err_mu);
      last_error = std::string(what) + ": " + message;
    }
    healthy.store(false);
  }

  // Writes that failed because the disk is full or the file is not writable for a moment
  // (I/O error, locked) wait here in order and are applied once the database takes them
  // again; later writes queue behind them, so a session's insert still precedes its
  // updates. Bounded: past kMaxDelayed the oldest are dropped (counted, logged).
  // Worker thread only, except the counter.
  struct Delayed {
    const char* what;
    std::function<void(sqlite3*)> fn;
  };
  static constexpr std::size_t kMaxDelayed = 10000;
  std::deque<Delayed> delayed;
  std::atomic<std::size_t> delayed_count{0};
  std::uint64_t lost_writes = 0;

  static bool retryable(int code) {
    const int primary = code & 0xff;
    return primary == SQLITE_FULL || primary == SQLITE_IOERR || primary == SQLITE_BUSY ||
           primary == SQLITE_LOCKED || primary == SQLITE_READONLY || primary == SQLITE_CANTOPEN;
  }

  void delay(const char* what, std::function<void(sqlite3*)> fn) {
    if (delayed.size() >= kMaxDelayed) {
      delayed.pop_front();
      if (++lost_writes == 1 || lost_writes % 1000 == 0) {
        log->error("database {}: {} delayed write(s) lost (the database has not taken writes for a long time)",
                   path, lost_writes);
      }
    }
    delayed.push_back({what, std::move(fn)});
    delayed_count.store(delayed.size());
  }

  // Applies the delayed writes in order; stops at the first that still cannot be written.
  void drain() {
    std::size_t applied = 0;
    while (!delayed.empty()) {
      Delayed& d = delayed.front();
      try {
        d.fn(db);
      } catch (const SqliteError& e) {
        if (retryable(e.code())) {
          delayed_count.store(delayed.size());
          return;  // still full: try again later (the idle tick)
        }
        fail(d.what, e.what());  // this one can never be written: drop it
      } catch (const std::exception& e) {
        fail(d.what, e.what());
      }
      delayed.pop_front();
      ++applied;
    }
    delayed_count.store(0);
    healthy.store(true);
    log->info("database {} takes writes again: {} delayed write(s) applied", path, applied);
  }

  // Queues a write; a failure is logged and recorded, a success restores health. A write
  // that fails for lack of space (or another passing condition) is kept and retried.
  template <class F>
  void write(const char* what, F fn) {
    worker->post([this, what, fn = std::move(fn)](sqlite3* conn) mutable {
      if (!delayed.empty()) {
        delay(what, std::move(fn));
        drain();
        return;
      }
      try {
        fn(conn);
      } catch (const SqliteError& e) {
        fail(what, e.what());
        if (retryable(e.code())) {
          delay(what, std::move(fn));
          log->warn("database {}: keeping the write for later; live streaming is not affected", path);
        }
        return;
      } catch (const std::exception& e) {
        fail(what, e.what());
        return;
      }
      healthy.store(true);
    });
  }

  // Queues a read whose rows go to done on the worker thread; on a full queue done gets an
  // empty vector right away, on the caller's thread.
  template <class Row, class Query>
  void read(const char* what, Query query, std::function<void(std::vector<Row>)> done) {
    auto job = [this, what, query = std::move(query), done](sqlite3* conn) {
      std::vector<Row> rows;
      try {
        rows = query(conn);
      } catch (const std::exception& e) {
        fail(what, e.what());
        rows.clear();
      }
      if (done) done(std::move(rows));  // exceptions are caught and logged by the worker
    };
    if (worker->post(std::move(job)) || !done) return;
    try {
      done({});
    } catch (const std::exception& e) {
      log->error("{} callback threw: {}", what, e.what());
    } catch (...) {
      log->error("{} callback threw an unknown exception", what);
    }
  }

  // run_sync for the account calls: a failure is an Error(unavailable) the caller shows.
  template <class F>
  auto account(const char* what, F fn) -> decltype(fn(db)) {
    try {
      return run_sync(std::move(fn));
    } catch (const SqliteError& e) {
      fail(what, e.what());
      throw Error(Errc::unavailable, std::string("cannot store the change (") + what + "): " + e.what());
    }
  }

  // Runs fn on the worker after everything queued so far and returns its result.
  template <class F>
  auto run_sync(F fn) -> decltype(fn(db)) {
    if (worker->on_worker_thread()) return fn(db);
    std::packaged_task<decltype(fn(db))(sqlite3*)> task(std::move(fn));
    auto fut = task.get_future();
    worker->post_unbounded([&task](sqlite3* conn) { task(conn); });
    return fut.get();
  }
};

namespace {

struct DbCloser {
  void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};

Error open_error(const std::string& path, const std::string& message) {
  return Error(Errc::unavailable, "database " + path + ": " + message);
}

// A database that cannot be used at start, with what to do about it. Damaged and locked
// files are not fixed by restarting: Errc::invalid_argument / conflict (exit status 2).
Error open_error(const std::string& path, const SqliteError& e) {
  const int primary = e.code() & 0xff;
  if (primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT) {
    return Error(Errc::invalid_argument,
                 "database " + path + " is damaged (" + e.what() +
                     "). Move it aside (camrelay then creates a new, empty one: the config file's cameras "
                     "stay; accounts, cameras added through the API and the session history are lost) or "
                     "restore a backup");
  }
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
    return Error(Errc::conflict, "database " + path + " is locked by another process (" + e.what() +
                                     "): is another camrelay running with the same data directory?");
  }
  return open_error(path, std::string(e.what()));
}

}  // namespace

Store::Store() : impl_(std::make_unique<Impl>()) {}

Store::~Store() = default;

std::unique_ptr<Store> Store::open(const std::string& path) {
  namespace fs = std::filesystem;
  const fs::path p(path);
  if (p.has_parent_path()) {
    std::error_code ec;
    fs::create_directories(p.parent_path(), ec);
    if (ec) throw open_error(path, "cannot create directory " + p.parent_path().string() +
                                       ": " + ec.message());
  }

  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(
      path.c_str(), &raw, SQLITE_OPEN_CREATE | SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
      nullptr);
  std::unique_ptr<sqlite3, DbCloser> db(raw);
  if (rc != SQLITE_OK) throw open_error(path, SqliteError(rc, raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  sqlite3_extended_result_codes(db.get(), 1);

  int version = 0;
  try {
    // busy_timeout first, so switching to WAL waits for another process's lock.
    detail::exec(db.get(), "PRAGMA busy_timeout = 5000");
    const auto mode = detail::pragma_text(db.get(), "PRAGMA journal_mode = WAL");
    if (mode != "wal") {
      throw open_error(path, "cannot enable WAL journal mode (journal_mode is '" + mode + "')");
    }
    detail::exec(db.get(), "PRAGMA synchronous = NORMAL");
    detail::exec(db.get(), "PRAGMA foreign_keys = ON");
    if (detail::pragma_int(db.get(), "PRAGMA foreign_keys") != 1) {
      throw open_error(path, "this SQLite build does not enforce foreign keys");
    }
    version = detail::migrate(db.get());
  } catch (const SqliteError& e) {
    throw open_error(path, e);
  }

  std::unique_ptr<Store> store(new Store());
  auto& impl = *store->impl_;
  impl.path = path;
  impl.schema_version = version;
  impl.db = db.release();
  impl.worker = std::make_unique<Worker>(impl.db);
  impl.worker->set_tick(std::chrono::seconds(2), [&impl](sqlite3*) {
    if (!impl.delayed.empty()) impl.drain();
  });
  impl.log->info("database {} opened (schema version {})", path, version);
  return store;
}

int Store::latest_schema_version() { return detail::latest_version(); }

int Store::schema_version() const { return impl_->schema_version; }

int Store::recover_stale_sessions(std::int64_t now_s) {
  auto& impl = *impl_;
  try {
    const int n = impl.run_sync(
        [now_s](sqlite3* db) { return detail::recover_stale_sessions(db, now_s); });
    impl.healthy.store(true);
    if (n > 0) impl.log->warn("closed {} stream session(s) left open by a previous run", n);
    return n;
  } catch (const SqliteError& e) {
    impl.fail("recover_stale_sessions", e.what());
    throw open_error(impl.path, e);
  }
}

void Store::sync_cameras(std::vector<CameraRow> cameras) {
  impl_->write("sync_cameras", [cameras = std::move(cameras), now = unix_now_s()](sqlite3* db) {
    detail::upsert_cameras(db, cameras, now);
  });
}

void Store::insert_stream_session(StreamSessionRow row) {
  impl_->write("insert_stream_session", [row = std::move(row)](sqlite3* db) {
    detail::insert_stream_session(db, row);
  });
}

void Store::update_stream_session(std::string session_id, std::string status,
                                  std::int64_t updated_at, std::optional<std::int64_t> ended_at,
                                  std::optional<std::string> error_message) {
  impl_->write("update_stream_session",
               [log = impl_->log, id = std::move(session_id), status = std::move(status), updated_at,
                ended_at, msg = std::move(error_message)](sqlite3* db) {
                 if (detail::update_stream_session(db, id, status, updated_at, ended_at, msg) ==
                     0) {
                   log->warn("update_stream_session: no stream session {}", id);
                 }
               });
}

void Store::insert_viewer_session(ViewerSessionRow row) {
  impl_->write("insert_viewer_session", [row = std::move(row)](sqlite3* db) {
    detail::insert_viewer_session(db, row);
  });
}

void Store::close_viewer_session(std::string viewer_id, std::int64_t disconnected_at,
                                 std::string reason) {
  impl_->write("close_viewer_session",
               [log = impl_->log, id = std::move(viewer_id), disconnected_at,
                reason = std::move(reason)](sqlite3* db) {
                 if (detail::close_viewer_session(db, id, disconnected_at, reason) == 0) {
                   log->debug("close_viewer_session: no open viewer session {}", id);
                 }
               });
}

void Store::list_stream_sessions(std::string camera_id, int limit,
                                 std::function<void(std::vector<StreamSessionRow>)> done) {
  impl_->read<StreamSessionRow>(
      "list_stream_sessions",
      [camera_id = std::move(camera_id), limit](sqlite3* db) {
        return detail::list_stream_sessions(db, camera_id, limit);
      },
      std::move(done));
}

void Store::list_viewer_sessions(std::string camera_id, bool only_open, int limit,
                                 std::function<void(std::vector<ViewerSessionRow>)> done) {
  impl_->read<ViewerSessionRow>(
      "list_viewer_sessions",
      [camera_id = std::move(camera_id), only_open, limit](sqlite3* db) {
        return detail::list_viewer_sessions(db, camera_id, only_open, limit);
      },
      std::move(done));
}

void Store::flush() {
  auto& impl = *impl_;
  impl.worker->post_unbounded([&impl](sqlite3*) {
    if (impl.delayed.empty()) return;
    impl.drain();
    if (!impl.delayed.empty()) {
      impl.log->error("database {}: {} delayed write(s) could not be applied before the end", impl.path,
                      impl.delayed.size());
    }
  });
  impl.worker->flush();
}

bool Store::healthy() const { return impl_->healthy.load(); }

std::string Store::last_error() const {
  std::string e;
  {
    std::lock_guard lk(impl_->err_mu);
    e = impl_->last_error;
  }
  if (const auto n = impl_->delayed_count.load()) e += " (" + std::to_string(n) + " write(s) waiting to be retried)";
  return e;
}

std::uint64_t Store::dropped_jobs() const { return impl_->worker->dropped(); }

void Store::insert_recording(RecordingRow row) {
  impl_->write("insert_recording", [row = std::move(row)](sqlite3* db) { detail::insert_recording(db, row); });
}

void Store::close_recording(std::string path, std::int64_t end_ms, std::int64_t duration_ms, std::int64_t bytes,
                            std::string status) {
  impl_->write("close_recording", [log = impl_->log, path = std::move(path), end_ms, duration_ms, bytes,
                                   status = std::move(status)](sqlite3* db) {
    if (detail::close_recording(db, path, end_ms, duration_ms, bytes, status) == 0) {
      log->debug("close_recording: no open recording {}", path);
    }
  });
}

void Store::list_recordings(RecordingQuery q, std::function<void(std::vector<RecordingRow>)> done) {
  impl_->read<RecordingRow>(
      "list_recordings", [q = std::move(q)](sqlite3* db) { return detail::list_recordings(db, q); },
      std::move(done));
}

std::optional<RecordingRow> Store::get_recording(std::int64_t id) {
  return impl_->account("get_recording", [id](sqlite3* db) { return detail::get_recording(db, id); });
}

std::vector<RecordingRow> Store::open_recordings() {
  return impl_->account("open_recordings", [](sqlite3* db) { return detail::open_recordings(db); });
}

std::vector<RecordingRow> Store::closed_recordings() {
  return impl_->account("closed_recordings", [](sqlite3* db) { return detail::closed_recordings(db); });
}

std::vector<RecordingRow> Store::camera_recordings(const std::string& camera_id) {
  return impl_->account("camera_recordings",
                        [&camera_id](sqlite3* db) { return detail::camera_recordings(db, camera_id); });
}

int Store::delete_recordings(const std::vector<std::int64_t>& ids) {
  return impl_->account("delete_recordings", [&ids](sqlite3* db) { return detail::delete_recordings(db, ids); });
}

AuthRows Store::load_auth(std::int64_t now_s) {
  return impl_->account("load_auth", [now_s](sqlite3* db) { return detail::load_auth(db, now_s); });
}

void Store::put_user(const UserRow& row) {
  impl_->account("put_user", [&row](sqlite3* db) { detail::put_user(db, row); });
}

bool Store::delete_user(const std::string& name) {
  return impl_->account("delete_user", [&name](sqlite3* db) { return detail::delete_user(db, name); });
}

void Store::put_api_token(const ApiTokenRow& row) {
  impl_->account("put_api_token", [&row](sqlite3* db) { detail::put_api_token(db, row); });
}

bool Store::revoke_api_token(const std::string& id, std::int64_t at) {
  return impl_->account("revoke_api_token",
                        [&id, at](sqlite3* db) { return detail::revoke_api_token(db, id, at); });
}

void Store::put_auth_session(const AuthSessionRow& row) {
  impl_->account("put_auth_session", [&row](sqlite3* db) { detail::put_auth_session(db, row); });
}

void Store::delete_auth_session(const std::string& id_hash) {
  impl_->account("delete_auth_session", [&id_hash](sqlite3* db) { detail::delete_auth_session(db, id_hash); });
}

void Store::delete_user_sessions(const std::string& user_name) {
  impl_->account("delete_user_sessions",
                 [&user_name](sqlite3* db) { detail::delete_user_sessions(db, user_name); });
}

void Store::append_audit(AuditRow row) {
  impl_->write("append_audit", [row = std::move(row)](sqlite3* db) { detail::append_audit(db, row); });
}

void Store::list_audit(int limit, std::int64_t before_id, std::function<void(std::vector<AuditRow>)> done) {
  impl_->read<AuditRow>(
      "list_audit", [limit, before_id](sqlite3* db) { return detail::list_audit(db, limit, before_id); },
      std::move(done));
}

std::vector<ApiCameraRow> Store::load_api_cameras() {
  return impl_->account("load_api_cameras", [](sqlite3* db) { return detail::load_api_cameras(db); });
}

void Store::put_api_camera(const ApiCameraRow& row) {
  impl_->account("put_api_camera", [&row](sqlite3* db) { detail::put_api_camera(db, row); });
}

bool Store::delete_api_camera(const std::string& id) {
  return impl_->account("delete_api_camera", [&id](sqlite3* db) { return detail::delete_api_camera(db, id); });
}

std::vector<CameraSettingsRow> Store::load_camera_settings() {
  return impl_->account("load_camera_settings", [](sqlite3* db) { return detail::load_camera_settings(db); });
}

void Store::put_camera_settings(const CameraSettingsRow& row) {
  impl_->account("put_camera_settings", [&row](sqlite3* db) { detail::put_camera_settings(db, row); });
}

bool Store::delete_camera_settings(const std::string& camera_id) {
  return impl_->account("delete_camera_settings",
                        [&camera_id](sqlite3* db) { return detail::delete_camera_settings(db, camera_id); });
}

std::int64_t Store::external_changes() {
  return impl_->account("data_version", [](sqlite3* db) { return detail::pragma_int(db, "PRAGMA data_version"); });
}

}  // namespace camrelay::store
