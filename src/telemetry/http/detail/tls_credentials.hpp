// TlsCredentials: the certificate chain and key a TLS HttpServer presents, re-read from disk when
// the files change. An OpenSSL certificate callback hands every new handshake the current pair,
// so rotation (cert-manager, a Secret update) needs no restart and never drops live connections.
//
// Thread-safe: the callback runs on every worker thread. The files are stat'ed at most once per
// check interval, inside a handshake; a reload that fails (unreadable file, key not matching the
// certificate, half-written rotation) keeps serving the previous pair and warns once per change.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <openssl/ssl.h>

#include "kopiur/telemetry/http/server.hpp"

namespace kopiur::telemetry::http::detail {

// A parsed, matching certificate chain and private key.
struct CertifiedKey;

// Identity of a file's content as far as stat(2) tells: replaced or rewritten files differ.
struct FileStamp {
  bool exists = false;
  unsigned long long device = 0;
  unsigned long long inode = 0;
  long long size = 0;
  long long mtime_ns = 0;
  bool operator==(const FileStamp&) const = default;
};

class TlsCredentials {
 public:
  using Warn = std::function<void(std::string_view)>;
  TlsCredentials(TlsFiles files, std::chrono::milliseconds check_every, Warn warn);
  ~TlsCredentials();
  TlsCredentials(const TlsCredentials&) = delete;
  TlsCredentials& operator=(const TlsCredentials&) = delete;

  // Loads the files for the first time. Empty on success, else an actionable error.
  [[nodiscard]] std::string load();

  // Configures `ctx` (protocol floor, certificate callback). `this` must outlive `ctx`.
  bool install(SSL_CTX& ctx);

  // Re-reads the files if the check interval passed and they changed. Called per handshake.
  void maybe_reload();

 private:
  static int on_certificate(SSL* ssl, void* self) noexcept;
  [[nodiscard]] std::shared_ptr<const CertifiedKey> current() const;

  const TlsFiles files_;
  const std::chrono::milliseconds check_every_;
  const Warn warn_;

  mutable std::mutex mu_;
  std::shared_ptr<const CertifiedKey> current_;
  std::chrono::steady_clock::time_point last_check_;
  std::pair<FileStamp, FileStamp> loaded_stamps_;
  std::pair<FileStamp, FileStamp> failed_stamps_;
};

}  // namespace kopiur::telemetry::http::detail
