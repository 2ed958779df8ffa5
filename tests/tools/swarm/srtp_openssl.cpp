// OpenSSL AES-128-CM and HMAC-SHA1 for libsrtp2 (srtp_openssl.hpp).
#include "srtp_openssl.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <srtp2/auth.h>
#include <srtp2/cipher.h>

#include <cstring>
#include <new>

namespace swarm {

namespace {

// --- AES-128 in counter mode (RFC 3711 4.1.1) ---

struct AesCm {
  EVP_CIPHER_CTX* ctx = nullptr;
  uint8_t offset[16] = {};  // the session salt, shifted left 16 bits
};

extern const srtp_cipher_type_t kAesCm128;

const EVP_CIPHER* aes_128_ctr() {
  static EVP_CIPHER* c = EVP_CIPHER_fetch(nullptr, "AES-128-CTR", nullptr);
  return c;
}

srtp_err_status_t cm_alloc(srtp_cipher_t** c, int key_len, int) {
  if (key_len != SRTP_AES_ICM_128_KEY_LEN_WSALT || !aes_128_ctr()) return srtp_err_status_bad_param;
  auto* state = new (std::nothrow) AesCm;
  auto* cipher = new (std::nothrow) srtp_cipher_t{};
  if (state) state->ctx = EVP_CIPHER_CTX_new();
  if (!state || !cipher || !state->ctx) {
    if (state) EVP_CIPHER_CTX_free(state->ctx);
    delete state;
    delete cipher;
    return srtp_err_status_alloc_fail;
  }
  cipher->type = &kAesCm128;
  cipher->state = state;
  cipher->key_len = key_len;
  cipher->algorithm = SRTP_AES_ICM_128;
  *c = cipher;
  return srtp_err_status_ok;
}

srtp_err_status_t cm_dealloc(srtp_cipher_t* c) {
  auto* state = static_cast<AesCm*>(c->state);
  EVP_CIPHER_CTX_free(state->ctx);
  OPENSSL_cleanse(state->offset, sizeof state->offset);
  delete state;
  delete c;
  return srtp_err_status_ok;
}

// `key`: the 16-byte key, then the 14-byte salt.
srtp_err_status_t cm_init(void* s, const uint8_t* key) {
  auto* state = static_cast<AesCm*>(s);
  std::memcpy(state->offset, key + SRTP_AES_128_KEY_LEN, SRTP_SALT_LEN);
  state->offset[14] = state->offset[15] = 0;
  return EVP_EncryptInit_ex(state->ctx, aes_128_ctr(), nullptr, key, state->offset) == 1 ? srtp_err_status_ok
                                                                                          : srtp_err_status_cipher_fail;
}

// The counter starts at offset XOR iv; its low 16 bits are the block counter, which never
// carries into the rest for an SRTP packet, so OpenSSL's 128-bit counter gives the same stream.
srtp_err_status_t cm_set_iv(void* s, uint8_t* iv, srtp_cipher_direction_t) {
  auto* state = static_cast<AesCm*>(s);
  uint8_t counter[16];
  for (int i = 0; i < 16; ++i) counter[i] = uint8_t(state->offset[i] ^ iv[i]);
  return EVP_EncryptInit_ex(state->ctx, nullptr, nullptr, nullptr, counter) == 1 ? srtp_err_status_ok
                                                                                  : srtp_err_status_cipher_fail;
}

srtp_err_status_t cm_crypt(void* s, uint8_t* buf, unsigned int* len) {
  int out = 0;
  if (EVP_EncryptUpdate(static_cast<AesCm*>(s)->ctx, buf, &out, buf, int(*len)) != 1) return srtp_err_status_cipher_fail;
  *len = unsigned(out);
  return srtp_err_status_ok;
}

// RFC 3711 B.2: the keystream of key 2B7E151628AED2A6ABF7158809CF4F3C, salt
// F0F1F2F3F4F5F6F7F8F9FAFBFCFD, IV 0 (encrypting zeros).
const uint8_t kCmKey[30] = {0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f,
                            0x3c, 0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd};
uint8_t cm_iv[16] = {};
const uint8_t kCmPlain[32] = {};
const uint8_t kCmCipher[32] = {0xe0, 0x3e, 0xad, 0x09, 0x35, 0xc9, 0x5e, 0x80, 0xe1, 0x66, 0xb1,
                               0x6d, 0xd9, 0x2b, 0x4e, 0xb4, 0xd2, 0x35, 0x13, 0x16, 0x2b, 0x02,
                               0xd0, 0xf7, 0x2a, 0x43, 0xa2, 0xfe, 0x4a, 0x5f, 0x97, 0xab};
const srtp_cipher_test_case_t kCmTest = {30, kCmKey, cm_iv, 32, kCmPlain, 32, kCmCipher, 0, nullptr, 0, nullptr};

const srtp_cipher_type_t kAesCm128 = {cm_alloc, cm_dealloc, cm_init,  nullptr,
                                      cm_crypt, cm_crypt,   cm_set_iv, nullptr,
                                      "AES-128 counter mode on OpenSSL", &kCmTest, SRTP_AES_ICM_128};

// --- HMAC-SHA1 (RFC 2104) ---

extern const srtp_auth_type_t kHmacSha1;

EVP_MAC* hmac() {
  static EVP_MAC* m = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  return m;
}

srtp_err_status_t hmac_alloc(srtp_auth_t** a, int key_len, int out_len) {
  if (key_len > 20 || out_len > 20 || !hmac()) return srtp_err_status_bad_param;
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(hmac());
  auto* auth = new (std::nothrow) srtp_auth_t{};
  if (!ctx || !auth) {
    EVP_MAC_CTX_free(ctx);
    delete auth;
    return srtp_err_status_alloc_fail;
  }
  auth->type = &kHmacSha1;
  auth->state = ctx;
  auth->out_len = out_len;
  auth->key_len = key_len;
  auth->prefix_len = 0;
  *a = auth;
  return srtp_err_status_ok;
}

srtp_err_status_t hmac_dealloc(srtp_auth_t* a) {
  EVP_MAC_CTX_free(static_cast<EVP_MAC_CTX*>(a->state));
  delete a;
  return srtp_err_status_ok;
}

srtp_err_status_t hmac_init(void* s, const uint8_t* key, int key_len) {
  char digest[] = "SHA1";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                               OSSL_PARAM_construct_end()};
  return EVP_MAC_init(static_cast<EVP_MAC_CTX*>(s), key, size_t(key_len), params) == 1 ? srtp_err_status_ok
                                                                                        : srtp_err_status_auth_fail;
}

// A new message with the key set by hmac_init.
srtp_err_status_t hmac_start(void* s) {
  return EVP_MAC_init(static_cast<EVP_MAC_CTX*>(s), nullptr, 0, nullptr) == 1 ? srtp_err_status_ok
                                                                              : srtp_err_status_auth_fail;
}

srtp_err_status_t hmac_update(void* s, const uint8_t* buf, int len) {
  return EVP_MAC_update(static_cast<EVP_MAC_CTX*>(s), buf, size_t(len)) == 1 ? srtp_err_status_ok
                                                                             : srtp_err_status_auth_fail;
}

srtp_err_status_t hmac_compute(void* s, const uint8_t* buf, int len, int tag_len, uint8_t* tag) {
  auto* ctx = static_cast<EVP_MAC_CTX*>(s);
  uint8_t md[20];
  size_t n = 0;
  if (tag_len > 20 || EVP_MAC_update(ctx, buf, size_t(len)) != 1 || EVP_MAC_final(ctx, md, &n, sizeof md) != 1) {
    return srtp_err_status_auth_fail;
  }
  std::memcpy(tag, md, size_t(tag_len));
  return srtp_err_status_ok;
}

// RFC 2202, test case 1.
const uint8_t kHmacKey[20] = {0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
                              0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b};
const uint8_t kHmacData[8] = {'H', 'i', ' ', 'T', 'h', 'e', 'r', 'e'};
const uint8_t kHmacTag[20] = {0xb6, 0x17, 0x31, 0x86, 0x55, 0x05, 0x72, 0x64, 0xe2, 0x8b,
                              0xc0, 0xb6, 0xfb, 0x37, 0x8c, 0x8e, 0xf1, 0x46, 0xbe, 0x00};
const srtp_auth_test_case_t kHmacTest = {20, kHmacKey, 8, kHmacData, 20, kHmacTag, nullptr};

const srtp_auth_type_t kHmacSha1 = {hmac_alloc,  hmac_dealloc, hmac_init, hmac_compute, hmac_update,
                                    hmac_start, "HMAC-SHA1 on OpenSSL", &kHmacTest, SRTP_HMAC_SHA1};

}  // namespace

bool install_openssl_srtp_crypto() {
  return srtp_replace_cipher_type(&kAesCm128, SRTP_AES_ICM_128) == srtp_err_status_ok &&
         srtp_replace_auth_type(&kHmacSha1, SRTP_HMAC_SHA1) == srtp_err_status_ok;
}

}  // namespace swarm
