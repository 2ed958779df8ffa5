// StreamManager: the MQTT side of BCGH cameras (rtp, negotiation "mqtt") that belongs to
// no single camera — the client, its reconnects, the status/answer subscriptions, which
// route each message to the camera's path (path_bcgh.cpp) — and the static RTP ports that
// BCGH sessions must not lease.
#include <boost/asio/post.hpp>

#include "bcgh.hpp"
#include "camera_path.hpp"
#include "camrelay/camera/mqtt_client.hpp"
#include "camrelay/camera/topics.hpp"
#include "camrelay/util/log.hpp"
#include "path_context.hpp"

namespace camrelay::service {
namespace {
auto lg() {
  static auto l = log::get("bcgh");
  return l;
}
}  // namespace

void StreamManager::set_mqtt(std::shared_ptr<camera::MqttClient> mqtt) {
  ctx_->mqtt = std::move(mqtt);
  if (!ctx_->mqtt) return;
  // A broker that comes back: offers that could not be published are sent now.
  ctx_->mqtt->on_connected([w = weak_from_this()] {
    if (auto m = w.lock()) {
      for (const auto& p : m->paths_in_order()) p->on_mqtt_connected();
    }
  });
}

std::string StreamManager::mqtt_health() const {
  if (ctx_->cfg.mqtt.url.empty()) return "disabled";
  if (!ctx_->mqtt) return "disconnected: client not started";
  return ctx_->mqtt->state();
}

std::set<int> StreamManager::static_rtp_ports() const {
  std::set<int> reserved;
  for (const auto& [id, cam] : configs_) {
    if (const auto* r = std::get_if<config::RtpSource>(&cam.source); r && r->negotiation == "static") {
      for (int p = r->video_port; p < r->video_port + 2; ++p) reserved.insert(p);
      if (cam.audio && r->audio_port > 0) {
        reserved.insert(r->audio_port);
        reserved.insert(r->audio_port + 1);
      }
    }
  }
  return reserved;
}

void StreamManager::bcgh_watch(const std::string& id) {
  if (!ctx_->mqtt || watched_.count(id)) return;
  camera::CameraTopics t;
  try {
    t = camera::camera_topics(ctx_->cfg.mqtt, id);
  } catch (const std::exception& ex) {
    lg()->error("camera {}: {}", id, ex.what());
    return;
  }
  watched_.insert(id);
  // Paho's threads: find the camera's path (it may have been removed) and hand it over.
  auto w = weak_from_this();
  ctx_->mqtt->subscribe(t.status, 1, [w, id](const std::string&, const std::string& payload) {
    if (auto m = w.lock()) {
      if (auto p = m->find(id)) p->on_camera_status(payload);
    }
  });
  ctx_->mqtt->subscribe(t.answer, 1, [w, id](const std::string&, const std::string& payload) {
    if (auto m = w.lock()) {
      if (auto p = m->find(id)) p->on_camera_answer(payload);
    }
  });
  lg()->info("camera {}: watching {} and {}", id, t.status, t.answer);
}

}  // namespace camrelay::service
