#pragma once
// Short-lived signed viewer tokens: a JWT (HS256, libjwt) naming the account that minted it,
// the cameras it opens and an expiry. For links and players that cannot log in
// (`?token=` on an <img>, an HLS URL, a WHEP player).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace camrelay::auth {

struct ViewerClaims {
  std::string user;                  // "sub": the account that minted it
  std::vector<std::string> cameras;  // "cams": camera ids, or {"*"}
  std::int64_t issued_at = 0;        // "iat"
  std::int64_t expires_at = 0;       // "exp"
  std::string id;                    // "jti"
};

// The key is the daemon's secret (<data_dir>/auth.key, 32 random bytes).
std::string sign_viewer_token(const std::string& key, const ViewerClaims& claims);

// Checks the signature (HS256 only: "none" and other algorithms are refused), the type and
// issuer, and the expiry against now_s. On failure returns nullopt and sets *why.
std::optional<ViewerClaims> verify_viewer_token(const std::string& key, const std::string& token,
                                                std::int64_t now_s, std::string* why);

// True when the string has the shape of a JWT (three base64url parts).
bool looks_like_jwt(const std::string& token) noexcept;

}  // namespace camrelay::auth
