// The JSON views of the typed figures (views.cpp): what GET /streams/{id} shows under
// "source" for each kind of source, its retries, outputs and BCGH session.
#include <gtest/gtest.h>

#include "camrelay/service/stream_manager.hpp"
#include "camrelay/util/ids.hpp"

using namespace camrelay;
using namespace camrelay::service;

namespace {

TEST(Views, RtpSourceWithBcghSessionOnTop) {
  StreamInfo i;
  model::RtpFigures rtp;
  rtp.negotiation = "mqtt";
  rtp.video_port = 5004;
  rtp.rtcp_port = 5005;
  rtp.packets = 5;
  rtp.rembs_sent = 1;
  rtp.camera_ssrc = "0000abcd";
  rtp.rtcp_to_origin = "answer";
  i.source.source = rtp;
  model::BcghFigures b;
  b.keepalives_sent = 3;
  b.session_id = "s1";
  b.last_error = "camera did not answer within 5 s";
  b.next_attempt_unix_ms = unix_now_ms() + 2000;
  i.source.bcgh = b;
  const auto j = to_json(i)["source"];
  EXPECT_EQ(j.at("type"), "rtp");
  EXPECT_EQ(j.at("packets"), 5);
  EXPECT_EQ(j.at("camera_ssrc"), "0000abcd");
  EXPECT_TRUE(j.at("last_rtp_ms_ago").is_null());
  EXPECT_TRUE(j.at("rtp_from").is_null());
  EXPECT_FALSE(j.contains("audio_port"));  // no audio session
  EXPECT_EQ(j.at("keepalives_sent"), 3);
  EXPECT_EQ(j.at("bcgh_session_id"), "s1");
  EXPECT_EQ(j.at("last_error"), "camera did not answer within 5 s");
  EXPECT_GT(j.at("retry_in_ms").get<std::int64_t>(), 1000);
  EXPECT_TRUE(j.at("last_answer_rejection").is_null());
  EXPECT_FALSE(j.contains("answer_audio"));  // no audio offered
}

TEST(Views, RtspSourceKeepsItsOwnErrorOverTheStreamsRetry) {
  StreamInfo i;
  model::RtspFigures rtsp;
  rtsp.url = "rtsp://***@cam/stream";
  rtsp.reconnects = 2;
  rtsp.last_error = "connection refused";
  i.source.source = rtsp;
  i.source.restarts = 1;
  i.source.last_error = "source bin failed";
  const auto j = to_json(i)["source"];
  EXPECT_EQ(j.at("url"), "rtsp://***@cam/stream");
  EXPECT_EQ(j.at("retry_in_ms"), 0);  // not waiting
  EXPECT_TRUE(j.at("next_attempt_at").is_null());
  EXPECT_EQ(j.at("restarts"), 1);
  EXPECT_EQ(j.at("last_error"), "connection refused");
}

TEST(Views, TestSourceShowsRetriesAndOutputs) {
  StreamInfo i;
  EXPECT_TRUE(to_json(i)["source"].empty());  // nothing to say
  i.source.restarts = 3;
  i.source.last_error = "no such device";
  i.source.next_attempt_unix_ms = unix_now_ms() + 4000;
  model::MjpegFigures m;
  m.state = "running";
  m.clients = 2;
  m.width = 640;
  model::TranscodeFigures vp8;
  vp8.from = "h264";
  vp8.codec = "vp8";
  vp8.bitrate_kbps = 1500;
  vp8.width = 0;  // the camera's size
  vp8.height = 360;
  vp8.uptime_s = 12.345;
  i.source.outputs = {{"mjpeg", m}, {"webrtc-vp8", vp8}};
  const auto j = to_json(i)["source"];
  EXPECT_EQ(j.at("restarts"), 3);
  EXPECT_EQ(j.at("last_error"), "no such device");
  EXPECT_GT(j.at("next_attempt_at").get<double>(), 0);
  const auto& o = j.at("outputs");
  EXPECT_EQ(o.at("mjpeg").at("clients"), 2);
  EXPECT_EQ(o.at("mjpeg").at("width"), 640);
  EXPECT_FALSE(o.at("mjpeg").contains("height"));
  EXPECT_EQ(o.at("webrtc-vp8").at("width"), "camera");
  EXPECT_EQ(o.at("webrtc-vp8").at("height"), 360);
  EXPECT_EQ(o.at("webrtc-vp8").at("state"), "running");
  EXPECT_DOUBLE_EQ(o.at("webrtc-vp8").at("uptime_s").get<double>(), 12.3);
  EXPECT_FALSE(o.at("webrtc-vp8").contains("bitrate"));
}

}  // namespace
