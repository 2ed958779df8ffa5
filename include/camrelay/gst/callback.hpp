#pragma once
#include "camrelay/gst/layer.hpp"  // below the service only
// The one convention for everything GLib and GStreamer call back (pad probes, signal
// handlers, bus watches, promise replies):
//   * the callback is a captureless lambda; what it needs travels as its user data `data`,
//     a value moved onto the heap and owned by the registration, which frees it through
//     the destroy notify when the probe, handler, watch or promise goes away;
//   * `data` refers to an owner only weakly: a std::weak_ptr (gst::Weak<T>) that the
//     callback locks, doing nothing once the owner is gone. State that the callback alone
//     uses may be held by value or by shared_ptr (a gate's flag, a parser's state).
// Never a raw `this`: pads, elements and webrtcbin's threads can outlive any C++ object.
//
//   gst::add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, gst::Weak<Stream>(weak_from_this()),
//                  [](gst::Weak<Stream>& w, GstPad*, GstPadProbeInfo* info) {
//                    if (auto s = w.lock()) s->on_buffer(GST_PAD_PROBE_INFO_BUFFER(info));
//                    return GST_PAD_PROBE_OK;
//                  });
//   gst::connect<void(GstElement*, guint, gchar*)>(webrtc, "on-ice-candidate", weak,
//       [](gst::Weak<Viewer>& w, GstElement*, guint mline, gchar* cand) { ... });
#include <gst/gst.h>

#include <memory>
#include <type_traits>
#include <utility>

#include "camrelay/gst/ptr.hpp"

namespace camrelay::gst {

template <class T>
using Weak = std::weak_ptr<T>;

// A weak reference to a member of an object owned by a shared_ptr (aliasing): it locks
// while the owner lives, e.g. a drop counter: weak_member(shared_from_this(), &X::dropped_).
template <class T, class M>
Weak<M> weak_member(const std::shared_ptr<T>& owner, M T::*member) {
  return std::shared_ptr<M>(owner, &(owner.get()->*member));
}

namespace detail {
template <class D>
void free_data(gpointer p) {
  delete static_cast<D*>(p);
}
template <class D>
void free_closure_data(gpointer p, GClosure*) {
  delete static_cast<D*>(p);
}
template <class Fn>
constexpr void check_stateless() {
  static_assert(std::is_empty_v<Fn> && std::is_default_constructible_v<Fn>,
                "the callback must be a captureless lambda: what it needs goes in `data`");
}

template <class Sig>
struct Trampoline;
template <class R, class... A>
struct Trampoline<R(A...)> {
  template <class D, class Fn>
  static R call(A... a, gpointer ud) {
    return Fn{}(*static_cast<D*>(ud), a...);
  }
};
}  // namespace detail

// Adds a pad probe: fn(D& data, GstPad*, GstPadProbeInfo*) -> GstPadProbeReturn.
// Returns the probe id (for gst_pad_remove_probe).
template <class D, class Fn>
gulong add_probe(GstPad* pad, GstPadProbeType mask, D data, Fn) {
  detail::check_stateless<Fn>();
  return gst_pad_add_probe(
      pad, mask,
      [](GstPad* p, GstPadProbeInfo* i, gpointer ud) -> GstPadProbeReturn { return Fn{}(*static_cast<D*>(ud), p, i); },
      new D(std::move(data)), &detail::free_data<D>);
}

// Connects a signal handler. `Sig` is the handler's signature without the trailing user
// data, e.g. void(GstElement*, GstPad*) for "pad-added"; fn(D& data, <Sig's arguments>).
// Returns the handler id (for g_signal_handler_disconnect).
template <class Sig, class D, class Fn>
gulong connect(gpointer instance, const char* signal, D data, Fn) {
  detail::check_stateless<Fn>();
  return g_signal_connect_data(instance, signal, G_CALLBACK((&detail::Trampoline<Sig>::template call<D, Fn>)),
                               new D(std::move(data)), &detail::free_closure_data<D>, GConnectFlags(0));
}

// A promise whose reply calls fn(D& data, GstPromise*) on the thread that replies.
template <class D, class Fn>
PromisePtr promise(D data, Fn) {
  detail::check_stateless<Fn>();
  return PromisePtr::adopt(gst_promise_new_with_change_func(
      [](GstPromise* p, gpointer ud) { Fn{}(*static_cast<D*>(ud), p); }, new D(std::move(data)),
      &detail::free_data<D>));
}

// A bus watch on a GLib context: fn(D& data, GstBus*, GstMessage*) for every message;
// removed when the holder goes (g_source_destroy is thread-safe).
class BusWatch {
 public:
  BusWatch() = default;
  template <class D, class Fn>
  static BusWatch attach(GstBus* bus, GMainContext* context, D data, Fn) {
    detail::check_stateless<Fn>();
    BusWatch w;
    w.source_ = gst_bus_create_watch(bus);
    g_source_set_callback(w.source_,
                          reinterpret_cast<GSourceFunc>(reinterpret_cast<void (*)()>(
                              +[](GstBus* b, GstMessage* m, gpointer ud) -> gboolean {
                                Fn{}(*static_cast<D*>(ud), b, m);
                                return G_SOURCE_CONTINUE;
                              })),
                          new D(std::move(data)), &detail::free_data<D>);
    g_source_attach(w.source_, context);
    return w;
  }
  ~BusWatch() { reset(); }
  BusWatch(BusWatch&& o) noexcept : source_(std::exchange(o.source_, nullptr)) {}
  BusWatch& operator=(BusWatch&& o) noexcept {
    if (this != &o) {
      reset();
      source_ = std::exchange(o.source_, nullptr);
    }
    return *this;
  }
  void reset() {
    if (source_) {
      g_source_destroy(source_);
      g_source_unref(std::exchange(source_, nullptr));
    }
  }
  explicit operator bool() const { return source_ != nullptr; }

 private:
  GSource* source_ = nullptr;
};

// Removes `child` from the running `bin` and sets it to NULL on a GStreamer worker thread
// (a source may take a while to stop: a device, a TEARDOWN to a dead camera). GLib thread.
void remove_and_stop_async(GstBin* bin, ElementPtr child);

}  // namespace camrelay::gst
