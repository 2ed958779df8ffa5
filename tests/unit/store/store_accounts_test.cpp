// The account tables and the audit log on a real database file.
#include <future>
#include <string>

#include <gtest/gtest.h>

#include "camrelay/store/store.hpp"
#include "store_test_util.hpp"

namespace camrelay::store {
namespace {

using testing::TempDir;

std::vector<AuditRow> audit(Store& s, int limit, std::int64_t before) {
  std::promise<std::vector<AuditRow>> p;
  s.list_audit(limit, before, [&p](auto rows) { p.set_value(std::move(rows)); });
  return p.get_future().get();
}

TEST(StoreAccounts, UsersTokensSessionsRoundTripAndCascade) {
  TempDir dir;
  auto s = Store::open(dir.file("camrelay.db"));
  EXPECT_EQ(s->schema_version(), Store::latest_schema_version());
  s->put_user({"vic", "$argon2id$x", "viewer", R"(["a"])", 100, 100});
  s->put_user({"vic", "$argon2id$y", "admin", R"(["*"])", 999, 200});  // update keeps created_at
  s->put_api_token({"tok_1", "vic", "nvr", "hash1", 100, std::nullopt, std::nullopt});
  s->put_auth_session({"sess1", "vic", 100, 5000, "1.2.3.4", "ua"});
  s->put_auth_session({"old", "vic", 100, 150, "", ""});
  auto rows = s->load_auth(1000);
  ASSERT_EQ(rows.users.size(), 1u);
  EXPECT_EQ(rows.users[0].password_hash, "$argon2id$y");
  EXPECT_EQ(rows.users[0].role, "admin");
  EXPECT_EQ(rows.users[0].created_at, 100);
  EXPECT_EQ(rows.users[0].updated_at, 200);
  ASSERT_EQ(rows.tokens.size(), 1u);
  ASSERT_EQ(rows.sessions.size(), 1u) << "the expired session is deleted";
  EXPECT_EQ(rows.sessions[0].id_hash, "sess1");
  EXPECT_TRUE(s->revoke_api_token("tok_1", 300));
  EXPECT_FALSE(s->revoke_api_token("tok_1", 301)) << "already revoked";
  EXPECT_EQ(s->load_auth(1000).tokens[0].revoked_at, 300);
  EXPECT_TRUE(s->delete_user("vic"));
  rows = s->load_auth(1000);
  EXPECT_TRUE(rows.users.empty());
  EXPECT_TRUE(rows.tokens.empty()) << "a deleted user's tokens go";
  EXPECT_TRUE(rows.sessions.empty()) << "and its sessions";
  EXPECT_FALSE(s->delete_user("vic"));
}

TEST(StoreAccounts, ExternalChangesSeeOtherConnectionsOnly) {
  TempDir dir;
  auto s = Store::open(dir.file("camrelay.db"));
  const auto v0 = s->external_changes();
  s->put_user({"a", "h", "viewer", "[]", 1, 1});
  EXPECT_EQ(s->external_changes(), v0) << "its own writes do not count";
  {
    auto other = Store::open(dir.file("camrelay.db"));
    other->put_user({"b", "h", "viewer", "[]", 1, 1});
  }
  EXPECT_NE(s->external_changes(), v0);
}

TEST(StoreAccounts, AuditLogNewestFirstWithPaging) {
  TempDir dir;
  auto s = Store::open(dir.file("camrelay.db"));
  for (int i = 0; i < 5; ++i) {
    s->append_audit({0, 100 + i, "vic", "1.2.3.4", "POST /streams/a/stop", "/streams/a/stop", 200, std::to_string(i)});
  }
  s->flush();
  auto page1 = audit(*s, 2, 0);
  ASSERT_EQ(page1.size(), 2u);
  EXPECT_EQ(page1[0].detail, "4");
  EXPECT_EQ(page1[1].detail, "3");
  auto page2 = audit(*s, 2, page1[1].id);
  ASSERT_EQ(page2.size(), 2u);
  EXPECT_EQ(page2[0].detail, "2");
  auto rest = audit(*s, 100, page2[1].id);
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].detail, "0");
  EXPECT_EQ(rest[0].ip, "1.2.3.4");
  EXPECT_EQ(rest[0].status, 200);
}

}  // namespace
}  // namespace camrelay::store
