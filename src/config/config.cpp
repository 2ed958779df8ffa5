// Small public helpers of the config module plus shared message helpers.
#include "camrelay/config/config.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "detail.hpp"

extern char** environ;

namespace camrelay::config {

const char* source_type_name(const Source& s) noexcept {
  switch (s.index()) {
    case 0: return "test";
    case 1: return "rtp";
    case 2: return "rtsp";
    case 3: return "v4l2";
    case 4: return "composite";
    case 5: return "onvif";
    default: return "unknown";
  }
}

std::optional<H264Encoding> own_encoding(const Source& s) {
  auto from = [](const auto& x) {
    return H264Encoding{x.width, x.height, x.fps, x.bitrate_kbps, x.keyframe_interval_s,
                        x.encoder, x.profile, x.preset};
  };
  if (const auto* t = std::get_if<TestSource>(&s)) return from(*t);
  if (const auto* v = std::get_if<V4l2Source>(&s)) return from(*v);
  if (const auto* c = std::get_if<CompositeSource>(&s)) return from(*c);
  return std::nullopt;
}

int latency_mode_ms(const std::string& mode) noexcept {
  if (mode == "low") return 100;
  if (mode == "normal") return 500;
  if (mode == "high") return 2000;
  return -1;
}

int jitter_buffer_ms(const Camera& c) noexcept {
  if (!std::holds_alternative<RtpSource>(c.source) && !std::holds_alternative<RtspSource>(c.source) &&
      !std::holds_alternative<OnvifSource>(c.source)) {
    return -1;
  }
  if (const int m = latency_mode_ms(c.latency_mode); m >= 0) return m;
  if (const auto* r = std::get_if<RtspSource>(&c.source)) return r->latency_ms;
  if (const auto* o = std::get_if<OnvifSource>(&c.source)) return o->latency_ms;
  return kRtpJitterBufferMs;
}

const std::string& video_codec(const Camera& c) noexcept {
  static const std::string h264 = "H264";
  if (const auto* r = std::get_if<RtpSource>(&c.source)) return r->codec;
  if (const auto* r = std::get_if<RtspSource>(&c.source)) return r->codec;
  if (const auto* o = std::get_if<OnvifSource>(&c.source)) return o->codec;
  return h264;
}

int default_audio_clock_rate(const std::string& codec) noexcept {
  return codec == "PCMU" || codec == "PCMA" ? 8000 : 48000;
}

const Camera* Config::find_camera(const std::string& id) const {
  for (const auto& c : cameras) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

std::string Config::recording_dir() const {
  if (!recording.dir.empty()) return recording.dir;
  return (std::filesystem::path(data_dir) / "recordings").string();
}

std::string usage() {
  return "Usage: camrelay [OPTIONS]\n"
         "       camrelay [OPTIONS] user add|passwd|del|list ...   (accounts; camrelay user --help)\n"
         "       camrelay [OPTIONS] token create|revoke|list ...\n"
         "\n"
         "Camera streaming relay (WebRTC, HLS, MJPEG).\n"
         "\n"
         "Options:\n"
         "  --config PATH      JSON configuration file (default: $CAMRELAY_CONFIG, else\n"
         "                     built-in defaults)\n"
         "  --data-dir DIR     directory for the database, HLS segments and recordings\n"
         "                     (overrides data_dir / CAMRELAY_DATA_DIR)\n"
         "  --log-level LEVEL  trace, debug, info, warn, error, critical or off\n"
         "                     (overrides log_level / LOG_LEVEL)\n"
         "  --version          print the version and exit\n"
         "  -h, --help         print this help and exit\n"
         "\n"
         "Options also accept the --name=value form. Precedence: command line >\n"
         "environment > configuration file > defaults. Every key and environment\n"
         "variable is described in docs/configuration.md.\n";
}

std::map<std::string, std::string> process_env() {
  std::map<std::string, std::string> out;
  if (environ == nullptr) return out;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view kv(*e);
    auto eq = kv.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    out.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  return out;
}

namespace detail {

[[noreturn]] void fail(const std::string& path, const std::string& problem) {
  if (path.empty()) throw ConfigError(problem);
  throw ConfigError(path + ": " + problem);
}

std::string quote(std::string_view s) {
  constexpr std::size_t kMax = 80;
  std::string out = "\"";
  std::size_t n = 0;
  for (char ch : s) {
    if (n++ == kMax) {
      out += "...";
      break;
    }
    auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += ch;
    }
  }
  out += '"';
  return out;
}

std::string fmt_real(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

std::string int_range_msg(const IntRange& r) {
  return "must be an integer in " + std::to_string(r.lo) + ".." + std::to_string(r.hi);
}

std::string real_range_msg(const RealRange& r) {
  return "must be a number in " + fmt_real(r.lo) + ".." + fmt_real(r.hi);
}

std::string one_of_msg(const std::string_view* first, std::size_t n) {
  std::string out = "must be one of ";
  for (std::size_t i = 0; i < n; ++i) {
    if (i) out += ", ";
    out += first[i];
  }
  return out;
}

bool in_list(std::string_view v, const std::string_view* first, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    if (first[i] == v) return true;
  }
  return false;
}

bool starts_with_any(std::string_view v, const std::string_view* first, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    if (v.starts_with(first[i])) return true;
  }
  return false;
}

std::string read_file(const std::string& path) {
  constexpr std::size_t kMaxSize = 16 * 1024 * 1024;
  auto error = [&](int err) {
    return ConfigError("cannot read config file " + path + ": " + std::strerror(err));
  };
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw error(errno);
  std::string out;
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      throw error(err);
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    if (out.size() > kMaxSize) {
      ::close(fd);
      throw ConfigError("cannot read config file " + path + ": larger than 16 MiB");
    }
  }
  ::close(fd);
  return out;
}

}  // namespace detail
}  // namespace camrelay::config
