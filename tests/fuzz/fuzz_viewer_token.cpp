// Viewer tokens (JWT, HS256) as they arrive in ?token= or Authorization: Bearer: anything
// but a token signed with our key, of our type and not expired, is refused.
#include "camrelay/auth/viewer_token.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace camrelay;
  static const std::string key(32, 'k');
  const std::string token(fuzz::as_text(data, size));
  fuzz::expect_clean("verify_viewer_token", [&] {
    (void)auth::looks_like_jwt(token);
    std::string why;
    auto claims = auth::verify_viewer_token(key, token, 1'800'000'000, &why);
    if (claims && claims->expires_at <= 1'800'000'000) fuzz::finding("an expired token was accepted");
    if (!claims && why.empty()) fuzz::finding("a refusal without a reason");
  });
  // Round trip: claims built from the input (in the alphabet of account names and camera
  // ids, which the account rules enforce before anything is signed) sign and verify to the
  // same claims.
  std::string name;
  for (char ch : token.substr(0, 64)) {
    static const char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789._-";
    name += kAlphabet[static_cast<unsigned char>(ch) % (sizeof kAlphabet - 1)];
  }
  if (name.empty()) return 0;
  fuzz::expect_clean("sign/verify", [&] {
    auth::ViewerClaims c;
    c.user = name;
    c.cameras = {name.substr(0, 32), "*"};
    c.issued_at = 1'700'000'000;
    c.expires_at = 1'900'000'000;
    c.id = "fuzz";
    const std::string signed_token = auth::sign_viewer_token(key, c);
    std::string why;
    auto back = auth::verify_viewer_token(key, signed_token, 1'800'000'000, &why);
    if (!back) fuzz::finding(("our own token was refused: " + why).c_str());
    if (back->user != c.user || back->cameras != c.cameras) fuzz::finding("claims changed in a round trip");
    if (auth::verify_viewer_token(std::string(32, 'x'), signed_token, 1'800'000'000, &why)) {
      fuzz::finding("a token verified with another key");
    }
  });
  return 0;
}
