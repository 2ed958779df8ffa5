#pragma once
#include "camrelay/gst/layer.hpp"  // below the service only
// Output branches hung off a running stream's tee. GLib thread only.
// A branch is a GstBin with a "sink" ghost pad; it starts with a leaky queue so that a
// slow branch drops buffers instead of stalling the tee (and every other output).
#include <gst/gst.h>

#include <functional>

#include "camrelay/gst/main_loop.hpp"

namespace camrelay::media {

// Adds `bin` to `pipeline`, links a new tee request pad to the bin's "sink" pad and
// syncs the bin's state with the pipeline. Returns the tee pad (caller owns the ref),
// or nullptr if linking failed (the bin is then removed again).
GstPad* attach_branch(GstElement* pipeline, GstElement* tee, GstElement* bin);

// Links a new request pad of `tee` to the ghost pad `pad_name` of `bin`, which is already
// in the pipeline and running (a second input of a branch, e.g. a viewer's audio).
// Returns the tee pad (caller owns the ref) or nullptr.
GstPad* link_tee_to(GstElement* tee, GstElement* bin, const char* pad_name);

// Unlinks one tee pad at an idle moment and releases it on the GLib thread (the branch
// stays); takes over `tee_pad`'s reference; `done` runs on the GLib thread afterwards.
void unlink_tee_pad(gst::MainLoop& loop, GstElement* tee, GstPad* tee_pad, std::function<void()> done);

// Unlinks the branch at an idle moment of the tee pad (never mid-buffer), then on the
// GLib thread sets the bin to NULL, removes it and releases the tee pad. Takes over
// `tee_pad`'s reference. `done` runs on the GLib thread at the end.
void detach_branch(gst::MainLoop& loop, GstElement* pipeline, GstElement* tee, GstPad* tee_pad,
                   GstElement* bin, std::function<void()> done);

// Makes a queue that drops the oldest buffers when full (leaky=downstream) and counts
// drops into *counter (an std::atomic<uint64_t>*, may be null).
GstElement* make_leaky_queue(const char* name, guint max_buffers, void* drop_counter);

}  // namespace camrelay::media
