#pragma once
// Named spdlog loggers per module ("http", "media", ...), all writing to stdout in a
// journald-friendly format (no colours when stdout is not a TTY).
#include <memory>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

namespace camrelay::log {

// Parses "trace|debug|info|warn|error|critical|off"; returns false for anything else.
bool parse_level(std::string_view s, spdlog::level::level_enum& out);

// Sets up the shared sink and the default level. Safe to call more than once.
void init(spdlog::level::level_enum level);

// Returns (creating on first use) the logger for a module.
std::shared_ptr<spdlog::logger> get(const std::string& name);

}  // namespace camrelay::log
