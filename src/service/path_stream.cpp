// CameraPath: the stream's life — start, stop, state machine, start timeout, bandwidth.
#include <boost/asio/post.hpp>

#include <algorithm>

#include "camera_path.hpp"
#include "camrelay/metrics/metrics.hpp"
#include "camrelay/util/error.hpp"
#include "camrelay/util/ids.hpp"
#include "camrelay/util/log.hpp"

namespace camrelay::service {
namespace {
auto lg() {
  static auto l = log::get("service");
  return l;
}
}  // namespace

CameraPath::CameraPath(std::shared_ptr<PathContext> ctx, config::Camera cam)
    : ctx_(std::move(ctx)),
      strand_(asio::make_strand(ctx_->io)),
      id_(cam.id),
      cam_(std::move(cam)),
      bandwidth_(cam_.bandwidth) {}

CameraPath::~CameraPath() = default;

void CameraPath::boot() {
  post([](CameraPath& p) {
    const bool continuous = p.cam_.record.mode == "continuous" && p.ctx_->recordings;
    if (!(p.cam_.auto_start || continuous) || p.retired_ || is_running(p.state_)) return;
    lg()->info("camera {}: {}", p.id_, p.cam_.auto_start ? "auto_start" : "continuous recording");
    try {
      p.do_start({});
    } catch (const std::exception& ex) {
      lg()->error("camera {}: start failed: {}", p.id_, ex.what());
    }
  });
}

void CameraPath::set_state(StreamState s, std::string error) {
  if (state_ == s) return;
  if (!can_transition(state_, s)) {
    lg()->warn("camera {}: ignoring transition {} -> {}", id_, to_string(state_), to_string(s));
    return;
  }
  lg()->info("camera {}: {} -> {}{}{}", id_, to_string(state_), to_string(s), error.empty() ? "" : ": ", error);
  state_ = s;
  if (s == StreamState::error || s == StreamState::reconnecting) {
    error_ = std::move(error);
  } else if (s == StreamState::starting || s == StreamState::active) {
    error_.clear();
  }
  const std::int64_t now = unix_now_s();
  std::optional<std::int64_t> ended;
  std::optional<std::string> msg;
  if (s == StreamState::stopped || s == StreamState::error) {
    ended = now;
    stopped_at_ = now;
  }
  if (!error_.empty()) msg = error_;
  if (!session_id_.empty()) {
    ctx_->store.update_stream_session(session_id_, std::string(to_string(s)), now, ended, msg);
  }
}

void CameraPath::do_start(const StartOptions& opts) {
  if (ctx_->shutting_down || retired_) throw Error(Errc::unavailable, "the daemon is shutting down");
  config::Bandwidth bw = cam_.bandwidth;
  if (opts.min_kbps) bw.min_kbps = *opts.min_kbps;
  if (opts.max_kbps) bw.max_kbps = *opts.max_kbps;
  if (bw.min_kbps < 1 || bw.max_kbps < bw.min_kbps || bw.max_kbps > 1000000) {
    throw Error(Errc::invalid_argument,
                "bandwidth: need 1 <= min_bandwidth <= max_bandwidth <= 1000000 kbps (got " +
                    std::to_string(bw.min_kbps) + ".." + std::to_string(bw.max_kbps) + ")");
  }
  bandwidth_ = bw;
  rtsp_on_demand_ = false;  // admit() sets it again for an RTSP client's start
  if (rtsp_idle_timer_) rtsp_idle_timer_->cancel();
  gen_++;
  config::Camera cam = cam_;  // BCGH: + the allocated RTP port and the start's bandwidth
  auto rtp_link = is_bcgh_camera(cam_) ? bcgh_create(cam) : nullptr;  // throws: no free ports
  session_id_ = random_id("ss_");
  started_at_ = unix_now_s();
  start_mono_ms_ = mono_now_ms();
  stopped_at_ = 0;
  last_stats_ = {};
  session_base_ = counters();
  start_observed_ = false;
  set_stalled(false, "");
  const std::uint64_t gen = gen_;

  media::StreamCallbacks cb;
  auto w = weak_from_this();
  cb.on_active = [w, gen] {
    if (auto s = w.lock()) s->post([gen](CameraPath& p) { p.on_active(gen); });
  };
  cb.on_error = [w, gen](std::string why) {
    if (auto s = w.lock()) s->post([gen, why = std::move(why)](CameraPath& p) { p.on_failed(gen, why); });
  };
  cb.on_reconnecting = [w, gen](std::string why) {
    if (auto s = w.lock()) s->post([gen, why = std::move(why)](CameraPath& p) { p.on_reconnecting(gen, why); });
  };
  cb.on_viewer_error = [w](std::string vid, std::string why) {
    if (auto s = w.lock())
      s->post([vid = std::move(vid), why = std::move(why)](CameraPath& p) { p.on_viewer_error(vid, why); });
  };
  composite_start();  // a composed camera: the feeds of its inputs (nullptr otherwise)
  stream_ = ctx_->media->make_stream(ctx_->cfg, cam, std::move(cb), std::move(rtp_link), composite_feeds_);

  store::StreamSessionRow row;
  row.session_id = session_id_;
  row.camera_id = id_;
  row.pipeline_id = stream_->pipeline_name();
  if (const auto* rtp = std::get_if<config::RtpSource>(&cam.source)) {
    row.rtp_endpoint_id = "udp:" + std::to_string(rtp->video_port);  // the RTP receiver's port
  }
  row.stream_id = id_;
  row.status = "starting";
  row.created_at = row.updated_at = started_at_;
  row.min_kbps = bw.min_kbps;
  row.max_kbps = bw.max_kbps;
  ctx_->store.insert_stream_session(std::move(row));
  // insert already carries 'starting'; record the in-memory transition without a 2nd write.
  lg()->info("camera {}: {} -> starting (session {})", id_, to_string(state_), session_id_);
  state_ = StreamState::starting;
  error_.clear();

  start_timer_ = std::make_unique<asio::steady_timer>(strand_, std::chrono::seconds(kStartTimeoutS));
  start_timer_->async_wait([w, gen](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto s = w.lock()) {
      s->on_failed(gen, "no video from the source within " + std::to_string(kStartTimeoutS) + " s");
    }
  });
  stream_->start();
  if (composite_feeds_) composite_tick();  // reads every input now, then re-reads those that go
  if (bcgh_) bcgh_->start();  // the offer: the RTP ports are being opened on the GLib thread
  wanted_ = true;
  if (cam_.record.mode == "continuous" && ctx_->recordings && !record_) record_want("continuous", 0);
  if (!bitrate_timer_) bitrate_tick();
}

void CameraPath::do_stop(std::function<void()> stopped) {
  if (stopped) on_stopped_.push_back(std::move(stopped));
  if (state_ == StreamState::stopping) return;  // already on its way
  if (start_timer_) start_timer_->cancel();
  bcgh_stop();  // stop message to a BCGH camera
  composite_stop();  // a composed camera leaves its inputs
  drop_all_viewers(state_ == StreamState::error ? "stream failed: " + error_ : "stream stopped");
  auto stream = std::move(stream_);
  if (!stream) {
    auto waiters = std::move(on_stopped_);
    for (auto& f : waiters) f();
    return;
  }
  last_stats_ = stream->stats();
  counters_.pipeline_ended(last_stats_, stream->source_figures());
  set_stalled(false, "");
  const bool failed = state_ == StreamState::error;
  if (!failed) set_state(StreamState::stopping);
  const std::uint64_t gen = gen_;
  auto stop_stream = [w = weak_from_this(), gen, failed, stream] {
    stream->stop([w, gen, failed] {
      // A media thread: the pipeline is released. Hand the result back to the strand.
      if (auto s = w.lock()) {
        s->post([gen, failed](CameraPath& p) {
          if (p.gen_ != gen) return;
          if (!failed) p.set_state(StreamState::stopped);
          auto waiters = std::move(p.on_stopped_);
          for (auto& f : waiters) f();
        });
      }
    });
  };
  // The recording's file ends cleanly first (its last fragment and index written), then
  // the pipeline goes.
  record_stop_recorder(std::move(stop_stream));
}

void CameraPath::on_active(std::uint64_t gen) {
  if (gen != gen_) return;
  if (start_timer_) start_timer_->cancel();
  if (state_ == StreamState::starting || state_ == StreamState::reconnecting) set_state(StreamState::active);
  if (stream_ && !start_observed_ && ctx_->metrics) {
    const auto first = stream_->stats().first_frame_mono_ms;
    if (first) {
      start_observed_ = true;
      ctx_->metrics->observe_stream_start(config::source_type_name(cam_.source), double(first - start_mono_ms_) / 1000.0);
    }
  }
  if (stalled_ && stream_ && stream_->stats().last_frame_mono_ms > stalled_since_ms_) set_stalled(false, "");
  if (bcgh_) bcgh_->on_source_active();
  record_sync();  // a new file (the first, or the first after a reconnect)
}

void CameraPath::on_failed(std::uint64_t gen, const std::string& why) {
  if (gen != gen_ || !is_running(state_)) return;
  set_state(StreamState::error, why);
  do_stop({});  // release the pipeline; the state stays `error`
}

void CameraPath::on_reconnecting(std::uint64_t gen, const std::string& why) {
  if (gen != gen_) return;
  // The source retries on its own (backoff): not a failed start, so no start timeout.
  if (start_timer_) start_timer_->cancel();
  if (state_ == StreamState::active || state_ == StreamState::starting) {
    set_state(StreamState::reconnecting, why);
  } else if (state_ == StreamState::reconnecting) {
    error_ = why;
  }
  if (bcgh_ && is_running(state_)) bcgh_->on_source_lost(why);  // a fresh offer
  record_sync();  // the file ends at the gap; the next one begins when the source is back
}

StreamInfo CameraPath::info() const {
  StreamInfo i;
  i.camera_id = id_;
  i.name = cam_.name;
  i.source_type = config::source_type_name(cam_.source);
  i.state = state_;
  i.error = error_;
  i.session_id = session_id_;
  i.started_at = started_at_;
  i.stopped_at = stopped_at_;
  i.auto_start = cam_.auto_start;
  i.bandwidth = bandwidth_;
  i.video_codec = config::video_codec(cam_);
  i.stats = stream_ ? stream_->stats() : last_stats_;
  if (stream_) i.audio = stream_->audio_info();
  i.viewers = static_cast<int>(readers_.size());
  i.viewers_by_protocol = {{"webrtc", 0}, {"hls", 0}, {"mjpeg", 0}, {"rtsp", 0}, {"composite", 0}};
  for (const auto& [rid, r] : readers_) ++i.viewers_by_protocol[std::string(protocol_of(r->kind()))];
  i.target_kbps = target_kbps_;
  if (stream_) i.source = stream_->source_figures();
  if (bcgh_) i.source.bcgh = bcgh_->figures();
  i.recording = record_info();
  i.stalled = stalled_;
  i.stalls = stalls_;
  i.counters = counters();
  i.session_counters = since(i.counters, session_base_);
  if (stream_ && i.stats.first_frame_mono_ms) {
    i.uptime_s = double(mono_now_ms() - i.stats.first_frame_mono_ms) / 1000.0;
    i.startup_ms = i.stats.first_frame_mono_ms - start_mono_ms_;
  }
  return i;
}

void CameraPath::start(StartOptions opts, Reply<StreamInfo> reply) {
  post([opts, reply = std::move(reply)](CameraPath& p) {
    try {
      if (is_running(p.state_)) {
        p.rtsp_on_demand_ = false;  // a user wants it running now
        StreamInfo i = p.info();
        i.changed = false;
        return reply(nullptr, i);
      }
      if (p.state_ == StreamState::stopping) {
        throw Error(Errc::conflict, "camera '" + p.id_ + "' is stopping; retry in a moment");
      }
      p.do_start(opts);
      reply(nullptr, p.info());
    } catch (...) {
      reply(std::current_exception(), {});
    }
  });
}

void CameraPath::stop(Reply<StreamInfo> reply) {
  post([reply = std::move(reply)](CameraPath& p) {
    p.wanted_ = false;  // a BCGH camera coming online again must not restart it
    p.rtsp_on_demand_ = false;
    if (p.record_) lg()->info("camera {}: recording stopped with the stream", p.id_);
    p.record_.reset();  // stopping the stream stops its recording (and closes the file)
    if (!p.stream_ && p.state_ != StreamState::stopping) {
      StreamInfo i = p.info();
      i.changed = false;
      return reply(nullptr, i);
    }
    p.do_stop([&p, reply] { reply(nullptr, p.info()); });
  });
}

void CameraPath::get(Reply<StreamInfo> reply) {
  post([reply = std::move(reply)](CameraPath& p) { reply(nullptr, p.info()); });
}

void CameraPath::outputs(bool start_if_stopped, Reply<std::shared_ptr<StreamOutputs>> reply) {
  post([start_if_stopped, reply = std::move(reply)](CameraPath& p) {
    try {
      if (!is_running(p.state_) && start_if_stopped) {
        if (p.state_ == StreamState::stopping) {
          throw Error(Errc::conflict, "camera '" + p.id_ + "' is stopping; retry in a moment");
        }
        p.do_start({});
      }
      reply(nullptr, is_running(p.state_) && p.stream_ ? std::make_shared<StreamOutputs>(p.stream_) : nullptr);
    } catch (...) {
      reply(std::current_exception(), nullptr);
    }
  });
}

void CameraPath::bitrate_tick() {
  if (!stream_ || !is_running(state_)) {
    target_kbps_ = 0;
    bitrate_timer_.reset();
    return;
  }
  // The lowest estimate among connected viewers (Janus does the same); none → max.
  double target = bandwidth_.max_kbps;
  for (const auto& [rid, r] : readers_) {
    if (const auto* w = dynamic_cast<const WebrtcReader*>(r.get()); w && w->ever_connected()) {
      target = std::min(target, w->estimated_kbps());
    }
  }
  target_kbps_ = std::clamp(static_cast<int>(target), bandwidth_.min_kbps, bandwidth_.max_kbps);
  stream_->set_target_bitrate(target_kbps_);
  counters_.sample(stream_->stats(), stream_->source_figures());
  bitrate_timer_ = std::make_unique<asio::steady_timer>(strand_, std::chrono::seconds(1));
  bitrate_timer_->async_wait([w = weak_from_this()](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto s = w.lock()) s->bitrate_tick();
  });
}

model::StreamCounters CameraPath::counters() const {
  std::map<std::string, ViewerInfo> readers;
  for (const auto& [rid, r] : readers_) readers.emplace(rid, r->info());
  if (!stream_) return counters_.total(nullptr, nullptr, readers);
  const auto stats = stream_->stats();
  const auto source = stream_->source_figures();
  return counters_.total(&stats, &source, readers);
}

void CameraPath::set_stalled(bool stalled, const std::string& why) {
  if (stalled == stalled_) return;
  stalled_ = stalled;
  if (stalled) {
    stalled_since_ms_ = mono_now_ms();
    stalls_++;
    lg()->warn("camera {}: stalled: {}", id_, why);
  } else {
    lg()->info("camera {}: no longer stalled{} after {} ms", id_, why.empty() ? "" : " (" + why + ")",
               mono_now_ms() - stalled_since_ms_);
    stalled_since_ms_ = 0;
  }
}

void CameraPath::stall_check() {
  const int limit_s = ctx_->cfg.health.stall_s;
  if (limit_s <= 0 || !stream_ || !is_running(state_)) return set_stalled(false, "");
  if (readers_.empty()) return set_stalled(false, "no readers left");
  const std::int64_t last = stream_->stats().last_frame_mono_ms;
  if (last == 0) return;  // not started yet: the start timeout watches that
  const std::int64_t quiet_ms = mono_now_ms() - last;
  if (stalled_) {
    if (last > stalled_since_ms_) set_stalled(false, "frames again");
    return;
  }
  if (quiet_ms < std::int64_t(limit_s) * 1000) return;
  const bool restart = state_ == StreamState::active;  // reconnecting: the source retries on its own
  set_stalled(true, fmt::format("{} reader(s) but no frame for {} s{}", readers_.size(), quiet_ms / 1000,
                                restart ? "; restarting its source" : " (the source is reconnecting)"));
  if (restart) stream_->restart_source(fmt::format("stalled: no frame for {} s", quiet_ms / 1000));
}

void CameraPath::apply_config(config::Camera cam) {
  post([cam = std::move(cam)](CameraPath& p) mutable {
    const bool restart = is_running(p.state_) || cam.auto_start ||
                         (cam.record.mode == "continuous" && p.ctx_->recordings);
    if (cam.record.mode != "continuous" && p.record_ && p.record_->reason == "continuous") p.record_.reset();
    p.wanted_ = false;  // a BCGH status message must not restart the old settings meanwhile
    auto apply = [&p, cam = std::move(cam), restart]() mutable {
      p.cam_ = std::move(cam);
      p.bandwidth_ = p.cam_.bandwidth;
      if (!restart || p.retired_ || p.ctx_->shutting_down) return;
      lg()->info("camera {}: restarting with its new settings", p.id_);
      try {
        p.do_start({});
      } catch (const std::exception& ex) {
        lg()->error("camera {}: start failed: {}", p.id_, ex.what());
      }
    };
    if (p.stream_ || p.state_ == StreamState::stopping) {
      lg()->info("camera {}: settings changed; stopping it to apply them", p.id_);
      p.do_stop(std::move(apply));
    } else {
      apply();
    }
  });
}

void CameraPath::retire(std::function<void()> released) {
  post([released = std::move(released)](CameraPath& p) mutable {
    p.retired_ = true;
    p.wanted_ = false;
    p.record_.reset();
    if (p.stream_ || p.state_ == StreamState::stopping) {
      p.do_stop(std::move(released));
    } else {
      p.drop_all_viewers("stream stopped");
      if (released) released();
    }
  });
}

}  // namespace camrelay::service
