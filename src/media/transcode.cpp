// Shared per-stream transcoders (see transcode.hpp).
#include "transcode.hpp"

#include <gst/video/video.h>

#include <fmt/format.h>

#include <atomic>
#include <vector>

#include "camrelay/gst/callback.hpp"
#include "camrelay/gst/ptr.hpp"
#include "camrelay/media/branch.hpp"
#include "camrelay/media/encoder.hpp"
#include "camrelay/util/error.hpp"
#include "camrelay/util/ids.hpp"
#include "camrelay/util/log.hpp"
#include "output_util.hpp"
#include "video_codec.hpp"

namespace camrelay::media {
namespace {
auto lg() {
  static auto l = log::get("transcode");
  return l;
}
constexpr int kOpusBitrate = 64000;
constexpr std::int64_t kKeyframeMinIntervalMs = 500;

struct Recipe {
  bool from_audio = false;
  std::vector<gst::ElementPtr> chain;  // in link order (first after the queue)
  GstElement* encoder = nullptr;       // borrowed from chain
  std::string missing;                 // factories that do not exist
  model::TranscodeFigures settings;  // from/codec/bitrate/size, shown in GET /streams/{id}
  std::string settings_text;         // the same, for the log
};

// Appends a new element to the recipe (or notes the factory as missing); the element,
// borrowed from the chain, or nullptr.
GstElement* make(const char* factory, Recipe& r) {
  gst::ElementPtr e = gst::try_make_element(factory);
  if (!e) {
    r.missing += (r.missing.empty() ? "" : ", ") + std::string(factory);
    return nullptr;
  }
  r.chain.push_back(std::move(e));
  return r.chain.back().get();
}

Recipe opus_recipe() {
  Recipe r;
  r.from_audio = true;
  make("avdec_aac", r);
  make("audioconvert", r);
  make("audioresample", r);
  r.encoder = make("opusenc", r);
  if (r.encoder) g_object_set(r.encoder, "bitrate", kOpusBitrate, nullptr);
  r.settings.from = "aac";
  r.settings.codec = "opus";
  r.settings.bitrate = kOpusBitrate;
  r.settings_text = fmt::format("aac → opus, {} bit/s", kOpusBitrate);
  return r;
}

// Realtime VP8 for browsers without H.264: one decode and one encode per stream.
Recipe vp8_recipe(const config::Webrtc& w, const std::string& codec) {
  Recipe r;
  make(video_codec_names(codec).decoder, r);  // avdec_h264 | avdec_h265
  make("videoconvert", r);
  if (w.vp8_width > 0 && w.vp8_height > 0) {
    make("videoscale", r);
    if (GstElement* f = make("capsfilter", r)) {
      auto c = gst::CapsPtr::adopt(gst_caps_new_simple("video/x-raw", "width", G_TYPE_INT, w.vp8_width, "height",
                                                        G_TYPE_INT, w.vp8_height, nullptr));
      g_object_set(f, "caps", c.get(), nullptr);
    }
  }
  r.encoder = make("vp8enc", r);
  if (r.encoder) {
    // Realtime: no lookahead, fastest speed, constant bitrate, error resilient (losses
    // stay local), a keyframe at least every 2 s and at once when a viewer asks.
    g_object_set(r.encoder, "deadline", gint64(1), "cpu-used", 16, "lag-in-frames", 0, "target-bitrate",
                 w.vp8_bitrate_kbps * 1000, "keyframe-max-dist", 60, "threads", 2, "buffer-size", 500,
                 "buffer-initial-size", 300, "buffer-optimal-size", 400, nullptr);
    gst_util_set_object_arg(G_OBJECT(r.encoder), "end-usage", "cbr");
    gst_util_set_object_arg(G_OBJECT(r.encoder), "error-resilient", "default");
  }
  r.settings.from = codec == "H265" ? "h265" : "h264";
  r.settings.codec = "vp8";
  r.settings.bitrate_kbps = w.vp8_bitrate_kbps;
  r.settings.width = std::max(0, w.vp8_width);  // 0: the camera's size
  r.settings.height = std::max(0, w.vp8_height);
  r.settings.deadline = "realtime";
  r.settings_text = fmt::format("{} → vp8, {} kbit/s, {}x{}", r.settings.from, w.vp8_bitrate_kbps,
                                w.vp8_width > 0 ? std::to_string(w.vp8_width) : "camera",
                                w.vp8_height > 0 ? std::to_string(w.vp8_height) : "camera");
  return r;
}

// H.265 → H.264 for H.265 cameras: browsers without H.265 and HLS take it. One decode and one
// encode per stream, at the camera's bandwidth (bandwidth.max_kbps); constrained baseline
// (every browser decodes it), parameter sets before every IDR and Annex B access units like
// the stream's own tee, so that every H.264 output takes either tee.
Recipe h264_recipe(const config::Camera& cam) {
  Recipe r;
  make("avdec_h265", r);
  make("videoconvert", r);
  r.encoder = make("x264enc", r);
  const int kbps = std::max(100, cam.bandwidth.max_kbps);
  if (r.encoder) {
    // Realtime: no lookahead or B-frames, a keyframe at least every 2 s (30 fps) and at
    // once when a viewer asks (force-key-unit).
    g_object_set(r.encoder, "bitrate", guint(kbps), "key-int-max", guint(60), "bframes", guint(0), nullptr);
    gst_util_set_object_arg(G_OBJECT(r.encoder), "tune", "zerolatency");
    gst_util_set_object_arg(G_OBJECT(r.encoder), "speed-preset", "ultrafast");
  }
  if (GstElement* f = make("capsfilter", r)) gst::set_caps(f, "video/x-h264,profile=constrained-baseline");
  if (GstElement* p = make("h264parse", r)) g_object_set(p, "config-interval", -1, nullptr);
  if (GstElement* f = make("capsfilter", r)) gst::set_caps(f, video_codec_names("H264").byte_stream_caps);
  r.settings.from = "h265";
  r.settings.codec = "h264";
  r.settings.bitrate_kbps = kbps;
  r.settings.deadline = "realtime";
  r.settings_text = fmt::format("h265 → h264, {} kbit/s, x264 ultrafast/zerolatency", kbps);
  return r;
}

// The frame rate (n/d) on a tee's sink pad; {0, 1} when unknown.
std::pair<int, int> tee_framerate(GstElement* tee) {
  int n = 0, d = 1;
  gst::PadPtr pad = gst::static_pad(tee, "sink");
  if (!pad) return {0, 1};
  auto caps = gst::CapsPtr::adopt(gst_pad_get_current_caps(pad.get()));
  if (!caps || gst_caps_get_size(caps.get()) == 0) return {0, 1};
  if (!gst_structure_get_fraction(gst_caps_get_structure(caps.get(), 0), "framerate", &n, &d) || n <= 0 || d <= 0) {
    return {0, 1};
  }
  return {n, d};
}

// The sub stream's encoder (camera.sub), built like the cameras camrelay encodes itself
// (media/encoder.hpp: x264, V4L2 M2M, VA-API): its bitrate, profile, preset and a keyframe
// every keyframe_interval_s. `fps`: the output rate the keyframe interval counts in.
GstElement* make_sub_encoder(const config::SubStream& c, double fps, Recipe& r) {
  config::H264Encoding e;
  e.width = c.width;
  e.height = c.height;
  e.fps = std::max(1, static_cast<int>(fps + 0.5));
  e.bitrate_kbps = c.bitrate_kbps;
  e.keyframe_interval_s = c.keyframe_interval_s;
  e.encoder = c.encoder;
  e.profile = c.profile;
  e.preset = c.preset;
  try {
    r.chain.push_back(make_h264_encoder(e, "subenc"));
  } catch (const Error& err) {
    r.missing += (r.missing.empty() ? "" : ", ") + std::string(err.what());
    return nullptr;
  }
  return r.chain.back().get();
}

// The camera's video, decoded, scaled (and its rate lowered) and encoded again as H.264 of
// camera.sub's size and bitrate: byte-stream access units with SPS/PPS before every IDR,
// like the stream's own tee, so every output can take it in its place.
Recipe sub_recipe(const config::SubStream& c, GstElement* in_tee) {
  Recipe r;
  const std::string decoder = video_decoder_for(in_tee);
  if (decoder.empty()) {
    r.missing = "a decoder for the camera's video (caps not known or not supported)";
    return r;
  }
  const auto [rate_n, rate_d] = tee_framerate(in_tee);
  const double camera_fps = rate_n > 0 ? double(rate_n) / rate_d : 0;
  if (GstElement* dec = make(decoder.c_str(), r)) {
    // A picture with missing references is dropped, not shown broken (as for MJPEG).
    if (g_object_class_find_property(G_OBJECT_GET_CLASS(dec), "output-corrupt")) {
      g_object_set(dec, "output-corrupt", FALSE, nullptr);
    }
  }
  make("videoconvert", r);
  make("videoscale", r);
  std::string raw = fmt::format("video/x-raw,width={},height={},pixel-aspect-ratio=1/1", c.width, c.height);
  if (c.fps > 0) {
    if (GstElement* rate = make("videorate", r)) {
      // Never above the camera's own rate; counting starts at the branch's first frame.
      g_object_set(rate, "drop-only", TRUE, "skip-to-first", TRUE, nullptr);
    }
    raw += fmt::format(",framerate={}/1", c.fps);
  }
  if (GstElement* f = make("capsfilter", r)) gst::set_caps(f, raw);
  const double fps = c.fps > 0 ? c.fps : (camera_fps > 0 ? camera_fps : 30.0);
  r.encoder = make_sub_encoder(c, fps, r);
  if (GstElement* parse = make("h264parse", r)) g_object_set(parse, "config-interval", -1, nullptr);
  if (GstElement* f = make("capsfilter", r)) gst::set_caps(f, "video/x-h264,stream-format=byte-stream,alignment=au");
  r.settings.from = decoder == "avdec_h264" ? "h264" : decoder == "avdec_h265" ? "h265" : decoder;
  r.settings.codec = "h264";
  r.settings.bitrate_kbps = c.bitrate_kbps;
  r.settings.width = c.width;
  r.settings.height = c.height;
  r.settings.fps = c.fps > 0 ? c.fps : static_cast<int>(fps + 0.5);
  r.settings.encoder = c.encoder;
  if (r.encoder && c.encoder == "auto") {
    try {
      r.settings.encoder = "auto: " + h264_encoder_factory(c.encoder);  // what it became here
    } catch (const Error&) {
    }
  }
  r.settings_text = fmt::format("{} → h264 ({}, {}), {}x{}, {} kbit/s, {} fps", r.settings.from, c.encoder, c.preset,
                                c.width, c.height, c.bitrate_kbps, *r.settings.fps);
  return r;
}

Recipe recipe_for(TranscodeTarget t, const Stream& s) {
  switch (t) {
    case TranscodeTarget::opus: return opus_recipe();
    case TranscodeTarget::vp8: return vp8_recipe(s.config().webrtc, config::video_codec(s.camera()));
    case TranscodeTarget::h264: return h264_recipe(s.camera());
    case TranscodeTarget::sub: return sub_recipe(s.camera().sub, s.tee());
  }
  return {};
}

class Transcoder final : public Output, public std::enable_shared_from_this<Transcoder> {
 public:
  Transcoder(std::shared_ptr<Stream> s, TranscodeTarget t) : stream_(std::move(s)), target_(t) {}

  // Builds and starts the branch; false (nothing left behind) if it cannot run.
  bool build() {
    // Until they are in the pipeline the elements are only ours: every early return drops them.
    Recipe r = recipe_for(target_, *stream_);
    GstElement* pipeline = stream_->pipeline();
    in_tee_ = r.from_audio ? stream_->audio_tee() : stream_->tee();
    if (!pipeline || !in_tee_) return false;
    auto q = make_leaky_queue(nullptr, r.from_audio ? 50 : 5,
                              gst::weak_member(shared_from_this(), &Transcoder::dropped_));
    if (!q) r.missing += (r.missing.empty() ? "" : ", ") + std::string("queue");
    gst::ElementPtr otee = gst::try_make_element("tee");
    if (!otee) r.missing += (r.missing.empty() ? "" : ", ") + std::string("tee");
    if (!r.missing.empty()) {
      lg()->error("camera {}: cannot run the {} transcoder: missing GStreamer element(s) {}", stream_->camera_id(),
                  transcode_kind(target_), r.missing);
      return false;
    }
    settings_ = r.settings;
    auto bin = gst::ElementPtr::ref_sink(
        gst_bin_new(fmt::format("{}-{}", transcode_kind(target_), stream_->camera_id()).c_str()));
    g_object_set(otee.get(), "allow-not-linked", TRUE, nullptr);
    gst_bin_add(GST_BIN(bin.get()), q.get());
    GstElement* prev = q.get();
    for (const gst::ElementPtr& e : r.chain) {
      gst_bin_add(GST_BIN(bin.get()), e.get());
      if (!gst_element_link(prev, e.get())) {
        lg()->error("camera {}: cannot run the {} transcoder: {} does not link to {}", stream_->camera_id(),
                    transcode_kind(target_), GST_OBJECT_NAME(prev), GST_OBJECT_NAME(e.get()));
        return false;  // `bin` (not in the pipeline yet) goes with everything in it
      }
      prev = e.get();
    }
    gst::PadPtr qsink = gst::static_pad(q.get(), "sink");
    if (!r.from_audio) add_keyframe_gate(qsink.get(), true);  // the decoder starts on a keyframe
    gst::add_ghost_pad(bin.get(), "sink", qsink.get());
    encoder_src_ = gst::static_pad(r.encoder, "src");  // keyframe requests are sent here
    gst::PadPtr last_src = gst::static_pad(r.chain.back().get(), "src");  // the encoder or what follows it
    gst::add_ghost_pad(bin.get(), "src", last_src.get());
    // Count output frames (the viewers' figure of what the encoder does).
    gst::add_probe(encoder_src_.get(), GST_PAD_PROBE_TYPE_BUFFER,
                   gst::weak_member(shared_from_this(), &Transcoder::frames_),
                   [](gst::Weak<std::atomic<std::uint64_t>>& w, GstPad*, GstPadProbeInfo*) -> GstPadProbeReturn {
                     if (auto frames = w.lock()) frames->fetch_add(1, std::memory_order_relaxed);
                     return GST_PAD_PROBE_OK;
                   });
    bin_ = std::move(bin);
    otee_ = std::move(otee);
    // Downstream first: the out tee, then the bin linked to it, both running, and only
    // then the input from the camera's tee (see attach_branch for why the order matters).
    // From here on a failure takes them out of the pipeline again (release_elements).
    gst_bin_add_many(GST_BIN(pipeline), otee_.get(), bin_.get(), nullptr);
    const bool linked =
        gst_pad_link(gst::static_pad(bin_.get(), "src").get(), gst::static_pad(otee_.get(), "sink").get()) ==
        GST_PAD_LINK_OK;
    gst_element_sync_state_with_parent(otee_.get());
    gst_element_sync_state_with_parent(bin_.get());
    if (linked) tee_pad_ = link_tee_to(in_tee_, bin_.get(), "sink");
    if (!tee_pad_) {
      release_elements();
      return false;
    }
    started_ms_ = mono_now_ms();
    holds_->set_idle([w = weak_from_this()] {
      if (auto t = w.lock(); t && t->bin_) t->stop();
    });
    if (!r.from_audio) stream_->request_keyframe();  // the decoder needs one to start
    lg()->info("camera {}: {} transcoder started ({}), shared by its viewers", stream_->camera_id(),
               transcode_kind(target_), r.settings_text);
    return true;
  }

  GstElement* tee() const { return otee_.get(); }

  std::shared_ptr<void> hold() { return holds_->hold(); }

  // Any thread: an upstream force-key-unit event to the encoder, at most one per 0.5 s.
  void request_keyframe() {
    const std::int64_t now = mono_now_ms();
    std::int64_t last = last_key_ms_.load();
    if (now - last < kKeyframeMinIntervalMs || !last_key_ms_.compare_exchange_strong(last, now)) return;
    std::weak_ptr<Transcoder> w = shared_from_this();
    stream_->loop().post([w] {
      auto t = w.lock();
      if (!t || !t->encoder_src_) return;
      // send_event takes the event.
      gst_pad_send_event(t->encoder_src_.get(),
                         gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 0));
      t->keyframes_requested_.fetch_add(1, std::memory_order_relaxed);
    });
  }

  void on_stream_teardown() override {
    holds_->cancel();
    // The pipeline is at NULL and is released with these elements in it (giving the tee
    // its pad back first is harmless).
    tee_pad_.release();
    drop_refs();
  }

  model::OutputFigures figures() const override {
    model::TranscodeFigures f = settings_;
    f.viewers = holds_->count();
    f.frames_out = frames_.load();
    f.dropped_in = dropped_.load();
    f.keyframes_requested = keyframes_requested_.load();
    f.uptime_s = double(mono_now_ms() - started_ms_) / 1000.0;
    return f;
  }

 private:
  void stop() {
    stream_->remove_output(transcode_kind(target_), this);
    if (!stream_->pipeline() || !tee_pad_) return;
    auto self = shared_from_this();
    unlink_tee_pad(stream_->loop(), std::move(tee_pad_), [self] {
      self->release_elements();
      lg()->info("camera {}: {} transcoder stopped (no viewer needs it)", self->stream_->camera_id(),
                 transcode_kind(self->target_));
    });
  }

  void release_elements() {
    GstElement* pipeline = stream_->pipeline();
    for (GstElement* e : {otee_.get(), bin_.get()}) {
      if (!e) continue;
      gst_element_set_state(e, GST_STATE_NULL);
      if (pipeline && GST_OBJECT_PARENT(e) == GST_OBJECT(pipeline)) gst_bin_remove(GST_BIN(pipeline), e);
    }
    drop_refs();
  }

  void drop_refs() {
    encoder_src_.reset();
    bin_.reset();
    otee_.reset();
  }

  std::shared_ptr<Stream> stream_;
  TranscodeTarget target_;
  model::TranscodeFigures settings_;
  GstElement* in_tee_ = nullptr;  // borrowed: the stream's video or audio tee
  gst::ElementPtr bin_;
  gst::ElementPtr otee_;
  gst::RequestPad tee_pad_;       // in_tee_'s request pad
  gst::PadPtr encoder_src_;
  // Its viewers (and for sub, outputs); it stops kOutputLingerMs after the last leaves.
  std::shared_ptr<Holds> holds_ = Holds::create(stream_->loop(), kOutputLingerMs);
  std::int64_t started_ms_ = 0;
  std::atomic<std::uint64_t> frames_{0}, dropped_{0}, keyframes_requested_{0};
  std::atomic<std::int64_t> last_key_ms_{0};
};
}  // namespace

const char* transcode_kind(TranscodeTarget t) {
  switch (t) {
    case TranscodeTarget::opus: return "webrtc-opus";
    case TranscodeTarget::vp8: return "webrtc-vp8";
    case TranscodeTarget::h264: return "h264";
    case TranscodeTarget::sub: return "sub";
  }
  return "transcode";
}

std::string video_decoder_for(GstElement* tee) {
  if (!tee) return {};
  gst::PadPtr pad = gst::static_pad(tee, "sink");
  if (!pad) return {};
  // The caps flowing, or before the first frame those the stream core's capsfilter allows.
  auto caps = gst::CapsPtr::adopt(gst_pad_get_current_caps(pad.get()));
  if (!caps) caps = gst::CapsPtr::adopt(gst_pad_peer_query_caps(pad.get(), nullptr));
  if (!caps || gst_caps_is_any(caps.get()) || gst_caps_get_size(caps.get()) == 0) return {};
  const std::string name = gst_structure_get_name(gst_caps_get_structure(caps.get(), 0));
  if (name == "video/x-h264") return "avdec_h264";
  if (name == "video/x-h265") return "avdec_h265";
  return {};
}

void request_transcode_keyframe(const std::shared_ptr<Stream>& s, TranscodeTarget target) {
  auto o = s->output(transcode_kind(target), [] { return std::shared_ptr<Output>(); });
  if (auto t = std::static_pointer_cast<Transcoder>(o)) t->request_keyframe();
}

TranscodeTap acquire_transcode(const std::shared_ptr<Stream>& s, TranscodeTarget target) {
  TranscodeTap tap;
  const char* kind = transcode_kind(target);
  std::shared_ptr<Transcoder> created;
  auto o = s->output(kind, [&]() -> std::shared_ptr<Output> {
    created = std::make_shared<Transcoder>(s, target);
    return created;
  });
  if (created && !created->build()) {
    s->remove_output(kind, created.get());
    return tap;
  }
  auto t = std::static_pointer_cast<Transcoder>(o);
  if (!t || !t->tee()) return tap;
  tap.tee = t->tee();
  tap.hold = t->hold();
  std::weak_ptr<Transcoder> w = t;
  tap.request_keyframe = [w] {
    if (auto x = w.lock()) x->request_keyframe();
  };
  return tap;
}

TranscodeTap acquire_h264(const std::shared_ptr<Stream>& s) {
  if (config::video_codec(s->camera()) == "H265") return acquire_transcode(s, TranscodeTarget::h264);
  TranscodeTap tap;
  tap.tee = s->tee();
  std::weak_ptr<Stream> w = s;
  tap.request_keyframe = [w] {
    if (auto x = w.lock()) x->request_keyframe();
  };
  return tap;
}

}  // namespace camrelay::media
