#include "webrtc_teardown.hpp"

#include <gst/webrtc/webrtc.h>

#include <algorithm>

namespace camrelay::media {

namespace {

// Direct children of the webrtcbin whose type is GStreamer's private TransportReceiveBin.
std::vector<GstElement*> receive_bins(GstElement* webrtcbin) {
  std::vector<GstElement*> out;
  GstIterator* it = gst_bin_iterate_elements(GST_BIN(webrtcbin));
  GValue item = G_VALUE_INIT;
  for (bool done = false; !done;) {
    switch (gst_iterator_next(it, &item)) {
      case GST_ITERATOR_OK: {
        auto* e = GST_ELEMENT(g_value_get_object(&item));
        if (g_str_equal(G_OBJECT_TYPE_NAME(e), "TransportReceiveBin")) out.push_back(GST_ELEMENT(gst_object_ref(e)));
        g_value_reset(&item);
        break;
      }
      case GST_ITERATOR_RESYNC:
        for (GstElement* e : out) gst_object_unref(e);
        out.clear();
        gst_iterator_resync(it);
        break;
      default:
        done = true;
        break;
    }
  }
  g_value_unset(&item);
  gst_iterator_free(it);
  return out;
}

void add_ice_of(GObject* sender_or_receiver, std::vector<GObject*>& out) {
  if (!sender_or_receiver) return;
  GstWebRTCDTLSTransport* dtls = nullptr;
  g_object_get(sender_or_receiver, "transport", &dtls, nullptr);
  if (!dtls) return;
  GObject* ice = nullptr;
  g_object_get(dtls, "transport", &ice, nullptr);
  gst_object_unref(dtls);
  if (!ice) return;
  if (std::find(out.begin(), out.end(), ice) != out.end()) {
    g_object_unref(ice);
  } else {
    out.push_back(ice);
  }
}

}  // namespace

std::vector<GObject*> webrtc_ice_transports(GstElement* webrtcbin) {
  std::vector<GObject*> out;
  GArray* transceivers = nullptr;
  g_signal_emit_by_name(webrtcbin, "get-transceivers", &transceivers);
  if (!transceivers) return out;
  for (guint i = 0; i < transceivers->len; ++i) {
    auto* t = g_array_index(transceivers, GstWebRTCRTPTransceiver*, i);
    GObject* sender = nullptr;
    GObject* receiver = nullptr;
    g_object_get(t, "sender", &sender, "receiver", &receiver, nullptr);
    add_ice_of(receiver, out);
    add_ice_of(sender, out);
    if (sender) g_object_unref(sender);
    if (receiver) g_object_unref(receiver);
  }
  g_array_unref(transceivers);
  return out;
}

unsigned quiesce_webrtc_transports(GstElement* webrtcbin) {
  if (!webrtcbin) return 0;
  unsigned n = 0;
  std::vector<GstElement*> bins = receive_bins(webrtcbin);
  std::vector<GObject*> ices = webrtc_ice_transports(webrtcbin);
  for (GObject* ice : ices) {
    for (GstElement* b : bins) {
      n += g_signal_handlers_disconnect_matched(ice, G_SIGNAL_MATCH_DATA, 0, 0, nullptr, nullptr, b);
    }
    g_object_unref(ice);
  }
  for (GstElement* b : bins) gst_object_unref(b);
  return n;
}

}  // namespace camrelay::media
