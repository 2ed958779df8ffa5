#pragma once
// Small helpers shared by the on-demand outputs (HLS, MJPEG, transcoders, the WebRTC
// payloader). GLib thread unless noted.
#include <gst/gst.h>

#include <atomic>
#include <functional>
#include <memory>

#include "camrelay/gst/main_loop.hpp"
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

// The holds on a shared output (a transcoder, the WebRTC payloader): it runs while held and
// the idle function runs `linger_ms` after the last hold is dropped with no new one (a viewer
// coming back soon finds it running). set_idle(), hold() and cancel() on the GLib thread of
// `loop`; a hold may be dropped on any thread.
inline constexpr unsigned kOutputLingerMs = 5000;  // how long a shared output outlives its last hold

class Holds : public std::enable_shared_from_this<Holds> {
 public:
  static std::shared_ptr<Holds> create(gst::MainLoop& loop, unsigned linger_ms);
  // What stops the output (it refers to the output weakly: the Holds may outlive it).
  void set_idle(std::function<void()> idle) { idle_ = std::move(idle); }
  std::shared_ptr<void> hold();
  int count() const { return users_.load(); }  // any thread
  void cancel();                                // the output is gone: `idle` never runs again

 private:
  Holds(gst::MainLoop& loop, unsigned linger_ms) : loop_(loop), linger_ms_(linger_ms) {}
  void release();  // GLib thread

  gst::MainLoop& loop_;
  unsigned linger_ms_;
  std::function<void()> idle_;
  std::atomic<int> users_{0};
  unsigned timer_ = 0;
  bool cancelled_ = false;
};

// The stream's output under `kind`, or nullptr (never creates one).
template <class T>
std::shared_ptr<T> find_output(const std::shared_ptr<Stream>& stream, const std::string& kind) {
  return std::static_pointer_cast<T>(stream->output(kind, [] { return std::shared_ptr<Output>(); }));
}

}  // namespace camrelay::media
