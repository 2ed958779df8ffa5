#include "wiring.hpp"

#include <fmt/format.h>

#include <cctype>

#include "camrelay/gst/main_loop.hpp"
#include "camrelay/media/hls.hpp"
#include "camrelay/http/server.hpp"
#include "../http/api_outputs.hpp"
#include "../http/signaling.hpp"
#include "camrelay/util/log.hpp"
#include "camrelay_version.hpp"

namespace camrelay::app {
namespace {
// An ONVIF camera is read by the RTSP source once its URI is known.
bool is_rtsp(const config::Source& s) {
  return std::holds_alternative<config::RtspSource>(s) || std::holds_alternative<config::OnvifSource>(s);
}
}  // namespace


std::string init_gstreamer(const std::vector<config::Camera>& cameras) {
  const std::string version = gst::init();
  std::vector<std::string> need = {"h264parse", "tee", "queue", "fakesink", "capsfilter",
                                   "webrtcbin", "rtph264pay", "capssetter", "nicesrc", "dtlssrtpenc"};
  for (const auto& cam : cameras) {
    if (std::holds_alternative<config::TestSource>(cam.source)) {
      for (const char* e : {"videotestsrc", "clockoverlay"}) need.emplace_back(e);
    }
    if (std::holds_alternative<config::CompositeSource>(cam.source)) {
      for (const char* e : {"compositor", "videotestsrc", "textoverlay", "appsrc", "avdec_h264"}) need.emplace_back(e);
    }
    // camrelay's own encoder (encoder.cpp); a hardware one is looked for when the camera starts.
    if (const auto enc = config::own_encoding(cam.source); enc && enc->encoder == "x264") need.emplace_back("x264enc");
    if (std::holds_alternative<config::RtpSource>(cam.source)) {
      for (const char* e : {"udpsrc", "rtpbin", "multiudpsink", "funnel", "rtph264depay"}) need.emplace_back(e);
    }
    if (is_rtsp(cam.source)) {
      for (const char* e : {"rtspsrc", "rtph264depay"}) need.emplace_back(e);
    }
    // The audio core and the depayloaders of the relayed audio codecs (stream.cpp, sources).
    const bool audio_source = std::holds_alternative<config::RtpSource>(cam.source) ||
                              is_rtsp(cam.source);
    if (cam.audio && audio_source) {
      for (const char* e : {"identity", "funnel", "rtpopusdepay", "rtppcmudepay", "rtppcmadepay"}) need.emplace_back(e);
      if (is_rtsp(cam.source)) {
        for (const char* e : {"rtpmp4gdepay", "rtpmp4adepay"}) need.emplace_back(e);
      }
    }
    // H.265 cameras (rtp.codec, rtsp.codec): depayloader and parser, the H.264 transcode
    // (transcode.cpp) and the RTSP re-serve's payloader.
    if (config::video_codec(cam) == "H265") {
      for (const char* e : {"rtph265depay", "h265parse", "avdec_h265", "videoconvert", "x264enc", "rtph265pay"}) {
        need.emplace_back(e);
      }
    }
    if (std::holds_alternative<config::V4l2Source>(cam.source)) {
      for (const char* e : {"v4l2src", "jpegdec", "videoconvert"}) need.emplace_back(e);
    }
  }
  // Recording (recorder.cpp, recording_thumbnail.cpp).
  for (const char* e : {"splitmuxsink", "mp4mux", "filesink", "qtdemux", "decodebin", "aacparse", "opusparse",
                        "avenc_aac"}) {
    need.emplace_back(e);
  }
  // HLS, MJPEG and snapshots (hls_output.cpp, mjpeg_output.cpp, snapshot.cpp).
  for (const char* e : {"mpegtsmux", "avdec_h264", "videoconvert", "videorate", "videoscale", "jpegenc",
                        "jpegdec", "appsink", "appsrc"}) {
    need.emplace_back(e);
  }
  auto missing = gst::missing_elements(need);
  if (missing.empty()) return "ok (" + version + ")";
  std::string list;
  for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
  log::get("app")->error("GStreamer elements missing: {} (run scripts/deps.sh)", list);
  return "missing elements: " + list;
}

onvif::Responder::Options discovery_options(const config::Config& cfg) {
  onvif::Responder::Options o;
  o.interfaces = cfg.onvif.interfaces;
  o.port = cfg.onvif.discovery_port;
  o.identity = {cfg.onvif.manufacturer, cfg.onvif.model, CAMRELAY_VERSION,
                onvif::device_uuid(cfg.data_dir, cfg.http.port), "camrelay"};
  auto scope = [](const std::string& key, const std::string& v) {
    std::string enc;
    for (unsigned char c : v) enc += std::isalnum(c) || c == '-' || c == '.' || c == '_' ? std::string(1, static_cast<char>(c))
                                                                                     : fmt::format("%{:02X}", c);
    return "onvif://www.onvif.org/" + key + "/" + enc;
  };
  o.scopes = "onvif://www.onvif.org/Profile/Streaming onvif://www.onvif.org/type/video_encoder " +
             scope("name", cfg.onvif.manufacturer) + " " + scope("hardware", cfg.onvif.model);
  const std::string fixed = !cfg.onvif.host.empty() ? cfg.onvif.host
                            : (cfg.http.host != "0.0.0.0" && cfg.http.host != "::") ? cfg.http.host
                                                                                  : std::string();
  const int port = cfg.http.port;
  o.xaddr = [fixed, port](const std::string& local_ip) {
    return fmt::format("http://{}:{}/onvif/device_service", fixed.empty() ? local_ip : fixed, port);
  };
  return o;
}

void wire_extensions(http::Server& server, std::shared_ptr<service::StreamManager> mgr,
                     const config::Config& cfg) {
  http::register_signaling(server, mgr, cfg);
  http::register_output_takeovers(server, mgr);  // MJPEG streams
  media::hls_clean_root(cfg);  // HLS segments of a previous run are stale
}

}  // namespace camrelay::app
