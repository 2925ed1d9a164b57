// OpenSSL-backed primitives of the stand-in repository.
#include "crypto.hpp"

#include <algorithm>
#include <memory>
#include <stdexcept>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

namespace kopia_standin {

namespace {

constexpr std::size_t kNonce = 12;
constexpr std::size_t kTag = 16;

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

const unsigned char* bytes_of(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}
unsigned char* bytes_of(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }

}  // namespace

std::string hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    out += kDigits[b >> 4];
    out += kDigits[b & 0xf];
  }
  return out;
}

std::string unhex(std::string_view text) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (text.size() % 2 != 0) return {};
  std::string out;
  for (std::size_t i = 0; i < text.size(); i += 2) {
    const int hi = nibble(text[i]);
    const int lo = nibble(text[i + 1]);
    if (hi < 0 || lo < 0) return {};
    out += static_cast<char>((hi << 4) | lo);
  }
  return out;
}

std::string random_bytes(std::size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(bytes_of(out), static_cast<int>(n)) != 1) {
    throw std::runtime_error("unable to read random bytes");
  }
  return out;
}

std::string sha256(std::string_view data) {
  std::string out(32, '\0');
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), bytes_of(out), &len, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("SHA-256 failed");
  }
  return out;
}

std::string hmac_sha256(const Key& key, std::string_view data) {
  std::string out(32, '\0');
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), bytes_of(data), data.size(),
           bytes_of(out), &len) == nullptr) {
    throw std::runtime_error("HMAC-SHA256 failed");
  }
  return out;
}

RepoKeys derive_keys(std::string_view password, std::string_view salt, const ScryptParams& params) {
  std::array<unsigned char, 96> material{};
  if (EVP_PBE_scrypt(password.data(), password.size(), bytes_of(salt), salt.size(), params.n,
                     params.r, params.p, 64ULL * 1024 * 1024, material.data(),
                     material.size()) != 1) {
    throw std::runtime_error("unable to derive the repository key (scrypt)");
  }
  RepoKeys keys;
  std::copy_n(material.begin(), 32, keys.check.begin());
  std::copy_n(material.begin() + 32, 32, keys.seal.begin());
  std::copy_n(material.begin() + 64, 32, keys.address.begin());
  return keys;
}

std::string seal(const Key& key, std::string_view plaintext) {
  std::string out = random_bytes(kNonce);
  out.resize(kNonce + plaintext.size() + kTag);
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  int total = 0;
  const bool ok =
      ctx &&
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.data(), bytes_of(out)) == 1 &&
      EVP_EncryptUpdate(ctx.get(), bytes_of(out) + kNonce, &len, bytes_of(plaintext),
                        static_cast<int>(plaintext.size())) == 1 &&
      (total = len, EVP_EncryptFinal_ex(ctx.get(), bytes_of(out) + kNonce + total, &len) == 1) &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTag,
                          bytes_of(out) + kNonce + plaintext.size()) == 1;
  if (!ok) throw std::runtime_error("AES-256-GCM encryption failed");
  return out;
}

bool open(const Key& key, std::string_view sealed, std::string& plaintext) {
  if (sealed.size() < kNonce + kTag) return false;
  const std::size_t body = sealed.size() - kNonce - kTag;
  plaintext.assign(body, '\0');
  std::string tag(sealed.substr(kNonce + body));
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  return ctx &&
         EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.data(), bytes_of(sealed)) ==
             1 &&
         EVP_DecryptUpdate(ctx.get(), bytes_of(plaintext), &len, bytes_of(sealed) + kNonce,
                           static_cast<int>(body)) == 1 &&
         EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTag, bytes_of(tag)) == 1 &&
         EVP_DecryptFinal_ex(ctx.get(), bytes_of(plaintext) + len, &len) == 1;
}

}  // namespace kopia_standin
