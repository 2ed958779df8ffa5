#pragma once
// Small helpers shared by the on-demand outputs (HLS, MJPEG). GLib thread.
#include <gst/gst.h>

namespace camrelay::media {

// Adds a probe on a branch's first sink pad that drops delta frames until the first
// keyframe (a decoder or muxer joining mid-GOP gets a clean start) and, if
// `drop_key_requests`, swallows upstream force-key-unit events from the branch.
void add_keyframe_gate(GstPad* pad, bool drop_key_requests);

}  // namespace camrelay::media
