// Per-viewer statistics: webrtcbin get-stats (RTCP receiver reports) every second, TWCC
// figures from the rtpbin session, and a loss-based available-bandwidth estimate.
#include <gst/webrtc/webrtc.h>

#include <algorithm>

#include "camrelay/media/webrtc_viewer.hpp"
#include "camrelay/util/ids.hpp"
#include "camrelay/util/log.hpp"
#include "rtp_sender.hpp"
#include "webrtc_internal.hpp"

namespace camrelay::media {
using namespace webrtc_detail;
namespace {

double num(const GstStructure* s, const char* field, double def = -1) {
  const GValue* v = gst_structure_get_value(s, field);
  if (!v) return def;
  GValue d = G_VALUE_INIT;
  g_value_init(&d, G_TYPE_DOUBLE);
  double out = def;
  if (g_value_transform(v, &d)) out = g_value_get_double(&d);
  g_value_unset(&d);
  return out;
}
}  // namespace

void WebrtcViewer::poll_stats() {
  if (stopped_ || !webrtc_) return;
  find_rtp_session();
  gst::PromisePtr p = gst::promise(Weak(weak_from_this()), [](Weak& w, GstPromise* p) {
    auto s = w.lock();
    if (s && gst_promise_wait(p) == GST_PROMISE_RESULT_REPLIED) {
      if (const GstStructure* r = gst_promise_get_reply(p)) s->on_stats(r);
    }
  });
  g_signal_emit_by_name(webrtc_, "get-stats", nullptr, p.get());
  // The video sent beside webrtcbin reports itself (RTCP SR, once a second).
  if (auto snd = sender()) snd->send_sender_report();

  if (twcc_session_) {
    GstStructure* raw = nullptr;
    g_object_get(twcc_session_.get(), "twcc-stats", &raw, nullptr);
    if (gst::StructurePtr twcc{raw}) {
      double recv = num(twcc.get(), "bitrate-recv");
      double loss = num(twcc.get(), "packet-loss-pct");
      std::lock_guard lk(mu_);
      if (recv > 0) stats_.twcc_recv_kbps = recv / 1000.0;
      if (loss >= 0) stats_.twcc_loss_pct = loss;
    }
  }
  auto w = weak_from_this();
  stats_timer_ = stream_->loop().post_delayed(1000, [w] {
    if (auto s = w.lock()) {
      s->stats_timer_ = 0;
      s->poll_stats();
    }
  });
}

void WebrtcViewer::on_stats(const GstStructure* r) {
  struct Acc {
    double bytes = -1, packets = -1, lost = -1, fraction = -1, rtt = -1, jitter = -1;
  } acc;
  gst_structure_foreach(
      r,
      [](GQuark, const GValue* v, gpointer ud) -> gboolean {
        if (!GST_VALUE_HOLDS_STRUCTURE(v)) return TRUE;
        const GstStructure* s = gst_value_get_structure(v);
        GstWebRTCStatsType type;
        if (!gst_structure_get(s, "type", GST_TYPE_WEBRTC_STATS_TYPE, &type, nullptr)) return TRUE;
        auto* a = static_cast<Acc*>(ud);
        if (type == GST_WEBRTC_STATS_OUTBOUND_RTP) {
          // Video and audio together.
          a->bytes = std::max(0.0, a->bytes) + std::max(0.0, num(s, "bytes-sent"));
          a->packets = std::max(0.0, a->packets) + std::max(0.0, num(s, "packets-sent"));
        } else if (type == GST_WEBRTC_STATS_REMOTE_INBOUND_RTP) {
          a->lost = std::max(a->lost, num(s, "packets-lost"));
          a->fraction = std::max(a->fraction, num(s, "fraction-lost"));
          a->rtt = std::max(a->rtt, num(s, "round-trip-time"));
          a->jitter = std::max(a->jitter, num(s, "jitter"));
        }
        return TRUE;
      },
      &acc);
  // send_path direct: webrtcbin's figures cover the audio only; the video's are the sender's.
  const auto snd = sender();
  const RtpSenderFigures sent = snd ? snd->figures() : RtpSenderFigures{};
  if (snd) {
    acc.bytes = std::max(0.0, acc.bytes) + double(sent.bytes);
    acc.packets = std::max(0.0, acc.packets) + double(sent.packets);
    if (sent.have_report) {
      acc.lost = std::max(acc.lost, double(sent.packets_lost));
      acc.fraction = std::max(acc.fraction, sent.fraction_lost);
      acc.jitter = std::max(acc.jitter, sent.jitter_ms / 1000.0);
    }
    if (sent.rtt_ms >= 0) acc.rtt = std::max(acc.rtt, sent.rtt_ms / 1000.0);
  }
  const std::int64_t now = mono_now_ms();
  std::lock_guard lk(mu_);
  if (acc.bytes >= 0) {
    auto bytes = static_cast<std::uint64_t>(acc.bytes);
    if (last_stats_ms_ && now > last_stats_ms_ && bytes >= last_bytes_) {
      stats_.send_kbps = double(bytes - last_bytes_) * 8.0 / double(now - last_stats_ms_);
    }
    last_bytes_ = bytes;
    last_stats_ms_ = now;
    stats_.bytes_sent = bytes;
  }
  if (acc.packets >= 0) stats_.packets_sent = static_cast<std::uint64_t>(acc.packets);
  if (acc.lost >= 0) stats_.packets_lost = static_cast<std::int64_t>(acc.lost);
  if (acc.fraction >= 0) stats_.fraction_lost = acc.fraction;
  if (acc.rtt >= 0) stats_.rtt_ms = acc.rtt * 1000.0;
  if (acc.jitter >= 0) stats_.jitter_ms = acc.jitter * 1000.0;
  stats_.nacks_received = sent.nacked;
  stats_.retransmitted = sent.retransmitted;
  stats_.send_errors = sent.send_errors;
  update_estimate();
}

// Loss-based controller in the spirit of GCC (draft-ietf-rmcat-gcc §6): grow 8 % per
// second while loss stays under 2 %, hold between 2 and 10 %, cut by half the loss rate
// above 10 %. When TWCC says what the browser actually receives, the estimate never runs
// more than 50 % above it. Clamped to the stream's [min, max] kbps. Caller holds mu_.
void WebrtcViewer::update_estimate() {
  double loss = stats_.twcc_loss_pct >= 0 ? stats_.twcc_loss_pct / 100.0 : stats_.fraction_lost;
  double est = stats_.estimated_kbps;
  if (loss < 0.02) {
    est *= 1.08;
  } else if (loss > 0.10) {
    est *= (1.0 - 0.5 * loss);
  }
  if (stats_.twcc_recv_kbps > 0) est = std::min(est, std::max(stats_.twcc_recv_kbps * 1.5, double(opts_.bandwidth_min_kbps)));
  stats_.estimated_kbps = std::clamp(est, double(opts_.bandwidth_min_kbps), double(opts_.bandwidth_max_kbps));
}

ViewerStats WebrtcViewer::stats() const {
  std::lock_guard lk(mu_);
  ViewerStats s = stats_;
  s.dropped_buffers = dropped_.load(std::memory_order_relaxed);
  s.keyframe_requests = key_requests_.load(std::memory_order_relaxed);
  s.replayed_frames = replayed_.load(std::memory_order_relaxed);
  s.last_rtcp_mono_ms = last_rtcp_ms_.load(std::memory_order_relaxed);
  return s;
}

std::shared_future<void> warm_up_webrtc(gst::MainLoop& loop) {
  auto done = std::make_shared<std::promise<void>>();
  std::shared_future<void> fut = done->get_future().share();
  loop.post([&loop, done] {
    const std::int64_t t0 = mono_now_ms();
    warm_up_srtp();  // the direct send path's SRTP
    auto pipe = gst::ElementPtr::ref_sink(gst_pipeline_new("dtls-warmup"));
    gst::ElementPtr wb = gst::try_make_element("webrtcbin");
    if (!wb) {
      done->set_value();
      return;
    }
    gst_bin_add(GST_BIN(pipe.get()), wb.get());
    gst_element_set_state(pipe.get(), GST_STATE_READY);
    gst::CapsPtr caps = gst::caps_from_string("application/x-rtp,media=video,encoding-name=H264,clock-rate=90000,payload=96");
    GstWebRTCRTPTransceiver* t = nullptr;
    g_signal_emit_by_name(wb.get(), "add-transceiver", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY, caps.get(), &t);
    gst::Ptr<GstWebRTCRTPTransceiver>::adopt(t);  // not needed: dropped at once
    struct Warmup {
      gst::MainLoop* loop;
      gst::ElementPtr pipe;
      std::int64_t t0;
      std::shared_ptr<std::promise<void>> done;
    };
    gst::PromisePtr p = gst::promise(Warmup{&loop, std::move(pipe), t0, done}, [](Warmup& w, GstPromise* p) {
      if (!w.pipe) return;  // replied already
      if (gst_promise_wait(p) == GST_PROMISE_RESULT_REPLIED) reply_description(p, "offer");  // freed at once
      // The pipeline leaves the promise's data here: its last reference must go on the GLib
      // thread, never on webrtcbin's own (which disposing the pipeline would join).
      w.loop->post([pipe = std::move(w.pipe), t0 = w.t0, done = w.done] {
        gst_element_set_state(pipe.get(), GST_STATE_NULL);
        log::get("webrtc")->info("DTLS certificate ready ({} ms)", mono_now_ms() - t0);
        done->set_value();
      });
    });
    g_signal_emit_by_name(wb.get(), "create-offer", nullptr, p.get());
  });
  return fut;
}

}  // namespace camrelay::media
