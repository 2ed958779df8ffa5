#include "bcgh.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <random>

#include "camrelay/camera/messages.hpp"
#include "camrelay/camera/sdp.hpp"
#include "camrelay/util/error.hpp"
#include "camrelay/util/ids.hpp"
#include "camrelay/util/log.hpp"

namespace camrelay::service {
namespace {
auto lg() {
  static auto l = log::get("bcgh");
  return l;
}
constexpr int kMaxReofferBackoffS = 30;
double jitter() {  // 0.8 … 1.2
  thread_local std::mt19937 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.8, 1.2)(rng);
}
}  // namespace

bool is_bcgh_camera(const config::Camera& cam) {
  const auto* r = std::get_if<config::RtpSource>(&cam.source);
  return r && r->negotiation == "mqtt";
}

bool udp_ports_free(int first, int count) {
  std::vector<int> fds;
  bool ok = true;
  for (int p = first; p < first + count && ok; ++p) {
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_ANY);
    a.sin_port = htons(static_cast<std::uint16_t>(p));
    ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    fds.push_back(fd);
  }
  for (int fd : fds) ::close(fd);
  return ok;
}

// ---------------------------------------------------------------- PortAllocator

PortAllocator::PortAllocator(int min, int max, std::set<int> reserved)
    : min_(min + (min % 2)), max_(max), reserved_(std::move(reserved)) {}

PortAllocator::Lease::~Lease() {
  if (auto a = a_.lock()) a->release(first_);
}

void PortAllocator::release(int first) {
  std::lock_guard lk(mu_);
  used_.erase(first);
}

std::unique_ptr<PortAllocator::Lease> PortAllocator::allocate(int count, int fixed) {
  std::lock_guard lk(mu_);
  auto clashes = [&](int first) {
    for (const auto& [f, n] : used_) {
      if (first < f + n && f < first + count) return true;
    }
    for (int p = first; p < first + count; ++p) {
      if (reserved_.count(p)) return true;
    }
    return false;
  };
  if (fixed > 0) {
    if (clashes(fixed)) {
      throw Error(Errc::conflict, "UDP ports " + std::to_string(fixed) + ".." + std::to_string(fixed + count - 1) +
                                      " are used by another camera");
    }
    used_[fixed] = count;
    return std::make_unique<Lease>(weak_from_this(), fixed);
  }
  for (int p = min_; p + count - 1 <= max_; p += 2) {
    if (clashes(p) || !udp_ports_free(p, count)) continue;
    used_[p] = count;
    return std::make_unique<Lease>(weak_from_this(), p);
  }
  throw Error(Errc::unavailable, "no free RTP ports in rtp.port_min..port_max (" + std::to_string(min_) + ".." +
                                     std::to_string(max_) + ")");
}

// ---------------------------------------------------------------- helpers

std::string offer_address(const config::Config& cfg) {
  if (!cfg.webrtc.announced_ips.empty()) return cfg.webrtc.announced_ips.front();
  const std::string host = camera::url_host(cfg.mqtt.url);
  std::string a = camera::local_address_toward(host);
  if (a.rfind("127.", 0) == 0 || a == "::1") {
    // A broker on this host says nothing about where cameras are: use the address of the
    // default route (TEST-NET-1 is only used to pick a route; nothing is sent).
    std::string d = camera::local_address_toward("192.0.2.1");
    if (!d.empty()) a = d;
  }
  return a.empty() ? "127.0.0.1" : a;
}

// ---------------------------------------------------------------- BcghSession

BcghSession::BcghSession(BcghStrand& strand, std::shared_ptr<camera::MqttClient> mqtt, Params p,
                         std::shared_ptr<media::RtpLink> link, std::unique_ptr<PortAllocator::Lease> lease,
                         std::function<void(std::string)> lost)
    : strand_(strand),
      mqtt_(std::move(mqtt)),
      p_(std::move(p)),
      link_(std::move(link)),
      lease_(std::move(lease)),
      lost_(std::move(lost)) {}

BcghSession::~BcghSession() = default;

template <class F>
void BcghSession::after(std::unique_ptr<asio::steady_timer>& t, std::chrono::milliseconds d, F&& f) {
  if (t) t->cancel();
  t = std::make_unique<asio::steady_timer>(strand_, d);
  t->async_wait([w = weak_from_this(), f = std::forward<F>(f)](const boost::system::error_code& ec) mutable {
    if (ec) return;
    auto self = w.lock();
    if (!self || self->stopped_) return;
    f(*self);
  });
}

void BcghSession::start() {
  lg()->info("camera {}: BCGH session on UDP {}..{} (offer c={})", p_.camera_id, p_.video_port,
             p_.video_port + (p_.audio ? 3 : 1), p_.address);
  send_offer();
}

void BcghSession::send_offer() {
  session_id_ = random_id("bcgh_");
  answered_ = false;
  offer_pending_ = false;
  publish_offer();
  arm_answer_timer();
}

void BcghSession::publish_offer() {
  camera::OfferParams o;
  o.origin_id = static_cast<std::uint64_t>(unix_now_ms());
  o.address = p_.address;
  o.video_port = p_.video_port;
  o.video_rtcp_port = p_.video_port + 1;
  o.payload_type = p_.payload_type;
  o.codec = p_.codec;
  o.clock_rate = p_.clock_rate;
  o.max_kbps = p_.max_kbps;
  if (p_.audio) {
    o.audio_port = p_.video_port + 2;
    o.audio_rtcp_port = p_.video_port + 3;
  }
  const std::string payload = camera::to_json(camera::SdpMessage{session_id_, camera::build_offer(o)});
  if (mqtt_ && mqtt_->publish(p_.topics.offer, payload, 1, false)) {
    ++offers_sent_;
    lg()->info("camera {}: offer {} published on {}", p_.camera_id, session_id_, p_.topics.offer);
  } else {
    offer_pending_ = true;
    lg()->warn("camera {}: offer {} not published (MQTT {}); will resend when the broker is back", p_.camera_id,
               session_id_, mqtt_ ? mqtt_->state() : "disabled");
  }
}

void BcghSession::arm_answer_timer() {
  after(answer_timer_, std::chrono::seconds(p_.answer_timeout_s), [](BcghSession& s) { s.on_answer_timeout(); });
}

void BcghSession::on_answer_timeout() {
  if (answered_) return;
  // No answer (the camera is booting or gone, the broker is down, the answers are
  // unusable): the stream is wanted, so offers go on with backoff and the stream shows
  // `reconnecting` with the reason; an explicit stop ends it.
  std::string why = "camera did not answer within " + std::to_string(p_.answer_timeout_s) + " s";
  if (offer_pending_ || (mqtt_ && !mqtt_->connected())) {
    why += " (the offer could not be sent: MQTT " + (mqtt_ ? mqtt_->state() : std::string("disabled")) + ")";
  } else if (!last_rejection_.empty()) {
    why += " (last answer rejected: " + last_rejection_ + ")";
  }
  lg()->warn("camera {}: {} to offer {}; trying again", p_.camera_id, why, session_id_);
  recovering_ = true;
  last_error_ = why;
  if (lost_) lost_(why);
  if (recovering_) schedule_reoffer();  // not if the manager saw the camera's video flow (on_source_active)
}

void BcghSession::reject(const std::string& why) {
  ++answers_rejected_;
  last_rejection_ = why;
  lg()->warn("camera {}: rejected answer: {}", p_.camera_id, why);
}

void BcghSession::on_answer(const std::string& payload) {
  if (stopped_) return;
  camera::SdpMessage msg;
  try {
    msg = camera::parse_sdp_message(payload);
  } catch (const std::exception& e) {
    return reject(std::string("bad message: ") + e.what());
  }
  if (msg.session_id != session_id_) {
    return reject("session_id \"" + msg.session_id.substr(0, 64) + "\" does not match the current offer \"" +
                  session_id_ + "\"");
  }
  if (answered_) {
    lg()->debug("camera {}: duplicate answer for {} ignored", p_.camera_id, session_id_);
    return;
  }
  camera::AnswerInfo a;
  try {
    a = camera::parse_answer(msg.sdp, p_.payload_type, p_.codec, p_.clock_rate);
  } catch (const std::exception& e) {
    return reject(std::string("bad SDP: ") + e.what());
  }
  answered_ = true;
  ever_answered_ = true;
  ++answers_accepted_;
  if (answer_timer_) answer_timer_->cancel();
  answer_from_ = a.video.address + ":" + std::to_string(a.video.rtp_port);
  lg()->info("camera {}: answer to {} accepted: RTP from {}, RTCP to {}:{}", p_.camera_id, session_id_, answer_from_,
             a.video.rtcp_address, a.video.rtcp_port);
  answer_audio_.clear();
  std::optional<media::RtpLink::AudioFormat> audio;
  if (p_.audio) {
    if (!a.audio) {
      lg()->info("camera {}: the answer refused the audio (m=audio 0 or none); video only", p_.camera_id);
    } else if (!a.audio_format) {
      lg()->warn("camera {}: the answer's audio is not usable ({}); video only", p_.camera_id, a.audio_error);
    } else {
      const auto& f = *a.audio_format;
      audio = media::RtpLink::AudioFormat{f.payload_type, f.codec, f.clock_rate, f.channels};
      answer_audio_ = f.codec + "/" + std::to_string(f.clock_rate) + " pt " + std::to_string(f.payload_type);
      lg()->info("camera {}: the camera sends {} audio from {}:{}", p_.camera_id, answer_audio_, a.audio->address,
                 a.audio->rtp_port);
    }
  }
  if (link_) {
    link_->set_audio_format(audio);  // before set_camera_rtcp: its listener reads it
    link_->set_camera_rtcp({a.video.rtcp_address, a.video.rtcp_port});
  }
  if (!keepalive_timer_) arm_keepalive();
  if (recovering_) {
    // The camera gets rtp_timeout_s (+1 s) to send again before the next offer.
    after(reoffer_timer_, std::chrono::seconds(p_.rtp_timeout_s + 1), [](BcghSession& s) {
      if (s.recovering_) s.schedule_reoffer();
    });
  }
}

void BcghSession::on_source_lost(const std::string& why) {
  if (stopped_ || recovering_) return;
  recovering_ = true;
  attempt_ = 0;
  lg()->warn("camera {}: {}; sending a fresh offer", p_.camera_id, why);
  ++reoffers_;
  send_offer();
}

void BcghSession::schedule_reoffer() {
  // 1, 2, 4 … 30 s, ±20 % jitter: cameras lost together (a switch reboot) are not
  // re-offered in lockstep.
  const int delay_s = std::min(kMaxReofferBackoffS, 1 << std::min(attempt_, 5));
  const auto delay = std::chrono::milliseconds(static_cast<std::int64_t>(delay_s * 1000 * jitter()));
  ++attempt_;
  next_offer_unix_ms_ = unix_now_ms() + delay.count();
  lg()->info("camera {}: next offer in {} ms (attempt {})", p_.camera_id, delay.count(), attempt_ + 1);
  after(reoffer_timer_, delay, [](BcghSession& s) {
    if (!s.recovering_) return;
    s.next_offer_unix_ms_ = 0;
    ++s.reoffers_;
    s.send_offer();
  });
}

void BcghSession::on_source_active() {
  if (!recovering_) return;
  recovering_ = false;
  attempt_ = 0;
  next_offer_unix_ms_ = 0;
  last_error_.clear();
  if (reoffer_timer_) reoffer_timer_->cancel();
  lg()->info("camera {}: RTP flows again (session {})", p_.camera_id, session_id_);
}

void BcghSession::on_mqtt_connected() {
  if (stopped_ || !offer_pending_) return;
  lg()->info("camera {}: broker is back; sending offer {}", p_.camera_id, session_id_);
  offer_pending_ = false;
  publish_offer();
}

void BcghSession::on_camera_online() {
  // The camera (re)started while we wait for an answer: it missed the offer (sent while
  // it was offline), so offer now instead of at the end of the backoff.
  if (stopped_ || answered_ || offer_pending_) return;
  lg()->info("camera {}: online while waiting for an answer; sending a fresh offer", p_.camera_id);
  attempt_ = 0;
  next_offer_unix_ms_ = 0;
  if (reoffer_timer_) reoffer_timer_->cancel();
  ++reoffers_;
  send_offer();
}

void BcghSession::arm_keepalive() {
  after(keepalive_timer_, std::chrono::seconds(p_.keepalive_interval_s), [](BcghSession& s) {
    s.send_keepalive();
    s.arm_keepalive();
  });
}

void BcghSession::send_keepalive() {
  const std::string payload = camera::to_json(camera::KeepaliveMessage{session_id_, ++seq_});
  if (mqtt_ && mqtt_->publish(p_.topics.keepalive, payload, 1, false)) {
    ++keepalives_sent_;
  } else {
    ++keepalives_failed_;
  }
}

void BcghSession::stop() {
  if (stopped_) return;
  stopped_ = true;
  for (auto* t : {&answer_timer_, &keepalive_timer_, &reoffer_timer_}) {
    if (*t) (*t)->cancel();
  }
  if (mqtt_ && !session_id_.empty()) {
    mqtt_->publish(p_.topics.stop, camera::to_json(camera::StopMessage{session_id_}), 1, false);
    lg()->info("camera {}: stop {} published", p_.camera_id, session_id_);
  }
  if (link_) link_->set_listener(nullptr);
}

model::BcghFigures BcghSession::figures() const {
  model::BcghFigures f;
  f.keepalives_sent = keepalives_sent_;
  f.keepalives_failed = keepalives_failed_;
  f.offers_sent = offers_sent_;
  f.reoffers = reoffers_;
  f.answers_accepted = answers_accepted_;
  f.answers_rejected = answers_rejected_;
  f.session_id = session_id_;
  f.offer_address = p_.address;
  f.answered = answered_;
  if (!last_rejection_.empty()) f.last_answer_rejection = last_rejection_;
  if (!answer_from_.empty()) f.camera_sends_from = answer_from_;
  f.audio = p_.audio;
  if (!answer_audio_.empty()) f.answer_audio = answer_audio_;
  if (recovering_ && !last_error_.empty()) f.last_error = last_error_;
  if (recovering_) f.next_attempt_unix_ms = next_offer_unix_ms_;
  return f;
}

}  // namespace camrelay::service
