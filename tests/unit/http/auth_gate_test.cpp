// The access check in front of every route: who gets 401, a login redirect, 403, or through.
#include <filesystem>

#include <gtest/gtest.h>

#include "auth_gate.hpp"
#include "camrelay/auth/service.hpp"
#include "camrelay/store/store.hpp"
#include "camrelay/util/ids.hpp"

namespace camrelay::http {
namespace {

struct Gate : ::testing::Test {
  std::filesystem::path dir = std::filesystem::temp_directory_path() / ("camrelay-gate-" + random_id());
  std::unique_ptr<store::Store> db;
  std::unique_ptr<auth::Service> svc;
  std::string admin_token, vic_token, vic_cookie;

  void SetUp() override {
    std::filesystem::create_directories(dir);
    db = store::Store::open((dir / "camrelay.db").string());
    svc = std::make_unique<auth::Service>(*db, config::Auth{}, dir.string());
    svc->bootstrap_admin("admin-password");
    admin_token = svc->create_token("admin", "", std::nullopt).second;
    svc->add_user("vic", "vic-password", auth::Role::viewer, {"a"});
    vic_token = svc->create_token("vic", "", std::nullopt).second;
    vic_cookie = svc->login("vic", "vic-password", "10.1.1.1", "").cookie_value;
  }
  void TearDown() override {
    svc.reset();
    db.reset();
    std::filesystem::remove_all(dir);
  }

  // The status check_access answers with (0 = allowed).
  int status(Access a, const std::string& target, const std::string& header_name = {}, const std::string& value = {},
             std::map<std::string, std::string> path = {}, std::map<std::string, std::string> query = {}) {
    Request req{bhttp::verb::get, target, 11};
    if (!header_name.empty()) req.set(header_name, value);
    Params p;
    p.path = std::move(path);
    p.query = std::move(query);
    p.remote_ip = "10.1.1.2";
    auto res = check_access(*svc, a, req, p);
    if (!res) {
      EXPECT_TRUE(a == Access::open || a == Access::asset || p.who) << "allowed without a principal";
      return 0;
    }
    return static_cast<int>(res->result_int());
  }
};

TEST_F(Gate, Decisions) {
  const std::map<std::string, std::string> cam_a{{"id", "a"}}, cam_b{{"id", "b"}};
  EXPECT_EQ(status(Access::open, "/health"), 0);
  EXPECT_EQ(status(Access::asset, "/style.css", {}, {}, {{"p0", "style.css"}}), 0);
  EXPECT_EQ(status(Access::asset, "/index.html", {}, {}, {{"p0", "index.html"}}), 302) << "an HTML file is a page";
  EXPECT_EQ(status(Access::asset, "/viewer.html/", {}, {}, {{"p0", "viewer.html"}}), 302) << "a trailing slash";
  EXPECT_EQ(status(Access::asset, "/viewer%2Ehtml", {}, {}, {{"p0", "viewer.html"}}), 302) << "an encoded dot";
  EXPECT_EQ(status(Access::asset, "/a/b.html", {}, {}, {{"p0", "a"}, {"p1", "b.html"}}), 302);
  EXPECT_EQ(status(Access::asset, "/login.html", {}, {}, {{"p0", "login.html"}}), 0);
  EXPECT_EQ(status(Access::page, "/viewer"), 302);
  EXPECT_EQ(status(Access::user, "/streams"), 401);
  EXPECT_EQ(status(Access::user, "/streams", "Authorization", "Bearer crt_nope"), 401);
  EXPECT_EQ(status(Access::user, "/streams", "Authorization", "Bearer " + vic_token), 0);
  EXPECT_EQ(status(Access::camera, "/streams/a", "Authorization", "Bearer " + vic_token, cam_a), 0);
  EXPECT_EQ(status(Access::camera, "/streams/b", "Authorization", "Bearer " + vic_token, cam_b), 403);
  EXPECT_EQ(status(Access::admin, "/viewers", "Authorization", "Bearer " + vic_token), 403);
  EXPECT_EQ(status(Access::admin, "/viewers", "Authorization", "Bearer " + admin_token), 0);
  EXPECT_EQ(status(Access::camera, "/streams/b", "Authorization", "Bearer " + admin_token, cam_b), 0);
  EXPECT_EQ(status(Access::camera, "/streams/a", "Cookie", "x=1; camrelay_session=" + vic_cookie + "; y=2", cam_a), 0);
  EXPECT_EQ(status(Access::page, "/viewer", "Cookie", "camrelay_session=stale"), 302);
  EXPECT_EQ(status(Access::user, "/streams", {}, {}, {}, {{"token", vic_token}}), 401) << "API tokens not in URLs";
}

TEST_F(Gate, CookieParsing) {
  Request req{bhttp::verb::get, "/", 11};
  req.set(bhttp::field::cookie, "a=1; camrelay_session=\"abc\"; b=2");
  EXPECT_EQ(cookie_value(req, "camrelay_session"), "abc");
  EXPECT_EQ(cookie_value(req, "b"), "2");
  EXPECT_EQ(cookie_value(req, "c"), "");
}

TEST_F(Gate, WebSocketCookiesOnlyFromThisServersPages) {
  Request req{bhttp::verb::get, "/signaling", 11};
  req.set(bhttp::field::host, "cam.example:8080");
  req.set(bhttp::field::cookie, "camrelay_session=" + vic_cookie);
  Params p;
  req.set(bhttp::field::origin, "http://cam.example:8080");
  EXPECT_FALSE(check_access(*svc, Access::user, req, p, true));
  req.set(bhttp::field::origin, "http://evil.example");
  Params p2;
  auto res = check_access(*svc, Access::user, req, p2, true);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 403u);
}

TEST(Owner, WhepOwnership) {
  auth::Principal vic;
  vic.user = "vic";
  vic.via = auth::Via::session;
  auth::Principal link = vic;
  link.via = auth::Via::viewer_token;
  link.credential_id = "vt_1";
  auth::Principal admin;
  admin.user = "root";
  admin.role = auth::Role::admin;
  const auto owner = owner_key(vic);
  EXPECT_TRUE(may_change(vic, owner));
  EXPECT_FALSE(may_change(link, owner));
  EXPECT_TRUE(may_change(admin, owner));
  EXPECT_FALSE(may_change(std::nullopt, owner));
  EXPECT_TRUE(may_change(std::nullopt, "")) << "created while auth was off";
}

}  // namespace
}  // namespace camrelay::http
