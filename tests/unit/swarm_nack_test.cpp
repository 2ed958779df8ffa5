// The lite swarm receiver's NACK and loss logic (tests/tools/swarm/nack_tracker.hpp) and its
// sequence-number counting (viewer.hpp).
#include <gtest/gtest.h>

#include <limits>
#include <vector>

#include "nack_tracker.hpp"
#include "viewer.hpp"

using swarm::NackPolicy;
using swarm::NackTracker;

namespace {

constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

std::vector<uint16_t> poll(NackTracker& t, int64_t now, uint64_t* lost = nullptr) {
  std::vector<uint16_t> n;
  uint64_t l = t.poll(now, n);
  if (lost) *lost = l;
  return n;
}

}  // namespace

TEST(SwarmNack, InOrderNeedsNothing) {
  NackTracker t;
  for (uint16_t s = 10; s < 20; ++s) {
    auto a = t.on_packet(s, 1000 + s);
    EXPECT_TRUE(a.first && a.in_time);
  }
  EXPECT_EQ(t.next_due(), kNever);
  EXPECT_TRUE(poll(t, 2000).empty());
  EXPECT_EQ(t.stats().nacks_sent, 0u);
}

TEST(SwarmNack, DefaultsNackTwiceBeforeTheDeadline) {
  NackTracker t;  // 100 ms retries, 200 ms deadline
  t.on_packet(1, 1000);
  t.on_packet(3, 1000);
  EXPECT_EQ(poll(t, 1000), (std::vector<uint16_t>{2}));
  EXPECT_EQ(t.next_due(), 1100);
  EXPECT_EQ(poll(t, 1100), (std::vector<uint16_t>{2}));
  EXPECT_EQ(t.next_due(), 1200);
  uint64_t lost = 0;
  EXPECT_TRUE(poll(t, 1200, &lost).empty());  // the deadline comes before a third NACK
  EXPECT_EQ(lost, 1u);
  EXPECT_EQ(t.stats().nacks_sent, 2u);
}

TEST(SwarmNack, NacksAtOnceRetriesThenDeclaresLost) {
  NackPolicy p;
  p.retry_ms = 50;
  p.max_nacks = 3;
  NackTracker t(p);  // 50 ms retries, 3 NACKs, 200 ms deadline
  t.on_packet(1, 1000);
  t.on_packet(4, 1000);
  EXPECT_EQ(t.next_due(), 1000);
  EXPECT_EQ(poll(t, 1000), (std::vector<uint16_t>{2, 3}));
  EXPECT_EQ(t.next_due(), 1050);
  EXPECT_TRUE(poll(t, 1049).empty());
  EXPECT_EQ(poll(t, 1050), (std::vector<uint16_t>{2, 3}));
  // The retransmission of 2 repairs it in time.
  auto a = t.on_rtx(2, 1060);
  EXPECT_TRUE(a.first && a.in_time);
  EXPECT_EQ(t.stats().rtx_success, 1u);
  EXPECT_EQ(poll(t, 1100), (std::vector<uint16_t>{3}));
  EXPECT_EQ(t.next_due(), 1200);  // no 4th NACK: the deadline is next
  uint64_t lost = 0;
  EXPECT_TRUE(poll(t, 1150, &lost).empty());
  EXPECT_EQ(lost, 0u);
  EXPECT_TRUE(poll(t, 1200, &lost).empty());
  EXPECT_EQ(lost, 1u);
  EXPECT_EQ(t.stats().lost, 1u);
  EXPECT_EQ(t.stats().nacks_sent, 5u);
  EXPECT_EQ(t.next_due(), kNever);
  // 3 comes after all: arrived, late, not delivered.
  a = t.on_rtx(3, 1250);
  EXPECT_TRUE(a.first);
  EXPECT_FALSE(a.in_time);
  EXPECT_EQ(t.stats().late, 1u);
  EXPECT_EQ(t.stats().rtx_success, 1u);
}

TEST(SwarmNack, ReorderedPacketIsInTime) {
  NackTracker t;
  t.on_packet(1, 0);
  t.on_packet(3, 1);
  auto a = t.on_packet(2, 2);  // before any NACK went out
  EXPECT_TRUE(a.first && a.in_time);
  EXPECT_EQ(t.next_due(), kNever);
  uint64_t lost = 0;
  EXPECT_TRUE(poll(t, 500, &lost).empty());
  EXPECT_EQ(lost, 0u);
  EXPECT_EQ(t.stats().nacks_sent, 0u);
  // Reordered after its NACK but before the deadline: still in time, not an RTX success.
  t.on_packet(5, 600);
  EXPECT_EQ(poll(t, 600), (std::vector<uint16_t>{4}));
  a = t.on_packet(4, 650);
  EXPECT_TRUE(a.first && a.in_time);
  EXPECT_EQ(t.stats().rtx_success, 0u);
  EXPECT_EQ(t.stats().lost, 0u);
}

TEST(SwarmNack, DuplicatesCountOnce) {
  NackTracker t;
  t.on_packet(1, 0);
  t.on_packet(2, 0);
  auto a = t.on_packet(2, 1);
  EXPECT_FALSE(a.first || a.in_time);
  a = t.on_rtx(1, 2);  // retransmission of something that arrived
  EXPECT_FALSE(a.first || a.in_time);
  t.on_packet(4, 3);
  EXPECT_TRUE(t.on_rtx(3, 4).in_time);
  a = t.on_packet(3, 5);  // the original after its retransmission
  EXPECT_FALSE(a.first || a.in_time);
  EXPECT_EQ(t.stats().rtx_success, 1u);
}

TEST(SwarmNack, AcrossSequenceWrap) {
  NackTracker t;
  t.on_packet(65534, 0);
  t.on_packet(65535, 0);
  t.on_packet(1, 0);
  EXPECT_EQ(poll(t, 0), (std::vector<uint16_t>{0}));
  EXPECT_TRUE(t.on_rtx(0, 10).in_time);
}

TEST(SwarmNack, HugeGapTracksOnlyTheNewest) {
  NackPolicy p;
  p.max_missing = 10;
  NackTracker t(p);
  t.on_packet(0, 0);
  t.on_packet(100, 0);  // 99 missing: 89 lost at once, 10 tracked
  EXPECT_EQ(t.next_due(), std::numeric_limits<int64_t>::min());
  uint64_t lost = 0;
  auto n = poll(t, 0, &lost);
  EXPECT_EQ(lost, 89u);
  ASSERT_EQ(n.size(), 10u);
  EXPECT_EQ(n.front(), 90);
  EXPECT_EQ(n.back(), 99);
  EXPECT_EQ(t.stats().lost, 89u);
}

TEST(SwarmNack, ForgetsLostNumbersAfterAWhile) {
  NackTracker t;
  t.on_packet(1, 0);
  t.on_packet(3, 0);
  poll(t, 0);
  poll(t, 200);  // 2 lost
  poll(t, 1200);  // forgotten (200 ms deadline + 1 s)
  auto a = t.on_packet(2, 1300);
  EXPECT_FALSE(a.first || a.in_time);
  EXPECT_EQ(t.stats().late, 0u);
}

TEST(SwarmSeqCount, ExtendsAcrossWrapAndCountsGaps) {
  swarm::SeqCount c;
  c.add(65534, false);
  c.add(65535, true);
  EXPECT_FALSE(c.add(0, false));
  EXPECT_TRUE(c.add(3, true));  // 1 and 2 missing
  EXPECT_EQ(c.expected(), 6);
  EXPECT_EQ(c.packets, 4u);
  EXPECT_EQ(c.frames, 2u);
  EXPECT_EQ(c.gaps, 1u);
  c.add(1, false);  // late: no new gap, highest unchanged
  EXPECT_EQ(c.ext_max, 65536 + 3);
  EXPECT_EQ(swarm::extend_seq(65536 + 3, 65535), 65535);
}
