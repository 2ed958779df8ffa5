// BCGH helpers of the service module: RTP port blocks, the source JSON merge.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bcgh.hpp"
#include "camrelay/util/error.hpp"

using namespace camrelay;
using namespace camrelay::service;

namespace {
// Binds a UDP port for the lifetime of the object (another program using it).
struct Squatter {
  int fd = -1;
  explicit Squatter(int port) {
    fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_ANY);
    a.sin_port = htons(static_cast<uint16_t>(port));
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  }
  ~Squatter() { ::close(fd); }
};
constexpr int kBase = 47200;  // a range no other test uses
}  // namespace

TEST(BcghPorts, EvenBlocksInOrderAndReleasedByTheLease) {
  auto a = std::make_shared<PortAllocator>(kBase, kBase + 7, std::set<int>{});
  auto l1 = a->allocate(2);
  auto l2 = a->allocate(4);  // video + RTCP + audio + audio RTCP
  EXPECT_EQ(l1->first(), kBase);
  EXPECT_EQ(l2->first(), kBase + 2);
  auto l3 = a->allocate(2);
  EXPECT_EQ(l3->first(), kBase + 6);
  try {
    a->allocate(2);
    ADD_FAILURE() << "the range is full";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::unavailable);
    EXPECT_THAT(e.what(), ::testing::HasSubstr("no free RTP ports"));
  }
  l1.reset();
  EXPECT_EQ(a->allocate(2)->first(), kBase);
}

TEST(BcghPorts, SkipsReservedAndBusyPorts) {
  auto a = std::make_shared<PortAllocator>(kBase + 10, kBase + 19, std::set<int>{kBase + 11});
  Squatter busy(kBase + 13);  // RTCP port of the second block is taken by someone else
  auto l = a->allocate(2);
  EXPECT_EQ(l->first(), kBase + 14);
  EXPECT_FALSE(udp_ports_free(kBase + 12, 2));
  EXPECT_TRUE(udp_ports_free(kBase + 16, 2));
}

TEST(BcghPorts, FixedPortsClashWithOtherCameras) {
  auto a = std::make_shared<PortAllocator>(kBase + 20, kBase + 29, std::set<int>{});
  auto l = a->allocate(2, 5006);  // a configured video_port (seed: 5006/5007)
  EXPECT_EQ(l->first(), 5006);
  EXPECT_THROW(a->allocate(2, 5007), Error);
  l.reset();
  EXPECT_NO_THROW(a->allocate(2, 5006));
}

TEST(BcghPorts, LeaseOutlivingTheAllocatorIsHarmless) {
  auto a = std::make_shared<PortAllocator>(kBase + 30, kBase + 39, std::set<int>{});
  auto l = a->allocate(2);
  a.reset();
  l.reset();  // no crash
}

TEST(BcghHelpers, WhichCamerasAreBcgh) {
  config::Camera c;
  EXPECT_FALSE(is_bcgh_camera(c));  // test source
  c.source = config::RtpSource{};
  EXPECT_TRUE(is_bcgh_camera(c));
  config::RtpSource s;
  s.negotiation = "static";
  c.source = s;
  EXPECT_FALSE(is_bcgh_camera(c));
}

TEST(BcghHelpers, OfferAddressPrefersExternalIp) {
  config::Config cfg;
  cfg.mqtt.url = "tcp://127.0.0.1:1883";
  cfg.webrtc.announced_ips = {"192.168.199.173"};
  EXPECT_EQ(offer_address(cfg), "192.168.199.173");
  cfg.webrtc.announced_ips.clear();
  EXPECT_FALSE(offer_address(cfg).empty());
}
