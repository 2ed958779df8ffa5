// CameraPath: the camera's recording. What was asked for (record_: manual, duration,
// continuous) is kept apart from the recorder that runs on the current stream, and
// record_sync() brings one in line with the other whenever something changes: the stream
// becomes active (a new file) or reconnects (the file ends: a new one begins after the
// gap), the disk pauses or resumes, the recorder fails (retried after
// recording.check_interval_s), the duration ends, the user stops.
#include <boost/asio/post.hpp>

#include "camera_path.hpp"
#include "camrelay/util/error.hpp"
#include "camrelay/util/ids.hpp"
#include "camrelay/util/log.hpp"

namespace camrelay::service {
namespace {
auto lg() {
  static auto l = log::get("recording");
  return l;
}
constexpr int kMaxDurationS = 7 * 24 * 3600;

// Sources that can carry audio; the others (test pattern, V4L2) never do.
bool audio_possible(const config::Camera& c) {
  if (!c.audio) return false;
  if (std::holds_alternative<config::RtspSource>(c.source) || std::holds_alternative<config::OnvifSource>(c.source)) {
    return true;
  }
  if (const auto* r = std::get_if<config::RtpSource>(&c.source)) return r->audio || r->audio_port != 0;
  return false;
}
}  // namespace

void CameraPath::record_start(RecordOptions opts, Reply<StreamInfo> reply) {
  post([opts, reply = std::move(reply)](CameraPath& p) {
    try {
      if (!p.ctx_->recordings) throw Error(Errc::unavailable, "recording is not set up in this daemon");
      if (opts.duration_s && (*opts.duration_s < 1 || *opts.duration_s > kMaxDurationS)) {
        throw Error(Errc::invalid_argument,
                    "duration_s: must be an integer in 1.." + std::to_string(kMaxDurationS) + " (seconds)");
      }
      if (p.state_ == StreamState::stopping) {
        throw Error(Errc::conflict, "camera '" + p.id_ + "' is stopping; retry in a moment");
      }
      const bool was = p.record_.has_value();
      if (!is_running(p.state_)) p.do_start({});  // throws: nothing asked for is left behind
      p.record_want(opts.duration_s ? "duration" : "manual", opts.duration_s.value_or(0));
      p.record_sync();
      StreamInfo i = p.info();
      i.changed = !was || opts.duration_s.has_value();
      reply(nullptr, i);
    } catch (...) {
      reply(std::current_exception(), {});
    }
  });
}

void CameraPath::record_stop(Reply<StreamInfo> reply) {
  post([reply = std::move(reply)](CameraPath& p) {
    const bool was = p.record_.has_value();
    if (was) lg()->info("camera {}: recording stopped ({})", p.id_, p.record_->reason);
    p.record_.reset();
    p.record_error_.clear();
    if (p.record_end_timer_) p.record_end_timer_->cancel();
    p.record_sync();
    StreamInfo i = p.info();
    i.changed = was;
    reply(nullptr, i);
  });
}

void CameraPath::record_space_changed() {
  post([](CameraPath& p) {
    // Space came back (or went): a recorder that failed on the full disk need not wait
    // for its retry time.
    p.record_retry_mono_ms_ = 0;
    if (p.record_retry_timer_) {
      p.record_retry_timer_->cancel();
      p.record_retry_timer_.reset();
    }
    p.record_sync();
  });
}

void CameraPath::record_want(std::string reason, int duration_s) {
  const std::int64_t now = unix_now_ms();
  // A continuous recording stays continuous; a duration extends or shortens a manual one.
  if (record_ && record_->reason == "continuous") return;
  if (!record_) {
    record_ = RecordWish{reason, now, 0};
    record_error_.clear();
    record_retry_mono_ms_ = 0;
  }
  record_->reason = reason;
  record_->duration_s = duration_s;
  record_->until_unix_ms = 0;
  if (record_end_timer_) record_end_timer_->cancel();
  // The duration counts from the first picture written (a stopped camera takes a while to
  // start): "record 5 s" gives 5 s of video.
  if (duration_s && record_file_open_) record_start_duration();
  lg()->info("camera {}: recording asked for ({}{})", id_, reason,
             duration_s ? ", " + std::to_string(duration_s) + " s" : std::string());
}

void CameraPath::record_start_duration() {
  if (!record_ || !record_->duration_s || record_->until_unix_ms) return;
  record_->until_unix_ms = unix_now_ms() + std::int64_t(record_->duration_s) * 1000;
  record_end_timer_ = std::make_unique<asio::steady_timer>(strand_, std::chrono::seconds(record_->duration_s));
  record_end_timer_->async_wait([w = weak_from_this(), until = record_->until_unix_ms](const boost::system::error_code& ec) {
    if (ec) return;
    auto s = w.lock();
    if (!s || !s->record_ || s->record_->until_unix_ms != until) return;
    lg()->info("camera {}: recording duration reached", s->id_);
    s->record_.reset();
    s->record_sync();
  });
}

void CameraPath::record_sync() {
  const std::string paused = ctx_->recordings ? ctx_->recordings->paused_reason() : "recording is not set up";
  const bool want = record_ && stream_ && state_ == StreamState::active && paused.empty() && !retired_;
  if (want && !recorder_ && !recorder_stopping_) {
    const std::int64_t now = mono_now_ms();
    if (now < record_retry_mono_ms_) {
      if (!record_retry_timer_) {
        record_retry_timer_ = std::make_unique<asio::steady_timer>(
            strand_, std::chrono::milliseconds(record_retry_mono_ms_ - now));
        record_retry_timer_->async_wait([w = weak_from_this()](const boost::system::error_code& ec) {
          if (ec) return;
          if (auto s = w.lock()) {
            s->record_retry_timer_.reset();
            s->record_sync();
          }
        });
      }
      return;
    }
    const std::uint64_t rgen = ++record_gen_;
    media::RecorderOptions o;
    o.dir = ctx_->recordings->camera_dir(id_);
    o.prefix = id_;
    o.segment_s = cam_.record.segment_s;
    o.fragment_ms = unsigned(ctx_->cfg.recording.fragment_ms);
    o.audio_expected = audio_possible(cam_);
    media::RecorderEvents ev;
    auto recs = ctx_->recordings;
    ev.file_opened = [recs, w = weak_from_this(), rgen, camera = id_, session = session_id_,
                      reason = record_->reason](media::RecordedFile f) {
      recs->file_opened(camera, session, reason, f.path, f.start_unix_ms);
      if (auto s = w.lock()) {
        s->post([rgen](CameraPath& p) {
          if (p.record_gen_ != rgen) return;
          p.record_file_open_ = true;
          p.record_start_duration();
        });
      }
    };
    ev.file_closed = [recs](media::RecordedFile f) {
      recs->file_closed(f.path, f.start_unix_ms, f.end_unix_ms, f.bytes);
    };
    ev.failed = [w = weak_from_this(), rgen](std::string why) {
      if (auto s = w.lock()) s->post([rgen, why = std::move(why)](CameraPath& p) { p.on_record_failed(rgen, why); });
    };
    record_file_open_ = false;
    recorder_ = stream_->record(std::move(o), std::move(ev));
    if (recorder_) {
      lg()->info("camera {}: recording to {}", id_, ctx_->recordings->camera_dir(id_).string());
    } else {
      on_record_failed(rgen, "the stream cannot take a recorder now");
    }
  } else if (!want && recorder_ && !recorder_stopping_) {
    recorder_stopping_ = true;
    last_recorder_ = recorder_->figures();
    const std::uint64_t rgen = record_gen_;
    recorder_->stop([w = weak_from_this(), rgen] {
      if (auto s = w.lock()) {
        s->post([rgen](CameraPath& p) {
          if (p.record_gen_ != rgen) return;
          p.recorder_.reset();
          p.recorder_stopping_ = false;
          p.record_sync();  // e.g. the stream came back meanwhile: a new file
        });
      }
    });
  }
}

void CameraPath::on_record_failed(std::uint64_t rgen, const std::string& why) {
  if (rgen != record_gen_) return;
  if (recorder_) last_recorder_ = recorder_->figures();
  recorder_.reset();
  recorder_stopping_ = false;
  record_error_ = why;
  const int retry_s = ctx_->cfg.recording.check_interval_s;
  record_retry_mono_ms_ = mono_now_ms() + std::int64_t(retry_s) * 1000;
  lg()->error("camera {}: recording failed: {} (retrying in {} s)", id_, why, retry_s);
  if (ctx_->recordings) ctx_->recordings->check_soon();  // a full disk pauses every camera
  record_sync();
}

void CameraPath::record_stop_recorder(std::function<void()> done) {
  if (record_retry_timer_) {
    record_retry_timer_->cancel();
    record_retry_timer_.reset();
  }
  auto rec = std::move(recorder_);
  recorder_stopping_ = false;
  ++record_gen_;  // events of this recorder are stale from now on
  if (!rec) return done();
  last_recorder_ = rec->figures();
  rec->stop(std::move(done));
}

RecordingInfo CameraPath::record_info() const {
  RecordingInfo r;
  r.mode = cam_.record.mode;
  if (recorder_) {
    r.recorder = recorder_->figures();
  } else if (last_recorder_) {
    r.recorder = last_recorder_;
  }
  if (!record_) return r;
  r.reason = record_->reason;
  r.since_unix_ms = record_->since_unix_ms;
  r.until_unix_ms = record_->until_unix_ms;
  const std::string paused = ctx_->recordings ? ctx_->recordings->paused_reason() : std::string();
  if (recorder_ && !recorder_stopping_) {
    r.state = "recording";
  } else if (!paused.empty()) {
    r.state = "paused";
    r.error = paused;
  } else if (!record_error_.empty() && mono_now_ms() < record_retry_mono_ms_) {
    r.state = "retrying";
    r.error = record_error_;
  } else {
    r.state = "waiting";
  }
  return r;
}

}  // namespace camrelay::service
