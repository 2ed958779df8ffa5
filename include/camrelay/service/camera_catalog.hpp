#pragma once
// CameraCatalog: the cameras as configured, from two origins (docs/cameras.md, "Cameras
// through the API"):
//   * "config": the configuration file's cameras, read-only here, replaced on SIGHUP;
//   * "api": cameras added, replaced and deleted through the REST API, stored in SQLite
//     (table api_cameras) with their credentials sealed by a store::SecretBox.
// The catalog owns the list of API cameras (one mutex); every change is stored before the
// call returns. What the registry runs is the file's cameras, then the API cameras in the
// order they were added: apply() hands that list to StreamManager::reload_cameras, which
// starts, restarts or stops only the cameras that differ. An API camera whose id the
// configuration file takes later (SIGHUP, restart) is not run: the file's camera wins, the
// API camera is logged and listed as skipped, and stays stored.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "camrelay/config/config.hpp"
#include "camrelay/service/stream_manager.hpp"
#include "camrelay/store/secret_box.hpp"
#include "camrelay/store/store.hpp"

namespace camrelay::service {

enum class Origin { config, api };
const char* to_string(Origin o) noexcept;

struct CatalogCamera {
  config::Camera camera;  // credentials in clear: config::mask_credentials before showing it
  Origin origin = Origin::config;
  std::int64_t created_at = 0;  // API cameras: unix seconds
  std::int64_t updated_at = 0;
  // A configuration-file camera whose stream settings were changed through the API (PUT
  // /streams/{id}/settings): `camera` has them over the file's values.
  bool settings_changed = false;
};

// A stored API camera that is not run, and why.
struct SkippedCamera {
  std::string id;
  std::string reason;
};

// What DELETE removed.
struct RemovedCamera {
  std::string id;
  // The stored API camera was skipped because the configuration file defines the same id:
  // only the stored row went; the running camera (and its recordings) are the file's.
  bool was_shadowed = false;
};

class CameraCatalog {
 public:
  // Called once an API camera has been deleted and its stream stopped, on the thread that
  // deleted it (an HTTP thread): the place where the camera's recordings are kept
  // (delete_recordings false) or deleted (true). Must not block for long: queue slow work.
  using CameraDeleted = std::function<void(const std::string& camera_id, bool delete_recordings)>;

  // Loads the API cameras from `store`. Each is read and validated like a file camera
  // against `cfg`; one that fails (or whose credentials cannot be unsealed) is logged and
  // skipped, not dropped. Throws Error(unavailable) if the table cannot be read.
  CameraCatalog(const config::Config& cfg, store::Store& store, store::SecretBox box);
  ~CameraCatalog();
  CameraCatalog(const CameraCatalog&) = delete;
  CameraCatalog& operator=(const CameraCatalog&) = delete;

  // Where apply() and set_config_cameras() send the camera list. Call once, before any change.
  void attach(std::shared_ptr<StreamManager> manager);
  // The recordings hook (unset: nothing is done with recordings; they are kept).
  void set_on_camera_deleted(CameraDeleted hook);

  // ---- reading (any thread) ----
  // What the registry runs: the file's cameras, then the API cameras not skipped.
  std::vector<config::Camera> cameras() const;
  // A camera that runs (nullopt: unknown, or an API camera that is skipped).
  std::optional<CatalogCamera> find(const std::string& id) const;
  std::optional<Origin> origin(const std::string& id) const;
  std::vector<SkippedCamera> skipped() const;

  // ---- changes through the API (any thread; stored before they return) ----
  // `body` is a camera object in the configuration file's format. Throws ConfigError
  // (invalid: 400), DuplicateIdError (an id the file or the API has: 409), Error(not_found)
  // for an unknown id, Error(conflict) for a camera of the configuration file,
  // Error(unavailable) when the database does not take the change. Then call apply().
  CatalogCamera create(const std::string& body);
  // A password sent back as "***" keeps the stored one. The body's id must be `id`.
  CatalogCamera replace(const std::string& id, const std::string& body);
  RemovedCamera remove(const std::string& id);
  // Runs the recordings hook for a removed camera (not for a shadowed row); true if it was
  // set and asked to delete. Call after apply() has answered.
  bool camera_removed(const RemovedCamera& removed, bool delete_recordings) const;
  // PUT /streams/{id}/settings: `patch`, a partial settings document
  // (config::apply_settings_json), applied to camera `id`. An API camera is stored with the
  // new values; a configuration-file camera keeps its file and the settings set through the
  // API are stored beside it (table camera_settings) and applied over the file's values
  // from then on, also after a SIGHUP or a restart, until reset_settings. An encoder this
  // machine lacks is refused. Throws ConfigError naming the key (400), Error(not_found),
  // Error(unavailable). Then call apply().
  CatalogCamera update_settings(const std::string& id, const nlohmann::json& patch);
  // DELETE /streams/{id}/settings: a configuration-file camera back to its file's values;
  // false if none were set. Error(conflict) for an API camera (its settings are its own:
  // PUT them), Error(not_found). Then call apply().
  bool reset_settings(const std::string& id);
  // Hands the current list to the registry; `reply` once it has applied it.
  void apply(Reply<ReloadSummary> reply);

  // SIGHUP: the configuration file's new cameras, applied with the API cameras after them.
  void set_config_cameras(std::vector<config::Camera> cameras, Reply<ReloadSummary> reply);

 private:
  struct ApiCamera {
    std::string id;
    std::int64_t position = 0;
    std::int64_t created_at = 0;
    std::int64_t updated_at = 0;
    std::optional<config::Camera> camera;  // nullopt: could not be loaded (`problem`)
    std::string problem;
  };
  // All under mu_.
  bool in_file(const std::string& id) const;
  ApiCamera* api(const std::string& id);
  const ApiCamera* api(const std::string& id) const;
  std::vector<config::Camera> cameras_locked() const;
  // The configuration to validate a camera in: the file's settings and every camera but `except`.
  config::Config context(const std::string& except) const;
  void store_camera(const ApiCamera& entry);  // throws Error(unavailable)
  // A configuration-file camera with the settings set through the API over it (if any and
  // they still fit it: else logged, and the file's camera).
  config::Camera with_settings(const config::Camera& file_camera) const;
  void check_encoder(const config::Camera& cam) const;  // ConfigError "video.encoder"
  void load(store::Store& store);
  void apply_locked(Reply<ReloadSummary> reply);

  store::Store& store_;
  const store::SecretBox box_;
  mutable std::mutex mu_;
  config::Config base_;  // the running settings; base_.cameras = the file's cameras
  std::vector<ApiCamera> api_;  // by position
  std::map<std::string, nlohmann::json> file_settings_;  // camera id → settings set through the API
  std::shared_ptr<StreamManager> manager_;
  CameraDeleted on_deleted_;
};

}  // namespace camrelay::service
