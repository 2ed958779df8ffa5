#pragma once
#include "camrelay/gst/layer.hpp"  // below the service only
// RAII for GObject-derived objects (elements, pads, buses, ...) and GstMiniObjects
// (caps, buffers, messages, promises, samples). Deleters only drop references; state
// changes are explicit steps on the GLib thread, never in a deleter.
#include <gst/gst.h>

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

// A g_signal connection that disconnects in its destructor (if the object still lives).
class SignalConnection {
 public:
  SignalConnection() = default;
  SignalConnection(gpointer instance, gulong id) : obj_(G_OBJECT(instance)), id_(id) {
    g_object_weak_ref(obj_, &SignalConnection::on_finalized, this);
  }
  ~SignalConnection() { disconnect(); }
  SignalConnection(const SignalConnection&) = delete;
  SignalConnection& operator=(const SignalConnection&) = delete;
  SignalConnection(SignalConnection&& o) noexcept { *this = std::move(o); }
  SignalConnection& operator=(SignalConnection&& o) noexcept {
    if (this != &o) {
      disconnect();
      if (o.obj_) {
        g_object_weak_unref(o.obj_, &SignalConnection::on_finalized, &o);
        obj_ = std::exchange(o.obj_, nullptr);
        id_ = std::exchange(o.id_, 0);
        g_object_weak_ref(obj_, &SignalConnection::on_finalized, this);
      }
    }
    return *this;
  }
  void disconnect() {
    if (obj_) {
      g_object_weak_unref(obj_, &SignalConnection::on_finalized, this);
      if (id_ && g_signal_handler_is_connected(obj_, id_)) g_signal_handler_disconnect(obj_, id_);
      obj_ = nullptr;
      id_ = 0;
    }
  }

 private:
  static void on_finalized(gpointer self, GObject*) {
    auto* s = static_cast<SignalConnection*>(self);
    s->obj_ = nullptr;
    s->id_ = 0;
  }
  GObject* obj_ = nullptr;
  gulong id_ = 0;
};

// Makes an element or throws camrelay::Error(internal, "GStreamer element 'x' is missing
// (install gstreamer1.0-plugins-...)").
ElementPtr make_element(const char* factory, const char* name = nullptr);

// Sets the "caps" property of `element` (a capsfilter, udpsrc, ...) from a caps string.
// Throws camrelay::Error(internal) for an unparsable string.
void set_caps(GstElement* element, const std::string& caps);

}  // namespace camrelay::gst
