// The H.264 tap behind a camera's RTSP re-serve (include/camrelay/media/rtsp_tap.hpp).
#include "camrelay/media/rtsp_tap.hpp"

#include <gst/app/gstappsink.h>

#include <vector>

#include <fmt/format.h>

#include "camrelay/gst/callback.hpp"
#include "camrelay/media/branch.hpp"
#include "camrelay/util/ids.hpp"
#include "camrelay/util/log.hpp"
#include "output_util.hpp"

namespace camrelay::media {
namespace {
auto lg() {
  static auto l = log::get("rtsp");
  return l;
}
constexpr const char* kKind = "rtsp";
// About two seconds of video: a subscriber briefly slow to take a unit loses nothing.
constexpr guint kQueueBuffers = 60;
}  // namespace

RtspTap::RtspTap(std::weak_ptr<Stream> stream, const config::Config& cfg, std::string camera_id, Quality quality)
    : stream_(std::move(stream)),
      cfg_(cfg),
      camera_id_(std::move(camera_id)),
      quality_(quality),
      kind_(output_kind(kKind, quality)),
      last_use_ms_(mono_now_ms()) {}

std::string RtspTap::codec() const {
  auto s = stream_.lock();
  return s ? config::video_codec(s->camera()) : std::string("H264");
}

RtspTap::~RtspTap() = default;  // idle_check()/on_stream_teardown() gave the tee pad back

std::string RtspTap::caps() const {
  std::lock_guard lk(mu_);
  return caps_;
}

std::uint64_t RtspTap::subscribe(Sink sink, Closed on_closed) {
  std::uint64_t id = 0;
  {
    std::lock_guard lk(mu_);
    if (closed_) return 0;  // ask the stream for a fresh tap
    id = next_sub_++;
    subs_.emplace(id, Sub{std::move(sink), std::move(on_closed), false});
    last_use_ms_.store(mono_now_ms());
  }
  // The new subscriber starts at a keyframe: ask for one rather than wait out the GOP.
  if (auto s = stream_.lock()) request_input_keyframe(s, quality_);
  return id;
}

void RtspTap::unsubscribe(std::uint64_t id) {
  std::lock_guard lk(mu_);
  subs_.erase(id);
  last_use_ms_.store(mono_now_ms());
}

void RtspTap::start() {
  auto s = stream_.lock();
  if (!s) return;
  s->loop().post([self = shared_from_this()] { self->build(); });
}

void RtspTap::close(const std::string& why) {
  std::vector<Closed> tell;
  {
    std::lock_guard lk(mu_);
    if (closed_.exchange(true) && subs_.empty()) return;
    if (error_.empty()) error_ = why;
    for (auto& [id, sub] : subs_) {
      if (sub.closed) tell.push_back(std::move(sub.closed));
    }
    subs_.clear();
  }
  input_ = {};  // GLib thread, like every caller
  if (auto s = stream_.lock()) s->remove_output(kind_, this);
  for (auto& c : tell) c();
}

void RtspTap::build() {
  if (closed_) return;
  auto s = stream_.lock();
  if (!s || !s->pipeline() || !s->tee()) return close("the stream is not running");
  input_ = video_input(s, quality_);
  if (!input_) return close("the sub stream cannot run (see the log)");

  auto bin = gst::ElementPtr::ref_sink(gst_bin_new(fmt::format("{}-{}", kind_, camera_id_).c_str()));
  gst::ElementPtr q = make_leaky_queue(nullptr, kQueueBuffers, gst::weak_member(shared_from_this(), &RtspTap::dropped_));
  gst::ElementPtr sink = gst::try_make_element("appsink");
  if (!q) return close("GStreamer element queue is missing: no RTSP");
  if (!sink) return close("GStreamer element appsink is missing: no RTSP");
  g_object_set(sink.get(), "sync", FALSE, "async", FALSE, "emit-signals", TRUE, "enable-last-sample", FALSE,
               nullptr);
  gst::connect<GstFlowReturn(GstElement*)>(
      sink.get(), "new-sample", weak_from_this(), [](gst::Weak<RtspTap>& w, GstElement* as) -> GstFlowReturn {
        auto sample = gst::SamplePtr::adopt(gst_app_sink_pull_sample(GST_APP_SINK(as)));
        if (!sample) return GST_FLOW_OK;
        if (auto self = w.lock()) self->on_sample(sample.get());
        return GST_FLOW_OK;
      });
  gst_bin_add_many(GST_BIN(bin.get()), q.get(), sink.get(), nullptr);
  if (!gst_element_link(q.get(), sink.get())) return close("cannot link the RTSP branch");
  gst::PadPtr qsink = gst::static_pad(q.get(), "sink");
  if (!gst::add_ghost_pad(bin.get(), "sink", qsink.get())) return close("cannot link the RTSP branch");

  gst::RequestPad tee_pad = attach_branch(s->pipeline(), input_.tee, bin.get());
  if (!tee_pad) return close("cannot attach the RTSP branch to the stream");  // the bin is out again
  bin_ = std::move(bin);
  tee_pad_ = std::move(tee_pad);
  lg()->info("camera {}: RTSP tap ({}) started", camera_id_, model::to_string(quality_));
  request_input_keyframe(s, quality_);
  timer_ = s->loop().post_delayed(1000, [self = shared_from_this()] { self->idle_check(); });
}

void RtspTap::on_sample(GstSample* sample) {
  GstBuffer* buf = gst_sample_get_buffer(sample);
  if (!buf) return;
  const bool key = !GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_DELTA_UNIT);
  GstMapInfo map;
  if (!gst_buffer_map(buf, &map, GST_MAP_READ)) return;
  Unit unit;
  unit.data = std::make_shared<const std::string>(reinterpret_cast<const char*>(map.data), map.size);
  unit.keyframe = key;
  gst_buffer_unmap(buf, &map);
  units_.fetch_add(1, std::memory_order_relaxed);
  bytes_.fetch_add(unit.data->size(), std::memory_order_relaxed);
  std::string caps_text;
  if (GstCaps* c = gst_sample_get_caps(sample)) caps_text = gst::take_string(gst_caps_to_string(c));
  // Under the lock: a subscriber never gets units out of order, and unsubscribe() returns
  // only once its sink is no longer being called.
  std::lock_guard lk(mu_);
  if (!caps_text.empty()) caps_ = std::move(caps_text);
  for (auto& [id, sub] : subs_) {
    if (!sub.keyed && !key) continue;
    sub.keyed = true;
    sub.sink(unit);
  }
}

void RtspTap::idle_check() {
  timer_ = 0;
  if (closed_) return;
  auto s = stream_.lock();
  if (!s) return;
  const std::int64_t linger_ms = std::int64_t(cfg_.rtsp.grace_s) * 1000;
  {
    std::lock_guard lk(mu_);
    if (subs_.empty() && mono_now_ms() - last_use_ms_.load() >= linger_ms) {
      closed_ = true;
      error_ = "idle";
    }
  }
  if (!closed_) {
    timer_ = s->loop().post_delayed(1000, [self = shared_from_this()] { self->idle_check(); });
    return;
  }
  lg()->info("camera {}: RTSP tap stopped (no RTSP media for {} s; {} units)", camera_id_, cfg_.rtsp.grace_s,
             units_.load());
  s->remove_output(kind_, this);
  if (s->pipeline() && s->tee() && bin_ && tee_pad_) {
    detach_branch(s->loop(), s->pipeline(), std::move(tee_pad_), bin_.get(), {});
  } else {
    tee_pad_.release();
  }
  bin_.reset();
  input_ = {};  // the sub transcoder lingers past the detach, then stops if unheld
}

void RtspTap::on_stream_teardown() {
  if (auto s = stream_.lock(); s && timer_) s->loop().cancel(timer_);
  timer_ = 0;
  close("the stream stopped");
  tee_pad_.release();
  bin_.reset();
}

model::OutputFigures RtspTap::figures() const {
  model::RtspServeFigures f;
  {
    std::lock_guard lk(mu_);
    f.clients = static_cast<int>(subs_.size());
    if (!error_.empty() && error_ != "idle") f.error = error_;
  }
  f.units = units_.load();
  f.bytes = bytes_.load();
  f.dropped_buffers = dropped_.load();
  f.state = closed_ ? "stopped" : (f.units ? "running" : "starting");
  return f;
}

std::shared_ptr<RtspTap> rtsp_tap(const std::shared_ptr<Stream>& stream, Quality quality) {
  return get_or_create_output<RtspTap>(stream, output_kind(kKind, quality), quality);
}

std::shared_ptr<RtspTap> find_rtsp_tap(const std::shared_ptr<Stream>& stream, Quality quality) {
  return find_output<RtspTap>(stream, output_kind(kKind, quality));
}

}  // namespace camrelay::media
