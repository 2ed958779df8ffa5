// RTSP re-serve (include/camrelay/rtsp/server.hpp, docs/restream.md).
//
// Threads: gst-rtsp-server runs on the "rtsp" GLib thread (its listening socket) and on
// client threads from its thread pool (each client's requests, so that one client waiting
// for its camera to start holds up nobody else); the shared medias run on their own
// threads. What is shared between them lives in Impl under `mu_`. Readers are admitted
// through StreamManager (the camera's path strand); a client thread waits for the answer.
#include "camrelay/rtsp/server.hpp"

#include <openssl/crypto.h>

#include <gst/app/gstappsrc.h>
#include <gst/rtsp-server/rtsp-server.h>

#include <chrono>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "camrelay/auth/service.hpp"
#include "camrelay/gst/callback.hpp"
#include "camrelay/gst/main_loop.hpp"
#include "camrelay/gst/ptr.hpp"
#include "camrelay/service/stream_manager.hpp"
#include "camrelay/util/error.hpp"
#include "camrelay/util/ids.hpp"
#include "camrelay/util/log.hpp"

namespace camrelay::rtsp {
namespace {
auto lg() {
  static auto l = log::get("rtsp");
  return l;
}
// How long a DESCRIBE waits for its camera's path to admit it (the start itself is not
// waited for here: the media waits for its first access unit).
constexpr auto kAdmitTimeout = std::chrono::seconds(15);
// Client threads of gst-rtsp-server's pool: clients beyond share them.
constexpr int kClientThreads = 32;
constexpr const char* kRole = "viewer";
constexpr const char* kAlias = "/stream1";     // seed 002: the first camera
constexpr const char* kSubAlias = "/stream2";  // seed 002's stream2: the first camera's sub stream
constexpr std::string_view kSubSuffix = "_sub";  // rtsp.path's {id} → {id}_sub: the sub stream

// What a request path names: a camera and which of its streams.
struct Target {
  std::string camera;  // "" = none
  model::Quality quality = model::Quality::main;
  // The key of a connection's reader of it.
  std::string key() const { return quality == model::Quality::sub ? camera + "#sub" : camera; }
};

bool is_loopback(const std::string& ip) {
  return ip.rfind("127.", 0) == 0 || ip == "::1" || ip.rfind("::ffff:127.", 0) == 0;
}

GstRTSPStatusCode status_of(Errc e) {
  switch (e) {
    case Errc::not_found: return GST_RTSP_STS_NOT_FOUND;
    case Errc::forbidden: return GST_RTSP_STS_FORBIDDEN;
    case Errc::unauthenticated: return GST_RTSP_STS_UNAUTHORIZED;
    case Errc::invalid_argument: return GST_RTSP_STS_BAD_REQUEST;
    case Errc::timeout: return GST_RTSP_STS_GATEWAY_TIMEOUT;
    default: return GST_RTSP_STS_SERVICE_UNAVAILABLE;  // limits, stopping, shutting down
  }
}

std::string header(GstRTSPMessage* msg, GstRTSPHeaderField field) {
  gchar* v = nullptr;
  if (msg && gst_rtsp_message_get_header(msg, field, &v, 0) == GST_RTSP_OK && v) return v;
  return {};
}
// The shared media of a mount: the camera's access units re-payloaded as they are (H.264 or
// H.265), never re-encoded.
std::string launch_line(const std::string& codec) {
  const bool h265 = codec == "H265";
  return fmt::format(
      "( appsrc name=src is-live=true format=time do-timestamp=true ! {} ! {} name=pay0 pt=96 config-interval=-1 )",
      h265 ? "h265parse" : "h264parse", h265 ? "rtph265pay" : "rtph264pay");
}
}  // namespace

struct Server::Impl : std::enable_shared_from_this<Impl> {
  // One mount (a request path) → one camera and its shared media factory.
  struct Mount {
    std::string path;
    std::string camera;
    model::Quality quality = model::Quality::main;
    gst::Ptr<GstRTSPMediaFactory> factory;
    std::mutex mu;                                   // guards the two below
    std::shared_ptr<model::H264Feed> feed;           // the camera's tap, from the latest reader
    std::string codec = "H264";                      // what the factory's launch line parses and pays
    // Takes the reader's feed (under mu); a feed of the other codec (an H.265 camera)
    // switches the factory's launch line before its media is made.
    void use_feed(std::shared_ptr<model::H264Feed> f) {
      feed = std::move(f);
      if (!feed || feed->codec() == codec) return;
      codec = feed->codec();
      gst_rtsp_media_factory_set_launch(factory.get(), launch_line(codec).c_str());
    }
    std::vector<std::weak_ptr<service::RtspReader>> readers;  // delivery counters
    void count(std::size_t bytes) {
      std::lock_guard lk(mu);
      std::erase_if(readers, [](const auto& w) { return w.expired(); });
      for (const auto& w : readers) {
        if (auto r = w.lock()) r->count_sent(bytes);
      }
    }
  };
  // One RTSP connection: its readers (one per camera) and the credentials it proved.
  struct Client {
    std::map<std::string, std::shared_ptr<service::RtspReader>> readers;  // Target::key() → reader
    std::string authorization;               // the header that was accepted
    std::optional<auth::Principal> who;      // ... and who it proved
    std::string rejected;                    // the header last refused (not checked twice)
  };

  const config::Config& cfg;
  std::weak_ptr<service::StreamManager> streams;
  std::shared_ptr<auth::Service> accounts;  // nullptr with auth.disabled
  std::unique_ptr<gst::MainLoop> loop;
  gst::Ptr<GstRTSPServer> server;
  guint source_id = 0;
  int bound_port = 0;
  gst::MiniPtr<GstRTSPToken> token;  // what an authenticated request carries (role "viewer")
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Mount>> mounts_;  // request path → mount
  std::map<GstRTSPClient*, Client> clients_;             // key only: never dereferenced here
  bool stopped_ = false;

  Impl(const config::Config& c, std::shared_ptr<service::StreamManager> s, std::shared_ptr<auth::Service> a)
      : cfg(c), streams(std::move(s)), accounts(c.auth.disabled ? nullptr : std::move(a)) {}

  // ---- paths ----
  // The camera a request path names: rtsp.path with {id} (or {id}_sub: its sub stream; a
  // camera whose id really ends in _sub wins), or the /stream1 and /stream2 aliases.
  Target target_of(std::string path) const {
    if (path.size() > 1 && path.back() == '/') path.pop_back();
    auto m = streams.lock();
    if (!m) return {};
    const std::string& t = cfg.rtsp.path;
    const auto at = t.find("{id}");
    const std::string prefix = t.substr(0, at), suffix = t.substr(at + 4);
    if (path.size() > prefix.size() + suffix.size() && path.compare(0, prefix.size(), prefix) == 0 &&
        path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0) {
      std::string id = path.substr(prefix.size(), path.size() - prefix.size() - suffix.size());
      if (valid_camera_id(id) && m->has_camera(id)) return {id, model::Quality::main};
      if (id.size() > kSubSuffix.size() && id.ends_with(kSubSuffix)) {
        id.resize(id.size() - kSubSuffix.size());
        if (valid_camera_id(id) && m->has_camera(id)) return {id, model::Quality::sub};
      }
    }
    if (path == kAlias) return {m->first_camera(), model::Quality::main};
    if (path == kSubAlias) return {m->first_camera(), model::Quality::sub};
    return {};
  }

  // The mount for `path` (made on first use). A mount whose feed has ended (the camera's
  // stream stopped, or its tap went idle) is replaced by a fresh one, so that a new client
  // never gets the factory's cached media of a stream that is gone.
  std::shared_ptr<Mount> mount(const std::string& path, const Target& target) {
    const std::string& camera = target.camera;
    std::string key = path;
    if (key.size() > 1 && key.back() == '/') key.pop_back();
    std::lock_guard lk(mu_);
    auto& m = mounts_[key];
    if (m && m->camera == camera && m->quality == target.quality) {
      std::lock_guard mlk(m->mu);
      if (!m->feed || !m->feed->closed()) return m;
    }
    m = std::make_shared<Mount>();
    m->path = key;
    m->camera = camera;
    m->quality = target.quality;
    m->factory = gst::Ptr<GstRTSPMediaFactory>::adopt(gst_rtsp_media_factory_new());
    GstRTSPMediaFactory* f = m->factory.get();
    gst_rtsp_media_factory_set_launch(f, launch_line(m->codec).c_str());
    gst_rtsp_media_factory_set_shared(f, TRUE);
    gst_rtsp_media_factory_set_protocols(f, GstRTSPLowerTrans(GST_RTSP_LOWER_TRANS_TCP | GST_RTSP_LOWER_TRANS_UDP));
    if (accounts) {
      auto perms = gst::MiniPtr<GstRTSPPermissions>::adopt(gst_rtsp_permissions_new());
      gst_rtsp_permissions_add_role(perms.get(), kRole, GST_RTSP_PERM_MEDIA_FACTORY_ACCESS, G_TYPE_BOOLEAN, TRUE,
                                    GST_RTSP_PERM_MEDIA_FACTORY_CONSTRUCT, G_TYPE_BOOLEAN, TRUE, nullptr);
      gst_rtsp_media_factory_set_permissions(f, perms.get());
    }
    gst::connect<void(GstRTSPMediaFactory*, GstRTSPMedia*)>(
        f, "media-configure", std::weak_ptr<Mount>(m),
        [](std::weak_ptr<Mount>& w, GstRTSPMediaFactory*, GstRTSPMedia* media) {
          if (auto mt = w.lock()) configure_media(mt, media);
        });
    auto mp = gst::Ptr<GstRTSPMountPoints>::adopt(gst_rtsp_server_get_mount_points(server.get()));
    gst_rtsp_mount_points_remove_factory(mp.get(), key.c_str());  // a path now naming another camera
    // add_factory takes a reference of its own.
    gst_rtsp_mount_points_add_factory(mp.get(), key.c_str(), gst::Ptr<GstRTSPMediaFactory>(m->factory).release());
    return m;
  }

  // A shared media of `m` is being made (a client thread): its appsrc takes the camera's
  // access units until the media is unprepared (its last client left) or the feed ends.
  static void configure_media(const std::shared_ptr<Mount>& m, GstRTSPMedia* media) {
    auto element = gst::ElementPtr::adopt(gst_rtsp_media_get_element(media));
    auto src = gst::ElementPtr::adopt(gst_bin_get_by_name(GST_BIN(element.get()), "src"));
    std::shared_ptr<model::H264Feed> feed;
    {
      std::lock_guard lk(m->mu);
      feed = m->feed;
    }
    if (!src) return;
    auto* appsrc = GST_APP_SRC(src.get());
    std::string caps = feed ? feed->caps() : std::string();
    if (caps.empty()) {
      caps = feed && feed->codec() == "H265" ? "video/x-h265,stream-format=byte-stream,alignment=au"
                                             : "video/x-h264,stream-format=byte-stream,alignment=au";
    }
    gst_app_src_set_caps(appsrc, gst::caps_from_string(caps).get());
    gst_app_src_set_max_bytes(appsrc, 8u << 20);
    gst_app_src_set_leaky_type(appsrc, GST_APP_LEAKY_TYPE_DOWNSTREAM);  // a stuck media drops, never grows
    if (!feed) {
      gst_app_src_end_of_stream(appsrc);
      return;
    }
    const std::uint64_t sub = feed->subscribe(
        [src = gst::ElementPtr::ref(src.get()), w = std::weak_ptr<Mount>(m)](const model::H264Feed::Unit& u) {
          GstBuffer* b = gst_buffer_new_memdup(u.data->data(), u.data->size());
          if (!u.keyframe) GST_BUFFER_FLAG_SET(b, GST_BUFFER_FLAG_DELTA_UNIT);
          gst_app_src_push_buffer(GST_APP_SRC(src.get()), b);  // takes b
          if (auto mt = w.lock()) mt->count(u.data->size());
        },
        [src = gst::ElementPtr::ref(src.get()), cam = m->camera] {
          lg()->info("camera {}: its stream ended; RTSP clients get end-of-stream", cam);
          gst_app_src_end_of_stream(GST_APP_SRC(src.get()));
        });
    if (!sub) {
      gst_app_src_end_of_stream(appsrc);
      return;
    }
    lg()->info("camera {}: RTSP media for {} fed from the camera's stream", m->camera, m->path);
    struct Unsub {
      std::weak_ptr<model::H264Feed> feed;
      std::uint64_t sub;
      std::string camera;
    };
    gst::connect<void(GstRTSPMedia*)>(media, "unprepared", Unsub{feed, sub, m->camera},
                                      [](Unsub& u, GstRTSPMedia*) {
                                        if (auto f = u.feed.lock()) f->unsubscribe(u.sub);
                                        lg()->info("camera {}: RTSP media released (no client left)", u.camera);
                                      });
  }

  // ---- authentication ----
  // Who the request's credentials prove, nullopt if none or wrong. A client thread; the
  // accepted header is remembered for the connection (no Argon2 for every request).
  std::optional<auth::Principal> who(GstRTSPClient* client, GstRTSPContext* ctx) {
    const std::string authz = header(ctx->request, GST_RTSP_HDR_AUTHORIZATION);
    std::string ip;
    if (GstRTSPConnection* c = gst_rtsp_client_get_connection(client)) ip = gst_rtsp_connection_get_ip(c);
    if (cfg.auth.allow_localhost && is_loopback(ip)) {
      auth::Principal p;
      p.user = "localhost";
      p.role = auth::Role::admin;
      p.via = auth::Via::localhost;
      return p;
    }
    if (authz.empty()) return std::nullopt;
    {
      std::lock_guard lk(mu_);
      auto it = clients_.find(client);
      if (it != clients_.end()) {
        if (it->second.who && it->second.authorization == authz) return it->second.who;
        if (it->second.rejected == authz) return std::nullopt;
      }
    }
    auto p = check_basic(authz, ip);
    std::lock_guard lk(mu_);
    auto& c = clients_[client];
    if (p) {
      c.authorization = authz;
      c.who = p;
    } else {
      c.rejected = authz;
    }
    return p;
  }

  std::optional<auth::Principal> check_basic(const std::string& authz, const std::string& ip) {
    if (authz.size() < 7 || g_ascii_strncasecmp(authz.c_str(), "Basic ", 6) != 0) return std::nullopt;
    gsize len = 0;
    gst::CharPtr raw(reinterpret_cast<gchar*>(g_base64_decode(authz.c_str() + 6, &len)));
    const std::string plain(raw ? raw.get() : "", raw ? len : 0);
    const auto colon = plain.find(':');
    if (colon == std::string::npos) return std::nullopt;
    const std::string user = plain.substr(0, colon), pass = plain.substr(colon + 1);
    // The ONVIF credential (docs/onvif.md): NVRs that added camrelay by ONVIF play the
    // stream URI with the same user name and password. A viewer of every camera.
    if (cfg.onvif.enabled && !cfg.onvif.password.empty() && user == cfg.onvif.username &&
        pass.size() == cfg.onvif.password.size() &&
        CRYPTO_memcmp(pass.data(), cfg.onvif.password.data(), pass.size()) == 0) {
      return auth::onvif_principal(user);
    }
    // An API token (or viewer token) as the password, any user name: cheap, no hashing.
    auth::Credentials c;
    c.authorization = "Bearer " + pass;
    c.remote_ip = ip;
    if (auto r = accounts->authenticate(c); r.outcome == auth::AuthResult::Outcome::ok && r.who) return r.who;
    auto res = accounts->check_password_of(user, pass, ip);
    if (res.outcome != auth::LoginResult::Outcome::ok) {
      lg()->info("RTSP client {}: wrong credentials for user '{}'", ip, user);
      return std::nullopt;
    }
    return res.who;
  }

  // GstRTSPAuth's authenticate: a token (role "viewer") when the credentials are good.
  static gboolean authenticate(GstRTSPAuth* a, GstRTSPContext* ctx) {
    auto* self = static_cast<std::weak_ptr<Impl>*>(g_object_get_data(G_OBJECT(a), "camrelay-impl"));
    auto impl = self ? self->lock() : nullptr;
    // The context borrows the token (gst-rtsp-server's own default_authenticate does the same).
    if (impl && ctx->client && impl->who(ctx->client, ctx)) ctx->token = impl->token.get();
    return TRUE;  // no token → 401 with WWW-Authenticate: Basic
  }

  static GType auth_type() {
    static const GType t = [] {
      GTypeQuery q;
      g_type_query(GST_TYPE_RTSP_AUTH, &q);
      return g_type_register_static_simple(
          GST_TYPE_RTSP_AUTH, "CamrelayRtspAuth", q.class_size,
          [](gpointer klass, gpointer) { GST_RTSP_AUTH_CLASS(klass)->authenticate = &Impl::authenticate; },
          q.instance_size, nullptr, GTypeFlags(0));
    }();
    return t;
  }

  // ---- clients ----
  // DESCRIBE (a client thread): resolve the camera, mount it, check who asks, admit the
  // client as a reader (this may start the camera) before the media is made.
  GstRTSPStatusCode on_describe(GstRTSPClient* client, GstRTSPContext* ctx) {
    if (!ctx->uri || !ctx->uri->abspath) return GST_RTSP_STS_BAD_REQUEST;
    const std::string path = ctx->uri->abspath;
    const Target target = target_of(path);
    const std::string& camera = target.camera;
    if (camera.empty()) {
      lg()->info("RTSP DESCRIBE {}: no such camera", path);
      return GST_RTSP_STS_NOT_FOUND;
    }
    auto m = mount(path, target);
    if (accounts) {
      auto p = who(client, ctx);
      if (!p) return GST_RTSP_STS_OK;  // the server's auth check answers 401 with the challenge
      if (!p->may_view(camera)) {
        lg()->info("RTSP DESCRIBE {}: user '{}' may not watch camera {}", path, p->user, camera);
        return GST_RTSP_STS_FORBIDDEN;
      }
    }
    {
      std::lock_guard lk(mu_);
      auto it = clients_.find(client);
      if (it != clients_.end()) {
        auto r = it->second.readers.find(target.key());
        if (r != it->second.readers.end() && !r->second->ended()) {
          std::lock_guard mlk(m->mu);
          if (!m->feed || m->feed->closed()) m->use_feed(r->second->feed());
          return GST_RTSP_STS_OK;
        }
      }
    }
    auto mgr = streams.lock();
    if (!mgr) return GST_RTSP_STS_SERVICE_UNAVAILABLE;
    service::ReaderRequest req;
    req.camera_id = camera;
    req.quality = target.quality;
    req.user_agent = header(ctx->request, GST_RTSP_HDR_USER_AGENT);
    if (GstRTSPConnection* c = gst_rtsp_client_get_connection(client)) req.ip = gst_rtsp_connection_get_ip(c);
    using Result = std::pair<std::exception_ptr, std::shared_ptr<service::RtspReader>>;
    auto done = std::make_shared<std::promise<Result>>();
    auto fut = done->get_future();
    mgr->attach_rtsp(req, [done](std::exception_ptr e, std::shared_ptr<service::RtspReader> r) {
      done->set_value({e, std::move(r)});
    });
    mgr.reset();
    if (fut.wait_for(kAdmitTimeout) != std::future_status::ready) {
      lg()->warn("RTSP DESCRIBE {}: camera {} did not answer in time", path, camera);
      return GST_RTSP_STS_SERVICE_UNAVAILABLE;  // a late reader is dropped with the promise
    }
    auto [err, reader] = fut.get();
    if (err) {
      try {
        std::rethrow_exception(err);
      } catch (const Error& e) {
        lg()->info("RTSP DESCRIBE {}: {}", path, e.what());
        return status_of(e.code());
      } catch (const std::exception& e) {
        lg()->warn("RTSP DESCRIBE {}: {}", path, e.what());
        return GST_RTSP_STS_INTERNAL_SERVER_ERROR;
      }
    }
    {
      std::lock_guard mlk(m->mu);
      if (!m->feed || m->feed->closed() || m->feed != reader->feed()) m->use_feed(reader->feed());
      m->readers.push_back(reader);
    }
    std::shared_ptr<service::RtspReader> old;
    {
      std::lock_guard lk(mu_);
      if (stopped_) return GST_RTSP_STS_SERVICE_UNAVAILABLE;
      auto& slot = clients_[client].readers[target.key()];
      old = std::move(slot);  // an ended reader of the same camera: it leaves (outside the lock)
      slot = std::move(reader);
    }
    return GST_RTSP_STS_OK;
  }

  void on_closed(GstRTSPClient* client) {
    std::map<std::string, std::shared_ptr<service::RtspReader>> gone;
    {
      std::lock_guard lk(mu_);
      auto it = clients_.find(client);
      if (it == clients_.end()) return;
      gone = std::move(it->second.readers);
      clients_.erase(it);
    }
    for (auto& [cam, r] : gone) r->set_close_reason("RTSP session closed");
    // `gone` leaves here: each reader detaches from its camera.
  }

  void on_client(GstRTSPClient* client) {
    auto w = weak_from_this();
    gst::connect<GstRTSPStatusCode(GstRTSPClient*, GstRTSPContext*)>(
        client, "pre-describe-request", w,
        [](std::weak_ptr<Impl>& w, GstRTSPClient* c, GstRTSPContext* ctx) -> GstRTSPStatusCode {
          auto self = w.lock();
          return self ? self->on_describe(c, ctx) : GST_RTSP_STS_SERVICE_UNAVAILABLE;
        });
    gst::connect<void(GstRTSPClient*)>(client, "closed", w, [](std::weak_ptr<Impl>& w, GstRTSPClient* c) {
      if (auto self = w.lock()) self->on_closed(c);
    });
  }

  void start() {
    const std::string host = cfg.rtsp.host.empty() ? cfg.http.host : cfg.rtsp.host;
    loop = std::make_unique<gst::MainLoop>("rtsp");
    server = gst::Ptr<GstRTSPServer>::adopt(gst_rtsp_server_new());
    gst_rtsp_server_set_address(server.get(), host.c_str());
    gst_rtsp_server_set_service(server.get(), std::to_string(cfg.rtsp.port).c_str());
    auto pool = gst::Ptr<GstRTSPThreadPool>::adopt(gst_rtsp_server_get_thread_pool(server.get()));
    gst_rtsp_thread_pool_set_max_threads(pool.get(), kClientThreads);
    if (accounts) {
      token = gst::MiniPtr<GstRTSPToken>::adopt(
          gst_rtsp_token_new(GST_RTSP_TOKEN_MEDIA_FACTORY_ROLE, G_TYPE_STRING, kRole, nullptr));
      auto a = gst::Ptr<GstRTSPAuth>::adopt(static_cast<GstRTSPAuth*>(g_object_new(auth_type(), nullptr)));
      g_object_set_data_full(G_OBJECT(a.get()), "camrelay-impl", new std::weak_ptr<Impl>(weak_from_this()),
                             [](gpointer p) { delete static_cast<std::weak_ptr<Impl>*>(p); });
      gst_rtsp_auth_set_supported_methods(a.get(), GST_RTSP_AUTH_BASIC);
      gst_rtsp_auth_set_realm(a.get(), "camrelay");
      gst_rtsp_server_set_auth(server.get(), a.get());
    }
    gst::connect<void(GstRTSPServer*, GstRTSPClient*)>(
        server.get(), "client-connected", weak_from_this(),
        [](std::weak_ptr<Impl>& w, GstRTSPServer*, GstRTSPClient* c) {
          if (auto self = w.lock()) self->on_client(c);
        });
    loop->run_sync([&] { source_id = gst_rtsp_server_attach(server.get(), loop->context()); });
    if (!source_id) {
      throw Error(Errc::unavailable, fmt::format("cannot listen for RTSP on {}:{} (rtsp.host, rtsp.port)", host,
                                                 cfg.rtsp.port));
    }
    bound_port = gst_rtsp_server_get_bound_port(server.get());
    lg()->info("RTSP re-serve listening on rtsp://{}:{}{} (auth {})", host, bound_port, cfg.rtsp.path,
               accounts ? "Basic" : "off");
  }

  void stop() {
    {
      std::lock_guard lk(mu_);
      if (stopped_) return;
      stopped_ = true;
    }
    if (loop && server) {
      loop->run_sync([this] {
        if (source_id) {
          if (GSource* s = g_main_context_find_source_by_id(loop->context(), source_id)) g_source_destroy(s);
          source_id = 0;
        }
        gst_rtsp_server_client_filter(
            server.get(), [](GstRTSPServer*, GstRTSPClient*, gpointer) { return GST_RTSP_FILTER_REMOVE; }, nullptr);
      });
    }
    std::map<GstRTSPClient*, Client> gone;
    {
      std::lock_guard lk(mu_);
      gone = std::move(clients_);
      clients_.clear();
    }
    for (auto& [c, cl] : gone) {
      for (auto& [cam, r] : cl.readers) r->set_close_reason("the daemon is stopping");
    }
  }
};

Server::Server(const config::Config& cfg, std::shared_ptr<service::StreamManager> streams,
               std::shared_ptr<auth::Service> accounts)
    : impl_(std::make_shared<Impl>(cfg, std::move(streams), std::move(accounts))) {}

Server::~Server() { stop(); }

void Server::start() { impl_->start(); }

void Server::stop() { impl_->stop(); }

int Server::port() const { return impl_->bound_port; }

}  // namespace camrelay::rtsp
