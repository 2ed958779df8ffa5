#pragma once
#include "camrelay/gst/layer.hpp"  // below the service only
// Output branches hung off a running stream's tee. GLib thread only.
// A branch is a GstBin with a "sink" ghost pad; it starts with a leaky queue so that a
// slow branch drops buffers instead of stalling the tee (and every other output).
#include <gst/gst.h>

#include <atomic>
#include <cstdint>
#include <functional>

#include "camrelay/gst/callback.hpp"
#include "camrelay/gst/main_loop.hpp"
#include "camrelay/gst/ptr.hpp"

namespace camrelay::media {

// Adds `bin` to `pipeline`, links a new tee request pad to the bin's "sink" pad and
// syncs the bin's state with the pipeline. Returns the tee pad, or an empty one if
// linking failed (the bin is then set to NULL and removed again).
gst::RequestPad attach_branch(GstElement* pipeline, GstElement* tee, GstElement* bin);

// Links a new request pad of `tee` to the ghost pad `pad_name` of `bin`, which is already
// in the pipeline and running (a second input of a branch, e.g. a viewer's audio).
// Returns the tee pad, or an empty one (nothing is left requested).
gst::RequestPad link_tee_to(GstElement* tee, GstElement* bin, const char* pad_name);

// Unlinks one tee pad at an idle moment and releases it on the GLib thread (the branch
// stays); `done` runs on the GLib thread afterwards.
void unlink_tee_pad(gst::MainLoop& loop, gst::RequestPad tee_pad, std::function<void()> done);

// Unlinks the branch at an idle moment of the tee pad (never mid-buffer), then on the
// GLib thread sets the bin to NULL, removes it and releases the tee pad. `done` runs on
// the GLib thread at the end.
void detach_branch(gst::MainLoop& loop, GstElement* pipeline, gst::RequestPad tee_pad, GstElement* bin,
                   std::function<void()> done);

// Makes a queue that drops the oldest buffers when full (leaky=downstream) and counts
// drops into `drop_counter` while that lives (gst::weak_member of the owner; may be
// empty). Empty if GStreamer has no "queue" element.
gst::ElementPtr make_leaky_queue(const char* name, guint max_buffers,
                                 gst::Weak<std::atomic<std::uint64_t>> drop_counter = {});

}  // namespace camrelay::media
