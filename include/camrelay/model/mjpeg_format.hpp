#pragma once
// Pure MJPEG/JPEG helpers: the multipart/x-mixed-replace framing the MJPEG route writes,
// and JPEG facts the MJPEG branch checks. No GStreamer.
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace camrelay::model {

// One encoded picture, shared immutably by every client that sends it.
using JpegData = std::shared_ptr<const std::string>;

inline constexpr std::string_view kMjpegBoundary = "camrelayframe";
// The HTTP/1.1 response head of a multipart/x-mixed-replace stream (ends with CRLFCRLF).
std::string mjpeg_response_head(std::string_view boundary, std::string_view server);
// "--boundary\r\nContent-Type: image/jpeg\r\nContent-Length: N\r\n\r\n"; the JPEG bytes and
// "\r\n" follow.
std::string mjpeg_part_header(std::string_view boundary, std::size_t length);
// "--boundary--\r\n": the end of the multipart body.
std::string mjpeg_closing(std::string_view boundary);
// True for data starting with SOI (FF D8) and ending with EOI (FF D9).
bool is_complete_jpeg(std::string_view data) noexcept;
// Width and height from the first SOF marker (baseline/progressive), nullopt if none.
std::optional<std::pair<int, int>> jpeg_dimensions(std::string_view data) noexcept;
// Height for `width` keeping the aspect ratio of src_w x src_h, rounded to even, >= 2.
int scaled_height(int src_w, int src_h, int width) noexcept;

}  // namespace camrelay::model
