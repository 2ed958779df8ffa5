#pragma once
// The few primitives accounts need, all from libsodium (Debian libsodium23): Argon2id
// password hashes, random secrets, SHA-256, constant-time comparison.
#include <cstddef>
#include <string>
#include <string_view>

namespace camrelay::auth {

// sodium_init(); throws camrelay::Error(internal) if libsodium cannot start. Idempotent.
void crypto_init();

// Argon2id (crypto_pwhash_str, interactive limits: ~64 MiB, well under a second).
std::string hash_password(std::string_view password);
// False for a wrong password or a hash this build cannot read.
bool verify_password(const std::string& hash, std::string_view password);

// `bytes` raw random bytes.
std::string random_bytes(std::size_t bytes);
// `bytes` random bytes as URL-safe base64 without padding.
std::string random_secret(std::size_t bytes = 32);
// A password to hand out: 20 URL-safe characters (120 bits).
std::string generate_password();

std::string sha256_hex(std::string_view data);
// Equal length and bytes, in time independent of where they differ.
bool equal_constant_time(std::string_view a, std::string_view b) noexcept;

}  // namespace camrelay::auth
