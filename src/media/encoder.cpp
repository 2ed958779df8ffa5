// camrelay's own H.264 encoders: x264, V4L2 M2M and VA-API behind one builder.
#include "camrelay/media/encoder.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "camrelay/util/error.hpp"

namespace camrelay::media {
namespace {

bool have_factory(const char* name) {
  GstElementFactory* f = gst_element_factory_find(name);
  if (!f) return false;
  gst_object_unref(f);
  return true;
}

// The element behind one encoder name here, or "" if GStreamer has none of its elements.
std::string factory_of(const std::string& encoder) {
  if (encoder == "x264") return have_factory("x264enc") ? "x264enc" : "";
  if (encoder == "v4l2") return have_factory("v4l2h264enc") ? "v4l2h264enc" : "";
  if (encoder == "vaapi") {
    if (have_factory("vah264enc")) return "vah264enc";
    return have_factory("vaapih264enc") ? "vaapih264enc" : "";
  }
  return "";
}

const char* elements_of(const std::string& encoder) {
  if (encoder == "x264") return "x264enc (gstreamer1.0-plugins-ugly)";
  if (encoder == "v4l2") return "v4l2h264enc (gstreamer1.0-plugins-good, and a V4L2 encoder device)";
  if (encoder == "vaapi") return "vah264enc (gstreamer1.0-plugins-bad) or vaapih264enc (gstreamer1.0-vaapi), and a VA-API driver";
  return "?";
}

int gop_frames(const config::H264Encoding& e) {
  return std::max(1, static_cast<int>(e.keyframe_interval_s * e.fps + 0.5));
}

bool baseline(const std::string& profile) { return profile == "constrained-baseline" || profile == "baseline"; }

void set_up(GstElement* enc, const std::string& factory, const config::H264Encoding& e) {
  const auto kbps = static_cast<guint>(e.bitrate_kbps);
  const auto gop = static_cast<guint>(gop_frames(e));
  if (factory == "x264enc") {
    g_object_set(enc, "bitrate", kbps, "key-int-max", gop, "bframes", 0u, "threads", 1u, nullptr);
    gst_util_set_object_arg(G_OBJECT(enc), "tune", "zerolatency");
    // ultrafast drops CABAC and 8x8 transforms, so its SPS always says baseline: "auto"
    // keeps it for baseline and takes veryfast for Main and High.
    const std::string preset = e.preset != "auto" ? e.preset : baseline(e.profile) ? "ultrafast" : "veryfast";
    gst_util_set_object_arg(G_OBJECT(enc), "speed-preset", preset.c_str());
  } else if (factory == "v4l2h264enc") {
    gst::StructurePtr controls(gst_structure_new("controls", "video_bitrate", G_TYPE_INT, e.bitrate_kbps * 1000,
                                                 "h264_i_frame_period", G_TYPE_INT, gop_frames(e), nullptr));
    g_object_set(enc, "extra-controls", controls.get(), nullptr);
  } else if (factory == "vah264enc") {
    g_object_set(enc, "bitrate", kbps, "key-int-max", gop, "b-frames", 0u, nullptr);
    gst_util_set_object_arg(G_OBJECT(enc), "rate-control", "cbr");
  } else if (factory == "vaapih264enc") {
    g_object_set(enc, "bitrate", kbps, "keyframe-period", gop, "max-bframes", 0u, nullptr);
    gst_util_set_object_arg(G_OBJECT(enc), "rate-control", "cbr");
  }
}

}  // namespace

std::vector<std::string> available_h264_encoders() {
  std::vector<std::string> out;
  for (const char* name : {"x264", "v4l2", "vaapi"}) {
    if (!factory_of(name).empty()) out.emplace_back(name);
  }
  if (!out.empty()) out.emplace_back("auto");
  return out;
}

std::string h264_encoder_factory(const std::string& encoder) {
  if (encoder == "auto") {
    for (const char* name : {"v4l2", "vaapi", "x264"}) {
      if (auto f = factory_of(name); !f.empty()) return f;
    }
    throw Error(Errc::internal, "encoder auto: GStreamer has no H.264 encoder here (install "
                                        "gstreamer1.0-plugins-ugly for x264enc)");
  }
  if (encoder != "x264" && encoder != "v4l2" && encoder != "vaapi") {
    throw Error(Errc::invalid_argument, fmt::format("encoder \"{}\": must be one of x264, v4l2, vaapi, auto", encoder));
  }
  if (auto f = factory_of(encoder); !f.empty()) return f;
  // Like any missing element: the machine lacks it (the source is retried; the settings API
  // refuses such an encoder before it gets here).
  std::vector<std::string> have = available_h264_encoders();
  throw Error(Errc::internal,
              fmt::format("encoder {}: GStreamer has no {} here (available: {})", encoder, elements_of(encoder),
                          have.empty() ? std::string("none") : fmt::format("{}", fmt::join(have, ", "))));
}

gst::ElementPtr make_h264_encoder(const config::H264Encoding& e, const char* name) {
  const std::string factory = h264_encoder_factory(e.encoder);
  auto bin = gst::ElementPtr::ref_sink(gst_bin_new(name));
  auto conv = gst::make_element("videoconvert");
  auto enc = gst::make_element(factory.c_str(), "enc");
  set_up(enc.get(), factory, e);
  auto caps = gst::make_element("capsfilter");
  gst::set_caps(caps.get(), fmt::format("video/x-h264,profile={}", e.profile));
  GstElement* chain[] = {conv.get(), enc.get(), caps.get()};
  for (GstElement* el : chain) gst_bin_add(GST_BIN(bin.get()), el);  // the bin takes its own reference
  if (!gst_element_link_many(conv.get(), enc.get(), caps.get(), nullptr)) {
    throw Error(Errc::internal, fmt::format("{}: cannot link videoconvert → {} → capsfilter", name, factory));
  }
  gst::PadPtr sink = gst::static_pad(conv.get(), "sink");
  gst::PadPtr src = gst::static_pad(caps.get(), "src");
  if (!gst::add_ghost_pad(bin.get(), "sink", sink.get()) || !gst::add_ghost_pad(bin.get(), "src", src.get())) {
    throw Error(Errc::internal, fmt::format("{}: cannot make its pads", name));
  }
  return bin;
}

}  // namespace camrelay::media
