// Pure MJPEG/JPEG helpers (include/camrelay/model/mjpeg_format.hpp), unit-tested.
#include <fmt/format.h>

#include "camrelay/model/mjpeg_format.hpp"

namespace camrelay::model {

std::string mjpeg_response_head(std::string_view boundary, std::string_view server) {
  return fmt::format(
      "HTTP/1.1 200 OK\r\n"
      "Server: {}\r\n"
      "Content-Type: multipart/x-mixed-replace; boundary={}\r\n"
      "Cache-Control: no-store, no-cache, must-revalidate\r\n"
      "Pragma: no-cache\r\n"
      "Access-Control-Allow-Origin: *\r\n"
      "X-Content-Type-Options: nosniff\r\n"
      "Connection: close\r\n"
      "\r\n",
      server, boundary);
}

std::string mjpeg_part_header(std::string_view boundary, std::size_t length) {
  return fmt::format("--{}\r\nContent-Type: image/jpeg\r\nContent-Length: {}\r\n\r\n", boundary,
                     length);
}

std::string mjpeg_closing(std::string_view boundary) { return fmt::format("--{}--\r\n", boundary); }

bool is_complete_jpeg(std::string_view d) noexcept {
  return d.size() >= 4 && static_cast<unsigned char>(d[0]) == 0xFF &&
         static_cast<unsigned char>(d[1]) == 0xD8 &&
         static_cast<unsigned char>(d[d.size() - 2]) == 0xFF &&
         static_cast<unsigned char>(d[d.size() - 1]) == 0xD9;
}

std::optional<std::pair<int, int>> jpeg_dimensions(std::string_view d) noexcept {
  auto byte = [&](std::size_t i) { return static_cast<unsigned char>(d[i]); };
  if (d.size() < 4 || byte(0) != 0xFF || byte(1) != 0xD8) return std::nullopt;
  std::size_t i = 2;
  while (i + 4 <= d.size()) {
    if (byte(i) != 0xFF) return std::nullopt;
    unsigned char marker = byte(i + 1);
    if (marker == 0xFF) {  // fill byte
      ++i;
      continue;
    }
    if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) {
      i += 2;  // markers without a length
      continue;
    }
    if (marker == 0xD9 || marker == 0xDA) return std::nullopt;  // EOI / SOS before any SOF
    const std::size_t len = (std::size_t(byte(i + 2)) << 8) | byte(i + 3);
    if (len < 2 || i + 2 + len > d.size()) return std::nullopt;
    const bool sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 &&
                     marker != 0xCC;
    if (sof) {
      if (len < 7) return std::nullopt;
      const int h = (int(byte(i + 5)) << 8) | byte(i + 6);
      const int w = (int(byte(i + 7)) << 8) | byte(i + 8);
      if (w <= 0 || h <= 0) return std::nullopt;
      return std::make_pair(w, h);
    }
    i += 2 + len;
  }
  return std::nullopt;
}

int scaled_height(int src_w, int src_h, int width) noexcept {
  if (src_w <= 0 || src_h <= 0 || width <= 0) return 0;
  long long h = (static_cast<long long>(src_h) * width + src_w / 2) / src_w;
  h += h & 1;  // even, as most encoders like
  return static_cast<int>(std::max(2LL, h));
}

}  // namespace camrelay::model
