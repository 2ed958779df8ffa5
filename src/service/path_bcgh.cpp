// CameraPath: BCGH cameras (rtp, negotiation "mqtt") — the per-start negotiation session,
// answers, and camera offline/online handling. The MQTT subscriptions are the registry's
// (bcgh_manager.cpp), which routes each message to the camera's path.
#include <boost/asio/post.hpp>

#include "camera_path.hpp"
#include "camrelay/camera/messages.hpp"
#include "camrelay/camera/mqtt_client.hpp"
#include "camrelay/util/error.hpp"
#include "camrelay/util/ids.hpp"
#include "camrelay/util/log.hpp"

namespace camrelay::service {
namespace {
auto lg() {
  static auto l = log::get("bcgh");
  return l;
}
}  // namespace

std::shared_ptr<media::RtpLink> CameraPath::bcgh_create(config::Camera& cam) {
  const auto& cfg = ctx_->cfg;
  if (!ctx_->mqtt) throw Error(Errc::unavailable, "camera '" + id_ + "' needs MQTT, which is not configured");
  if (!ctx_->rtp_ports) throw Error(Errc::unavailable, "the daemon is still starting; retry in a moment");
  auto& rtp = std::get<config::RtpSource>(cam.source);
  // Audio is offered only when the camera's audio is on (config `audio`, default true).
  rtp.audio = rtp.audio && cam.audio;
  const int nports = rtp.audio ? 4 : 2;
  auto lease = ctx_->rtp_ports->allocate(nports, rtp.video_port);  // throws: no free ports
  rtp.video_port = lease->first();
  cam.bandwidth = bandwidth_;

  BcghSession::Params p;
  p.camera_id = id_;
  p.topics = camera::camera_topics(cfg.mqtt, id_);
  p.address = offer_address(cfg);
  p.video_port = rtp.video_port;
  p.audio = rtp.audio;
  p.payload_type = rtp.payload_type;
  p.codec = rtp.codec;
  p.clock_rate = rtp.clock_rate;
  p.max_kbps = bandwidth_.max_kbps;
  p.answer_timeout_s = cfg.mqtt.answer_timeout_s;
  p.keepalive_interval_s = cfg.mqtt.keepalive_interval_s;
  p.rtp_timeout_s = rtp.rtp_timeout_s;

  auto link = std::make_shared<media::RtpLink>();
  auto lost = [w = weak_from_this(), gen = gen_](std::string why) {
    if (auto s = w.lock()) s->on_bcgh_no_answer(gen, why);  // already on the strand
  };
  bcgh_ = std::make_shared<BcghSession>(strand_, ctx_->mqtt, std::move(p), link, std::move(lease), std::move(lost));
  return link;
}

// The camera did not answer the current offer. If its video reaches the stream anyway (it
// streams on from an earlier session — the broker was down, its last will said "offline",
// a new session took the same ports), the stream is working: it stays as it is and the
// session stops re-offering. The camera is offered again as soon as its video stops (the
// source is lost). Otherwise the stream is `reconnecting` and the offers go on.
void CameraPath::on_bcgh_no_answer(std::uint64_t gen, const std::string& why) {
  if (gen != gen_) return;
  if (stream_ && bcgh_ && (state_ == StreamState::active || state_ == StreamState::starting)) {
    const auto last = stream_->stats().last_frame_mono_ms;
    if (last && mono_now_ms() - last < kVideoFlowsMs) {
      lg()->info("camera {}: {}, but its video flows: the stream stays {}", id_, why, to_string(state_));
      bcgh_->on_source_active();
      return;
    }
  }
  on_reconnecting(gen, why);
}

void CameraPath::bcgh_stop() {
  if (!bcgh_) return;
  bcgh_->stop();
  bcgh_.reset();  // returns the RTP ports
}

void CameraPath::on_mqtt_connected() {
  post([](CameraPath& p) {
    if (p.bcgh_) p.bcgh_->on_mqtt_connected();  // an offer that could not be published goes out now
  });
}

void CameraPath::on_camera_answer(std::string payload) {
  post([payload = std::move(payload)](CameraPath& p) {
    if (!p.bcgh_) {
      lg()->warn("camera {}: rejected answer: no offer is pending (the stream is {})", p.id_, to_string(p.state_));
      return;
    }
    p.bcgh_->on_answer(payload);
  });
}

void CameraPath::on_camera_status(std::string payload) {
  post([payload = std::move(payload)](CameraPath& p) {
    bool online = false;
    try {
      online = camera::parse_status(payload).online;
    } catch (const std::exception& ex) {
      lg()->warn("camera {}: ignoring status message: {}", p.id_, ex.what());
      return;
    }
    const int before = p.camera_online_;
    p.camera_online_ = online ? 1 : 0;
    if (before != p.camera_online_) lg()->info("camera {}: {}", p.id_, online ? "online" : "offline");
    if (!online) {
      if (is_running(p.state_)) {
        p.set_state(StreamState::error, "camera offline");
        p.do_stop({});  // release the pipeline and the ports; `wanted` stays
      }
      return;
    }
    // Online while a start waits for the camera's answer (the offer went out while it was
    // offline): offer again now.
    if (is_running(p.state_) && p.bcgh_ && before != 1) p.bcgh_->on_camera_online();
    // Online: restart a stream that was wanted (started and not stopped by the user).
    if (!p.wanted_ || is_running(p.state_) || p.retired_ || p.ctx_->shutting_down) return;
    if (p.state_ == StreamState::stopping) {
      // The offline cleanup is still releasing the pipeline: look again shortly.
      auto t = std::make_shared<asio::steady_timer>(p.strand_, std::chrono::milliseconds(300));
      t->async_wait([t, w = p.weak_from_this(), payload](const boost::system::error_code& ec) {
        if (ec) return;
        if (auto s = w.lock()) s->on_camera_status(payload);
      });
      return;
    }
    lg()->info("camera {}: back online; restarting the stream", p.id_);
    try {
      p.do_start(StartOptions{p.bandwidth_.min_kbps, p.bandwidth_.max_kbps});
    } catch (const std::exception& ex) {
      lg()->error("camera {}: restart failed: {}", p.id_, ex.what());
    }
  });
}

}  // namespace camrelay::service
