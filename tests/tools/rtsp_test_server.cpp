// A tiny test camera for the integration tests and benchmarks: an RTSP server
// (gst-rtsp-server) or, with --rtp-to, a plain RTP sender (like a camera with a static
// stream configuration).
//
//   rtsp_test_server --port P [--host 127.0.0.1] [--path /test] [--user U --pass P]
//                    [--width 1280 --height 720 --fps 30 --key-int 30 --bitrate 2000] [--stamp]
//                    [--pattern ball] [--speed 0] [--delay-ms 0] [--codec h264|h265]
//   rtsp_test_server --rtp-to HOST:PORT[,HOST:PORT...] [--params-every-slice] [same picture options]
//                    [--audio opus|pcmu|pcma --audio-to HOST:PORT[,HOST:PORT...]]
//
// --refuse-audio-setup answers 503 to the SETUP of the audio track (stream=1), like some
// cameras: a client must still get the video.
// --audio aac|pcmu|pcma|opus adds a live 440 Hz sine (audiotestsrc) to the served media as
// pay1: AAC (voaacenc, else avenc_aac) → rtpmp4gpay (MPEG4-GENERIC, pt 97), mulawenc →
// rtppcmupay (pt 0), alawenc → rtppcmapay (pt 8), opusenc → rtpopuspay (pt 111). In
// --rtp-to mode, --audio-to sends that audio RTP (opus, pcmu or pcma) to the listed addresses.
//
// --rtp-to sends H.264 RTP (pt 96, one SSRC) to every listed address at once, so that two
// servers get the very same packets. It ignores RTCP (no FIR/PLI handling): viewers of
// such a camera wait for its next keyframe unless the server keeps one.
// --params-every-slice makes the RTP sender repeat SPS/PPS before every slice of a keyframe
// (GStreamer's rtph264pay config-interval=-1 on multi-slice input does; some cameras too):
// a receiver must not split such a picture. Default: SPS/PPS once before each keyframe.
// --codec h265 encodes H.265 instead (x265enc tune=zerolatency, Main profile) and pays it
// with rtph265pay (RFC 7798), in both modes: an H.265 camera.
// --pattern is a videotestsrc pattern; --speed moves it horizontally by N px per frame
// (motion for the encoder). --delay-ms holds each raw frame N ms after it was stamped and
// before it is encoded: a known added delay to validate a glass-to-glass meter.
//
// --stamp writes the wall-clock time (Unix ms, 42 bits, LSB first) into the top-left of
// every frame as 16x16 black/white blocks before encoding, so that a client on the same
// host can measure glass-to-glass latency by reading the blocks back from the picture.
//
// Serves a live test pattern as H.264 (x264enc tune=zerolatency: several slices per frame,
// like many real cameras) with basic authentication when --user is given. The media
// factory is shared: every client sees the same encoder. Prints "READY rtsp://host:port/path"
// on stdout once it listens; exits on SIGTERM/SIGINT (or is killed by the test).
#include <gst/gst.h>
#include <gst/rtsp-server/rtsp-server.h>

#include <glib-unix.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

gboolean on_signal(gpointer loop) {
  g_main_loop_quit(static_cast<GMainLoop*>(loop));
  return G_SOURCE_REMOVE;
}

constexpr int kStampBits = 42;
constexpr int kStampBlock = 16;

// Paints the current Unix time in ms into the luma plane of an I420 frame.
GstPadProbeReturn stamp_probe(GstPad* pad, GstPadProbeInfo* info, gpointer) {
  GstBuffer* buf = gst_buffer_make_writable(GST_PAD_PROBE_INFO_BUFFER(info));
  GST_PAD_PROBE_INFO_DATA(info) = buf;
  GstCaps* caps = gst_pad_get_current_caps(pad);
  if (!caps) return GST_PAD_PROBE_OK;
  int width = 0;
  gst_structure_get_int(gst_caps_get_structure(caps, 0), "width", &width);
  gst_caps_unref(caps);
  GstMapInfo map;
  if (width < kStampBits * kStampBlock || !gst_buffer_map(buf, &map, GST_MAP_WRITE)) return GST_PAD_PROBE_OK;
  const std::uint64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch()).count();
  const int stride = (width + 3) & ~3;  // I420 luma stride (GStreamer default alignment)
  for (int bit = 0; bit < kStampBits; ++bit) {
    const unsigned char v = ((ms >> bit) & 1) ? 235 : 16;
    for (int y = 0; y < kStampBlock; ++y) {
      std::memset(map.data + y * stride + bit * kStampBlock, v, kStampBlock);
    }
  }
  gst_buffer_unmap(buf, &map);
  return GST_PAD_PROBE_OK;
}

void add_stamp_probe(GstElement* raw);

void on_media_configure(GstRTSPMediaFactory*, GstRTSPMedia* media, gpointer) {
  GstElement* top = gst_rtsp_media_get_element(media);
  if (GstElement* raw = gst_bin_get_by_name(GST_BIN(top), "raw")) {
    add_stamp_probe(raw);
    gst_object_unref(raw);
  }
  gst_object_unref(top);
}

int usage() {
  std::fprintf(stderr,
               "usage: rtsp_test_server --port P [--host H] [--path /p] [--user U --pass P]\n"
               "                        [--width W --height H --fps F --key-int N --bitrate KBPS]\n"
               "                        [--pattern NAME --speed N --delay-ms N] [--stamp] [--codec h264|h265]\n"
               "                        [--audio aac|pcmu|pcma|opus] [--refuse-audio-setup]\n"
               "       rtsp_test_server --rtp-to HOST:PORT[,HOST:PORT...] [--params-every-slice]\n"
               "                        [--audio opus|pcmu|pcma --audio-to HOST:PORT[,...]]\n"
               "                        [picture options]\n");
  return 2;
}

// The audio branch for --audio (from the live sine to the payloader), or "" if unknown.
std::string audio_branch(const std::string& codec, const char* pay_name) {
  const std::string sine = "audiotestsrc is-live=true wave=sine freq=440 volume=0.3 ! audioconvert ! audioresample ! ";
  const std::string name = pay_name ? std::string(" name=") + pay_name : std::string();
  if (codec == "opus") return sine + "audio/x-raw,rate=48000,channels=1 ! opusenc ! rtpopuspay pt=111" + name;
  if (codec == "pcmu") return sine + "audio/x-raw,rate=8000,channels=1 ! mulawenc ! rtppcmupay pt=0" + name;
  if (codec == "pcma") return sine + "audio/x-raw,rate=8000,channels=1 ! alawenc ! rtppcmapay pt=8" + name;
  if (codec == "aac") {
    GstElementFactory* f = gst_element_factory_find("voaacenc");
    const char* enc = f ? "voaacenc" : "avenc_aac";
    if (f) gst_object_unref(f);
    return sine + "audio/x-raw,rate=48000,channels=1 ! " + enc + " ! rtpmp4gpay pt=97" + name;
  }
  return {};
}

// --refuse-audio-setup: SETUP of ".../stream=1" (pay1) → 503 Service Unavailable.
GstRTSPStatusCode refuse_audio_setup(GstRTSPClient*, GstRTSPContext* ctx, gpointer) {
  const char* abs = ctx && ctx->uri ? ctx->uri->abspath : nullptr;
  if (abs && std::strstr(abs, "stream=1")) return GST_RTSP_STS_SERVICE_UNAVAILABLE;
  return GST_RTSP_STS_OK;
}

void on_client_connected(GstRTSPServer*, GstRTSPClient* client, gpointer) {
  g_signal_connect(client, "pre-setup-request", G_CALLBACK(refuse_audio_setup), nullptr);
}

void add_stamp_probe(GstElement* raw) {
  GstPad* pad = gst_element_get_static_pad(raw, "src");
  gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, stamp_probe, nullptr, nullptr);
  gst_object_unref(pad);
}

// Sends the picture as RTP to every address in `clients` until SIGTERM/SIGINT.
int run_rtp_sender(const std::string& picture, const std::string& clients, bool stamp,
                   bool params_every_slice, const std::string& audio, const std::string& audio_to, bool h265) {
  std::string audio_part;
  if (!audio_to.empty()) {
    audio_part = " " + audio_branch(audio, nullptr) + " ! multiudpsink clients=" + audio_to +
                 " sync=false async=false";
  }
  gchar* launch = g_strdup_printf(
      "%s ! %s mtu=1200 ! multiudpsink name=out clients=%s sync=false async=false%s",
      picture.c_str(),
      h265                 ? "h265parse config-interval=-1 ! rtph265pay pt=96"
      : params_every_slice ? "rtph264pay pt=96 config-interval=-1"
                           : "h264parse config-interval=-1 ! rtph264pay pt=96",
      clients.c_str(), audio_part.c_str());
  GError* err = nullptr;
  GstElement* pipeline = gst_parse_launch(launch, &err);
  g_free(launch);
  if (!pipeline) {
    std::fprintf(stderr, "rtsp_test_server: %s\n", err ? err->message : "cannot build pipeline");
    g_clear_error(&err);
    return 1;
  }
  if (stamp) {
    GstElement* raw = gst_bin_get_by_name(GST_BIN(pipeline), "raw");
    add_stamp_probe(raw);
    gst_object_unref(raw);
  }
  GMainLoop* loop = g_main_loop_new(nullptr, FALSE);
  g_unix_signal_add(SIGTERM, on_signal, loop);
  g_unix_signal_add(SIGINT, on_signal, loop);
  if (gst_element_set_state(pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    std::fprintf(stderr, "rtsp_test_server: the RTP pipeline does not start\n");
    return 1;
  }
  std::printf("READY rtp://%s\n", clients.c_str());
  std::fflush(stdout);
  g_main_loop_run(loop);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
  g_main_loop_unref(loop);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  gst_init(&argc, &argv);
  std::string host = "127.0.0.1", path = "/test", user, pass, pattern = "ball", rtp_to, audio, audio_to, codec = "h264";
  int port = 0, width = 1280, height = 720, fps = 30, key_int = 30, bitrate = 2000;
  int speed = 0, delay_ms = 0;
  bool stamp = false, params_every_slice = false, refuse_audio = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--stamp") {
      stamp = true;
      continue;
    }
    if (a == "--params-every-slice") {
      params_every_slice = true;
      continue;
    }
    if (a == "--refuse-audio-setup") {
      refuse_audio = true;
      continue;
    }
    if (i + 1 >= argc) return usage();
    std::string v = argv[++i];
    if (a == "--port") port = std::atoi(v.c_str());
    else if (a == "--host") host = v;
    else if (a == "--path") path = v;
    else if (a == "--user") user = v;
    else if (a == "--pass") pass = v;
    else if (a == "--width") width = std::atoi(v.c_str());
    else if (a == "--height") height = std::atoi(v.c_str());
    else if (a == "--fps") fps = std::atoi(v.c_str());
    else if (a == "--key-int") key_int = std::atoi(v.c_str());
    else if (a == "--bitrate") bitrate = std::atoi(v.c_str());
    else if (a == "--pattern") pattern = v;
    else if (a == "--speed") speed = std::atoi(v.c_str());
    else if (a == "--delay-ms") delay_ms = std::atoi(v.c_str());
    else if (a == "--rtp-to") rtp_to = v;
    else if (a == "--audio") audio = v;
    else if (a == "--audio-to") audio_to = v;
    else if (a == "--codec") codec = v;
    else return usage();
  }
  if (delay_ms < 0 || delay_ms > 10000 || (codec != "h264" && codec != "h265")) return usage();
  const bool h265 = codec == "h265";
  if (!audio.empty() && audio_branch(audio, nullptr).empty()) return usage();
  if (!audio_to.empty() && (rtp_to.empty() || (audio != "opus" && audio != "pcmu" && audio != "pcma"))) {
    std::fprintf(stderr, "rtsp_test_server: --audio-to needs --rtp-to and --audio opus|pcmu|pcma\n");
    return 2;
  }
  // The raw picture, stamped at "raw", optionally held --delay-ms, then encoded
  // (zerolatency gives several slices per frame, like real cameras).
  // A queue's time level counts the newest buffer's duration, so a frame leaves when the
  // frame (N - 1 frame) later arrives: the threshold is N plus one frame to hold N.
  const long long hold_ns = static_cast<long long>(delay_ms) * 1000000 + 1000000000LL / (fps > 0 ? fps : 30);
  const std::string hold =
      delay_ms > 0 ? "queue max-size-buffers=0 max-size-bytes=0 max-size-time=0 min-threshold-time=" +
                         std::to_string(hold_ns) + " ! "
                   : std::string();
  gchar* pic = g_strdup_printf(
      "videotestsrc is-live=true pattern=%s horizontal-speed=%d ! "
      "video/x-raw,format=I420,width=%d,height=%d,framerate=%d/1 ! clockoverlay valignment=bottom ! "
      "identity name=raw ! %s"
      "%s tune=zerolatency speed-preset=ultrafast bitrate=%d key-int-max=%d ! %s",
      pattern.c_str(), speed, width, height, fps, hold.c_str(), h265 ? "x265enc" : "x264enc", bitrate, key_int,
      h265 ? "video/x-h265,profile=main" : "video/x-h264,profile=constrained-baseline");
  const std::string picture = pic;
  g_free(pic);
  if (!rtp_to.empty()) return run_rtp_sender(picture, rtp_to, stamp, params_every_slice, audio, audio_to, h265);
  if (port <= 0 || port > 65535 || path.empty() || path[0] != '/') return usage();

  GMainLoop* loop = g_main_loop_new(nullptr, FALSE);
  GstRTSPServer* server = gst_rtsp_server_new();
  gst_rtsp_server_set_address(server, host.c_str());
  gst_rtsp_server_set_service(server, std::to_string(port).c_str());
  if (refuse_audio) g_signal_connect(server, "client-connected", G_CALLBACK(on_client_connected), nullptr);

  GstRTSPMediaFactory* factory = gst_rtsp_media_factory_new();
  const std::string audio_part = audio.empty() ? std::string() : " " + audio_branch(audio, "pay1");
  gchar* launch = g_strdup_printf("( %s ! %s name=pay0 pt=96%s )", picture.c_str(),
                                  h265 ? "rtph265pay" : "rtph264pay", audio_part.c_str());
  gst_rtsp_media_factory_set_launch(factory, launch);
  g_free(launch);
  gst_rtsp_media_factory_set_shared(factory, TRUE);
  if (stamp) g_signal_connect(factory, "media-configure", G_CALLBACK(on_media_configure), nullptr);

  if (!user.empty()) {
    GstRTSPAuth* auth = gst_rtsp_auth_new();
    GstRTSPToken* token = gst_rtsp_token_new(GST_RTSP_TOKEN_MEDIA_FACTORY_ROLE, G_TYPE_STRING,
                                             "user", nullptr);
    gchar* basic = gst_rtsp_auth_make_basic(user.c_str(), pass.c_str());
    gst_rtsp_auth_add_basic(auth, basic, token);
    g_free(basic);
    gst_rtsp_token_unref(token);
    gst_rtsp_server_set_auth(server, auth);
    g_object_unref(auth);
    // Only the authenticated role may see and construct the media.
    gst_rtsp_media_factory_add_role(factory, "user", GST_RTSP_PERM_MEDIA_FACTORY_ACCESS,
                                    G_TYPE_BOOLEAN, TRUE, GST_RTSP_PERM_MEDIA_FACTORY_CONSTRUCT,
                                    G_TYPE_BOOLEAN, TRUE, nullptr);
  }

  GstRTSPMountPoints* mounts = gst_rtsp_server_get_mount_points(server);
  gst_rtsp_mount_points_add_factory(mounts, path.c_str(), factory);
  g_object_unref(mounts);

  GError* err = nullptr;
  GSource* src = gst_rtsp_server_create_source(server, nullptr, &err);
  if (!src) {
    std::fprintf(stderr, "rtsp_test_server: cannot listen on %s:%d: %s\n", host.c_str(), port,
                 err ? err->message : "unknown error");
    g_clear_error(&err);
    return 1;
  }
  g_source_attach(src, nullptr);
  g_source_unref(src);

  g_unix_signal_add(SIGTERM, on_signal, loop);
  g_unix_signal_add(SIGINT, on_signal, loop);
  std::printf("READY rtsp://%s:%d%s\n", host.c_str(), port, path.c_str());
  std::fflush(stdout);
  g_main_loop_run(loop);
  g_object_unref(server);
  g_main_loop_unref(loop);
  return 0;
}
