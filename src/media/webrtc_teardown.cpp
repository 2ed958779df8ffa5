#include "webrtc_teardown.hpp"

#include <gst/webrtc/webrtc.h>

#include <algorithm>

#include "camrelay/gst/ptr.hpp"

namespace camrelay::media {

namespace {

// Direct children of the webrtcbin whose type is GStreamer's private TransportReceiveBin.
std::vector<gst::ElementPtr> receive_bins(GstElement* webrtcbin) {
  std::vector<gst::ElementPtr> out;
  gst::for_each_child(GST_BIN(webrtcbin), [&out](GstElement* e) {
    if (g_str_equal(G_OBJECT_TYPE_NAME(e), "TransportReceiveBin") &&
        std::find_if(out.begin(), out.end(), [e](const auto& b) { return b.get() == e; }) == out.end()) {
      out.push_back(gst::ElementPtr::ref(e));
    }
    return false;
  });
  return out;
}

void add_ice_of(GObject* sender_or_receiver, std::vector<gst::Ptr<GObject>>& out) {
  if (!sender_or_receiver) return;
  GstWebRTCDTLSTransport* dtls_raw = nullptr;
  g_object_get(sender_or_receiver, "transport", &dtls_raw, nullptr);
  auto dtls = gst::Ptr<GstWebRTCDTLSTransport>::adopt(dtls_raw);
  if (!dtls) return;
  GObject* ice_raw = nullptr;
  g_object_get(dtls.get(), "transport", &ice_raw, nullptr);
  auto ice = gst::Ptr<GObject>::adopt(ice_raw);
  if (ice && std::find_if(out.begin(), out.end(), [&](const auto& i) { return i.get() == ice.get(); }) == out.end()) {
    out.push_back(std::move(ice));
  }
}

}  // namespace

std::vector<gst::Ptr<GObject>> webrtc_ice_transports(GstElement* webrtcbin) {
  std::vector<gst::Ptr<GObject>> out;
  GArray* raw = nullptr;
  g_signal_emit_by_name(webrtcbin, "get-transceivers", &raw);
  const gst::ArrayPtr transceivers(raw);
  for (guint i = 0; transceivers && i < transceivers->len; ++i) {
    auto* t = g_array_index(transceivers.get(), GstWebRTCRTPTransceiver*, i);
    GObject* sender = nullptr;
    GObject* receiver = nullptr;
    g_object_get(t, "sender", &sender, "receiver", &receiver, nullptr);
    auto s = gst::Ptr<GObject>::adopt(sender);
    auto r = gst::Ptr<GObject>::adopt(receiver);
    add_ice_of(r.get(), out);
    add_ice_of(s.get(), out);
  }
  return out;
}

unsigned quiesce_webrtc_transports(GstElement* webrtcbin) {
  if (!webrtcbin) return 0;
  unsigned n = 0;
  const std::vector<gst::ElementPtr> bins = receive_bins(webrtcbin);
  for (const auto& ice : webrtc_ice_transports(webrtcbin)) {
    for (const auto& b : bins) {
      n += g_signal_handlers_disconnect_matched(ice.get(), G_SIGNAL_MATCH_DATA, 0, 0, nullptr, nullptr, b.get());
    }
  }
  return n;
}

}  // namespace camrelay::media
