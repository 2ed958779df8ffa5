// The ONVIF module's pure parts: XML reading, SOAP envelopes, the UsernameToken digest,
// the device's answers, WS-Discovery messages, URL helpers.
#include <gtest/gtest.h>

#include "camrelay/onvif/client.hpp"
#include "camrelay/onvif/device.hpp"
#include "camrelay/onvif/discovery.hpp"
#include "camrelay/onvif/soap.hpp"
#include "camrelay/onvif/wsse.hpp"
#include "camrelay/util/error.hpp"
#include "camrelay/util/files.hpp"

namespace camrelay::onvif {
namespace {

std::string request(std::string_view body, std::string_view header = {}) { return envelope(body, header); }

DeviceView view() {
  DeviceView v;
  v.identity = {"camrelay", "camrelay", "1.0", uuid_from("x"), "camrelay"};
  v.base_url = "http://10.0.0.2:8080";
  v.now = 1764570000;
  MediaProfile p;
  p.token = "yard";
  p.name = "Yard <east>";
  p.rtsp_uri = "rtsp://10.0.0.2:8554/yard";
  p.snapshot_uri = "http://10.0.0.2:8080/streams/yard/snapshot.jpg";
  p.width = 1280;
  p.height = 720;
  p.fps = 30;
  v.profiles.push_back(p);
  return v;
}

TEST(OnvifXml, FindsElementsByLocalNameWhateverThePrefix) {
  Doc d = Doc::parse("<a:x xmlns:a='urn:a' xmlns:b='urn:b'><b:y k='v'> text &amp; more </b:y><z><y>deep</y></z></a:x>");
  EXPECT_EQ(d.root().local_name(), "x");
  EXPECT_EQ(d.root().ns(), "urn:a");
  EXPECT_EQ(d.root().child("y").text(), "text & more");
  EXPECT_EQ(d.root().child("y").attr("k"), "v");
  EXPECT_EQ(d.root().path({"z", "y"}).text(), "deep");
  EXPECT_FALSE(d.root().child("missing").child("y"));
  EXPECT_EQ(d.root().child("missing").text(), "");
}

TEST(OnvifXml, RefusesBrokenXmlAndDoctypes) {
  EXPECT_THROW(Doc::parse("<a><b></a>"), Error);
  EXPECT_THROW(Doc::parse(""), Error);
  // Entity expansion ("billion laughs", external entities) never gets a chance.
  EXPECT_THROW(Doc::parse("<!DOCTYPE a [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><a>&e;</a>"), Error);
}

TEST(OnvifXml, EscapesText) { EXPECT_EQ(escape("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&apos;"); }

TEST(OnvifSoap, ParsesTheOperationAndFaults) {
  Message m = parse_message(request("<tds:GetDeviceInformation/>"));
  EXPECT_EQ(m.operation.local_name(), "GetDeviceInformation");
  EXPECT_EQ(m.operation.ns(), kDeviceNs);
  EXPECT_THROW(parse_message("<x/>"), Error);
  EXPECT_THROW(parse_message("<s:Envelope xmlns:s='http://www.w3.org/2003/05/soap-envelope'/>"), Error);
  Message f = parse_message(fault("s:Sender", "ter:NotAuthorized", "no"));
  EXPECT_EQ(fault_text(f), "ter:NotAuthorized: no");
}

// The example of the ONVIF Application Programmer's Guide (section 6.1.1.3).
TEST(OnvifWsse, DigestMatchesTheOnvifGuideExample) {
  auto nonce = base64_decode("LKqI6G/AikKCQrN0zqZFlg==");
  ASSERT_TRUE(nonce);
  EXPECT_EQ(password_digest(*nonce, "2010-09-16T07:50:45Z", "userpassword"), "tuOSpGlFlIXsozq4HFNeeGeFLEI=");
}

TEST(OnvifWsse, Base64RoundTrips) {
  for (const std::string& s : std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)}) {
    auto back = base64_decode(base64_encode(s));
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, s);
  }
  EXPECT_FALSE(base64_decode("abc"));
}

TEST(OnvifWsse, ParsesUtcTimes) {
  EXPECT_EQ(parse_utc("1970-01-01T00:01:40Z"), 100);
  EXPECT_EQ(parse_utc("1970-01-01T00:01:40.123Z"), 100);
  EXPECT_FALSE(parse_utc("1970-01-01T00:01:40+02:00"));
  EXPECT_FALSE(parse_utc("yesterday"));
  EXPECT_EQ(format_utc(100), "1970-01-01T00:01:40Z");
}

TEST(OnvifWsse, ChecksTokensOurClientBuilds) {
  const std::int64_t now = 1764570000;
  Message m = parse_message(request("<tds:GetDeviceInformation/>", security_header("nvr", "s3cret-pass", now)));
  auto t = read_username_token(m.header);
  ASSERT_TRUE(t);
  EXPECT_TRUE(t->digest);
  EXPECT_EQ(t->username, "nvr");
  EXPECT_TRUE(token_matches(*t, "nvr", "s3cret-pass", now));
  EXPECT_TRUE(token_matches(*t, "nvr", "s3cret-pass", now + 200));
  EXPECT_FALSE(token_matches(*t, "nvr", "s3cret-pass", now + 3600));  // a replay an hour later
  EXPECT_FALSE(token_matches(*t, "nvr", "wrong-pass", now));
  EXPECT_FALSE(token_matches(*t, "other", "s3cret-pass", now));
  EXPECT_FALSE(token_matches(*t, "nvr", "", now));
}

TEST(OnvifWsse, ReadsPasswordTextAndRefusesBrokenTokens) {
  const std::string text =
      "<wsse:Security><wsse:UsernameToken><wsse:Username>u</wsse:Username><wsse:Password Type=\""
      "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText\">pw"
      "</wsse:Password></wsse:UsernameToken></wsse:Security>";
  auto t = read_username_token(parse_message(request("<tds:GetProfiles/>", text)).header);
  ASSERT_TRUE(t);
  EXPECT_FALSE(t->digest);
  EXPECT_TRUE(token_matches(*t, "u", "pw", 0));
  EXPECT_FALSE(read_username_token(parse_message(request("<tds:GetProfiles/>")).header));
  const std::string digest_without_nonce =
      "<wsse:Security><wsse:UsernameToken><wsse:Username>u</wsse:Username><wsse:Password Type=\"x#PasswordDigest\">"
      "pw</wsse:Password></wsse:UsernameToken></wsse:Security>";
  EXPECT_THROW(read_username_token(parse_message(request("<tds:GetProfiles/>", digest_without_nonce)).header), Error);
}

TEST(OnvifDevice, AnswersProfilesAndStreamUris) {
  const DeviceView v = view();
  Answer a = answer(parse_message(request("<trt:GetProfiles/>")), Service::media, v);
  ASSERT_EQ(a.status, 200);
  Message m = parse_message(a.xml);
  Node p = m.operation.child("Profiles");
  EXPECT_EQ(p.attr("token"), "yard");
  EXPECT_EQ(p.child("Name").text(), "Yard <east>");
  EXPECT_EQ(p.path({"VideoEncoderConfiguration", "Resolution", "Width"}).text(), "1280");
  EXPECT_EQ(p.path({"VideoSourceConfiguration", "SourceToken"}).text(), "src_yard");

  a = answer(parse_message(request("<trt:GetStreamUri><trt:StreamSetup><tt:Stream>RTP-Unicast</tt:Stream><tt:Transport>"
                                   "<tt:Protocol>RTSP</tt:Protocol></tt:Transport></trt:StreamSetup>"
                                   "<trt:ProfileToken>yard</trt:ProfileToken></trt:GetStreamUri>")),
             Service::media, v);
  ASSERT_EQ(a.status, 200);
  EXPECT_EQ(parse_message(a.xml).operation.path({"MediaUri", "Uri"}).text(), "rtsp://10.0.0.2:8554/yard");

  a = answer(parse_message(request("<trt:GetSnapshotUri><trt:ProfileToken>yard</trt:ProfileToken></trt:GetSnapshotUri>")),
             Service::media, v);
  EXPECT_EQ(parse_message(a.xml).operation.path({"MediaUri", "Uri"}).text(), v.profiles[0].snapshot_uri);

  a = answer(parse_message(request("<trt:GetStreamUri><trt:ProfileToken>nope</trt:ProfileToken></trt:GetStreamUri>")),
             Service::media, v);
  EXPECT_EQ(a.status, 400);
  EXPECT_NE(fault_text(parse_message(a.xml)).find("ter:NoProfile"), std::string::npos);

  a = answer(parse_message(request("<trt:GetVideoSources/>")), Service::media, v);
  EXPECT_EQ(parse_message(a.xml).operation.child("VideoSources").attr("token"), "src_yard");
}

TEST(OnvifDevice, AnswersTheDeviceService) {
  const DeviceView v = view();
  Answer a = answer(parse_message(request("<tds:GetCapabilities><tds:Category>All</tds:Category></tds:GetCapabilities>")),
                    Service::device, v);
  Message m = parse_message(a.xml);
  EXPECT_EQ(m.operation.path({"Capabilities", "Media", "XAddr"}).text(), "http://10.0.0.2:8080/onvif/media_service");
  a = answer(parse_message(request("<tds:GetDeviceInformation/>")), Service::device, v);
  EXPECT_EQ(parse_message(a.xml).operation.child("SerialNumber").text(), uuid_from("x"));
  a = answer(parse_message(request("<tds:GetServices><tds:IncludeCapability>false</tds:IncludeCapability></tds:GetServices>")),
             Service::device, v);
  EXPECT_EQ(parse_message(a.xml).operation.children("Service").size(), 2u);
  a = answer(parse_message(request("<tds:SystemReboot/>")), Service::device, v);
  EXPECT_EQ(a.status, 400);
  EXPECT_NE(fault_text(parse_message(a.xml)).find("ActionNotSupported"), std::string::npos);
  EXPECT_TRUE(is_open_operation(parse_message(request("<tds:GetSystemDateAndTime/>"))));
  EXPECT_FALSE(is_open_operation(parse_message(request("<tds:GetDeviceInformation/>"))));
  EXPECT_EQ(not_authorized().status, 400);
  EXPECT_NE(fault_text(parse_message(not_authorized().xml)).find("ter:NotAuthorized"), std::string::npos);
  // Media operations sent to the device address are answered by their namespace.
  a = answer(parse_message(request("<trt:GetProfiles/>")), Service::device, v);
  EXPECT_EQ(a.status, 200);
}

TEST(OnvifDevice, UuidIsStablePerSeed) {
  EXPECT_EQ(uuid_from("a"), uuid_from("a"));
  EXPECT_NE(uuid_from("a"), uuid_from("b"));
  EXPECT_EQ(uuid_from("a").size(), 36u);
  EXPECT_EQ(uuid_from("a")[14], '5');
}

TEST(OnvifDiscovery, ProbeAndMatchesRoundTrip) {
  const std::string probe = probe_message("urn:uuid:1");
  EXPECT_EQ(probe_to_answer(probe), "urn:uuid:1");
  const std::string other =
      envelope("<d:Probe><d:Types>x:Printer</d:Types></d:Probe>", "<wsa:MessageID>urn:uuid:2</wsa:MessageID>");
  EXPECT_EQ(probe_to_answer(other), "");
  DeviceIdentity id{"m", "n", "1", "1234", "h"};
  const std::string reply = probe_matches(id, "urn:uuid:1", "http://10.0.0.2:8080/onvif/device_service", "urn:uuid:9",
                                          "onvif://www.onvif.org/name/m");
  auto found = parse_probe_matches(reply, "urn:uuid:1");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].endpoint, "urn:uuid:1234");
  EXPECT_EQ(found[0].xaddrs.at(0), "http://10.0.0.2:8080/onvif/device_service");
  EXPECT_EQ(found[0].scopes.at(0), "onvif://www.onvif.org/name/m");
  EXPECT_TRUE(parse_probe_matches(reply, "urn:uuid:other").empty());
}

TEST(OnvifClient, SplitsUrlsAndAddsCredentials) {
  auto u = parse_http_url("http://cam.local:8000/onvif/device_service");
  EXPECT_EQ(u.host, "cam.local");
  EXPECT_EQ(u.port, "8000");
  EXPECT_EQ(u.target, "/onvif/device_service");
  EXPECT_EQ(parse_http_url("http://[fe80::1]/x").host, "fe80::1");
  EXPECT_EQ(parse_http_url("http://10.0.0.3").port, "80");
  EXPECT_THROW(parse_http_url("https://cam/x"), Error);
  EXPECT_THROW(parse_http_url("http://u:p@cam/x"), Error);
  EXPECT_THROW(parse_http_url("http://cam:99999/x"), Error);
  EXPECT_EQ(with_credentials("rtsp://cam/s", "ad min", "p@ss"), "rtsp://ad%20min:p%40ss@cam/s");
  EXPECT_EQ(with_credentials("rtsp://x:y@cam/s", "a", "b"), "rtsp://x:y@cam/s");
}

// The hand-made fixtures of tests/fixtures/onvif (a Hikvision-style camera) parse.
TEST(OnvifFixtures, HikvisionStyleAnswersParse) {
  const std::string dir = std::string(CAMRELAY_SOURCE_DIR) + "/tests/fixtures/onvif/hikvision/";
  Message p = parse_message(read_whole_file(dir + "GetProfiles.xml").value());
  auto profiles = p.operation.children("Profiles");
  ASSERT_EQ(profiles.size(), 2u);
  EXPECT_EQ(profiles[0].attr("token"), "Profile_1");
  EXPECT_EQ(profiles[0].path({"VideoEncoderConfiguration", "Encoding"}).text(), "H264");
  EXPECT_TRUE(profiles[0].child("PTZConfiguration"));
  Message s = parse_message(read_whole_file(dir + "GetStreamUri.xml").value());
  EXPECT_TRUE(s.operation.path({"MediaUri", "Uri"}).text().starts_with("rtsp://"));
}

}  // namespace
}  // namespace camrelay::onvif
