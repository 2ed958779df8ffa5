// The MediaPort on GStreamer: media::Stream per camera start on that camera's GLib thread
// (gst::LoopPool), media::WebrtcViewer per WebRTC reader.
#include "camrelay/gst/main_loop.hpp"
#include "camrelay/media/encoder.hpp"
#include "camrelay/media/hls.hpp"
#include "camrelay/media/mjpeg.hpp"
#include "camrelay/media/rtsp_tap.hpp"
#include "camrelay/media/recorder.hpp"
#include "camrelay/service/stream_manager.hpp"
#include "media_port.hpp"

namespace camrelay::service {
namespace {

class GstViewer final : public ViewerPort {
 public:
  explicit GstViewer(std::shared_ptr<media::WebrtcViewer> v) : v_(std::move(v)) {}
  void start() override { v_->start(); }
  void stop() override { v_->stop({}); }
  void set_remote_answer(std::string sdp) override { v_->set_remote_answer(std::move(sdp)); }
  void add_ice_candidate(unsigned mline, std::string c, std::string mid) override {
    v_->add_ice_candidate(mline, std::move(c), std::move(mid));
  }
  model::ViewerStats stats() const override { return v_->stats(); }
  std::string element_name() const override { return v_->element_name(); }

 private:
  std::shared_ptr<media::WebrtcViewer> v_;
};

class GstRecorder final : public RecorderPort {
 public:
  explicit GstRecorder(std::shared_ptr<media::Recorder> r) : r_(std::move(r)) {}
  void stop(std::function<void()> done) override { r_->stop(std::move(done)); }
  model::RecorderFigures figures() const override {
    auto f = r_->figures();
    if (const auto* rf = std::get_if<model::RecorderFigures>(&f)) return *rf;
    return {};
  }

 private:
  std::shared_ptr<media::Recorder> r_;
};

class GstStream final : public StreamPort {
 public:
  explicit GstStream(std::shared_ptr<media::Stream> s) : s_(std::move(s)) {}
  void start() override { s_->start(); }
  void stop(std::function<void()> done) override {
    // The Stream keeps itself alive until its teardown has run.
    s_->stop([s = s_, done = std::move(done)] {
      if (done) done();
    });
  }
  model::StreamStats stats() const override { return s_->stats(); }
  model::AudioInfo audio_info() const override { return s_->audio_info(); }
  std::string pipeline_name() const override { return s_->pipeline_name(); }
  void set_target_bitrate(int kbps) override { s_->set_target_bitrate(kbps); }
  void restart_source(std::string why) override { s_->restart_source(std::move(why)); }
  model::SourceFigures source_figures() const override { return s_->source_figures(); }
  std::shared_ptr<model::HlsFeed> hls(bool create, model::Quality q, model::HlsFormat f) override {
    return create ? media::hls_output(s_, q, f) : media::find_hls_output(s_, q, f);
  }
  std::shared_ptr<model::PictureFeed> pictures(bool create, model::Quality q) override {
    return create ? media::mjpeg_output(s_, q) : media::find_mjpeg_output(s_, q);
  }
  std::shared_ptr<model::H264Feed> h264(bool create, model::Quality q) override {
    return create ? media::rtsp_tap(s_, q) : media::find_rtsp_tap(s_, q);
  }
  std::shared_ptr<RecorderPort> record(media::RecorderOptions opts, media::RecorderEvents events) override {
    auto r = media::Recorder::create(s_, std::move(opts), std::move(events));
    if (!r) return nullptr;
    r->start();
    return std::make_shared<GstRecorder>(std::move(r));
  }
  std::shared_ptr<ViewerPort> add_viewer(const config::Webrtc& cfg, media::ViewerOptions opts,
                                         media::ViewerCallbacks cb) override {
    return std::make_shared<GstViewer>(media::WebrtcViewer::create(s_, cfg, std::move(opts), std::move(cb)));
  }

 private:
  std::shared_ptr<media::Stream> s_;
};

class GstMedia final : public MediaPort {
 public:
  explicit GstMedia(gst::LoopPool& loops) : loops_(loops) {}
  std::shared_ptr<StreamPort> make_stream(const config::Config& cfg, const config::Camera& cam,
                                          media::StreamCallbacks cb, std::shared_ptr<media::RtpLink> link,
                                          std::shared_ptr<model::InputFeeds> inputs) override {
    auto s = media::Stream::create(loops_.get(cam.id), cfg, cam, std::move(cb));
    if (link) s->set_rtp_link(std::move(link));
    if (inputs) s->set_input_feeds(std::move(inputs));
    return std::make_shared<GstStream>(std::move(s));
  }
  std::vector<std::string> h264_encoders() const override { return media::available_h264_encoders(); }

 private:
  gst::LoopPool& loops_;
};

}  // namespace

std::shared_ptr<MediaPort> gstreamer_media(gst::LoopPool& loops) { return std::make_shared<GstMedia>(loops); }

}  // namespace camrelay::service
