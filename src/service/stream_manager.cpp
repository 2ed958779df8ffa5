// StreamManager: the registry — finds the camera's path and routes each call to it; the
// calls that span cameras (list, health, viewers, shutdown) ask every path and gather.
#include "camrelay/service/stream_manager.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>

#include "bcgh.hpp"
#include "camera_path.hpp"
#include "camrelay/util/error.hpp"
#include "camrelay/util/ids.hpp"
#include "camrelay/util/log.hpp"
#include "path_context.hpp"

namespace camrelay::service {
namespace {
auto lg() {
  static auto l = log::get("service");
  return l;
}

// Collects one answer per path and replies once with all of them, in the paths' order.
template <class T>
class Gather {
 public:
  Gather(std::size_t n, std::function<void(std::vector<T>)> done) : out_(n), left_(n), done_(std::move(done)) {}
  void put(std::size_t i, T v) {
    std::function<void(std::vector<T>)> done;
    std::vector<T> out;
    {
      std::lock_guard lk(mu_);
      out_[i] = std::move(v);
      if (--left_ != 0) return;
      done = std::move(done_);
      out = std::move(out_);
    }
    done(std::move(out));
  }

 private:
  std::mutex mu_;
  std::vector<T> out_;
  std::size_t left_;
  std::function<void(std::vector<T>)> done_;
};
}  // namespace

StreamManager::StreamManager(asio::io_context& io, const config::Config& cfg, store::Store& store,
                             std::shared_ptr<MediaPort> media, std::string gst_status)
    : StreamManager(io, cfg, store, std::move(media), std::move(gst_status), cfg.cameras) {}

StreamManager::StreamManager(asio::io_context& io, const config::Config& cfg, store::Store& store,
                             std::shared_ptr<MediaPort> media, std::string gst_status,
                             std::vector<config::Camera> cameras)
    : ctx_(std::make_shared<PathContext>(io, cfg, store, std::move(media))),
      strand_(asio::make_strand(io)),
      gst_status_(std::move(gst_status)),
      boot_mono_ms_(mono_now_ms()) {
  for (const auto& cam : cameras) {
    paths_.emplace(cam.id, std::make_shared<CameraPath>(ctx_, cam));
    configs_.emplace(cam.id, cam);
    order_.push_back(cam.id);
  }
  ctx_->rtp_ports = std::make_shared<PortAllocator>(cfg.rtp.port_min, cfg.rtp.port_max, static_rtp_ports());
}

StreamManager::~StreamManager() = default;

std::shared_ptr<CameraPath> StreamManager::find(const std::string& id) const {
  std::shared_lock lk(mu_);
  auto it = paths_.find(id);
  return it == paths_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<CameraPath>> StreamManager::paths_in_order() const {
  std::shared_lock lk(mu_);
  std::vector<std::shared_ptr<CameraPath>> out;
  for (const auto& id : order_) {
    if (auto it = paths_.find(id); it != paths_.end()) out.push_back(it->second);
  }
  return out;
}

template <class T, class F>
void StreamManager::route(const std::string& camera_id, Reply<T>& reply, F&& f) {
  if (auto p = find(camera_id)) return f(*p);
  // Answered on the registry's strand, never inside the caller's call.
  post([reply = std::move(reply), camera_id](StreamManager&) {
    reply(std::make_exception_ptr(Error(Errc::not_found, "unknown camera '" + camera_id + "'")), T{});
  });
}

std::string StreamManager::first_camera() const {
  std::shared_lock lk(mu_);
  return order_.empty() ? std::string() : order_.front();
}

void StreamManager::boot() {
  // Composed cameras read their inputs through the registry (a reader of the input's path).
  ctx_->attach_input = [w = weak_from_this()](ReaderRequest req, Reply<std::shared_ptr<RtspReader>> reply) {
    auto m = w.lock();
    if (!m) return reply(std::make_exception_ptr(Error(Errc::unavailable, "the daemon is shutting down")), nullptr);
    const std::string id = req.camera_id;
    m->route(id, reply, [&](CameraPath& p) { p.attach_feed(std::move(req), ReaderKind::composite, std::move(reply)); });
  };
  post([](StreamManager& m) {
    std::vector<std::string> bcgh;
    {
      std::shared_lock lk(m.mu_);
      m.ctx_->store.sync_cameras(m.camera_rows());
      for (const auto& [id, cam] : m.configs_) {
        if (is_bcgh_camera(cam)) bcgh.push_back(id);
      }
    }
    for (const auto& id : bcgh) m.bcgh_watch(id);
    for (const auto& p : m.paths_in_order()) p->boot();
  });
}

void StreamManager::start(std::string camera_id, StartOptions opts, Reply<StreamInfo> reply) {
  route(camera_id, reply, [&](CameraPath& p) { p.start(opts, std::move(reply)); });
}

void StreamManager::stop(std::string camera_id, Reply<StreamInfo> reply) {
  route(camera_id, reply, [&](CameraPath& p) { p.stop(std::move(reply)); });
}

void StreamManager::set_recordings(std::shared_ptr<Recordings> recordings) {
  ctx_->recordings = std::move(recordings);
}

void StreamManager::set_metrics(std::shared_ptr<metrics::Metrics> metrics) { ctx_->metrics = std::move(metrics); }

std::shared_ptr<Recordings> StreamManager::recordings() const { return ctx_->recordings; }

void StreamManager::record_start(std::string camera_id, RecordOptions opts, Reply<StreamInfo> reply) {
  route(camera_id, reply, [&](CameraPath& p) { p.record_start(opts, std::move(reply)); });
}

void StreamManager::record_stop(std::string camera_id, Reply<StreamInfo> reply) {
  route(camera_id, reply, [&](CameraPath& p) { p.record_stop(std::move(reply)); });
}

void StreamManager::recording_space_changed() {
  for (const auto& p : paths_in_order()) p->record_space_changed();
}

void StreamManager::get(std::string camera_id, Reply<StreamInfo> reply) {
  route(camera_id, reply, [&](CameraPath& p) { p.get(std::move(reply)); });
}

void StreamManager::outputs(std::string camera_id, bool start_if_stopped,
                            Reply<std::shared_ptr<StreamOutputs>> reply) {
  route(camera_id, reply, [&](CameraPath& p) { p.outputs(start_if_stopped, std::move(reply)); });
}

void StreamManager::add_viewer(ViewerRequest req, Reply<ViewerInfo> reply) {
  const std::string id = req.camera_id;
  route(id, reply, [&](CameraPath& p) { p.add_viewer(std::move(req), std::move(reply)); });
}

void StreamManager::attach_rtsp(ReaderRequest req, Reply<std::shared_ptr<RtspReader>> reply) {
  const std::string id = req.camera_id;
  route(id, reply, [&](CameraPath& p) { p.attach_rtsp(std::move(req), std::move(reply)); });
}

void StreamManager::attach_mjpeg(ReaderRequest req, std::function<void()> wake,
                                 Reply<std::shared_ptr<MjpegReader>> reply) {
  const std::string id = req.camera_id;
  route(id, reply, [&](CameraPath& p) { p.attach_mjpeg(std::move(req), std::move(wake), std::move(reply)); });
}

void StreamManager::hls_request(ReaderRequest req, Reply<std::shared_ptr<ReaderCounters>> reply) {
  const std::string id = req.camera_id;
  route(id, reply, [&](CameraPath& p) { p.hls_request(std::move(req), std::move(reply)); });
}

void StreamManager::viewer_answer(std::string viewer_id, std::string sdp, Reply<bool> reply) {
  const auto cam = ctx_->census.camera_of(viewer_id);
  if (auto p = cam ? find(*cam) : nullptr) return p->viewer_answer(std::move(viewer_id), std::move(sdp), std::move(reply));
  post([reply = std::move(reply), viewer_id](StreamManager&) {
    reply(std::make_exception_ptr(Error(Errc::not_found, "unknown viewer '" + viewer_id + "'")), false);
  });
}

void StreamManager::viewer_candidate(std::string viewer_id, unsigned mline, std::string candidate, std::string mid) {
  const auto cam = ctx_->census.camera_of(viewer_id);
  if (auto p = cam ? find(*cam) : nullptr) {
    p->viewer_candidate(std::move(viewer_id), mline, std::move(candidate), std::move(mid));
  }
}

void StreamManager::remove_viewer(std::string viewer_id, std::string reason, Reply<bool> reply) {
  const auto cam = ctx_->census.camera_of(viewer_id);
  if (auto p = cam ? find(*cam) : nullptr) {
    return p->remove_viewer(std::move(viewer_id), std::move(reason), std::move(reply));
  }
  if (!reply) return;
  post([reply = std::move(reply), viewer_id](StreamManager&) {
    reply(std::make_exception_ptr(Error(Errc::not_found, "unknown viewer '" + viewer_id + "'")), false);
  });
}

void StreamManager::list(Reply<std::vector<StreamInfo>> reply) {
  auto paths = paths_in_order();
  if (paths.empty()) {
    return post([reply = std::move(reply)](StreamManager&) { reply(nullptr, {}); });
  }
  auto g = std::make_shared<Gather<StreamInfo>>(paths.size(), [reply = std::move(reply)](std::vector<StreamInfo> v) {
    reply(nullptr, std::move(v));
  });
  for (std::size_t i = 0; i < paths.size(); ++i) {
    paths[i]->get([g, i](std::exception_ptr, StreamInfo info) { g->put(i, std::move(info)); });
  }
}

void StreamManager::list_viewers(std::string camera_id, Reply<std::vector<ViewerInfo>> reply) {
  if (!camera_id.empty()) {
    return route(camera_id, reply, [&](CameraPath& p) { p.list_viewers(std::move(reply)); });
  }
  auto paths = paths_in_order();
  if (paths.empty()) {
    return post([reply = std::move(reply)](StreamManager&) { reply(nullptr, {}); });
  }
  using Part = std::vector<ViewerInfo>;
  auto g = std::make_shared<Gather<Part>>(paths.size(), [reply = std::move(reply)](std::vector<Part> parts) {
    Part all;
    for (auto& part : parts) std::move(part.begin(), part.end(), std::back_inserter(all));
    reply(nullptr, std::move(all));
  });
  for (std::size_t i = 0; i < paths.size(); ++i) {
    paths[i]->list_viewers([g, i](std::exception_ptr, Part v) { g->put(i, std::move(v)); });
  }
}

std::vector<std::string> StreamManager::h264_encoders() const { return ctx_->media->h264_encoders(); }

void StreamManager::health(Reply<HealthInfo> reply) {
  auto finish = [w = weak_from_this(), reply = std::move(reply)](std::vector<StreamInfo> infos) {
    auto m = w.lock();
    if (!m) return;
    HealthInfo h;
    for (const auto& i : infos) {
      h.active_streams += i.state == StreamState::active;
      if (i.recording.state == "paused" || i.recording.state == "retrying") {
        h.recording_errors[i.camera_id] = i.recording.error;
      }
      if (i.stalled) h.stalled_streams.push_back(i.camera_id);
    }
    if (m->ctx_->recordings) h.recording_disk = m->ctx_->recordings->disk();
    h.total_viewers = m->ctx_->census.total();
    h.uptime_s = double(mono_now_ms() - m->boot_mono_ms_) / 1000.0;
    h.gstreamer = m->gst_status_;
    h.database = m->ctx_->store.healthy() ? "ok" : "error: " + m->ctx_->store.last_error();
    h.mqtt = m->mqtt_health();
    const bool ok = m->ctx_->store.healthy() && m->gst_status_.rfind("ok", 0) == 0 &&
                    (h.mqtt == "disabled" || h.mqtt == "connected") && h.recording_errors.empty() &&
                    h.stalled_streams.empty();
    h.status = ok ? "healthy" : "degraded";
    reply(nullptr, h);
  };
  list([finish = std::move(finish)](std::exception_ptr, std::vector<StreamInfo> infos) { finish(std::move(infos)); });
}

void StreamManager::shutdown(int timeout_ms, std::function<void()> done) {
  post([timeout_ms, done = std::move(done)](StreamManager& m) mutable {
    m.ctx_->shutting_down = true;
    auto paths = m.paths_in_order();
    struct State {
      std::mutex mu;
      std::size_t left = 0;
      std::function<void()> done;
    };
    auto st = std::make_shared<State>();
    st->left = paths.size();
    st->done = std::move(done);
    auto finish = [st] {
      std::function<void()> d;
      {
        std::lock_guard lk(st->mu);
        d = std::move(st->done);
      }
      if (d) d();
    };
    if (paths.empty()) return finish();
    for (const auto& p : paths) {
      p->retire([st, finish] {
        bool last = false;
        {
          std::lock_guard lk(st->mu);
          last = --st->left == 0;
        }
        if (last) finish();
      });
    }
    auto t = std::make_shared<asio::steady_timer>(m.strand_, std::chrono::milliseconds(timeout_ms));
    t->async_wait([t, finish](const boost::system::error_code& ec) {
      if (ec) return;
      lg()->warn("shutdown: pipelines did not stop in time; exiting anyway");
      finish();
    });
  });
}

}  // namespace camrelay::service
