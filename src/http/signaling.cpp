// WebSocket signaling: one session per socket, at most one viewer per session at a time.
#include "signaling.hpp"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <deque>

#include <nlohmann/json.hpp>

#include "auth_gate.hpp"
#include "signaling_messages.hpp"
#include "camrelay/service/stream_manager.hpp"
#include "camrelay/util/error.hpp"
#include "camrelay/util/ids.hpp"
#include "camrelay/util/log.hpp"
#include "camrelay/util/text.hpp"

namespace camrelay::http {
namespace {
namespace websocket = beast::websocket;
using nlohmann::json;
auto lg() {
  static auto l = log::get("signaling");
  return l;
}
constexpr std::size_t kMaxMessageBytes = 64 * 1024;
constexpr std::size_t kMaxQueuedMessages = 256;

json ice_servers_json(const config::Config& cfg) {
  json arr = json::array();
  for (const auto& s : cfg.webrtc.ice_servers) {
    json j = {{"urls", s.url}};
    if (!s.username.empty()) j["username"] = s.username;
    if (!s.credential.empty()) j["credential"] = s.credential;
    arr.push_back(j);
  }
  return arr;
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Stream stream, std::shared_ptr<service::StreamManager> mgr,
          const config::Config& cfg, std::string ip, std::string ua, std::optional<auth::Principal> who,
          std::shared_ptr<void> slot)
      : ws_(std::move(stream)), mgr_(std::move(mgr)), cfg_(cfg), ip_(std::move(ip)), ua_(std::move(ua)),
        who_(std::move(who)), slot_(std::move(slot)) {}

  void run(Request req) {
    ws_.read_message_max(kMaxMessageBytes);
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.async_accept(req, beast::bind_front_handler(&Session::on_accept, shared_from_this()));
  }

  // Thread-safe.
  void send(json j) {
    auto msg = std::make_shared<const std::string>(j.dump());
    asio::post(ws_.get_executor(), [self = shared_from_this(), msg] { self->enqueue(msg); });
  }

 private:
  void on_accept(beast::error_code ec) {
    if (ec) return;
    send({{"type", "hello"}, {"ice_servers", ice_servers_json(cfg_)}});
    read();
  }

  void read() {
    ws_.async_read(buf_, beast::bind_front_handler(&Session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec) {
      if (ec == websocket::error::message_too_big) {
        lg()->warn("{}: message over {} bytes, closing", ip_, kMaxMessageBytes);
        send_error("message_too_big", "messages are limited to 64 KiB");
      }
      closed_ = true;
      leave("signaling connection closed");
      return;
    }
    std::string text = beast::buffers_to_string(buf_.data());
    buf_.consume(buf_.size());
    handle(text);
    read();
  }

  void send_error(std::string code, std::string message) {
    send({{"type", "error"}, {"code", std::move(code)}, {"message", std::move(message)}});
  }

  void handle(const std::string& text) {
    namespace sg = signaling;
    auto msg = sg::decode(text);
    if (auto* w = std::get_if<sg::Watch>(&msg)) {
      if (who_ && !who_->may_view(w->camera)) return send_error("forbidden", "you may not watch camera " + w->camera);
      return watch(w->camera, std::move(w->codecs), w->quality);
    }
    if (auto* a = std::get_if<sg::Answer>(&msg)) {
      if (viewer_id_.empty()) return send_error("no_viewer", "send watch first");
      mgr_->viewer_answer(viewer_id_, a->sdp, [](std::exception_ptr, bool) {});
      return;
    }
    if (auto* c = std::get_if<sg::Candidate>(&msg)) {
      if (viewer_id_.empty()) return send_error("no_viewer", "send watch first");
      return mgr_->viewer_candidate(viewer_id_, c->mline, c->candidate);
    }
    if (std::holds_alternative<sg::Stop>(msg)) {
      if (viewer_id_.empty()) return send({{"type", "stopped"}, {"reason", "not watching"}});
      leave("stopped by the viewer");
      return;
    }
    if (std::holds_alternative<sg::Ping>(msg)) return send({{"type", "pong"}});
    auto& bad = std::get<sg::Invalid>(msg);
    // An answer or candidate before watch: no_viewer, whatever else is wrong with it.
    if (bad.code == "invalid_sdp" && viewer_id_.empty()) return send_error("no_viewer", "send watch first");
    return send_error(std::move(bad.code), std::move(bad.message));
  }

  void watch(const std::string& cam, std::vector<std::string> codecs, model::Quality quality) {
    leave("replaced by a new watch");
    const std::string vid = random_id("v_");
    viewer_id_ = vid;
    std::weak_ptr<Session> w = weak_from_this();
    service::ViewerRequest r;
    r.id = vid;
    r.camera_id = cam;
    r.kind = service::ReaderKind::webrtc;
    r.video_codecs = std::move(codecs);
    r.quality = quality;
    r.user_agent = ua_;
    r.ip = ip_;
    r.owner = owner_key(who_);
    r.on_local_description = [w, vid](std::string sdp) {
      if (auto s = w.lock()) s->send({{"type", "offer"}, {"viewer_id", vid}, {"sdp", std::move(sdp)}});
    };
    r.on_ice_candidate = [w, vid](unsigned mline, std::string cand) {
      if (auto s = w.lock())
        s->send({{"type", "candidate"}, {"viewer_id", vid}, {"candidate", std::move(cand)}, {"sdpMLineIndex", mline}});
    };
    r.on_state = [w, vid](model::PeerState st) {
      if (auto s = w.lock()) s->send({{"type", "state"}, {"viewer_id", vid}, {"state", model::to_string(st)}});
    };
    r.on_closed = [w, vid](std::string reason) {
      auto s = w.lock();
      if (!s) return;
      asio::post(s->ws_.get_executor(), [s, vid] {
        if (s->viewer_id_ == vid) s->viewer_id_.clear();
      });
      s->send({{"type", "stopped"}, {"viewer_id", vid}, {"reason", std::move(reason)}});
    };
    mgr_->add_viewer(std::move(r), [w, vid, cam](std::exception_ptr e, service::ViewerInfo info) {
      auto s = w.lock();
      if (!s) return;
      if (e) {
        std::string code = "internal", msg = "error";
        try {
          std::rethrow_exception(e);
        } catch (const Error& err) {
          code = errc_code(err.code());
          msg = err.what();
        } catch (const std::exception& err) {
          msg = err.what();
        }
        asio::post(s->ws_.get_executor(), [s, vid] {
          if (s->viewer_id_ == vid) s->viewer_id_.clear();
        });
        s->send_error(code, msg);
        return;
      }
      s->send({{"type", "watching"}, {"viewer_id", vid}, {"camera", cam}, {"session_id", info.session_id}});
    });
  }

  void leave(const std::string& reason) {
    if (viewer_id_.empty()) return;
    mgr_->remove_viewer(std::exchange(viewer_id_, {}), reason, {});
  }

  void enqueue(std::shared_ptr<const std::string> msg) {
    if (closed_) return;
    if (queue_.size() >= kMaxQueuedMessages) {
      // A client that does not read must not grow our memory: drop it.
      lg()->warn("{}: signaling client too slow ({} queued messages), closing", ip_, queue_.size());
      closed_ = true;
      ws_.next_layer().close();
      return;
    }
    queue_.push_back(std::move(msg));
    if (queue_.size() == 1) write_next();
  }

  void write_next() {
    ws_.text(true);
    ws_.async_write(asio::buffer(*queue_.front()),
                    [self = shared_from_this()](beast::error_code ec, std::size_t) {
                      if (ec) {
                        self->closed_ = true;
                        self->queue_.clear();
                        return;
                      }
                      self->queue_.pop_front();
                      if (!self->queue_.empty()) self->write_next();
                    });
  }

  websocket::stream<Stream> ws_;
  std::shared_ptr<service::StreamManager> mgr_;
  const config::Config& cfg_;
  std::string ip_;
  std::string ua_;
  std::optional<auth::Principal> who_;
  std::shared_ptr<void> slot_;  // counts this connection against its IP while the session lives
  beast::flat_buffer buf_;
  std::deque<std::shared_ptr<const std::string>> queue_;
  std::string viewer_id_;
  bool closed_ = false;
};
}  // namespace

void register_signaling(Server& server, std::shared_ptr<service::StreamManager> mgr,
                        const config::Config& cfg) {
  auto h = [mgr, &cfg](Stream stream, Request req, Params params) {
    std::string ua(req[bhttp::field::user_agent]);
    auto s = std::make_shared<Session>(std::move(stream), mgr, cfg, params.remote_ip, ua, std::move(params.who),
                                       std::move(params.connection_slot));
    s->run(std::move(req));
  };
  // Any account; each "watch" is checked against the cameras it may watch.
  server.add_upgrade("/signaling", Access::user, h);
  server.add_upgrade("/webrtc", Access::user, h);  // seed 000: ws://host:8765/webrtc
  server.add_upgrade("/", Access::user, h);        // seed 001: ws://host:8765
}

}  // namespace camrelay::http
