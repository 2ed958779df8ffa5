#include <gtest/gtest.h>

#include "rtsp_url.hpp"

using namespace camrelay;
using namespace camrelay::media;

TEST(RtspUrl, BuildsTheSeed003Format) {
  EXPECT_EQ(build_rtsp_url("192.168.1.100", 554, "/stream1"), "rtsp://192.168.1.100:554/stream1");
  EXPECT_EQ(build_rtsp_url("192.168.1.100", 554, "/stream1", "admin", "password"),
            "rtsp://admin:password@192.168.1.100:554/stream1");
  EXPECT_EQ(build_rtsp_url("cam", 8554, "live"), "rtsp://cam:8554/live");  // leading '/' added
  EXPECT_EQ(build_rtsp_url("cam", 554, "/cam/realmonitor?channel=1&subtype=0", "u", "p"),
            "rtsp://u:p@cam:554/cam/realmonitor?channel=1&subtype=0");
  EXPECT_EQ(build_rtsp_url("::1", 554, "/s", "u", "p"), "rtsp://u:p@[::1]:554/s");
}

TEST(RtspUrl, EscapesUserAndPassword) {
  EXPECT_EQ(build_rtsp_url("h", 554, "/s", "ad min", "p@ss:w/rd%"),
            "rtsp://ad%20min:p%40ss%3Aw%2Frd%25@h:554/s");
  EXPECT_EQ(url_escape_userinfo("a-b.c_d~e"), "a-b.c_d~e");
  EXPECT_EQ(url_escape_userinfo("é"), "%C3%A9");
  // A user without a password has no colon.
  EXPECT_EQ(build_rtsp_url("h", 554, "/s", "viewer", ""), "rtsp://viewer@h:554/s");
}

TEST(RtspUrl, ParsesAndRoundTrips) {
  auto u = parse_rtsp_url("rtsp://ad%20min:p%40ss%3Aw%2Frd%25@h:8554/a/b?x=1");
  ASSERT_TRUE(u);
  EXPECT_TRUE(u->has_credentials);
  EXPECT_EQ(u->username, "ad min");
  EXPECT_EQ(u->password, "p@ss:w/rd%");
  EXPECT_EQ(u->host, "h");
  EXPECT_EQ(u->port, 8554);
  EXPECT_EQ(u->path, "/a/b?x=1");
  EXPECT_EQ(u->location(), "rtsp://h:8554/a/b?x=1");  // credentials never in the location

  auto v = parse_rtsp_url("rtsps://[fe80::1]/");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->scheme, "rtsps");
  EXPECT_EQ(v->host, "fe80::1");
  EXPECT_EQ(v->port, 0);
  EXPECT_EQ(v->location(), "rtsps://[fe80::1]/");

  auto w = parse_rtsp_url("rtsp://cam");
  ASSERT_TRUE(w);
  EXPECT_EQ(w->path, "/");
  EXPECT_FALSE(w->has_credentials);

  // A password containing '@' unescaped: the last '@' ends the credentials.
  auto x = parse_rtsp_url("rtsp://u:p@ss@h/s");
  ASSERT_TRUE(x);
  EXPECT_EQ(x->password, "p@ss");
  EXPECT_EQ(x->host, "h");
}

TEST(RtspUrl, RejectsNonRtsp) {
  EXPECT_FALSE(parse_rtsp_url("http://h/s"));
  EXPECT_FALSE(parse_rtsp_url("rtsp://"));
  EXPECT_FALSE(parse_rtsp_url("rtsp://h:0/s"));
  EXPECT_FALSE(parse_rtsp_url("rtsp://h:99999/s"));
  EXPECT_FALSE(parse_rtsp_url("rtsp://h:abc/s"));
  EXPECT_FALSE(parse_rtsp_url("rtsp://[::1/s"));
}

TEST(RtspUrl, MasksCredentials) {
  EXPECT_EQ(mask_rtsp_url("rtsp://admin:secret@10.0.0.5:554/Streaming/Channels/101"),
            "rtsp://***@10.0.0.5:554/Streaming/Channels/101");
  EXPECT_EQ(mask_rtsp_url("rtsp://10.0.0.5/live"), "rtsp://10.0.0.5/live");
  EXPECT_EQ(mask_rtsp_url("rtsp://user@h/x"), "rtsp://***@h/x");
  // Even text that does not parse as a URL loses its credentials.
  EXPECT_EQ(mask_rtsp_url("rtsp://admin:secret@h:notaport/x"), "rtsp://***@h:notaport/x");
  const std::string masked = mask_rtsp_url("rtsp://admin:hunter2@cam/x");
  EXPECT_EQ(masked.find("hunter2"), std::string::npos);
  EXPECT_EQ(masked.find("admin"), std::string::npos);
}

TEST(RtspUrl, ResolvesSourceConfig) {
  config::RtspSource c;
  c.host = "192.0.2.10";
  c.port = 8554;
  c.path = "stream1";
  c.username = "admin";
  c.password = "p:w";
  auto u = resolve_rtsp_source(c);
  EXPECT_EQ(u.location(), "rtsp://192.0.2.10:8554/stream1");
  EXPECT_EQ(u.masked(), "rtsp://***@192.0.2.10:8554/stream1");
  EXPECT_EQ(u.username, "admin");
  EXPECT_EQ(u.password, "p:w");

  config::RtspSource d;
  d.url = "rtsp://a:b@cam:554/h264/ch1/main/av_stream";
  d.username = "ignored";
  auto v = resolve_rtsp_source(d);
  EXPECT_EQ(v.username, "a");  // credentials in the url win
  EXPECT_EQ(v.password, "b");
  EXPECT_EQ(v.location(), "rtsp://cam:554/h264/ch1/main/av_stream");

  config::RtspSource e;
  e.url = "rtsp://cam/axis-media/media.amp";
  e.username = "root";
  e.password = "pass";
  auto w = resolve_rtsp_source(e);
  EXPECT_TRUE(w.has_credentials);
  EXPECT_EQ(w.username, "root");
  EXPECT_EQ(w.masked(), "rtsp://***@cam/axis-media/media.amp");
}
