// Reader kinds (service/reader.hpp), the MJPEG reader handle and the reader census (the
// daemon-wide limits). Admission and liveness are the camera path's (path_readers.cpp).
#include <algorithm>
#include <cmath>

#include "camrelay/util/error.hpp"
#include "camrelay/util/ids.hpp"
#include "path_context.hpp"

namespace camrelay::service {
std::string_view to_string(ReaderKind k) {
  switch (k) {
    case ReaderKind::webrtc: return "webrtc";
    case ReaderKind::whep: return "whep";
    case ReaderKind::hls: return "hls";
    case ReaderKind::mjpeg: return "mjpeg";
    case ReaderKind::rtsp: return "rtsp";
    case ReaderKind::composite: return "composite";
  }
  return "unknown";
}

std::string_view protocol_of(ReaderKind k) {
  return is_webrtc(k) ? std::string_view("webrtc") : to_string(k);
}

int hls_reader_idle_s(double target_duration_s) {
  return std::max(10, static_cast<int>(std::ceil(6 * target_duration_s)));
}

MjpegReader::MjpegReader(std::string id, std::shared_ptr<model::PictureFeed> out, std::uint64_t subscription,
                         std::shared_ptr<ReaderCounters> counters, std::function<void(std::string)> detach)
    : id_(std::move(id)), out_(std::move(out)), sub_(subscription), counters_(std::move(counters)),
      detach_(std::move(detach)) {}

MjpegReader::~MjpegReader() {
  out_->unsubscribe(sub_);
  if (detach_) detach_(reason_);
}

void MjpegReader::count_sent(std::size_t bytes, std::uint64_t skipped) {
  out_->count_sent(1, skipped);
  counters_->bytes_sent.fetch_add(bytes, std::memory_order_relaxed);
  counters_->frames_sent.fetch_add(1, std::memory_order_relaxed);
  counters_->frames_skipped.fetch_add(skipped, std::memory_order_relaxed);
}

RtspReader::RtspReader(std::string id, std::shared_ptr<model::H264Feed> feed, std::shared_ptr<ReaderCounters> counters,
                       std::function<void(std::string)> detach)
    : id_(std::move(id)), feed_(std::move(feed)), counters_(std::move(counters)), detach_(std::move(detach)) {}

RtspReader::~RtspReader() {
  if (detach_) detach_(reason_);
}

ReaderCensus::Slot ReaderCensus::join(const std::string& viewer_id, const std::string& camera_id, ReaderKind kind,
                                      const std::string& ip, int max_total, int max_per_ip) {
  std::lock_guard lk(mu_);
  if (readers_.count(viewer_id)) throw Error(Errc::conflict, "viewer id already in use");
  const bool webrtc = is_webrtc(kind);
  if (webrtc && max_per_ip > 0 && !ip.empty()) {
    int n = 0;
    for (const auto& [id, r] : readers_) n += r.webrtc && r.ip == ip;
    if (n >= max_per_ip) {
      throw Error(Errc::too_many_requests, "your address already has the maximum of " + std::to_string(max_per_ip) +
                                               " WebRTC viewers (webrtc.max_viewers_per_ip)");
    }
  }
  if (static_cast<int>(readers_.size()) >= max_total) {
    throw Error(Errc::limit_reached, "the server already has the maximum of " + std::to_string(max_total) + " viewers");
  }
  readers_.emplace(viewer_id, Reader{camera_id, ip, webrtc});
  return Slot(this, viewer_id);
}

void ReaderCensus::leave(const std::string& viewer_id) {
  std::lock_guard lk(mu_);
  readers_.erase(viewer_id);
}

std::optional<std::string> ReaderCensus::camera_of(const std::string& viewer_id) const {
  std::lock_guard lk(mu_);
  auto it = readers_.find(viewer_id);
  if (it == readers_.end()) return std::nullopt;
  return it->second.camera_id;
}

int ReaderCensus::total() const {
  std::lock_guard lk(mu_);
  return static_cast<int>(readers_.size());
}

}  // namespace camrelay::service
