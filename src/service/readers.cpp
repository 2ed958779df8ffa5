// StreamManager: readers served over plain HTTP (MJPEG, HLS) — admission, viewer rows,
// liveness. WebRTC viewers are in viewers.cpp; the kinds are described in service/reader.hpp.
#include <algorithm>
#include <cmath>

#include "camrelay/media/mjpeg.hpp"
#include "camrelay/util/error.hpp"
#include "camrelay/util/ids.hpp"
#include "camrelay/util/log.hpp"
#include "entry.hpp"

namespace camrelay::service {
namespace {
auto lg() {
  static auto l = log::get("viewers");
  return l;
}
}  // namespace

std::string_view to_string(ReaderKind k) {
  switch (k) {
    case ReaderKind::webrtc: return "webrtc";
    case ReaderKind::whep: return "whep";
    case ReaderKind::hls: return "hls";
    case ReaderKind::mjpeg: return "mjpeg";
  }
  return "unknown";
}

std::string_view protocol_of(ReaderKind k) {
  return is_webrtc(k) ? std::string_view("webrtc") : to_string(k);
}

int hls_reader_idle_s(double target_duration_s) {
  return std::max(10, static_cast<int>(std::ceil(6 * target_duration_s)));
}

MjpegReader::MjpegReader(std::weak_ptr<StreamManager> manager, std::string id,
                         std::shared_ptr<model::PictureFeed> out, std::uint64_t subscription,
                         std::shared_ptr<ReaderCounters> counters)
    : manager_(std::move(manager)), id_(std::move(id)), out_(std::move(out)), sub_(subscription),
      counters_(std::move(counters)) {}

MjpegReader::~MjpegReader() {
  out_->unsubscribe(sub_);
  if (auto m = manager_.lock()) m->remove_viewer(id_, reason_, nullptr);
}

void MjpegReader::count_sent(std::size_t bytes, std::uint64_t skipped) {
  out_->count_sent(1, skipped);
  counters_->bytes_sent.fetch_add(bytes, std::memory_order_relaxed);
  counters_->frames_sent.fetch_add(1, std::memory_order_relaxed);
  counters_->frames_skipped.fetch_add(skipped, std::memory_order_relaxed);
}

ViewerEntry& StreamManager::add_http_reader(Entry& e, ReaderKind kind, const ReaderRequest& req) {
  auto v = std::make_unique<ViewerEntry>();
  v->id = random_id("v_");
  v->camera_id = e.cam.id;
  v->stream_session_id = e.session_id;
  v->kind = kind;
  v->user_agent = req.user_agent.substr(0, 512);
  v->ip = req.ip;
  v->connected_at = unix_now_s();
  v->created_mono_ms = v->last_seen_mono_ms = mono_now_ms();
  v->ever_connected = true;  // an HTTP reader is served from its first request
  v->state = media::PeerState::connected;
  v->counters = std::make_shared<ReaderCounters>();

  store::ViewerSessionRow row;
  row.viewer_id = v->id;
  row.stream_session_id = e.session_id;
  row.camera_id = e.cam.id;
  row.webrtc_endpoint_id = "";  // not a WebRTC endpoint
  row.kind = std::string(to_string(kind));
  row.user_agent = v->user_agent;
  row.ip_address = v->ip;
  row.connected_at = v->connected_at;
  store_.insert_viewer_session(std::move(row));

  lg()->info("viewer {} ({}) joined camera {} from {} ({} viewers)", v->id, to_string(kind), e.cam.id, v->ip,
             e.viewers.size() + 1);
  const std::string id = v->id;
  viewer_camera_[id] = e.cam.id;
  ViewerEntry& ref = *v;
  e.viewers.emplace(id, std::move(v));
  if (!viewer_timer_) viewer_tick();
  return ref;
}

void StreamManager::attach_mjpeg(ReaderRequest req, std::function<void()> wake,
                                 Reply<std::shared_ptr<MjpegReader>> reply) {
  post([req = std::move(req), wake = std::move(wake), reply = std::move(reply)](StreamManager& m) mutable {
    try {
      Entry& e = m.entry(req.camera_id);
      m.admit(e, req.camera_id, ReaderKind::mjpeg);
      if (!e.stream) throw Error(Errc::unavailable, "camera '" + req.camera_id + "' is not running");
      // An output that is closing (idle, or its stream stopping) refuses subscribers: the
      // next call makes a fresh one.
      std::shared_ptr<media::MjpegOutput> out;
      std::uint64_t sub = 0;
      for (int i = 0; i < 3 && !sub; ++i) {
        out = media::mjpeg_output(e.stream);
        if (!out) break;
        sub = out->subscribe(wake);
      }
      if (!sub) throw Error(Errc::unavailable, "camera '" + req.camera_id + "' stopped; retry");
      ViewerEntry& v = m.add_http_reader(e, ReaderKind::mjpeg, req);
      v.on_closed = [c = v.counters, wake](std::string) {
        c->ended.store(true);
        if (wake) wake();
      };
      reply(nullptr, std::make_shared<MjpegReader>(m.weak_from_this(), v.id, std::move(out), sub, v.counters));
    } catch (...) {
      reply(std::current_exception(), nullptr);
    }
  });
}

void StreamManager::hls_request(ReaderRequest req, Reply<std::shared_ptr<ReaderCounters>> reply) {
  post([req = std::move(req), reply = std::move(reply)](StreamManager& m) mutable {
    try {
      Entry& e = m.entry(req.camera_id);
      const std::string key = req.ip + '\n' + req.user_agent.substr(0, 512);
      ViewerEntry* v = nullptr;
      if (auto it = e.hls_clients.find(key); it != e.hls_clients.end()) {
        v = e.viewers.at(it->second).get();
      } else {
        m.admit(e, req.camera_id, ReaderKind::hls);
        v = &m.add_http_reader(e, ReaderKind::hls, req);
        v->client_key = key;
        e.hls_clients[key] = v->id;
      }
      v->last_seen_mono_ms = mono_now_ms();
      v->counters->requests.fetch_add(1, std::memory_order_relaxed);
      reply(nullptr, v->counters);
    } catch (...) {
      reply(std::current_exception(), nullptr);
    }
  });
}

}  // namespace camrelay::service
