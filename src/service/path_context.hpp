#pragma once
// Private to the service: what the camera paths share with each other and with the
// registry (StreamManager). Everything here is safe from any thread.
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "camrelay/config/config.hpp"
#include "camrelay/service/reader.hpp"
#include "camrelay/service/recordings.hpp"
#include "camrelay/store/store.hpp"

namespace camrelay::camera {
class MqttClient;
}
namespace camrelay::metrics {
class Metrics;
}

namespace camrelay::service {

class MediaPort;
class PortAllocator;

// Every reader of every camera: the daemon-wide limits (webrtc.max_viewers_total,
// webrtc.max_viewers_per_ip) and which camera a reader id belongs to (signaling and WHEP
// name a viewer, not its camera). A path registers a reader here before it builds it and
// removes it when it drops it.
class ReaderCensus {
 public:
  // A registered reader id: leaves the census when destroyed, unless kept (the reader then
  // owns its entry and leaves when it is dropped). So a join whose reader is never built
  // — a later limit, a bad offer, a failed start — gives its place back by itself.
  class Slot {
   public:
    Slot(ReaderCensus* census, std::string viewer_id) : census_(census), id_(std::move(viewer_id)) {}
    Slot(Slot&& o) noexcept : census_(std::exchange(o.census_, nullptr)), id_(std::move(o.id_)) {}
    Slot& operator=(Slot&&) = delete;
    ~Slot() {
      if (census_) census_->leave(id_);
    }
    const std::string& id() const { return id_; }
    void keep() { census_ = nullptr; }

   private:
    ReaderCensus* census_;
    std::string id_;
  };

  // Registers `viewer_id` for `camera_id` if the limits allow; throws Error
  // (limit_reached, too_many_requests, conflict for an id in use). `max_per_ip` counts
  // WebRTC readers only (0 = no cap).
  [[nodiscard]] Slot join(const std::string& viewer_id, const std::string& camera_id, ReaderKind kind,
                          const std::string& ip, int max_total, int max_per_ip);
  void leave(const std::string& viewer_id);
  std::optional<std::string> camera_of(const std::string& viewer_id) const;
  int total() const;

 private:
  struct Reader {
    std::string camera_id;
    std::string ip;
    bool webrtc = false;
  };
  mutable std::mutex mu_;
  std::map<std::string, Reader> readers_;
};

struct PathContext {
  PathContext(boost::asio::io_context& io_, const config::Config& cfg_, store::Store& store_,
              std::shared_ptr<MediaPort> media_)
      : io(io_), cfg(cfg_), store(store_), media(std::move(media_)) {}
  boost::asio::io_context& io;
  const config::Config& cfg;
  store::Store& store;
  std::shared_ptr<MediaPort> media;
  std::shared_ptr<Recordings> recordings;  // set before boot; nullptr = recording not set up
  ReaderCensus census;
  std::atomic<bool> shutting_down{false};
  // Set before boot() and not changed afterwards.
  std::shared_ptr<camera::MqttClient> mqtt;
  std::shared_ptr<PortAllocator> rtp_ports;  // BCGH cameras' RTP ports (thread-safe)
  std::shared_ptr<metrics::Metrics> metrics;  // nullptr in unit tests (thread-safe)
  // A composed camera's path asks the registry for a reader of one of its input cameras
  // (StreamManager::attach_feed with ReaderKind::composite). Set by the registry's boot();
  // any thread.
  std::function<void(ReaderRequest, std::function<void(std::exception_ptr, std::shared_ptr<RtspReader>)>)>
      attach_input;
};

}  // namespace camrelay::service
