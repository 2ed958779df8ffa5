// The built-in test camera: live videotestsrc + wall-clock overlay + H.264 encoder (encoder.hpp).
#include <fmt/format.h>

#include "camrelay/gst/ptr.hpp"
#include "camrelay/media/encoder.hpp"
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

    // x264 (or a hardware encoder) with the camera's profile, preset, bitrate and GOP.
    auto enc = make_h264_encoder(*config::own_encoding(config::Source(c_)), "encoder");

    GstElement* chain[] = {src.get(), rawcaps.get(), overlay.get(), enc.get()};
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
    return fmt::format("test pattern {} {}x{}@{} {} kbps ({} {}, preset {})", c_.pattern, c_.width, c_.height,
                       c_.fps, c_.bitrate_kbps, c_.encoder, c_.profile, c_.preset);
  }

 private:
  config::TestSource c_;
};

}  // namespace

std::unique_ptr<Source> make_test_source(const config::TestSource& c) {
  return std::make_unique<TestSource>(c);
}

}  // namespace camrelay::media
