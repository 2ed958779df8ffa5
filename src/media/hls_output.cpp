// HLS output: queue(leaky) → mpegtsmux → appsink → HlsSegmenter, or for the fMP4 format
// queue(leaky) → parser → mp4mux (fragmented) → appsink → HlsSegmenter, on demand
// (include/camrelay/media/hls.hpp). The fMP4 playlist is low-latency HLS: every mp4mux
// fragment (hls.part_ms) is published as a partial segment the moment it is complete.
#include <gst/app/gstappsink.h>

#include <cmath>
#include <map>
#include <vector>

#include <fmt/format.h>

#include "camrelay/gst/callback.hpp"
#include "camrelay/gst/ptr.hpp"
#include "camrelay/media/branch.hpp"
#include "camrelay/media/hls.hpp"
#include "camrelay/util/files.hpp"
#include "camrelay/util/ids.hpp"
#include "camrelay/util/log.hpp"
#include "hls_segmenter.hpp"
#include "output_util.hpp"
#include "transcode.hpp"
#include "video_codec.hpp"

namespace camrelay::media {
namespace fs = std::filesystem;
namespace {
auto lg() {
  static auto l = log::get("hls");
  return l;
}
constexpr const char* kKind = "hls";
constexpr guint kQueueBuffers = 300;  // ~10 s at 30 fps: disk hiccups never stall the tee
// mp4mux starts a fragment at every keyframe and at least this often (without LL-HLS parts).
constexpr guint kFragmentMs = 200;
// PART-HOLD-BACK in parts: how far behind the newest part a low-latency player stays.
// RFC 8216bis asks for at least 2; Apple recommends 3.
constexpr double kPartHoldBack = 3.0;

std::string kind_of(Quality q, HlsFormat f) { return f == HlsFormat::fmp4 ? "hls-fmp4" : output_kind(kKind, q); }

// The newest HLS output per camera: an older output that finishes its detach after a
// newer one started must not delete the newer one's folder.
std::mutex g_gen_mu;
std::map<std::string, std::uint64_t> g_gen;

std::uint64_t next_generation(const std::string& cam) {
  std::lock_guard lk(g_gen_mu);
  return ++g_gen[cam];
}

void remove_dir_if_current(const std::string& cam, std::uint64_t gen, const fs::path& dir) {
  {
    std::lock_guard lk(g_gen_mu);
    if (g_gen[cam] != gen) return;
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (ec) lg()->warn("camera {}: cannot remove {}: {}", cam, dir.string(), ec.message());
}

const char* state_name(HlsOutput::State s) {
  switch (s) {
    case HlsOutput::State::starting: return "starting";
    case HlsOutput::State::running: return "running";
    case HlsOutput::State::failed: return "failed";
    case HlsOutput::State::stopped: return "stopped";
  }
  return "unknown";
}

// The muxer's PAT/PMT ("streamheader" in its caps), written at the head of each segment.
std::string stream_headers(GstCaps* caps) {
  std::string out;
  if (!caps || gst_caps_get_size(caps) == 0) return out;
  const GValue* arr = gst_structure_get_value(gst_caps_get_structure(caps, 0), "streamheader");
  if (!arr || !GST_VALUE_HOLDS_ARRAY(arr)) return out;
  for (guint i = 0; i < gst_value_array_get_size(arr); ++i) {
    const GValue* v = gst_value_array_get_value(arr, i);
    if (!GST_VALUE_HOLDS_BUFFER(v)) continue;
    GstBuffer* b = gst_value_get_buffer(v);
    GstMapInfo m;
    if (gst_buffer_map(b, &m, GST_MAP_READ)) {
      out.append(reinterpret_cast<const char*>(m.data), m.size);
      gst_buffer_unmap(b, &m);
    }
  }
  return out;
}

// Low-latency parts for the fMP4 playlist when hls.part_ms is set.
HlsSegmenter::Options segmenter_options(const fs::path& dir, const config::Hls& h, bool fmp4) {
  HlsSegmenter::Options o{dir, h.target_duration_s, h.playlist_length, h.max_files};
  if (fmp4 && h.part_ms > 0) {
    o.part_target_s = h.part_ms / 1000.0;
    o.part_hold_back_s = kPartHoldBack * o.part_target_s;
  }
  return o;
}

}  // namespace

fs::path hls_root(const config::Config& cfg) { return fs::path(cfg.data_dir) / "hls"; }

fs::path hls_dir(const config::Config& cfg, const std::string& camera_id, Quality quality, HlsFormat format) {
  if (format == HlsFormat::fmp4) return hls_root(cfg) / (camera_id + ".fmp4");
  return hls_root(cfg) / (quality == Quality::sub ? camera_id + ".sub" : camera_id);
}

void hls_clean_root(const config::Config& cfg) {
  std::error_code ec;
  fs::remove_all(hls_root(cfg), ec);
  if (ec) lg()->warn("cannot remove {}: {}", hls_root(cfg).string(), ec.message());
}

HlsOutput::HlsOutput(std::weak_ptr<Stream> stream, const config::Config& cfg, std::string camera_id,
                     Quality quality, HlsFormat format)
    : stream_(std::move(stream)),
      cfg_(cfg),
      camera_id_(std::move(camera_id)),
      quality_(format == HlsFormat::fmp4 ? Quality::main : quality),
      format_(format),
      kind_(kind_of(quality_, format)),
      dir_(hls_dir(cfg, camera_id_, quality_, format)),
      gen_(next_generation(dir_.filename().string())),
      last_touch_ms_(mono_now_ms()) {}

HlsOutput::~HlsOutput() = default;  // stop_idle()/on_stream_teardown() gave the tee pad back

void HlsOutput::touch() {
  last_touch_ms_.store(mono_now_ms());
  requests_.fetch_add(1, std::memory_order_relaxed);
}

std::shared_ptr<const std::string> HlsOutput::playlist() const {
  std::lock_guard lk(mu_);
  return playlist_;
}

std::uint64_t HlsOutput::subscribe(std::function<void()> wake) {
  std::lock_guard lk(mu_);
  const std::uint64_t id = next_sub_++;
  subs_.emplace(id, std::move(wake));
  return id;
}

void HlsOutput::unsubscribe(std::uint64_t id) {
  std::lock_guard lk(mu_);
  subs_.erase(id);
}

void HlsOutput::publish(std::string playlist) {
  {
    std::lock_guard lk(mu_);
    playlist_ = std::make_shared<const std::string>(std::move(playlist));
  }
  wake_all();
}

void HlsOutput::wake_all() {
  std::vector<std::function<void()>> fns;
  {
    std::lock_guard lk(mu_);
    for (const auto& [id, f] : subs_) fns.push_back(f);
  }
  for (auto& f : fns) f();
}

std::optional<std::string> HlsOutput::read_segment(std::string_view name) const {
  if (!valid_hls_segment_name(name)) return std::nullopt;
  return read_whole_file(dir_ / std::string(name));
}

std::string HlsOutput::error() const {
  std::lock_guard lk(mu_);
  return error_;
}

void HlsOutput::set_failed(const std::string& why) {
  {
    std::lock_guard lk(mu_);
    error_ = why;
  }
  state_ = State::failed;
  lg()->error("camera {}: HLS ({}): {}", camera_id_, model::to_string(quality_), why);
  input_ = {};
  remove_dir_if_current(dir_.filename().string(), gen_, dir_);  // build() may have created it
  if (auto s = stream_.lock()) s->remove_output(kind_, this);
  wake_all();
}

void HlsOutput::start() {
  auto s = stream_.lock();
  if (!s) return;
  s->loop().post([self = shared_from_this()] { self->build(); });
}

void HlsOutput::build() {
  if (state_ != State::starting) return;
  auto s = stream_.lock();
  if (!s || !s->pipeline() || !s->tee()) return set_failed("the stream is not running");
  // ts: H.264 into MPEG-TS (hls.js in Chromium and Firefox plays no H.265): main = the
  // camera's own H.264, or an H.265 camera's shared H.264 transcode; sub = the sub stream
  // (H.264 whatever the camera sends). fmp4: the camera's own video as it is (H.265).
  const bool fmp4 = format_ == HlsFormat::fmp4;
  const VideoCodecNames& codec = video_codec_names(config::video_codec(s->camera()));
  std::function<void()> keyframe;
  if (fmp4) {
    input_ = video_input(s, Quality::main);
    if (!input_) return set_failed("the stream is not running");
    keyframe = [w = std::weak_ptr<Stream>(s)] {
      if (auto st = w.lock()) request_input_keyframe(st, Quality::main);
    };
  } else if (quality_ == Quality::main) {
    TranscodeTap video = acquire_h264(s);
    input_ = VideoInput{video.tee, std::move(video.hold)};
    keyframe = std::move(video.request_keyframe);
    if (!input_) return set_failed("cannot transcode the camera's H.265 video to H.264 for HLS (see the log)");
  } else {
    input_ = video_input(s, quality_);
    if (!input_) return set_failed("the sub stream cannot run (see the log)");
    keyframe = [w = std::weak_ptr<Stream>(s), q = quality_] {
      if (auto st = w.lock()) request_input_keyframe(st, q);
    };
  }
  std::error_code ec;
  fs::remove_all(dir_, ec);
  fs::create_directories(dir_, ec);
  if (ec) return set_failed(fmt::format("cannot create {}: {}", dir_.string(), ec.message()));

  const auto& h = cfg_.hls;
  // Every element stays in a holder until the branch is attached: an early return drops
  // them all (the bin with whatever was added to it).
  auto bin = gst::ElementPtr::ref_sink(gst_bin_new(fmt::format("{}-{}", kind_, camera_id_).c_str()));
  gst::ElementPtr q =
      make_leaky_queue(nullptr, kQueueBuffers, gst::weak_member(shared_from_this(), &HlsOutput::dropped_));
  gst::ElementPtr parse = fmp4 ? gst::try_make_element(codec.parse) : gst::ElementPtr();
  gst::ElementPtr format = fmp4 ? gst::try_make_element("capsfilter") : gst::ElementPtr();
  gst::ElementPtr mux = gst::try_make_element(fmp4 ? "mp4mux" : "mpegtsmux");
  gst::ElementPtr sink = gst::try_make_element("appsink");
  if (!q || !mux || !sink || (fmp4 && (!parse || !format))) {
    return set_failed(fmt::format("GStreamer element '{}' is missing (install the gstreamer1.0-plugins-* packages)",
                                  !q        ? "queue"
                                  : !mux    ? (fmp4 ? "mp4mux" : "mpegtsmux")
                                  : !sink   ? "appsink"
                                  : !parse  ? codec.parse
                                            : "capsfilter"));
  }
  if (fmp4) {
    // Parameter sets out of band (hvcC/avcC: the hvc1 sample entry Apple's players want),
    // a fragment at every keyframe and every kFragmentMs, the moov first (no seeking back).
    gst::set_caps(format.get(), std::string(codec.media_type) +
                                    (codec.name == std::string("H265") ? ",stream-format=hvc1,alignment=au"
                                                                       : ",stream-format=avc,alignment=au"));
    g_object_set(mux.get(), "fragment-duration", h.part_ms > 0 ? guint(h.part_ms) : kFragmentMs, "streamable", TRUE,
                 nullptr);
  } else {
    // The muxer pushes each access unit as one buffer list ("all available packets").
    g_object_set(mux.get(), "alignment", 0, nullptr);
  }
  g_object_set(sink.get(), "sync", FALSE, "async", FALSE, "emit-signals", TRUE, "drop", FALSE,
               "max-buffers", 300u, "enable-last-sample", FALSE, "buffer-list", TRUE, nullptr);
  // The new-sample handler's data: the segmenter is the handler's alone (one streaming thread).
  struct Ctx {
    gst::Weak<HlsOutput> out;
    HlsSegmenter seg;
    gst::CapsPtr caps;  // the caps whose stream headers the segmenter has
    bool fmp4 = false;
  };
  gst::connect<GstFlowReturn(GstElement*)>(
      sink.get(), "new-sample",
      Ctx{weak_from_this(), HlsSegmenter(segmenter_options(dir_, h, fmp4)), {}, fmp4},
      [](Ctx& c, GstElement* as) -> GstFlowReturn {
        auto sample = gst::SamplePtr::adopt(gst_app_sink_pull_sample(GST_APP_SINK(as)));
        if (!sample) return GST_FLOW_OK;
        GstCaps* caps = gst_sample_get_caps(sample.get());  // borrowed from the sample
        if (caps && caps != c.caps.get() && !c.fmp4) {
          c.seg.set_headers(stream_headers(caps));
          c.caps = gst::CapsPtr::ref(caps);
        }
        // One list per access unit (its TS packets): the segmenter sees whole units, so a
        // keyframe's PAT/PMT and its first video packet land in the same segment.
        GstBufferList* list = gst_sample_get_buffer_list(sample.get());
        GstBuffer* single = list ? nullptr : gst_sample_get_buffer(sample.get());
        const guint n = list ? gst_buffer_list_length(list) : (single ? 1 : 0);
        std::string unit;
        std::int64_t pts = -1;
        for (guint i = 0; i < n; ++i) {
          GstBuffer* buf = list ? gst_buffer_list_get(list, i) : single;
          if (pts < 0 && GST_BUFFER_PTS_IS_VALID(buf)) pts = std::int64_t(GST_BUFFER_PTS(buf));
          GstMapInfo m;
          if (gst_buffer_map(buf, &m, GST_MAP_READ)) {
            unit.append(reinterpret_cast<const char*>(m.data), m.size);
            gst_buffer_unmap(buf, &m);
          }
        }
        const std::int64_t now = std::int64_t(g_get_monotonic_time()) * 1000;
        // A whole segment, or (LL-HLS) a part: the playlist changed.
        if (!unit.empty() && (c.fmp4 ? c.seg.push_fmp4(unit, now) : c.seg.push(unit, pts, now)) &&
            !c.seg.playlist().empty()) {
          if (auto o = c.out.lock()) {
            o->segments_.store(c.seg.segments_written());
            o->publish(c.seg.playlist());
          }
        }
        return GST_FLOW_OK;
      });
  if (fmp4) {
    gst_bin_add_many(GST_BIN(bin.get()), q.get(), parse.get(), format.get(), mux.get(), sink.get(), nullptr);
    // mp4mux has request pads: linking the capsfilter asks for its video pad.
    if (!gst_element_link_many(q.get(), parse.get(), format.get(), mux.get(), sink.get(), nullptr)) {
      return set_failed("cannot link the HLS branch");
    }
  } else {
    gst_bin_add_many(GST_BIN(bin.get()), q.get(), mux.get(), sink.get(), nullptr);
    if (!gst_element_link_many(q.get(), mux.get(), sink.get(), nullptr)) return set_failed("cannot link the HLS branch");
  }
  gst::PadPtr qsink = gst::static_pad(q.get(), "sink");
  if (!gst::add_ghost_pad(bin.get(), "sink", qsink.get())) return set_failed("cannot link the HLS branch");
  // Start at a keyframe (a first segment of orphan delta frames would not decode) and
  // keep keyframe requests away from the camera: segment length follows the source's
  // keyframe interval.
  add_keyframe_gate(qsink.get(), /*drop_key_requests=*/true);

  gst::RequestPad tee_pad = attach_branch(s->pipeline(), input_.tee, bin.get());
  if (!tee_pad) return set_failed("cannot attach the HLS branch to the stream");  // the bin is out again
  bin_ = std::move(bin);
  tee_pad_ = std::move(tee_pad);
  state_ = State::running;
  started_ms_ = mono_now_ms();
  lg()->info("camera {}: HLS ({}{}) started in {} ({} s target, {} segments listed)", camera_id_,
             model::to_string(quality_), fmp4 ? ", fMP4" : "", dir_.string(), h.target_duration_s, h.playlist_length);
  if (keyframe) keyframe();  // the first segment can begin at once if the source obeys
  timer_ = s->loop().post_delayed(1000, [self = shared_from_this()] { self->idle_check(); });
}

void HlsOutput::idle_check() {
  timer_ = 0;
  if (state_ != State::running) return;
  const std::int64_t idle_ms = mono_now_ms() - last_touch_ms_.load();
  if (!cfg_.hls.always && idle_ms > std::int64_t(cfg_.hls.idle_stop_s) * 1000) return stop_idle();
  if (auto s = stream_.lock()) {
    timer_ = s->loop().post_delayed(1000, [self = shared_from_this()] { self->idle_check(); });
  }
}

void HlsOutput::stop_idle() {
  state_ = State::stopped;
  wake_all();
  auto s = stream_.lock();
  lg()->info("camera {}: HLS stopped ({} s without requests)", camera_id_, cfg_.hls.idle_stop_s);
  if (s) s->remove_output(kind_, this);
  if (s && s->pipeline() && s->tee() && bin_ && tee_pad_) {
    // The transcoder (if any) is let go once the branch is off its tee.
    detach_branch(s->loop(), s->pipeline(), std::move(tee_pad_), bin_.get(),
                  [key = dir_.filename().string(), gen = gen_, dir = dir_] { remove_dir_if_current(key, gen, dir); });
  } else {
    tee_pad_.release();  // not detached: give the pad back to the tee now
    remove_dir_if_current(dir_.filename().string(), gen_, dir_);
  }
  bin_.reset();  // detach_branch holds its own reference until the bin is out
  input_ = {};   // the sub transcoder lingers past the detach, then stops if unheld
}

void HlsOutput::on_stream_teardown() {
  if (auto s = stream_.lock(); s && timer_) s->loop().cancel(timer_);
  timer_ = 0;
  state_ = State::stopped;
  wake_all();
  // The pipeline is already NULL and about to go: the pad goes back to its tee, and the
  // bin's last reference is the pipeline's.
  tee_pad_.release();
  bin_.reset();
  input_ = {};
  remove_dir_if_current(dir_.filename().string(), gen_, dir_);
}

model::OutputFigures HlsOutput::figures() const {
  model::HlsFigures f;
  f.state = state_name(state_.load());
  f.requests = requests_.load();
  f.segments_written = segments_.load();
  f.dropped_buffers = dropped_.load();
  f.idle_s = double(mono_now_ms() - last_touch_ms_.load()) / 1000.0;
  f.always = cfg_.hls.always;
  f.playlist = "/streams/" + camera_id_ + "/hls/" +
               (format_ == HlsFormat::fmp4 ? "fmp4.m3u8" : quality_ == Quality::sub ? "index.m3u8?quality=sub" : "index.m3u8");
  if (auto e = error(); !e.empty()) f.error = e;
  return f;
}

std::shared_ptr<HlsOutput> hls_output(const std::shared_ptr<Stream>& stream, Quality quality, HlsFormat format) {
  if (format == HlsFormat::fmp4) quality = Quality::main;
  return get_or_create_output<HlsOutput>(stream, kind_of(quality, format), quality, format);
}

std::shared_ptr<HlsOutput> find_hls_output(const std::shared_ptr<Stream>& stream, Quality quality, HlsFormat format) {
  if (format == HlsFormat::fmp4) quality = Quality::main;
  return find_output<HlsOutput>(stream, kind_of(quality, format));
}

}  // namespace camrelay::media
