// The audio WebRTC viewers receive: Opus and G.711 from the camera are passed through from
// the stream's audio tee; AAC (most RTSP cameras) goes through the stream's shared
// AAC → Opus transcoder (transcode.hpp), made once per stream while viewers take audio.
#include "webrtc_audio.hpp"

#include "camrelay/media/audio_plan.hpp"
#include "transcode.hpp"

namespace camrelay::media {

std::string webrtc_audio_codec(const Stream& s) {
  const AudioInfo info = s.audio_info();
  const std::string plan = webrtc_audio_plan(info.codec);
  if (plan == "passthrough") return info.codec;
  if (plan == "transcode:opus") return "opus";
  return {};
}

AudioTap acquire_webrtc_audio(const std::shared_ptr<Stream>& s) {
  AudioTap tap;
  const AudioInfo info = s->audio_info();
  const std::string plan = webrtc_audio_plan(info.codec);
  if (!s->audio_tee() || plan == "none") return tap;
  if (plan == "passthrough") {
    tap.tee = s->audio_tee();
    tap.codec = info.codec;
    return tap;
  }
  TranscodeTap t = acquire_transcode(s, TranscodeTarget::opus);
  if (!t.tee) return tap;
  tap.tee = t.tee;
  tap.codec = "opus";
  tap.transcoded = true;
  tap.hold = std::move(t.hold);
  return tap;
}

}  // namespace camrelay::media
