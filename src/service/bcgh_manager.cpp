// StreamManager: BCGH cameras (rtp, negotiation "mqtt") — the MQTT subscriptions for
// answers and presence, the per-start session, and camera offline/online handling.
#include <boost/asio/post.hpp>

#include "camrelay/camera/messages.hpp"
#include "camrelay/camera/mqtt_client.hpp"
#include "camrelay/util/error.hpp"
#include "camrelay/util/ids.hpp"
#include "camrelay/util/log.hpp"
#include "entry.hpp"

namespace camrelay::service {
namespace {
auto lg() {
  static auto l = log::get("bcgh");
  return l;
}
}  // namespace

void StreamManager::set_mqtt(std::shared_ptr<camera::MqttClient> mqtt) {
  mqtt_ = std::move(mqtt);
  if (!mqtt_) return;
  // A broker that comes back: offers that could not be published are sent now.
  mqtt_->on_connected([w = weak_from_this()] {
    if (auto s = w.lock()) {
      s->post([](StreamManager& m) {
        for (auto& [id, e] : m.entries_) {
          if (e->bcgh) e->bcgh->on_mqtt_connected();
        }
      });
    }
  });
}

std::string StreamManager::mqtt_health() const {
  if (cfg_.mqtt.url.empty()) return "disabled";
  if (!mqtt_) return "disconnected: client not started";
  return mqtt_->state();
}

std::set<int> StreamManager::static_rtp_ports() const {
  std::set<int> reserved;
  for (const auto& [id, e] : entries_) {
    const auto& cam = e->cam;
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

void StreamManager::bcgh_boot() {
  rtp_ports_ = std::make_shared<PortAllocator>(cfg_.rtp.port_min, cfg_.rtp.port_max, static_rtp_ports());
  for (auto& [id, e] : entries_) {
    if (is_bcgh_camera(e->cam)) bcgh_watch(id);
  }
}

void StreamManager::bcgh_watch(const std::string& id) {
  if (!mqtt_ || watched_.count(id)) return;
  camera::CameraTopics t;
  try {
    t = camera::camera_topics(cfg_.mqtt, id);
  } catch (const std::exception& ex) {
    lg()->error("camera {}: {}", id, ex.what());
    return;
  }
  watched_.insert(id);
  auto w = weak_from_this();
  mqtt_->subscribe(t.status, 1, [w, id](const std::string&, const std::string& payload) {
    if (auto s = w.lock()) s->post([id, payload](StreamManager& m) { m.on_camera_status(id, payload); });
  });
  mqtt_->subscribe(t.answer, 1, [w, id](const std::string&, const std::string& payload) {
    if (auto s = w.lock()) s->post([id, payload](StreamManager& m) { m.on_camera_answer(id, payload); });
  });
  lg()->info("camera {}: watching {} and {}", id, t.status, t.answer);
}

std::shared_ptr<media::RtpLink> StreamManager::bcgh_create(Entry& e, config::Camera& cam) {
  if (!mqtt_) throw Error(Errc::unavailable, "camera '" + e.cam.id + "' needs MQTT, which is not configured");
  if (!rtp_ports_) throw Error(Errc::unavailable, "the daemon is still starting; retry in a moment");
  auto& rtp = std::get<config::RtpSource>(cam.source);
  // Audio is offered only when the camera's audio is on (config `audio`, default true).
  rtp.audio = rtp.audio && cam.audio;
  const int nports = rtp.audio ? 4 : 2;
  auto lease = rtp_ports_->allocate(nports, rtp.video_port);  // throws: no free ports
  rtp.video_port = lease->first();
  cam.bandwidth = e.bandwidth;

  BcghSession::Params p;
  p.camera_id = e.cam.id;
  p.topics = camera::camera_topics(cfg_.mqtt, e.cam.id);
  p.address = offer_address(cfg_);
  p.video_port = rtp.video_port;
  p.audio = rtp.audio;
  p.payload_type = rtp.payload_type;
  p.codec = rtp.codec;
  p.clock_rate = rtp.clock_rate;
  p.max_kbps = e.bandwidth.max_kbps;
  p.answer_timeout_s = cfg_.mqtt.answer_timeout_s;
  p.keepalive_interval_s = cfg_.mqtt.keepalive_interval_s;
  p.rtp_timeout_s = rtp.rtp_timeout_s;

  auto link = std::make_shared<media::RtpLink>();
  const std::string id = e.cam.id;
  const std::uint64_t gen = e.gen;
  auto lost = [w = weak_from_this(), id, gen](std::string why) {
    if (auto s = w.lock()) s->on_bcgh_no_answer(id, gen, why);  // already on the strand
  };
  e.bcgh = std::make_shared<BcghSession>(strand_, mqtt_, std::move(p), link, std::move(lease), std::move(lost));
  return link;
}

// The camera did not answer the current offer. If its video reaches the stream anyway (it
// streams on from an earlier session — the broker was down, its last will said "offline",
// a new session took the same ports), the stream is working: it stays as it is and the
// session stops re-offering. The camera is offered again as soon as its video stops (the
// source is lost). Otherwise the stream is `reconnecting` and the offers go on.
void StreamManager::on_bcgh_no_answer(const std::string& id, std::uint64_t gen, const std::string& why) {
  auto it = entries_.find(id);
  if (it == entries_.end() || it->second->gen != gen) return;
  Entry& e = *it->second;
  if (e.stream && e.bcgh && (e.state == StreamState::active || e.state == StreamState::starting)) {
    const auto last = e.stream->stats().last_frame_mono_ms;
    if (last && mono_now_ms() - last < kVideoFlowsMs) {
      lg()->info("camera {}: {}, but its video flows: the stream stays {}", id, why, to_string(e.state));
      e.bcgh->on_source_active();
      return;
    }
  }
  on_reconnecting(id, gen, why);
}

void StreamManager::bcgh_stop(Entry& e) {
  if (!e.bcgh) return;
  e.bcgh->stop();
  e.bcgh.reset();  // returns the RTP ports
}

void StreamManager::on_camera_answer(const std::string& id, const std::string& payload) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  Entry& e = *it->second;
  if (!e.bcgh) {
    lg()->warn("camera {}: rejected answer: no offer is pending (the stream is {})", id, to_string(e.state));
    return;
  }
  e.bcgh->on_answer(payload);
}

void StreamManager::on_camera_status(const std::string& id, const std::string& payload) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  Entry& e = *it->second;
  bool online = false;
  try {
    online = camera::parse_status(payload).online;
  } catch (const std::exception& ex) {
    lg()->warn("camera {}: ignoring status message: {}", id, ex.what());
    return;
  }
  const int before = e.camera_online;
  e.camera_online = online ? 1 : 0;
  if (before != e.camera_online) lg()->info("camera {}: {}", id, online ? "online" : "offline");
  if (!online) {
    if (is_running(e.state)) {
      set_state(e, StreamState::error, "camera offline");
      do_stop(e, {});  // release the pipeline and the ports; `wanted` stays
    }
    return;
  }
  // Online while a start waits for the camera's answer (the offer went out while it was
  // offline): offer again now.
  if (is_running(e.state) && e.bcgh && before != 1) e.bcgh->on_camera_online();
  // Online: restart a stream that was wanted (started and not stopped by the user).
  if (!e.wanted || is_running(e.state) || shutting_down_) return;
  if (e.state == StreamState::stopping) {
    // The offline cleanup is still releasing the pipeline: look again shortly.
    auto t = std::make_shared<asio::steady_timer>(strand_, std::chrono::milliseconds(300));
    t->async_wait([t, w = weak_from_this(), id, payload](const boost::system::error_code& ec) {
      if (ec) return;
      if (auto s = w.lock()) s->on_camera_status(id, payload);
    });
    return;
  }
  lg()->info("camera {}: back online; restarting the stream", id);
  try {
    do_start(e, StartOptions{e.bandwidth.min_kbps, e.bandwidth.max_kbps});
  } catch (const std::exception& ex) {
    lg()->error("camera {}: restart failed: {}", id, ex.what());
  }
}

}  // namespace camrelay::service
