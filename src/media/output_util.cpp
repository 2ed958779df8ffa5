#include "output_util.hpp"

#include <atomic>

#include "camrelay/gst/callback.hpp"

namespace camrelay::media {

namespace {
// The gate's own state, held by value in the probe's data (freed with the probe).
struct Gate {
  std::atomic<bool> seen_key{false};
  Gate() = default;
  Gate(Gate&& o) noexcept : seen_key(o.seen_key.load()) {}  // moved into the probe before it runs
};
}  // namespace

void add_keyframe_gate(GstPad* pad, bool drop_key_requests) {
  GstPadProbeType types = GST_PAD_PROBE_TYPE_BUFFER;
  if (drop_key_requests) {
    types = GstPadProbeType(types | GST_PAD_PROBE_TYPE_EVENT_UPSTREAM | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM);
  }
  gst::add_probe(pad, types, Gate{}, [](Gate& g, GstPad*, GstPadProbeInfo* info) -> GstPadProbeReturn {
    if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
      if (g.seen_key.load(std::memory_order_relaxed)) return GST_PAD_PROBE_OK;
      if (GST_BUFFER_FLAG_IS_SET(GST_PAD_PROBE_INFO_BUFFER(info), GST_BUFFER_FLAG_DELTA_UNIT)) {
        return GST_PAD_PROBE_DROP;
      }
      g.seen_key.store(true);
      return GST_PAD_PROBE_OK;
    }
    GstEvent* ev = GST_PAD_PROBE_INFO_EVENT(info);
    const GstStructure* s = gst_event_get_structure(ev);
    // Upstream: a branch's own keyframe requests. Downstream: h264parse's answers to
    // other branches' requests, which make splitmuxsink/mpegtsmux cut or stall.
    if ((GST_EVENT_TYPE(ev) == GST_EVENT_CUSTOM_UPSTREAM || GST_EVENT_TYPE(ev) == GST_EVENT_CUSTOM_DOWNSTREAM) &&
        s && gst_structure_has_name(s, "GstForceKeyUnit")) {
      return GST_PAD_PROBE_DROP;
    }
    return GST_PAD_PROBE_OK;
  });
}

std::shared_ptr<Holds> Holds::create(gst::MainLoop& loop, unsigned linger_ms) {
  return std::shared_ptr<Holds>(new Holds(loop, linger_ms));
}

std::shared_ptr<void> Holds::hold() {
  ++users_;
  if (timer_) {
    loop_.cancel(timer_);
    timer_ = 0;
  }
  std::weak_ptr<Holds> w = weak_from_this();
  return std::shared_ptr<void>(nullptr, [w](void*) {
    if (auto h = w.lock()) h->loop_.post([h] { h->release(); });
  });
}

void Holds::release() {
  if (--users_ > 0 || timer_ || cancelled_) return;
  std::weak_ptr<Holds> w = weak_from_this();
  timer_ = loop_.post_delayed(linger_ms_, [w] {
    auto h = w.lock();
    if (!h) return;
    h->timer_ = 0;
    if (h->users_ == 0 && !h->cancelled_ && h->idle_) h->idle_();
  });
}

void Holds::cancel() {
  cancelled_ = true;
  if (timer_) loop_.cancel(timer_);
  timer_ = 0;
}

}  // namespace camrelay::media
