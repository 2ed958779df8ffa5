// A recording's thumbnail: its first picture, decoded from the file (include/camrelay/media/recorder.hpp).
#include <gst/app/gstappsink.h>

#include <fmt/format.h>

#include "camrelay/gst/ptr.hpp"
#include "camrelay/media/recorder.hpp"
#include "camrelay/util/error.hpp"

namespace camrelay::media {

std::string recording_thumbnail(const std::filesystem::path& file, int width) {
  // The location is set as a property, never spliced into the description.
  const std::string desc = fmt::format(
      "filesrc name=src ! qtdemux name=demux demux.video_0 ! queue ! decodebin ! videoconvert ! videoscale ! "
      "video/x-raw,width={},pixel-aspect-ratio=1/1 ! jpegenc quality=80 snapshot=true ! appsink name=sink sync=false",
      width);
  GError* err = nullptr;
  auto pipe =
      gst::ElementPtr::ref_sink(gst_parse_launch_full(desc.c_str(), nullptr, GST_PARSE_FLAG_FATAL_ERRORS, &err));
  const gst::ErrorPtr parse_err(err);
  auto fsrc = pipe ? gst::ElementPtr::adopt(gst_bin_get_by_name(GST_BIN(pipe.get()), "src")) : gst::ElementPtr();
  auto sink = pipe ? gst::ElementPtr::adopt(gst_bin_get_by_name(GST_BIN(pipe.get()), "sink")) : gst::ElementPtr();
  if (!fsrc || !sink) {
    const std::string why = parse_err && parse_err->message ? parse_err->message : "unknown error";
    throw Error(Errc::internal, "thumbnail: cannot build the decoding pipeline: " + why);
  }
  g_object_set(fsrc.get(), "location", file.c_str(), nullptr);
  std::string out, failure;
  if (gst_element_set_state(pipe.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    failure = "cannot start the decoding pipeline";
  } else if (auto sample = gst::SamplePtr::adopt(gst_app_sink_try_pull_sample(GST_APP_SINK(sink.get()), 5 * GST_SECOND))) {
    GstBuffer* b = gst_sample_get_buffer(sample.get());  // borrowed from the sample
    GstMapInfo map;
    if (b && gst_buffer_map(b, &map, GST_MAP_READ)) {
      out.assign(reinterpret_cast<const char*>(map.data), map.size);
      gst_buffer_unmap(b, &map);
    }
  }
  if (out.empty() && failure.empty()) {
    auto bus = gst::BusPtr::adopt(gst_element_get_bus(pipe.get()));
    if (auto m = gst::MessagePtr::adopt(gst_bus_pop_filtered(bus.get(), GST_MESSAGE_ERROR))) {
      failure = gst::parse_error(m.get()).message;
    } else {
      failure = "no picture within 5 s";
    }
  }
  gst_element_set_state(pipe.get(), GST_STATE_NULL);
  if (out.empty()) throw Error(Errc::unavailable, "thumbnail of " + file.filename().string() + ": " + failure);
  return out;
}

}  // namespace camrelay::media
