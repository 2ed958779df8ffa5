#include "camrelay/media/branch.hpp"

#include <atomic>
#include <cstdint>

#include "camrelay/util/log.hpp"

namespace camrelay::media {

GstPad* attach_branch(GstElement* pipeline, GstElement* tee, GstElement* bin) {
  gst_bin_add(GST_BIN(pipeline), bin);
  // Bring the branch up BEFORE linking it: a buffer the tee pushes into a still-flushing
  // pad returns FLUSHING, which the tee passes upstream and the source's task then pauses
  // for good — the whole stream would freeze.
  gst_element_sync_state_with_parent(bin);
  GstPad* teepad = link_tee_to(tee, bin, "sink");
  if (!teepad) {
    gst_element_set_state(bin, GST_STATE_NULL);
    gst_bin_remove(GST_BIN(pipeline), bin);
  }
  return teepad;
}

GstPad* link_tee_to(GstElement* tee, GstElement* bin, const char* pad_name) {
  GstPad* teepad = gst_element_request_pad_simple(tee, "src_%u");
  GstPad* sinkpad = gst_element_get_static_pad(bin, pad_name);
  GstPadLinkReturn r = sinkpad ? gst_pad_link(teepad, sinkpad) : GST_PAD_LINK_WRONG_HIERARCHY;
  if (sinkpad) gst_object_unref(sinkpad);
  if (r != GST_PAD_LINK_OK) {
    log::get("media")->error("cannot link branch {}.{}: {}", GST_OBJECT_NAME(bin), pad_name, gst_pad_link_get_name(r));
    gst_element_release_request_pad(tee, teepad);
    gst_object_unref(teepad);
    return nullptr;
  }
  return teepad;
}

void unlink_tee_pad(gst::MainLoop& loop, GstElement* tee, GstPad* tee_pad, std::function<void()> done) {
  struct Ctx {
    gst::MainLoop* loop;
    GstElement* tee;
    GstPad* pad;
    std::function<void()> done;
    std::atomic<bool> fired{false};
  };
  auto* c = new Ctx{&loop, GST_ELEMENT(gst_object_ref(tee)), tee_pad, std::move(done)};
  gst_pad_add_probe(
      tee_pad, GST_PAD_PROBE_TYPE_IDLE,
      [](GstPad* pad, GstPadProbeInfo*, gpointer ud) -> GstPadProbeReturn {
        auto* c = static_cast<Ctx*>(ud);
        if (c->fired.exchange(true)) return GST_PAD_PROBE_REMOVE;
        if (GstPad* peer = gst_pad_get_peer(pad)) {
          gst_pad_unlink(pad, peer);
          gst_object_unref(peer);
        }
        c->loop->post([c] {
          gst_element_release_request_pad(c->tee, c->pad);
          gst_object_unref(c->pad);
          gst_object_unref(c->tee);
          auto d = std::move(c->done);
          delete c;
          if (d) d();
        });
        return GST_PAD_PROBE_REMOVE;
      },
      c, nullptr);
}

void detach_branch(gst::MainLoop& loop, GstElement* pipeline, GstElement* tee, GstPad* tee_pad,
                   GstElement* bin, std::function<void()> done) {
  auto* p = GST_ELEMENT(gst_object_ref(pipeline));
  auto* b = GST_ELEMENT(gst_object_ref(bin));
  unlink_tee_pad(loop, tee, tee_pad, [p, b, done = std::move(done)] {
    gst_element_set_state(b, GST_STATE_NULL);
    gst_bin_remove(GST_BIN(p), b);
    gst_object_unref(b);
    gst_object_unref(p);
    if (done) done();
  });
}

GstElement* make_leaky_queue(const char* name, guint max_buffers, void* drop_counter) {
  GstElement* q = gst_element_factory_make("queue", name);
  g_object_set(q, "leaky", 2 /*downstream: drop old*/, "max-size-buffers", max_buffers,
               "max-size-bytes", 0u, "max-size-time", guint64(0), nullptr);
  if (drop_counter) {
    g_signal_connect(q, "overrun", G_CALLBACK(+[](GstElement*, gpointer ud) {
                       static_cast<std::atomic<std::uint64_t>*>(ud)->fetch_add(1, std::memory_order_relaxed);
                     }), drop_counter);
  }
  return q;
}

}  // namespace camrelay::media
