#pragma once
#include "camrelay/gst/layer.hpp"  // below the service only
// The thread-safe link between a BCGH session (service, the camera path's strand) and the RTP
// source of its stream (media, GLib/streaming threads). The session tells the source where
// the camera wants RTCP (from the SDP answer); the source reacts at once.
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

namespace camrelay::media {

class RtpLink {
 public:
  struct Endpoint {
    std::string host;  // empty or 0.0.0.0 = unknown: learn it from the camera's packets
    int port = 0;
  };
  // The audio the camera's answer accepted (m=audio with its payload type and a=rtpmap).
  struct AudioFormat {
    int payload_type = 111;
    std::string codec = "OPUS";  // OPUS | PCMU | PCMA (RTP encoding name, upper case)
    int clock_rate = 48000;
    int channels = 1;
  };

  // service → media, before set_camera_rtcp() of the same answer: the answer's audio
  // format, or nullopt when the camera refused the audio (or sent none we can use).
  void set_audio_format(std::optional<AudioFormat> f) {
    std::lock_guard lk(mu_);
    audio_ = std::move(f);
  }
  std::optional<AudioFormat> audio_format() const {
    std::lock_guard lk(mu_);
    return audio_;
  }

  // service → media: the camera's RTCP address from an accepted answer. Also restarts
  // the source's "no RTP" clock (the camera gets rtp_timeout_s to begin sending).
  void set_camera_rtcp(Endpoint e) {
    std::function<void(const Endpoint&)> fn;
    {
      std::lock_guard lk(mu_);
      remote_ = e;
      ++answers_;
      fn = listener_;
    }
    if (fn) fn(e);
  }
  std::optional<Endpoint> camera_rtcp() const {
    std::lock_guard lk(mu_);
    return remote_;
  }
  // How many answers were applied (0 = the camera has not answered yet).
  std::uint64_t answers() const {
    std::lock_guard lk(mu_);
    return answers_;
  }
  // media: called (on the setter's thread) whenever set_camera_rtcp() runs. One listener.
  void set_listener(std::function<void(const Endpoint&)> fn) {
    std::lock_guard lk(mu_);
    listener_ = std::move(fn);
  }

 private:
  mutable std::mutex mu_;
  std::optional<Endpoint> remote_;
  std::optional<AudioFormat> audio_;
  std::uint64_t answers_ = 0;
  std::function<void(const Endpoint&)> listener_;
};

}  // namespace camrelay::media
