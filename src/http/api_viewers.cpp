// REST: WHEP (draft-ietf-wish-whep) and /viewers.
#include <boost/asio/steady_timer.hpp>

#include <atomic>

#include "api.hpp"
#include "auth_gate.hpp"
#include "await_reply.hpp"
#include "api_outputs.hpp"
#include "decode.hpp"
#include "camrelay/http/response.hpp"
#include "camrelay/service/stream_manager.hpp"
#include "camrelay/util/ids.hpp"

namespace camrelay::http {
namespace {
using service::Reply;
using service::StreamManager;
using service::ViewerInfo;

std::string ice_link_header(const config::Config& cfg) {
  std::string out;
  for (const auto& s : cfg.webrtc.ice_servers) {
    if (!out.empty()) out += ", ";
    out += "<" + s.url + ">; rel=\"ice-server\"";
    if (!s.username.empty()) out += "; username=\"" + s.username + "\"; credential=\"" + s.credential + "\"; credential-type=\"password\"";
  }
  return out;
}

bool content_type_is(const Request& req, std::string_view want) {
  std::string_view ct = req[bhttp::field::content_type];
  return ct.substr(0, ct.find(';')) == want;
}

Response sdp_response(const Request& req, bhttp::status st, std::string sdp) {
  return text_response(req, st, std::move(sdp), "application/sdp");
}

struct Answered {
  std::string viewer_id;
  std::string sdp;  // with all our candidates (no server-to-browser trickle)
};

// A browser's offer for camera `cam` → a WHEP-kind viewer and our complete answer. Shared by
// WHEP and seed 002's JSON offer API; the session is a WHEP resource either way.
asio::awaitable<Answered> answer_browser_offer(std::shared_ptr<StreamManager> m, std::string cam, std::string offer,
                                               const Request& req, const Params& p,
                                               model::Quality quality = model::Quality::main) {
  const std::string vid = random_id("v_");
  auto ex = co_await asio::this_coro::executor;
  auto op = await_reply<std::string>([m, cam, vid, &req, &p, ex, quality,
                                      offer = std::move(offer)](Reply<std::string> done) {
    auto once = std::make_shared<std::atomic<bool>>(false);
    auto finish = [done, once](std::exception_ptr e, std::string sdp) {
      if (!once->exchange(true)) done(e, std::move(sdp));
    };
    service::ViewerRequest vr;
    vr.id = vid;
    vr.camera_id = cam;
    vr.kind = service::ReaderKind::whep;
    vr.user_agent = std::string(req[bhttp::field::user_agent]);
    vr.ip = p.remote_ip;
    vr.owner = owner_key(p.who);
    vr.offer_sdp = offer;
    vr.quality = quality;
    vr.on_local_description = [finish](std::string sdp) { finish(nullptr, std::move(sdp)); };
    vr.on_closed = [finish](std::string reason) {
      finish(std::make_exception_ptr(Error(Errc::invalid_argument, "negotiation failed: " + reason)), {});
    };
    m->add_viewer(std::move(vr), [finish](std::exception_ptr e, ViewerInfo) {
      if (e) finish(e, {});
    });
    // Never hang the HTTP request: give up after 10 s.
    auto t = std::make_shared<asio::steady_timer>(ex, std::chrono::seconds(10));
    t->async_wait([t, once, done, m, vid](const boost::system::error_code& ec) {
      if (ec || once->exchange(true)) return;  // answered (or failed) in time
      m->remove_viewer(vid, "no answer within 10 s", {});
      done(std::make_exception_ptr(Error(Errc::timeout, "could not create an answer within 10 s")), {});
    });
  });
  std::string answer = co_await std::move(op);
  co_return Answered{vid, std::move(answer)};
}

}  // namespace

void register_viewer_api(Router& r, std::shared_ptr<StreamManager> m, const config::Config& cfg) {
  using V = bhttp::verb;

  auto list = [m](const Request& req, const Params& p) -> asio::awaitable<Response> {
    std::string cam = p.path.count("id") ? p.at("id") : "";
    if (!cam.empty() && !valid_camera_id(cam)) throw Error(Errc::not_found, "unknown camera");
    auto op = await_reply<std::vector<ViewerInfo>>(
        [m, cam](Reply<std::vector<ViewerInfo>> cb) { m->list_viewers(cam, std::move(cb)); });
    auto all = co_await std::move(op);
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& v : all) arr.push_back(to_json(v));
    co_return json_response(req, {{"viewers", arr}, {"count", arr.size()}});
  };
  r.add(V::get, "/viewers", Access::admin, list);
  r.add(V::get, "/viewers/{id}", Access::admin, list);

  // WHEP: POST an SDP offer → 201 + Location + SDP answer (with all our candidates).
  r.add(V::post, "/streams/{id}/whep", Access::camera, [m, &cfg](const Request& req, const Params& p) -> asio::awaitable<Response> {
    const std::string cam = p.at("id");
    if (!valid_camera_id(cam)) throw Error(Errc::not_found, "unknown camera");
    const model::Quality quality = query_quality(p);
    if (!content_type_is(req, "application/sdp")) {
      co_return error_response(req, bhttp::status::unsupported_media_type, "unsupported_media_type",
                               "WHEP offers must be Content-Type: application/sdp");
    }
    if (req.body().rfind("v=0", 0) != 0) throw Error(Errc::invalid_argument, "the body is not an SDP offer (must start with v=0)");
    auto op = answer_browser_offer(m, cam, req.body(), req, p, quality);
    Answered a = co_await std::move(op);
    const std::string vid = a.viewer_id;
    std::string answer = std::move(a.sdp);
    Response res = sdp_response(req, bhttp::status::created, std::move(answer));
    res.set(bhttp::field::location, "/streams/" + cam + "/whep/" + vid);
    res.set(bhttp::field::etag, "\"" + vid + "\"");
    res.set("Accept-Patch", "application/trickle-ice-sdpfrag");
    if (auto link = ice_link_header(cfg); !link.empty()) res.set(bhttp::field::link, link);
    co_return res;
  });

  // Seed 002's offer API: the browser's RTCSessionDescription as JSON in, ours out
  // ({"type":"answer","sdp":…}, ready for setRemoteDescription). "camera" picks the camera
  // (default: the first). The session is a WHEP resource: "location" is where to DELETE it;
  // a browser that just leaves is reaped like any viewer (ICE/RTCP liveness).
  r.add(V::post, "/api/webrtc/offer", Access::user, [m](const Request& req, const Params& p) -> asio::awaitable<Response> {
    const WebrtcOffer offer = decode_webrtc_offer(json_object_of(req.body()));
    const std::string cam = offer.camera.empty() ? m->first_camera() : offer.camera;
    if (cam.empty()) throw Error(Errc::not_found, "no camera is configured");
    if (!valid_camera_id(cam)) throw Error(Errc::not_found, "unknown camera");
    if (!p.who || !p.who->may_view(cam)) {
      co_return error_response(req, bhttp::status::forbidden, "forbidden",
                               "you may not watch camera '" + cam.substr(0, 64) + "'");
    }
    auto op = answer_browser_offer(m, cam, offer.sdp, req, p);
    Answered a = co_await std::move(op);
    co_return json_response(req, {{"type", "answer"},
                                  {"sdp", a.sdp},
                                  {"camera", cam},
                                  {"id", a.viewer_id},
                                  {"location", "/streams/" + cam + "/whep/" + a.viewer_id}});
  });

  // The WHEP session of this camera with this id, if the caller may change it (404
  // otherwise: another's session is not shown to exist).
  auto owned = [m](const Params& p) -> asio::awaitable<std::optional<ViewerInfo>> {
    const std::string vid = p.at("vid"), cam = p.at("id");
    auto op = await_reply<std::vector<ViewerInfo>>(
        [m, cam](Reply<std::vector<ViewerInfo>> cb) { m->list_viewers(cam, std::move(cb)); });
    auto all = co_await std::move(op);
    for (auto& v : all) {
      if (v.id == vid && v.kind == service::ReaderKind::whep && may_change(p.who, v.owner)) co_return std::move(v);
    }
    co_return std::nullopt;
  };

  auto del = [m, owned](const Request& req, const Params& p) -> asio::awaitable<Response> {
    const std::string vid = p.at("vid");
    auto own_op = owned(p);
    auto mine = co_await std::move(own_op);
    if (!mine) throw Error(Errc::not_found, "unknown WHEP session");
    auto op = await_reply<bool>([m, vid](Reply<bool> cb) { m->remove_viewer(vid, "WHEP resource deleted", std::move(cb)); });
    co_await std::move(op);
    co_return text_response(req, bhttp::status::ok, "", "text/plain");
  };
  r.add(V::delete_, "/streams/{id}/whep/{vid}", Access::camera, del);

  r.add(V::patch, "/streams/{id}/whep/{vid}", Access::camera, [m, owned](const Request& req, const Params& p) -> asio::awaitable<Response> {
    if (!content_type_is(req, "application/trickle-ice-sdpfrag")) {
      co_return error_response(req, bhttp::status::unsupported_media_type, "unsupported_media_type",
                               "PATCH needs Content-Type: application/trickle-ice-sdpfrag");
    }
    const std::string vid = p.at("vid");
    // Confirm the resource exists and is the caller's (404 otherwise) before applying candidates.
    auto own_op = owned(p);
    auto mine = co_await std::move(own_op);
    if (!mine) throw Error(Errc::not_found, "unknown WHEP session");
    const ViewerInfo* found = &*mine;
    const SdpFrag frag = decode_sdpfrag(req.body());
    // RFC 9725 §4.3.1: new ICE credentials ask for an ICE restart; an endpoint that only
    // supports trickle answers 422. A stale ETag in If-Match is a 412.
    const std::string_view if_match = req[bhttp::field::if_match];
    if (if_match == "*" || (!frag.ufrag.empty() && frag.ufrag != found->remote_ice_ufrag)) {
      co_return error_response(req, bhttp::status::unprocessable_entity, "ice_restart_not_supported",
                               "ICE restarts are not supported: start a new WHEP session (POST a new offer)");
    }
    if (!if_match.empty() && if_match != "\"" + vid + "\"") {
      co_return error_response(req, bhttp::status::precondition_failed, "precondition_failed",
                               "If-Match does not match this WHEP session's ETag");
    }
    for (const auto& c : frag.cands) m->viewer_candidate(vid, c.mline, c.candidate, c.mid);
    co_return text_response(req, bhttp::status::no_content, "", "text/plain");
  });
}

}  // namespace camrelay::http
