#pragma once
// camrelay-fakecam: a software BCGH camera for people without one (and for tests).
// It speaks the camera side of docs/mqtt.md: publishes its status (retained, with a last
// will "offline"), answers offers, streams a test pattern as H.264 RTP through rtpbin to
// the offered ports (and, when the offer has an m=audio listing Opus pt 111, a 440 Hz
// sine as Opus RTP to the offered audio port), follows REMB by changing its encoder bitrate, and — like the real
// camera — STOPS streaming when no REMB arrived for --remb-timeout seconds (default 30).
#include <gio/gio.h>
#include <glib.h>
#include <gst/gst.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "camrelay/camera/mqtt_client.hpp"
#include "camrelay/camera/sdp.hpp"
#include "camrelay/camera/topics.hpp"
#include "camrelay/gst/ptr.hpp"

namespace camrelay::fakecam {

struct Options {
  camera::MqttOptions mqtt;
  std::string camera_id;
  std::string topic_prefix = "cameras";
  double remb_timeout_s = 30;
  int width = 640;
  int height = 360;
  int fps = 30;
  int bitrate_kbps = 1000;  // until the first REMB
  double keyframe_interval_s = 1.0;
  std::string ip;           // address announced in answers ("" = the route toward the offer)
  std::string pattern = "ball";
  bool audio = true;        // answer an offered m=audio with Opus (pt 111) and send a sine tone
};

class FakeCam {
 public:
  FakeCam(Options o, GMainContext* ctx);
  ~FakeCam();
  void start();  // MQTT
  void stop();   // offline status, stop streaming, disconnect

 private:
  // GLib (main) thread
  void on_offer(const std::string& payload);
  void on_stop(const std::string& payload);
  void start_streaming(const camera::SessionDescription& offer, const std::string& session_id);
  void stop_streaming(const std::string& why);
  gboolean on_tick();
  void post(std::function<void()> fn);

  // One streaming session's state shared with the RTCP probe (streaming thread), which holds
  // its own reference: the probe never reaches into the FakeCam.
  struct Session {
    gst::ElementPtr encoder;  // follows REMB
    std::atomic<std::int64_t> last_remb_ms{0};
    std::atomic<std::uint64_t> rembs{0}, firs{0}, plis{0}, rtcp_packets{0};
    std::atomic<int> last_remb_kbps{0};
    std::atomic<int> encoder_kbps{0};
  };
  // RTCP from the daemon (streaming thread)
  static void on_rtcp(Session& s, GstBuffer* buf);

  Options o_;
  GMainContext* ctx_;
  camera::CameraTopics topics_;
  std::unique_ptr<camera::MqttClient> mqtt_;
  gst::ElementPtr pipeline_;
  std::shared_ptr<Session> session_;  // while streaming
  gst::Ptr<GSocket> rtp_sock_, rtcp_sock_, audio_sock_, audio_rtcp_sock_;
  std::string session_id_;
  guint tick_ = 0;
  std::int64_t streaming_since_ms_ = 0;
  std::int64_t last_status_ms_ = 0;
  int encoder_kbps_ = 0;  // carried from one session to the next (0 = --bitrate)
  std::uint64_t keepalives_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace camrelay::fakecam
