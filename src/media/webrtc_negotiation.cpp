// WebRTC viewer negotiation: the server's offer (WebSocket signaling) or the answer to a
// browser's offer (WHEP), ICE candidates both ways.
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>

#include <fmt/format.h>

#include "camrelay/media/webrtc_viewer.hpp"
#include "webrtc_internal.hpp"

namespace camrelay::media {
using namespace webrtc_detail;

// Our SDP with the SSRCs we send announced (one MediaStream for video and audio).
std::string WebrtcViewer::announce_ssrcs(const std::string& sdp) const {
  const std::string stream_id = "camrelay-" + opts_.id;
  std::string out = add_ssrc_to_sdp(sdp, unsigned(plan_.video_index), video_ssrc_, stream_id, "video");
  if (audio_linked_) out = add_ssrc_to_sdp(out, unsigned(plan_.audio_index), audio_ssrc_, stream_id, "audio");
  return out;
}

// webrtcbin holds the promise until it replies; the reply runs on its thread.
gst::PromisePtr WebrtcViewer::promise_to(void (WebrtcViewer::*fn)(GstPromise*)) {
  struct Reply {
    Weak viewer;
    void (WebrtcViewer::*fn)(GstPromise*);
  };
  return gst::promise(Reply{weak_from_this(), fn}, [](Reply& r, GstPromise* p) {
    if (auto s = r.viewer.lock()) ((*s).*(r.fn))(p);
  });
}

void WebrtcViewer::create_offer() {
  g_signal_emit_by_name(webrtc_, "create-offer", nullptr, promise_to(&WebrtcViewer::on_offer_created).get());
}

void WebrtcViewer::on_offer_created(GstPromise* p) {
  if (auto err = promise_error(p); !err.empty()) return fail("create-offer: " + err);
  DescriptionPtr offer = reply_description(p, "offer");
  if (!offer) return fail("create-offer returned nothing");
  g_signal_emit_by_name(webrtc_, "set-local-description", offer.get(), nullptr);
  std::string sdp = announce_ssrcs(gst::take_string(gst_sdp_message_as_text(offer->sdp)));
  // Trickle ICE: the offer goes out at once; candidates follow one by one. Candidates
  // gathered before this point were held back so they cannot overtake the offer.
  std::lock_guard lk(mu_);
  if (cb_.on_local_description) cb_.on_local_description(std::move(sdp));
  offer_sent_ = true;
  if (cb_.on_ice_candidate) {
    for (const auto& [m, c] : local_candidates_) cb_.on_ice_candidate(m, c);
  }
}

void WebrtcViewer::answer_remote_offer() {
  DescriptionPtr desc = parse_description(GST_WEBRTC_SDP_TYPE_OFFER, opts_.remote_offer);
  if (!desc) return fail("the offer is not a valid SDP");
  g_signal_emit_by_name(webrtc_, "set-remote-description", desc.get(),
                        promise_to(&WebrtcViewer::on_remote_offer_set).get());
}

void WebrtcViewer::on_remote_offer_set(GstPromise* p) {
  if (auto err = promise_error(p); !err.empty()) return fail("set-remote-description: " + err);
  lg()->debug("viewer {}: offer set", opts_.id);
  // Pads are graph changes: on the GLib thread, not webrtcbin's.
  stream_->loop().post([s = shared_from_this()] { s->bind_transceivers(); });
}

// The offer made one transceiver per m-line. Ours send on the planned video/audio m-lines;
// every other audio/video m-line is answered inactive (data channels are webrtcbin's).
void WebrtcViewer::bind_transceivers() {
  if (stopped_ || !webrtc_) return;
  GArray* raw = nullptr;
  g_signal_emit_by_name(webrtc_, "get-transceivers", &raw);
  const gst::ArrayPtr all(raw);
  for (guint i = 0; all && i < all->len; ++i) {
    auto* t = g_array_index(all, GstWebRTCRTPTransceiver*, i);
    guint mline = G_MAXUINT;
    g_object_get(t, "mlineindex", &mline, nullptr);
    if (static_cast<int>(mline) == plan_.video_index || (audio_src_ && static_cast<int>(mline) == plan_.audio_index)) {
      // Send-only before the pad request: webrtcbin refuses a sink pad for a receive-only one.
      g_object_set(t, "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY, nullptr);
    } else if (mline < offer_.media.size() && offer_.media[mline].kind != "application") {
      g_object_set(t, "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_INACTIVE, nullptr);
    }
  }
  if (!link_to_webrtc(video_src_, plan_.video_index, video_caps())) {
    return fail("webrtcbin refused the video m-line " + std::to_string(plan_.video_index));
  }
  if (audio_src_) {
    audio_linked_ = link_to_webrtc(audio_src_, plan_.audio_index, audio_rtp_caps(plan_.audio_codec, plan_.audio_pt));
    if (!audio_linked_) lg()->warn("viewer {}: webrtcbin refused the audio m-line {}; video only", opts_.id, plan_.audio_index);
  }
  g_signal_emit_by_name(webrtc_, "create-answer", nullptr, promise_to(&WebrtcViewer::on_answer_created).get());
}

void WebrtcViewer::on_answer_created(GstPromise* p) {
  if (auto err = promise_error(p); !err.empty()) return fail("create-answer: " + err);
  DescriptionPtr answer = reply_description(p, "answer");
  if (!answer) return fail("create-answer returned nothing");
  lg()->debug("viewer {}: answer created", opts_.id);
  {
    std::string text = gst::take_string(gst_sdp_message_as_text(answer->sdp));
    std::lock_guard lk(mu_);
    pending_answer_sdp_ = announce_ssrcs(text);
  }
  if (gst_sdp_message_medias_len(answer->sdp) <= guint(plan_.video_index) ||
      gst_sdp_media_get_port(gst_sdp_message_get_media(answer->sdp, guint(plan_.video_index))) == 0) {
    return fail("webrtcbin could not answer the video m-line with " + plan_.video_codec + " payload type " +
                std::to_string(plan_.video_pt));
  }
  g_signal_emit_by_name(webrtc_, "set-local-description", answer.get(), nullptr);
  // WHEP has no server-to-client trickle: answer once gathering is complete (fast on a
  // LAN), or after a bound with whatever was gathered.
  auto w = weak_from_this();
  stream_->loop().post([w] {
    auto s = w.lock();
    if (!s || s->stopped_) return;
    s->gather_timer_ = s->stream_->loop().post_delayed(kGatherTimeoutMs, [w] {
      if (auto s2 = w.lock()) {
        s2->gather_timer_ = 0;
        {
          std::lock_guard lk(s2->mu_);
          s2->gathering_done_ = true;
        }
        s2->maybe_send_answer();
      }
    });
  });
  maybe_send_answer();
}

void WebrtcViewer::maybe_send_answer() {
  std::string sdp;
  {
    std::lock_guard lk(mu_);
    if (answer_sent_ || !gathering_done_ || pending_answer_sdp_.empty()) return;
    answer_sent_ = true;
    sdp = add_candidates_to_sdp(pending_answer_sdp_, local_candidates_);
  }
  lg()->debug("viewer {}: answer sent", opts_.id);
  if (cb_.on_local_description) cb_.on_local_description(std::move(sdp));
}

void WebrtcViewer::on_ice_candidate_cb(unsigned mline, const char* cand) {
  if (!cand || !*cand) return;
  std::string c = cand;
  if (c.rfind("a=", 0) == 0) c = c.substr(2);
  std::lock_guard lk(mu_);
  const bool first = local_candidates_.empty();
  for (auto& variant : announce_candidates(c, cfg_.announced_ips)) {
    local_candidates_.emplace_back(mline, variant);
    if (opts_.remote_offer.empty() && offer_sent_ && cb_.on_ice_candidate) cb_.on_ice_candidate(mline, variant);
  }
  if (first && !opts_.remote_offer.empty() && cfg_.ice_servers.empty()) {
    stream_->loop().post_delayed(kHostCandidatesGraceMs, [w = weak_from_this()] {
      auto s = w.lock();
      if (!s) return;
      {
        std::lock_guard lk2(s->mu_);
        s->gathering_done_ = true;
      }
      s->maybe_send_answer();
    });
  }
}

void WebrtcViewer::set_remote_answer(std::string sdp) {
  stream_->loop().post([self = shared_from_this(), sdp = std::move(sdp)] {
    if (self->stopped_ || !self->webrtc_) return;
    DescriptionPtr desc =
        sdp.rfind("v=0", 0) == 0 ? parse_description(GST_WEBRTC_SDP_TYPE_ANSWER, sdp) : DescriptionPtr();
    if (!desc) return self->fail("the answer is not a valid SDP");
    gst::PromisePtr p = gst::promise(Weak(self), [](Weak& w, GstPromise* p) {
      if (auto s = w.lock()) {
        if (auto err = promise_error(p); !err.empty()) s->fail("set-remote-description: " + err);
      }
    });
    g_signal_emit_by_name(self->webrtc_, "set-remote-description", desc.get(), p.get());
  });
}

void WebrtcViewer::add_ice_candidate(unsigned mline, std::string cand, std::string mid) {
  stream_->loop().post([self = shared_from_this(), mline, cand = std::move(cand), mid = std::move(mid)] {
    if (self->stopped_ || !self->webrtc_) return;
    // WHEP: candidates belong to the transport of their m-line (by mid), which with BUNDLE
    // is the bundle's first m-line whatever m-section the fragment put them in.
    const unsigned m = self->offer_.media.empty() ? mline : transport_mline(self->offer_, mid, mline);
    std::string c = cand;
    if (c.rfind("a=", 0) == 0) c = c.substr(2);
    // An empty candidate tells webrtcbin that the browser has no more (end-of-candidates).
    g_signal_emit_by_name(self->webrtc_, "add-ice-candidate", m, c.empty() ? nullptr : c.c_str());
  });
}

}  // namespace camrelay::media
