// StreamManager: WebRTC viewers — admission, negotiation relay, liveness, cleanup.
#include <boost/asio/post.hpp>

#include "camrelay/util/error.hpp"
#include "camrelay/util/ids.hpp"
#include "camrelay/util/log.hpp"
#include "entry.hpp"

namespace camrelay::service {
namespace {
auto lg() {
  static auto l = log::get("viewers");
  return l;
}
}  // namespace

int StreamManager::total_viewers() const {
  int n = 0;
  for (const auto& [id, e] : entries_) n += static_cast<int>(e->viewers.size());
  return n;
}

ViewerInfo StreamManager::viewer_info(const ViewerEntry& v) const {
  ViewerInfo i;
  i.id = v.id;
  i.camera_id = v.camera_id;
  i.session_id = v.stream_session_id;
  i.kind = v.kind;
  i.user_agent = v.user_agent;
  i.ip = v.ip;
  i.connected_at = v.connected_at;
  i.state = v.state;
  i.remote_ice_ufrag = v.remote_ice_ufrag;
  i.owner = v.owner;
  if (v.media) i.stats = v.media->stats();
  if (v.counters) {
    i.http.bytes_sent = v.counters->bytes_sent.load(std::memory_order_relaxed);
    i.http.frames_sent = v.counters->frames_sent.load(std::memory_order_relaxed);
    i.http.frames_skipped = v.counters->frames_skipped.load(std::memory_order_relaxed);
    i.http.requests = v.counters->requests.load(std::memory_order_relaxed);
  }
  if (v.kind == ReaderKind::hls) i.http.idle_ms = mono_now_ms() - v.last_seen_mono_ms;
  return i;
}

void StreamManager::admit(Entry& e, const std::string& camera_id, ReaderKind kind, const std::string& ip) {
  if (shutting_down_) throw Error(Errc::unavailable, "the daemon is shutting down");
  if (const int per_ip = cfg_.webrtc.max_viewers_per_ip;
      per_ip > 0 && !ip.empty() && (kind == ReaderKind::webrtc || kind == ReaderKind::whep)) {
    int n = 0;
    for (const auto& [cid, entry] : entries_) {
      for (const auto& [vid, v] : entry->viewers) {
        if (v->ip == ip && (v->kind == ReaderKind::webrtc || v->kind == ReaderKind::whep)) ++n;
      }
    }
    if (n >= per_ip) {
      throw Error(Errc::too_many_requests, "your address already has the maximum of " + std::to_string(per_ip) +
                                               " WebRTC viewers (webrtc.max_viewers_per_ip)");
    }
  }
  const int per_stream = cfg_.webrtc.max_viewers_per_stream;
  const int total = cfg_.webrtc.max_viewers_total;
  if (static_cast<int>(e.viewers.size()) >= per_stream) {
    throw Error(Errc::limit_reached, "camera '" + camera_id + "' already has the maximum of " +
                                         std::to_string(per_stream) + " viewers");
  }
  if (total_viewers() >= total) {
    throw Error(Errc::limit_reached, "the server already has the maximum of " + std::to_string(total) + " viewers");
  }
  if (e.state == StreamState::stopping) {
    throw Error(Errc::conflict, "camera '" + camera_id + "' is stopping; retry in a moment");
  }
  if (!is_running(e.state)) {
    lg()->info("camera {}: started on demand for a {} reader", camera_id, to_string(kind));
    do_start(e, {});
  }
}

void StreamManager::add_viewer(ViewerRequest req, Reply<ViewerInfo> reply) {
  post([req = std::move(req), reply = std::move(reply)](StreamManager& m) mutable {
    try {
      Entry& e = m.entry(req.camera_id);
      m.admit(e, req.camera_id, req.kind, req.ip);
      auto v = std::make_unique<ViewerEntry>();
      v->id = req.id.empty() ? random_id("v_") : req.id;
      if (m.viewer_camera_.count(v->id)) throw Error(Errc::conflict, "viewer id already in use");
      v->camera_id = req.camera_id;
      v->stream_session_id = e.session_id;
      v->kind = req.kind;
      v->user_agent = req.user_agent.substr(0, 512);
      v->owner = req.owner;
      v->ip = req.ip;
      v->connected_at = unix_now_s();
      v->created_mono_ms = mono_now_ms();
      v->on_closed = std::move(req.on_closed);
      if (!req.offer_sdp.empty()) {
        try {
          v->remote_ice_ufrag = media::parse_offer(req.offer_sdp).ice_ufrag_of_first();
        } catch (const std::invalid_argument& ex) {
          throw Error(Errc::invalid_argument, ex.what());
        }
      }

      const std::string vid = v->id;
      auto w = m.weak_from_this();
      media::ViewerCallbacks cb;
      cb.on_local_description = std::move(req.on_local_description);
      cb.on_ice_candidate = std::move(req.on_ice_candidate);
      auto on_state = std::move(req.on_state);
      cb.on_connection_state = [w, vid, on_state](media::PeerState st) {
        if (on_state) on_state(st);
        if (auto s = w.lock()) s->post([vid, st](StreamManager& m2) { m2.on_viewer_state(vid, st); });
      };
      cb.on_error = [w, vid](std::string why) {
        if (auto s = w.lock()) s->post([vid, why](StreamManager& m2) { m2.on_viewer_error(vid, why); });
      };
      media::ViewerOptions opts;
      opts.id = vid;
      opts.remote_offer = std::move(req.offer_sdp);
      opts.video_codecs = std::move(req.video_codecs);
      opts.bandwidth_max_kbps = e.bandwidth.max_kbps;
      opts.bandwidth_min_kbps = e.bandwidth.min_kbps;
      v->media = media::WebrtcViewer::create(e.stream, m.cfg_.webrtc, std::move(opts), std::move(cb));

      store::ViewerSessionRow row;
      row.viewer_id = vid;
      row.stream_session_id = e.session_id;
      row.camera_id = req.camera_id;
      row.webrtc_endpoint_id = v->media->element_name();
      row.kind = std::string(to_string(v->kind));
      row.user_agent = v->user_agent;
      row.ip_address = v->ip;
      row.connected_at = v->connected_at;
      m.store_.insert_viewer_session(std::move(row));

      v->media->start();
      ViewerInfo info = m.viewer_info(*v);
      lg()->info("viewer {} ({}) joined camera {} from {} ({} viewers)", vid, to_string(v->kind), req.camera_id,
                 v->ip, e.viewers.size() + 1);
      m.viewer_camera_[vid] = req.camera_id;
      e.viewers.emplace(vid, std::move(v));
      if (!m.viewer_timer_) m.viewer_tick();
      reply(nullptr, info);
    } catch (...) {
      reply(std::current_exception(), {});
    }
  });
}

void StreamManager::viewer_answer(std::string viewer_id, std::string sdp, Reply<bool> reply) {
  post([viewer_id = std::move(viewer_id), sdp = std::move(sdp), reply = std::move(reply)](StreamManager& m) mutable {
    auto it = m.viewer_camera_.find(viewer_id);
    if (it == m.viewer_camera_.end()) {
      return reply(std::make_exception_ptr(Error(Errc::not_found, "unknown viewer '" + viewer_id + "'")), false);
    }
    auto& e = *m.entries_.at(it->second);
    e.viewers.at(viewer_id)->media->set_remote_answer(std::move(sdp));
    reply(nullptr, true);
  });
}

void StreamManager::viewer_candidate(std::string viewer_id, unsigned mline, std::string candidate, std::string mid) {
  post([viewer_id = std::move(viewer_id), mline, candidate = std::move(candidate), mid = std::move(mid)](StreamManager& m) mutable {
    auto it = m.viewer_camera_.find(viewer_id);
    if (it == m.viewer_camera_.end()) return;
    m.entries_.at(it->second)->viewers.at(viewer_id)->media->add_ice_candidate(mline, std::move(candidate), std::move(mid));
  });
}

void StreamManager::remove_viewer(std::string viewer_id, std::string reason, Reply<bool> reply) {
  post([viewer_id = std::move(viewer_id), reason = std::move(reason), reply = std::move(reply)](StreamManager& m) {
    auto it = m.viewer_camera_.find(viewer_id);
    if (it == m.viewer_camera_.end()) {
      if (reply) reply(std::make_exception_ptr(Error(Errc::not_found, "unknown viewer '" + viewer_id + "'")), false);
      return;
    }
    m.drop_viewer(*m.entries_.at(it->second), viewer_id, reason);
    if (reply) reply(nullptr, true);
  });
}

void StreamManager::list_viewers(std::string camera_id, Reply<std::vector<ViewerInfo>> reply) {
  post([camera_id = std::move(camera_id), reply = std::move(reply)](StreamManager& m) {
    try {
      std::vector<ViewerInfo> out;
      if (!camera_id.empty()) {
        for (const auto& [vid, v] : m.entry(camera_id).viewers) out.push_back(m.viewer_info(*v));
      } else {
        for (const auto& [cid, e] : m.entries_) {
          for (const auto& [vid, v] : e->viewers) out.push_back(m.viewer_info(*v));
        }
      }
      reply(nullptr, std::move(out));
    } catch (...) {
      reply(std::current_exception(), {});
    }
  });
}

void StreamManager::drop_viewer(Entry& e, const std::string& viewer_id, const std::string& reason) {
  auto it = e.viewers.find(viewer_id);
  if (it == e.viewers.end()) return;
  std::unique_ptr<ViewerEntry> v = std::move(it->second);
  e.viewers.erase(it);
  viewer_camera_.erase(viewer_id);
  if (v->kind == ReaderKind::hls) e.hls_clients.erase(v->client_key);
  lg()->info("viewer {} ({}) left camera {}: {} ({} viewers)", viewer_id, to_string(v->kind), e.cam.id, reason,
             e.viewers.size());
  store_.close_viewer_session(viewer_id, unix_now_s(), reason);
  if (v->on_closed) v->on_closed(reason);
  // The media object releases its branch on the GLib thread; it keeps itself alive.
  if (v->media) v->media->stop({});
}

void StreamManager::drop_all_viewers(Entry& e, const std::string& reason) {
  std::vector<std::string> ids;
  for (const auto& [vid, v] : e.viewers) ids.push_back(vid);
  for (const auto& vid : ids) drop_viewer(e, vid, reason);
}

void StreamManager::on_viewer_state(const std::string& viewer_id, media::PeerState state) {
  auto it = viewer_camera_.find(viewer_id);
  if (it == viewer_camera_.end()) return;
  Entry& e = *entries_.at(it->second);
  ViewerEntry& v = *e.viewers.at(viewer_id);
  v.state = state;
  using media::PeerState;
  if (state == PeerState::connected) {
    v.ever_connected = true;
    v.disconnected_since_ms = 0;
    lg()->info("viewer {}: connected after {} ms", viewer_id, mono_now_ms() - v.created_mono_ms);
  } else if (state == PeerState::disconnected) {
    if (!v.disconnected_since_ms) v.disconnected_since_ms = mono_now_ms();
  } else if (state == PeerState::failed || state == PeerState::closed) {
    drop_viewer(e, viewer_id, "connection " + std::string(media::to_string(state)));
  }
}

void StreamManager::on_viewer_error(const std::string& viewer_id, const std::string& why) {
  auto it = viewer_camera_.find(viewer_id);
  if (it == viewer_camera_.end()) return;
  drop_viewer(*entries_.at(it->second), viewer_id, "error: " + why);
}

// Dead viewers: a browser that vanished without a goodbye (tab closed, process killed,
// network gone) sends nothing more. libnice 0.1.21 has no ICE consent checks (RFC 7675), so
// its RTCP receiver reports (every ~1 s from browsers) are the liveness signal.
void StreamManager::viewer_tick() {
  const std::int64_t now = mono_now_ms();
  const auto& w = cfg_.webrtc;
  const std::int64_t connect_ms = std::int64_t(w.connect_timeout_s) * 1000;
  const std::int64_t grace_ms = std::int64_t(w.disconnect_grace_s) * 1000;
  const std::int64_t rtcp_ms = std::int64_t(w.rtcp_timeout_s) * 1000;
  for (auto& [cid, e] : entries_) {
    std::vector<std::pair<std::string, std::string>> gone;
    for (const auto& [vid, v] : e->viewers) {
      if (!v->ever_connected && now - v->created_mono_ms > connect_ms) {
        gone.emplace_back(vid, "did not connect within " + std::to_string(w.connect_timeout_s) + " s");
      } else if (v->disconnected_since_ms && now - v->disconnected_since_ms > grace_ms) {
        gone.emplace_back(vid, "connection lost (disconnected for " + std::to_string(w.disconnect_grace_s) + " s)");
      } else if (v->kind == ReaderKind::hls) {
        const int idle_s = hls_reader_idle_s(cfg_.hls.target_duration_s);
        if (now - v->last_seen_mono_ms > std::int64_t(idle_s) * 1000) {
          gone.emplace_back(vid, "no HLS request for " + std::to_string(idle_s) + " s");
        }
      } else if (v->ever_connected && v->media) {
        const auto st = v->media->stats();
        // Silence counts from the last RTCP packet, or from "connected" if none ever came.
        const std::int64_t since = st.last_rtcp_mono_ms ? st.last_rtcp_mono_ms : st.connected_mono_ms;
        if (since && now - since > rtcp_ms) {
          gone.emplace_back(vid, "no RTCP from the browser for " + std::to_string(w.rtcp_timeout_s) + " s");
        }
      }
    }
    for (const auto& [vid, why] : gone) drop_viewer(*e, vid, why);
  }
  if (total_viewers() == 0) {
    viewer_timer_.reset();
    return;
  }
  viewer_timer_ = std::make_unique<asio::steady_timer>(strand_, std::chrono::milliseconds(500));
  viewer_timer_->async_wait([w = weak_from_this()](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto s = w.lock()) s->viewer_tick();
  });
}

}  // namespace camrelay::service
