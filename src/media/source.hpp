#pragma once
// A camera source: adds its elements to the pipeline and links its H.264 output to
// `sink` (an h264parse), now or later (dynamic pads). Runs on the GLib thread.
#include <gst/gst.h>

#include <functional>
#include <memory>
#include <string>

#include "camrelay/config/config.hpp"

namespace camrelay::media {

class Source {
 public:
  virtual ~Source() = default;
  // Adds elements to `pipeline` and links them to `sink`. Throws camrelay::Error.
  virtual void build(GstBin* pipeline, GstElement* sink) = 0;
  // Whether a force-key-unit event sent upstream reaches an encoder we control.
  virtual bool honours_keyframe_requests() const { return false; }
  // Called for bus errors coming from this source's elements; return true if handled
  // (e.g. a reconnecting source), false to fail the stream.
  virtual bool handle_error(GstMessage* /*msg*/) { return false; }
  // A short description for logs and the API, with credentials masked.
  virtual std::string describe() const = 0;
};

std::unique_ptr<Source> make_source(const config::Config& cfg, const config::Camera& cam);

}  // namespace camrelay::media
