#pragma once
// Private to the service: the readers a CameraPath owns, one class per kind behind one
// interface (the kinds and what counts as a reader: include/camrelay/service/reader.hpp).
// Every reader has
//   - a record (who, since when, which stream session) and a row in viewer_sessions,
//   - typed figures for GET /viewers (ViewerInfo),
//   - a bounded buffer between the stream and the client that drops, never blocks, and
//     counts what it dropped: WebRTC — the branch's leaky queue (dropped_buffers); MJPEG —
//     the one-picture slot, a picture replaced before it was written (frames_skipped);
//     HLS — the playlist window (hls.playlist_length segments), a segment that rotated
//     out before the client fetched it (segments_missed),
//   - a liveness rule, checked by the path every 250 ms,
//   - close(): releases what it holds and tells its client.
// All on the path's strand, except ReaderCounters (atomics written by connections).
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "camrelay/config/config.hpp"
#include "camrelay/service/stream_manager.hpp"
#include "camrelay/util/ids.hpp"
#include "media_port.hpp"

namespace camrelay::service {

struct ReaderRecord {
  std::string id;
  std::string camera_id;
  std::string stream_session_id;
  ReaderKind kind = ReaderKind::webrtc;
  std::string user_agent;
  std::string ip;
  std::string owner;              // ViewerRequest::owner (WHEP resources)
  model::Quality quality = model::Quality::main;  // the camera's stream or its sub stream
  model::HlsFormat hls_format = model::HlsFormat::ts;  // HLS readers: the TS or the fMP4 variant
  std::int64_t connected_at = 0;  // unix s (join time)
  std::int64_t created_mono_ms = 0;
  std::function<void(std::string reason)> on_closed;  // tells the client it ended
};

class Reader {
 public:
  explicit Reader(ReaderRecord r) : rec_(std::move(r)) {}
  virtual ~Reader() = default;
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  const ReaderRecord& record() const { return rec_; }
  const std::string& id() const { return rec_.id; }
  ReaderKind kind() const { return rec_.kind; }
  // The record and the kind's typed figures.
  ViewerInfo info() const;
  // Why the reader must go (its kind's liveness rule), or nullopt while it is alive.
  virtual std::optional<std::string> gone(std::int64_t now_mono_ms, const config::Config& cfg) const = 0;
  // Releases what the reader holds and tells its client (`reason`). Once.
  void close(const std::string& reason);

 protected:
  virtual void fill(ViewerInfo& i) const = 0;
  virtual void release(const std::string& reason) = 0;
  ReaderRecord rec_;

 private:
  bool closed_ = false;
};

// WebRTC (WebSocket signaling or WHEP): a peer connection and its branch on the stream.
// Alive while connected and the browser's RTCP keeps coming (libnice 0.1.21 has no ICE
// consent freshness): gone when not connected within webrtc.connect_timeout_s,
// disconnected for webrtc.disconnect_grace_s, or silent for webrtc.rtcp_timeout_s.
class WebrtcReader final : public Reader {
 public:
  WebrtcReader(ReaderRecord r, std::string remote_ice_ufrag) : Reader(std::move(r)), ufrag_(std::move(remote_ice_ufrag)) {}
  void attach(std::shared_ptr<ViewerPort> media) { media_ = std::move(media); }
  ViewerPort& media() { return *media_; }
  bool ever_connected() const { return ever_connected_; }
  // webrtcbin's connection state; returns why the reader must go now (failed/closed).
  std::optional<std::string> on_state(model::PeerState st);
  double estimated_kbps() const { return media_ ? media_->stats().estimated_kbps : 0; }
  std::optional<std::string> gone(std::int64_t now_mono_ms, const config::Config& cfg) const override;

 private:
  void fill(ViewerInfo& i) const override;
  void release(const std::string& reason) override;
  std::string ufrag_;  // WHEP: the offer's ICE ufrag (a different one = ICE restart)
  std::shared_ptr<ViewerPort> media_;
  model::PeerState state_ = model::PeerState::created;
  bool ever_connected_ = false;
  std::int64_t disconnected_since_ms_ = 0;  // mono; 0 = not disconnected
};

// MJPEG (one long HTTP response) or HLS (a client seen fetching: IP + User-Agent).
// Connected from its first request. MJPEG is alive while its connection is (the session
// detaches it); HLS is gone after hls_reader_idle_s without a request.
class HttpReader final : public Reader {
 public:
  explicit HttpReader(ReaderRecord r);
  const std::shared_ptr<ReaderCounters>& counters() const { return counters_; }
  void seen() { last_seen_mono_ms_ = mono_now_ms(); }  // HLS: a request
  std::optional<std::string> gone(std::int64_t now_mono_ms, const config::Config& cfg) const override;
  std::string client_key;  // HLS: IP + User-Agent

 private:
  void fill(ViewerInfo& i) const override;
  void release(const std::string& reason) override;
  std::shared_ptr<ReaderCounters> counters_ = std::make_shared<ReaderCounters>();
  std::int64_t last_seen_mono_ms_;
};

}  // namespace camrelay::service
