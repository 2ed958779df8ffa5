#include "wiring.hpp"

#include <fmt/format.h>

#include "camrelay/gst/main_loop.hpp"
#include "camrelay/http/server.hpp"
#include "../http/signaling.hpp"
#include "camrelay/util/log.hpp"

namespace camrelay::app {

std::string init_gstreamer(const config::Config& cfg) {
  const std::string version = gst::init();
  std::vector<std::string> need = {"h264parse", "tee", "queue", "fakesink", "capsfilter",
                                   "webrtcbin", "rtph264pay", "capssetter", "nicesrc", "dtlssrtpenc"};
  for (const auto& cam : cfg.cameras) {
    if (std::holds_alternative<config::TestSource>(cam.source)) {
      for (const char* e : {"videotestsrc", "x264enc", "clockoverlay"}) need.emplace_back(e);
    }
  }
  auto missing = gst::missing_elements(need);
  if (missing.empty()) return "ok (" + version + ")";
  std::string list;
  for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
  log::get("app")->error("GStreamer elements missing: {} (run scripts/deps.sh)", list);
  return "missing elements: " + list;
}

void wire_extensions(http::Server& server, std::shared_ptr<service::StreamManager> mgr,
                     const config::Config& cfg) {
  http::register_signaling(server, mgr, cfg);
}

}  // namespace camrelay::app
