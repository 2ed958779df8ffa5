// JPEG snapshot scaling with a one-off pipeline (include/camrelay/media/mjpeg.hpp).
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>

#include <fmt/format.h>

#include "camrelay/gst/ptr.hpp"
#include "camrelay/media/mjpeg.hpp"
#include "camrelay/util/error.hpp"

namespace camrelay::media {

std::string scale_jpeg(const std::string& jpeg, int width, int quality) {
  auto dims = jpeg_dimensions(jpeg);
  if (!dims) throw Error(Errc::internal, "snapshot: the frame is not a JPEG");
  const int height = scaled_height(dims->first, dims->second, width);
  const std::string desc = fmt::format(
      "appsrc name=src format=time ! jpegdec ! videoconvert ! videoscale ! "
      "video/x-raw,width={},height={},pixel-aspect-ratio=1/1 ! jpegenc quality={} ! "
      "appsink name=sink sync=false",
      width, height, quality);
  // FATAL_ERRORS: a missing element fails here instead of leaving a partial pipeline that
  // can never produce a frame.
  GError* err = nullptr;
  auto pipe =
      gst::ElementPtr::ref_sink(gst_parse_launch_full(desc.c_str(), nullptr, GST_PARSE_FLAG_FATAL_ERRORS, &err));
  const gst::ErrorPtr parse_err(err);  // may also be set beside a pipeline (a warning): dropped
  auto src = pipe ? gst::ElementPtr::adopt(gst_bin_get_by_name(GST_BIN(pipe.get()), "src")) : gst::ElementPtr();
  auto sink = pipe ? gst::ElementPtr::adopt(gst_bin_get_by_name(GST_BIN(pipe.get()), "sink")) : gst::ElementPtr();
  if (!src || !sink) {
    const std::string why = parse_err && parse_err->message ? parse_err->message : "unknown error";
    throw Error(Errc::internal, "snapshot: cannot build the scaling pipeline: " + why);
  }
  auto caps = gst::CapsPtr::adopt(gst_caps_new_simple("image/jpeg", "framerate", GST_TYPE_FRACTION, 0, 1, nullptr));
  g_object_set(src.get(), "caps", caps.get(), nullptr);

  std::string out;
  std::string failure;
  if (gst_element_set_state(pipe.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    failure = "cannot start the scaling pipeline";
  } else {
    auto buf = gst::BufferPtr::adopt(gst_buffer_new_allocate(nullptr, jpeg.size(), nullptr));
    gst_buffer_fill(buf.get(), 0, jpeg.data(), jpeg.size());
    GST_BUFFER_PTS(buf.get()) = 0;
    gst_app_src_push_buffer(GST_APP_SRC(src.get()), buf.release());  // takes the buffer
    gst_app_src_end_of_stream(GST_APP_SRC(src.get()));
    if (auto sample = gst::SamplePtr::adopt(gst_app_sink_try_pull_sample(GST_APP_SINK(sink.get()), 5 * GST_SECOND))) {
      GstBuffer* ob = gst_sample_get_buffer(sample.get());  // borrowed from the sample
      GstMapInfo map;
      if (ob && gst_buffer_map(ob, &map, GST_MAP_READ)) {
        out.assign(reinterpret_cast<const char*>(map.data), map.size);
        gst_buffer_unmap(ob, &map);
      }
    }
    if (out.empty()) {
      // The bus says why (e.g. a corrupt frame).
      auto bus = gst::BusPtr::adopt(gst_element_get_bus(pipe.get()));
      if (auto m = gst::MessagePtr::adopt(gst_bus_pop_filtered(bus.get(), GST_MESSAGE_ERROR))) {
        failure = gst::parse_error(m.get()).message;
      } else {
        failure = "no output within 5 s";
      }
    }
  }
  gst_element_set_state(pipe.get(), GST_STATE_NULL);
  if (out.empty()) throw Error(Errc::internal, "snapshot: scaling failed: " + failure);
  return out;
}

}  // namespace camrelay::media
