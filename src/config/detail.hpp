#pragma once
// Private helpers shared by the config module's translation units (not installed).
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "camrelay/config/config.hpp"

namespace camrelay::config::detail {

// Value ranges shared by the JSON reader (early, with the key path) and validate().
struct IntRange {
  std::int64_t lo;
  std::int64_t hi;
};
struct RealRange {
  double lo;
  double hi;
};

inline constexpr IntRange kPort{1, 65535};
inline constexpr IntRange kPortOrZero{0, 65535};
inline constexpr IntRange kBodyLimit{1024, 64 * 1024 * 1024};
inline constexpr IntRange kHeaderTimeout{1, 3600};
inline constexpr IntRange kIdleTimeout{1, 86400};
inline constexpr IntRange kHttpThreads{1, 16};
inline constexpr IntRange kViewersPerStream{1, 1000};
inline constexpr IntRange kViewersTotal{1, 10000};
inline constexpr IntRange kRtcpTimeout{2, 120};
inline constexpr IntRange kDisconnectGrace{1, 60};
inline constexpr IntRange kConnectTimeout{5, 120};
inline constexpr IntRange kVp8Bitrate{100, 20000};
inline constexpr IntRange kVp8Size{0, 3840};
inline constexpr IntRange kMqttAnswerTimeout{1, 300};
inline constexpr IntRange kMqttKeepalive{1, 3600};
inline constexpr RealRange kHlsTargetDuration{0.2, 10.0};
inline constexpr IntRange kHlsPlaylistLength{1, 20};
inline constexpr IntRange kHlsMaxFiles{1, 1000};
inline constexpr IntRange kHlsIdleStop{1, 86400};
inline constexpr IntRange kHlsPartMs{0, 1000};  // 0 = off, else at least kHlsPartMsMin
inline constexpr int kHlsPartMsMin = 100;
inline constexpr IntRange kRtspGrace{0, 3600};
inline constexpr IntRange kMjpegFps{1, 60};
inline constexpr IntRange kMjpegQuality{1, 100};
inline constexpr IntRange kRecordSegment{10, 86400};
inline constexpr IntRange kRecordMaxAgeH{0, 24 * 3650};
inline constexpr IntRange kRecordMb{0, 100000000};
inline constexpr IntRange kRecordCheck{1, 3600};
inline constexpr IntRange kStallS{0, 3600};
inline constexpr IntRange kRecordFragment{200, 10000};
inline constexpr IntRange kVideoDimOrZero{0, 7680};
inline constexpr IntRange kVideoDim{16, 7680};
inline constexpr IntRange kBandwidthKbps{1, 1000000};
inline constexpr IntRange kVideoFps{1, 120};
inline constexpr IntRange kVideoFpsOrZero{0, 120};
inline constexpr IntRange kVideoBitrate{50, 100000};
inline constexpr RealRange kKeyframeInterval{0.1, 60.0};
inline constexpr IntRange kPayloadType{0, 127};
inline constexpr IntRange kClockRate{1000, 1000000};
inline constexpr IntRange kRtpTimeout{1, 3600};
inline constexpr IntRange kRtspLatency{0, 10000};
inline constexpr IntRange kRateLimit{0, 100000};
inline constexpr IntRange kRateBurst{1, 100000};
inline constexpr IntRange kConnectionsPerIp{0, 100000};
inline constexpr IntRange kViewersPerIp{0, 10000};
inline constexpr IntRange kSessionTtl{60, 366 * 24 * 3600};
inline constexpr IntRange kViewerTokenTtl{60, 10 * 366 * 24 * 3600};
inline constexpr IntRange kLoginFailures{1, 1000};

inline constexpr std::string_view kLogLevels[] = {"trace", "debug", "info",    "warn",
                                                  "error", "critical", "off"};
inline constexpr std::string_view kSourceTypes[] = {"test", "rtp", "rtsp", "v4l2", "composite", "onvif"};
inline constexpr std::string_view kCompositeLayouts[] = {"pip", "grid"};
inline constexpr std::string_view kCompositeGrids[] = {"2x2", "3x3"};
inline constexpr std::string_view kPipPositions[] = {"top-left", "top-right", "bottom-left", "bottom-right"};
inline constexpr RealRange kPipScale{0.05, 0.9};
inline constexpr IntRange kPipBorder{0, 64};
inline constexpr std::string_view kRecordModes[] = {"off", "continuous"};
inline constexpr std::string_view kSendPaths[] = {"direct", "webrtcbin"};
inline constexpr std::string_view kProfiles[] = {"constrained-baseline", "baseline", "main",
                                                 "high"};
inline constexpr std::string_view kEncoders[] = {"x264", "v4l2", "vaapi", "auto"};
// x264's speed presets (placebo left out: far too slow for live video) and "auto".
inline constexpr std::string_view kPresets[] = {"auto", "ultrafast", "superfast", "veryfast", "faster",
                                                "fast", "medium", "slow", "slower", "veryslow"};
inline constexpr std::string_view kLatencyModes[] = {"low", "normal", "high"};
inline constexpr std::string_view kNegotiations[] = {"mqtt", "static"};
inline constexpr std::string_view kAudioCodecs[] = {"OPUS", "PCMU", "PCMA"};
inline constexpr std::string_view kVideoCodecs[] = {"H264", "H265"};
inline constexpr std::string_view kRtspTransports[] = {"tcp", "udp", "auto"};
inline constexpr std::string_view kMqttSchemes[] = {"tcp://", "ssl://", "mqtt://",
                                                   "mqtts://", "ws://",  "wss://"};
inline constexpr std::string_view kIceSchemes[] = {"stun:", "stuns:", "turn:", "turns:"};

// Which bandwidth values a camera's JSON set explicitly (index = camera index).
struct BandwidthExplicit {
  bool min_kbps = false;
  bool max_kbps = false;
};
using ExplicitBandwidth = std::vector<BandwidthExplicit>;

// parse_json() that also reports which bandwidth values were explicit.
Config parse_json_tracked(const std::string& text, const std::string& origin,
                          ExplicitBandwidth* explicit_bw);

// apply_env() with exact knowledge of explicit bandwidth values. With nullptr a camera
// value equal to the built-in default counts as "not set".
void apply_env_tracked(Config& cfg, const std::map<std::string, std::string>& env,
                       const ExplicitBandwidth* explicit_bw);

// One camera object. `path` is its key path in messages ("cameras[1]"; "" = the object
// itself), `origin` the document's name ("" = none: no prefix).
Camera read_camera_json(const nlohmann::json& j, const std::string& path, const std::string& origin,
                        BandwidthExplicit& bw_explicit);

// The checks of one camera within `cfg`: its id, whether `id_taken` (DuplicateIdError),
// bandwidth and source. `path` as for read_camera_json.
void check_camera(const std::string& path, const Camera& c, const Config& cfg,
                  const std::function<bool(const std::string&)>& id_taken);
// An own H.264 encoding's keys under `path` (encoder, profile, preset and how they combine).
// `even`: width and height must be even (what camrelay scales to; V4L2 takes the device's).
void check_encoding(const std::string& path, const H264Encoding& e, bool even);
// encoder, profile and preset under `path` (the own encoding's and camera.sub's).
void check_encoder_keys(const std::string& path, const std::string& encoder, const std::string& profile,
                        const std::string& preset);
[[noreturn]] void fail_duplicate_id(const std::string& path, const std::string& id);

// Reads a whole file; ConfigError "cannot read config file PATH: <strerror>".
std::string read_file(const std::string& path);

// ---- message helpers ----
// A short printable rendering of a value for "(got ...)": quoted, escaped, truncated.
std::string quote(std::string_view s);
std::string int_range_msg(const IntRange& r);    // "must be an integer in 1..65535"
std::string real_range_msg(const RealRange& r);  // "must be a number in 0.2..10"
std::string one_of_msg(const std::string_view* first, std::size_t n);  // "must be one of a, b"
std::string fmt_real(double v);
bool in_list(std::string_view v, const std::string_view* first, std::size_t n);
bool starts_with_any(std::string_view v, const std::string_view* first, std::size_t n);

template <std::size_t N>
std::string one_of_msg(const std::string_view (&a)[N]) {
  return one_of_msg(a, N);
}
template <std::size_t N>
bool in_list(std::string_view v, const std::string_view (&a)[N]) {
  return in_list(v, a, N);
}
template <std::size_t N>
bool starts_with_any(std::string_view v, const std::string_view (&a)[N]) {
  return starts_with_any(v, a, N);
}

[[noreturn]] void fail(const std::string& path, const std::string& problem);

}  // namespace camrelay::config::detail
