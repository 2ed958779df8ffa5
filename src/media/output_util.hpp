#pragma once
// Small helpers shared by the on-demand outputs (HLS, MJPEG). GLib thread.
#include <gst/gst.h>

#include <memory>

#include "camrelay/media/stream.hpp"

namespace camrelay::media {

// Adds a probe on a branch's first sink pad that drops delta frames until the first
// keyframe (a decoder or muxer joining mid-GOP gets a clean start) and, if
// `drop_key_requests`, swallows upstream force-key-unit events from the branch.
void add_keyframe_gate(GstPad* pad, bool drop_key_requests);

// The stream's output of type T registered under `kind`, created (T(stream, config,
// camera_id, args...)) and started if there is none yet. Any thread.
template <class T, class... Args>
std::shared_ptr<T> get_or_create_output(const std::shared_ptr<Stream>& stream, const std::string& kind,
                                        const Args&... args) {
  std::shared_ptr<T> created;
  auto o = stream->output(kind, [&]() -> std::shared_ptr<Output> {
    created = std::make_shared<T>(stream, stream->config(), stream->camera_id(), args...);
    return created;
  });
  if (created) created->start();
  return std::static_pointer_cast<T>(o);
}

// The stream's output under `kind`, or nullptr (never creates one).
template <class T>
std::shared_ptr<T> find_output(const std::shared_ptr<Stream>& stream, const std::string& kind) {
  return std::static_pointer_cast<T>(stream->output(kind, [] { return std::shared_ptr<Output>(); }));
}

}  // namespace camrelay::media
