#include "camrelay/store/secret_box.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "camrelay/util/error.hpp"
#include "camrelay/util/log.hpp"

namespace camrelay::store {
namespace {

void sodium() {
  if (sodium_init() < 0) throw Error(Errc::internal, "libsodium could not be initialised");
}

const unsigned char* bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

}  // namespace

std::string load_or_create_key(const std::string& path, std::string_view what, std::string_view if_lost) {
  constexpr std::size_t kBytes = SecretBox::kKeyBytes;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0 && errno == ENOENT) {
    fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
      throw Error(Errc::unavailable, "cannot create the key file " + path + ": " + std::strerror(errno));
    }
    sodium();
    std::string key(kBytes, '\0');
    randombytes_buf(key.data(), key.size());
    const bool ok = ::write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size()) && ::fsync(fd) == 0;
    const int err = errno;
    ::close(fd);
    if (!ok) {
      ::unlink(path.c_str());
      throw Error(Errc::unavailable, "cannot write the key file " + path + ": " + std::strerror(err));
    }
    log::get("store")->info("created the {} {}", what, path);
    return key;
  }
  if (fd < 0) throw Error(Errc::unavailable, "cannot open the key file " + path + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw Error(Errc::invalid_argument, "the key file " + path + " is not a regular file");
  }
  if (st.st_mode & (S_IRWXG | S_IRWXO)) {
    ::close(fd);
    char mode[8];
    std::snprintf(mode, sizeof mode, "%03o", static_cast<unsigned>(st.st_mode & 0777));
    throw Error(Errc::invalid_argument, "the key file " + path + " has mode " + mode +
                                            ": others could read it; run: chmod 600 " + path);
  }
  std::string key(kBytes + 1, '\0');
  const auto n = ::read(fd, key.data(), key.size());
  ::close(fd);
  if (n != static_cast<ssize_t>(kBytes)) {
    throw Error(Errc::invalid_argument, "the key file " + path + " does not hold " + std::to_string(kBytes) +
                                            " bytes (move it aside: a new one is created, and " +
                                            std::string(if_lost) + ")");
  }
  key.resize(kBytes);
  return key;
}

SecretBox SecretBox::from_key_file(const std::string& path) {
  std::string key = load_or_create_key(path, "key for the credentials kept in the database",
                                       "the camera passwords stored with the old one can no longer be read");
  SecretBox box(key);
  sodium_memzero(key.data(), key.size());
  return box;
}

SecretBox::SecretBox(std::string_view key) {
  static_assert(kKeyBytes == crypto_secretbox_KEYBYTES);
  sodium();
  if (key.size() != kKeyBytes) {
    throw Error(Errc::invalid_argument, "a secret box key has " + std::to_string(kKeyBytes) + " bytes");
  }
  std::memcpy(key_.data(), key.data(), kKeyBytes);
}

SecretBox::~SecretBox() { sodium_memzero(key_.data(), key_.size()); }

std::string SecretBox::seal(std::string_view plaintext) const {
  std::string out(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + plaintext.size(), '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(out.data());
  randombytes_buf(nonce, crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(nonce + crypto_secretbox_NONCEBYTES, bytes(plaintext), plaintext.size(), nonce, key_.data());
  return out;
}

std::optional<std::string> SecretBox::open(std::string_view sealed) const {
  constexpr std::size_t kOverhead = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES;
  if (sealed.size() < kOverhead) return std::nullopt;
  std::string out(sealed.size() - kOverhead, '\0');
  const unsigned char* nonce = bytes(sealed);
  if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(out.data()), nonce + crypto_secretbox_NONCEBYTES,
                                 sealed.size() - crypto_secretbox_NONCEBYTES, nonce, key_.data()) != 0) {
    return std::nullopt;
  }
  return out;
}

}  // namespace camrelay::store
