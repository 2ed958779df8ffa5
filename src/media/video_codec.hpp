#pragma once
// The GStreamer names that follow a camera's video codec (config::video_codec: "H264" or
// "H265"), so that the stream core, the sources and the outputs that take the camera's
// video as it is (recorder, RTSP tap, MJPEG decoder, pass-through WebRTC) choose them in one
// place. Outputs that need H.264 whatever the camera sends take the shared H.265 → H.264
// transcode instead (transcode.hpp).
#include <string>

namespace camrelay::media {

struct VideoCodecNames {
  const char* name;         // "H264" | "H265": RTP encoding-name, the config's value
  const char* depay;        // rtph264depay | rtph265depay
  const char* pay;          // rtph264pay | rtph265pay
  const char* parse;        // h264parse | h265parse
  const char* decoder;      // avdec_h264 | avdec_h265
  const char* media_type;   // video/x-h264 | video/x-h265
  // Between an RTP depayloader and the stream's parser. In avc (hvc1) form the depayloader
  // moves in-band SPS/PPS (VPS/SPS/PPS) into codec_data and the parser puts them back once
  // before each keyframe. In byte-stream form a sender that repeats SPS/PPS before every
  // slice of a multi-slice keyframe (GStreamer's rtph264pay config-interval=-1 does) splits
  // the picture in two for every decoder downstream: half of each frame is lost.
  const char* depayed_caps;
  // What the stream's tee carries: Annex B, one access unit per buffer.
  const char* byte_stream_caps;
};

inline const VideoCodecNames& video_codec_names(const std::string& codec) {
  static const VideoCodecNames h264{"H264",
                                    "rtph264depay",
                                    "rtph264pay",
                                    "h264parse",
                                    "avdec_h264",
                                    "video/x-h264",
                                    "video/x-h264,stream-format=avc,alignment=au",
                                    "video/x-h264,stream-format=byte-stream,alignment=au"};
  static const VideoCodecNames h265{"H265",
                                    "rtph265depay",
                                    "rtph265pay",
                                    "h265parse",
                                    "avdec_h265",
                                    "video/x-h265",
                                    "video/x-h265,stream-format=hvc1,alignment=au",
                                    "video/x-h265,stream-format=byte-stream,alignment=au"};
  return codec == "H265" ? h265 : h264;
}

}  // namespace camrelay::media
