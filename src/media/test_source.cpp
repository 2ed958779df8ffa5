// The built-in test camera: live videotestsrc + wall-clock overlay + x264enc.
#include <fmt/format.h>

#include "camrelay/gst/ptr.hpp"
#include "camrelay/util/error.hpp"
#include "source.hpp"

namespace camrelay::media {
namespace {

class TestSource final : public Source {
 public:
  explicit TestSource(config::TestSource c) : c_(std::move(c)) {}

  void build(GstBin* pipe, GstElement* sink, GstElement* /*audio_sink: no audio*/) override {
    auto src = gst::make_element("videotestsrc");
    g_object_set(src.get(), "is-live", TRUE, nullptr);
    gst_util_set_object_arg(G_OBJECT(src.get()), "pattern", c_.pattern.c_str());

    auto rawcaps = gst::make_element("capsfilter");
    std::string raw = fmt::format("video/x-raw,format=I420,width={},height={},framerate={}/1",
                                  c_.width, c_.height, c_.fps);
    gst::set_caps(rawcaps.get(), raw);

    gst::ElementPtr overlay;
    if (c_.overlay_clock) {
      overlay = gst::make_element("clockoverlay");
      g_object_set(overlay.get(), "time-format", "%Y-%m-%d %H:%M:%S", "font-desc", "Sans 24",
                   "shaded-background", TRUE, nullptr);
    }

    auto enc = gst::make_element("x264enc");
    int gop = std::max(1, static_cast<int>(c_.keyframe_interval_s * c_.fps + 0.5));
    g_object_set(enc.get(), "bitrate", static_cast<guint>(c_.bitrate_kbps), "key-int-max",
                 static_cast<guint>(gop), "bframes", 0u, "threads", 1u, nullptr);
    gst_util_set_object_arg(G_OBJECT(enc.get()), "tune", "zerolatency");
    // ultrafast drops CABAC and 8x8 transforms, so its SPS always says baseline; a Main or
    // High test camera (to test what real cameras send) needs a preset that keeps them.
    const bool baseline = c_.profile == "constrained-baseline" || c_.profile == "baseline";
    gst_util_set_object_arg(G_OBJECT(enc.get()), "speed-preset", baseline ? "ultrafast" : "veryfast");

    auto enccaps = gst::make_element("capsfilter");
    gst::set_caps(enccaps.get(), fmt::format("video/x-h264,profile={}", c_.profile));

    GstElement* chain[] = {src.get(), rawcaps.get(), overlay.get(), enc.get(), enccaps.get()};
    GstElement* prev = nullptr;
    for (GstElement* e : chain) {
      if (!e) continue;
      gst_bin_add(pipe, e);  // the bin takes its own reference (not floating)
      if (prev && !gst_element_link(prev, e)) {
        throw Error(Errc::internal, "test source: cannot link elements");
      }
      prev = e;
    }
    if (!gst_element_link(prev, sink)) throw Error(Errc::internal, "test source: cannot link to parser");
  }

  bool honours_keyframe_requests() const override { return true; }

  std::string describe() const override {
    return fmt::format("test pattern {} {}x{}@{} {} kbps", c_.pattern, c_.width, c_.height, c_.fps,
                       c_.bitrate_kbps);
  }

 private:
  config::TestSource c_;
};

}  // namespace

std::unique_ptr<Source> make_test_source(const config::TestSource& c) {
  return std::make_unique<TestSource>(c);
}

}  // namespace camrelay::media
