// An output's video input: the stream's tee or the sub transcoder's (video_input.hpp).
#include "camrelay/media/video_input.hpp"

#include "transcode.hpp"

namespace camrelay::media {

std::string output_kind(const char* base, Quality q) {
  return q == Quality::sub ? std::string(base) + "-sub" : std::string(base);
}

VideoInput video_input(const std::shared_ptr<Stream>& s, Quality q) {
  VideoInput in;
  if (!s || !s->pipeline() || !s->tee()) return in;
  if (q == Quality::main) {
    in.tee = s->tee();
    return in;
  }
  TranscodeTap tap = acquire_transcode(s, TranscodeTarget::sub);
  in.tee = tap.tee;
  in.hold = std::move(tap.hold);
  return in;
}

void request_input_keyframe(const std::shared_ptr<Stream>& s, Quality q) {
  if (q == Quality::main) {
    s->request_keyframe();
  } else {
    request_transcode_keyframe(s, TranscodeTarget::sub);
  }
}

}  // namespace camrelay::media
