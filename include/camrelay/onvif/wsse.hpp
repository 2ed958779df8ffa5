#pragma once
// WS-Security UsernameToken (OASIS UsernameToken Profile 1.0), the authentication ONVIF
// clients send in the SOAP header. PasswordDigest = Base64(SHA-1(nonce + created + password)).
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "camrelay/onvif/xml.hpp"

namespace camrelay::onvif {

struct UsernameToken {
  std::string username;
  std::string password;  // as sent: the plain password (text) or the Base64 digest
  bool digest = false;   // Type …#PasswordDigest
  std::string nonce;     // raw bytes (decoded from Base64)
  std::string created;   // as sent (xsd:dateTime)
};

// The UsernameToken in a SOAP header (Security/UsernameToken); nullopt when there is none.
// Throws Error(invalid_argument) for a token that is there but malformed.
std::optional<UsernameToken> read_username_token(const Node& header);

std::string base64_encode(std::string_view raw);
std::optional<std::string> base64_decode(std::string_view text);

// Base64(SHA-1(nonce + created + password)).
std::string password_digest(std::string_view nonce_raw, std::string_view created, std::string_view password);

// Seconds since the epoch of an xsd:dateTime in UTC ("2026-12-01T06:40:00Z", optional
// fraction); nullopt when it is not one.
std::optional<std::int64_t> parse_utc(std::string_view text);
std::string format_utc(std::int64_t unix_s);

// Whether `t` proves knowledge of `password` for `user`: the names match, and a digest
// token matches its digest and was created within `window` of `now` (replays of an old
// token fail); a text token's password is compared in constant time.
bool token_matches(const UsernameToken& t, std::string_view user, std::string_view password, std::int64_t now,
                   std::chrono::seconds window = std::chrono::minutes(5));

// The Security header a client sends (PasswordDigest, fresh random nonce, Created = now).
std::string security_header(std::string_view user, std::string_view password, std::int64_t now);

}  // namespace camrelay::onvif
