// Environment overrides (applied after the file, before the command line).
#include <cctype>
#include <charconv>

#include "camrelay/config/config.hpp"
#include "detail.hpp"

namespace camrelay::config {
namespace detail {
namespace {

using Env = std::map<std::string, std::string>;

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// The value of a set, non-empty variable, or nullptr.
const std::string* lookup(const Env& env, const char* name) {
  auto it = env.find(name);
  if (it == env.end() || trim(it->second).empty()) return nullptr;
  return &it->second;
}

bool env_string(const Env& env, const char* name, std::string& out) {
  const std::string* v = lookup(env, name);
  if (!v) return false;
  out = std::string(trim(*v));
  return true;
}

bool env_int(const Env& env, const char* name, int& out) {
  const std::string* v = lookup(env, name);
  if (!v) return false;
  std::string_view s = trim(*v);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  int x = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), x);
  if (ec != std::errc() || ptr != s.data() + s.size() || s.empty()) {
    throw ConfigError(std::string("env ") + name + ": must be an integer (got " + quote(*v) + ")");
  }
  out = x;
  return true;
}

// true/false, 1/0, yes/no, on/off (any case).
bool env_bool(const Env& env, const char* name, bool& out) {
  const std::string* v = lookup(env, name);
  if (!v) return false;
  std::string s(trim(*v));
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (s == "true" || s == "1" || s == "yes" || s == "on") {
    out = true;
  } else if (s == "false" || s == "0" || s == "no" || s == "off") {
    out = false;
  } else {
    throw ConfigError(std::string("env ") + name + ": must be true or false (got " + quote(*v) + ")");
  }
  return true;
}

std::vector<std::string> split_list(std::string_view s) {
  std::vector<std::string> out;
  while (true) {
    auto comma = s.find(',');
    std::string_view item = trim(s.substr(0, comma));
    if (!item.empty()) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

std::string with_scheme(const std::string& url, const char* scheme) {
  if (starts_with_any(url, kIceSchemes)) return url;
  return scheme + url;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

void apply_env_tracked(Config& cfg, const Env& env, const ExplicitBandwidth* explicit_bw) {
  env_string(env, "API_SERVER_HOST", cfg.http.host);
  env_int(env, "API_SERVER_PORT", cfg.http.port);
  env_int(env, "SIGNALING_SERVER_PORT", cfg.http.signaling_port);
  env_bool(env, "API_USE_SSL", cfg.http.tls.enabled);
  env_string(env, "SSL_CERT", cfg.http.tls.cert);
  env_string(env, "SSL_KEY", cfg.http.tls.key);
  bool sig = false;
  if (env_bool(env, "SIGNALING_USE_SSL", sig)) cfg.http.tls.signaling = sig;

  if (const std::string* v = lookup(env, "EXTERNAL_IP")) cfg.webrtc.announced_ips = split_list(*v);
  if (const std::string* v = lookup(env, "STUN_SERVER")) {
    std::vector<IceServer> servers;
    for (const auto& url : split_list(*v)) servers.push_back({with_scheme(url, "stun:"), "", ""});
    cfg.webrtc.ice_servers = std::move(servers);
  }
  if (const std::string* v = lookup(env, "TURN_SERVER")) {
    IceServer turn{with_scheme(std::string(trim(*v)), "turn:"), "", ""};
    env_string(env, "TURN_USERNAME", turn.username);
    if (const std::string* p = lookup(env, "TURN_PASSWORD")) turn.credential = *p;
    cfg.webrtc.ice_servers.push_back(std::move(turn));
  }
  env_int(env, "WEBRTC_UDP_PORT_MIN", cfg.webrtc.udp_port_min);
  env_int(env, "WEBRTC_UDP_PORT_MAX", cfg.webrtc.udp_port_max);
  env_int(env, "MAX_VIEWERS_PER_STREAM", cfg.webrtc.max_viewers_per_stream);
  env_int(env, "MAX_VIEWERS_TOTAL", cfg.webrtc.max_viewers_total);

  env_string(env, "MQTT_URL", cfg.mqtt.url);
  env_string(env, "MQTT_USERNAME", cfg.mqtt.username);
  if (const std::string* p = lookup(env, "MQTT_PASSWORD")) cfg.mqtt.password = *p;

  env_string(env, "CAMRELAY_DATA_DIR", cfg.data_dir);
  if (env_string(env, "LOG_LEVEL", cfg.log_level)) cfg.log_level = lower(cfg.log_level);

  // Default bandwidth for cameras whose configuration did not set the value.
  const Bandwidth defaults;
  int max_kbps = 0;
  int min_kbps = 0;
  bool have_max = env_int(env, "MAX_VIDEO_BANDWIDTH", max_kbps);
  bool have_min = env_int(env, "MIN_VIDEO_BANDWIDTH", min_kbps);
  for (std::size_t i = 0; i < cfg.cameras.size(); ++i) {
    Bandwidth& bw = cfg.cameras[i].bandwidth;
    bool tracked = explicit_bw && i < explicit_bw->size();
    bool max_set = tracked ? (*explicit_bw)[i].max_kbps : bw.max_kbps != defaults.max_kbps;
    bool min_set = tracked ? (*explicit_bw)[i].min_kbps : bw.min_kbps != defaults.min_kbps;
    if (have_max && !max_set) bw.max_kbps = max_kbps;
    if (have_min && !min_set) bw.min_kbps = min_kbps;
  }
}

}  // namespace detail

void apply_env(Config& cfg, const std::map<std::string, std::string>& env) {
  detail::apply_env_tracked(cfg, env, nullptr);
}

}  // namespace camrelay::config
