#include "camrelay/util/ids.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <random>

namespace camrelay {

std::string random_id(std::string_view prefix) {
  static std::mutex mu;
  static std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(prefix);
  std::uint64_t a, b;
  {
    std::lock_guard lk(mu);
    a = rng();
    b = rng();
  }
  for (int i = 0; i < 16; ++i) out.push_back(kHex[(a >> (i * 4)) & 0xf]);
  for (int i = 0; i < 8; ++i) out.push_back(kHex[(b >> (i * 4)) & 0xf]);
  return out;
}

std::int64_t unix_now_s() {
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

std::int64_t unix_now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::int64_t mono_now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

bool valid_camera_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::optional<std::int64_t> parse_utc_ms(std::string_view v) {
  if (v.empty() || v.size() > 40) return std::nullopt;
  int Y, M, D, h, m, sec;
  char tail[32] = {0};
  const std::string text(v);
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%31s", &Y, &M, &D, &h, &m, &sec, tail) < 6) return std::nullopt;
  std::string rest(tail);
  int ms = 0;
  if (!rest.empty() && rest[0] == '.') {  // a fraction of a second: its first three digits
    std::size_t i = 1;
    int digits = 0;
    while (i < rest.size() && rest[i] >= '0' && rest[i] <= '9') {
      if (digits < 3) ms = ms * 10 + (rest[i] - '0');
      ++digits;
      ++i;
    }
    if (digits == 0) return std::nullopt;
    for (int k = digits; k < 3; ++k) ms *= 10;
    rest = rest.substr(i);
  }
  if (rest != "Z" && rest != "+00:00" && rest != "-00:00") return std::nullopt;
  if (Y < 1970 || Y > 9999 || M < 1 || M > 12 || D < 1 || D > 31 || h < 0 || h > 23 || m < 0 || m > 59 || sec < 0 ||
      sec > 60) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = Y - 1900;
  tm.tm_mon = M - 1;
  tm.tm_mday = D;
  tm.tm_hour = h;
  tm.tm_min = m;
  tm.tm_sec = sec;
  return std::int64_t(timegm(&tm)) * 1000 + ms;
}

}  // namespace camrelay
