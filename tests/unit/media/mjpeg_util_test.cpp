#include <gtest/gtest.h>

#include <gst/app/gstappsink.h>
#include <gst/gst.h>

#include "camrelay/media/mjpeg.hpp"
#include "camrelay/util/error.hpp"

using namespace camrelay;
using namespace camrelay::media;
using namespace camrelay::model;  // the multipart framing and JPEG facts

namespace {
// SOI, APP0 (JFIF, 16 bytes), DQT stub, SOF0 (w x h), EOI — enough for the marker parser.
std::string fake_jpeg(int w, int h, unsigned char sof = 0xC0) {
  std::string d = {'\xFF', '\xD8'};
  d += std::string("\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00", 18);
  d += std::string("\xFF\xFF", 2);  // a fill byte before the next marker
  d.push_back('\xC4');              // DHT (not a SOF) with a 4-byte body
  d += std::string("\x00\x06\x01\x02\x03\x04", 6);
  d += {'\xFF', static_cast<char>(sof), '\x00', '\x11', '\x08', static_cast<char>(h >> 8),
        static_cast<char>(h & 255), static_cast<char>(w >> 8), static_cast<char>(w & 255)};
  d += std::string(12, '\x01');  // components
  d += {'\xFF', '\xD9'};
  return d;
}

std::string real_jpeg(int w, int h) {
  gst_init(nullptr, nullptr);
  std::string desc = "videotestsrc num-buffers=1 ! video/x-raw,width=" + std::to_string(w) +
                     ",height=" + std::to_string(h) + " ! jpegenc ! appsink name=sink";
  GstElement* p = gst_parse_launch(desc.c_str(), nullptr);
  EXPECT_NE(p, nullptr);
  GstElement* sink = gst_bin_get_by_name(GST_BIN(p), "sink");
  gst_element_set_state(p, GST_STATE_PLAYING);
  GstSample* s = gst_app_sink_try_pull_sample(GST_APP_SINK(sink), 5 * GST_SECOND);
  std::string out;
  if (s) {
    GstMapInfo m;
    GstBuffer* b = gst_sample_get_buffer(s);
    gst_buffer_map(b, &m, GST_MAP_READ);
    out.assign(reinterpret_cast<const char*>(m.data), m.size);
    gst_buffer_unmap(b, &m);
    gst_sample_unref(s);
  }
  gst_element_set_state(p, GST_STATE_NULL);
  gst_object_unref(sink);
  gst_object_unref(p);
  return out;
}
}  // namespace

TEST(MjpegFraming, PartHeaderAndClosing) {
  EXPECT_EQ(mjpeg_part_header("frame", 1234),
            "--frame\r\nContent-Type: image/jpeg\r\nContent-Length: 1234\r\n\r\n");
  EXPECT_EQ(mjpeg_closing("frame"), "--frame--\r\n");
}

TEST(MjpegFraming, ResponseHead) {
  const std::string h = mjpeg_response_head(kMjpegBoundary, "camrelay/test");
  EXPECT_EQ(h.rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
  EXPECT_NE(h.find("\r\nContent-Type: multipart/x-mixed-replace; boundary=camrelayframe\r\n"), std::string::npos);
  EXPECT_NE(h.find("\r\nConnection: close\r\n"), std::string::npos);
  EXPECT_NE(h.find("\r\nCache-Control: no-store"), std::string::npos);
  EXPECT_EQ(h.substr(h.size() - 4), "\r\n\r\n");
  EXPECT_EQ(h.find("\r\n\r\n"), h.size() - 4);  // exactly one header terminator
}

TEST(MjpegFraming, AFullBodyParsesBack) {
  // Two parts as the server writes them; split them again like a client would.
  const std::string a = fake_jpeg(64, 48), b = fake_jpeg(32, 16);
  std::string body = mjpeg_part_header(kMjpegBoundary, a.size()) + a + "\r\n" +
                     mjpeg_part_header(kMjpegBoundary, b.size()) + b + "\r\n" + mjpeg_closing(kMjpegBoundary);
  std::vector<std::string> parts;
  std::size_t pos = 0;
  for (;;) {
    const std::string delim = "--" + std::string(kMjpegBoundary);
    ASSERT_EQ(body.compare(pos, delim.size(), delim), 0);
    pos += delim.size();
    if (body.compare(pos, 2, "--") == 0) break;
    const std::size_t hdr_end = body.find("\r\n\r\n", pos);
    const std::string hdr = body.substr(pos, hdr_end - pos);
    const std::size_t cl = hdr.find("Content-Length: ");
    const std::size_t len = std::stoul(hdr.substr(cl + 16));
    parts.push_back(body.substr(hdr_end + 4, len));
    pos = hdr_end + 4 + len + 2;
  }
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0], a);
  EXPECT_EQ(parts[1], b);
  EXPECT_TRUE(is_complete_jpeg(parts[0]));
}

TEST(Jpeg, Markers) {
  EXPECT_TRUE(is_complete_jpeg(fake_jpeg(8, 8)));
  EXPECT_FALSE(is_complete_jpeg("\xFF\xD8\xFF"));
  std::string truncated = fake_jpeg(8, 8);
  truncated.pop_back();
  EXPECT_FALSE(is_complete_jpeg(truncated));
  EXPECT_FALSE(is_complete_jpeg(""));
}

TEST(Jpeg, DimensionsFromSof) {
  auto d = jpeg_dimensions(fake_jpeg(1280, 720));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->first, 1280);
  EXPECT_EQ(d->second, 720);
  auto p = jpeg_dimensions(fake_jpeg(320, 180, 0xC2));  // progressive
  ASSERT_TRUE(p);
  EXPECT_EQ(p->first, 320);
  EXPECT_FALSE(jpeg_dimensions("not a jpeg"));
  EXPECT_FALSE(jpeg_dimensions(fake_jpeg(0, 10)));
  std::string cut = fake_jpeg(10, 10);
  EXPECT_FALSE(jpeg_dimensions(cut.substr(0, 26)));  // ends inside a segment
}

TEST(Jpeg, ScaledHeightKeepsAspect) {
  EXPECT_EQ(scaled_height(1280, 720, 320), 180);
  EXPECT_EQ(scaled_height(1920, 1080, 640), 360);
  EXPECT_EQ(scaled_height(640, 480, 100), 76);  // 75 rounded up to even
  EXPECT_EQ(scaled_height(1000, 1, 16), 2);
  EXPECT_EQ(scaled_height(0, 720, 320), 0);
}

TEST(Jpeg, ScaleJpegReencodesAtTheAskedWidth) {
  const std::string src = real_jpeg(1280, 720);
  ASSERT_TRUE(is_complete_jpeg(src));
  const std::string out = scale_jpeg(src, 320, 80);
  ASSERT_TRUE(is_complete_jpeg(out));
  auto d = jpeg_dimensions(out);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->first, 320);
  EXPECT_EQ(d->second, 180);
  EXPECT_LT(out.size(), src.size());
}

TEST(Jpeg, ScaleJpegRejectsGarbage) {
  gst_init(nullptr, nullptr);
  EXPECT_THROW(scale_jpeg("garbage", 320, 80), Error);
  // Parses as far as the SOF marker, but has no tables or scan: the decoder fails.
  EXPECT_THROW(scale_jpeg(fake_jpeg(64, 48), 32, 80), Error);
}
