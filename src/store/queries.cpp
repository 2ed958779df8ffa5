#include "queries.hpp"

#include <algorithm>

#include "sqlite_util.hpp"

namespace camrelay::store::detail {
namespace {

constexpr const char* kRestartReason = "daemon restarted";

// Nullable text columns store "" as NULL; every NULL text reads back as "".
constexpr const char* kStreamColumns =
    "session_id, camera_id, pipeline_id, rtp_endpoint_id, webrtc_endpoint_id, stream_id, "
    "status, created_at, updated_at, ended_at, error_message, min_kbps, max_kbps";

constexpr const char* kViewerColumns =
    "viewer_id, stream_session_id, camera_id, webrtc_endpoint_id, kind, user_agent, "
    "ip_address, connected_at, disconnected_at, close_reason";

StreamSessionRow read_stream_row(const Stmt& st) {
  StreamSessionRow r;
  r.session_id = st.col_text(0);
  r.camera_id = st.col_text(1);
  r.pipeline_id = st.col_text(2);
  r.rtp_endpoint_id = st.col_text(3);
  r.webrtc_endpoint_id = st.col_text(4);
  r.stream_id = st.col_text(5);
  r.status = st.col_text(6);
  r.created_at = st.col_int64(7);
  r.updated_at = st.col_int64(8);
  r.ended_at = st.col_opt_int64(9);
  r.error_message = st.col_opt_text(10);
  r.min_kbps = st.col_int(11);
  r.max_kbps = st.col_int(12);
  return r;
}

ViewerSessionRow read_viewer_row(const Stmt& st) {
  ViewerSessionRow r;
  r.viewer_id = st.col_text(0);
  r.stream_session_id = st.col_text(1);
  r.camera_id = st.col_text(2);
  r.webrtc_endpoint_id = st.col_text(3);
  r.kind = st.col_text(4);
  r.user_agent = st.col_text(5);
  r.ip_address = st.col_text(6);
  r.connected_at = st.col_int64(7);
  r.disconnected_at = st.col_opt_int64(8);
  r.close_reason = st.col_opt_text(9);
  return r;
}

}  // namespace

int clamp_limit(int limit) { return std::clamp(limit, kMinListLimit, kMaxListLimit); }

void upsert_cameras(sqlite3* db, const std::vector<CameraRow>& cameras, std::int64_t now_s) {
  if (cameras.empty()) return;
  Transaction tx(db);
  Stmt st(db,
          "INSERT INTO cameras (id, name, source_type, config_json, created_at, updated_at) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?5) "
          "ON CONFLICT(id) DO UPDATE SET name = excluded.name, "
          "source_type = excluded.source_type, config_json = excluded.config_json, "
          "updated_at = excluded.updated_at "
          "WHERE name IS NOT excluded.name OR source_type IS NOT excluded.source_type "
          "OR config_json IS NOT excluded.config_json");
  for (const auto& c : cameras) {
    st.reset();
    st.bind(1, c.id).bind(2, c.name).bind(3, c.source_type);
    st.bind(4, c.config_json.empty() ? std::string_view("{}") : std::string_view(c.config_json));
    st.bind(5, now_s);
    st.run();
  }
  tx.commit();
}

void insert_stream_session(sqlite3* db, const StreamSessionRow& row) {
  Stmt st(db, std::string("INSERT INTO stream_sessions (") + kStreamColumns +
                  ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)");
  st.bind(1, row.session_id).bind(2, row.camera_id);
  st.bind_text_or_null(3, row.pipeline_id).bind_text_or_null(4, row.rtp_endpoint_id);
  st.bind_text_or_null(5, row.webrtc_endpoint_id).bind_text_or_null(6, row.stream_id);
  st.bind(7, row.status).bind(8, row.created_at).bind(9, row.updated_at);
  st.bind(10, row.ended_at).bind(11, row.error_message);
  st.bind(12, row.min_kbps).bind(13, row.max_kbps);
  st.run();
}

int update_stream_session(sqlite3* db, const std::string& session_id, const std::string& status,
                          std::int64_t updated_at, const std::optional<std::int64_t>& ended_at,
                          const std::optional<std::string>& error_message) {
  Stmt st(db,
          "UPDATE stream_sessions SET status = ?2, updated_at = ?3, "
          "ended_at = COALESCE(?4, ended_at), error_message = COALESCE(?5, error_message) "
          "WHERE session_id = ?1");
  st.bind(1, session_id).bind(2, status).bind(3, updated_at);
  st.bind(4, ended_at).bind(5, error_message);
  return st.run();
}

void insert_viewer_session(sqlite3* db, const ViewerSessionRow& row) {
  Stmt st(db, std::string("INSERT INTO viewer_sessions (") + kViewerColumns +
                  ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
  st.bind(1, row.viewer_id);
  // NULL rather than "" so the foreign key is not violated by a viewer without a session.
  st.bind_text_or_null(2, row.stream_session_id).bind_text_or_null(3, row.camera_id);
  st.bind_text_or_null(4, row.webrtc_endpoint_id).bind_text_or_null(5, row.kind);
  st.bind_text_or_null(6, row.user_agent).bind_text_or_null(7, row.ip_address);
  st.bind(8, row.connected_at).bind(9, row.disconnected_at).bind(10, row.close_reason);
  st.run();
}

int close_viewer_session(sqlite3* db, const std::string& viewer_id, std::int64_t disconnected_at,
                         const std::string& reason) {
  Stmt st(db,
          "UPDATE viewer_sessions SET disconnected_at = ?2, close_reason = ?3 "
          "WHERE viewer_id = ?1 AND disconnected_at IS NULL");
  st.bind(1, viewer_id).bind(2, disconnected_at).bind(3, reason);
  return st.run();
}

std::vector<StreamSessionRow> list_stream_sessions(sqlite3* db, const std::string& camera_id,
                                                   int limit) {
  // Only constant SQL fragments are concatenated; values are bound.
  std::string sql = std::string("SELECT ") + kStreamColumns + " FROM stream_sessions ";
  if (!camera_id.empty()) sql += "WHERE camera_id = ?2 ";
  sql += "ORDER BY created_at DESC, rowid DESC LIMIT ?1";
  Stmt st(db, sql);
  st.bind(1, clamp_limit(limit));
  if (!camera_id.empty()) st.bind(2, camera_id);
  std::vector<StreamSessionRow> rows;
  while (st.step()) rows.push_back(read_stream_row(st));
  return rows;
}

std::vector<ViewerSessionRow> list_viewer_sessions(sqlite3* db, const std::string& camera_id,
                                                   bool only_open, int limit) {
  std::string sql = std::string("SELECT ") + kViewerColumns + " FROM viewer_sessions WHERE 1 ";
  if (!camera_id.empty()) sql += "AND camera_id = ?2 ";
  if (only_open) sql += "AND disconnected_at IS NULL ";
  sql += "ORDER BY connected_at DESC, rowid DESC LIMIT ?1";
  Stmt st(db, sql);
  st.bind(1, clamp_limit(limit));
  if (!camera_id.empty()) st.bind(2, camera_id);
  std::vector<ViewerSessionRow> rows;
  while (st.step()) rows.push_back(read_viewer_row(st));
  return rows;
}

int recover_stale_sessions(sqlite3* db, std::int64_t now_s) {
  Transaction tx(db);
  Stmt streams(db,
               "UPDATE stream_sessions SET status = 'error', error_message = ?2, "
               "ended_at = ?1, updated_at = ?1 "
               "WHERE status IN ('starting', 'active', 'reconnecting', 'stopping')");
  streams.bind(1, now_s).bind(2, kRestartReason);
  const int changed = streams.run();
  Stmt viewers(db,
               "UPDATE viewer_sessions SET disconnected_at = ?1, close_reason = ?2 "
               "WHERE disconnected_at IS NULL");
  viewers.bind(1, now_s).bind(2, kRestartReason);
  viewers.run();
  tx.commit();
  return changed;
}

}  // namespace camrelay::store::detail
