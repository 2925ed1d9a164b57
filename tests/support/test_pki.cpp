#include "support/test_pki.hpp"

#include <stdexcept>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace kopiur::test {
namespace {

struct Free {
  void operator()(X509* p) const noexcept { X509_free(p); }
  void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
  void operator()(BIO* p) const noexcept { BIO_free_all(p); }
  void operator()(SSL_CTX* p) const noexcept { SSL_CTX_free(p); }
  void operator()(X509_EXTENSION* p) const noexcept { X509_EXTENSION_free(p); }
};
template <typename T>
using Owned = std::unique_ptr<T, Free>;

[[noreturn]] void fail(const std::string& what) {
  char buf[256] = "no OpenSSL error";
  if (const unsigned long code = ERR_get_error(); code != 0) {
    ERR_error_string_n(code, buf, sizeof(buf));
  }
  ERR_clear_error();
  throw std::runtime_error(what + ": " + buf);
}

void check(int rc, const char* what) {
  if (rc != 1) fail(what);
}

Owned<EVP_PKEY> new_key() {
  Owned<EVP_PKEY> key(EVP_EC_gen("P-256"));
  if (!key) fail("EC key generation");
  return key;
}

void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  Owned<X509_EXTENSION> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  if (!ext) fail("certificate extension");
  check(X509_add_ext(cert, ext.get(), -1), "add certificate extension");
}

// An unsigned certificate for `key` with subject CN=`common_name`.
Owned<X509> new_cert(const std::string& common_name, std::int64_t serial, EVP_PKEY* key) {
  Owned<X509> cert(X509_new());
  if (!cert) fail("X509_new");
  check(X509_set_version(cert.get(), 2), "certificate version");
  check(ASN1_INTEGER_set_int64(X509_get_serialNumber(cert.get()), serial), "serial");
  if (X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) == nullptr) fail("notBefore");
  if (X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400) == nullptr) fail("notAfter");
  check(X509_set_pubkey(cert.get(), key), "public key");
  X509_NAME* name = X509_get_subject_name(cert.get());
  check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                                   -1, 0),
        "subject CN");
  return cert;
}

std::string to_pem(X509* cert) {
  Owned<BIO> bio(BIO_new(BIO_s_mem()));
  check(PEM_write_bio_X509(bio.get(), cert), "PEM certificate");
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::string to_pem(EVP_PKEY* key) {
  Owned<BIO> bio(BIO_new(BIO_s_mem()));
  check(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr), "PEM key");
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

}  // namespace

struct TestCa::State {
  Owned<EVP_PKEY> key;
  Owned<X509> cert;
  std::string pem;
};

TestCa::TestCa(const std::string& common_name) : state_(std::make_unique<State>()) {
  state_->key = new_key();
  state_->cert = new_cert(common_name, 1, state_->key.get());
  X509* cert = state_->cert.get();
  check(X509_set_issuer_name(cert, X509_get_subject_name(cert)), "CA issuer");
  add_extension(cert, cert, NID_basic_constraints, "critical,CA:TRUE");
  add_extension(cert, cert, NID_key_usage, "critical,keyCertSign,cRLSign");
  add_extension(cert, cert, NID_subject_key_identifier, "hash");
  if (X509_sign(cert, state_->key.get(), EVP_sha256()) <= 0) fail("sign CA");
  state_->pem = to_pem(cert);
}

TestCa::~TestCa() = default;

const std::string& TestCa::cert_pem() const noexcept { return state_->pem; }

Pem TestCa::issue(const std::string& common_name, std::int64_t serial) const {
  Owned<EVP_PKEY> key = new_key();
  Owned<X509> cert = new_cert(common_name, serial, key.get());
  X509* ca = state_->cert.get();
  check(X509_set_issuer_name(cert.get(), X509_get_subject_name(ca)), "leaf issuer");
  add_extension(cert.get(), ca, NID_basic_constraints, "critical,CA:FALSE");
  add_extension(cert.get(), ca, NID_key_usage, "critical,digitalSignature");
  add_extension(cert.get(), ca, NID_ext_key_usage, "serverAuth");
  add_extension(cert.get(), ca, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1");
  add_extension(cert.get(), ca, NID_authority_key_identifier, "keyid:always");
  if (X509_sign(cert.get(), state_->key.get(), EVP_sha256()) <= 0) fail("sign leaf");
  return Pem{to_pem(cert.get()), to_pem(key.get())};
}

PeerCertificate fetch_peer_certificate(std::uint16_t port, const std::string& ca_file,
                                       int max_version) {
  Owned<SSL_CTX> ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) fail("SSL_CTX_new");
  if (max_version != 0) {
    SSL_CTX_set_security_level(ctx.get(), 0);
    check(SSL_CTX_set_min_proto_version(ctx.get(), TLS1_VERSION), "client min protocol");
    check(SSL_CTX_set_max_proto_version(ctx.get(), max_version), "client max protocol");
    check(SSL_CTX_set_cipher_list(ctx.get(), "DEFAULT:@SECLEVEL=0"), "client ciphers");
  }
  check(SSL_CTX_load_verify_locations(ctx.get(), ca_file.c_str(), nullptr), "load CA file");
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  Owned<BIO> bio(BIO_new_ssl_connect(ctx.get()));
  if (!bio) fail("BIO_new_ssl_connect");
  const std::string target = "127.0.0.1:" + std::to_string(port);
  BIO_set_conn_hostname(bio.get(), target.c_str());
  SSL* ssl = nullptr;
  BIO_get_ssl(bio.get(), &ssl);
  if (ssl == nullptr) fail("BIO_get_ssl");
  check(X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), "127.0.0.1"), "verify IP");
  if (BIO_do_handshake(bio.get()) != 1) fail("TLS handshake with " + target);
  Owned<X509> peer(SSL_get1_peer_certificate(ssl));
  if (!peer) fail("no peer certificate");
  PeerCertificate out;
  char cn[256] = {};
  if (X509_NAME_get_text_by_NID(X509_get_subject_name(peer.get()), NID_commonName, cn, sizeof(cn)) <
      0) {
    fail("peer certificate has no CN");
  }
  out.common_name = cn;
  check(ASN1_INTEGER_get_int64(&out.serial, X509_get0_serialNumber(peer.get())), "peer serial");
  return out;
}

}  // namespace kopiur::test
