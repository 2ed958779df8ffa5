// The stream state machine: the full transition table, string round trip, is_running.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <utility>

#include "camrelay/service/state.hpp"

using camrelay::service::can_transition;
using camrelay::service::is_running;
using camrelay::service::state_from_string;
using camrelay::service::StreamState;
using camrelay::service::to_string;
using S = StreamState;

namespace {

constexpr S kAll[] = {S::stopped, S::starting, S::active, S::reconnecting, S::stopping, S::error};

// Every allowed edge, from the diagram in state.hpp:
//   stopped ─start─▶ starting ─first frame─▶ active ─source lost─▶ reconnecting ─▶ active
//   stopping ◀── stop from starting/active/reconnecting; stopping ─▶ stopped
//   any running state ─fatal─▶ error ─start─▶ starting
const std::set<std::pair<S, S>> kAllowed = {
    {S::stopped, S::starting},
    {S::starting, S::active},
    {S::starting, S::reconnecting},
    {S::starting, S::stopping},
    {S::starting, S::error},
    {S::active, S::reconnecting},
    {S::active, S::stopping},
    {S::active, S::error},
    {S::reconnecting, S::active},
    {S::reconnecting, S::stopping},
    {S::reconnecting, S::error},
    {S::stopping, S::stopped},
    {S::error, S::starting},
};

std::string edge_name(S a, S b) {
  return std::string(to_string(a)) + "_to_" + std::string(to_string(b));
}

// ---- allowed transitions (one named test per edge) -------------------------------------

class AllowedTransition : public ::testing::TestWithParam<std::pair<S, S>> {};

TEST_P(AllowedTransition, IsAllowed) {
  auto [from, to] = GetParam();
  EXPECT_TRUE(can_transition(from, to)) << to_string(from) << " -> " << to_string(to);
}

INSTANTIATE_TEST_SUITE_P(StateMachine, AllowedTransition, ::testing::ValuesIn(kAllowed),
                         [](const auto& info) {
                           return edge_name(info.param.first, info.param.second);
                         });

// ---- forbidden transitions (explicit table of the important ones) ---------------------

const std::pair<S, S> kForbidden[] = {
    // A stopped stream can only be started.
    {S::stopped, S::active},
    {S::stopped, S::reconnecting},
    {S::stopped, S::stopping},
    {S::stopped, S::error},
    // starting cannot skip straight to stopped (must go through stopping) or restart.
    {S::starting, S::stopped},
    {S::starting, S::starting},
    // active must stop via stopping; it cannot "start" again.
    {S::active, S::stopped},
    {S::active, S::starting},
    {S::reconnecting, S::stopped},
    {S::reconnecting, S::starting},
    // stopping only ends in stopped: no re-activation, no error, no restart mid-stop.
    {S::stopping, S::active},
    {S::stopping, S::starting},
    {S::stopping, S::reconnecting},
    {S::stopping, S::error},
    // error only restarts.
    {S::error, S::active},
    {S::error, S::reconnecting},
    {S::error, S::stopping},
    {S::error, S::stopped},
};

class ForbiddenTransition : public ::testing::TestWithParam<std::pair<S, S>> {};

TEST_P(ForbiddenTransition, IsRefused) {
  auto [from, to] = GetParam();
  EXPECT_FALSE(can_transition(from, to)) << to_string(from) << " -> " << to_string(to);
}

INSTANTIATE_TEST_SUITE_P(StateMachine, ForbiddenTransition, ::testing::ValuesIn(kForbidden),
                         [](const auto& info) {
                           return edge_name(info.param.first, info.param.second);
                         });

// ---- exhaustive 6x6 check against the allowed set --------------------------------------

TEST(StateMachineTable, ExactlyTheDocumentedEdgesAreAllowed) {
  int allowed = 0;
  for (S from : kAll) {
    for (S to : kAll) {
      const bool expect = kAllowed.count({from, to}) > 0;
      EXPECT_EQ(can_transition(from, to), expect) << to_string(from) << " -> " << to_string(to);
      allowed += can_transition(from, to);
    }
  }
  EXPECT_EQ(allowed, static_cast<int>(kAllowed.size()));
}

TEST(StateMachineTable, NoSelfTransitions) {
  for (S s : kAll) EXPECT_FALSE(can_transition(s, s)) << to_string(s);
}

TEST(StateMachineTable, ForbiddenTableDoesNotOverlapAllowed) {
  for (const auto& e : kForbidden) EXPECT_EQ(kAllowed.count(e), 0u) << edge_name(e.first, e.second);
}

TEST(StateMachineTable, EveryStateCanReachStoppedOrBeRestarted) {
  // From every running state there is a way to stop (via stopping), and every terminal
  // state can start again.
  for (S s : kAll) {
    if (is_running(s)) {
      EXPECT_TRUE(can_transition(s, S::stopping)) << to_string(s);
      EXPECT_TRUE(can_transition(s, S::error)) << to_string(s);
    }
  }
  EXPECT_TRUE(can_transition(S::stopped, S::starting));
  EXPECT_TRUE(can_transition(S::error, S::starting));
}

TEST(StateMachineTable, FullLifecyclePath) {
  const S path[] = {S::stopped,      S::starting, S::active,   S::reconnecting, S::active,
                    S::stopping,     S::stopped,  S::starting, S::error,        S::starting,
                    S::reconnecting, S::error,    S::starting, S::stopping,     S::stopped};
  for (std::size_t i = 1; i < std::size(path); ++i) {
    EXPECT_TRUE(can_transition(path[i - 1], path[i]))
        << "step " << i << ": " << to_string(path[i - 1]) << " -> " << to_string(path[i]);
  }
}

TEST(StateMachineTable, OutOfRangeStateIsRefused) {
  auto bogus = static_cast<S>(99);
  for (S s : kAll) {
    EXPECT_FALSE(can_transition(bogus, s));
  }
  EXPECT_FALSE(is_running(bogus));
}

// ---- names ------------------------------------------------------------------------------

TEST(StateNames, ToStringValues) {
  EXPECT_EQ(to_string(S::stopped), "stopped");
  EXPECT_EQ(to_string(S::starting), "starting");
  EXPECT_EQ(to_string(S::active), "active");
  EXPECT_EQ(to_string(S::reconnecting), "reconnecting");
  EXPECT_EQ(to_string(S::stopping), "stopping");
  EXPECT_EQ(to_string(S::error), "error");
}

TEST(StateNames, RoundTrip) {
  std::set<std::string_view> names;
  for (S s : kAll) {
    auto back = state_from_string(to_string(s));
    ASSERT_TRUE(back.has_value()) << to_string(s);
    EXPECT_EQ(*back, s);
    names.insert(to_string(s));
  }
  EXPECT_EQ(names.size(), std::size(kAll));  // distinct names
}

TEST(StateNames, UnknownStringsAreRejected) {
  for (const char* s : {"", "Active", "ACTIVE", "running", "stop", " active", "active ",
                        "stopped\n", "err"}) {
    EXPECT_FALSE(state_from_string(s).has_value()) << "'" << s << "'";
  }
  EXPECT_FALSE(state_from_string(std::string_view("active\0", 7)).has_value());
}

TEST(StateNames, OutOfRangeStateNamesAsError) {
  EXPECT_EQ(to_string(static_cast<S>(99)), "error");
}

// ---- is_running -------------------------------------------------------------------------

TEST(IsRunning, ExactlyStartingActiveReconnecting) {
  EXPECT_FALSE(is_running(S::stopped));
  EXPECT_TRUE(is_running(S::starting));
  EXPECT_TRUE(is_running(S::active));
  EXPECT_TRUE(is_running(S::reconnecting));
  EXPECT_FALSE(is_running(S::stopping));
  EXPECT_FALSE(is_running(S::error));
}

}  // namespace
