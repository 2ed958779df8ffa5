#pragma once
// SQLite persistence of cameras, stream sessions and viewer sessions (seed 000 schema).
// The Store owns one sqlite3 connection and one worker thread: every statement runs on
// that thread, never on a network or GLib thread. Writes are queued and executed in
// order; reads deliver their result through a callback invoked ON THE WORKER THREAD
// (callers post the result back to their own executor).
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "camrelay/store/auth_rows.hpp"
#include "camrelay/store/recording_rows.hpp"

namespace camrelay::store {

struct CameraRow {
  std::string id;
  std::string name;
  std::string source_type;  // test | rtp | rtsp | v4l2
  std::string config_json;  // the camera's config with secrets removed
};

// A camera added through the REST API (table api_cameras).
struct ApiCameraRow {
  std::string id;
  std::int64_t position = 0;  // listing order among the API cameras
  std::string config_json;    // the camera in the configuration file's format, without credentials
  std::string secrets;        // its credentials, sealed (SecretBox); "" = none
  std::int64_t created_at = 0;  // unix seconds; kept when the row is replaced
  std::int64_t updated_at = 0;
};

// Stream settings of a configuration-file camera, kept over the file's values (table
// camera_settings; PUT /streams/{id}/settings).
struct CameraSettingsRow {
  std::string camera_id;
  std::string settings_json;  // the settings document's keys that were set
  std::int64_t updated_at = 0;
};

struct StreamSessionRow {
  std::string session_id;
  std::string camera_id;
  std::string pipeline_id;         // GStreamer pipeline name
  std::string rtp_endpoint_id;     // ingest element / RTP receiver id (rtp cameras)
  std::string webrtc_endpoint_id;  // unused by camrelay (seed column), kept for compatibility
  std::string stream_id;           // stable per camera (= camera id)
  std::string status;              // starting | active | reconnecting | stopping | stopped | error
  std::int64_t created_at = 0;     // unix seconds
  std::int64_t updated_at = 0;
  std::optional<std::int64_t> ended_at;
  std::optional<std::string> error_message;
  int min_kbps = 0;
  int max_kbps = 0;
};

struct ViewerSessionRow {
  std::string viewer_id;
  std::string stream_session_id;
  std::string camera_id;
  std::string webrtc_endpoint_id;  // webrtcbin element name
  std::string kind;                // webrtc (WebSocket signaling) | whep
  std::string user_agent;
  std::string ip_address;
  std::int64_t connected_at = 0;
  std::optional<std::int64_t> disconnected_at;
  std::optional<std::string> close_reason;
};

class Store {
 public:
  // Opens (creating if needed) the database file, enables WAL and foreign keys, runs
  // pending migrations, starts the worker thread. Throws camrelay::Error(Errc::unavailable)
  // with the SQLite message if the file cannot be opened or migrated.
  static std::unique_ptr<Store> open(const std::string& path);

  // Drains queued writes, then stops the worker and closes the connection.
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  static int latest_schema_version();
  int schema_version() const;  // PRAGMA user_version after migration

  // Synchronous, for startup before anything else runs: marks every stream session left in
  // starting/active/reconnecting/stopping as status 'error', error_message 'daemon restarted',
  // ended_at = updated_at = now; closes open viewer sessions (disconnected_at = now,
  // close_reason 'daemon restarted'). Returns the number of stream sessions closed.
  int recover_stale_sessions(std::int64_t now_s);

  // ---- asynchronous writes (queued, in order) ----
  void sync_cameras(std::vector<CameraRow> cameras);  // upsert these; keep rows of removed ones
  void insert_stream_session(StreamSessionRow row);
  void update_stream_session(std::string session_id, std::string status, std::int64_t updated_at,
                             std::optional<std::int64_t> ended_at,
                             std::optional<std::string> error_message);
  void insert_viewer_session(ViewerSessionRow row);
  void close_viewer_session(std::string viewer_id, std::int64_t disconnected_at,
                            std::string reason);

  // ---- asynchronous reads (callback on the worker thread) ----
  // Newest first. camera_id empty = all cameras.
  void list_stream_sessions(std::string camera_id, int limit,
                            std::function<void(std::vector<StreamSessionRow>)> done);
  void list_viewer_sessions(std::string camera_id, bool only_open, int limit,
                            std::function<void(std::vector<ViewerSessionRow>)> done);

  // ---- accounts (synchronous: the caller must know the change was stored) ----
  // Each throws camrelay::Error(Errc::unavailable) with the SQLite message on failure.
  AuthRows load_auth(std::int64_t now_s);  // sessions expired at now_s are deleted, not returned
  void put_user(const UserRow& row);       // insert or replace (created_at kept)
  bool delete_user(const std::string& name);  // also the user's tokens and sessions
  void put_api_token(const ApiTokenRow& row);
  bool revoke_api_token(const std::string& id, std::int64_t at);  // false: no such live token
  void put_auth_session(const AuthSessionRow& row);
  void delete_auth_session(const std::string& id_hash);
  void delete_user_sessions(const std::string& user_name);
  // The audit log: appended asynchronously (queued like the session writes); listed newest
  // first, `limit` rows with id < before_id (0 = from the newest).
  void append_audit(AuditRow row);
  void list_audit(int limit, std::int64_t before_id, std::function<void(std::vector<AuditRow>)> done);

  // ---- recordings (docs/recording.md) ----
  // Queued like the session writes: a file's row when it opens, its end when it closes.
  void insert_recording(RecordingRow row);
  void close_recording(std::string path, std::int64_t end_ms, std::int64_t duration_ms, std::int64_t bytes,
                       std::string status);
  // A page (callback on the worker thread).
  void list_recordings(RecordingQuery q, std::function<void(std::vector<RecordingRow>)> done);
  // Synchronous (call from a thread that may wait for the worker, never an Asio or GLib
  // thread); throw camrelay::Error(Errc::unavailable) on failure.
  std::optional<RecordingRow> get_recording(std::int64_t id);
  std::vector<RecordingRow> open_recordings();     // rows still "recording" (left by a crash)
  std::vector<RecordingRow> closed_recordings();   // every closed row, oldest first (retention)
  int delete_recordings(const std::vector<std::int64_t>& ids);
  std::vector<RecordingRow> camera_recordings(const std::string& camera_id);

  // ---- cameras added through the REST API (synchronous, like the accounts) ----
  std::vector<ApiCameraRow> load_api_cameras();  // by position
  void put_api_camera(const ApiCameraRow& row);  // insert or replace (created_at kept)
  bool delete_api_camera(const std::string& id);  // false: no such row
  std::vector<CameraSettingsRow> load_camera_settings();
  void put_camera_settings(const CameraSettingsRow& row);  // insert or replace
  bool delete_camera_settings(const std::string& camera_id);  // false: no such row

  // Changes whenever another connection (the `camrelay user …` commands) committed to the
  // database file since the last call (PRAGMA data_version).
  std::int64_t external_changes();

  // Blocks until everything queued before this call has run.
  void flush();

  // False after a statement failed (disk full, I/O error); last_error() says why.
  bool healthy() const;
  std::string last_error() const;

  // Jobs (writes and reads) rejected because the worker queue was full. A rejected write
  // is lost (logged); a rejected read gets an empty vector, on the caller's thread.
  std::uint64_t dropped_jobs() const;

 private:
  Store();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace camrelay::store
