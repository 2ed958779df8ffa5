// Configuration reload (SIGHUP): the camera list is diffed against the configured one and
// only the cameras that differ are touched. Runs on the registry's strand; each changed or
// removed camera's path does its part on its own strand.
#include <set>

#include "bcgh.hpp"
#include "camera_path.hpp"
#include "camrelay/service/stream_manager.hpp"
#include "camrelay/util/log.hpp"
#include "path_context.hpp"

namespace camrelay::service {
namespace {
auto lg() {
  static auto l = log::get("service");
  return l;
}
}  // namespace

std::vector<store::CameraRow> StreamManager::camera_rows() const {
  std::vector<store::CameraRow> rows;
  for (const auto& id : order_) {
    auto it = configs_.find(id);
    if (it == configs_.end()) continue;
    const auto& cam = it->second;
    nlohmann::json j = {{"auto_start", cam.auto_start},
                        {"bandwidth", {{"min_kbps", cam.bandwidth.min_kbps}, {"max_kbps", cam.bandwidth.max_kbps}}}};
    rows.push_back({id, cam.name, config::source_type_name(cam.source), j.dump()});
  }
  return rows;
}

void StreamManager::reload_cameras(std::vector<config::Camera> cameras, Reply<ReloadSummary> reply) {
  post([cameras = std::move(cameras), reply = std::move(reply)](StreamManager& m) mutable {
    ReloadSummary r;
    if (m.ctx_->shutting_down) return reply(nullptr, r);
    std::vector<std::shared_ptr<CameraPath>> added, removed;
    std::vector<std::pair<std::shared_ptr<CameraPath>, config::Camera>> changed;
    std::vector<std::string> bcgh;
    {
      std::unique_lock lk(m.mu_);
      std::set<std::string> keep;
      std::vector<std::string> ids;
      for (auto& cam : cameras) {
        keep.insert(cam.id);
        ids.push_back(cam.id);
        auto it = m.configs_.find(cam.id);
        if (it == m.configs_.end()) {
          auto p = std::make_shared<CameraPath>(m.ctx_, cam);
          m.paths_[cam.id] = p;
          m.configs_.emplace(cam.id, cam);
          r.added.push_back(cam.id);
          added.push_back(p);
          if (is_bcgh_camera(cam)) bcgh.push_back(cam.id);
        } else if (it->second == cam) {
          r.unchanged++;
        } else {
          r.changed.push_back(cam.id);
          it->second = cam;
          changed.emplace_back(m.paths_.at(cam.id), std::move(cam));
          if (is_bcgh_camera(it->second)) bcgh.push_back(it->first);
        }
      }
      for (auto it = m.configs_.begin(); it != m.configs_.end();) {
        if (keep.count(it->first)) {
          ++it;
          continue;
        }
        r.removed.push_back(it->first);
        removed.push_back(m.paths_.at(it->first));
        m.paths_.erase(it->first);
        it = m.configs_.erase(it);
      }
      m.order_ = std::move(ids);
      m.ctx_->rtp_ports->set_reserved(m.static_rtp_ports());
      m.ctx_->store.sync_cameras(m.camera_rows());
    }
    // A removed camera is gone from the registry at once (new requests: not_found); its
    // path stops its stream and tells its viewers, and lives until that is done.
    for (const auto& p : removed) {
      lg()->info("camera {}: removed from the configuration", p->id());
      p->retire([p] {});
    }
    for (auto& [p, cam] : changed) p->apply_config(std::move(cam));
    for (const auto& id : bcgh) m.bcgh_watch(id);
    for (const auto& p : added) p->boot();  // auto_start
    reply(nullptr, std::move(r));
  });
}

}  // namespace camrelay::service
