#include "camrelay/media/branch.hpp"

#include <fmt/format.h>

#include "camrelay/util/log.hpp"

namespace camrelay::media {

namespace {
// Between a tee and a branch. A branch that answers a buffer with a flow error (caps it
// cannot take, a failed sink) must not hand that error to the tee: the tee would pass it
// upstream and the camera's source would stop, for every other branch too. So the tee pad's
// probe hands each buffer to the branch itself and always tells the tee "OK". After an
// error the branch gets nothing more, and its bin posts an error on the bus, which the
// stream routes to the branch's owner (a viewer ends, an output stops, the stream goes on).
// FLUSHING (a branch being taken down) is no error but is not passed up either.
struct Firewall {
  gst::PadPtr peer;  // the branch's sink pad (a ghost pad of its bin)
  std::atomic<bool> cut{false};
};

void add_firewall(GstPad* tee_pad, GstPad* peer) {
  auto f = std::make_shared<Firewall>();
  f->peer = gst::PadPtr::ref(peer);
  gst::add_probe(
      tee_pad, GstPadProbeType(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST), std::move(f),
      [](std::shared_ptr<Firewall>& f, GstPad* pad, GstPadProbeInfo* info) -> GstPadProbeReturn {
        // Unlinked (being detached) or cut off: the buffer is dropped, the tee sees OK.
        if (f->cut.load(std::memory_order_relaxed) || !gst_pad_is_linked(pad)) return GST_PAD_PROBE_DROP;
        const GstFlowReturn r = (info->type & GST_PAD_PROBE_TYPE_BUFFER)
                                    ? gst_pad_chain(f->peer.get(), GST_PAD_PROBE_INFO_BUFFER(info))
                                    : gst_pad_chain_list(f->peer.get(), GST_PAD_PROBE_INFO_BUFFER_LIST(info));
        info->data = nullptr;  // the branch took it
        GST_PAD_PROBE_INFO_FLOW_RETURN(info) = GST_FLOW_OK;
        if (r < GST_FLOW_EOS && !f->cut.exchange(true)) {
          auto bin = gst::ElementPtr::adopt(gst_pad_get_parent_element(f->peer.get()));
          const std::string why = fmt::format("the branch refused data: {}", gst_flow_get_name(r));
          if (bin) {
            const gst::ErrorPtr e(g_error_new_literal(GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED, why.c_str()));
            // The message copies the error.
            gst_element_post_message(bin.get(), gst_message_new_error(GST_OBJECT(bin.get()), e.get(), why.c_str()));
          }
        }
        return GST_PAD_PROBE_HANDLED;
      });
}
}  // namespace

gst::RequestPad attach_branch(GstElement* pipeline, GstElement* tee, GstElement* bin) {
  gst_bin_add(GST_BIN(pipeline), bin);
  // Bring the branch up BEFORE linking it: a buffer the tee pushes into a still-flushing
  // pad returns FLUSHING, which the tee passes upstream and the source's task then pauses
  // for good — the whole stream would freeze.
  gst_element_sync_state_with_parent(bin);
  gst::RequestPad teepad = link_tee_to(tee, bin, "sink");
  if (!teepad) {
    gst_element_set_state(bin, GST_STATE_NULL);
    gst_bin_remove(GST_BIN(pipeline), bin);
  }
  return teepad;
}

gst::RequestPad link_tee_to(GstElement* tee, GstElement* bin, const char* pad_name) {
  gst::RequestPad teepad = gst::RequestPad::request(tee, "src_%u");
  gst::PadPtr sinkpad = gst::static_pad(bin, pad_name);
  const GstPadLinkReturn r =
      teepad && sinkpad ? gst_pad_link(teepad.get(), sinkpad.get()) : GST_PAD_LINK_WRONG_HIERARCHY;
  if (r != GST_PAD_LINK_OK) {
    log::get("media")->error("cannot link branch {}.{}: {}", GST_OBJECT_NAME(bin), pad_name, gst_pad_link_get_name(r));
    return {};  // `teepad` goes back to the tee
  }
  add_firewall(teepad.get(), sinkpad.get());
  return teepad;
}

namespace {
// The idle probe's state: fires once; hands the pad back to the GLib thread for release.
struct Unlink {
  gst::MainLoop* loop;
  std::shared_ptr<gst::RequestPad> pad;  // released on the GLib thread, by the posted step
  std::function<void()> done;
  std::atomic<bool> fired{false};
};
}  // namespace

void unlink_tee_pad(gst::MainLoop& loop, gst::RequestPad tee_pad, std::function<void()> done) {
  GstPad* pad = tee_pad.get();
  if (!pad) {
    if (done) loop.post(std::move(done));
    return;
  }
  // The probe's data is destroyed by GStreamer on whichever thread removes the probe; the
  // pad is released only by the posted step, on the GLib thread.
  auto u = std::make_shared<Unlink>();
  u->loop = &loop;
  u->pad = std::make_shared<gst::RequestPad>(std::move(tee_pad));
  u->done = std::move(done);
  gst::add_probe(pad, GST_PAD_PROBE_TYPE_IDLE, std::move(u),
                 [](std::shared_ptr<Unlink>& u, GstPad* pad, GstPadProbeInfo*) -> GstPadProbeReturn {
                   if (u->fired.exchange(true)) return GST_PAD_PROBE_REMOVE;
                   if (auto peer = gst::PadPtr::adopt(gst_pad_get_peer(pad))) gst_pad_unlink(pad, peer.get());
                   u->loop->post([u] {
                     u->pad->release();
                     if (auto f = std::move(u->done)) f();
                   });
                   return GST_PAD_PROBE_REMOVE;
                 });
}

void detach_branch(gst::MainLoop& loop, GstElement* pipeline, gst::RequestPad tee_pad, GstElement* bin,
                   std::function<void()> done) {
  unlink_tee_pad(loop, std::move(tee_pad),
                 [p = gst::ElementPtr::ref(pipeline), b = gst::ElementPtr::ref(bin), done = std::move(done)] {
                   gst_element_set_state(b.get(), GST_STATE_NULL);
                   gst_bin_remove(GST_BIN(p.get()), b.get());
                   if (done) done();
                 });
}

gst::ElementPtr make_leaky_queue(const char* name, guint max_buffers,
                                 gst::Weak<std::atomic<std::uint64_t>> drop_counter) {
  GstElement* raw = gst_element_factory_make("queue", name);
  if (!raw) return {};
  auto q = gst::ElementPtr::ref_sink(raw);
  g_object_set(q.get(), "leaky", 2 /*downstream: drop old*/, "max-size-buffers", max_buffers,
               "max-size-bytes", 0u, "max-size-time", guint64(0), nullptr);
  if (!drop_counter.expired()) {
    gst::connect<void(GstElement*)>(q.get(), "overrun", std::move(drop_counter),
                                    [](gst::Weak<std::atomic<std::uint64_t>>& w, GstElement*) {
                                      if (auto c = w.lock()) c->fetch_add(1, std::memory_order_relaxed);
                                    });
  }
  return q;
}

}  // namespace camrelay::media
