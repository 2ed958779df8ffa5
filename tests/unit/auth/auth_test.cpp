// The account module on a real (temporary) database: password hashes, viewer tokens,
// authentication by each credential, account rules, the login lock-out.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sodium.h>

#include "camrelay/auth/crypto.hpp"
#include "camrelay/auth/service.hpp"
#include "camrelay/auth/viewer_token.hpp"
#include "camrelay/store/store.hpp"
#include "camrelay/util/error.hpp"
#include "camrelay/util/ids.hpp"

namespace camrelay::auth {
namespace {

class TempDir {
 public:
  TempDir() : path_(std::filesystem::temp_directory_path() / ("camrelay-auth-test-" + random_id())) {
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string str() const { return path_.string(); }
  std::string file(const std::string& n) const { return (path_ / n).string(); }

 private:
  std::filesystem::path path_;
};

std::string b64url(const std::string& s) {
  std::string out(sodium_base64_ENCODED_LEN(s.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(s.data()), s.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(out.find('\0'));
  return out;
}

TEST(Crypto, PasswordHashIsArgon2idAndVerifies) {
  const auto h = hash_password("correct horse");
  EXPECT_EQ(h.rfind("$argon2id$", 0), 0u) << h;
  EXPECT_TRUE(verify_password(h, "correct horse"));
  EXPECT_FALSE(verify_password(h, "correct horsE"));
  EXPECT_FALSE(verify_password("", "x"));
  EXPECT_FALSE(verify_password("not a hash", "x"));
  EXPECT_NE(hash_password("correct horse"), h) << "salted";
}

TEST(Crypto, SecretsAndDigests) {
  EXPECT_EQ(random_secret(32).size(), 43u);
  EXPECT_NE(random_secret(), random_secret());
  EXPECT_EQ(generate_password().size(), 20u);
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_TRUE(equal_constant_time("abc", "abc"));
  EXPECT_FALSE(equal_constant_time("abc", "abd"));
  EXPECT_FALSE(equal_constant_time("abc", "abcd"));
}

TEST(ViewerToken, SignVerifyAndRefusals) {
  const std::string key(32, 'k');
  ViewerClaims c{"vic", {"a", "b"}, 1000, 2000, "vt_1"};
  const auto tok = sign_viewer_token(key, c);
  ASSERT_TRUE(looks_like_jwt(tok));
  std::string why;
  auto back = verify_viewer_token(key, tok, 1500, &why);
  ASSERT_TRUE(back) << why;
  EXPECT_EQ(back->user, "vic");
  EXPECT_EQ(back->cameras, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(back->expires_at, 2000);
  EXPECT_EQ(back->id, "vt_1");

  EXPECT_FALSE(verify_viewer_token(key, tok, 2000, &why));
  EXPECT_EQ(why, "token expired");
  EXPECT_FALSE(verify_viewer_token(std::string(32, 'x'), tok, 1500, &why)) << "another key";

  const auto dot1 = tok.find('.'), dot2 = tok.rfind('.');
  const std::string header = tok.substr(0, dot1), sig = tok.substr(dot2 + 1);
  nlohmann::json more = {{"iss", "camrelay"}, {"typ", "viewer"}, {"sub", "vic"}, {"cams", {"*"}},
                         {"iat", 1000}, {"exp", 2000}};
  EXPECT_FALSE(verify_viewer_token(key, header + "." + b64url(more.dump()) + "." + sig, 1500, &why)) << "tampered";
  const std::string none = b64url(R"({"alg":"none","typ":"JWT"})") + "." + b64url(more.dump()) + ".";
  EXPECT_FALSE(verify_viewer_token(key, none, 1500, &why)) << "unsigned";
  EXPECT_FALSE(verify_viewer_token(key, "garbage", 1500, &why));
  EXPECT_FALSE(verify_viewer_token(key, std::string(5000, 'a') + ".b.c", 1500, &why)) << "oversized";
}

struct Fixture : ::testing::Test {
  TempDir dir;
  std::unique_ptr<store::Store> db = store::Store::open(dir.file("camrelay.db"));
  config::Auth cfg = [] {
    config::Auth a;
    a.login_failures_before_backoff = 2;
    return a;
  }();
  std::unique_ptr<Service> svc = std::make_unique<Service>(*db, cfg, dir.str());

  AuthResult bearer(const std::string& t) {
    Credentials c;
    c.authorization = "Bearer " + t;
    return svc->authenticate(c);
  }
};

TEST_F(Fixture, KeyFileIsPrivateAndRefusedWhenReadable) {
  struct stat st {};
  ASSERT_EQ(::stat(dir.file("auth.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_size, 32);
  const auto key = load_or_create_key(dir.file("auth.key"));
  EXPECT_EQ(load_or_create_key(dir.file("auth.key")), key) << "stable";
  ::chmod(dir.file("auth.key").c_str(), 0640);
  try {
    load_or_create_key(dir.file("auth.key"));
    FAIL() << "a group-readable key must be refused";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::invalid_argument);
    EXPECT_NE(std::string(e.what()).find("chmod 600"), std::string::npos) << e.what();
  }
}

TEST_F(Fixture, BootstrapOnceThenLoginWithCookie) {
  auto pw = svc->bootstrap_admin();
  ASSERT_TRUE(pw);
  EXPECT_FALSE(svc->bootstrap_admin()) << "only with no account";
  EXPECT_EQ(svc->login("admin", "wrong-password", "10.0.0.1", "ua").outcome, LoginResult::Outcome::bad_credentials);
  EXPECT_EQ(svc->login("nobody", *pw, "10.0.0.2", "ua").outcome, LoginResult::Outcome::bad_credentials);
  auto ok = svc->login("admin", *pw, "10.0.0.3", "ua");
  ASSERT_EQ(ok.outcome, LoginResult::Outcome::ok);
  Credentials c;
  c.session_cookie = ok.cookie_value;
  auto r = svc->authenticate(c);
  ASSERT_EQ(r.outcome, AuthResult::Outcome::ok);
  EXPECT_TRUE(r.who->is_admin());
  EXPECT_EQ(r.who->via, Via::session);

  // A second service on the same database (a restart) knows the session.
  Service again(*db, cfg, dir.str());
  EXPECT_EQ(again.authenticate(c).outcome, AuthResult::Outcome::ok);
  svc->logout(ok.cookie_value);
  EXPECT_EQ(svc->authenticate(c).outcome, AuthResult::Outcome::missing);
}

TEST_F(Fixture, NothingWithoutCredentialsUnlessConfigured) {
  Credentials c;
  c.remote_ip = "127.0.0.1";
  EXPECT_EQ(svc->authenticate(c).outcome, AuthResult::Outcome::missing) << "no localhost bypass by default";
  config::Auth local = cfg;
  local.allow_localhost = true;
  Service s2(*db, local, dir.str());
  EXPECT_EQ(s2.authenticate(c).outcome, AuthResult::Outcome::ok);
  c.remote_ip = "192.168.1.5";
  EXPECT_EQ(s2.authenticate(c).outcome, AuthResult::Outcome::missing);
  config::Auth off = cfg;
  off.disabled = true;
  Service s3(*db, off, dir.str());
  EXPECT_TRUE(s3.authenticate(c).who->is_admin());
}

TEST_F(Fixture, ApiTokensActAsTheirUserUntilRevoked) {
  svc->add_user("vic", "vic-password", Role::viewer, {"a"});
  auto [info, secret] = svc->create_token("vic", "nvr", std::nullopt);
  EXPECT_EQ(secret.rfind("crt_", 0), 0u);
  auto r = bearer(secret);
  ASSERT_EQ(r.outcome, AuthResult::Outcome::ok) << r.why;
  EXPECT_EQ(r.who->user, "vic");
  EXPECT_TRUE(r.who->may_view("a"));
  EXPECT_FALSE(r.who->may_view("b"));
  EXPECT_FALSE(r.who->is_admin());
  EXPECT_EQ(bearer(secret + "x").outcome, AuthResult::Outcome::invalid);
  EXPECT_EQ(bearer("Basic abc").outcome, AuthResult::Outcome::invalid);
  svc->revoke_token(info.id);
  r = bearer(secret);
  EXPECT_EQ(r.outcome, AuthResult::Outcome::invalid);
  EXPECT_NE(r.why.find("revoked"), std::string::npos);
  // Nothing secret is stored.
  for (const auto& t : svc->tokens()) EXPECT_EQ(t.id, info.id);
}

TEST_F(Fixture, ViewerTokensNeverOpenMoreThanTheirUserMay) {
  svc->add_user("vic", "vic-password", Role::viewer, {"a", "c"});
  Principal vic;
  vic.user = "vic";
  vic.cameras = {"a", "c"};
  EXPECT_THROW(svc->mint_viewer_token(vic, {"b"}, 60), Error);
  EXPECT_THROW(svc->mint_viewer_token(vic, {"a"}, cfg.viewer_token_max_ttl_s + 1), Error);
  auto [tok, exp] = svc->mint_viewer_token(vic, {"*"}, 60);
  auto r = bearer(tok);
  ASSERT_EQ(r.outcome, AuthResult::Outcome::ok) << r.why;
  EXPECT_EQ(r.who->via, Via::viewer_token);
  EXPECT_TRUE(r.who->may_view("a"));
  EXPECT_FALSE(r.who->may_view("b"));
  // The user loses camera c: the token loses it too.
  svc->update_user("vic", std::nullopt, std::nullopt, std::vector<std::string>{"a"});
  EXPECT_FALSE(bearer(tok).who->may_view("c"));
  // ?token= takes viewer tokens only.
  Credentials q;
  q.query_token = tok;
  EXPECT_EQ(svc->authenticate(q).outcome, AuthResult::Outcome::ok);
  q.query_token = svc->create_token("vic", "", std::nullopt).second;
  EXPECT_EQ(svc->authenticate(q).outcome, AuthResult::Outcome::invalid);
  // Deleting the user ends its tokens.
  svc->bootstrap_admin();
  svc->delete_user("vic");
  EXPECT_EQ(bearer(tok).outcome, AuthResult::Outcome::invalid);
}

TEST_F(Fixture, AccountRules) {
  svc->bootstrap_admin("first-admin-pw");
  EXPECT_THROW(svc->add_user("admin", "whatever-pw", Role::viewer, {}), Error) << "exists";
  EXPECT_THROW(svc->add_user("bad name", "whatever-pw", Role::viewer, {}), Error);
  EXPECT_THROW(svc->add_user("short", "1234567", Role::viewer, {}), Error);
  EXPECT_THROW(svc->add_user("cams", "whatever-pw", Role::viewer, {"../x"}), Error);
  try {
    svc->delete_user("admin");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::conflict);
  }
  EXPECT_THROW(svc->update_user("admin", std::nullopt, Role::viewer, std::nullopt), Error) << "last admin";
  svc->add_user("root2", "whatever-pw", Role::admin, {});
  svc->update_user("admin", std::nullopt, Role::viewer, std::nullopt);
  EXPECT_EQ(svc->user("admin")->role, Role::viewer);
  // A new password ends the user's sessions.
  auto s = svc->login("root2", "whatever-pw", "1.2.3.4", "");
  ASSERT_EQ(s.outcome, LoginResult::Outcome::ok);
  svc->update_user("root2", std::string("another-pw-1"), std::nullopt, std::nullopt);
  Credentials c;
  c.session_cookie = s.cookie_value;
  EXPECT_EQ(svc->authenticate(c).outcome, AuthResult::Outcome::missing);
}

TEST_F(Fixture, FailedLoginsLockOutTheAddressWithGrowingWaits) {
  svc->bootstrap_admin("first-admin-pw");
  EXPECT_EQ(svc->login("admin", "x1", "9.9.9.9", "").outcome, LoginResult::Outcome::bad_credentials);
  EXPECT_EQ(svc->login_retry_after_s("9.9.9.9"), 0);
  EXPECT_EQ(svc->login("admin", "x2", "9.9.9.9", "").outcome, LoginResult::Outcome::bad_credentials);
  EXPECT_GE(svc->login_retry_after_s("9.9.9.9"), 1);
  auto blocked = svc->login("admin", "first-admin-pw", "9.9.9.9", "");
  EXPECT_EQ(blocked.outcome, LoginResult::Outcome::blocked) << "even the right password waits";
  EXPECT_GE(blocked.retry_after_s, 1);
  EXPECT_EQ(svc->login("admin", "first-admin-pw", "9.9.9.8", "").outcome, LoginResult::Outcome::ok)
      << "other addresses are not affected";
}

TEST_F(Fixture, ChangesByAnotherProcessAreReloaded) {
  svc->bootstrap_admin("first-admin-pw");
  EXPECT_FALSE(svc->reload_if_changed());
  {
    auto other = store::Store::open(dir.file("camrelay.db"));  // the CLI's own connection
    Service cli(*other, cfg, dir.str(), false);
    cli.add_user("bob", "bob-password", Role::viewer, {"a"});
  }
  EXPECT_TRUE(svc->reload_if_changed());
  ASSERT_TRUE(svc->user("bob"));
  EXPECT_EQ(svc->user("bob")->cameras, (std::vector<std::string>{"a"}));
}

}  // namespace
}  // namespace camrelay::auth

namespace camrelay::auth {
namespace {
TEST_F(Fixture, CheckPasswordOfMakesNoSessionButCountsFailures) {
  svc->bootstrap_admin("first-admin-pw");
  EXPECT_EQ(svc->check_password_of("admin", "first-admin-pw", "5.5.5.5").outcome, LoginResult::Outcome::ok);
  EXPECT_TRUE(svc->check_password_of("admin", "first-admin-pw", "5.5.5.5").cookie_value.empty());
  EXPECT_TRUE(db->load_auth(0).sessions.empty()) << "no login session";
  EXPECT_EQ(svc->check_password_of("admin", "bad-1", "5.5.5.5").outcome, LoginResult::Outcome::bad_credentials);
  EXPECT_EQ(svc->check_password_of("admin", "bad-2", "5.5.5.5").outcome, LoginResult::Outcome::bad_credentials);
  EXPECT_EQ(svc->check_password_of("admin", "first-admin-pw", "5.5.5.5").outcome, LoginResult::Outcome::blocked);
}
}  // namespace
}  // namespace camrelay::auth
