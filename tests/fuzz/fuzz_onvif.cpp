// One SOAP request to camrelay's ONVIF services (POST /onvif/device_service and
// /onvif/media_service are open routes: anybody may send them). The envelope is parsed, its
// WS-Security UsernameToken read and checked, and both services answer it: a documented
// rejection or an answer, never a crash, a leak or an empty reply.
#include "camrelay/onvif/device.hpp"
#include "camrelay/onvif/soap.hpp"
#include "camrelay/onvif/wsse.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace camrelay;
  static const onvif::DeviceView view = [] {
    onvif::DeviceView v;
    v.identity = {"Fuzz Works", "Relay", "1.0", "00000000-0000-5000-8000-000000000000", "camrelay"};
    v.base_url = "http://127.0.0.1:8080";
    v.now = 1'800'000'000;
    v.profiles.push_back({"yard", "Yard", "rtsp://127.0.0.1:8554/yard", "http://127.0.0.1:8080/streams/yard/snapshot.jpg",
                          1280, 720, 30.0, "H264"});
    v.profiles.push_back({"door", "Door <&>", "rtsp://127.0.0.1:8554/door", "http://127.0.0.1:8080/streams/door/snapshot.jpg",
                          0, 0, 0.0, "H265"});
    return v;
  }();
  fuzz::expect_clean("onvif request", [&] {
    const onvif::Message m = onvif::parse_message(fuzz::as_text(data, size));
    (void)onvif::is_open_operation(m);
    fuzz::expect_clean("read_username_token", [&] {
      if (auto t = onvif::read_username_token(m.header)) {
        if (onvif::token_matches(*t, "nvr", "the-onvif-password", view.now)) {
          // Only a digest made with the password (or the password itself) may match.
          if (!t->digest && t->password != "the-onvif-password") fuzz::finding("a wrong text password matched");
        }
      }
    });
    for (onvif::Service s : {onvif::Service::device, onvif::Service::media}) {
      const onvif::Answer a = onvif::answer(m, s, view);
      if (a.xml.empty()) fuzz::finding("an empty answer");
      if (a.status != 200 && a.status != 400 && a.status != 500) fuzz::finding("an answer with an odd status");
    }
  });
  return 0;
}
