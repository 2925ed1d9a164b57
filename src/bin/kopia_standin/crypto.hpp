// crypto: the stand-in's primitives, all from OpenSSL: SHA-256/HMAC-SHA256 for content addresses
// and key checks, scrypt for deriving keys from the password, AES-256-GCM for sealing every blob.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace kopia_standin {

using Key = std::array<unsigned char, 32>;

struct ScryptParams {
  std::uint64_t n = 16384;
  std::uint64_t r = 8;
  std::uint64_t p = 1;
};

std::string hex(std::string_view bytes);
std::string unhex(std::string_view text);  // "" when not hex
std::string random_bytes(std::size_t n);
std::string sha256(std::string_view data);                       // raw 32 bytes
std::string hmac_sha256(const Key& key, std::string_view data);  // raw 32 bytes

// The three keys of a repository: one proves the password, one seals blobs, one names contents.
struct RepoKeys {
  Key check{};
  Key seal{};
  Key address{};
};
// Throws std::runtime_error when OpenSSL fails.
RepoKeys derive_keys(std::string_view password, std::string_view salt, const ScryptParams& params);

// seal(): nonce(12) | ciphertext | tag(16). open() returns false when the tag does not verify.
std::string seal(const Key& key, std::string_view plaintext);
bool open(const Key& key, std::string_view sealed, std::string& plaintext);

}  // namespace kopia_standin
