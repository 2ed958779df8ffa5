#include "camrelay/service/stream_manager.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>

#include "camrelay/util/error.hpp"
#include "camrelay/util/ids.hpp"
#include "camrelay/util/log.hpp"
#include "entry.hpp"

namespace camrelay::service {
namespace {
auto lg() {
  static auto l = log::get("service");
  return l;
}
// A stream that has produced no frame after this long has failed to start.
constexpr int kStartTimeoutS = 20;
}  // namespace


StreamManager::StreamManager(asio::io_context& io, const config::Config& cfg, store::Store& store,
                             gst::LoopPool& loops, std::string gst_status)
    : io_(io),
      strand_(asio::make_strand(io)),
      cfg_(cfg),
      store_(store),
      gst_status_(std::move(gst_status)),
      boot_mono_ms_(mono_now_ms()),
      loops_(loops) {
  std::vector<std::string> ids;
  for (const auto& cam : cfg_.cameras) {
    auto e = std::make_unique<Entry>();
    e->cam = cam;
    e->bandwidth = cam.bandwidth;
    entries_.emplace(cam.id, std::move(e));
    ids.push_back(cam.id);
  }
  set_order(std::move(ids));
}

StreamManager::~StreamManager() = default;

void StreamManager::boot() {
  post([](StreamManager& self) {
    self.store_.sync_cameras(self.camera_rows());
    self.bcgh_boot();  // RTP port allocator, MQTT subscriptions of BCGH cameras
    self.bitrate_tick();
    for (auto& [id, e] : self.entries_) {
      if (e->cam.auto_start) {
        lg()->info("camera {}: auto_start", id);
        self.do_start(*e, {});
      }
    }
  });
}

gst::MainLoop& StreamManager::camera_loop(const std::string& id) { return loops_.get(id); }

StreamManager::Entry& StreamManager::entry(const std::string& id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) throw Error(Errc::not_found, "unknown camera '" + id + "'");
  return *it->second;
}

void StreamManager::set_state(Entry& e, StreamState s, std::string error) {
  if (e.state == s) return;
  if (!can_transition(e.state, s)) {
    lg()->warn("camera {}: ignoring transition {} -> {}", e.cam.id, to_string(e.state), to_string(s));
    return;
  }
  lg()->info("camera {}: {} -> {}{}{}", e.cam.id, to_string(e.state), to_string(s),
             error.empty() ? "" : ": ", error);
  e.state = s;
  if (s == StreamState::error || s == StreamState::reconnecting) {
    e.error = std::move(error);
  } else if (s == StreamState::starting || s == StreamState::active) {
    e.error.clear();
  }
  const std::int64_t now = unix_now_s();
  std::optional<std::int64_t> ended;
  std::optional<std::string> msg;
  if (s == StreamState::stopped || s == StreamState::error) {
    ended = now;
    e.stopped_at = now;
  }
  if (!e.error.empty()) msg = e.error;
  if (!e.session_id.empty()) {
    store_.update_stream_session(e.session_id, std::string(to_string(s)), now, ended, msg);
  }
}

void StreamManager::do_start(Entry& e, const StartOptions& opts) {
  if (shutting_down_) throw Error(Errc::unavailable, "the daemon is shutting down");
  config::Bandwidth bw = e.cam.bandwidth;
  if (opts.min_kbps) bw.min_kbps = *opts.min_kbps;
  if (opts.max_kbps) bw.max_kbps = *opts.max_kbps;
  if (bw.min_kbps < 1 || bw.max_kbps < bw.min_kbps || bw.max_kbps > 1000000) {
    throw Error(Errc::invalid_argument,
                "bandwidth: need 1 <= min_bandwidth <= max_bandwidth <= 1000000 kbps (got " +
                    std::to_string(bw.min_kbps) + ".." + std::to_string(bw.max_kbps) + ")");
  }
  e.bandwidth = bw;
  e.gen++;
  config::Camera cam = e.cam;  // BCGH: + the allocated RTP port and the start's bandwidth
  auto rtp_link = is_bcgh_camera(e.cam) ? bcgh_create(e, cam) : nullptr;  // throws: no free ports
  e.session_id = random_id("ss_");
  e.started_at = unix_now_s();
  e.start_mono_ms = mono_now_ms();
  e.stopped_at = 0;
  e.last_stats = {};
  const std::string id = e.cam.id;
  const std::uint64_t gen = e.gen;

  media::StreamCallbacks cb;
  auto w = weak_from_this();
  cb.on_active = [w, id, gen] {
    if (auto s = w.lock()) s->post([id, gen](StreamManager& m) { m.on_active(id, gen); });
  };
  cb.on_error = [w, id, gen](std::string why) {
    if (auto s = w.lock())
      s->post([id, gen, why = std::move(why)](StreamManager& m) { m.on_failed(id, gen, why); });
  };
  cb.on_reconnecting = [w, id, gen](std::string why) {
    if (auto s = w.lock())
      s->post([id, gen, why = std::move(why)](StreamManager& m) { m.on_reconnecting(id, gen, why); });
  };
  cb.on_viewer_error = [w](std::string vid, std::string why) {
    if (auto s = w.lock())
      s->post([vid = std::move(vid), why = std::move(why)](StreamManager& m) { m.on_viewer_error(vid, why); });
  };
  e.stream = media::Stream::create(camera_loop(cam.id), cfg_, cam, std::move(cb));
  if (rtp_link) e.stream->set_rtp_link(std::move(rtp_link));

  store::StreamSessionRow row;
  row.session_id = e.session_id;
  row.camera_id = id;
  row.pipeline_id = e.stream->pipeline_name();
  if (const auto* rtp = std::get_if<config::RtpSource>(&cam.source)) {
    row.rtp_endpoint_id = "udp:" + std::to_string(rtp->video_port);  // the RTP receiver's port
  }
  row.stream_id = id;
  row.status = "starting";
  row.created_at = row.updated_at = e.started_at;
  row.min_kbps = bw.min_kbps;
  row.max_kbps = bw.max_kbps;
  store_.insert_stream_session(std::move(row));
  // insert already carries 'starting'; record the in-memory transition without a 2nd write.
  lg()->info("camera {}: {} -> starting (session {})", id, to_string(e.state), e.session_id);
  e.state = StreamState::starting;
  e.error.clear();

  e.start_timer = std::make_unique<asio::steady_timer>(strand_, std::chrono::seconds(kStartTimeoutS));
  e.start_timer->async_wait([w, id, gen](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto s = w.lock()) {
      s->on_failed(id, gen, "no video from the source within " + std::to_string(kStartTimeoutS) + " s");
    }
  });
  e.stream->start();
  if (e.bcgh) e.bcgh->start();  // the offer: the RTP ports are being opened on the GLib thread
  e.wanted = true;
}

void StreamManager::do_stop(Entry& e, std::function<void()> stopped) {
  if (stopped) e.on_stopped.push_back(std::move(stopped));
  if (e.state == StreamState::stopping) return;  // already on its way
  if (e.start_timer) e.start_timer->cancel();
  bcgh_stop(e);  // stop message to a BCGH camera
  drop_all_viewers(e, e.state == StreamState::error ? "stream failed: " + e.error : "stream stopped");
  auto stream = std::move(e.stream);
  if (!stream) {
    auto waiters = std::move(e.on_stopped);
    for (auto& f : waiters) f();
    return;
  }
  e.last_stats = stream->stats();
  const bool failed = e.state == StreamState::error;
  if (!failed) set_state(e, StreamState::stopping);
  const std::string id = e.cam.id;
  const std::uint64_t gen = e.gen;
  auto w = weak_from_this();
  stream->stop([w, id, gen, failed, stream] {
    // GLib thread: the pipeline is released. Hand the result back to the strand.
    if (auto s = w.lock()) {
      s->post([id, gen, failed](StreamManager& m) {
        auto it = m.entries_.find(id);
        if (it == m.entries_.end()) return;
        Entry& e = *it->second;
        if (e.gen != gen) return;
        if (!failed) m.set_state(e, StreamState::stopped);
        auto waiters = std::move(e.on_stopped);
        for (auto& f : waiters) f();
      });
    }
  });
}

void StreamManager::on_active(const std::string& id, std::uint64_t gen) {
  auto it = entries_.find(id);
  if (it == entries_.end() || it->second->gen != gen) return;
  Entry& e = *it->second;
  if (e.start_timer) e.start_timer->cancel();
  if (e.state == StreamState::starting || e.state == StreamState::reconnecting) {
    set_state(e, StreamState::active);
  }
  if (e.bcgh) e.bcgh->on_source_active();
}

void StreamManager::on_failed(const std::string& id, std::uint64_t gen, const std::string& why) {
  auto it = entries_.find(id);
  if (it == entries_.end() || it->second->gen != gen) return;
  Entry& e = *it->second;
  if (!is_running(e.state)) return;
  set_state(e, StreamState::error, why);
  do_stop(e, {});  // release the pipeline; the state stays `error`
}

void StreamManager::on_reconnecting(const std::string& id, std::uint64_t gen, const std::string& why) {
  auto it = entries_.find(id);
  if (it == entries_.end() || it->second->gen != gen) return;
  Entry& e = *it->second;
  // The source retries on its own (backoff): not a failed start, so no start timeout.
  if (e.start_timer) e.start_timer->cancel();
  if (e.state == StreamState::active || e.state == StreamState::starting) {
    set_state(e, StreamState::reconnecting, why);
  } else if (e.state == StreamState::reconnecting) {
    e.error = why;
  }
  if (e.bcgh && is_running(e.state)) e.bcgh->on_source_lost(why);  // a fresh offer
}

StreamInfo StreamManager::info(const Entry& e) const {
  StreamInfo i;
  i.camera_id = e.cam.id;
  i.name = e.cam.name;
  i.source_type = config::source_type_name(e.cam.source);
  i.state = e.state;
  i.error = e.error;
  i.session_id = e.session_id;
  i.started_at = e.started_at;
  i.stopped_at = e.stopped_at;
  i.auto_start = e.cam.auto_start;
  i.bandwidth = e.bandwidth;
  i.stats = e.stream ? e.stream->stats() : e.last_stats;
  if (e.stream) i.audio = e.stream->audio_info();
  i.viewers = static_cast<int>(e.viewers.size());
  i.viewers_by_protocol = {{"webrtc", 0}, {"hls", 0}, {"mjpeg", 0}};
  for (const auto& [vid, v] : e.viewers) ++i.viewers_by_protocol[std::string(protocol_of(v->kind))];
  i.target_kbps = e.target_kbps;
  if (e.stream) i.source_json = e.stream->source_stats_json();
  if (e.bcgh) i.source_json = merge_source_json(i.source_json, e.bcgh->stats());
  if (e.stream && i.stats.first_frame_mono_ms) {
    i.uptime_s = double(mono_now_ms() - i.stats.first_frame_mono_ms) / 1000.0;
    i.startup_ms = i.stats.first_frame_mono_ms - e.start_mono_ms;
  }
  return i;
}

void StreamManager::start(std::string camera_id, StartOptions opts, Reply<StreamInfo> reply) {
  post([camera_id = std::move(camera_id), opts, reply = std::move(reply)](StreamManager& m) {
    try {
      Entry& e = m.entry(camera_id);
      if (is_running(e.state)) {
        StreamInfo i = m.info(e);
        i.changed = false;
        return reply(nullptr, i);
      }
      if (e.state == StreamState::stopping) {
        throw Error(Errc::conflict, "camera '" + camera_id + "' is stopping; retry in a moment");
      }
      m.do_start(e, opts);
      reply(nullptr, m.info(e));
    } catch (...) {
      reply(std::current_exception(), {});
    }
  });
}

void StreamManager::stop(std::string camera_id, Reply<StreamInfo> reply) {
  post([camera_id = std::move(camera_id), reply = std::move(reply)](StreamManager& m) {
    try {
      Entry& e = m.entry(camera_id);
      e.wanted = false;  // a BCGH camera coming online again must not restart it
      if (!e.stream && e.state != StreamState::stopping) {
        StreamInfo i = m.info(e);
        i.changed = false;
        return reply(nullptr, i);
      }
      m.do_stop(e, [&m, camera_id, reply] {
        auto it = m.entries_.find(camera_id);
        reply(nullptr, m.info(*it->second));
      });
    } catch (...) {
      reply(std::current_exception(), {});
    }
  });
}

void StreamManager::outputs(std::string camera_id, bool start_if_stopped,
                            Reply<std::shared_ptr<StreamOutputs>> reply) {
  post([camera_id = std::move(camera_id), start_if_stopped, reply = std::move(reply)](StreamManager& m) {
    try {
      Entry& e = m.entry(camera_id);
      if (!is_running(e.state) && start_if_stopped) {
        if (e.state == StreamState::stopping) {
          throw Error(Errc::conflict, "camera '" + camera_id + "' is stopping; retry in a moment");
        }
        m.do_start(e, {});
      }
      reply(nullptr, is_running(e.state) && e.stream ? std::make_shared<StreamOutputs>(e.stream) : nullptr);
    } catch (...) {
      reply(std::current_exception(), nullptr);
    }
  });
}

void StreamManager::bitrate_tick() {
  for (auto& [id, e] : entries_) {
    if (!e->stream || !is_running(e->state)) {
      e->target_kbps = 0;
      continue;
    }
    // The lowest estimate among connected viewers (Janus does the same); none → max.
    double target = e->bandwidth.max_kbps;
    for (const auto& [vid, v] : e->viewers) {
      if (v->ever_connected && v->media) target = std::min(target, v->media->stats().estimated_kbps);
    }
    e->target_kbps = std::clamp(static_cast<int>(target), e->bandwidth.min_kbps, e->bandwidth.max_kbps);
    e->stream->set_target_bitrate(e->target_kbps);
  }
  bitrate_timer_ = std::make_unique<asio::steady_timer>(strand_, std::chrono::seconds(1));
  bitrate_timer_->async_wait([w = weak_from_this()](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto s = w.lock(); s && !s->shutting_down_) s->bitrate_tick();
  });
}

void StreamManager::get(std::string camera_id, Reply<StreamInfo> reply) {
  post([camera_id = std::move(camera_id), reply = std::move(reply)](StreamManager& m) {
    try {
      reply(nullptr, m.info(m.entry(camera_id)));
    } catch (...) {
      reply(std::current_exception(), {});
    }
  });
}

void StreamManager::list(Reply<std::vector<StreamInfo>> reply) {
  post([reply = std::move(reply)](StreamManager& m) {
    std::vector<StreamInfo> out;
    for (const auto& id : m.order_) {
      if (auto it = m.entries_.find(id); it != m.entries_.end()) out.push_back(m.info(*it->second));
    }
    reply(nullptr, std::move(out));
  });
}

void StreamManager::health(Reply<HealthInfo> reply) {
  post([reply = std::move(reply)](StreamManager& m) {
    HealthInfo h;
    for (const auto& [id, e] : m.entries_) {
      if (e->state == StreamState::active) h.active_streams++;
    }
    h.total_viewers = m.total_viewers();
    h.uptime_s = double(mono_now_ms() - m.boot_mono_ms_) / 1000.0;
    h.gstreamer = m.gst_status_;
    h.database = m.store_.healthy() ? "ok" : "error: " + m.store_.last_error();
    h.mqtt = m.mqtt_health();
    const bool ok = m.store_.healthy() && m.gst_status_.rfind("ok", 0) == 0 &&
                    (h.mqtt == "disabled" || h.mqtt == "connected");
    h.status = ok ? "healthy" : "degraded";
    reply(nullptr, h);
  });
}

void StreamManager::shutdown(int timeout_ms, std::function<void()> done) {
  post([timeout_ms, done = std::move(done)](StreamManager& m) mutable {
    m.shutting_down_ = true;
    auto remaining = std::make_shared<int>(0);
    auto fired = std::make_shared<bool>(false);
    auto finish = std::make_shared<std::function<void()>>([fired, done = std::move(done)] {
      if (*fired) return;
      *fired = true;
      done();
    });
    for (auto& [id, e] : m.entries_) {
      if (e->stream) {
        ++*remaining;
        m.do_stop(*e, [remaining, finish] {
          if (--*remaining == 0) (*finish)();
        });
      }
    }
    if (*remaining == 0) return (*finish)();
    auto t = std::make_shared<asio::steady_timer>(m.strand_, std::chrono::milliseconds(timeout_ms));
    t->async_wait([t, finish](const boost::system::error_code& ec) {
      if (ec) return;
      lg()->warn("shutdown: pipelines did not stop in time; exiting anyway");
      (*finish)();
    });
  });
}

}  // namespace camrelay::service
