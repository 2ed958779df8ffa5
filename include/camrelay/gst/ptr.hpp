#pragma once
#include "camrelay/gst/layer.hpp"  // below the service only
// RAII for everything the media layer gets from GLib/GStreamer: GObject-derived objects
// (elements, pads, buses, clocks, transceivers ...), GstMiniObjects (caps, buffers, events,
// messages, promises, samples), strings, GErrors and structures, and requested pads.
// The rule: every reference we own sits in one of these from the line that obtained it, so
// every early return and exception drops it. Deleters only drop references;
// state changes are explicit steps on the GLib thread, never in a deleter (the one graph
// change a holder makes is RequestPad releasing its pad, documented there).
// Callbacks and their user data: camrelay/gst/callback.hpp.
#include <gst/gst.h>

#include <memory>
#include <string>
#include <utility>

namespace camrelay::gst {

template <class T>
class Ptr {
 public:
  Ptr() = default;
  // Takes ownership of a full reference (transfer full, non-floating).
  static Ptr adopt(T* p) { return Ptr(p); }
  // Takes ownership of a possibly floating reference (e.g. gst_element_factory_make).
  static Ptr ref_sink(T* p) {
    if (p) g_object_ref_sink(G_OBJECT(p));
    return Ptr(p);
  }
  // Adds a reference to a borrowed pointer.
  static Ptr ref(T* p) {
    if (p) g_object_ref(G_OBJECT(p));
    return Ptr(p);
  }
  ~Ptr() { reset(); }
  Ptr(const Ptr& o) : p_(o.p_) {
    if (p_) g_object_ref(G_OBJECT(p_));
  }
  Ptr(Ptr&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  Ptr& operator=(Ptr o) noexcept {
    std::swap(p_, o.p_);
    return *this;
  }
  void reset() {
    if (p_) g_object_unref(G_OBJECT(std::exchange(p_, nullptr)));
  }
  T* get() const { return p_; }
  T* release() { return std::exchange(p_, nullptr); }
  explicit operator bool() const { return p_ != nullptr; }

 private:
  explicit Ptr(T* p) : p_(p) {}
  T* p_ = nullptr;
};

template <class T>
class MiniPtr {
 public:
  MiniPtr() = default;
  static MiniPtr adopt(T* p) { return MiniPtr(p); }
  static MiniPtr ref(T* p) {
    if (p) gst_mini_object_ref(GST_MINI_OBJECT_CAST(p));
    return MiniPtr(p);
  }
  ~MiniPtr() { reset(); }
  MiniPtr(const MiniPtr& o) : p_(o.p_) {
    if (p_) gst_mini_object_ref(GST_MINI_OBJECT_CAST(p_));
  }
  MiniPtr(MiniPtr&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  MiniPtr& operator=(MiniPtr o) noexcept {
    std::swap(p_, o.p_);
    return *this;
  }
  void reset() {
    if (p_) gst_mini_object_unref(GST_MINI_OBJECT_CAST(std::exchange(p_, nullptr)));
  }
  T* get() const { return p_; }
  T* release() { return std::exchange(p_, nullptr); }
  explicit operator bool() const { return p_ != nullptr; }

 private:
  explicit MiniPtr(T* p) : p_(p) {}
  T* p_ = nullptr;
};

using ElementPtr = Ptr<GstElement>;
using PadPtr = Ptr<GstPad>;
using BusPtr = Ptr<GstBus>;
using CapsPtr = MiniPtr<GstCaps>;
using MessagePtr = MiniPtr<GstMessage>;
using BufferPtr = MiniPtr<GstBuffer>;
using PromisePtr = MiniPtr<GstPromise>;
using SamplePtr = MiniPtr<GstSample>;

// Plain C resources with their own free functions.
struct GFree {
  void operator()(void* p) const { g_free(p); }
};
struct ErrorFree {
  void operator()(GError* e) const { g_error_free(e); }
};
struct StructureFree {
  void operator()(GstStructure* s) const { gst_structure_free(s); }
};
struct ArrayUnref {
  void operator()(GArray* a) const { g_array_unref(a); }
};
struct IteratorFree {
  void operator()(GstIterator* i) const { gst_iterator_free(i); }
};
using CharPtr = std::unique_ptr<gchar, GFree>;
using ErrorPtr = std::unique_ptr<GError, ErrorFree>;
using StructurePtr = std::unique_ptr<GstStructure, StructureFree>;
using ArrayPtr = std::unique_ptr<GArray, ArrayUnref>;

// Takes a transfer-full string (gst_caps_to_string, g_strdup_printf ...) into a
// std::string and frees it; nullptr gives "".
std::string take_string(gchar* s);

// An element's static pad (a new reference; empty if it has none).
PadPtr static_pad(GstElement* element, const char* name);
// A caps object from a string (empty if unparsable).
CapsPtr caps_from_string(const std::string& caps);

// The text of an ERROR or WARNING message (GError message and debug detail) and its code.
struct MessageText {
  std::string message;  // "unknown error" when the element gave none
  std::string debug;
  GQuark domain = 0;
  int code = 0;
};
MessageText parse_error(GstMessage* msg);
MessageText parse_warning(GstMessage* msg);

// Calls fn(GstElement*) for every direct child of `bin` until fn returns true. A concurrent
// change of the bin restarts the iteration, so fn may see an element again.
template <class Fn>
void for_each_child(GstBin* bin, Fn&& fn) {
  std::unique_ptr<GstIterator, IteratorFree> it(gst_bin_iterate_elements(bin));
  GValue item = G_VALUE_INIT;
  for (bool done = false; !done;) {
    switch (gst_iterator_next(it.get(), &item)) {
      case GST_ITERATOR_OK:
        done = fn(GST_ELEMENT(g_value_get_object(&item)));
        g_value_reset(&item);
        break;
      case GST_ITERATOR_RESYNC:
        gst_iterator_resync(it.get());
        break;
      default:
        done = true;
        break;
    }
  }
  g_value_unset(&item);
}

// A pad requested from an element (tee src_%u, webrtcbin sink_%u ...): owns the pad and
// the element and gives the pad back to its element (gst_element_release_request_pad) when
// released or destroyed. Owned on the GLib thread, like every graph change; an owner that
// hands the pad to an asynchronous teardown takes it out with take().
class RequestPad {
 public:
  RequestPad() = default;
  // Requests a pad from `element` (template name such as "src_%u"; `name` for a given
  // pad name; `caps` optional). Empty when the element refused.
  static RequestPad request(GstElement* element, const char* templ, const char* name = nullptr,
                            GstCaps* caps = nullptr);
  ~RequestPad() { release(); }
  RequestPad(RequestPad&& o) noexcept = default;
  RequestPad& operator=(RequestPad&& o) noexcept {
    if (this != &o) {
      release();
      element_ = std::move(o.element_);
      pad_ = std::move(o.pad_);
    }
    return *this;
  }
  RequestPad(const RequestPad&) = delete;
  RequestPad& operator=(const RequestPad&) = delete;
  void release() {
    if (pad_ && element_) gst_element_release_request_pad(element_.get(), pad_.get());
    pad_.reset();
    element_.reset();
  }
  // Drops the references without giving the pad back: for a pad whose element is being
  // torn down elsewhere (its bin stopping off the GLib thread), which frees it with itself.
  void forget() {
    pad_.reset();
    element_.reset();
  }
  GstPad* get() const { return pad_.get(); }
  GstElement* element() const { return element_.get(); }
  explicit operator bool() const { return static_cast<bool>(pad_); }

 private:
  ElementPtr element_;
  PadPtr pad_;
};

// Makes an element or throws camrelay::Error(internal, "GStreamer element 'x' is missing
// (install gstreamer1.0-plugins-...)").
ElementPtr make_element(const char* factory, const char* name = nullptr);
// Makes an element; empty if GStreamer has no such factory (the caller reports it).
ElementPtr try_make_element(const char* factory, const char* name = nullptr);

// Adds a ghost pad `name` targeting `target` to `bin`. Returns it (borrowed: the bin owns
// it), or nullptr with nothing left behind.
GstPad* add_ghost_pad(GstElement* bin, const char* name, GstPad* target);

// Sets the "caps" property of `element` (a capsfilter, udpsrc, ...) from a caps string.
// Throws camrelay::Error(internal) for an unparsable string.
void set_caps(GstElement* element, const std::string& caps);

}  // namespace camrelay::gst
