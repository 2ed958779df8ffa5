#pragma once
// Typed figures of a stream's source, its retries, its on-demand outputs and its BCGH
// session: what GET /streams/{id} shows under "source". Filled by the media layer (sources,
// Stream, outputs) and the service (BCGH); turned into JSON only by the service's views
// (service/views.cpp). No GStreamer, no JSON.
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace camrelay::model {

// An RTP camera (static or BCGH): packets in, RTCP/REMB out.
struct RtpFigures {
  std::string negotiation;  // static | mqtt
  int video_port = 0;
  int rtcp_port = 0;
  std::uint64_t packets = 0, bytes = 0, rtcp_received = 0;
  bool remb_enabled = true;
  std::uint64_t rembs_sent = 0;
  int last_remb_kbps = 0;
  int target_kbps = 0;
  std::uint64_t firs_sent = 0, plis_sent = 0, ssrc_changes = 0;
  bool receiving = false;
  std::optional<std::string> camera_ssrc;        // 8 hex digits; none yet
  std::optional<std::int64_t> last_rtp_ms_ago;   // none yet
  bool audio = false;                            // the audio session exists
  int audio_port = 0;
  std::uint64_t audio_packets = 0;
  std::optional<std::string> audio_encoding;
  std::optional<std::string> rtp_from;           // host:port
  std::optional<std::string> rtcp_to;            // host:port
  std::string rtcp_to_origin;                    // answer | learned from RTCP | learned from RTP
};

// An RTSP camera: its connection and reconnect loop.
struct RtspFigures {
  std::string url;  // credentials masked
  std::string transport;
  int latency_ms = 0;
  bool connected = false;
  std::uint64_t reconnects = 0;
  std::optional<std::string> audio_encoding;
  std::int64_t next_attempt_unix_ms = 0;  // 0: not waiting to reconnect
  std::optional<std::string> last_error;
};

// A composed camera (config::CompositeSource): each input camera's tile.
struct CompositeFigures {
  struct Input {
    std::string camera;
    bool live = false;            // its pictures are in the tile (else "no signal")
    std::string why;              // why not ("" while live)
    std::uint64_t frames = 0;     // access units received from it
  };
  std::string layout;  // pip | grid
  int width = 0, height = 0;
  std::vector<Input> inputs;
};

using SourceKindFigures = std::variant<std::monostate, RtpFigures, RtspFigures, CompositeFigures>;

// The on-demand outputs hung off the stream's tee.
struct HlsFigures {
  std::string state;  // starting | running | failed | stopped
  std::uint64_t requests = 0, segments_written = 0, dropped_buffers = 0;
  double idle_s = 0;
  bool always = false;
  std::string playlist;  // its URL path
  std::optional<std::string> error;
};

struct MjpegFigures {
  std::string state;  // starting | running | stopped
  int clients = 0;
  std::uint64_t frames_encoded = 0, frames_sent = 0, frames_skipped = 0, dropped_buffers = 0;
  int fps = 0, quality = 0;
  std::uint64_t last_frame_bytes = 0;
  std::optional<int> width, height;
  std::optional<std::string> error;
};

// A shared transcoder (webrtc-opus: AAC → Opus; webrtc-vp8: H.264 → VP8).
struct TranscodeFigures {
  std::string from, codec;
  std::optional<int> bitrate;       // bit/s (Opus)
  std::optional<int> bitrate_kbps;  // VP8
  std::optional<int> width, height;
  std::optional<std::string> deadline;
  std::optional<int> fps;               // the sub stream's output rate
  std::optional<std::string> encoder;   // the sub stream's encoder (x264 | v4l2 | vaapi | "auto: <element>")
  int viewers = 0;
  std::uint64_t frames_out = 0, dropped_in = 0, keyframes_requested = 0;
  double uptime_s = 0;
};

// A recording to fragmented MP4 files (media::Recorder).
struct RecorderFigures {
  std::string state;         // starting | recording | stopping | stopped | failed
  std::string file;          // the file being written ("" between files)
  std::string audio;         // "" (video only) | "aac" | "opus" | "aac (from pcmu)" ...
  std::uint64_t files = 0;   // files begun
  std::uint64_t dropped_buffers = 0;
  double uptime_s = 0;
  std::optional<std::string> error;
};

// The H.264 tap that feeds the camera's RTSP media (media::RtspTap).
struct RtspServeFigures {
  std::string state;  // starting | running | stopped
  int clients = 0;    // RTSP medias fed (one, shared by every RTSP client of the camera)
  std::uint64_t units = 0, bytes = 0, dropped_buffers = 0;
  std::optional<std::string> error;
};

// The shared RTP payloader of a stream's WebRTC viewers (media::RtpFanout): the packets it
// makes once and each viewer's sender rewrites, protects and sends.
struct WebrtcSendFigures {
  std::string codec;       // h264 | h265 | vp8
  int viewers = 0;         // senders attached
  std::uint64_t frames_in = 0, packets_out = 0, dropped_in = 0;
  std::uint64_t replays = 0;  // viewers started with the cached GOP
  int send_threads = 1;       // threads its viewers are sent from (the payloader's included)
  std::uint64_t dropped_out = 0;  // packets a send thread dropped, too far behind
  double uptime_s = 0;
};

using OutputFigures =
    std::variant<HlsFigures, MjpegFigures, TranscodeFigures, RecorderFigures, RtspServeFigures, WebrtcSendFigures>;

struct NamedOutput {
  std::string kind;  // hls | mjpeg | rtsp | webrtc-opus | webrtc-vp8 | record | sub | hls-sub | mjpeg-sub | rtsp-sub | webrtc-rtp-*
  OutputFigures figures;
};

// A BCGH camera's negotiation session over MQTT.
struct BcghFigures {
  std::uint64_t keepalives_sent = 0, keepalives_failed = 0, offers_sent = 0, reoffers = 0;
  std::uint64_t answers_accepted = 0, answers_rejected = 0;
  std::string session_id;
  std::string offer_address;
  bool answered = false;
  std::optional<std::string> last_answer_rejection;
  std::optional<std::string> camera_sends_from;
  bool audio = false;  // audio was offered
  std::optional<std::string> answer_audio;
  // While re-offering (the camera is lost): why, and when the next offer goes out.
  std::optional<std::string> last_error;
  std::int64_t next_attempt_unix_ms = 0;  // 0: none scheduled
};

// Everything under "source" in GET /streams/{id}.
struct SourceFigures {
  SourceKindFigures source;  // what the source itself reports (RTP, RTSP; nothing for test/V4L2)
  // The stream rebuilt the source after failures: how often, why, when next.
  std::uint64_t restarts = 0;
  std::string last_error;
  std::int64_t next_attempt_unix_ms = 0;  // 0: not waiting
  std::vector<NamedOutput> outputs;        // running outputs
  std::optional<BcghFigures> bcgh;         // BCGH cameras
};

}  // namespace camrelay::model
