// The shared RTP payloader of a stream's WebRTC viewers (see rtp_fanout.hpp).
#include "rtp_fanout.hpp"

#include <gst/video/video.h>

#include <fmt/format.h>

#include <algorithm>
#include <mutex>
#include <thread>
#include <vector>

#include "camrelay/gst/ptr.hpp"
#include "camrelay/media/branch.hpp"
#include "camrelay/util/ids.hpp"
#include "camrelay/util/log.hpp"
#include "output_util.hpp"
#include "rtp_sender.hpp"
#include "send_lane.hpp"

namespace camrelay::media {
namespace {
auto lg() {
  static auto l = log::get("webrtc");
  return l;
}
constexpr guint kQueueBuffers = 90;
// Replayed frames go 1 ms (90 ticks of the 90 kHz video clock) apart, just before the live one.
constexpr std::uint32_t kReplayStepTicks = 90;
// Bounds of the cached GOP (packets, bytes): a longer GOP is not replayed.
constexpr std::size_t kMaxGopPackets = 8192;
constexpr std::size_t kMaxGopBytes = 8u << 20;
// A sender that saw no keyframe (and had no GOP to replay) this long starts on what comes.
constexpr std::int64_t kStartAnywayMs = 3000;
// Sources that make a keyframe when asked: the frames since the last keyframe are replayed
// only while they span at most this much (90 kHz ticks, 0.5 s, the source's minimum
// interval between forced keyframes); a longer GOP is not kept and the viewer waits for the
// keyframe it asks for. In a join burst each viewer finds the GOP its predecessor's
// keyframe started, short, and starts at once instead of waiting up to that interval.
constexpr std::uint32_t kShortGopTicks = 45000;
// Send threads per stream and codec, the payloader's own included: one per core, at most 4.
// Each viewer is sent by one of them (the least busy when it joins), so that a stream's
// viewers use several cores, and a busy machine's scheduler gives the stream a share per
// thread rather than one.
std::size_t send_threads() {
  return std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, 4);
}

const char* codec_name(FanoutCodec c) {
  switch (c) {
    case FanoutCodec::h264: return "h264";
    case FanoutCodec::h265: return "h265";
    case FanoutCodec::vp8: return "vp8";
  }
  return "?";
}

std::uint32_t rtp_ts(GstBuffer* b) {
  std::uint8_t h[8];
  return gst_buffer_extract(b, 0, h, 8) == 8 ? GST_READ_UINT32_BE(h + 4) : 0;
}

class Fanout final : public Output, public RtpFanout, public std::enable_shared_from_this<Fanout> {
 public:
  // The send threads are made here, before any other thread can see the fanout (figures()).
  Fanout(std::shared_ptr<Stream> s, FanoutCodec codec, bool replay, std::function<void()> keyframe)
      : stream_(std::move(s)), codec_(codec), replay_(replay), keyframe_(std::move(keyframe)) {
    for (std::size_t i = 1; i < send_threads(); ++i) {
      lanes_.push_back(std::make_unique<SendLane>(fmt::format("tx{}:{}", i, stream_->camera_id())));
    }
    to_lane_.assign(lanes_.size(), std::make_shared<const SenderList>());
  }

  bool build(const std::string& kind, GstElement* tee) {
    kind_ = kind;
    GstElement* pipeline = stream_->pipeline();
    if (!pipeline || !tee) return false;
    gst::ElementPtr q = make_leaky_queue(nullptr, kQueueBuffers, gst::weak_member(shared_from_this(), &Fanout::dropped_));
    const char* payf = codec_ == FanoutCodec::vp8 ? "rtpvp8pay" : codec_ == FanoutCodec::h265 ? "rtph265pay" : "rtph264pay";
    gst::ElementPtr pay = gst::try_make_element(payf);
    gst::ElementPtr sink = gst::try_make_element("fakesink");
    if (!q || !pay || !sink) {
      lg()->error("camera {}: cannot send WebRTC video: missing GStreamer element(s) (queue, {}, fakesink)",
                  stream_->camera_id(), payf);
      return false;
    }
    // Payload type and SSRC are each viewer's (rewritten per packet); 1200-byte packets fit
    // any path with TURN and DTLS overhead.
    g_object_set(pay.get(), "pt", 96u, "mtu", 1200u, nullptr);
    if (codec_ == FanoutCodec::vp8) {
      gst_util_set_object_arg(G_OBJECT(pay.get()), "picture-id-mode", "15-bit");
    } else {
      g_object_set(pay.get(), "config-interval", -1, nullptr);  // parameter sets before every IDR
      gst_util_set_object_arg(G_OBJECT(pay.get()), "aggregate-mode", "zero-latency");
    }
    g_object_set(sink.get(), "sync", FALSE, "async", FALSE, "enable-last-sample", FALSE, nullptr);
    // A number in the name: the previous fanout of this kind may still be leaving the pipeline.
    static std::atomic<unsigned> serial{0};
    auto bin = gst::ElementPtr::ref_sink(
        gst_bin_new(fmt::format("{}-{}-{}", kind, stream_->camera_id(), ++serial).c_str()));
    gst_bin_add_many(GST_BIN(bin.get()), q.get(), pay.get(), sink.get(), nullptr);
    if (!gst_element_link_many(q.get(), pay.get(), sink.get(), nullptr)) {
      lg()->error("camera {}: cannot link the WebRTC payloader ({})", stream_->camera_id(), payf);
      return false;
    }
    gst::PadPtr qsink = gst::static_pad(q.get(), "sink");
    gst::add_ghost_pad(bin.get(), "sink", qsink.get());
    // The encoder's/h264parse's announcement of a forced keyframe stops here: given one,
    // rtph264pay sends SPS/PPS in an extra packet with the marker bit set and the keyframe's
    // timestamp, which Chromium takes for a frame of its own (it drops one and sends a PLI,
    // for every keyframe). The payloader already puts SPS/PPS before every IDR.
    gst::add_probe(qsink.get(), GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, 0,
                   [](int&, GstPad*, GstPadProbeInfo* info) -> GstPadProbeReturn {
                     return gst_video_event_is_force_key_unit(GST_PAD_PROBE_INFO_EVENT(info)) ? GST_PAD_PROBE_DROP
                                                                                              : GST_PAD_PROBE_OK;
                   });
    if (replay_) {
      // The stream's cached GOP goes through the payloader ahead of the first live frame, so
      // the first viewer can be given a picture at once too.
      gst::add_probe(qsink.get(), GST_PAD_PROBE_TYPE_BUFFER, weak_from_this(),
                     [](gst::Weak<Fanout>& w, GstPad* pad, GstPadProbeInfo* info) -> GstPadProbeReturn {
                       auto f = w.lock();
                       if (f && f->priming_) return GST_PAD_PROBE_OK;  // a cached frame going in
                       if (f) f->prime(pad, GST_PAD_PROBE_INFO_BUFFER(info));
                       return GST_PAD_PROBE_REMOVE;
                     });
    }
    gst::PadPtr paysink = gst::static_pad(pay.get(), "sink");
    gst::add_probe(paysink.get(), GST_PAD_PROBE_TYPE_BUFFER, weak_from_this(),
                   [](gst::Weak<Fanout>& w, GstPad*, GstPadProbeInfo* info) -> GstPadProbeReturn {
                     if (auto f = w.lock()) f->on_frame(GST_PAD_PROBE_INFO_BUFFER(info));
                     return GST_PAD_PROBE_OK;
                   });
    gst::PadPtr paysrc = gst::static_pad(pay.get(), "src");
    gst::add_probe(paysrc.get(), GstPadProbeType(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
                   weak_from_this(), [](gst::Weak<Fanout>& w, GstPad*, GstPadProbeInfo* info) -> GstPadProbeReturn {
                     auto f = w.lock();
                     if (!f) return GST_PAD_PROBE_DROP;
                     if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
                       GstBufferList* l = GST_PAD_PROBE_INFO_BUFFER_LIST(info);
                       for (guint i = 0, n = gst_buffer_list_length(l); i < n; ++i) f->on_packet(gst_buffer_list_get(l, i));
                     } else {
                       f->on_packet(GST_PAD_PROBE_INFO_BUFFER(info));
                     }
                     return GST_PAD_PROBE_DROP;  // sent: nothing for the fakesink to do
                   });
    tee_pad_ = attach_branch(pipeline, tee, bin.get());
    if (!tee_pad_) return false;
    bin_ = std::move(bin);
    started_ms_ = mono_now_ms();
    holds_->set_idle([w = weak_from_this()] {
      if (auto f = w.lock(); f && f->bin_) f->stop();
    });
    lg()->info("camera {}: WebRTC {} payloader started, shared by its viewers", stream_->camera_id(), codec_name(codec_));
    return true;
  }

  bool running() const { return static_cast<bool>(bin_); }

  std::shared_ptr<void> hold() { return holds_->hold(); }

  void add(std::shared_ptr<RtpSender> sender, gst::Weak<std::atomic<std::uint64_t>> replayed) override {
    auto e = std::make_shared<Entry>();
    e->sender = std::move(sender);
    e->replayed = std::move(replayed);
    e->added_ms = mono_now_ms();
    std::lock_guard lk(mu_);
    // The send thread with the fewest viewers (0: the payloader's own).
    std::vector<std::size_t> load(lanes_.size() + 1, 0);
    for (const auto& x : *list_) ++load[x->lane];
    e->lane = std::size_t(std::min_element(load.begin(), load.end()) - load.begin());
    auto next = std::make_shared<List>(*list_);
    next->push_back(std::move(e));
    list_ = std::move(next);
  }

  void remove(const RtpSender* sender) override {
    std::lock_guard lk(mu_);
    auto next = std::make_shared<List>();
    for (const auto& e : *list_) {
      if (e->sender.get() != sender) next->push_back(e);
    }
    list_ = std::move(next);
  }

  void on_stream_teardown() override {
    holds_->cancel();
    tee_pad_.release();
    bin_.reset();
  }

  model::OutputFigures figures() const override {
    model::WebrtcSendFigures f;
    f.codec = codec_name(codec_);
    {
      std::lock_guard lk(mu_);
      f.viewers = static_cast<int>(list_->size());
    }
    f.frames_in = frames_in_.load();
    f.packets_out = packets_out_.load();
    f.dropped_in = dropped_.load();
    f.send_threads = int(lanes_.size() + 1);
    for (const auto& l : lanes_) {
      f.packets_out += l->sent();
      f.dropped_out += l->dropped();
    }
    f.replays = replays_.load();
    f.uptime_s = double(mono_now_ms() - started_ms_) / 1000.0;
    return f;
  }

 private:
  struct Entry {
    std::shared_ptr<RtpSender> sender;
    gst::Weak<std::atomic<std::uint64_t>> replayed;
    std::int64_t added_ms = 0;
    std::size_t lane = 0;  // its send thread: 0 the payloader's, i lanes_[i - 1]
    bool started = false;  // streaming thread only
  };
  using List = std::vector<std::shared_ptr<Entry>>;

  // Streaming thread, first buffer into the queue: the stream's cached GOP before it.
  void prime(GstPad* pad, GstBuffer* live) {
    if (!GST_BUFFER_FLAG_IS_SET(live, GST_BUFFER_FLAG_DELTA_UNIT)) return;
    std::vector<gst::BufferPtr> gop = stream_->gop_snapshot();
    if (!gop.empty() && gop.back().get() == live) gop.pop_back();
    // Room for the whole GOP in the leaky queue (it would drop the keyframe first).
    if (GstElement* q = GST_PAD_PARENT(pad)) {
      guint cap = 0;
      g_object_get(q, "max-size-buffers", &cap, nullptr);
      if (cap < gop.size() + kQueueBuffers) g_object_set(q, "max-size-buffers", guint(gop.size() + kQueueBuffers), nullptr);
    }
    priming_ = true;
    for (auto& b : gop) {
      if (gst_pad_chain(pad, gst_buffer_ref(b.get())) != GST_FLOW_OK) break;
    }
    priming_ = false;
  }

  // Streaming thread: a frame goes into the payloader; its packets follow in on_packet().
  void on_frame(GstBuffer* frame) {
    frame_start_ = true;
    frame_key_ = !GST_BUFFER_FLAG_IS_SET(frame, GST_BUFFER_FLAG_DELTA_UNIT);
    frames_in_.fetch_add(1, std::memory_order_relaxed);
  }

  // Streaming thread: one packet of the payloader, to every started sender: those of send
  // thread 0 here, the others' queued to their threads.
  void on_packet(GstBuffer* pkt) {
    const bool first = frame_start_;
    frame_start_ = false;
    GstMapInfo m;
    if (!gst_buffer_map(pkt, &m, GST_MAP_READ)) return;
    if (m.size >= 12) cache(pkt, first, GST_READ_UINT32_BE(m.data + 4));
    if (first) plan_frame(pkt);
    for (const auto& s : here_) s->send(pkt, m.data, m.size);
    gst_buffer_unmap(pkt, &m);
    packets_out_.fetch_add(here_.size(), std::memory_order_relaxed);
    for (std::size_t i = 0; i < lanes_.size(); ++i) {
      if (!to_lane_[i]->empty()) lanes_[i]->post(pkt, to_lane_[i]);
    }
  }

  // Streaming thread, first packet of a frame: who gets this frame, on which send thread.
  // Senders start here (a replay goes out from this thread, before the frame's first packet
  // is queued to the sender's own thread, so it stays in order).
  void plan_frame(GstBuffer* live) {
    std::shared_ptr<const List> list;
    {
      std::lock_guard lk(mu_);
      list = list_;
    }
    here_.clear();
    std::vector<SenderList> there(lanes_.size());
    for (const auto& e : *list) {
      if (!e->started && !start(*e, live)) continue;
      (e->lane == 0 ? here_ : there[e->lane - 1]).push_back(e->sender);
    }
    for (std::size_t i = 0; i < lanes_.size(); ++i) to_lane_[i] = std::make_shared<const SenderList>(std::move(there[i]));
  }

  void cache(GstBuffer* pkt, bool first, std::uint32_t ts) {
    if (first && frame_key_) {
      gop_.clear();
      gop_bytes_ = 0;
      gop_ok_ = true;
      gop_ts_ = ts;
    }
    if (!gop_ok_) return;
    gop_.push_back(gst::BufferPtr::ref(pkt));
    gop_bytes_ += gst_buffer_get_size(pkt);
    const bool too_long = !replay_ && ts - gop_ts_ > kShortGopTicks;
    if (too_long || gop_.size() > kMaxGopPackets || gop_bytes_ > kMaxGopBytes) {
      gop_.clear();  // too long to replay: nothing cached until the next keyframe
      gop_bytes_ = 0;
      gop_ok_ = false;
    }
  }

  // Streaming thread, first packet of a frame: whether `e` starts with it (after a replay).
  bool start(Entry& e, GstBuffer* live) {
    if (frame_key_) return e.started = true;
    // The cache ends with `live`: before it, the whole GOP up to the previous frame (for a
    // source that makes keyframes when asked, only while that GOP is short).
    if (gop_ok_ && gop_.size() > 1) {
      replay(e, rtp_ts(live));
      return e.started = true;
    }
    if (mono_now_ms() - e.added_ms > kStartAnywayMs) return e.started = true;
    if (keyframe_) keyframe_();  // rate-limited by the source
    return false;
  }

  void replay(Entry& e, std::uint32_t live_ts) {
    const std::size_t n = gop_.size() - 1;
    std::uint32_t frames = 0;
    std::uint32_t prev = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint32_t ts = rtp_ts(gop_[i].get());
      if (i == 0 || ts != prev) ++frames;
      prev = ts;
    }
    std::uint32_t frame = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint32_t ts = rtp_ts(gop_[i].get());
      if (i == 0 || ts != prev) ++frame;
      prev = ts;
      e.sender->send(gop_[i].get(), false, live_ts - (frames - frame + 1) * kReplayStepTicks);
    }
    replays_.fetch_add(1, std::memory_order_relaxed);
    if (auto c = e.replayed.lock()) c->fetch_add(frames, std::memory_order_relaxed);
  }

  void stop() {
    stream_->remove_output(kind_, this);
    GstElement* pipeline = stream_->pipeline();
    if (!pipeline || !tee_pad_ || !bin_) return;
    auto self = shared_from_this();
    detach_branch(stream_->loop(), pipeline, std::move(tee_pad_), bin_.get(), [self] {
      self->bin_.reset();
      lg()->info("camera {}: WebRTC {} payloader stopped (no viewer)", self->stream_->camera_id(),
                 codec_name(self->codec_));
    });
  }

  std::shared_ptr<Stream> stream_;
  FanoutCodec codec_;
  bool replay_;
  std::function<void()> keyframe_;
  std::string kind_;
  gst::ElementPtr bin_;
  gst::RequestPad tee_pad_;
  std::shared_ptr<Holds> holds_ = Holds::create(stream_->loop(), kOutputLingerMs);  // its viewers
  std::int64_t started_ms_ = 0;
  std::atomic<std::uint64_t> frames_in_{0}, packets_out_{0}, dropped_{0}, replays_{0};

  mutable std::mutex mu_;
  std::shared_ptr<const List> list_ = std::make_shared<List>();

  // Made by the constructor, then fixed: the send threads besides the payloader's.
  std::vector<std::unique_ptr<SendLane>> lanes_;

  // Streaming thread only: this frame's senders, on the payloader's thread and per lane.
  SenderList here_;
  std::vector<std::shared_ptr<const SenderList>> to_lane_;
  bool frame_start_ = false, frame_key_ = false;
  bool priming_ = false;
  std::vector<gst::BufferPtr> gop_;
  std::size_t gop_bytes_ = 0;
  bool gop_ok_ = false;
  std::uint32_t gop_ts_ = 0;  // RTP timestamp of the cached GOP's keyframe
};
}  // namespace

FanoutTap acquire_fanout(const std::shared_ptr<Stream>& s, const std::string& kind, GstElement* tee,
                         FanoutCodec codec, bool replay_gop, std::function<void()> request_keyframe) {
  FanoutTap tap;
  std::shared_ptr<Fanout> created;
  auto o = s->output(kind, [&]() -> std::shared_ptr<Output> {
    created = std::make_shared<Fanout>(s, codec, replay_gop, std::move(request_keyframe));
    return created;
  });
  if (created && !created->build(kind, tee)) {
    s->remove_output(kind, created.get());
    return tap;
  }
  auto f = std::dynamic_pointer_cast<Fanout>(o);
  if (!f || !f->running()) return tap;
  tap.hold = f->hold();
  tap.fanout = std::move(f);
  return tap;
}

}  // namespace camrelay::media
