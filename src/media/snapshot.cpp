// JPEG snapshot scaling with a one-off pipeline (include/camrelay/media/mjpeg.hpp).
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>

#include <fmt/format.h>

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
  GError* err = nullptr;
  GstElement* pipe = gst_parse_launch(desc.c_str(), &err);
  if (!pipe) {
    std::string why = err ? err->message : "unknown error";
    g_clear_error(&err);
    throw Error(Errc::internal, "snapshot: cannot build the scaling pipeline: " + why);
  }
  g_clear_error(&err);  // non-fatal warnings
  gst_object_ref_sink(pipe);
  GstElement* src = gst_bin_get_by_name(GST_BIN(pipe), "src");
  GstElement* sink = gst_bin_get_by_name(GST_BIN(pipe), "sink");
  GstCaps* caps = gst_caps_new_simple("image/jpeg", "framerate", GST_TYPE_FRACTION, 0, 1, nullptr);
  g_object_set(src, "caps", caps, nullptr);
  gst_caps_unref(caps);

  std::string out;
  std::string failure;
  if (gst_element_set_state(pipe, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    failure = "cannot start the scaling pipeline";
  } else {
    GstBuffer* buf = gst_buffer_new_allocate(nullptr, jpeg.size(), nullptr);
    gst_buffer_fill(buf, 0, jpeg.data(), jpeg.size());
    GST_BUFFER_PTS(buf) = 0;
    gst_app_src_push_buffer(GST_APP_SRC(src), buf);  // takes the buffer
    gst_app_src_end_of_stream(GST_APP_SRC(src));
    GstSample* sample = gst_app_sink_try_pull_sample(GST_APP_SINK(sink), 5 * GST_SECOND);
    if (sample) {
      GstBuffer* ob = gst_sample_get_buffer(sample);
      GstMapInfo map;
      if (ob && gst_buffer_map(ob, &map, GST_MAP_READ)) {
        out.assign(reinterpret_cast<const char*>(map.data), map.size);
        gst_buffer_unmap(ob, &map);
      }
      gst_sample_unref(sample);
    }
    if (out.empty()) {
      // The bus says why (e.g. a corrupt frame).
      GstBus* bus = gst_element_get_bus(pipe);
      if (GstMessage* m = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR)) {
        gst_message_parse_error(m, &err, nullptr);
        failure = err ? err->message : "decoder error";
        g_clear_error(&err);
        gst_message_unref(m);
      } else {
        failure = "no output within 5 s";
      }
      gst_object_unref(bus);
    }
  }
  gst_element_set_state(pipe, GST_STATE_NULL);
  gst_object_unref(src);
  gst_object_unref(sink);
  gst_object_unref(pipe);
  if (out.empty()) throw Error(Errc::internal, "snapshot: scaling failed: " + failure);
  return out;
}

}  // namespace camrelay::media
