// camrelay-fakecam: a software BCGH camera (see fakecam.hpp and README "No camera?").
#include <glib-unix.h>
#include <gst/gst.h>

#include <cstdlib>
#include <iostream>
#include <string>

#include "camrelay/util/log.hpp"
#include "fakecam.hpp"

namespace {

const char* kUsage = R"(usage: camrelay-fakecam --broker URL --camera-id ID [options]

A software BCGH camera: answers SDP offers on <prefix>/<ID>/stream/offer, streams a
test pattern as H.264 RTP (and Opus audio if offered) to the offered ports, follows REMB, and stops streaming when
no REMB arrives for --remb-timeout seconds (like the real camera).

  --broker URL          tcp://host:1883 or ssl://host:8883 (mqtt:// and mqtts:// too)
  --camera-id ID        the camera id used in the topics
  --cafile FILE         CA certificate(s) for ssl:// (PEM)
  --cert FILE --key FILE  client certificate and key for ssl:// (optional)
  --username U --password P
  --client-id ID        MQTT client id (default fakecam-<ID>)
  --topic-prefix P      default "cameras"
  --remb-timeout S      stop streaming after S seconds without REMB (default 30)
  --width W --height H --fps F   test pattern size and rate (default 640x360@30)
  --bitrate KBPS        encoder bitrate until the first REMB (default 1000)
  --keyframe-interval S seconds between keyframes (default 1; FIR/PLI force one at once)
  --pattern NAME        videotestsrc pattern (default ball)
  --no-audio            refuse an offered m=audio (port 0); default: answer it with Opus
                        (pt 111) and send a 440 Hz sine tone to the offered audio port
  --ip ADDR             address announced in answers (default: the route toward the offer's c=)
  --mqtt-keepalive S    MQTT keepalive; the broker publishes our last will ("offline")
                        about 1.5 x S after we vanish (default 10)
  --log-level L         trace|debug|info|warn|error (default info)
)";

int to_int(const std::string& opt, const std::string& v, int lo, int hi) {
  try {
    std::size_t n = 0;
    int x = std::stoi(v, &n);
    if (n == v.size() && x >= lo && x <= hi) return x;
  } catch (...) {
  }
  std::cerr << "camrelay-fakecam: " << opt << ": must be an integer in " << lo << ".." << hi << " (got \"" << v
            << "\")\n";
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace camrelay;
  fakecam::Options o;
  o.mqtt.keepalive_s = 10;
  std::string level = "info";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      std::cout << kUsage;
      return 0;
    }
    if (a == "--no-audio") {
      o.audio = false;
      continue;
    }
    auto eq = a.find('=');
    std::string v;
    bool has_v = false;
    if (a.rfind("--", 0) == 0 && eq != std::string::npos) {
      v = a.substr(eq + 1);
      a = a.substr(0, eq);
      has_v = true;
    }
    auto next = [&]() -> std::string {
      if (has_v) return v;
      if (i + 1 >= argc) {
        std::cerr << "camrelay-fakecam: " << a << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--broker") o.mqtt.url = next();
    else if (a == "--camera-id") o.camera_id = next();
    else if (a == "--cafile") o.mqtt.ca_file = next();
    else if (a == "--cert") o.mqtt.cert_file = next();
    else if (a == "--key") o.mqtt.key_file = next();
    else if (a == "--username") o.mqtt.username = next();
    else if (a == "--password") o.mqtt.password = next();
    else if (a == "--client-id") o.mqtt.client_id = next();
    else if (a == "--topic-prefix") o.topic_prefix = next();
    else if (a == "--remb-timeout") {
      const std::string s = next();
      char* end = nullptr;
      o.remb_timeout_s = std::strtod(s.c_str(), &end);
      if (!end || *end || o.remb_timeout_s <= 0) {
        std::cerr << "camrelay-fakecam: --remb-timeout: must be a positive number of seconds\n";
        return 2;
      }
    } else if (a == "--keyframe-interval") {
      const std::string s = next();
      char* end = nullptr;
      o.keyframe_interval_s = std::strtod(s.c_str(), &end);
      if (!end || *end || o.keyframe_interval_s < 0.05 || o.keyframe_interval_s > 600) {
        std::cerr << "camrelay-fakecam: --keyframe-interval: must be a number of seconds in 0.05..600\n";
        return 2;
      }
    } else if (a == "--width") o.width = to_int(a, next(), 16, 7680);
    else if (a == "--height") o.height = to_int(a, next(), 16, 4320);
    else if (a == "--fps") o.fps = to_int(a, next(), 1, 120);
    else if (a == "--bitrate") o.bitrate_kbps = to_int(a, next(), 50, 100000);
    else if (a == "--pattern") o.pattern = next();
    else if (a == "--ip") o.ip = next();
    else if (a == "--mqtt-keepalive") o.mqtt.keepalive_s = to_int(a, next(), 1, 3600);
    else if (a == "--log-level") level = next();
    else {
      std::cerr << "camrelay-fakecam: unknown option " << a << " (see --help)\n";
      return 2;
    }
  }
  if (o.mqtt.url.empty() || o.camera_id.empty()) {
    std::cerr << "camrelay-fakecam: --broker and --camera-id are required (see --help)\n";
    return 2;
  }
  if (o.mqtt.client_id.empty()) o.mqtt.client_id = "fakecam-" + o.camera_id;
  o.mqtt.min_backoff_ms = 250;
  o.mqtt.max_backoff_ms = 2000;

  spdlog::level::level_enum lv = spdlog::level::info;
  log::parse_level(level, lv);
  log::init(lv);
  gst_init(&argc, &argv);

  GMainContext* ctx = g_main_context_default();
  GMainLoop* loop = g_main_loop_new(ctx, FALSE);
  auto quit = +[](gpointer l) -> gboolean {
    g_main_loop_quit(static_cast<GMainLoop*>(l));
    return G_SOURCE_REMOVE;
  };
  g_unix_signal_add(SIGINT, quit, loop);
  g_unix_signal_add(SIGTERM, quit, loop);
  int rc = 0;
  try {
    fakecam::FakeCam cam(o, ctx);
    cam.start();
    g_main_loop_run(loop);
    log::get("fakecam")->info("signal received: going offline");
    cam.stop();
  } catch (const std::exception& e) {
    log::get("fakecam")->critical("{}", e.what());
    rc = 1;
  }
  g_main_loop_unref(loop);
  spdlog::shutdown();
  return rc;
}
