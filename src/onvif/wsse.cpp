#include "camrelay/onvif/wsse.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <ctime>

#include "camrelay/util/error.hpp"
#include "camrelay/util/ids.hpp"

namespace camrelay::onvif {

std::string base64_encode(std::string_view raw) {
  std::string out(4 * ((raw.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(raw.data()), static_cast<int>(raw.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  std::string in;
  for (char c : text) {
    if (c != ' ' && c != '\n' && c != '\r' && c != '\t') in += c;
  }
  if (in.size() % 4 != 0) return std::nullopt;
  std::string out(in.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  if (n < 0) return std::nullopt;
  std::size_t len = static_cast<std::size_t>(n);
  // EVP_DecodeBlock counts the padding as zero bytes.
  if (!in.empty() && in.back() == '=') --len;
  if (in.size() > 1 && in[in.size() - 2] == '=') --len;
  out.resize(len);
  return out;
}

std::string password_digest(std::string_view nonce_raw, std::string_view created, std::string_view password) {
  std::string all;
  all.reserve(nonce_raw.size() + created.size() + password.size());
  all.append(nonce_raw).append(created).append(password);
  unsigned char md[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(all.data()), all.size(), md);
  return base64_encode(std::string_view(reinterpret_cast<const char*>(md), sizeof md));
}

std::optional<std::int64_t> parse_utc(std::string_view text) {
  auto ms = parse_utc_ms(text);
  if (!ms) return std::nullopt;
  return *ms / 1000;
}

std::string format_utc(std::int64_t unix_s) {
  std::time_t t = static_cast<std::time_t>(unix_s);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::optional<UsernameToken> read_username_token(const Node& header) {
  Node tok = header.path({"Security", "UsernameToken"});
  if (!tok) return std::nullopt;
  UsernameToken t;
  t.username = tok.child("Username").text();
  Node pw = tok.child("Password");
  t.password = pw.text();
  const std::string type = pw.attr("Type");
  t.digest = type.ends_with("#PasswordDigest");
  if (!type.empty() && !t.digest && !type.ends_with("#PasswordText")) {
    throw Error(Errc::invalid_argument, "UsernameToken: unknown password type");
  }
  if (t.username.empty()) throw Error(Errc::invalid_argument, "UsernameToken: no Username");
  if (Node n = tok.child("Nonce")) {
    auto raw = base64_decode(n.text());
    if (!raw) throw Error(Errc::invalid_argument, "UsernameToken: the Nonce is not Base64");
    t.nonce = std::move(*raw);
  }
  t.created = tok.child("Created").text();
  if (t.digest && (t.nonce.empty() || t.created.empty())) {
    throw Error(Errc::invalid_argument, "UsernameToken: a digest needs a Nonce and Created");
  }
  return t;
}

bool token_matches(const UsernameToken& t, std::string_view user, std::string_view password, std::int64_t now,
                   std::chrono::seconds window) {
  if (user.empty() || password.empty() || t.username != user) return false;
  std::string expected;
  if (t.digest) {
    auto created = parse_utc(t.created);
    if (!created || *created < now - window.count() || *created > now + window.count()) return false;
    expected = password_digest(t.nonce, t.created, password);
  } else {
    expected = std::string(password);
  }
  return expected.size() == t.password.size() &&
         CRYPTO_memcmp(expected.data(), t.password.data(), expected.size()) == 0;
}

std::string security_header(std::string_view user, std::string_view password, std::int64_t now) {
  unsigned char nonce[16];
  if (RAND_bytes(nonce, sizeof nonce) != 1) throw Error(Errc::internal, "no random bytes for a nonce");
  const std::string raw(reinterpret_cast<const char*>(nonce), sizeof nonce);
  const std::string created = format_utc(now);
  return "<wsse:Security s:mustUnderstand=\"1\"><wsse:UsernameToken><wsse:Username>" + escape(user) +
         "</wsse:Username><wsse:Password Type=\"http://docs.oasis-open.org/wss/2004/01/"
         "oasis-200401-wss-username-token-profile-1.0#PasswordDigest\">" +
         password_digest(raw, created, password) +
         "</wsse:Password><wsse:Nonce EncodingType=\"http://docs.oasis-open.org/wss/2004/01/"
         "oasis-200401-wss-soap-message-security-1.0#Base64Binary\">" +
         base64_encode(raw) + "</wsse:Nonce><wsu:Created>" + created + "</wsu:Created></wsse:UsernameToken></wsse:Security>";
}

}  // namespace camrelay::onvif
