// The audio WebRTC viewers receive. Opus and G.711 from the camera are passed through from
// the stream's audio tee; AAC (most RTSP cameras) is decoded and encoded to Opus ONCE per
// stream, by a transcoder that exists only while at least one WebRTC viewer takes audio
// and stops kTranscoderLingerMs after the last one leaves. GLib thread unless noted.
//
//   atee ─▶ [bin webrtc-opus: queue(leaky) → avdec_aac → audioconvert → audioresample → opusenc]
//        ─▶ otee (allow-not-linked) ─▶ viewers' audio branches
#include "webrtc_audio.hpp"

#include <fmt/format.h>

#include "camrelay/media/audio_plan.hpp"
#include "camrelay/media/branch.hpp"
#include "camrelay/util/log.hpp"
#include "output_util.hpp"

namespace camrelay::media {
namespace {
auto lg() {
  static auto l = log::get("webrtc");
  return l;
}
constexpr const char* kKind = "webrtc-opus";
constexpr unsigned kTranscoderLingerMs = 5000;
constexpr int kOpusBitrate = 64000;

class OpusTranscoder final : public Output, public std::enable_shared_from_this<OpusTranscoder> {
 public:
  explicit OpusTranscoder(std::shared_ptr<Stream> s) : stream_(std::move(s)) {}

  // Builds the branch; false (and nothing left behind) if the elements are missing.
  bool build() {
    GstElement* pipeline = stream_->pipeline();
    GstElement* atee = stream_->audio_tee();
    if (!pipeline || !atee) return false;
    GstElement* bin = gst_bin_new(fmt::format("webrtc-opus-{}", stream_->camera_id()).c_str());
    GstElement* q = make_leaky_queue(nullptr, 50, nullptr);
    GstElement* dec = gst_element_factory_make("avdec_aac", nullptr);
    GstElement* conv = gst_element_factory_make("audioconvert", nullptr);
    GstElement* res = gst_element_factory_make("audioresample", nullptr);
    GstElement* enc = gst_element_factory_make("opusenc", nullptr);
    otee_ = gst_element_factory_make("tee", nullptr);
    if (!bin || !q || !dec || !conv || !res || !enc || !otee_) {
      for (GstElement* e : {bin, q, dec, conv, res, enc, otee_}) {
        if (e) gst_object_unref(gst_object_ref_sink(e));
      }
      otee_ = nullptr;
      lg()->error("camera {}: cannot transcode AAC to Opus: missing avdec_aac/opusenc (gstreamer1.0-libav, -plugins-base)",
                  stream_->camera_id());
      return false;
    }
    g_object_set(enc, "bitrate", kOpusBitrate, nullptr);
    g_object_set(otee_, "allow-not-linked", TRUE, nullptr);
    gst_bin_add_many(GST_BIN(bin), q, dec, conv, res, enc, nullptr);
    gst_element_link_many(q, dec, conv, res, enc, nullptr);
    GstPad* qsink = gst_element_get_static_pad(q, "sink");
    gst_element_add_pad(bin, gst_ghost_pad_new("sink", qsink));
    gst_object_unref(qsink);
    GstPad* esrc = gst_element_get_static_pad(enc, "src");
    gst_element_add_pad(bin, gst_ghost_pad_new("src", esrc));
    gst_object_unref(esrc);
    bin_ = GST_ELEMENT(gst_object_ref_sink(bin));
    gst_object_ref_sink(otee_);
    // Downstream first: the tee, then the bin linked to it, both running, and only then
    // the bin's input from the audio tee (see attach_branch for why the order matters).
    gst_bin_add_many(GST_BIN(pipeline), otee_, bin_, nullptr);
    GstPad* bsrc = gst_element_get_static_pad(bin_, "src");
    GstPad* tsink = gst_element_get_static_pad(otee_, "sink");
    const bool linked = gst_pad_link(bsrc, tsink) == GST_PAD_LINK_OK;
    gst_object_unref(bsrc);
    gst_object_unref(tsink);
    gst_element_sync_state_with_parent(otee_);
    gst_element_sync_state_with_parent(bin_);
    tee_pad_ = linked ? link_tee_to(atee, bin_, "sink") : nullptr;
    if (!tee_pad_) {
      release_elements();
      return false;
    }
    lg()->info("camera {}: AAC → Opus transcoder started (shared by its WebRTC viewers)", stream_->camera_id());
    return true;
  }

  GstElement* tee() const { return otee_; }

  // A hold for one viewer: while any exists the transcoder runs.
  std::shared_ptr<void> hold() {
    ++users_;
    if (linger_) {
      stream_->loop().cancel(linger_);
      linger_ = 0;
    }
    std::weak_ptr<OpusTranscoder> w = shared_from_this();
    return std::shared_ptr<void>(nullptr, [w](void*) {
      if (auto t = w.lock()) t->stream_->loop().post([t] { t->release(); });
    });
  }

  void on_stream_teardown() override {
    if (linger_) stream_->loop().cancel(linger_);
    linger_ = 0;
    // The pipeline is going to NULL and will be released with these elements in it.
    if (tee_pad_) gst_object_unref(tee_pad_);
    tee_pad_ = nullptr;
    if (bin_) gst_object_unref(bin_);
    if (otee_) gst_object_unref(otee_);
    bin_ = otee_ = nullptr;
  }

  std::string stats_json() const override {
    return fmt::format(R"({{"codec":"opus","from":"aac","bitrate":{},"viewers":{}}})", kOpusBitrate, users_);
  }

 private:
  void release() {
    if (--users_ > 0 || linger_ || !bin_) return;
    std::weak_ptr<OpusTranscoder> w = shared_from_this();
    linger_ = stream_->loop().post_delayed(kTranscoderLingerMs, [w] {
      auto t = w.lock();
      if (!t) return;
      t->linger_ = 0;
      if (t->users_ == 0) t->stop();
    });
  }

  void stop() {
    stream_->remove_output(kKind, this);
    GstElement* pipeline = stream_->pipeline();
    GstElement* atee = stream_->audio_tee();
    if (!pipeline || !atee || !tee_pad_) return;
    auto self = shared_from_this();
    unlink_tee_pad(stream_->loop(), atee, std::exchange(tee_pad_, nullptr), [self] {
      self->release_elements();
      lg()->info("camera {}: AAC → Opus transcoder stopped (no WebRTC viewer takes audio)", self->stream_->camera_id());
    });
  }

  void release_elements() {
    GstElement* pipeline = stream_->pipeline();
    if (otee_) {
      gst_element_set_state(otee_, GST_STATE_NULL);
      if (pipeline && GST_OBJECT_PARENT(otee_) == GST_OBJECT(pipeline)) gst_bin_remove(GST_BIN(pipeline), otee_);
      gst_object_unref(otee_);
      otee_ = nullptr;
    }
    if (bin_) {
      gst_element_set_state(bin_, GST_STATE_NULL);
      if (pipeline && GST_OBJECT_PARENT(bin_) == GST_OBJECT(pipeline)) gst_bin_remove(GST_BIN(pipeline), bin_);
      gst_object_unref(bin_);
      bin_ = nullptr;
    }
  }

  std::shared_ptr<Stream> stream_;
  GstElement* bin_ = nullptr;   // own ref
  GstElement* otee_ = nullptr;  // own ref
  GstPad* tee_pad_ = nullptr;   // atee's request pad (own ref)
  int users_ = 0;
  unsigned linger_ = 0;
};
}  // namespace

std::string webrtc_audio_codec(const Stream& s) {
  const AudioInfo info = s.audio_info();
  const std::string plan = webrtc_audio_plan(info.codec);
  if (plan == "passthrough") return info.codec;
  if (plan == "transcode:opus") return "opus";
  return {};
}

AudioTap acquire_webrtc_audio(const std::shared_ptr<Stream>& s) {
  AudioTap tap;
  const AudioInfo info = s->audio_info();
  const std::string_view c = info.codec;
  if (!s->audio_tee() || c.empty()) return tap;
  if (c == "opus" || c == "pcmu" || c == "pcma") {
    tap.tee = s->audio_tee();
    tap.codec = std::string(c);
    tap.transcoded = false;
    return tap;
  }
  if (c != "aac") return tap;
  std::shared_ptr<OpusTranscoder> created;
  auto o = s->output(kKind, [&]() -> std::shared_ptr<Output> {
    created = std::make_shared<OpusTranscoder>(s);
    return created;
  });
  if (created && !created->build()) {
    s->remove_output(kKind, created.get());
    return tap;
  }
  auto t = std::static_pointer_cast<OpusTranscoder>(o);
  if (!t || !t->tee()) return tap;
  tap.tee = t->tee();
  tap.codec = "opus";
  tap.transcoded = true;
  tap.hold = t->hold();
  return tap;
}

}  // namespace camrelay::media
