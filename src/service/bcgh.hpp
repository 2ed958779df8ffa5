#pragma once
// BCGH cameras (seed 000): the per-camera negotiation session over MQTT and the RTP port
// allocator. Private to the service module; a session runs on its camera path's strand, the
// allocator is shared by all paths (thread-safe).
//
// A session: offer (cameras/{id}/stream/offer, QoS 1) → wait for the answer with the same
// session_id (mqtt.answer_timeout_s; none → the stream fails with "camera did not answer")
// → tell the RTP source where the camera wants RTCP (media::RtpLink) → keepalive every
// mqtt.keepalive_interval_s → on RTP loss a fresh offer with backoff until RTP flows again
// → on stop a stop message. See docs/mqtt.md.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <memory>
#include <optional>
#include <set>
#include <string>


#include "camrelay/camera/mqtt_client.hpp"
#include "camrelay/camera/topics.hpp"
#include "camrelay/config/config.hpp"
#include "camrelay/media/rtp_link.hpp"
#include "camrelay/model/source_figures.hpp"

namespace camrelay::service {

namespace asio = boost::asio;
using BcghStrand = asio::strand<asio::io_context::executor_type>;

// True for an `rtp` camera with negotiation "mqtt".
bool is_bcgh_camera(const config::Camera& cam);

// Whether UDP ports [first, first+count) can be bound on 0.0.0.0 right now.
bool udp_ports_free(int first, int count);

// Port blocks from rtp.port_min..port_max: video RTP on an even port, RTCP +1,
// audio +2/+3. Ports of static RTP cameras are never handed out.
class PortAllocator : public std::enable_shared_from_this<PortAllocator> {
 public:
  PortAllocator(int min, int max, std::set<int> reserved);

  // A lease returns its block when destroyed.
  class Lease {
   public:
    Lease(std::weak_ptr<PortAllocator> a, int first) : a_(std::move(a)), first_(first) {}
    ~Lease();
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    int first() const { return first_; }

   private:
    std::weak_ptr<PortAllocator> a_;
    int first_;
  };

  // The first free even port of a block of `count` ports (unused by us and bindable).
  // `fixed` > 0 asks for exactly that block. Throws Error(unavailable/conflict).
  std::unique_ptr<Lease> allocate(int count, int fixed = 0);
  // Ports never handed out (static RTP cameras'), e.g. after a configuration reload.
  void set_reserved(std::set<int> reserved) {
    std::lock_guard lk(mu_);
    reserved_ = std::move(reserved);
  }

 private:
  friend class Lease;
  void release(int first);
  int min_, max_;
  std::mutex mu_;  // cameras lease ports from their own strands
  std::set<int> reserved_;
  std::map<int, int> used_;  // first port -> count
};

// The c= address of offers: webrtc.announced_ips[0] (EXTERNAL_IP), else the local address
// toward the broker, else (loopback broker) toward the default route, else 127.0.0.1.
std::string offer_address(const config::Config& cfg);

class BcghSession : public std::enable_shared_from_this<BcghSession> {
 public:
  struct Params {
    std::string camera_id;
    camera::CameraTopics topics;
    std::string address;  // c= of the offer
    int video_port = 0;
    bool audio = false;
    int payload_type = 96;
    std::string codec = "H264";
    int clock_rate = 90000;
    int max_kbps = 0;
    int answer_timeout_s = 10;
    int keepalive_interval_s = 10;
    int rtp_timeout_s = 5;
  };

  // `fail` runs on the strand when the stream must go to error (no answer at first).
  BcghSession(BcghStrand& strand, std::shared_ptr<camera::MqttClient> mqtt, Params p,
              std::shared_ptr<media::RtpLink> link, std::unique_ptr<PortAllocator::Lease> lease,
              std::function<void(std::string)> fail);
  ~BcghSession();

  void start();  // the first offer
  void stop();   // stop message; no more timers

  void on_answer(const std::string& payload);
  void on_source_lost(const std::string& why);  // RTP stopped: fresh offers with backoff
  void on_source_active();                      // RTP flows (again)
  void on_mqtt_connected();                     // resend an offer that could not be published
  void on_camera_online();                      // not answered yet: a fresh offer now

  model::BcghFigures figures() const;
  const std::string& session_id() const { return session_id_; }

 private:
  void send_offer();
  void publish_offer();
  void arm_answer_timer();
  void on_answer_timeout();
  void schedule_reoffer();
  void arm_keepalive();
  void send_keepalive();
  void reject(const std::string& why);
  template <class F>
  void after(std::unique_ptr<asio::steady_timer>& t, std::chrono::milliseconds d, F&& f);

  BcghStrand& strand_;
  std::shared_ptr<camera::MqttClient> mqtt_;
  Params p_;
  std::shared_ptr<media::RtpLink> link_;
  std::unique_ptr<PortAllocator::Lease> lease_;
  std::function<void(std::string)> lost_;  // no answer: the stream shows reconnecting

  std::string session_id_;       // of the current offer
  bool stopped_ = false;
  bool answered_ = false;        // the current offer has been answered
  bool ever_answered_ = false;
  bool offer_pending_ = false;   // could not be published (broker down): resend on connect
  bool recovering_ = false;      // RTP lost: re-offering
  int attempt_ = 0;              // re-offer attempts in this loss episode
  std::int64_t next_offer_unix_ms_ = 0;  // when the next re-offer goes out (0: none scheduled)
  std::string last_error_;       // why the camera is being re-offered
  std::uint64_t seq_ = 0;
  std::uint64_t offers_sent_ = 0, answers_accepted_ = 0, answers_rejected_ = 0;
  std::uint64_t keepalives_sent_ = 0, keepalives_failed_ = 0, reoffers_ = 0;
  std::string last_rejection_;
  std::string answer_audio_;  // "OPUS/48000 pt 111" from the accepted answer
  std::string answer_from_;      // "host:port" the camera said it sends from
  std::unique_ptr<asio::steady_timer> answer_timer_, keepalive_timer_, reoffer_timer_;
};

}  // namespace camrelay::service
