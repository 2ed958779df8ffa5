#include "camrelay/auth/viewer_token.hpp"

#include <jwt.h>

#include <cerrno>
#include <cstdlib>
#include <memory>

#include <nlohmann/json.hpp>

#include "camrelay/util/error.hpp"

namespace camrelay::auth {
namespace {

constexpr const char* kIssuer = "camrelay";
constexpr const char* kType = "viewer";
constexpr std::size_t kMaxTokenBytes = 4096;

struct JwtFree {
  void operator()(jwt_t* j) const noexcept { jwt_free(j); }
};
using JwtPtr = std::unique_ptr<jwt_t, JwtFree>;

struct CFree {
  void operator()(char* p) const noexcept { std::free(p); }
};

const unsigned char* key_bytes(const std::string& key) {
  return reinterpret_cast<const unsigned char*>(key.data());
}

}  // namespace

bool looks_like_jwt(const std::string& t) noexcept {
  int dots = 0;
  for (char c : t) {
    if (c == '.') ++dots;
    else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
      return false;
  }
  return dots == 2 && t.size() <= kMaxTokenBytes;
}

std::string sign_viewer_token(const std::string& key, const ViewerClaims& c) {
  jwt_t* raw = nullptr;
  if (jwt_new(&raw) != 0) throw Error(Errc::internal, "jwt_new failed");
  JwtPtr j(raw);
  nlohmann::json grants = {{"iss", kIssuer}, {"typ", kType},        {"sub", c.user},
                           {"cams", c.cameras}, {"iat", c.issued_at}, {"exp", c.expires_at},
                           {"jti", c.id}};
  if (jwt_add_grants_json(j.get(), grants.dump().c_str()) != 0 ||
      jwt_set_alg(j.get(), JWT_ALG_HS256, key_bytes(key), static_cast<int>(key.size())) != 0) {
    throw Error(Errc::internal, "cannot build a viewer token");
  }
  std::unique_ptr<char, CFree> s(jwt_encode_str(j.get()));
  if (!s) throw Error(Errc::internal, "cannot sign a viewer token");
  return s.get();
}

std::optional<ViewerClaims> verify_viewer_token(const std::string& key, const std::string& token,
                                                std::int64_t now_s, std::string* why) {
  auto fail = [why](const char* w) -> std::optional<ViewerClaims> {
    if (why) *why = w;
    return std::nullopt;
  };
  if (!looks_like_jwt(token)) return fail("not a token");
  jwt_t* raw = nullptr;
  // With a key, libjwt verifies the signature for the algorithm the header names; an
  // unsigned ("none") header must not pass, hence the algorithm check below as well.
  if (jwt_decode(&raw, token.c_str(), key_bytes(key), static_cast<int>(key.size())) != 0 || !raw) {
    return fail("bad signature or malformed token");
  }
  JwtPtr j(raw);
  if (jwt_get_alg(j.get()) != JWT_ALG_HS256) return fail("unexpected signing algorithm");
  const char* iss = jwt_get_grant(j.get(), "iss");
  const char* typ = jwt_get_grant(j.get(), "typ");
  const char* sub = jwt_get_grant(j.get(), "sub");
  if (!iss || std::string(iss) != kIssuer || !typ || std::string(typ) != kType || !sub || !*sub) {
    return fail("not a camrelay viewer token");
  }
  ViewerClaims c;
  c.user = sub;
  errno = 0;
  c.expires_at = jwt_get_grant_int(j.get(), "exp");
  if (errno != 0 || c.expires_at <= 0) return fail("token without expiry");
  if (c.expires_at <= now_s) return fail("token expired");
  c.issued_at = jwt_get_grant_int(j.get(), "iat");
  if (const char* jti = jwt_get_grant(j.get(), "jti")) c.id = jti;
  std::unique_ptr<char, CFree> cams(jwt_get_grants_json(j.get(), "cams"));
  if (!cams) return fail("token without cameras");
  auto list = nlohmann::json::parse(cams.get(), nullptr, false);
  if (!list.is_array()) return fail("token without cameras");
  for (const auto& x : list) {
    if (!x.is_string()) return fail("malformed camera list");
    c.cameras.push_back(x.get<std::string>());
  }
  return c;
}

}  // namespace camrelay::auth
