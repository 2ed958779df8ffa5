#pragma once
// What audio a WebRTC viewer of a stream can receive, and where to take it from.
#include <gst/gst.h>

#include <memory>
#include <string>

#include "camrelay/media/stream.hpp"

namespace camrelay::media {

// The codec WebRTC viewers get from this stream's audio: "opus" (the camera's Opus, or its
// AAC transcoded), "pcmu", "pcma", or "" (no audio, audio off, or not known yet). Any thread.
std::string webrtc_audio_codec(const Stream& s);

struct AudioTap {
  GstElement* tee = nullptr;  // borrowed; a tee in the stream's pipeline (nullptr: no audio)
  std::string codec;          // opus | pcmu | pcma
  bool transcoded = false;
  std::shared_ptr<void> hold;  // keeps a shared transcoder running while held (any thread)
};

// GLib thread. The tee a viewer's audio branch links to; starts the shared AAC → Opus
// transcoder when the camera sends AAC.
AudioTap acquire_webrtc_audio(const std::shared_ptr<Stream>& s);

}  // namespace camrelay::media
