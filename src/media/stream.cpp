#include "camrelay/media/stream.hpp"

#include <gst/gst.h>
#include <gst/video/video.h>

#include <fmt/format.h>

#include "camrelay/gst/callback.hpp"
#include "camrelay/gst/ptr.hpp"
#include "camrelay/media/hls.hpp"
#include "camrelay/util/error.hpp"
#include "camrelay/util/ids.hpp"
#include "camrelay/util/log.hpp"
#include "audio_util.hpp"
#include "source.hpp"
#include "video_codec.hpp"

namespace camrelay::media {
namespace {
auto lg() {
  static auto l = log::get("media");
  return l;
}
constexpr std::int64_t kKeyframeRequestMinIntervalMs = 500;
// Bounds of the last-GOP cache: 20 s at 30 fps, and what a high-bitrate camera sends in
// a few seconds. A longer GOP is not cached (viewers then wait for the next keyframe).
constexpr std::size_t kGopMaxBuffers = 600;
constexpr std::size_t kGopMaxBytes = 16u << 20;
}  // namespace

namespace {
// Makes `tee` never block (allow-not-linked) and gives it an always-present branch
// queue(leaky, `max_buffers`) → fakesink, so the stream runs with no output attached.
// Returns the queue (owned by `bin`).
GstElement* add_idle_branch(GstBin* bin, GstElement* tee, guint max_buffers) {
  g_object_set(tee, "allow-not-linked", TRUE, nullptr);
  auto q = gst::make_element("queue");
  g_object_set(q.get(), "leaky", 2 /*downstream*/, "max-size-buffers", max_buffers, "max-size-bytes", 0u,
               "max-size-time", guint64(0), nullptr);
  auto sink = gst::make_element("fakesink");
  g_object_set(sink.get(), "sync", FALSE, "async", FALSE, nullptr);
  gst_bin_add_many(bin, q.get(), sink.get(), nullptr);
  if (!gst_element_link(q.get(), sink.get())) throw Error(Errc::internal, "cannot link an idle branch");
  // Requested for the stream's whole life: the tee keeps it until the pipeline goes.
  auto src = gst::PadPtr::adopt(gst_element_request_pad_simple(tee, "src_%u"));
  if (!src || gst_pad_link(src.get(), gst::static_pad(q.get(), "sink").get()) != GST_PAD_LINK_OK) {
    throw Error(Errc::internal, "cannot link an idle branch to its tee");
  }
  return q.get();
}
}  // namespace

std::shared_ptr<Stream> Stream::create(gst::MainLoop& loop, const config::Config& cfg,
                                       const config::Camera& cam, StreamCallbacks cb) {
  return std::shared_ptr<Stream>(new Stream(loop, cfg, cam, std::move(cb)));
}

Stream::Stream(gst::MainLoop& loop, const config::Config& cfg, const config::Camera& cam,
               StreamCallbacks cb)
    : loop_(loop),
      cfg_(cfg),
      cam_(cam),
      camera_id_(cam.id),
      name_("cam-" + cam.id + "-" + random_id().substr(0, 6)),
      cb_(std::move(cb)) {}

Stream::~Stream() {
  // Normally stop() already tore everything down; this is a safety net that must not
  // touch state from a foreign thread, so it only logs.
  // (The holders drop what is left: element references, the bus watch, the GOP.)
  if (pipeline_) lg()->error("stream {} destroyed without stop()", name_);
}

void Stream::start() {
  loop_.post([self = shared_from_this()] { self->build_and_play(); });
}

void Stream::stop(std::function<void()> done) {
  loop_.post([self = shared_from_this(), done = std::move(done)] {
    self->teardown();
    if (done) done();
  });
}

void Stream::build_and_play() {
  try {
    pipeline_ = gst::ElementPtr::ref_sink(gst_pipeline_new(name_.c_str()));
    auto* bin = GST_BIN(pipeline_.get());

    // h264parse or h265parse, after the camera's codec.
    const VideoCodecNames& codec = video_codec_names(config::video_codec(cam_));
    auto parse = gst::make_element(codec.parse);
    g_object_set(parse.get(), "config-interval", -1, nullptr);  // (VPS/)SPS/PPS before every IDR
    auto caps = gst::make_element("capsfilter");
    gst::set_caps(caps.get(), codec.byte_stream_caps);
    auto tee = gst::make_element("tee", "tee");
    for (GstElement* e : {parse.get(), caps.get(), tee.get()}) gst_bin_add(bin, e);
    if (!gst_element_link_many(parse.get(), caps.get(), tee.get(), nullptr)) {
      throw Error(Errc::internal, "cannot link the stream core");
    }
    // The always-present branch keeps the stream live with no viewers.
    GstElement* q = add_idle_branch(bin, tee.get(), 8);
    tee_ = tee.get();
    video_in_ = parse.get();

    // Count real buffers entering the tee.
    gst::add_probe(
        gst::static_pad(tee_, "sink").get(),
        GstPadProbeType(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM), weak_from_this(),
        [](gst::Weak<Stream>& w, GstPad*, GstPadProbeInfo* info) -> GstPadProbeReturn {
          auto s = w.lock();
          if (!s) return GST_PAD_PROBE_OK;
          if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
            s->on_buffer(GST_PAD_PROBE_INFO_BUFFER(info));
            return GST_PAD_PROBE_OK;
          }
          switch (GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info))) {
            case GST_EVENT_CAPS: {
              GstCaps* caps = nullptr;
              gst_event_parse_caps(GST_PAD_PROBE_INFO_EVENT(info), &caps);
              s->on_caps(caps);
              s->clear_gop();  // new stream parameters: the old GOP does not fit them
              break;
            }
            case GST_EVENT_STREAM_START:
            case GST_EVENT_FLUSH_STOP:
            case GST_EVENT_SEGMENT:  // a rebuilt source (reconnect): start a fresh GOP
              s->clear_gop();
              break;
            default:
              break;
          }
          return GST_PAD_PROBE_OK;
        });
    // A dropped buffer counter on the leaky queue.
    gst::connect<void(GstElement*)>(q, "overrun", weak_from_this(), [](gst::Weak<Stream>& w, GstElement*) {
      if (auto s = w.lock()) s->dropped_.fetch_add(1, std::memory_order_relaxed);
    });

    audio_in_ = cam_.audio ? build_audio_core(bin) : nullptr;

    bus_watch_ = gst::BusWatch::attach(gst::BusPtr::adopt(gst_element_get_bus(pipeline_.get())).get(),
                                       loop_.context(), weak_from_this(),
                                       [](gst::Weak<Stream>& w, GstBus*, GstMessage* m) {
                                         if (auto s = w.lock()) s->on_bus_message(m);
                                       });

    bool source_ok = true;
    try {
      build_source();
    } catch (const Error& e) {
      if (e.code() == Errc::invalid_argument) throw;  // a configuration error: no retry
      source_ok = false;
      source_lost(e.what());  // not there yet (a device not plugged in, a port taken): retry
    }
    if (source_ok) lg()->info("camera {}: starting {} ({})", camera_id_, name_, source_->describe());
    if (gst_element_set_state(pipeline_.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
      // The bus usually carries the reason; give it a moment via the error message path.
      fail("pipeline refused to start (see log for the element error)");
    } else if (cfg_.hls.always) {
      hls_output(shared_from_this());  // HLS for as long as the stream runs
    }
  } catch (const std::exception& e) {
    fail(e.what());
  }
}

namespace {
// On the source bin's ghost src pads: EOS never enters the stream (its outputs would take
// nothing more; the source is rebuilt instead) and a rebuilt source continues the stream.
struct SourcePadProbe {
  std::shared_ptr<StreamContinuity> continuity;  // shared: the pad may outlive the Stream
  gst::Weak<Stream> stream;
  int source_number;  // which source bin's pad
};
}  // namespace

void Stream::build_source() {
  auto src = make_source(cfg_, cam_, input_feeds_);
  {
    std::weak_ptr<Stream> w = weak_from_this();
    SourceEvents ev;
    ev.reconnecting = [w](std::string why) {
      if (auto s = w.lock(); s && s->cb_.on_reconnecting) s->cb_.on_reconnecting(std::move(why));
    };
    ev.recovered = [w] {
      if (auto s = w.lock(); s && s->cb_.on_active) s->cb_.on_active();
    };
    ev.failed = [w](std::string why) {
      if (auto s = w.lock()) s->loop_.post([s, why] { s->fail(why); });
    };
    ev.stats = [w](model::SourceKindFigures f) {
      if (auto s = w.lock()) s->update_source_stats(std::move(f));
    };
    src->set_context(&loop_, std::move(ev));
    if (rtp_link_) src->set_rtp_link(rtp_link_);
  }
  const std::string bin_name = fmt::format("source-{}", ++source_counter_);
  auto bin = gst::ElementPtr::ref_sink(gst_bin_new(bin_name.c_str()));
  // identity → ghost pad → h264parse (and → "audio-in"): the source links inside its bin.
  auto add_out = [&](const char* name, const char* ghost,
                     const std::shared_ptr<StreamContinuity>& continuity) -> GstElement* {
    auto id = gst::make_element("identity", name);
    g_object_set(id.get(), "silent", TRUE, nullptr);
    gst_bin_add(GST_BIN(bin.get()), id.get());
    GstPad* gp = gst::add_ghost_pad(bin.get(), ghost, gst::static_pad(id.get(), "src").get());
    if (!gp) throw Error(Errc::internal, "cannot make the source's ghost pad");
    gst::add_probe(gp, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, SourcePadProbe{continuity, weak_from_this(), source_counter_},
                   [](SourcePadProbe& p, GstPad*, GstPadProbeInfo* info) -> GstPadProbeReturn {
                     GstEvent* ev = GST_PAD_PROBE_INFO_EVENT(info);
                     if (GST_EVENT_TYPE(ev) == GST_EVENT_EOS) {
                       if (auto s = p.stream.lock()) {
                         s->loop_.post([s, n = p.source_number] {
                           if (n == s->source_counter_ && s->source_bin_) {
                             s->source_lost("the source ended (end of stream)");
                           }
                         });
                       }
                       return GST_PAD_PROBE_DROP;
                     }
                     return continue_stream(ev, p.continuity->started, p.continuity->continuing);
                   });
    return id.get();
  };
  GstElement* vout = add_out("video-out", "video", video_continuity_);
  GstElement* aout = audio_in_ ? add_out("audio-out", "audio", audio_continuity_) : nullptr;
  gst_bin_add(GST_BIN(pipeline_.get()), bin.get());
  auto remove_bin = [&] {
    gst_element_set_locked_state(bin.get(), TRUE);
    gst_bin_remove(GST_BIN(pipeline_.get()), bin.get());
    gst_element_set_state(bin.get(), GST_STATE_NULL);
  };
  try {
    if (!gst_element_link_pads(bin.get(), "video", video_in_, "sink") ||
        (aout && !gst_element_link_pads(bin.get(), "audio", audio_in_, "sink"))) {
      throw Error(Errc::internal, "cannot link the source to the stream");
    }
    src->build(GST_BIN(bin.get()), vout, aout);
  } catch (...) {
    remove_bin();
    throw;
  }
  gop_enabled_ = !src->honours_keyframe_requests();
  source_ = std::move(src);
  source_bin_ = std::move(bin);
}

void Stream::drop_source() {
  if (source_retry_timer_) {
    loop_.cancel(source_retry_timer_);
    source_retry_timer_ = 0;
  }
  // Unlinked from h264parse and audio-in; stopped off the GLib thread.
  if (source_bin_) gst::remove_and_stop_async(GST_BIN(pipeline_.get()), std::move(source_bin_));
  source_.reset();
}

void Stream::source_lost(const std::string& why) {
  if (failed_ || !pipeline_) return;
  const bool first = !source_waiting_;
  drop_source();
  source_waiting_ = true;
  clear_gop();
  // Backoff 1 s → 30 s, ±20 % jitter (many sources lost at once do not retry in lockstep);
  // back to 1 s once frames flow again.
  source_backoff_ms_ = source_backoff_ms_ == 0 ? 1000 : std::min(30000u, source_backoff_ms_ * 2);
  const unsigned wait_ms = static_cast<unsigned>(source_backoff_ms_ * (0.8 + 0.4 * g_random_double()));
  {
    std::lock_guard lk(caps_mu_);
    source_stats_ = {};  // the dropped source's figures are stale
    source_restarts_++;
    source_error_ = why;
    next_attempt_unix_ms_ = unix_now_ms() + wait_ms;
  }
  lg()->warn("camera {}: source failed ({}); rebuilding it in {} ms", camera_id_, why, wait_ms);
  recovering_ = true;
  if (first && cb_.on_reconnecting) cb_.on_reconnecting(why);
  source_retry_timer_ = loop_.post_delayed(wait_ms, [w = weak_from_this()] {
    if (auto s = w.lock()) {
      s->source_retry_timer_ = 0;
      s->retry_source();
    }
  });
}

void Stream::retry_source() {
  if (failed_ || !pipeline_ || !source_waiting_) return;
  try {
    build_source();
  } catch (const std::exception& e) {
    return source_lost(e.what());
  }
  source_waiting_ = false;
  {
    std::lock_guard lk(caps_mu_);
    next_attempt_unix_ms_ = 0;
  }
  lg()->info("camera {}: source rebuilt ({})", camera_id_, source_->describe());
  // Same clock and base time as the running pipeline: the new source's timestamps continue
  // the stream's running time.
  gst_element_set_base_time(source_bin_.get(), gst_element_get_base_time(pipeline_.get()));
  if (auto clock = gst::Ptr<GstClock>::adopt(gst_element_get_clock(pipeline_.get()))) {
    gst_element_set_clock(source_bin_.get(), clock.get());
  }
  if (!gst_element_sync_state_with_parent(source_bin_.get())) source_lost("the rebuilt source refused to start");
}

// identity "audio-in" → tee "atee" (allow-not-linked) → queue (leaky) → fakesink, beside
// the video core. Sources link their depayloaded audio to audio-in's "sink" pad (a source
// bin that is replaced on reconnect relinks it); audio outputs hang off atee.
GstElement* Stream::build_audio_core(GstBin* bin) {
  auto in = gst::make_element("identity", "audio-in");
  auto atee = gst::make_element("tee", "atee");
  for (GstElement* e : {in.get(), atee.get()}) gst_bin_add(bin, e);
  if (!gst_element_link(in.get(), atee.get())) throw Error(Errc::internal, "cannot link the stream's audio core");
  add_idle_branch(bin, atee.get(), 16);
  atee_ = atee.get();

  gst::add_probe(
      gst::static_pad(atee_, "sink").get(),
      GstPadProbeType(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM),
      weak_from_this(), [](gst::Weak<Stream>& w, GstPad*, GstPadProbeInfo* info) -> GstPadProbeReturn {
        auto s = w.lock();
        if (!s) return GST_PAD_PROBE_OK;
        if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
          s->audio_packets_.fetch_add(1, std::memory_order_relaxed);
        } else if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
          s->audio_packets_.fetch_add(gst_buffer_list_length(GST_PAD_PROBE_INFO_BUFFER_LIST(info)),
                                      std::memory_order_relaxed);
        } else if (GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) == GST_EVENT_CAPS) {
          GstCaps* caps = nullptr;
          gst_event_parse_caps(GST_PAD_PROBE_INFO_EVENT(info), &caps);
          s->on_audio_caps(caps);
        }
        return GST_PAD_PROBE_OK;
      });
  return in.get();
}

void Stream::on_audio_caps(GstCaps* caps) {
  if (!caps || gst_caps_get_size(caps) == 0) return;
  const GstStructure* s = gst_caps_get_structure(caps, 0);
  int mpegversion = 0, rate = 0, channels = 0;
  gst_structure_get_int(s, "mpegversion", &mpegversion);
  std::string codec = audio::codec_of_caps(gst_structure_get_name(s), mpegversion);
  gst_structure_get_int(s, "rate", &rate);
  gst_structure_get_int(s, "channels", &channels);
  if (codec == "aac" && (rate == 0 || channels == 0)) {
    // rtpmp4gdepay gives only codec_data: read the AudioSpecificConfig.
    const GValue* v = gst_structure_get_value(s, "codec_data");
    if (v && G_VALUE_HOLDS(v, GST_TYPE_BUFFER)) {
      GstBuffer* cd = gst_value_get_buffer(v);
      GstMapInfo map;
      if (cd && gst_buffer_map(cd, &map, GST_MAP_READ)) {
        int r = 0, c = 0;
        if (audio::parse_aac_config(map.data, map.size, r, c)) {
          if (rate == 0) rate = r;
          if (channels == 0) channels = c;
        }
        gst_buffer_unmap(cd, &map);
      }
    }
  }
  if (rate == 0 && codec == "opus") rate = 48000;  // RFC 7587: always 48 kHz
  if (rate == 0 && (codec == "pcmu" || codec == "pcma")) rate = 8000;
  if (channels == 0 && (codec == "pcmu" || codec == "pcma")) channels = 1;
  if (codec.empty()) {
    lg()->warn("camera {}: unexpected audio caps {}", camera_id_, gst::take_string(gst_caps_to_string(caps)));
  }
  std::lock_guard lk(caps_mu_);
  if (codec != audio_codec_ || rate != audio_rate_ || channels != audio_channels_) {
    lg()->info("camera {}: audio {} {} Hz, {} channel(s)", camera_id_, codec.empty() ? "?" : codec, rate, channels);
  }
  audio_codec_ = std::move(codec);
  audio_rate_ = rate;
  audio_channels_ = channels;
}

AudioInfo Stream::audio_info() const {
  AudioInfo a;
  a.packets = audio_packets_.load(std::memory_order_relaxed);
  std::lock_guard lk(caps_mu_);
  a.codec = audio_codec_;
  a.clock_rate = audio_rate_;
  a.channels = audio_channels_;
  return a;
}

void Stream::teardown() {
  bus_watch_.reset();
  std::map<std::string, std::shared_ptr<Output>> outputs;
  {
    std::lock_guard lk(outputs_mu_);
    outputs_closed_ = true;
    outputs.swap(outputs_);
  }
  if (source_retry_timer_) {
    loop_.cancel(source_retry_timer_);
    source_retry_timer_ = 0;
  }
  if (pipeline_) gst_element_set_state(pipeline_.get(), GST_STATE_NULL);
  for (auto& [kind, o] : outputs) o->on_stream_teardown();
  source_bin_.reset();  // the pipeline (being released) owns the element itself
  video_in_ = audio_in_ = nullptr;
  if (pipeline_) {
    pipeline_.reset();
    tee_ = nullptr;
    atee_ = nullptr;
    lg()->info("camera {}: pipeline {} released", camera_id_, name_);
  }
  source_.reset();
  gop_enabled_ = false;
  clear_gop();
  {
    std::lock_guard lk(caps_mu_);
    audio_codec_.clear();
    audio_rate_ = audio_channels_ = 0;
  }
  audio_packets_ = 0;
}

void Stream::fail(const std::string& why) {
  if (failed_) return;
  failed_ = true;
  lg()->error("camera {}: {}", camera_id_, why);
  if (cb_.on_error) cb_.on_error(why);
}

void Stream::on_bus_message(GstMessage* msg) {
  switch (GST_MESSAGE_TYPE(msg)) {
    case GST_MESSAGE_ERROR: {
      if (source_ && source_->handle_error(msg)) return;
      const gst::MessageText e = gst::parse_error(msg);
      std::string text = fmt::format("{}: {}", GST_OBJECT_NAME(GST_MESSAGE_SRC(msg)), e.message);
      lg()->debug("camera {}: error detail: {}", camera_id_, e.debug);
      // An error inside one viewer's branch or a shared transcoder is theirs: the camera
      // and every other viewer go on.
      GstObject* const pipe = GST_OBJECT(pipeline_.get());
      for (GstObject* o = GST_MESSAGE_SRC(msg); o && o != pipe; o = GST_OBJECT_PARENT(o)) {
        const std::string name = GST_OBJECT_NAME(o) ? GST_OBJECT_NAME(o) : "";
        if (name.rfind("viewer-", 0) == 0 && GST_OBJECT_PARENT(o) == pipe) {
          lg()->warn("camera {}: viewer branch {} failed: {}", camera_id_, name, text);
          if (cb_.on_viewer_error) cb_.on_viewer_error(name.substr(7), text);
          return;
        }
        if (name.rfind("webrtc-", 0) == 0 && GST_OBJECT_PARENT(o) == pipe) {
          lg()->error("camera {}: transcoder {} failed: {} (its viewers get no more of that media)", camera_id_,
                      name, text);
          return;
        }
      }
      GstObject* branch = nullptr;  // the pipeline's child the error comes from
      GstObject* top = GST_MESSAGE_SRC(msg);
      for (GstObject* o = GST_MESSAGE_SRC(msg); o && o != pipe; o = GST_OBJECT_PARENT(o)) {
        if (source_bin_ && o == GST_OBJECT(source_bin_.get())) {
          source_lost(text);  // a device unplugged, a socket error: rebuild the source
          return;
        }
        if (GST_OBJECT_PARENT(o) == pipe) branch = o;
        top = o;
      }
      if (top != pipe && GST_OBJECT_PARENT(top) != pipe) {
        // Queued before its branch left the pipeline (a failed recording's muxer after its
        // file sink): that branch's owner has dealt with it already.
        lg()->debug("camera {}: error from a removed branch ignored: {}", camera_id_, text);
        return;
      }
      // An output's own branch (a recording's full disk): that output ends, the stream goes on.
      if (branch) {
        std::map<std::string, std::shared_ptr<Output>> outputs;
        {
          std::lock_guard lk(outputs_mu_);
          outputs = outputs_;
        }
        for (const auto& [kind, o] : outputs) {
          if (o->on_branch_error(branch, text)) return;
        }
        if (GST_IS_BIN(branch)) {
          // Any other output branch (the tee no longer feeds it: see branch.cpp): it ends,
          // the camera and every other output go on.
          lg()->error("camera {}: output branch {} failed: {}; the stream goes on", camera_id_,
                      GST_OBJECT_NAME(branch), text);
          return;
        }
      }
      fail(text);
      break;
    }
    case GST_MESSAGE_WARNING: {
      lg()->warn("camera {}: {}: {}", camera_id_, GST_OBJECT_NAME(GST_MESSAGE_SRC(msg)),
                 gst::parse_warning(msg).message);
      break;
    }
    case GST_MESSAGE_EOS:
      fail("source ended (end of stream)");
      break;
    default:
      break;
  }
}

void Stream::on_buffer(GstBuffer* buf) {
  const std::int64_t now = mono_now_ms();
  const auto size = gst_buffer_get_size(buf);
  frames_.fetch_add(1, std::memory_order_relaxed);
  if (!GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_DELTA_UNIT)) {
    keyframes_.fetch_add(1, std::memory_order_relaxed);
  }
  bytes_.fetch_add(size, std::memory_order_relaxed);
  last_ms_.store(now, std::memory_order_relaxed);
  if (window_start_ms_ == 0) window_start_ms_ = now;
  window_bytes_ += size;
  window_frames_++;
  if (now - window_start_ms_ >= 1000) {
    bitrate_kbps_.store(double(window_bytes_) * 8.0 / double(now - window_start_ms_),
                        std::memory_order_relaxed);
    fps_.store(double(window_frames_) * 1000.0 / double(now - window_start_ms_), std::memory_order_relaxed);
    window_frames_ = 0;
    window_start_ms_ = now;
    window_bytes_ = 0;
  }
  // A plain load first: no read-modify-write on every buffer of a running stream.
  if (recovering_.load(std::memory_order_relaxed) && recovering_.exchange(false)) {
    // Frames again after the source was rebuilt: the backoff starts over.
    loop_.post([w = weak_from_this()] {
      if (auto s = w.lock()) s->source_backoff_ms_ = 0;
    });
    if (active_sent_.load() && cb_.on_active) cb_.on_active();
  }
  if (!active_sent_.exchange(true)) {
    first_ms_.store(now);
    if (cb_.on_active) cb_.on_active();
  }
  if (gop_enabled_.load(std::memory_order_relaxed)) cache_gop(buf);
}

void Stream::cache_gop(GstBuffer* buf) {
  const bool key = !GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_DELTA_UNIT);
  std::vector<gst::BufferPtr> old;  // released outside the lock
  {
    std::lock_guard lk(gop_mu_);
    if (key) {
      old.swap(gop_);
      gop_bytes_ = 0;
      gop_overflow_ = false;
    } else if (gop_.empty() || gop_overflow_) {
      return;  // no keyframe to start from
    }
    gop_.push_back(gst::BufferPtr::ref(buf));
    gop_bytes_ += gst_buffer_get_size(buf);
    if (gop_.size() > kGopMaxBuffers || gop_bytes_ > kGopMaxBytes) {
      gop_overflow_ = true;
      for (auto& b : gop_) old.push_back(std::move(b));
      gop_.clear();
      gop_bytes_ = 0;
    }
  }
}

void Stream::clear_gop() {
  std::vector<gst::BufferPtr> old;  // released outside the lock
  {
    std::lock_guard lk(gop_mu_);
    old.swap(gop_);
    gop_bytes_ = 0;
    gop_overflow_ = false;
  }
}

std::vector<gst::BufferPtr> Stream::gop_snapshot() const {
  std::lock_guard lk(gop_mu_);
  return gop_;  // copies are new references
}

void Stream::on_caps(GstCaps* caps) {
  if (!caps || gst_caps_get_size(caps) == 0) return;
  const GstStructure* s = gst_caps_get_structure(caps, 0);
  std::lock_guard lk(caps_mu_);
  gst_structure_get_int(s, "width", &width_);
  gst_structure_get_int(s, "height", &height_);
  if (const char* p = gst_structure_get_string(s, "profile")) profile_ = p;
}

StreamStats Stream::stats() const {
  StreamStats s;
  s.frames = frames_.load(std::memory_order_relaxed);
  s.keyframes = keyframes_.load(std::memory_order_relaxed);
  s.bytes = bytes_.load(std::memory_order_relaxed);
  s.first_frame_mono_ms = first_ms_.load(std::memory_order_relaxed);
  s.last_frame_mono_ms = last_ms_.load(std::memory_order_relaxed);
  s.dropped_sink_buffers = dropped_.load(std::memory_order_relaxed);
  // A stalled source must not keep reporting its last rate.
  s.bitrate_kbps = (s.last_frame_mono_ms && mono_now_ms() - s.last_frame_mono_ms > 2000)
                       ? 0.0
                       : bitrate_kbps_.load(std::memory_order_relaxed);
  s.fps = s.bitrate_kbps == 0.0 ? 0.0 : fps_.load(std::memory_order_relaxed);
  std::lock_guard lk(caps_mu_);
  s.width = width_;
  s.height = height_;
  s.profile = profile_;
  return s;
}

void Stream::set_target_bitrate(int kbps) {
  loop_.post([self = shared_from_this(), kbps] {
    if (self->source_ && self->pipeline_) self->source_->set_target_bitrate(kbps);
  });
}

model::SourceFigures Stream::source_figures() const {
  model::SourceFigures f;
  {
    std::lock_guard lk(caps_mu_);
    f.source = source_stats_;
    f.restarts = source_restarts_;
    f.next_attempt_unix_ms = next_attempt_unix_ms_;
    f.last_error = source_error_;
  }
  std::map<std::string, std::shared_ptr<Output>> outputs;
  {
    std::lock_guard lk(outputs_mu_);
    outputs = outputs_;
  }
  for (const auto& [kind, o] : outputs) f.outputs.push_back({kind, o->figures()});
  return f;
}

std::shared_ptr<Output> Stream::output(const std::string& kind,
                                       const std::function<std::shared_ptr<Output>()>& make) {
  std::lock_guard lk(outputs_mu_);
  if (outputs_closed_) return nullptr;
  if (auto it = outputs_.find(kind); it != outputs_.end()) return it->second;
  auto o = make();
  if (o) outputs_.emplace(kind, o);
  return o;
}

void Stream::remove_output(const std::string& kind, const Output* o) {
  std::lock_guard lk(outputs_mu_);
  auto it = outputs_.find(kind);
  if (it != outputs_.end() && it->second.get() == o) outputs_.erase(it);
}

void Stream::restart_source(std::string why) {
  loop_.post([w = weak_from_this(), why = std::move(why)] {
    if (auto s = w.lock(); s && !s->source_waiting_) s->source_lost(why);
  });
}

void Stream::request_keyframe() {
  // At most one request per interval; a request inside the interval is not dropped but
  // deferred to its end (a browser's PLI right after the join request must still count).
  const std::int64_t now = mono_now_ms();
  const std::int64_t last = last_keyframe_request_ms_.load();
  const std::int64_t wait = last + kKeyframeRequestMinIntervalMs - now;
  if (wait > 0) {
    if (keyframe_pending_.exchange(true)) return;
    loop_.post_delayed(static_cast<unsigned>(wait), [self = shared_from_this()] {
      self->keyframe_pending_ = false;
      self->request_keyframe();
    });
    return;
  }
  last_keyframe_request_ms_.store(now);
  loop_.post([self = shared_from_this()] {
    if (!self->tee_) return;
    // No SSRC/stream identity: upstream this becomes an encoder keyframe, or a FIR/PLI
    // that rtpbin addresses to the camera's SSRC (docs/mqtt.md, "REMB").
    gst_pad_push_event(gst::static_pad(self->tee_, "sink").get(),  // takes the event
                       gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 0));
  });
}

}  // namespace camrelay::media
