// Readers (readers.hpp) and the CameraPath's side of them: admission, WebRTC negotiation
// relay, MJPEG and HLS clients, the liveness tick, cleanup.
#include <boost/asio/post.hpp>

#include "camera_path.hpp"
#include "camrelay/media/offer.hpp"
#include "camrelay/util/error.hpp"
#include "camrelay/util/ids.hpp"
#include "camrelay/util/log.hpp"

namespace camrelay::service {
namespace {
auto lg() {
  static auto l = log::get("viewers");
  return l;
}
}  // namespace

// ---------------------------------------------------------------- Reader

ViewerInfo Reader::info() const {
  ViewerInfo i;
  i.id = rec_.id;
  i.camera_id = rec_.camera_id;
  i.session_id = rec_.stream_session_id;
  i.kind = rec_.kind;
  i.user_agent = rec_.user_agent;
  i.ip = rec_.ip;
  i.connected_at = rec_.connected_at;
  i.owner = rec_.owner;
  i.quality = rec_.quality;
  i.hls_format = rec_.hls_format;
  fill(i);
  return i;
}

void Reader::close(const std::string& reason) {
  if (closed_) return;
  closed_ = true;
  release(reason);
  if (rec_.on_closed) rec_.on_closed(reason);
}

std::optional<std::string> WebrtcReader::on_state(model::PeerState st) {
  using model::PeerState;
  state_ = st;
  if (st == PeerState::connected) {
    ever_connected_ = true;
    disconnected_since_ms_ = 0;
    lg()->info("viewer {}: connected after {} ms", rec_.id, mono_now_ms() - rec_.created_mono_ms);
  } else if (st == PeerState::disconnected) {
    if (!disconnected_since_ms_) disconnected_since_ms_ = mono_now_ms();
  } else if (st == PeerState::failed || st == PeerState::closed) {
    return "connection " + std::string(model::to_string(st));
  }
  return std::nullopt;
}

std::optional<std::string> WebrtcReader::gone(std::int64_t now, const config::Config& cfg) const {
  const auto& w = cfg.webrtc;
  if (!ever_connected_ && now - rec_.created_mono_ms > std::int64_t(w.connect_timeout_s) * 1000) {
    return "did not connect within " + std::to_string(w.connect_timeout_s) + " s";
  }
  if (disconnected_since_ms_ && now - disconnected_since_ms_ > std::int64_t(w.disconnect_grace_s) * 1000) {
    return "connection lost (disconnected for " + std::to_string(w.disconnect_grace_s) + " s)";
  }
  if (ever_connected_ && media_) {
    const auto st = media_->stats();
    // Silence counts from the last RTCP packet, or from "connected" if none ever came.
    const std::int64_t since = st.last_rtcp_mono_ms ? st.last_rtcp_mono_ms : st.connected_mono_ms;
    if (since && now - since > std::int64_t(w.rtcp_timeout_s) * 1000) {
      return "no RTCP from the browser for " + std::to_string(w.rtcp_timeout_s) + " s";
    }
  }
  return std::nullopt;
}

void WebrtcReader::fill(ViewerInfo& i) const {
  i.state = state_;
  i.remote_ice_ufrag = ufrag_;
  if (media_) i.stats = media_->stats();
}

void WebrtcReader::release(const std::string&) {
  // The media object releases its branch on the GLib thread; it keeps itself alive.
  if (media_) media_->stop();
}

HttpReader::HttpReader(ReaderRecord r) : Reader(std::move(r)), last_seen_mono_ms_(rec_.created_mono_ms) {}

std::optional<std::string> HttpReader::gone(std::int64_t now, const config::Config& cfg) const {
  if (rec_.kind != ReaderKind::hls) return std::nullopt;  // MJPEG: its session detaches it
  const int idle_s = hls_reader_idle_s(cfg.hls.target_duration_s);
  if (now - last_seen_mono_ms_ > std::int64_t(idle_s) * 1000) {
    return "no HLS request for " + std::to_string(idle_s) + " s";
  }
  return std::nullopt;
}

void HttpReader::fill(ViewerInfo& i) const {
  i.state = model::PeerState::connected;  // served from its first request
  const auto& c = *counters_;
  i.http.bytes_sent = c.bytes_sent.load(std::memory_order_relaxed);
  i.http.frames_sent = c.frames_sent.load(std::memory_order_relaxed);
  i.http.frames_skipped = c.frames_skipped.load(std::memory_order_relaxed);
  i.http.requests = c.requests.load(std::memory_order_relaxed);
  i.http.segments_missed = c.segments_missed.load(std::memory_order_relaxed);
  if (rec_.kind == ReaderKind::hls) i.http.idle_ms = mono_now_ms() - last_seen_mono_ms_;
}

void HttpReader::release(const std::string&) {
  counters_->ended.store(true);  // an MJPEG session sees it (and is woken by on_closed)
}

// ---------------------------------------------------------------- CameraPath

// Limits (per camera here, daemon-wide and per IP in the census, which registers the
// reader) and the on-demand start of a stopped stream. The caller keeps the slot once it
// has added the reader (add_reader); any failure before gives the place back.
ReaderCensus::Slot CameraPath::admit(ReaderKind kind, const std::string& viewer_id, const std::string& ip,
                                     model::Quality quality) {
  if (ctx_->shutting_down || retired_) throw Error(Errc::unavailable, "the daemon is shutting down");
  if (quality == model::Quality::sub && !cam_.sub.enabled) {
    throw Error(Errc::not_found, "camera '" + id_ + "' has no sub stream (its sub.enabled is false)");
  }
  const auto& w = ctx_->cfg.webrtc;
  auto slot = ctx_->census.join(viewer_id, id_, kind, ip, w.max_viewers_total, w.max_viewers_per_ip);
  if (static_cast<int>(readers_.size()) >= w.max_viewers_per_stream) {
    throw Error(Errc::limit_reached, "camera '" + id_ + "' already has the maximum of " +
                                         std::to_string(w.max_viewers_per_stream) + " viewers");
  }
  if (state_ == StreamState::stopping) {
    throw Error(Errc::conflict, "camera '" + id_ + "' is stopping; retry in a moment");
  }
  if (!is_running(state_)) {
    lg()->info("camera {}: started on demand for a {} reader", id_, to_string(kind));
    do_start({});
    rtsp_on_demand_ = kind == ReaderKind::rtsp || kind == ReaderKind::composite;
  }
  return slot;
}

WebrtcReader* CameraPath::find_webrtc(const std::string& viewer_id) {
  auto it = readers_.find(viewer_id);
  return it == readers_.end() ? nullptr : dynamic_cast<WebrtcReader*>(it->second.get());
}

ReaderRecord CameraPath::new_record(ReaderKind kind, std::string viewer_id, const std::string& user_agent,
                                    const std::string& ip) const {
  ReaderRecord r;
  r.id = std::move(viewer_id);
  r.camera_id = id_;
  r.stream_session_id = session_id_;
  r.kind = kind;
  r.user_agent = user_agent.substr(0, 512);
  r.ip = ip;
  r.connected_at = unix_now_s();
  r.created_mono_ms = mono_now_ms();
  return r;
}

Reader& CameraPath::add_reader(std::unique_ptr<Reader> r, const std::string& endpoint) {
  const auto& rec = r->record();
  store::ViewerSessionRow row;
  row.viewer_id = rec.id;
  row.stream_session_id = rec.stream_session_id;
  row.camera_id = id_;
  row.webrtc_endpoint_id = endpoint;  // the webrtcbin's name; "" for HTTP readers
  row.kind = std::string(to_string(rec.kind));
  row.user_agent = rec.user_agent;
  row.ip_address = rec.ip;
  row.connected_at = rec.connected_at;
  ctx_->store.insert_viewer_session(std::move(row));
  lg()->info("viewer {} ({}) joined camera {} from {} ({} viewers)", rec.id, to_string(rec.kind), id_, rec.ip,
             readers_.size() + 1);
  Reader& ref = *r;
  counters_.reader_joined(rec.kind);
  readers_.emplace(rec.id, std::move(r));
  if (!viewer_timer_) viewer_tick();
  return ref;
}

void CameraPath::add_viewer(ViewerRequest req, Reply<ViewerInfo> reply) {
  post([req = std::move(req), reply = std::move(reply)](CameraPath& p) mutable {
    try {
      const std::string vid = req.id.empty() ? random_id("v_") : req.id;
      auto slot = p.admit(req.kind, vid, req.ip, req.quality);  // limits first: a full camera answers 503 whatever the offer
      std::string remote_ufrag;
      if (!req.offer_sdp.empty()) {
        try {
          remote_ufrag = media::parse_offer(req.offer_sdp).ice_ufrag_of_first();
        } catch (const std::invalid_argument& ex) {
          throw Error(Errc::invalid_argument, ex.what());
        }
      }
      auto rec = p.new_record(req.kind, vid, req.user_agent, req.ip);
      rec.owner = req.owner;
      rec.quality = req.quality;
      rec.on_closed = std::move(req.on_closed);
      auto r = std::make_unique<WebrtcReader>(std::move(rec), std::move(remote_ufrag));

      auto w = p.weak_from_this();
      media::ViewerCallbacks cb;
      cb.on_local_description = std::move(req.on_local_description);
      cb.on_ice_candidate = std::move(req.on_ice_candidate);
      auto on_state = std::move(req.on_state);
      cb.on_connection_state = [w, vid, on_state](model::PeerState st) {
        if (on_state) on_state(st);
        if (auto s = w.lock()) s->post([vid, st](CameraPath& p2) { p2.on_viewer_state(vid, st); });
      };
      cb.on_error = [w, vid](std::string why) {
        if (auto s = w.lock()) s->post([vid, why](CameraPath& p2) { p2.on_viewer_error(vid, why); });
      };
      media::ViewerOptions opts;
      opts.id = vid;
      opts.remote_offer = std::move(req.offer_sdp);
      opts.video_codecs = std::move(req.video_codecs);
      opts.quality = req.quality;
      opts.bandwidth_max_kbps = p.bandwidth_.max_kbps;
      opts.bandwidth_min_kbps = p.bandwidth_.min_kbps;
      r->attach(p.stream_->add_viewer(p.ctx_->cfg.webrtc, std::move(opts), std::move(cb)));
      const std::string endpoint = r->media().element_name();
      auto& reader = static_cast<WebrtcReader&>(p.add_reader(std::move(r), endpoint));
      slot.keep();
      reader.media().start();
      reply(nullptr, reader.info());
    } catch (...) {
      reply(std::current_exception(), {});
    }
  });
}

void CameraPath::viewer_answer(std::string viewer_id, std::string sdp, Reply<bool> reply) {
  post([viewer_id = std::move(viewer_id), sdp = std::move(sdp), reply = std::move(reply)](CameraPath& p) mutable {
    auto* w = p.find_webrtc(viewer_id);
    if (!w) return reply(std::make_exception_ptr(Error(Errc::not_found, "unknown viewer '" + viewer_id + "'")), false);
    w->media().set_remote_answer(std::move(sdp));
    reply(nullptr, true);
  });
}

void CameraPath::viewer_candidate(std::string viewer_id, unsigned mline, std::string candidate, std::string mid) {
  post([viewer_id = std::move(viewer_id), mline, candidate = std::move(candidate),
        mid = std::move(mid)](CameraPath& p) mutable {
    if (auto* w = p.find_webrtc(viewer_id)) w->media().add_ice_candidate(mline, std::move(candidate), std::move(mid));
  });
}

void CameraPath::remove_viewer(std::string viewer_id, std::string reason, Reply<bool> reply) {
  post([viewer_id = std::move(viewer_id), reason = std::move(reason), reply = std::move(reply)](CameraPath& p) {
    if (!p.readers_.count(viewer_id)) {
      if (reply) reply(std::make_exception_ptr(Error(Errc::not_found, "unknown viewer '" + viewer_id + "'")), false);
      return;
    }
    p.drop_viewer(viewer_id, reason);
    if (reply) reply(nullptr, true);
  });
}

void CameraPath::list_viewers(Reply<std::vector<ViewerInfo>> reply) {
  post([reply = std::move(reply)](CameraPath& p) {
    std::vector<ViewerInfo> out;
    for (const auto& [rid, r] : p.readers_) {
      out.push_back(r->info());
      out.back().camera_codec = config::video_codec(p.cam_);
    }
    reply(nullptr, std::move(out));
  });
}

void CameraPath::drop_viewer(const std::string& viewer_id, const std::string& reason) {
  auto it = readers_.find(viewer_id);
  if (it == readers_.end()) return;
  std::unique_ptr<Reader> r = std::move(it->second);
  readers_.erase(it);
  counters_.reader_left(r->info());
  ctx_->census.leave(viewer_id);
  if (auto* h = dynamic_cast<HttpReader*>(r.get()); h && !h->client_key.empty()) hls_clients_.erase(h->client_key);
  lg()->info("viewer {} ({}) left camera {}: {} ({} viewers)", viewer_id, to_string(r->kind()), id_, reason,
             readers_.size());
  ctx_->store.close_viewer_session(viewer_id, unix_now_s(), reason);
  r->close(reason);
  if (readers_.empty() && rtsp_on_demand_ && stream_) rtsp_idle_arm();
}

void CameraPath::rtsp_idle_arm() {
  const int grace = ctx_->cfg.rtsp.grace_s;
  lg()->info("camera {}: started for RTSP and unwatched: stops in {} s unless a reader comes", id_, grace);
  rtsp_idle_timer_ = std::make_unique<asio::steady_timer>(strand_, std::chrono::seconds(grace));
  rtsp_idle_timer_->async_wait([w = weak_from_this()](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto s = w.lock()) s->rtsp_idle_check();
  });
}

void CameraPath::rtsp_idle_check() {
  rtsp_idle_timer_.reset();
  if (!rtsp_on_demand_ || !readers_.empty() || record_ || !stream_ || state_ == StreamState::stopping) return;
  lg()->info("camera {}: stopped (started on demand for RTSP, no reader for {} s)", id_, ctx_->cfg.rtsp.grace_s);
  rtsp_on_demand_ = false;
  wanted_ = false;
  do_stop({});
}

void CameraPath::drop_all_viewers(const std::string& reason) {
  std::vector<std::string> ids;
  for (const auto& [rid, r] : readers_) ids.push_back(rid);
  for (const auto& rid : ids) drop_viewer(rid, reason);
}

void CameraPath::on_viewer_state(const std::string& viewer_id, model::PeerState state) {
  auto* w = find_webrtc(viewer_id);
  if (!w) return;
  if (auto why = w->on_state(state)) drop_viewer(viewer_id, *why);
}

void CameraPath::on_viewer_error(const std::string& viewer_id, const std::string& why) {
  drop_viewer(viewer_id, "error: " + why);
}

// Every reader's liveness rule and the stall check, every 250 ms while the camera has
// readers. A browser that vanished without a goodbye (tab closed, process killed, network
// gone) sends nothing more; an HLS player that left stops fetching.
void CameraPath::viewer_tick() {
  const std::int64_t now = mono_now_ms();
  std::vector<std::pair<std::string, std::string>> gone;
  for (const auto& [rid, r] : readers_) {
    if (auto why = r->gone(now, ctx_->cfg)) gone.emplace_back(rid, std::move(*why));
  }
  for (const auto& [rid, why] : gone) drop_viewer(rid, why);
  stall_check();
  if (readers_.empty()) {
    viewer_timer_.reset();
    return;
  }
  viewer_timer_ = std::make_unique<asio::steady_timer>(strand_, std::chrono::milliseconds(250));
  viewer_timer_->async_wait([w = weak_from_this()](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto s = w.lock()) s->viewer_tick();
  });
}

// ---- readers served over HTTP (MJPEG, HLS) ----

void CameraPath::attach_mjpeg(ReaderRequest req, std::function<void()> wake,
                              Reply<std::shared_ptr<MjpegReader>> reply) {
  post([req = std::move(req), wake = std::move(wake), reply = std::move(reply)](CameraPath& p) mutable {
    try {
      const std::string vid = random_id("v_");
      auto slot = p.admit(ReaderKind::mjpeg, vid, req.ip, req.quality);
      if (!p.stream_) throw Error(Errc::unavailable, "camera '" + p.id_ + "' is not running");
      // An output that is closing (idle, or its stream stopping) refuses subscribers: the
      // next call makes a fresh one.
      std::shared_ptr<model::PictureFeed> out;
      std::uint64_t sub = 0;
      for (int i = 0; i < 3 && !sub; ++i) {
        out = p.stream_->pictures(true, req.quality);
        if (!out) break;
        sub = out->subscribe(wake);
      }
      if (!sub) throw Error(Errc::unavailable, "camera '" + p.id_ + "' stopped; retry");
      auto rec = p.new_record(ReaderKind::mjpeg, vid, req.user_agent, req.ip);
      rec.quality = req.quality;
      rec.on_closed = [wake](std::string) {
        if (wake) wake();  // the session sees counters()->ended
      };
      auto r = std::make_unique<HttpReader>(std::move(rec));
      auto counters = r->counters();
      p.add_reader(std::move(r), "");
      slot.keep();
      auto detach = [w = p.weak_from_this(), vid](std::string reason) {
        if (auto path = w.lock()) path->remove_viewer(vid, std::move(reason), nullptr);
      };
      reply(nullptr, std::make_shared<MjpegReader>(vid, std::move(out), sub, std::move(counters), std::move(detach)));
    } catch (...) {
      reply(std::current_exception(), nullptr);
    }
  });
}

void CameraPath::attach_rtsp(ReaderRequest req, Reply<std::shared_ptr<RtspReader>> reply) {
  attach_feed(std::move(req), ReaderKind::rtsp, std::move(reply));
}

void CameraPath::attach_feed(ReaderRequest req, ReaderKind kind, Reply<std::shared_ptr<RtspReader>> reply) {
  post([req = std::move(req), kind, reply = std::move(reply)](CameraPath& p) mutable {
    try {
      if (kind == ReaderKind::composite && std::holds_alternative<config::CompositeSource>(p.cam_.source)) {
        throw Error(Errc::invalid_argument, "camera '" + p.id_ + "' is itself a composed camera");
      }
      const std::string vid = random_id("v_");
      auto slot = p.admit(kind, vid, req.ip, req.quality);
      if (!p.stream_) throw Error(Errc::unavailable, "camera '" + p.id_ + "' is not running");
      // A tap that is closing (idle, or its stream stopping) is replaced by a fresh one.
      std::shared_ptr<model::H264Feed> feed;
      for (int i = 0; i < 3; ++i) {
        feed = p.stream_->h264(true, req.quality);
        if (!feed || !feed->closed()) break;
      }
      if (!feed || feed->closed()) throw Error(Errc::unavailable, "camera '" + p.id_ + "' stopped; retry");
      auto rec = p.new_record(kind, vid, req.user_agent, req.ip);
      rec.quality = req.quality;
      auto r = std::make_unique<HttpReader>(std::move(rec));
      auto counters = r->counters();
      p.add_reader(std::move(r), "");
      slot.keep();
      auto detach = [w = p.weak_from_this(), vid](std::string reason) {
        if (auto path = w.lock()) path->remove_viewer(vid, std::move(reason), nullptr);
      };
      reply(nullptr, std::make_shared<RtspReader>(vid, std::move(feed), std::move(counters), std::move(detach)));
    } catch (...) {
      reply(std::current_exception(), nullptr);
    }
  });
}

void CameraPath::hls_request(ReaderRequest req, Reply<std::shared_ptr<ReaderCounters>> reply) {
  post([req = std::move(req), reply = std::move(reply)](CameraPath& p) mutable {
    try {
      // One reader per client, quality and format (a page may play both streams).
      const std::string key = req.ip + '\n' + req.user_agent.substr(0, 512) +
                              (req.quality == model::Quality::sub ? "\nsub" : "") +
                              (req.hls_format == model::HlsFormat::fmp4 ? "\nfmp4" : "");
      HttpReader* r = nullptr;
      if (auto it = p.hls_clients_.find(key); it != p.hls_clients_.end()) {
        r = it->second;
      } else {
        const std::string vid = random_id("v_");
        auto slot = p.admit(ReaderKind::hls, vid, req.ip, req.quality);
        auto rec = p.new_record(ReaderKind::hls, vid, req.user_agent, req.ip);
        rec.quality = req.quality;
        rec.hls_format = req.hls_format;
        auto n = std::make_unique<HttpReader>(std::move(rec));
        n->client_key = key;
        r = &static_cast<HttpReader&>(p.add_reader(std::move(n), ""));
        slot.keep();
        p.hls_clients_[key] = r;
      }
      r->seen();
      r->counters()->requests.fetch_add(1, std::memory_order_relaxed);
      reply(nullptr, r->counters());
    } catch (...) {
      reply(std::current_exception(), nullptr);
    }
  });
}

}  // namespace camrelay::service
