// HLS output: queue(leaky) → mpegtsmux → appsink → HlsSegmenter, on demand
// (include/camrelay/media/hls.hpp).
#include <gst/app/gstappsink.h>

#include <cmath>
#include <map>
#include <vector>

#include <fmt/format.h>

#include "camrelay/media/branch.hpp"
#include "camrelay/media/hls.hpp"
#include "camrelay/util/files.hpp"
#include "camrelay/util/ids.hpp"
#include "camrelay/util/log.hpp"
#include "hls_segmenter.hpp"
#include "output_util.hpp"

namespace camrelay::media {
namespace fs = std::filesystem;
namespace {
auto lg() {
  static auto l = log::get("hls");
  return l;
}
constexpr const char* kKind = "hls";
constexpr guint kQueueBuffers = 300;  // ~10 s at 30 fps: disk hiccups never stall the tee

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

}  // namespace

fs::path hls_root(const config::Config& cfg) { return fs::path(cfg.data_dir) / "hls"; }

fs::path hls_dir(const config::Config& cfg, const std::string& camera_id) {
  return hls_root(cfg) / camera_id;
}

void hls_clean_root(const config::Config& cfg) {
  std::error_code ec;
  fs::remove_all(hls_root(cfg), ec);
  if (ec) lg()->warn("cannot remove {}: {}", hls_root(cfg).string(), ec.message());
}

HlsOutput::HlsOutput(std::weak_ptr<Stream> stream, const config::Config& cfg, std::string camera_id)
    : stream_(std::move(stream)),
      cfg_(cfg),
      camera_id_(std::move(camera_id)),
      dir_(hls_dir(cfg, camera_id_)),
      gen_(next_generation(camera_id_)),
      last_touch_ms_(mono_now_ms()) {}

HlsOutput::~HlsOutput() {
  if (tee_pad_) gst_object_unref(tee_pad_);
  if (bin_) gst_object_unref(bin_);
}

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
  lg()->error("camera {}: HLS: {}", camera_id_, why);
  if (auto s = stream_.lock()) s->remove_output(kKind, this);
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
  std::error_code ec;
  fs::remove_all(dir_, ec);
  fs::create_directories(dir_, ec);
  if (ec) return set_failed(fmt::format("cannot create {}: {}", dir_.string(), ec.message()));

  const auto& h = cfg_.hls;
  bin_ = gst_bin_new(fmt::format("hls-{}", camera_id_).c_str());
  gst_object_ref_sink(bin_);
  GstElement* q = make_leaky_queue(nullptr, kQueueBuffers, &dropped_);
  GstElement* mux = gst_element_factory_make("mpegtsmux", nullptr);
  GstElement* sink = gst_element_factory_make("appsink", nullptr);
  if (!q || !mux || !sink) {
    for (GstElement* e : {q, mux, sink}) {
      if (e) gst_object_unref(gst_object_ref_sink(e));
    }
    return set_failed("GStreamer element 'mpegtsmux' or 'appsink' is missing (gstreamer1.0-plugins-bad/-base)");
  }
  // The muxer pushes each access unit as one buffer list ("all available packets").
  g_object_set(mux, "alignment", 0, nullptr);
  g_object_set(sink, "sync", FALSE, "async", FALSE, "emit-signals", FALSE, "drop", FALSE,
               "max-buffers", 300u, "enable-last-sample", FALSE, "buffer-list", TRUE, nullptr);
  auto seg = std::make_shared<HlsSegmenter>(
      HlsSegmenter::Options{dir_, h.target_duration_s, h.playlist_length, h.max_files});
  struct Ctx {
    std::weak_ptr<HlsOutput> out;
    std::shared_ptr<HlsSegmenter> seg;
    GstCaps* caps = nullptr;  // the caps whose stream headers the segmenter has
  };
  GstAppSinkCallbacks cbs{};
  cbs.new_sample = [](GstAppSink* as, gpointer ud) -> GstFlowReturn {
    auto* c = static_cast<Ctx*>(ud);
    GstSample* sample = gst_app_sink_pull_sample(as);
    if (!sample) return GST_FLOW_OK;
    GstCaps* caps = gst_sample_get_caps(sample);
    if (caps && caps != c->caps) {
      c->seg->set_headers(stream_headers(caps));
      gst_caps_replace(&c->caps, caps);
    }
    // One list per access unit (its TS packets): the segmenter sees whole units, so a
    // keyframe's PAT/PMT and its first video packet land in the same segment.
    GstBufferList* list = gst_sample_get_buffer_list(sample);
    GstBuffer* single = list ? nullptr : gst_sample_get_buffer(sample);
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
    if (!unit.empty() && c->seg->push(unit, pts, std::int64_t(g_get_monotonic_time()) * 1000)) {
      if (auto o = c->out.lock()) {
        o->segments_.store(c->seg->segments_written());
        o->publish(c->seg->playlist());
      }
    }
    gst_sample_unref(sample);
    return GST_FLOW_OK;
  };
  gst_app_sink_set_callbacks(GST_APP_SINK(sink), &cbs, new Ctx{weak_from_this(), seg, nullptr},
                             [](gpointer p) {
                               auto* c = static_cast<Ctx*>(p);
                               if (c->caps) gst_caps_unref(c->caps);
                               delete c;
                             });
  gst_bin_add_many(GST_BIN(bin_), q, mux, sink, nullptr);
  if (!gst_element_link_many(q, mux, sink, nullptr)) return set_failed("cannot link the HLS branch");
  GstPad* qsink = gst_element_get_static_pad(q, "sink");
  gst_element_add_pad(bin_, gst_ghost_pad_new("sink", qsink));
  // Start at a keyframe (a first segment of orphan delta frames would not decode) and
  // keep keyframe requests away from the camera: segment length follows the source's
  // keyframe interval.
  add_keyframe_gate(qsink, /*drop_key_requests=*/true);
  gst_object_unref(qsink);

  tee_pad_ = attach_branch(s->pipeline(), s->tee(), bin_);
  if (!tee_pad_) {
    gst_object_unref(bin_);
    bin_ = nullptr;
    return set_failed("cannot attach the HLS branch to the stream");
  }
  state_ = State::running;
  started_ms_ = mono_now_ms();
  lg()->info("camera {}: HLS started in {} ({} s target, {} segments listed)", camera_id_,
             dir_.string(), h.target_duration_s, h.playlist_length);
  s->request_keyframe();  // the first segment can begin at once if the source obeys
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
  if (s) s->remove_output(kKind, this);
  if (s && s->pipeline() && s->tee() && bin_ && tee_pad_) {
    detach_branch(s->loop(), s->pipeline(), s->tee(), tee_pad_, bin_,
                  [cam = camera_id_, gen = gen_, dir = dir_] { remove_dir_if_current(cam, gen, dir); });
    tee_pad_ = nullptr;  // detach_branch took it over
  } else {
    remove_dir_if_current(camera_id_, gen_, dir_);
  }
  if (bin_) {
    gst_object_unref(bin_);
    bin_ = nullptr;
  }
}

void HlsOutput::on_stream_teardown() {
  if (auto s = stream_.lock(); s && timer_) s->loop().cancel(timer_);
  timer_ = 0;
  state_ = State::stopped;
  wake_all();
  if (tee_pad_) {
    gst_object_unref(tee_pad_);
    tee_pad_ = nullptr;
  }
  if (bin_) {
    gst_object_unref(bin_);
    bin_ = nullptr;
  }
  remove_dir_if_current(camera_id_, gen_, dir_);
}

model::OutputFigures HlsOutput::figures() const {
  model::HlsFigures f;
  f.state = state_name(state_.load());
  f.requests = requests_.load();
  f.segments_written = segments_.load();
  f.dropped_buffers = dropped_.load();
  f.idle_s = double(mono_now_ms() - last_touch_ms_.load()) / 1000.0;
  f.always = cfg_.hls.always;
  f.playlist = "/streams/" + camera_id_ + "/hls/index.m3u8";
  if (auto e = error(); !e.empty()) f.error = e;
  return f;
}

std::shared_ptr<HlsOutput> hls_output(const std::shared_ptr<Stream>& stream) {
  return get_or_create_output<HlsOutput>(stream, kKind);
}

std::shared_ptr<HlsOutput> find_hls_output(const std::shared_ptr<Stream>& stream) {
  return find_output<HlsOutput>(stream, kKind);
}

}  // namespace camrelay::media
