#pragma once
// Shared helpers for the store tests: a per-test temporary directory and a second,
// independent sqlite3 connection for checking what actually reached the file.
#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <future>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "camrelay/store/store.hpp"
#include "camrelay/util/ids.hpp"

namespace camrelay::store::testing {

class TempDir {
 public:
  TempDir()
      : path_(std::filesystem::temp_directory_path() / ("camrelay-store-test-" + random_id())) {
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// A plain connection, independent of the Store under test.
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                        nullptr) != SQLITE_OK) {
      throw std::runtime_error(std::string("open: ") + sqlite3_errmsg(db_));
    }
    sqlite3_busy_timeout(db_, 5000);
  }
  ~RawDb() { sqlite3_close_v2(db_); }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  void exec(const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "?";
      sqlite3_free(err);
      throw std::runtime_error(sql + ": " + msg);
    }
  }
  // First column of every row, as text ("<null>" for NULL).
  std::vector<std::string> column(const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
      throw std::runtime_error(sql + ": " + sqlite3_errmsg(db_));
    }
    std::vector<std::string> out;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      const auto* t = sqlite3_column_text(st, 0);
      out.emplace_back(t ? reinterpret_cast<const char*>(t) : "<null>");
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) throw std::runtime_error(sql + ": " + sqlite3_errmsg(db_));
    return out;
  }
  std::string text(const std::string& sql) {
    auto v = column(sql);
    if (v.empty()) throw std::runtime_error(sql + ": no row");
    return v.front();
  }
  std::int64_t integer(const std::string& sql) { return std::stoll(text(sql)); }

 private:
  sqlite3* db_ = nullptr;
};

inline std::vector<StreamSessionRow> list_streams(Store& s, const std::string& camera = "",
                                                  int limit = 1000) {
  std::promise<std::vector<StreamSessionRow>> p;
  s.list_stream_sessions(camera, limit, [&p](auto rows) { p.set_value(std::move(rows)); });
  return p.get_future().get();
}

inline std::vector<ViewerSessionRow> list_viewers(Store& s, const std::string& camera = "",
                                                  bool only_open = false, int limit = 1000) {
  std::promise<std::vector<ViewerSessionRow>> p;
  s.list_viewer_sessions(camera, only_open, limit,
                         [&p](auto rows) { p.set_value(std::move(rows)); });
  return p.get_future().get();
}

inline StreamSessionRow stream_row(std::string id, std::string camera, std::string status,
                                   std::int64_t created_at) {
  StreamSessionRow r;
  r.session_id = std::move(id);
  r.camera_id = camera;
  r.stream_id = std::move(camera);
  r.pipeline_id = "pipe-" + r.session_id;
  r.status = std::move(status);
  r.created_at = created_at;
  r.updated_at = created_at;
  r.min_kbps = 300;
  r.max_kbps = 4000;
  return r;
}

inline ViewerSessionRow viewer_row(std::string id, std::string session, std::string camera,
                                   std::int64_t connected_at) {
  ViewerSessionRow r;
  r.viewer_id = std::move(id);
  r.stream_session_id = std::move(session);
  r.camera_id = std::move(camera);
  r.webrtc_endpoint_id = "webrtcbin-" + r.viewer_id;
  r.kind = "whep";
  r.user_agent = "test-agent/1.0";
  r.ip_address = "192.0.2.7";
  r.connected_at = connected_at;
  return r;
}

}  // namespace camrelay::store::testing
