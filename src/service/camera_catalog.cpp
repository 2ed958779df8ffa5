// CameraCatalog: the configuration file's cameras and those of the REST API, one list for
// the registry. API cameras are stored (api_cameras) before a change returns; their
// credentials are sealed apart from the rest of their settings.
#include "camrelay/service/camera_catalog.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "camrelay/config/camera_json.hpp"
#include "camrelay/config/secrets.hpp"
#include "camrelay/util/error.hpp"
#include "camrelay/util/ids.hpp"
#include "camrelay/util/log.hpp"

namespace camrelay::service {
namespace {

using nlohmann::json;

auto lg() {
  static auto l = log::get("service");
  return l;
}

std::string seal_credentials(const store::SecretBox& box, const config::CameraCredentials& c) {
  if (c.empty()) return {};
  return box.seal(json{{"url_userinfo", c.url_userinfo}, {"username", c.username}, {"password", c.password}}.dump());
}

// The credentials of a stored row; nullopt when they cannot be unsealed or read.
std::optional<config::CameraCredentials> unseal_credentials(const store::SecretBox& box, const std::string& sealed) {
  if (sealed.empty()) return config::CameraCredentials{};
  const auto text = box.open(sealed);
  if (!text) return std::nullopt;
  const json j = json::parse(*text, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  config::CameraCredentials c;
  for (auto [key, field] : {std::pair{"url_userinfo", &c.url_userinfo}, std::pair{"username", &c.username},
                            std::pair{"password", &c.password}}) {
    if (auto it = j.find(key); it != j.end() && it->is_string()) *field = it->get<std::string>();
  }
  return c;
}

[[noreturn]] void file_camera(const std::string& id) {
  throw Error(Errc::conflict, "camera '" + id +
                                  "' is defined in the configuration file (origin config): change it there "
                                  "and reload (SIGHUP); only cameras added through the API are changed here");
}

}  // namespace

const char* to_string(Origin o) noexcept { return o == Origin::config ? "config" : "api"; }

CameraCatalog::CameraCatalog(const config::Config& cfg, store::Store& store, store::SecretBox box)
    : store_(store), box_(std::move(box)), base_(cfg) {
  load(store);
}

CameraCatalog::~CameraCatalog() = default;

void CameraCatalog::load(store::Store& store) {
  // Validated alone (the file's settings, no other camera): whether the file takes the id
  // is decided when the list is made, so that a camera the file gives up comes back.
  config::Config alone = base_;
  alone.cameras.clear();
  for (auto& row : store.load_api_cameras()) {
    ApiCamera e{row.id, row.position, row.created_at, row.updated_at, std::nullopt, {}};
    const auto cred = unseal_credentials(box_, row.secrets);
    const json settings = json::parse(row.config_json, nullptr, false);
    if (!cred) {
      e.problem = "its credentials cannot be unsealed with the key file secret.key (was it replaced?)";
    } else if (settings.is_discarded()) {
      e.problem = "its stored settings are not JSON";
    } else {
      try {
        config::Camera cam = config::parse_camera(settings, alone);
        if (cam.id != row.id) throw config::ConfigError("id: stored as \"" + row.id + "\"");
        config::put_credentials(cam, *cred);
        e.camera = std::move(cam);
      } catch (const config::ConfigError& err) {
        e.problem = std::string("its settings are not valid: ") + err.what();
      }
    }
    if (!e.problem.empty()) lg()->error("API camera {}: skipped: {}", e.id, e.problem);
    api_.push_back(std::move(e));
  }
  for (const auto& e : api_) {
    if (e.camera && in_file(e.id)) {
      lg()->warn("API camera {}: skipped: the configuration file defines a camera with this id, which wins", e.id);
    }
  }
  if (!api_.empty()) lg()->info("{} camera(s) added through the API loaded from the database", api_.size());
  for (auto& row : store.load_camera_settings()) {
    json doc = json::parse(row.settings_json, nullptr, false);
    if (!doc.is_object()) {
      lg()->error("camera {}: its stored stream settings are not a JSON object; ignored", row.camera_id);
      continue;
    }
    file_settings_[row.camera_id] = std::move(doc);
  }
}

namespace {

// `patch` merged into the stored settings of a file camera: objects member by member, other
// values replaced (a null latency_mode stays: it means "the source's own"). A resolution
// replaces width and height and the other way round.
void merge_settings(json& into, const json& patch) {
  for (const auto& [key, value] : patch.items()) {
    if (value.is_object() && into.contains(key) && into[key].is_object()) {
      json& dst = into[key];
      if (value.contains("resolution")) {
        dst.erase("width");
        dst.erase("height");
      }
      if (value.contains("width") || value.contains("height")) dst.erase("resolution");
      merge_settings(dst, value);
    } else {
      into[key] = value;
    }
  }
}

}  // namespace

config::Camera CameraCatalog::with_settings(const config::Camera& file_camera) const {
  auto it = file_settings_.find(file_camera.id);
  if (it == file_settings_.end()) return file_camera;
  config::Config alone = base_;
  alone.cameras.clear();
  try {
    return config::apply_settings_json(file_camera, it->second, alone);
  } catch (const config::ConfigError& e) {
    lg()->warn("camera {}: the stream settings set through the API no longer fit its configuration ({}); the "
               "file's values are used (DELETE /streams/{}/settings forgets them)",
               file_camera.id, e.what(), file_camera.id);
    return file_camera;
  }
}

void CameraCatalog::check_encoder(const config::Camera& cam) const {
  if (!manager_) return;
  const auto have = manager_->h264_encoders();
  auto check = [&have](const char* key, const std::string& encoder) {
    if (std::find(have.begin(), have.end(), encoder) != have.end()) return;
    std::string list;
    for (const auto& h : have) list += (list.empty() ? "" : ", ") + h;
    throw config::ConfigError(std::string(key) + ": " + encoder + " is not available on this machine (GStreamer has: " +
                              (list.empty() ? std::string("none") : list) + ")");
  };
  if (const auto enc = config::own_encoding(cam.source)) check("video.encoder", enc->encoder);
  if (cam.sub.enabled) check("sub.encoder", cam.sub.encoder);
}

CatalogCamera CameraCatalog::update_settings(const std::string& id, const json& patch) {
  std::lock_guard lk(mu_);
  config::Config alone = base_;  // the id was checked when the camera was added
  alone.cameras.clear();
  if (const auto* file_cam = base_.find_camera(id)) {
    config::Camera cam = config::apply_settings_json(with_settings(*file_cam), patch, alone);
    check_encoder(cam);
    json merged = file_settings_.count(id) ? file_settings_.at(id) : json::object();
    merge_settings(merged, patch);
    store_.put_camera_settings({id, merged.dump(), unix_now_s()});
    file_settings_[id] = std::move(merged);
    lg()->info("camera {}: stream settings changed through the API (kept over the configuration file's)", id);
    return {std::move(cam), Origin::config, 0, 0, true};
  }
  ApiCamera* e = api(id);
  if (!e || !e->camera) throw Error(Errc::not_found, "unknown camera '" + id + "'");
  config::Camera cam = config::apply_settings_json(*e->camera, patch, alone);
  check_encoder(cam);
  ApiCamera next = *e;
  next.camera = cam;
  next.updated_at = unix_now_s();
  store_camera(next);
  *e = std::move(next);
  lg()->info("API camera {}: stream settings changed", id);
  return {std::move(cam), Origin::api, e->created_at, e->updated_at};
}

bool CameraCatalog::reset_settings(const std::string& id) {
  std::lock_guard lk(mu_);
  if (!in_file(id)) {
    const ApiCamera* e = api(id);
    if (!e || !e->camera) throw Error(Errc::not_found, "unknown camera '" + id + "'");
    throw Error(Errc::conflict, "camera '" + id + "' was added through the API: its settings are its own (change "
                                "them with PUT /streams/" + id + "/settings or PUT /cameras/" + id + ")");
  }
  if (!file_settings_.erase(id)) return false;
  store_.delete_camera_settings(id);
  lg()->info("camera {}: stream settings back to the configuration file's", id);
  return true;
}

void CameraCatalog::attach(std::shared_ptr<StreamManager> manager) {
  std::lock_guard lk(mu_);
  manager_ = std::move(manager);
}

void CameraCatalog::set_on_camera_deleted(CameraDeleted hook) {
  std::lock_guard lk(mu_);
  on_deleted_ = std::move(hook);
}

bool CameraCatalog::in_file(const std::string& id) const { return base_.find_camera(id) != nullptr; }

CameraCatalog::ApiCamera* CameraCatalog::api(const std::string& id) {
  auto it = std::find_if(api_.begin(), api_.end(), [&id](const ApiCamera& e) { return e.id == id; });
  return it == api_.end() ? nullptr : &*it;
}

const CameraCatalog::ApiCamera* CameraCatalog::api(const std::string& id) const {
  return const_cast<CameraCatalog*>(this)->api(id);
}

std::vector<config::Camera> CameraCatalog::cameras_locked() const {
  std::vector<config::Camera> out;
  for (const auto& c : base_.cameras) out.push_back(with_settings(c));
  for (const auto& e : api_) {
    if (e.camera && !in_file(e.id)) out.push_back(*e.camera);
  }
  return out;
}

std::vector<config::Camera> CameraCatalog::cameras() const {
  std::lock_guard lk(mu_);
  return cameras_locked();
}

std::optional<CatalogCamera> CameraCatalog::find(const std::string& id) const {
  std::lock_guard lk(mu_);
  if (const auto* c = base_.find_camera(id)) {
    return CatalogCamera{with_settings(*c), Origin::config, 0, 0, file_settings_.count(id) > 0};
  }
  if (const auto* e = api(id); e && e->camera) return CatalogCamera{*e->camera, Origin::api, e->created_at, e->updated_at};
  return std::nullopt;
}

std::optional<Origin> CameraCatalog::origin(const std::string& id) const {
  auto c = find(id);
  return c ? std::optional(c->origin) : std::nullopt;
}

std::vector<SkippedCamera> CameraCatalog::skipped() const {
  std::lock_guard lk(mu_);
  std::vector<SkippedCamera> out;
  for (const auto& e : api_) {
    if (!e.camera) {
      out.push_back({e.id, e.problem});
    } else if (in_file(e.id)) {
      out.push_back({e.id, "the configuration file defines a camera with this id, which wins"});
    }
  }
  return out;
}

config::Config CameraCatalog::context(const std::string& except) const {
  config::Config c = base_;
  for (const auto& e : api_) {
    if (e.id == except) continue;
    if (e.camera) {
      c.cameras.push_back(*e.camera);
    } else {
      config::Camera stub;  // stored but not loadable: its id is still taken
      stub.id = e.id;
      c.cameras.push_back(std::move(stub));
    }
  }
  return c;
}

void CameraCatalog::store_camera(const ApiCamera& e) {
  config::Camera bare = *e.camera;
  const config::CameraCredentials cred = config::take_credentials(bare);
  store_.put_api_camera({e.id, e.position, config::camera_to_json(bare).dump(), seal_credentials(box_, cred),
                         e.created_at, e.updated_at});
}

CatalogCamera CameraCatalog::create(const std::string& body) {
  std::lock_guard lk(mu_);
  config::Camera cam = config::keep_masked_credentials(config::parse_camera(body, context("")), nullptr);
  const std::int64_t now = unix_now_s();
  std::int64_t position = 1;
  for (const auto& e : api_) position = std::max(position, e.position + 1);
  ApiCamera e{cam.id, position, now, now, cam, {}};
  store_camera(e);
  api_.push_back(std::move(e));
  lg()->info("API camera {}: added ({})", cam.id, config::source_type_name(cam.source));
  return {std::move(cam), Origin::api, now, now};
}

CatalogCamera CameraCatalog::replace(const std::string& id, const std::string& body) {
  std::lock_guard lk(mu_);
  if (in_file(id)) file_camera(id);
  ApiCamera* e = api(id);
  if (!e) throw Error(Errc::not_found, "unknown camera '" + id + "'");
  // Every other camera is in the context: an id taken there is not this camera's.
  const auto other_id = [&id](const std::string& got) {
    return config::ConfigError("id: must be \"" + id + "\", the camera of the URL (got \"" + got + "\")");
  };
  config::Camera cam;
  try {
    cam = config::parse_camera(body, context(id));
  } catch (const config::DuplicateIdError&) {
    throw other_id("another camera's id");
  }
  if (cam.id != id) throw other_id(cam.id);
  cam = config::keep_masked_credentials(std::move(cam), e->camera ? &*e->camera : nullptr);
  ApiCamera next = *e;
  next.camera = cam;
  next.problem.clear();
  next.updated_at = unix_now_s();
  store_camera(next);
  *e = std::move(next);
  lg()->info("API camera {}: replaced", id);
  return {std::move(cam), Origin::api, e->created_at, e->updated_at};
}

RemovedCamera CameraCatalog::remove(const std::string& id) {
  std::lock_guard lk(mu_);
  const bool shadowed = in_file(id);
  if (shadowed && !api(id)) file_camera(id);
  if (!api(id)) throw Error(Errc::not_found, "unknown camera '" + id + "'");
  store_.delete_api_camera(id);
  std::erase_if(api_, [&id](const ApiCamera& e) { return e.id == id; });
  lg()->info("API camera {}: deleted{}", id, shadowed ? " (it was skipped: the configuration file's camera stays)" : "");
  return {id, shadowed};
}

bool CameraCatalog::camera_removed(const RemovedCamera& removed, bool delete_recordings) const {
  CameraDeleted hook;
  {
    std::lock_guard lk(mu_);
    hook = on_deleted_;
  }
  if (!hook || removed.was_shadowed) return false;
  hook(removed.id, delete_recordings);
  return delete_recordings;
}

void CameraCatalog::apply_locked(Reply<ReloadSummary> reply) {
  if (!manager_) return reply(nullptr, ReloadSummary{});
  // Under mu_: the registry receives the lists in the order of the changes.
  manager_->reload_cameras(cameras_locked(), std::move(reply));
}

void CameraCatalog::apply(Reply<ReloadSummary> reply) {
  std::lock_guard lk(mu_);
  apply_locked(std::move(reply));
}

void CameraCatalog::set_config_cameras(std::vector<config::Camera> cameras, Reply<ReloadSummary> reply) {
  std::lock_guard lk(mu_);
  base_.cameras = std::move(cameras);
  for (const auto& e : api_) {
    if (e.camera && in_file(e.id)) {
      lg()->warn("API camera {}: skipped: the configuration file now defines a camera with this id, which wins",
                 e.id);
    }
  }
  apply_locked(std::move(reply));
}

}  // namespace camrelay::service
