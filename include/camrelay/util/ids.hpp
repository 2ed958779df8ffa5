#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace camrelay {

// Random identifier: optional prefix + 24 lowercase hex chars (96 bits).
std::string random_id(std::string_view prefix = {});

// Wall clock, seconds / milliseconds since the Unix epoch.
std::int64_t unix_now_s();
std::int64_t unix_now_ms();
// Monotonic clock in milliseconds (for durations and rates).
std::int64_t mono_now_ms();
// An ISO 8601 UTC time, YYYY-MM-DDTHH:MM:SS[.fraction] then Z, +00:00 or -00:00 (years
// 1970..9999), as Unix milliseconds (the fraction cut to ms); nullopt for anything else.
std::optional<std::int64_t> parse_utc_ms(std::string_view text);

// True for [A-Za-z0-9_-]{1,64}: the allowed shape of camera ids.
bool valid_camera_id(std::string_view id) noexcept;

}  // namespace camrelay
