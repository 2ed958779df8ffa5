#pragma once
// Private to the service module: the manager's per-camera and per-viewer records.
// Touched only on the manager's strand.
#include <boost/asio/steady_timer.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bcgh.hpp"
#include "camrelay/media/webrtc_viewer.hpp"
#include "camrelay/service/stream_manager.hpp"

namespace camrelay::service {

struct ViewerEntry {
  std::string id;
  std::string camera_id;
  std::string stream_session_id;
  ReaderKind kind = ReaderKind::webrtc;
  std::string user_agent;
  std::string ip;
  std::int64_t connected_at = 0;   // unix s (join time)
  std::int64_t created_mono_ms = 0;
  std::int64_t disconnected_since_ms = 0;  // mono; 0 = not disconnected
  media::PeerState state = media::PeerState::created;
  std::string owner;  // ViewerRequest::owner
  std::string remote_ice_ufrag;  // WHEP: the offer's ICE ufrag (a different one = ICE restart)
  bool ever_connected = false;
  std::shared_ptr<media::WebrtcViewer> media;   // WebRTC readers
  std::shared_ptr<ReaderCounters> counters;      // MJPEG and HLS readers
  std::string client_key;                        // HLS: IP + User-Agent
  std::int64_t last_seen_mono_ms = 0;            // HLS: last request
  std::function<void(std::string reason)> on_closed;  // tells the client (WS/WHEP) it ended
};

struct StreamManager::Entry {
  config::Camera cam;
  StreamState state = StreamState::stopped;
  std::string error;
  std::string session_id;
  std::int64_t started_at = 0;
  std::int64_t start_mono_ms = 0;  // when the current start was requested
  std::int64_t stopped_at = 0;
  std::uint64_t gen = 0;
  config::Bandwidth bandwidth;
  std::shared_ptr<media::Stream> stream;
  media::StreamStats last_stats;
  std::unique_ptr<asio::steady_timer> start_timer;
  std::vector<std::function<void()>> on_stopped;  // waiters for the end of `stopping`
  std::map<std::string, std::unique_ptr<ViewerEntry>> viewers;  // readers of every kind
  std::map<std::string, std::string> hls_clients;                 // HLS client key -> viewer id
  int target_kbps = 0;
  // BCGH cameras: the negotiation session while running; presence from the status topic.
  std::shared_ptr<BcghSession> bcgh;
  bool wanted = false;      // started (user, auto_start, on demand) and not stopped by the user
  int camera_online = -1;   // -1 unknown, 0 offline, 1 online (retained status topic)
};

}  // namespace camrelay::service
