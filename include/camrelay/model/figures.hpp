#pragma once
// The typed figures and states that travel from the media layer up to the views: a
// stream's counters and caps facts, its audio, a WebRTC viewer's peer state and delivery
// figures. Plain structs (no GStreamer, no JSON): media fills them, the service keeps and
// merges them, the HTTP layer turns them into JSON (service/views.cpp) at the boundary.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace camrelay::model {

struct StreamStats {
  std::uint64_t frames = 0;
  std::uint64_t keyframes = 0;
  std::uint64_t bytes = 0;
  double bitrate_kbps = 0;        // over the last ~1 s window
  double fps = 0;                 // frames per second over the same window
  std::int64_t first_frame_mono_ms = 0;
  std::int64_t last_frame_mono_ms = 0;
  std::uint64_t dropped_sink_buffers = 0;
  int width = 0;
  int height = 0;
  std::string profile;  // from the parsed caps, e.g. "constrained-baseline", "high"
};

// A camera's totals since the daemon started (GET /metrics counters; never go backwards).
struct StreamCounters {
  std::uint64_t frames_in = 0, keyframes_in = 0, bytes_in = 0;  // video into the stream's tee
  std::uint64_t pipeline_drops = 0;  // buffers the stream's own leaky queue dropped
  std::uint64_t reader_drops = 0;    // frames slow readers did not get (WebRTC queue, MJPEG skipped)
  std::uint64_t keyframe_requests_from_viewers = 0;  // PLI/FIR from browsers
  std::uint64_t keyframe_requests_to_camera = 0;     // PLI/FIR sent to an RTP camera
  std::uint64_t rembs_sent = 0;                      // REMB sent to an RTP camera
  std::uint64_t source_restarts = 0;                 // the source rebuilt or reconnected
  std::map<std::string, std::uint64_t> bytes_out;       // by protocol: webrtc | hls | mjpeg
  std::map<std::string, std::uint64_t> readers_joined;  // by protocol
};

// The camera's audio as it enters the stream's audio tee (depayloaded codec frames).
struct AudioInfo {
  std::string codec;      // "opus" | "pcmu" | "pcma" | "aac" | "" (no audio seen yet / none)
  int clock_rate = 0;     // Hz
  int channels = 0;
  std::uint64_t packets = 0;  // buffers that entered atee
};

// A reader's connection state: webrtcbin's connection-state for WebRTC viewers; HTTP
// readers (MJPEG, HLS) are `connected` from their first request.
enum class PeerState { created, connecting, connected, disconnected, failed, closed };
// new | connecting | connected | disconnected | failed | closed (the W3C names)
std::string_view to_string(PeerState s);

struct ViewerStats {
  std::uint64_t bytes_sent = 0;
  std::uint64_t packets_sent = 0;
  std::int64_t packets_lost = 0;     // reported by the browser (RTCP RR)
  double fraction_lost = 0;          // 0..1, last RR
  double rtt_ms = -1;                // from RR/DLSR; -1 unknown
  double jitter_ms = -1;
  double send_kbps = 0;              // measured over the last stats interval
  double twcc_recv_kbps = -1;        // what the browser reports receiving (TWCC); -1 none
  double twcc_loss_pct = -1;
  double estimated_kbps = 0;         // available bandwidth estimate (loss/TWCC based)
  std::uint64_t dropped_buffers = 0; // frames dropped by the leaky queue (slow viewer)
  std::uint64_t keyframe_requests = 0;  // PLI/FIR from the browser
  std::uint64_t replayed_frames = 0;    // cached GOP frames sent at the start (last-GOP replay)
  // The video's direct send path (0 on webrtcbin's): packets the browser NACKed, packets sent
  // again (RTX or as they were), packets the ICE transport refused (full socket buffer).
  std::uint64_t nacks_received = 0;
  std::uint64_t retransmitted = 0;
  std::uint64_t send_errors = 0;
  std::int64_t last_rtcp_mono_ms = 0;  // last RTCP packet from the browser (0 = none yet)
  std::int64_t connected_mono_ms = 0;  // when the peer connection reached "connected"
  std::string video_codec = "H264";   // H264 | H265 (passed through, or H264 from an H.265 camera's transcode) | VP8 (the shared transcode)
  bool video_transcoded = false;
  std::string audio_codec;             // opus | pcmu | pcma | "" (no audio to this viewer)
  bool audio_transcoded = false;
  PeerState connection_state = PeerState::created;
  std::string ice_state = "new";
};

}  // namespace camrelay::model
