#pragma once
// Taking a webrtcbin down without leaving its ICE/DTLS receive path behind.
//
// GStreamer 1.22's webrtcbin gives every transport a TransportReceiveBin that listens to its
// ICE transport's `notify::state` and, on every change, (re)installs a blocking probe that
// holds a reference to the receive bin itself. It never disconnects that handler, and it
// only frees the probe in READY→NULL. An ICE state change that arrives after the bin went to
// NULL (libnice's checks run on their own thread: "failed" after ~7 s of unanswered checks,
// or a late "disconnected") installs a new probe, and the receive bin, its nicesrc (with the
// agent's sockets), queue, capsfilter and DTLS/SRTP decoders are never freed — the soak saw
// 2 of 536 viewers leave exactly that set behind.
#include <gst/gst.h>

#include <vector>

#include "camrelay/gst/ptr.hpp"

namespace camrelay::media {

// Disconnects every TransportReceiveBin of `webrtcbin` from its ICE transports' signals.
// Call on a webrtcbin that is about to be set to NULL and released; after it, ICE state
// changes no longer reach the receive bins. Returns how many handlers were disconnected.
unsigned quiesce_webrtc_transports(GstElement* webrtcbin);

// The ICE transports (GstWebRTCICETransport) of webrtcbin's transceivers, each referenced
// once.
std::vector<gst::Ptr<GObject>> webrtc_ice_transports(GstElement* webrtcbin);

}  // namespace camrelay::media
