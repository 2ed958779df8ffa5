#pragma once
// The api_cameras table's SQL (run on the store's worker thread). All throw SqliteError.
#include <string>
#include <vector>

#include <sqlite3.h>

#include "camrelay/store/store.hpp"

namespace camrelay::store::detail {

std::vector<ApiCameraRow> load_api_cameras(sqlite3* db);
void put_api_camera(sqlite3* db, const ApiCameraRow& row);
bool delete_api_camera(sqlite3* db, const std::string& id);
// The camera_settings table: stream settings over the configuration file's cameras.
std::vector<CameraSettingsRow> load_camera_settings(sqlite3* db);
void put_camera_settings(sqlite3* db, const CameraSettingsRow& row);
bool delete_camera_settings(sqlite3* db, const std::string& camera_id);

}  // namespace camrelay::store::detail
