// Configuration reload (SIGHUP): the camera list is diffed against the running one and
// only the cameras that differ are touched. Runs on the manager's strand.
#include <algorithm>
#include <set>

#include "camrelay/service/stream_manager.hpp"
#include "camrelay/util/log.hpp"
#include "entry.hpp"

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
    auto it = entries_.find(id);
    if (it == entries_.end()) continue;
    const auto& cam = it->second->cam;
    nlohmann::json j = {{"auto_start", cam.auto_start},
                        {"bandwidth", {{"min_kbps", cam.bandwidth.min_kbps}, {"max_kbps", cam.bandwidth.max_kbps}}}};
    rows.push_back({id, cam.name, config::source_type_name(cam.source), j.dump()});
  }
  return rows;
}

void StreamManager::set_order(std::vector<std::string> ids) {
  std::lock_guard lk(first_mu_);
  first_ = ids.empty() ? std::string() : ids.front();
  order_ = std::move(ids);
}

std::string StreamManager::first_camera() const {
  std::lock_guard lk(first_mu_);
  return first_;
}

void StreamManager::reload_cameras(std::vector<config::Camera> cameras, Reply<ReloadSummary> reply) {
  post([cameras = std::move(cameras), reply = std::move(reply)](StreamManager& m) mutable {
    ReloadSummary r;
    if (m.shutting_down_) return reply(nullptr, r);
    std::set<std::string> keep;
    std::vector<std::string> ids;
    std::vector<std::string> to_start;
    for (auto& cam : cameras) {
      keep.insert(cam.id);
      ids.push_back(cam.id);
      auto it = m.entries_.find(cam.id);
      if (it == m.entries_.end()) {
        auto e = std::make_unique<Entry>();
        e->cam = cam;
        e->bandwidth = cam.bandwidth;
        m.entries_.emplace(cam.id, std::move(e));
        r.added.push_back(cam.id);
        if (cam.auto_start) to_start.push_back(cam.id);
      } else if (it->second->cam == cam) {
        r.unchanged++;
      } else {
        r.changed.push_back(cam.id);
        m.apply_camera_change(*it->second, std::move(cam));
      }
    }
    for (const auto& [id, e] : m.entries_) {
      if (!keep.count(id)) r.removed.push_back(id);
    }
    m.set_order(std::move(ids));  // first: a removed camera is forgotten only once out of the order
    for (const auto& id : r.removed) m.remove_camera(id);
    if (m.rtp_ports_) m.rtp_ports_->set_reserved(m.static_rtp_ports());
    for (const auto& id : r.added) {
      if (is_bcgh_camera(m.entries_.at(id)->cam)) m.bcgh_watch(id);
    }
    for (const auto& id : r.changed) {
      auto it = m.entries_.find(id);
      if (it != m.entries_.end() && is_bcgh_camera(it->second->cam)) m.bcgh_watch(id);
    }
    m.store_.sync_cameras(m.camera_rows());
    for (const auto& id : to_start) {
      lg()->info("camera {}: added by the reload; auto_start", id);
      try {
        m.do_start(*m.entries_.at(id), {});
      } catch (const std::exception& ex) {
        lg()->error("camera {}: start failed: {}", id, ex.what());
      }
    }
    reply(nullptr, std::move(r));
  });
}

// A camera whose settings changed: a running stream is stopped (its viewers are told) and
// started again with the new settings; a stopped one just takes them (and starts if it is
// now auto_start).
void StreamManager::apply_camera_change(Entry& e, config::Camera cam) {
  const std::string id = e.cam.id;
  const bool restart = is_running(e.state) || cam.auto_start;
  e.wanted = false;  // a BCGH status message must not restart the old settings meanwhile
  auto apply = [this, id, cam = std::move(cam), restart]() mutable {
    auto it = entries_.find(id);
    if (it == entries_.end()) return;
    Entry& en = *it->second;
    en.cam = std::move(cam);
    en.bandwidth = en.cam.bandwidth;
    if (!restart || shutting_down_) return;
    lg()->info("camera {}: restarting with its new settings", id);
    try {
      do_start(en, {});
    } catch (const std::exception& ex) {
      lg()->error("camera {}: start failed: {}", id, ex.what());
    }
  };
  if (e.stream || e.state == StreamState::stopping) {
    lg()->info("camera {}: settings changed; stopping it to apply them", id);
    do_stop(e, std::move(apply));
  } else {
    apply();
  }
}

void StreamManager::remove_camera(const std::string& id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  Entry& e = *it->second;
  e.wanted = false;
  lg()->info("camera {}: removed from the configuration", id);
  auto forget = [this, id] {
    // Not if a later reload has brought the camera back meanwhile.
    if (std::find(order_.begin(), order_.end(), id) != order_.end()) return;
    auto i = entries_.find(id);
    if (i == entries_.end() || i->second->stream) return;
    entries_.erase(i);
  };
  if (e.stream || e.state == StreamState::stopping) {
    do_stop(e, std::move(forget));
  } else {
    forget();
  }
}

}  // namespace camrelay::service
