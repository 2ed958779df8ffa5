// Branches on a running stream's tee (src/media/branch.cpp): one that answers the stream's
// data with a flow error is cut off on its own; the camera's source and every other branch
// go on. Without the tee pad's firewall the error travels up the tee and stops the source.
#include <gtest/gtest.h>

#include <gst/gst.h>

#include <atomic>
#include <functional>

#include "camrelay/config/config.hpp"
#include "camrelay/gst/main_loop.hpp"
#include "camrelay/gst/ptr.hpp"
#include "camrelay/media/branch.hpp"
#include "camrelay/media/stream.hpp"
#include "media_test_util.hpp"

namespace {

using namespace std::chrono_literals;
namespace gst = camrelay::gst;
namespace media = camrelay::media;
namespace config = camrelay::config;

using camrelay::testing::eventually;

TEST(Branch, ABranchThatRefusesTheStreamIsCutOffAlone) {
  gst_init(nullptr, nullptr);
  gst::MainLoop loop("branch-test");
  config::Config cfg;
  const config::Camera cam = camrelay::testing::small_test_camera();
  std::atomic<bool> active{false}, failed{false};
  media::StreamCallbacks cb;
  cb.on_active = [&] { active = true; };
  cb.on_error = [&](std::string) { failed = true; };
  auto stream = media::Stream::create(loop, cfg, cam, cb);
  stream->start();
  ASSERT_TRUE(eventually([&] { return active.load(); }));

  // queue → identity(error-after 5) → fakesink: after five buffers the branch answers
  // GST_FLOW_ERROR, as a sink on a full disk does.
  gst::RequestPad pad;
  loop.run_sync([&] {
    auto bin = gst::ElementPtr::ref_sink(gst_bin_new("refuser"));
    auto q = gst::make_element("queue");
    auto failing = gst::make_element("identity");
    g_object_set(failing.get(), "error-after", 5, nullptr);
    auto sink = gst::make_element("fakesink");
    gst_bin_add_many(GST_BIN(bin.get()), q.get(), failing.get(), sink.get(), nullptr);
    gst_element_link_many(q.get(), failing.get(), sink.get(), nullptr);
    gst::add_ghost_pad(bin.get(), "sink", gst::static_pad(q.get(), "sink").get());
    pad = media::attach_branch(stream->pipeline(), stream->tee(), bin.get());
  });
  ASSERT_TRUE(pad);
  const auto frames = stream->stats().frames;
  EXPECT_TRUE(eventually([&] { return stream->stats().frames > frames + 30; })) << "the stream stopped";
  EXPECT_EQ(stream->source_figures().restarts, 0u) << "the source was stopped by the branch's refusal";
  EXPECT_FALSE(failed.load()) << "the stream failed";

  loop.run_sync([&] { pad.release(); });
  EXPECT_TRUE(camrelay::testing::wait_done([&](std::function<void()> done) { stream->stop(std::move(done)); }));
}

}  // namespace
