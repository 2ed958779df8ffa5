#include "camrelay/util/log.hpp"

#include <mutex>
#include <unistd.h>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>

namespace camrelay::log {
namespace {
std::mutex g_mu;
spdlog::sink_ptr g_sink;
spdlog::level::level_enum g_level = spdlog::level::info;

spdlog::sink_ptr sink_locked() {
  if (!g_sink) {
    if (isatty(STDOUT_FILENO)) {
      g_sink = std::make_shared<spdlog::sinks::stdout_color_sink_mt>();
    } else {
      g_sink = std::make_shared<spdlog::sinks::stdout_sink_mt>();
    }
    // journald adds its own timestamp, but a plain terminal wants one too.
    g_sink->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ [%n] %v");
  }
  return g_sink;
}
}  // namespace

bool parse_level(std::string_view s, spdlog::level::level_enum& out) {
  static constexpr std::pair<std::string_view, spdlog::level::level_enum> kLevels[] = {
      {"trace", spdlog::level::trace}, {"debug", spdlog::level::debug},
      {"info", spdlog::level::info},   {"warn", spdlog::level::warn},
      {"warning", spdlog::level::warn},{"error", spdlog::level::err},
      {"critical", spdlog::level::critical}, {"off", spdlog::level::off}};
  for (const auto& [name, lvl] : kLevels) {
    if (s == name) {
      out = lvl;
      return true;
    }
  }
  return false;
}

void init(spdlog::level::level_enum level) {
  std::lock_guard lk(g_mu);
  g_level = level;
  sink_locked();
  spdlog::set_level(level);
  spdlog::apply_all([level](const std::shared_ptr<spdlog::logger>& l) { l->set_level(level); });
}

std::shared_ptr<spdlog::logger> get(const std::string& name) {
  std::lock_guard lk(g_mu);
  if (auto l = spdlog::get(name)) return l;
  auto l = std::make_shared<spdlog::logger>(name, sink_locked());
  l->set_level(g_level);
  l->flush_on(spdlog::level::warn);
  spdlog::register_logger(l);
  return l;
}

}  // namespace camrelay::log
