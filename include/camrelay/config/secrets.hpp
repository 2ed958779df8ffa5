#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "camrelay/config/config.hpp"

namespace camrelay::config {

// The keys of `cfg` that hold a password or credential (for the file-permission check at
// start: a configuration with secrets must not be readable by every user).
std::vector<std::string> secret_keys(const Config& cfg);

// What stands for a password in what the REST API shows. Sent back (PUT /cameras/{id}), it
// keeps the stored password.
inline constexpr std::string_view kMaskedSecret = "***";

// A camera's credentials: those of an RTSP source (the url's "user:password" userinfo, the
// username and password keys); other sources have none.
struct CameraCredentials {
  std::string url_userinfo;
  std::string username;
  std::string password;
  bool empty() const { return url_userinfo.empty() && username.empty() && password.empty(); }
  bool operator==(const CameraCredentials&) const = default;
};

// Moves the credentials out of `c`: its url loses "userinfo@", username and password become "".
CameraCredentials take_credentials(Camera& c);
// The inverse of take_credentials.
void put_credentials(Camera& c, const CameraCredentials& cred);
// The camera as shown: each password (the key, and the url's) replaced by kMaskedSecret;
// user names stay.
Camera mask_credentials(Camera c);
// A camera sent back by a client: each password that is kMaskedSecret takes the one of
// `stored` (nullptr: none). Throws ConfigError naming the key when there is none to keep.
Camera keep_masked_credentials(Camera c, const Camera* stored);

}  // namespace camrelay::config
