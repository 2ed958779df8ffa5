#include "camrelay/auth/crypto.hpp"

#include <sodium.h>

#include <vector>

#include "camrelay/util/error.hpp"

namespace camrelay::auth {

void crypto_init() {
  if (sodium_init() < 0) throw Error(Errc::internal, "libsodium could not be initialised");
}

std::string hash_password(std::string_view password) {
  crypto_init();
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    throw Error(Errc::unavailable, "not enough memory to hash a password");
  }
  return out;
}

bool verify_password(const std::string& hash, std::string_view password) {
  crypto_init();
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES) return false;
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

std::string random_bytes(std::size_t bytes) {
  crypto_init();
  std::string out(bytes, '\0');
  randombytes_buf(out.data(), out.size());
  return out;
}

std::string random_secret(std::size_t bytes) {
  crypto_init();
  std::vector<unsigned char> buf(bytes);
  randombytes_buf(buf.data(), buf.size());
  std::string out(sodium_base64_ENCODED_LEN(bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), buf.data(), buf.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero(buf.data(), buf.size());
  out.resize(out.find('\0'));
  return out;
}

std::string generate_password() { return random_secret(15); }  // 15 bytes = 20 characters

std::string sha256_hex(std::string_view data) {
  crypto_init();
  unsigned char h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(h, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, h, sizeof h);
  return hex;
}

bool equal_constant_time(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace camrelay::auth
