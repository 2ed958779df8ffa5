// RTSP camera: rtspsrc → rtph264depay (rtph265depay: rtsp.codec H265), linked to the
// stream's h264parse (h265parse); with audio on, the camera's first supported audio track →
// its depayloader (rtpmp4gdepay, rtpmp4adepay, rtppcmudepay, rtppcmadepay, rtpopusdepay) →
// the stream's "audio-in".
//
// The source part lives in its own bin ("rtspbin-N"). When the camera is lost (error,
// EOS, or no data for kStallMs) only that bin is replaced; h264parse, the tee and every
// attached output stay, so viewers resume when the camera returns. Retries back off
// 1 s, 2 s, 4 s ... 30 s. Credentials go to rtspsrc as user-id/user-pw, never in the
// location, so no URL we log or report contains them.
#include <gst/rtsp/gstrtsp.h>

#include <algorithm>
#include <atomic>

#include <fmt/format.h>

#include "camrelay/gst/callback.hpp"
#include "camrelay/gst/ptr.hpp"
#include "camrelay/util/error.hpp"
#include "camrelay/util/ids.hpp"
#include "camrelay/util/log.hpp"
#include "audio_util.hpp"
#include "rtsp_url.hpp"
#include "source.hpp"
#include "video_codec.hpp"

namespace camrelay::media {
namespace {
auto lg() {
  static auto l = log::get("rtsp");
  return l;
}
constexpr std::int64_t kStallMs = 5000;         // no buffer for this long while flowing: lost
constexpr std::int64_t kConnectTimeoutMs = 10000;  // (re)connect must bring a buffer by then
constexpr unsigned kFirstBackoffMs = 1000;
constexpr unsigned kMaxBackoffMs = 30000;
constexpr const char* kBinPrefix = "rtspbin-";

// The "rtspbin-N" ancestor name of a message source, or "" if it has none.
std::string bin_of(GstObject* o) {
  for (GstObject* p = o; p; p = GST_OBJECT_PARENT(p)) {
    const char* n = GST_OBJECT_NAME(p);
    if (n && g_str_has_prefix(n, kBinPrefix)) return n;
  }
  return {};
}

class RtspSource;

// Shared with callbacks from streaming threads (weak) and posted GLib work (strong).
struct Core : std::enable_shared_from_this<Core> {
  enum class Phase { connecting, flowing, waiting, failed };

  RtspUrl url;
  config::RtspSource cfg;
  std::string camera_id;
  gst::MainLoop* loop = nullptr;
  SourceEvents events;
  GstBin* pipe = nullptr;     // borrowed: the stream's pipeline (alive while we are built)
  GstElement* parse = nullptr;  // borrowed: the stream's h264parse
  GstElement* audio_in = nullptr;  // borrowed: the stream's "audio-in" (nullptr: audio off)
  gst::ElementPtr bin;          // the current source bin (empty while waiting)
  std::string bin_name;
  int bin_counter = 0;
  Phase phase = Phase::connecting;
  bool ever_flowed = false;
  bool reconnecting = false;  // reported reconnecting, not recovered yet
  bool dead = false;
  unsigned backoff_ms = kFirstBackoffMs;
  std::int64_t phase_since_ms = 0;
  guint watchdog = 0, retry_timer = 0;
  std::uint64_t reconnects = 0;
  std::int64_t next_retry_unix_ms = 0;  // when the next attempt starts (while waiting)
  std::string last_error;
  std::string codec;
  // Written by streaming threads.
  std::atomic<std::int64_t> last_buffer_ms{0};
  std::atomic<std::uint64_t> buffers{0};
  std::atomic<bool> flow_reported{false};  // first buffer of the current bin was posted
  std::atomic<bool> video_started{false};     // h264parse has had a stream-start (any bin)
  std::atomic<bool> video_continuing{false};  // the current bin's video continues an earlier one
  std::atomic<bool> audio_started{false};  // audio-in has had a stream-start (any bin)
  std::atomic<bool> audio_continuing{false};  // the current bin's audio continues an earlier one
  std::atomic<bool> audio_selected{false};    // the current bin set up an audio track
  bool audio_refused = false;  // the camera failed with its audio track: video only from now on
  std::string audio_encoding;              // GLib thread: the relayed audio track ("" = none)

  void publish() {
    if (!events.stats) return;
    model::RtspFigures f;
    f.url = url.masked();
    f.transport = cfg.transport;
    f.latency_ms = cfg.latency_ms;
    f.connected = phase == Phase::flowing;
    f.reconnects = reconnects;
    if (!audio_encoding.empty()) f.audio_encoding = audio_encoding;
    if (phase == Phase::waiting) f.next_attempt_unix_ms = next_retry_unix_ms;
    if (!last_error.empty()) f.last_error = last_error;
    events.stats(std::move(f));
  }

  void build_bin() {
    bin_name = fmt::format("{}{}", kBinPrefix, ++bin_counter);
    // Ours until the pipeline has it: a throw before then (a missing element, a failed
    // link) drops the bin with everything in it, the signal handlers' data included.
    auto b = gst::ElementPtr::ref_sink(gst_bin_new(bin_name.c_str()));
    auto src = gst::make_element("rtspsrc");
    const VideoCodecNames& codec_names = video_codec_names(cfg.codec);
    auto depay = gst::make_element(codec_names.depay, "depay");
    auto avc = gst::make_element("capsfilter");
    gst::set_caps(avc.get(), codec_names.depayed_caps);
    g_object_set(src.get(), "location", url.location().c_str(), "latency", guint(cfg.latency_ms),
                 "drop-on-latency", TRUE, "tcp-timeout", guint64(5'000'000), "teardown-timeout",
                 guint64(100 * GST_MSECOND), "user-agent", "camrelay", nullptr);
    // The camera's RTP timestamps, not arrival times (see rtp_source.cpp).
    gst_util_set_object_arg(G_OBJECT(src.get()), "buffer-mode", "none");
    if (url.has_credentials) {
      g_object_set(src.get(), "user-id", url.username.c_str(), "user-pw", url.password.c_str(), nullptr);
    }
    const char* protocols = cfg.transport == "tcp"   ? "tcp"
                            : cfg.transport == "udp" ? "udp"
                                                     : "udp+udp-mcast+tcp";
    gst_util_set_object_arg(G_OBJECT(src.get()), "protocols", protocols);
    if (cfg.transport != "tcp") g_object_set(src.get(), "timeout", guint64(5'000'000), nullptr);

    gst_bin_add_many(GST_BIN(b.get()), src.get(), depay.get(), avc.get(), nullptr);  // the bin adds its own refs
    if (!gst_element_link(depay.get(), avc.get())) throw Error(Errc::internal, std::string("rtsp source: cannot link ") + codec_names.depay);
    // Set up the video and, with audio on, the first audio track we can depayload; skip
    // everything else (one log line per skipped track). The handler's own state (shared:
    // it holds an atomic), with the core referenced weakly.
    struct Select {
      std::string camera_id;
      bool want_audio = false;
      gst::Weak<Core> core;
      std::atomic<bool> audio_taken{false};
    };
    audio_selected = false;
    auto sel = std::make_shared<Select>();
    sel->camera_id = camera_id;
    sel->want_audio = audio_in != nullptr && !audio_refused;
    sel->core = weak_from_this();
    gst::connect<gboolean(GstElement*, guint, GstCaps*)>(
        src.get(), "select-stream", std::move(sel),
        [](std::shared_ptr<Select>& sel, GstElement*, guint num, GstCaps* caps) -> gboolean {
          const GstStructure* s = gst_caps_get_structure(caps, 0);
          const char* media = gst_structure_get_string(s, "media");
          if (media && g_str_equal(media, "video")) return TRUE;
          const char* enc = gst_structure_get_string(s, "encoding-name");
          const std::string encoding = enc ? enc : "?";
          if (!media || !g_str_equal(media, "audio")) {
            lg()->info("camera {}: skipping RTSP stream {} ({} {})", sel->camera_id, num, media ? media : "?", encoding);
            return FALSE;
          }
          if (!sel->want_audio) {
            lg()->info("camera {}: skipping RTSP audio stream {} ({}): audio is off for this camera", sel->camera_id,
                       num, encoding);
            return FALSE;
          }
          if (!audio::depayloader_for(encoding)) {
            lg()->info("camera {}: skipping RTSP audio stream {} ({}): only AAC (MPEG4-GENERIC, MP4A-LATM), PCMU, "
                       "PCMA and OPUS are relayed",
                       sel->camera_id, num, encoding);
            return FALSE;
          }
          if (sel->audio_taken.exchange(true)) {
            lg()->info("camera {}: skipping RTSP audio stream {} ({}): one audio track is relayed already",
                       sel->camera_id, num, encoding);
            return FALSE;
          }
          if (auto core = sel->core.lock()) {
            core->audio_selected = true;
            // Known from the SDP, before any media flows (a recorder starting with the first
            // video frame waits for this track's audio).
            core->loop->post([core, encoding] {
              if (core->dead) return;
              core->audio_encoding = encoding;
              core->publish();
            });
          }
          return TRUE;
        });
    gst::connect<void(GstElement*, GstPad*)>(src.get(), "pad-added", gst::Weak<Core>(weak_from_this()),
                                             [](gst::Weak<Core>& w, GstElement*, GstPad* pad) {
                                               if (auto core = w.lock()) core->on_pad_added(pad);
                                             });

    // Watch the data: count buffers, turn EOS into a loss (it must never reach the tee:
    // a sink that got EOS accepts nothing more).
    gst::add_probe(
        gst::static_pad(depay.get(), "src").get(),
        GstPadProbeType(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM),
        gst::Weak<Core>(weak_from_this()),
        [](gst::Weak<Core>& w, GstPad*, GstPadProbeInfo* info) -> GstPadProbeReturn {
          auto core = w.lock();
          if (!core) return GST_PAD_PROBE_OK;
          if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
            core->last_buffer_ms.store(mono_now_ms(), std::memory_order_relaxed);
            core->buffers.fetch_add(1, std::memory_order_relaxed);
            if (!core->flow_reported.exchange(true)) {
              core->loop->post([core] { core->on_flowing(); });
            }
            return GST_PAD_PROBE_OK;
          }
          GstEvent* ev = GST_PAD_PROBE_INFO_EVENT(info);
          switch (GST_EVENT_TYPE(ev)) {
            case GST_EVENT_EOS:
              core->loop->post([core] { core->lost("the camera ended the stream (EOS)"); });
              return GST_PAD_PROBE_DROP;
            // A replacement source continues the same stream in the same running time:
            // downstream keeps the first source's stream-start and segment (a new
            // segment/stream in mid-flight stalls muxers such as hlssink2's mpegtsmux).
            // "First" is the first bin whose video got that far (not necessarily bin 1: a
            // bin can fail before its first pad, e.g. retried without its audio track).
            default:
              return continue_stream(ev, core->video_started, core->video_continuing);
          }
        });
    gst::add_ghost_pad(b.get(), "src", gst::static_pad(avc.get(), "src").get());

    // Audio leaves the bin through "audio_src", targeted at the depayloader once rtspsrc
    // exposes the camera's audio track (see link_audio).
    gst::PadPtr aghost;
    if (audio_in) {
      // Held sunk: the bin takes its own reference (one it refused would be dropped here).
      aghost = gst::PadPtr::ref_sink(gst_ghost_pad_new_no_target("audio_src", GST_PAD_SRC));
      gst_element_add_pad(b.get(), aghost.get());
    }

    flow_reported = false;
    audio_encoding.clear();  // shown again once this bin's audio track is linked
    gst_bin_add(pipe, b.get());  // the pipeline takes its own reference
    // A bin that cannot be linked leaves the pipeline again (it never ran); `bin` stays empty.
    auto remove_bin = [&] {
      gst_element_set_locked_state(b.get(), TRUE);
      gst_bin_remove(pipe, b.get());
      gst_element_set_state(b.get(), GST_STATE_NULL);
      bin_name.clear();
    };
    if (!gst_element_link(b.get(), parse)) {
      remove_bin();
      throw Error(Errc::internal, fmt::format("rtsp source: cannot link {} to {}", codec_names.depay, codec_names.parse));
    }
    if (aghost) {
      // The previous bin (reconnect) was unlinked when it was removed from the pipeline.
      const GstPadLinkReturn r =
          gst_pad_link_full(aghost.get(), gst::static_pad(audio_in, "sink").get(), GST_PAD_LINK_CHECK_NOTHING);
      if (r != GST_PAD_LINK_OK) {
        remove_bin();
        throw Error(Errc::internal, "rtsp source: cannot link the audio pad to audio-in");
      }
    }
    bin = std::move(b);
    phase = Phase::connecting;
    phase_since_ms = mono_now_ms();
  }

  // rtspsrc exposed a stream (streaming thread): video → the bin's "depay"; audio → a new
  // depayloader (link_audio); video in another codec fails the source.
  void on_pad_added(GstPad* pad) {
    std::string encoding;
    bool is_audio = false;
    {
      auto caps = gst::CapsPtr::adopt(gst_pad_get_current_caps(pad));
      if (!caps) caps = gst::CapsPtr::adopt(gst_pad_query_caps(pad, nullptr));
      const GstStructure* s = gst_caps_get_structure(caps.get(), 0);
      const char* enc = gst_structure_get_string(s, "encoding-name");
      const char* media = gst_structure_get_string(s, "media");
      encoding = enc ? enc : "?";
      is_audio = media && g_str_equal(media, "audio");
    }
    // rtspsrc, and the "rtspbin-N" it sits in.
    auto parent = gst::ElementPtr::adopt(GST_ELEMENT(gst_object_get_parent(GST_OBJECT(pad))));
    const std::string owner = parent ? bin_of(GST_OBJECT(parent.get())) : "";
    auto self = shared_from_this();
    if (is_audio) {
      // Linked here and now (a pad left unlinked would stop rtspsrc with not-linked).
      auto b = parent ? gst::ElementPtr::adopt(GST_ELEMENT(gst_object_get_parent(GST_OBJECT(parent.get()))))
                      : gst::ElementPtr();
      const bool ok = b && link_audio(GST_BIN(b.get()), pad, encoding);
      loop->post([core = std::move(self), encoding, owner, ok] {
        if (core->dead || owner != core->bin_name) return;
        if (ok) {
          lg()->info("camera {}: relaying the camera's {} audio", core->camera_id, encoding);
          core->audio_encoding = encoding;
        } else {
          lg()->warn("camera {}: cannot set up the camera's {} audio; video only", core->camera_id, encoding);
          core->audio_encoding.clear();
        }
        core->publish();
      });
      return;
    }
    if (encoding != cfg.codec) {
      loop->post([core = std::move(self), encoding, owner] {
        if (core->dead || owner != core->bin_name) return;
        core->codec = encoding;
        core->fail_now(encoding == "H264" || encoding == "H265"
                           ? fmt::format("the camera sends {} video but the camera's source.codec is {}: set "
                                         "source.codec to \"{}\"",
                                         encoding, core->cfg.codec, encoding)
                           : fmt::format("the camera sends {} video; only H264 and H265 are supported", encoding));
      });
      return;
    }
    if (!parent) return;
    if (auto b = gst::ElementPtr::adopt(GST_ELEMENT(gst_object_get_parent(GST_OBJECT(parent.get()))))) {
      if (auto d = gst::ElementPtr::adopt(gst_bin_get_by_name(GST_BIN(b.get()), "depay"))) {
        gst::PadPtr sink = gst::static_pad(d.get(), "sink");
        if (!gst_pad_is_linked(sink.get())) gst_pad_link(pad, sink.get());
      }
    }
  }

  // rtspsrc's audio pad → a new depayloader in `b` → the bin's "audio_src" ghost pad
  // (linked to the stream's audio-in). Streaming thread (rtspsrc's pad-added).
  bool link_audio(GstBin* b, GstPad* pad, const std::string& encoding) {
    const char* factory = audio::depayloader_for(encoding);
    gst::PadPtr ghost = gst::static_pad(GST_ELEMENT(b), "audio_src");
    if (!factory || !ghost) return false;
    // Not make_element: a missing depayloader costs the audio only (and no throw on a
    // streaming thread).
    gst::ElementPtr depay = gst::try_make_element(factory);
    if (!depay) {
      lg()->warn("camera {}: GStreamer element {} is missing", camera_id, factory);
      return false;
    }
    gst_bin_add(b, depay.get());
    gst::PadPtr dsink = gst::static_pad(depay.get(), "sink");
    gst::PadPtr dsrc = gst::static_pad(depay.get(), "src");
    gst::add_probe(dsrc.get(), GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, gst::Weak<Core>(weak_from_this()),
                   [](gst::Weak<Core>& w, GstPad*, GstPadProbeInfo* info) -> GstPadProbeReturn {
                     auto core = w.lock();
                     return core ? core->on_audio_event(info) : GST_PAD_PROBE_OK;
                   });
    bool ok = gst_ghost_pad_set_target(GST_GHOST_PAD(ghost.get()), dsrc.get());
    gst_element_sync_state_with_parent(depay.get());
    ok = ok && gst_pad_link(pad, dsink.get()) == GST_PAD_LINK_OK;
    return ok;
  }

  // Events leaving the audio depayloader: EOS never reaches audio-in (its branches would
  // take nothing more); a replacement bin continues the first one's stream (as for video).
  // Audio buffers are not watched: a camera whose audio stops keeps its video going.
  GstPadProbeReturn on_audio_event(GstPadProbeInfo* info) {
    GstEvent* ev = GST_PAD_PROBE_INFO_EVENT(info);
    switch (GST_EVENT_TYPE(ev)) {
      case GST_EVENT_EOS:
        return GST_PAD_PROBE_DROP;
      default:
        return continue_stream(ev, audio_started, audio_continuing);
    }
  }

  // Removes the current bin from the running pipeline. rtspsrc may take a while to stop
  // (TEARDOWN to a dead camera), so its NULL transition runs on a GStreamer worker thread.
  void drop_bin() {
    if (!bin) return;
    bin_name.clear();
    gst::remove_and_stop_async(pipe, std::move(bin));  // unlinks it from h264parse
  }

  void on_flowing() {
    if (dead || phase == Phase::failed || !bin) return;
    if (phase == Phase::connecting) {
      phase = Phase::flowing;
      phase_since_ms = mono_now_ms();
      ever_flowed = true;
      backoff_ms = kFirstBackoffMs;
      if (reconnecting) {
        reconnecting = false;
        lg()->info("camera {}: {} is back (after {} reconnect attempt(s))", camera_id, url.masked(),
                   reconnects);
        if (events.recovered) events.recovered();
      }
      publish();
    }
  }

  void fail_now(const std::string& why) {
    if (phase == Phase::failed) return;
    phase = Phase::failed;
    last_error = why;
    publish();
    if (events.failed) events.failed(why);
  }

  // The camera is gone or not reachable (GLib thread): retry with backoff for as long as
  // the stream runs, also when it never answered since the start (a camera that boots
  // slower than the server after a power cut). Wrong credentials (401) and a wrong path
  // (404 before any frame) are configuration errors and fail at once instead.
  void lost(const std::string& why) {
    if (dead || phase == Phase::failed || phase == Phase::waiting) {
      if (phase == Phase::waiting) last_error = why;
      return;
    }
    last_error = why;
    if (!ever_flowed && audio_selected && !audio_refused) {
      // Some cameras (and gst-rtsp-server's shared media) refuse the SETUP of an audio
      // track, or never send once it is set up: the video must not be lost with it.
      audio_refused = true;
      lg()->warn("camera {}: {} failed with its audio track ({}); trying again video only", camera_id, url.masked(),
                 why);
      drop_bin();
      phase = Phase::waiting;
      phase_since_ms = mono_now_ms();
      retry_timer = loop->post_delayed(0, [self = shared_from_this()] { self->retry(); });
      return;
    }
    drop_bin();
    phase = Phase::waiting;
    phase_since_ms = mono_now_ms();
    reconnects++;
    // Jitter (±20 %): many cameras lost at once (a switch reboot) do not retry in lockstep.
    const unsigned wait_ms = static_cast<unsigned>(backoff_ms * (0.8 + 0.4 * g_random_double()));
    next_retry_unix_ms = unix_now_ms() + wait_ms;
    lg()->warn("camera {}: {} {} ({}); retrying in {} ms", camera_id, url.masked(),
               ever_flowed ? "lost" : "not reachable", why, wait_ms);
    reconnecting = true;
    if (events.reconnecting) events.reconnecting(url.masked() + ": " + why);
    publish();
    retry_timer = loop->post_delayed(wait_ms, [self = shared_from_this()] { self->retry(); });
    backoff_ms = std::min(kMaxBackoffMs, backoff_ms * 2);
  }

  void retry() {
    retry_timer = 0;
    if (dead || phase != Phase::waiting) return;
    try {
      build_bin();
      // Same clock and base time as the running pipeline, so the new source's timestamps
      // continue the stream's running time (muxers and synced sinks depend on it).
      gst_element_set_base_time(bin.get(), gst_element_get_base_time(GST_ELEMENT(pipe)));
      if (auto clock = gst::Ptr<GstClock>::adopt(gst_element_get_clock(GST_ELEMENT(pipe)))) {
        gst_element_set_clock(bin.get(), clock.get());
      }
      if (!gst_element_sync_state_with_parent(bin.get())) {
        lost("cannot restart the RTSP source");
      }
    } catch (const std::exception& e) {
      fail_now(e.what());
    }
  }

  void tick() {
    watchdog = 0;
    if (dead) return;
    watchdog = loop->post_delayed(1000, [self = shared_from_this()] { self->tick(); });
    const std::int64_t now = mono_now_ms();
    if (phase == Phase::flowing && now - last_buffer_ms.load() > kStallMs) {
      lost(fmt::format("no data for {} s", kStallMs / 1000));
    } else if (phase == Phase::connecting && now - phase_since_ms > kConnectTimeoutMs) {
      lost(fmt::format("no data within {} s of connecting", kConnectTimeoutMs / 1000));
    }
  }

  bool handle_error(GstMessage* msg) {
    const std::string owner = bin_of(GST_MESSAGE_SRC(msg));
    if (owner.empty()) return false;  // not ours
    if (owner != bin_name) return true;  // a bin we already replaced: ignore
    const gst::MessageText e = gst::parse_error(msg);
    const std::string& text = e.message;
    const bool unauthorized = (e.domain == GST_RESOURCE_ERROR && e.code == GST_RESOURCE_ERROR_NOT_AUTHORIZED) ||
                              text.find("Unauthorized") != std::string::npos ||
                              e.debug.find("(401)") != std::string::npos;
    const bool not_found = text.find("Not Found") != std::string::npos || e.debug.find("(404)") != std::string::npos;
    lg()->debug("camera {}: rtspsrc error: {} ({})", camera_id, text, e.debug.empty() ? "" : mask_rtsp_url(e.debug));
    if (unauthorized) {
      fail_now(fmt::format("unauthorized: wrong RTSP credentials for {} (401)", url.masked()));
    } else if (not_found && !ever_flowed) {
      fail_now(fmt::format("{}: no such stream on the camera (404): check the path", url.masked()));
    } else {
      lost(text);
    }
    return true;
  }

  void shutdown() {
    dead = true;
    if (watchdog) loop->cancel(watchdog);
    if (retry_timer) loop->cancel(retry_timer);
    watchdog = retry_timer = 0;
    bin.reset();  // the pipeline (being released) owns the element itself
  }
};

class RtspSource final : public Source {
 public:
  RtspSource(const config::Camera& cam, const config::RtspSource& c) : core_(std::make_shared<Core>()) {
    core_->cfg = c;
    core_->url = resolve_rtsp_source(c);
    core_->camera_id = cam.id;
    if (!c.url.empty() && !parse_rtsp_url(c.url)) {
      throw Error(Errc::invalid_argument,
                  "camera '" + cam.id + "': source.url is not a valid rtsp:// URL (" + mask_rtsp_url(c.url) + ")");
    }
  }
  ~RtspSource() override { core_->shutdown(); }

  void build(GstBin* pipe, GstElement* sink, GstElement* audio_sink) override {
    core_->loop = loop_;
    core_->events = events_;
    core_->pipe = pipe;
    core_->parse = sink;
    core_->audio_in = audio_sink;
    core_->build_bin();
    core_->publish();
    core_->watchdog = loop_->post_delayed(1000, [c = core_] { c->tick(); });
  }

  bool handle_error(GstMessage* msg) override { return core_->handle_error(msg); }

  std::string describe() const override {
    return fmt::format("rtsp {} ({}, latency {} ms)", core_->url.masked(), core_->cfg.transport,
                       core_->cfg.latency_ms);
  }

 private:
  std::shared_ptr<Core> core_;
};

}  // namespace

std::unique_ptr<Source> make_rtsp_source(const config::Config&, const config::Camera& cam,
                                        const config::RtspSource& c) {
  config::RtspSource with_latency = c;
  with_latency.latency_ms = config::jitter_buffer_ms(cam);  // the camera's latency_mode, if set
  return std::make_unique<RtspSource>(cam, with_latency);
}

}  // namespace camrelay::media
