#include <gtest/gtest.h>

#include "rate_limit.hpp"

namespace camrelay::http {
namespace {

TEST(RateLimiter, BurstThenRateAndPerKey) {
  RateLimiter l(2, 5);  // 2/s, burst 5
  for (int i = 0; i < 5; ++i) EXPECT_EQ(l.take("a", 1000), 0) << i;
  EXPECT_EQ(l.take("a", 1000), 1) << "the sixth waits about half a second: 1 s";
  EXPECT_EQ(l.take("b", 1000), 0) << "another address has its own bucket";
  EXPECT_EQ(l.take("a", 1500), 0) << "half a second refills one token";
  EXPECT_GE(l.take("a", 1500), 1);
  EXPECT_EQ(l.take("a", 60000), 0);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(l.take("a", 60000), 0) << "refilled to the burst, not more";
  EXPECT_GE(l.take("a", 60000), 1);
}

TEST(RateLimiter, OffAndBounded) {
  RateLimiter off(0, 1);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(off.take("a", 0), 0);
  RateLimiter l(10, 10);
  for (int i = 0; i < 25000; ++i) l.take("k" + std::to_string(i), 0);
  EXPECT_LE(l.tracked(), 20000u) << "memory stays bounded under many addresses";
}

TEST(ConnectionCounter, CapAndRelease) {
  auto c = std::make_shared<ConnectionCounter>(2);
  auto h1 = c->hold("ip");
  auto h2 = c->hold("ip");
  ASSERT_TRUE(h1 && h2);
  EXPECT_FALSE(c->hold("ip")) << "the third is refused";
  EXPECT_TRUE(c->hold("other"));
  auto copy = h1;  // a taken-over socket keeps its slot
  h1.reset();
  EXPECT_FALSE(c->hold("ip"));
  copy.reset();
  EXPECT_EQ(c->count("ip"), 1);
  EXPECT_TRUE(c->hold("ip"));
  auto unlimited = std::make_shared<ConnectionCounter>(0);
  std::vector<std::shared_ptr<void>> many;
  for (int i = 0; i < 100; ++i) many.push_back(unlimited->hold("ip"));
  EXPECT_TRUE(many.back());
}

}  // namespace
}  // namespace camrelay::http
