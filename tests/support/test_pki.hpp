// File: support/test_pki.hpp
//
// A throwaway PKI for TLS tests, generated in memory with OpenSSL at test time: a CA and leaf
// certificates it signs (ECDSA P-256, SHA-256, valid from an hour ago for a day, SANs localhost,
// 127.0.0.1 and ::1). Also a probe that completes a verified TLS handshake and reports which
// certificate the server presented. Throws std::runtime_error on OpenSSL failures.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace kopiur::test {

struct Pem {
  std::string cert;  // the certificate, PEM
  std::string key;   // its unencrypted private key, PEM (PKCS#8)
};

class TestCa {
 public:
  explicit TestCa(const std::string& common_name = "kopiur test CA");
  ~TestCa();
  TestCa(const TestCa&) = delete;
  TestCa& operator=(const TestCa&) = delete;

  // The CA certificate, PEM: what clients trust.
  [[nodiscard]] const std::string& cert_pem() const noexcept;

  // A new server certificate and key signed by this CA.
  [[nodiscard]] Pem issue(const std::string& common_name, std::int64_t serial) const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// What the server presented in a TLS handshake.
struct PeerCertificate {
  std::string common_name;
  std::int64_t serial = 0;
};

// Connects to 127.0.0.1:port, verifies the chain against `ca_file` and the IP SAN, and returns
// the leaf. Throws std::runtime_error (with the OpenSSL reason) if the handshake fails. A nonzero
// `max_version` (e.g. TLS1_1_VERSION) caps the client's protocol and lowers its own security level
// to 0, so that only the server can refuse an old protocol.
[[nodiscard]] PeerCertificate fetch_peer_certificate(std::uint16_t port, const std::string& ca_file,
                                                     int max_version = 0);

}  // namespace kopiur::test
