#pragma once
// A camera source: adds its elements to its own bin (made by the Stream inside the
// pipeline) and links its H.264 output to `sink` and, if it has any and `audio_sink` is
// given, its depayloaded audio to `audio_sink` (two identity elements in the same bin
// whose ghost pads feed the stream's h264parse and "audio-in"), now or later (dynamic
// pads). Runs on the GLib thread. A source that fails (a build error other than a
// configuration error, an element error it does not handle, end of stream) is dropped
// with its bin and built anew with backoff by the Stream (stream.cpp), so every source
// type retries while its camera is wanted.
// One implementation per file: test_source.cpp, rtp_source.cpp, rtsp_source.cpp,
// v4l2_source.cpp, composite_source.cpp; make_source() in source_factory.cpp picks by config type.
#include <gst/gst.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "camrelay/model/source_figures.hpp"
#include "camrelay/config/config.hpp"
#include "camrelay/gst/main_loop.hpp"
#include "camrelay/media/rtp_link.hpp"
#include "camrelay/model/input_feeds.hpp"

namespace camrelay::media {

// The caps between an RTP source's depayloader and the stream's parser (avc/hvc1, and why):
// VideoCodecNames::depayed_caps in video_codec.hpp.

// A replacement source (a reconnected RTSP bin, a rebuilt source after a failure)
// continues the same stream in the same running time: downstream keeps the first
// source's stream-start and segment (a new segment/stream in mid-flight stalls muxers
// such as mpegtsmux). `started`: a stream-start got through already (from any source);
// `continuing`: the current source's events are to be dropped. Other events pass.
// For a pad probe on the source's output (streaming thread).
inline GstPadProbeReturn continue_stream(GstEvent* ev, std::atomic<bool>& started, std::atomic<bool>& continuing) {
  switch (GST_EVENT_TYPE(ev)) {
    case GST_EVENT_STREAM_START: {
      const bool c = started.exchange(true);
      continuing = c;
      return c ? GST_PAD_PROBE_DROP : GST_PAD_PROBE_OK;
    }
    case GST_EVENT_SEGMENT: {
      if (!continuing) return GST_PAD_PROBE_OK;
      const GstSegment* seg = nullptr;
      gst_event_parse_segment(ev, &seg);
      return seg->format == GST_FORMAT_TIME && seg->start == seg->base ? GST_PAD_PROBE_DROP : GST_PAD_PROBE_OK;
    }
    default:
      return GST_PAD_PROBE_OK;
  }
}

// How a source reports its life to its Stream. May be called from any thread.
struct SourceEvents {
  std::function<void(std::string why)> reconnecting;  // lost; retrying on its own
  std::function<void()> recovered;                    // frames flow again (after reconnecting)
  std::function<void(std::string why)> failed;        // gave up: the stream goes to error
  std::function<void(model::SourceKindFigures)> stats;  // publishes figures (Stream::update_source_stats)
};

class Source {
 public:
  virtual ~Source() = default;
  // Adds elements to `pipeline` and links them to `sink`. Depayloaded audio (codec frames:
  // audio/x-opus, audio/x-mulaw, audio/x-alaw, audio/mpeg mpegversion=4 raw) goes to the
  // static "sink" pad of `audio_sink`; nullptr = the camera's audio is off: set none up.
  // Throws camrelay::Error.
  virtual void build(GstBin* pipeline, GstElement* sink, GstElement* audio_sink) = 0;
  // Whether a force-key-unit event sent upstream reaches an encoder we control.
  virtual bool honours_keyframe_requests() const { return false; }
  // Called for bus errors coming from this source's elements; return true if handled
  // (e.g. a reconnecting source), false to fail the stream.
  virtual bool handle_error(GstMessage* /*msg*/) { return false; }
  // A short description for logs and the API, with credentials masked.
  virtual std::string describe() const = 0;
  // The bitrate the viewers can take (kbps), updated about once a second by the
  // manager: RTP cameras turn it into REMB. GLib thread.
  virtual void set_target_bitrate(int /*kbps*/) {}
  // RTP sources negotiated by a BCGH session: the session's link (camera RTCP address).
  // Called once before build() when the stream has a link. GLib thread.
  virtual void set_rtp_link(std::shared_ptr<RtpLink> /*link*/) {}
  // Called once before build(). GLib thread. Sources publish their own figures (shown as
  // "source" in GET /streams/{id}) through Stream::update_source_stats.
  void set_context(gst::MainLoop* loop, SourceEvents ev) {
    loop_ = loop;
    events_ = std::move(ev);
  }

 protected:
  gst::MainLoop* loop_ = nullptr;
  SourceEvents events_;
};

// `inputs`: a composed camera's input feeds (config::CompositeSource), else unused.
std::unique_ptr<Source> make_source(const config::Config& cfg, const config::Camera& cam,
                                    std::shared_ptr<model::InputFeeds> inputs);

// Per-type factories (each in its own file).
std::unique_ptr<Source> make_test_source(const config::TestSource& c);
std::unique_ptr<Source> make_rtp_source(const config::Config& cfg, const config::Camera& cam,
                                        const config::RtpSource& c);
std::unique_ptr<Source> make_rtsp_source(const config::Config& cfg, const config::Camera& cam,
                                         const config::RtspSource& c);
// Asks the ONVIF camera for its RTSP URI (blocking, on the camera's GLib thread), then
// reads it with the RTSP source (onvif_source.cpp).
std::unique_ptr<Source> make_onvif_source(const config::Config& cfg, const config::Camera& cam,
                                          const config::OnvifSource& c);
std::unique_ptr<Source> make_v4l2_source(const config::Config& cfg, const config::Camera& cam,
                                         const config::V4l2Source& c);
std::unique_ptr<Source> make_composite_source(const config::CompositeSource& c,
                                              std::shared_ptr<model::InputFeeds> inputs);

}  // namespace camrelay::media
