#pragma once
// Daemon configuration: plain structs with defaults, loaded from a JSON file, then
// environment overrides, then command-line options. Validation errors name the key.
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

namespace camrelay::config {

struct Bandwidth {
  int min_kbps = 500;   // seed 000 MIN_VIDEO_BANDWIDTH
  int max_kbps = 5000;  // seed 000 MAX_VIDEO_BANDWIDTH
  bool operator==(const Bandwidth&) const = default;
};

// Built-in test pattern (videotestsrc + clock overlay + x264enc), also the "mock camera".
struct TestSource {
  int width = 1280;
  int height = 720;
  int fps = 30;
  int bitrate_kbps = 2000;
  double keyframe_interval_s = 1.0;
  std::string pattern = "smpte";  // any videotestsrc pattern nick: smpte, ball, snow, ...
  bool overlay_clock = true;
  std::string profile = "constrained-baseline";  // constrained-baseline | main | high
  std::string encoder = "x264";  // x264 | v4l2 | vaapi | auto (H264Encoding below)
  std::string preset = "auto";   // x264 speed preset; auto: ultrafast for baseline, veryfast else
  bool operator==(const TestSource&) const = default;
};

// Plain RTP camera (seed 000 BCGH). negotiation "mqtt": SDP offer/answer over MQTT;
// "static": listen on a fixed port for a given payload type (like a Janus RTP mountpoint).
struct RtpSource {
  std::string negotiation = "mqtt";  // mqtt | static
  int video_port = 0;                // 0 = allocate from the daemon's rtp port range
  int payload_type = 96;
  std::string codec = "H264";        // H264 | H265 (RFC 7798)
  int clock_rate = 90000;
  bool audio = false;                // mqtt: the offer includes an audio m-line (Opus/PCMU/PCMA)
  int rtp_timeout_s = 5;
  // static: where the camera sends audio RTP (RTCP on audio_port+1); 0 = no audio.
  int audio_port = 0;
  int audio_payload_type = 111;
  std::string audio_codec = "OPUS";  // OPUS | PCMU | PCMA
  int audio_clock_rate = 48000;      // default by codec: 48000 for OPUS, 8000 for PCMU/PCMA
  bool operator==(const RtpSource&) const = default;
};

// The default RTP clock rate of an audio codec name (OPUS 48000, PCMU/PCMA 8000).
int default_audio_clock_rate(const std::string& codec) noexcept;

// RTSP camera (seed 003). Either url, or host/port/path (+ credentials).
struct RtspSource {
  std::string url;  // rtsp://[user:pass@]host[:port]/path ; overrides host/port/path
  std::string host;
  int port = 554;
  std::string path = "/stream1";
  std::string username;
  std::string password;
  std::string transport = "tcp";  // tcp | udp | auto
  int latency_ms = 200;
  // The camera's video codec, H264 | H265: it decides the stream's parser before the camera
  // answers. A camera sending the other one fails with an error that names this key.
  std::string codec = "H264";
  bool operator==(const RtspSource&) const = default;
};

struct V4l2Source {
  std::string device = "/dev/video0";
  int width = 1280;
  int height = 720;
  int fps = 30;
  int bitrate_kbps = 2000;
  double keyframe_interval_s = 1.0;
  std::string encoder = "x264";  // x264 | v4l2 | vaapi | auto
  std::string profile = "constrained-baseline";
  std::string preset = "auto";
  bool operator==(const V4l2Source&) const = default;
};

// A camera composed of other cameras' pictures with GStreamer's compositor (docs/cameras.md,
// "Composed cameras"): seed 002's picture-in-picture ("pip": inputs [main, inset]) or a
// mosaic ("grid" 2x2 or 3x3: inputs row by row). Its inputs are decoded and the picture
// encoded once, while someone watches it; an input that is missing or stopped shows a
// "no signal" tile and the rest of the picture goes on.
struct CompositeSource {
  std::string layout = "pip";              // pip | grid
  std::vector<std::string> inputs;         // camera ids (not composite cameras)
  std::string grid = "2x2";                // grid: 2x2 | 3x3
  std::string position = "bottom-right";   // pip: top-left | top-right | bottom-left | bottom-right
  double scale = 0.25;                     // pip: the inset's width and height / the picture's
  int border = 2;                          // pip: white border around the inset, px (0 = none)
  int width = 1280;
  int height = 720;
  int fps = 30;
  int bitrate_kbps = 2000;
  double keyframe_interval_s = 1.0;
  std::string encoder = "x264";
  std::string profile = "constrained-baseline";
  std::string preset = "auto";
  bool operator==(const CompositeSource&) const = default;
};

// ONVIF camera (docs/onvif.md): its RTSP URI is asked from the camera's Media service
// (GetCapabilities, GetProfiles, GetStreamUri) every time the source is built — at each
// start and each rebuild after a failure, so a camera whose URI changed is followed — and
// the stream is then read by the RTSP source with the same credentials.
struct OnvifSource {
  std::string url;       // the device service: http://host[:port]/onvif/device_service
  std::string username;  // WS-Security UsernameToken (digest) and RTSP
  std::string password;
  std::string profile;   // a profile token; "" = the camera's first profile
  std::string transport = "tcp";  // tcp | udp | auto (as for rtsp)
  int latency_ms = 200;
  std::string codec = "H264";  // the profile's video encoding: H264 | H265
  bool operator==(const OnvifSource&) const = default;
};

using Source = std::variant<TestSource, RtpSource, RtspSource, V4l2Source, CompositeSource, OnvifSource>;

// "test" | "rtp" | "rtsp" | "v4l2" | "composite" | "onvif"
const char* source_type_name(const Source& s) noexcept;

// What camrelay's own H.264 encoders are told (the test pattern, V4L2 cameras): the encoder
// by name — "x264" (x264enc), "v4l2" (a V4L2 memory-to-memory encoder, v4l2h264enc),
// "vaapi" (VA-API: vah264enc or vaapih264enc), "auto" (a hardware one if GStreamer has it,
// else x264) — its profile and speed preset (x264 only: hardware encoders have none).
struct H264Encoding {
  int width = 0;
  int height = 0;
  int fps = 0;
  int bitrate_kbps = 0;
  double keyframe_interval_s = 1.0;
  std::string encoder = "x264";
  std::string profile = "constrained-baseline";
  std::string preset = "auto";
};
// The encoding of a source camrelay encodes itself (test, v4l2); nullopt for cameras that
// encode their own stream (rtp, rtsp).
std::optional<H264Encoding> own_encoding(const Source& s);

// Seed 002's latency modes: the RTP/RTSP ingest jitter buffer of a camera.
// "low" 100 ms, "normal" 500 ms, "high" 2000 ms; "" = the source's own setting.
int latency_mode_ms(const std::string& mode) noexcept;  // -1 for "" or an unknown mode

// Recording of one camera (docs/recording.md).
struct CameraRecord {
  std::string mode = "off";  // off | continuous (on demand works in both)
  int segment_s = 600;       // a new file after this long (at the next keyframe)
  int max_age_h = 0;         // delete this camera's files older than this; 0 = recording.max_age_h
  int max_mb = 0;            // this camera's share of the disk; 0 = only the total quota
  bool operator==(const CameraRecord&) const = default;
};

// The camera's lower-quality sub stream (issue 17): decoded and re-encoded once per stream,
// only while someone watches it (rtsp://…/{id}_sub, ?quality=sub), shared by its viewers.
struct SubStream {
  bool enabled = true;
  int width = 640;
  int height = 360;
  int fps = 0;                                   // 0 = the camera's rate
  int bitrate_kbps = 500;
  double keyframe_interval_s = 1.0;
  std::string encoder = "x264";                  // x264 | v4l2 | vaapi | auto (media/encoder.hpp)
  std::string profile = "constrained-baseline";  // constrained-baseline | baseline | main | high
  std::string preset = "ultrafast";              // auto | x264's speed presets: ultrafast … veryslow
  bool operator==(const SubStream&) const = default;
};

struct Camera {
  std::string id;    // [A-Za-z0-9_-]{1,64}, unique
  std::string name;  // defaults to id
  Source source = TestSource{};
  bool auto_start = false;
  Bandwidth bandwidth;
  // Relay the camera's audio (RTSP audio track, RTP audio session). false: the audio is
  // dropped at the source (never set up or linked).
  bool audio = true;
  CameraRecord record;
  // RTP/RTSP cameras: "low" | "normal" | "high" (jitter buffer 100/500/2000 ms); "" = the
  // source's own (rtsp.latency_ms, 200; RTP 50 ms).
  std::string latency_mode;
  SubStream sub;
  bool operator==(const Camera&) const = default;
};

// The jitter buffer of an RTP or RTSP camera's ingest in ms: its latency_mode's, else the
// source's own (RtspSource::latency_ms; kRtpJitterBufferMs); -1 for other sources.
inline constexpr int kRtpJitterBufferMs = 50;
int jitter_buffer_ms(const Camera& c) noexcept;
// The camera's video codec as it enters the stream: "H264" or "H265" (rtp.codec,
// rtsp.codec; test and v4l2 sources are H.264).
const std::string& video_codec(const Camera& c) noexcept;

// HTTPS and WSS on camrelay's own ports (docs/security.md).
struct Tls {
  bool enabled = false;        // HTTPS + WSS on http.port (env API_USE_SSL)
  std::string cert;            // PEM certificate chain, leaf first (env SSL_CERT)
  std::string key;             // PEM private key, not readable by other users (env SSL_KEY)
  // The separate signaling port (http.signaling_port) speaks WSS (env SIGNALING_USE_SSL);
  // unset = like http.port.
  std::optional<bool> signaling;
  // A plain HTTP request arriving on a TLS port is answered 308 to the same URL on https://
  // (off: the connection is closed).
  bool redirect_http = true;
  bool operator==(const Tls&) const = default;
};

struct Http {
  std::string host = "0.0.0.0";       // env API_SERVER_HOST
  int port = 8080;                    // env API_SERVER_PORT
  int signaling_port = 0;             // env SIGNALING_SERVER_PORT; 0 = only /signaling on `port`
  std::string web_root;               // empty = auto-detect (next to the binary / source tree)
  std::size_t body_limit_bytes = 64 * 1024;
  int header_timeout_s = 10;          // time to receive a complete request header
  int idle_timeout_s = 60;            // keep-alive idle time
  int threads = 2;                    // Asio threads
  // Per client IP (docs/security.md): requests per second with a burst (token bucket; 429 +
  // Retry-After beyond it) and open connections. 0 = no limit.
  int rate_limit_per_s = 20;
  int rate_limit_burst = 200;
  int max_connections_per_ip = 64;
  // Origins whose pages may call the API from a browser (CORS): "*" = any (WHEP players and
  // hls.js pages elsewhere), or a list such as "https://nvr.example.com". Cookies are never
  // sent cross-site (SameSite=Strict): other origins need a token.
  std::vector<std::string> cors_origins = {"*"};
  Tls tls;
  bool operator==(const Http&) const = default;
};

struct IceServer {
  std::string url;  // stun:host:port | turn:host:port[?transport=udp|tcp]
  std::string username;
  std::string credential;
  bool operator==(const IceServer&) const = default;
};

struct Webrtc {
  std::vector<IceServer> ice_servers;          // env STUN_SERVER (comma list of stun: urls)
  std::vector<std::string> announced_ips;      // env EXTERNAL_IP (comma list)
  std::vector<std::string> local_ips = {"127.0.0.1"};  // added to libnice (it skips loopback)
  int udp_port_min = 0;                        // 0/0 = any port (env WEBRTC_UDP_PORT_MIN/MAX)
  int udp_port_max = 0;
  int max_viewers_per_stream = 10;             // env MAX_VIEWERS_PER_STREAM
  int max_viewers_total = 100;                 // env MAX_VIEWERS_TOTAL
  int max_viewers_per_ip = 20;                 // WebRTC viewers (WebSocket + WHEP) of one client IP; 0 = no limit
  // Dead-viewer reaping (docs/signaling.md): no RTCP from the browser for this long while
  // connected; ICE/peer "disconnected" for longer than the grace; not connected in time.
  int rtcp_timeout_s = 8;
  int disconnect_grace_s = 3;
  int connect_timeout_s = 20;
  // The shared VP8 transcode for browsers without H.264 (Firefox without OpenH264).
  int vp8_bitrate_kbps = 1500;
  int vp8_width = 0;   // 0 = the camera's size (both 0, or both set)
  int vp8_height = 0;
  // How a viewer's video leaves: "direct" = payloaded once per stream, then per viewer a
  // header rewrite, SRTP (libsrtp2) and a send on webrtcbin's ICE transport; "webrtcbin" =
  // a payloader per viewer into webrtcbin's own RTP/SRTP path (slower; TWCC figures).
  std::string send_path = "direct";
  bool operator==(const Webrtc&) const = default;
};

// MQTT topic templates of the camera contract (docs/mqtt.md): {prefix} = topic_prefix,
// {camera_id} = the camera's id. Each must contain {camera_id}.
struct MqttTopics {
  std::string offer = "{prefix}/{camera_id}/stream/offer";
  std::string answer = "{prefix}/{camera_id}/stream/answer";
  std::string keepalive = "{prefix}/{camera_id}/stream/keepalive";
  std::string stop = "{prefix}/{camera_id}/stream/stop";
  std::string status = "{prefix}/{camera_id}/status";
  bool operator==(const MqttTopics&) const = default;
};

struct Mqtt {
  std::string url;  // tcp://host:1883 | ssl://host:8883; empty = MQTT disabled. env MQTT_URL
  std::string client_id = "camrelay";
  std::string username;  // env MQTT_USERNAME
  std::string password;  // env MQTT_PASSWORD
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  std::string topic_prefix = "cameras";
  int answer_timeout_s = 10;
  int keepalive_interval_s = 10;
  MqttTopics topics;
  bool operator==(const Mqtt&) const = default;
};

struct Rtp {
  int port_min = 5000;  // seed 001 forwards 5000-5050
  int port_max = 5050;
  bool remb_enabled = true;
  bool operator==(const Rtp&) const = default;
};

struct Hls {
  double target_duration_s = 1.0;
  int playlist_length = 3;
  int max_files = 6;
  int idle_stop_s = 30;  // stop HLS this long after the last request
  int part_ms = 200;     // LL-HLS partial segments of the fMP4 playlist (0: none)
  bool always = false;   // run HLS whenever the stream runs (no on-demand start/idle stop)
  bool operator==(const Hls&) const = default;
};

struct Mjpeg {
  int fps = 15;        // seed 004 frame_rate
  int quality = 85;    // seed 004 quality
  int width = 0;       // 0 = source size
  int height = 0;
  bool operator==(const Mjpeg&) const = default;
};

// RTSP re-serve (docs/restream.md): every camera at rtsp://<host>:<port><path>, fed from
// the camera's own stream (no second connection to the camera, no re-encode).
struct Rtsp {
  bool enabled = false;
  int port = 8554;
  std::string host;             // "" = http.host
  std::string path = "/{id}";   // must start with '/' and contain {id} once
  int grace_s = 10;             // a camera started for RTSP stops this long after its last RTSP client
  bool operator==(const Rtsp&) const = default;
};

// Where recordings go and how long they stay (docs/recording.md).
struct Recording {
  std::string dir;          // "" = <data_dir>/recordings; one folder per camera below it
  int max_age_h = 7 * 24;   // delete files older than this; 0 = keep them
  int max_total_mb = 0;     // all cameras together; 0 = no quota (the free-space floor still holds)
  int min_free_mb = 1024;   // below this much free space recording pauses (and resumes above)
  int check_interval_s = 10;  // retention and free-space checks
  int fragment_ms = 1000;   // MP4 fragment length: the most a crash can lose
  bool operator==(const Recording&) const = default;
};

// Who may use the daemon (docs/security.md). On by default: with no users in the database,
// the first start creates "admin" with a generated password printed once to the log.
struct Auth {
  // Turns every check off. Required explicitly (never the default); a daemon listening on a
  // non-loopback address with auth disabled logs a warning at every start.
  bool disabled = false;
  // Requests from 127.0.0.1/::1 act as admin without credentials. Off by default: a
  // reverse proxy on the same host would otherwise open everything.
  bool allow_localhost = false;
  int session_ttl_s = 7 * 24 * 3600;        // login cookie lifetime
  int viewer_token_max_ttl_s = 30 * 24 * 3600;  // longest viewer token (JWT) one may mint
  // Failed logins per client IP before the login answers 429 for a while (doubling).
  int login_failures_before_backoff = 5;
  bool operator==(const Auth&) const = default;
};

// Watching the streams (GET /streams/{id} "stalled", /health, /metrics).
struct Health {
  // A running stream with readers but no frame for this long is stalled: flagged, logged
  // once, and its source is restarted. 0 = off.
  int stall_s = 5;
  bool operator==(const Health&) const = default;
};

// camrelay as an ONVIF device (docs/onvif.md): WS-Discovery answers and the Device and
// Media services at /onvif/device_service and /onvif/media_service, one profile per camera
// pointing at the RTSP re-serve (needs rtsp.enabled). Off by default.
struct Onvif {
  bool enabled = false;
  bool discovery = true;                // answer WS-Discovery probes (UDP 3702, 239.255.255.250)
  int discovery_port = 3702;
  std::vector<std::string> interfaces;  // IPv4 addresses to answer (and probe) on; empty = all
  std::string host;                     // the address put into service and stream URIs; "" = the
                                        // address the client reached (or the prober's route)
  std::string manufacturer = "camrelay";
  std::string model = "camrelay";
  // The ONVIF credential (PasswordDigest needs a password in clear; accounts keep hashes
  // only): user name and password an NVR is given. "" password = digests are refused.
  std::string username = "onvif";
  std::string password;
  bool operator==(const Onvif&) const = default;
};

struct Config {
  std::string config_path;  // the file it was loaded from ("" = defaults only)
  std::string data_dir = "/var/lib/camrelay";  // SQLite db, HLS segments, recordings
  std::string log_level = "info";              // env LOG_LEVEL
  Http http;
  Webrtc webrtc;
  Mqtt mqtt;
  Rtp rtp;
  Hls hls;
  Mjpeg mjpeg;
  Rtsp rtsp;
  Recording recording;
  Health health;
  Auth auth;
  Onvif onvif;
  std::vector<Camera> cameras;

  const Camera* find_camera(const std::string& id) const;
  std::string recording_dir() const;  // recording.dir or <data_dir>/recordings
  bool operator==(const Config&) const = default;
};

// What the command line asked for besides the configuration itself.
struct CliAction {
  bool show_help = false;
  bool show_version = false;
};

// Thrown for any configuration problem. what() names the key, e.g.
// "cameras[1].source.type: must be one of test, rtp, rtsp, v4l2 (got \"foo\")".
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A camera id that another camera already has ("cameras[2].id: duplicate id \"cam1\"").
// A ConfigError like the others; the REST API answers it 409 instead of 400.
class DuplicateIdError : public ConfigError {
 public:
  using ConfigError::ConfigError;
};

// Parses a JSON document (file contents) into a Config, starting from defaults.
// Unknown keys are errors (typos must not be silently ignored).
Config parse_json(const std::string& text, const std::string& origin = "config");

// Applies environment overrides (see docs/configuration.md) from `env` (name -> value).
void apply_env(Config& cfg, const std::map<std::string, std::string>& env);

// Validates cross-field rules (unique ids, port ranges, min<=max, ...). Throws ConfigError.
void validate(const Config& cfg);

// One camera object in the configuration file's format (the REST API's POST/PUT /cameras
// body), read and validated by the same code as the file's cameras, within `cfg` (its
// settings, e.g. mqtt.url, and its other cameras: an id one of them has is a
// DuplicateIdError). Messages name the key relative to the object ("source.type: must be
// one of …"); text that is not JSON gives the file's "invalid JSON at byte N, …" message.
Camera parse_camera(const std::string& json_text, const Config& cfg);

// Full load: argv (--config PATH, --data-dir DIR, --log-level L, --version, --help),
// file, env, validation. `env` is usually the process environment.
Config load(int argc, const char* const* argv, const std::map<std::string, std::string>& env,
            CliAction& action);

// Text printed by --help.
std::string usage();

// Process environment as a map.
std::map<std::string, std::string> process_env();

}  // namespace camrelay::config
