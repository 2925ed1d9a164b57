#include "telemetry/http/detail/tls_credentials.hpp"

#include <cerrno>
#include <system_error>
#include <utility>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>

namespace kopiur::telemetry::http::detail {

struct X509Deleter {
  void operator()(X509* x) const noexcept { X509_free(x); }
};
struct ChainDeleter {
  void operator()(STACK_OF(X509) * s) const noexcept { sk_X509_pop_free(s, X509_free); }
};
struct KeyDeleter {
  void operator()(EVP_PKEY* k) const noexcept { EVP_PKEY_free(k); }
};
struct BioDeleter {
  void operator()(BIO* b) const noexcept { BIO_free(b); }
};

struct CertifiedKey {
  std::unique_ptr<X509, X509Deleter> leaf;
  std::unique_ptr<STACK_OF(X509), ChainDeleter> chain;  // intermediates after the leaf
  std::unique_ptr<EVP_PKEY, KeyDeleter> key;
};

namespace {

// The most recent OpenSSL error as text (the queue is cleared), or `fallback`.
std::string openssl_error(std::string_view fallback) {
  const unsigned long code = ERR_peek_last_error();
  ERR_clear_error();
  if (code == 0) return std::string(fallback);
  char buf[256];
  ERR_error_string_n(code, buf, sizeof(buf));
  return buf;
}

FileStamp stamp(const std::string& path) {
  struct stat st {};
  FileStamp s;
  if (::stat(path.c_str(), &st) != 0) return s;
  s.exists = true;
  s.device = st.st_dev;
  s.inode = st.st_ino;
  s.size = st.st_size;
  s.mtime_ns = static_cast<long long>(st.st_mtim.tv_sec) * 1'000'000'000LL + st.st_mtim.tv_nsec;
  return s;
}

std::unique_ptr<BIO, BioDeleter> open_file(const std::string& path, std::string_view what,
                                           std::string& error) {
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new_file(path.c_str(), "r"));
  if (!bio) {
    const int err = errno;
    ERR_clear_error();
    error = "cannot read TLS " + std::string(what) + " file '" + path +
            "': " + std::generic_category().message(err);
  }
  return bio;
}

std::shared_ptr<const CertifiedKey> read_pair(const TlsFiles& files, std::string& error) {
  auto pair = std::make_shared<CertifiedKey>();
  auto cert_bio = open_file(files.cert_file, "certificate", error);
  if (!cert_bio) return nullptr;
  pair->leaf.reset(PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr));
  if (!pair->leaf) {
    error = "TLS certificate file '" + files.cert_file +
            "' holds no PEM certificate: " + openssl_error("no CERTIFICATE block");
    return nullptr;
  }
  pair->chain.reset(sk_X509_new_null());
  while (X509* extra = PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr)) {
    sk_X509_push(pair->chain.get(), extra);
  }
  ERR_clear_error();  // the loop ends on "no start line", which is not an error

  auto key_bio = open_file(files.key_file, "private key", error);
  if (!key_bio) return nullptr;
  pair->key.reset(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  if (!pair->key) {
    error = "TLS private key file '" + files.key_file +
            "' holds no unencrypted PEM private key: " + openssl_error("no PRIVATE KEY block");
    return nullptr;
  }
  if (X509_check_private_key(pair->leaf.get(), pair->key.get()) != 1) {
    ERR_clear_error();
    error = "TLS private key '" + files.key_file + "' does not match the certificate '" +
            files.cert_file + "'";
    return nullptr;
  }
  return pair;
}

}  // namespace

TlsCredentials::TlsCredentials(TlsFiles files, std::chrono::milliseconds check_every, Warn warn)
    : files_(std::move(files)), check_every_(check_every), warn_(std::move(warn)) {}

TlsCredentials::~TlsCredentials() = default;

std::string TlsCredentials::load() {
  auto stamps = std::make_pair(stamp(files_.cert_file), stamp(files_.key_file));
  std::string error;
  auto pair = read_pair(files_, error);
  if (!pair) return error;
  std::lock_guard lock(mu_);
  current_ = std::move(pair);
  loaded_stamps_ = stamps;
  last_check_ = std::chrono::steady_clock::now();
  return {};
}

bool TlsCredentials::install(SSL_CTX& ctx) {
  if (SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION) != 1) return false;
  SSL_CTX_set_cert_cb(&ctx, &TlsCredentials::on_certificate, this);
  return true;
}

void TlsCredentials::maybe_reload() {
  std::string warning;
  {
    std::lock_guard lock(mu_);
    const auto now = std::chrono::steady_clock::now();
    if (now - last_check_ < check_every_) return;
    last_check_ = now;
    // Stamps taken before reading: a write racing the read shows up as a change next time.
    auto stamps = std::make_pair(stamp(files_.cert_file), stamp(files_.key_file));
    if (stamps == loaded_stamps_ || stamps == failed_stamps_) return;
    std::string error;
    if (auto pair = read_pair(files_, error)) {
      current_ = std::move(pair);
      loaded_stamps_ = stamps;
      failed_stamps_ = {};
      return;
    }
    failed_stamps_ = stamps;
    warning = "TLS certificate reload failed, still serving the previous certificate: " + error;
  }
  if (warn_) warn_(warning);
}

std::shared_ptr<const CertifiedKey> TlsCredentials::current() const {
  std::lock_guard lock(mu_);
  return current_;
}

int TlsCredentials::on_certificate(SSL* ssl, void* self) noexcept {
  auto* creds = static_cast<TlsCredentials*>(self);
  try {
    creds->maybe_reload();
  } catch (...) {
    // Allocation failure while reloading: keep the current pair.
  }
  const auto pair = creds->current();
  if (!pair) return 0;
  // Copies references into the SSL object, so a later swap never frees what a handshake uses.
  return SSL_use_cert_and_key(ssl, pair->leaf.get(), pair->key.get(), pair->chain.get(), 1) == 1
             ? 1
             : 0;
}

}  // namespace kopiur::telemetry::http::detail
