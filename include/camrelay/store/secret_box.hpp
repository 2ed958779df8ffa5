#pragma once
// Secrets at rest (docs/cameras.md): values sealed with libsodium's crypto_secretbox
// (XSalsa20-Poly1305, authenticated) under a 32-byte key kept in a file of its own, so that
// the database alone (a copy, a backup) does not give away camera passwords.
#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace camrelay::store {

// Reads a 32-byte key file, or creates it (mode 0600, random bytes) if it does not exist.
// Throws Error(invalid_argument) when the file is not a regular file, group or others may
// read it, or it has the wrong size (`if_lost` says what moving it aside costs), and
// Error(unavailable) when it cannot be created. `what` names it in the log ("signing key").
std::string load_or_create_key(const std::string& path, std::string_view what, std::string_view if_lost);

class SecretBox {
 public:
  static constexpr std::size_t kKeyBytes = 32;

  // The key of `path` (load_or_create_key): <data_dir>/secret.key for camera credentials.
  static SecretBox from_key_file(const std::string& path);
  // `key` must hold kKeyBytes bytes (Error(invalid_argument) otherwise).
  explicit SecretBox(std::string_view key);
  ~SecretBox();  // wipes the key
  SecretBox(const SecretBox&) = default;
  SecretBox& operator=(const SecretBox&) = default;

  // A random nonce followed by the authenticated ciphertext; a new nonce every call.
  std::string seal(std::string_view plaintext) const;
  // The plaintext, or nullopt when `sealed` was not sealed with this key or was altered.
  std::optional<std::string> open(std::string_view sealed) const;

 private:
  std::array<unsigned char, kKeyBytes> key_{};
};

}  // namespace camrelay::store
