// MJPEG output: one decode + one JPEG encode per stream, shared by every client
// (include/camrelay/media/mjpeg.hpp).
#include <gst/app/gstappsink.h>

#include <chrono>
#include <vector>

#include <fmt/format.h>

#include "camrelay/gst/callback.hpp"
#include "camrelay/gst/ptr.hpp"
#include "camrelay/media/branch.hpp"
#include "camrelay/media/mjpeg.hpp"
#include "camrelay/util/ids.hpp"
#include "camrelay/util/log.hpp"
#include "output_util.hpp"
#include "video_codec.hpp"

namespace camrelay::media {
namespace {
auto lg() {
  static auto l = log::get("mjpeg");
  return l;
}
constexpr const char* kKind = "mjpeg";
// Deep enough that a decoder briefly behind never loses references (a drop means a
// broken picture until the next keyframe), small enough to bound the delay.
constexpr guint kQueueBuffers = 30;
}  // namespace

std::int64_t MjpegOutput::mono_now() { return mono_now_ms(); }

MjpegOutput::MjpegOutput(std::weak_ptr<Stream> stream, const config::Config& cfg, std::string camera_id,
                         Quality quality)
    : stream_(std::move(stream)),
      cfg_(cfg),
      camera_id_(std::move(camera_id)),
      quality_(quality),
      kind_(output_kind(kKind, quality)),
      last_use_ms_(mono_now_ms()) {}

MjpegOutput::~MjpegOutput() = default;  // idle_check()/on_stream_teardown() gave the tee pad back

MjpegOutput::Frame MjpegOutput::latest() const {
  std::lock_guard lk(mu_);
  return latest_;
}

std::uint64_t MjpegOutput::subscribe(std::function<void()> wake) {
  std::lock_guard lk(mu_);
  if (closed_) return 0;  // ask the stream for a fresh output
  const std::uint64_t id = next_sub_++;
  subs_.emplace(id, std::move(wake));
  last_use_ms_.store(mono_now_ms());
  return id;
}

void MjpegOutput::unsubscribe(std::uint64_t id) {
  std::lock_guard lk(mu_);
  subs_.erase(id);
  last_use_ms_.store(mono_now_ms());
}

int MjpegOutput::clients() const {
  std::lock_guard lk(mu_);
  return static_cast<int>(subs_.size());
}

std::string MjpegOutput::error() const {
  std::lock_guard lk(mu_);
  return error_;
}

void MjpegOutput::start() {
  auto s = stream_.lock();
  if (!s) return;
  s->loop().post([self = shared_from_this()] { self->build(); });
}

void MjpegOutput::close(const std::string& why) {
  std::vector<std::function<void()>> wakes;
  {
    std::lock_guard lk(mu_);
    if (closed_.exchange(true)) return;
    if (error_.empty()) error_ = why;
    for (auto& [id, w] : subs_) wakes.push_back(w);
  }
  input_ = {};  // GLib thread, like every caller
  if (auto s = stream_.lock()) s->remove_output(kind_, this);
  for (auto& w : wakes) w();
}

namespace {
// mjpeg.fps, or the camera's frame rate (from the caps on the tee) when that is lower.
std::pair<int, int> output_rate(GstElement* tee, int want) {
  int n = 0, d = 1;
  if (gst::PadPtr pad = gst::static_pad(tee, "sink")) {
    if (auto caps = gst::CapsPtr::adopt(gst_pad_get_current_caps(pad.get()))) {
      if (gst_caps_get_size(caps.get()) > 0) {
        gst_structure_get_fraction(gst_caps_get_structure(caps.get(), 0), "framerate", &n, &d);
      }
    }
  }
  if (n > 0 && d > 0 && static_cast<double>(n) / d < want) return {n, d};
  return {want, 1};
}
}  // namespace

void MjpegOutput::build() {
  if (closed_) return;
  auto s = stream_.lock();
  if (!s || !s->pipeline() || !s->tee()) return close("the stream is not running");
  input_ = video_input(s, quality_);
  if (!input_) return close("the sub stream cannot run (see the log)");
  const auto& m = cfg_.mjpeg;

  // Every element stays in a holder until the branch is attached: an early return drops
  // them all (the bin with whatever was added to it).
  auto bin = gst::ElementPtr::ref_sink(gst_bin_new(fmt::format("{}-{}", kind_, camera_id_).c_str()));
  gst::ElementPtr q =
      make_leaky_queue(nullptr, kQueueBuffers, gst::weak_member(shared_from_this(), &MjpegOutput::dropped_));
  // The camera's codec decoded directly (an H.265 camera needs no H.264 transcode here).
  const bool h265 = config::video_codec(s->camera()) == "H265";
  gst::ElementPtr dec = gst::try_make_element(video_codec_names(config::video_codec(s->camera())).decoder);
  if (!dec && !h265) dec = gst::try_make_element("openh264dec");
  gst::ElementPtr conv = gst::try_make_element("videoconvert");
  gst::ElementPtr rate = gst::try_make_element("videorate");
  gst::ElementPtr scale = gst::try_make_element("videoscale");
  gst::ElementPtr caps = gst::try_make_element("capsfilter");
  gst::ElementPtr enc = gst::try_make_element("jpegenc");
  gst::ElementPtr sink = gst::try_make_element("appsink");
  const std::pair<const gst::ElementPtr*, const char*> needed[] = {
      {&q, "queue"},
      {&dec, h265 ? "avdec_h265 (gstreamer1.0-libav)" : "avdec_h264 (gstreamer1.0-libav) or openh264dec"},
      {&conv, "videoconvert"}, {&rate, "videorate"}, {&scale, "videoscale"}, {&caps, "capsfilter"},
      {&enc, "jpegenc"},      {&sink, "appsink"}};
  for (const auto& [e, name] : needed) {
    if (!*e) return close(fmt::format("GStreamer element {} is missing: no MJPEG", name));
  }
  if (g_object_class_find_property(G_OBJECT_GET_CLASS(dec.get()), "output-corrupt")) {
    g_object_set(dec.get(), "output-corrupt", FALSE, nullptr);
  }
  // A fixed output rate: max-rate alone lets frames through when the input caps carry no
  // framerate (RTSP cameras: framerate=0/1).
  // skip-to-first: a branch joining a running stream starts counting at its first frame
  // (otherwise videorate lets every frame through until it has "caught up" from time 0).
  // drop-only: never above the camera's own rate (a 10 fps camera with mjpeg.fps 15 would
  // not negotiate at all), so the output rate is the lower of the two.
  g_object_set(rate.get(), "drop-only", TRUE, "skip-to-first", TRUE, nullptr);
  const auto [rate_n, rate_d] = output_rate(input_.tee, m.fps);
  std::string caps_text = fmt::format("video/x-raw,framerate={}/{}", rate_n, rate_d);
  if (m.width > 0) caps_text += fmt::format(",width={}", m.width);
  if (m.height > 0) caps_text += fmt::format(",height={}", m.height);
  g_object_set(caps.get(), "caps", gst::caps_from_string(caps_text).get(), nullptr);
  g_object_set(enc.get(), "quality", gint(m.quality), nullptr);
  g_object_set(sink.get(), "sync", FALSE, "async", FALSE, "drop", TRUE, "max-buffers", 1u,
               "emit-signals", TRUE, "enable-last-sample", FALSE, nullptr);
  gst::connect<GstFlowReturn(GstElement*)>(
      sink.get(), "new-sample", weak_from_this(), [](gst::Weak<MjpegOutput>& w, GstElement* as) -> GstFlowReturn {
        auto sample = gst::SamplePtr::adopt(gst_app_sink_pull_sample(GST_APP_SINK(as)));
        if (!sample) return GST_FLOW_OK;
        if (auto self = w.lock()) self->on_sample(sample.get());
        return GST_FLOW_OK;
      });

  for (const auto& [e, name] : needed) gst_bin_add(GST_BIN(bin.get()), e->get());
  if (!gst_element_link_many(q.get(), dec.get(), conv.get(), rate.get(), scale.get(), caps.get(), enc.get(),
                             sink.get(), nullptr)) {
    return close("cannot link the MJPEG branch (check mjpeg.width/height)");
  }
  gst::PadPtr qsink = gst::static_pad(q.get(), "sink");
  if (!gst::add_ghost_pad(bin.get(), "sink", qsink.get())) {
    return close("cannot link the MJPEG branch (check mjpeg.width/height)");
  }
  add_keyframe_gate(qsink.get(), /*drop_key_requests=*/true);

  gst::RequestPad tee_pad = attach_branch(s->pipeline(), input_.tee, bin.get());
  if (!tee_pad) return close("cannot attach the MJPEG branch to the stream");  // the bin is out again
  bin_ = std::move(bin);
  tee_pad_ = std::move(tee_pad);
  started_ms_ = mono_now_ms();
  lg()->info("camera {}: MJPEG ({}) started ({} fps, quality {}, size {}x{})", camera_id_,
             model::to_string(quality_), m.fps, m.quality, m.width ? std::to_string(m.width) : "source",
             m.height ? std::to_string(m.height) : "source");
  request_input_keyframe(s, quality_);  // decoding can only begin at a keyframe
  timer_ = s->loop().post_delayed(1000, [self = shared_from_this()] { self->idle_check(); });
}

void MjpegOutput::on_sample(GstSample* sample) {
  GstBuffer* buf = gst_sample_get_buffer(sample);
  if (!buf) return;
  GstMapInfo map;
  if (!gst_buffer_map(buf, &map, GST_MAP_READ)) return;
  auto jpeg = std::make_shared<const std::string>(reinterpret_cast<const char*>(map.data), map.size);
  gst_buffer_unmap(buf, &map);
  encoded_.fetch_add(1, std::memory_order_relaxed);
  std::vector<std::function<void()>> wakes;
  {
    std::lock_guard lk(mu_);
    latest_.jpeg = std::move(jpeg);
    latest_.seq += 1;
    latest_.mono_ms = mono_now_ms();
    wakes.reserve(subs_.size());
    for (auto& [id, w] : subs_) wakes.push_back(w);
  }
  for (auto& w : wakes) w();
}

void MjpegOutput::idle_check() {
  timer_ = 0;
  if (closed_) return;
  auto s = stream_.lock();
  if (!s) return;
  {
    // Checked and closed under one lock: a client subscribing meanwhile either keeps the
    // output or gets 0 from subscribe() and asks for a new one.
    std::lock_guard lk(mu_);
    const bool idle = subs_.empty() && mono_now_ms() - last_use_ms_.load() > kLingerMs;
    if (idle) {
      closed_ = true;
      error_ = "idle";
    }
  }
  if (!closed_) {
    timer_ = s->loop().post_delayed(1000, [self = shared_from_this()] { self->idle_check(); });
    return;
  }
  lg()->info("camera {}: MJPEG stopped (no clients for {} s; {} frames encoded)", camera_id_,
             kLingerMs / 1000, encoded_.load());
  s->remove_output(kind_, this);
  if (s->pipeline() && s->tee() && bin_ && tee_pad_) {
    detach_branch(s->loop(), s->pipeline(), std::move(tee_pad_), bin_.get(), {});
  } else {
    tee_pad_.release();  // not detached: give the pad back to the tee now
  }
  bin_.reset();  // detach_branch holds its own reference until the bin is out
  input_ = {};   // the sub transcoder lingers past the detach, then stops if unheld
}

void MjpegOutput::on_stream_teardown() {
  if (auto s = stream_.lock(); s && timer_) s->loop().cancel(timer_);
  timer_ = 0;
  close("the stream stopped");
  // The pipeline is already NULL and about to go: the pad goes back to its tee, and the
  // bin's last reference is the pipeline's.
  tee_pad_.release();
  bin_.reset();
}

model::OutputFigures MjpegOutput::figures() const {
  const Frame f = latest();
  model::MjpegFigures m;
  m.state = closed_ ? "stopped" : (f.seq ? "running" : "starting");
  m.clients = clients();
  m.frames_encoded = encoded_.load();
  m.frames_sent = sent_.load();
  m.frames_skipped = skipped_.load();
  m.dropped_buffers = dropped_.load();
  m.fps = cfg_.mjpeg.fps;
  m.quality = cfg_.mjpeg.quality;
  m.last_frame_bytes = f.jpeg ? f.jpeg->size() : 0;
  if (f.jpeg) {
    if (auto d = jpeg_dimensions(*f.jpeg)) {
      m.width = d->first;
      m.height = d->second;
    }
  }
  if (auto e = error(); !e.empty() && e != "idle") m.error = e;
  return m;
}

std::shared_ptr<MjpegOutput> mjpeg_output(const std::shared_ptr<Stream>& stream, Quality quality) {
  return get_or_create_output<MjpegOutput>(stream, output_kind(kKind, quality), quality);
}

std::shared_ptr<MjpegOutput> find_mjpeg_output(const std::shared_ptr<Stream>& stream, Quality quality) {
  return find_output<MjpegOutput>(stream, output_kind(kKind, quality));
}

}  // namespace camrelay::media
