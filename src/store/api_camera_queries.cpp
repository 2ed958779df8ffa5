#include "api_camera_queries.hpp"

#include "sqlite_util.hpp"

namespace camrelay::store::detail {

std::vector<ApiCameraRow> load_api_cameras(sqlite3* db) {
  std::vector<ApiCameraRow> out;
  Stmt st(db, "SELECT id, position, config_json, secrets, created_at, updated_at FROM api_cameras "
              "ORDER BY position, id");
  while (st.step()) {
    out.push_back({st.col_text(0), st.col_int64(1), st.col_text(2), st.col_blob(3), st.col_int64(4),
                   st.col_int64(5)});
  }
  return out;
}

void put_api_camera(sqlite3* db, const ApiCameraRow& r) {
  Stmt(db,
       "INSERT INTO api_cameras (id, position, config_json, secrets, created_at, updated_at) "
       "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(id) DO UPDATE SET position = excluded.position, "
       "config_json = excluded.config_json, secrets = excluded.secrets, updated_at = excluded.updated_at")
      .bind(1, r.id)
      .bind(2, r.position)
      .bind(3, r.config_json)
      .bind_blob_or_null(4, r.secrets)
      .bind(5, r.created_at)
      .bind(6, r.updated_at)
      .run();
}

bool delete_api_camera(sqlite3* db, const std::string& id) {
  return Stmt(db, "DELETE FROM api_cameras WHERE id = ?1").bind(1, id).run() > 0;
}

std::vector<CameraSettingsRow> load_camera_settings(sqlite3* db) {
  std::vector<CameraSettingsRow> out;
  Stmt st(db, "SELECT camera_id, settings_json, updated_at FROM camera_settings ORDER BY camera_id");
  while (st.step()) out.push_back({st.col_text(0), st.col_text(1), st.col_int64(2)});
  return out;
}

void put_camera_settings(sqlite3* db, const CameraSettingsRow& r) {
  Stmt(db,
       "INSERT INTO camera_settings (camera_id, settings_json, updated_at) VALUES (?1, ?2, ?3) "
       "ON CONFLICT(camera_id) DO UPDATE SET settings_json = excluded.settings_json, updated_at = excluded.updated_at")
      .bind(1, r.camera_id)
      .bind(2, r.settings_json)
      .bind(3, r.updated_at)
      .run();
}

bool delete_camera_settings(sqlite3* db, const std::string& camera_id) {
  return Stmt(db, "DELETE FROM camera_settings WHERE camera_id = ?1").bind(1, camera_id).run() > 0;
}

}  // namespace camrelay::store::detail
