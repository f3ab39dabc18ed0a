// Test support: the signing half of the project's test TSA (tests/support/tsa_server.py), one
// long-lived process per worker. It reads time-stamp queries on stdin and writes the replies on
// stdout, each framed by a 4-byte big-endian length, made by OpenSSL's own TS_RESP_create_response
// (what `openssl ts -reply` runs) with the same settings as the server's `openssl ts -reply`
// configuration. One process answers many queries: the certificate and key are read once, where
// a process per token spent most of each token's time starting up (at 16 clients the test TSA,
// not taichod, set the B-LTA seal's latency).
//
// Usage: tsa_signer SIGNER.pem KEY.pem CHAIN.pem SERIAL_START DIGESTS
//   SERIAL_START: the first serial number (each worker its own range); DIGESTS: the imprint
//   digests accepted, comma-separated ("sha256,sha384,sha512"). Exits at the end of stdin.
// SAMPLE ONLY: a test fixture, not a TSA.
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/ts.h>
#include <openssl/x509.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace {

template <typename T, void (*F)(T*)>
struct Free {
  void operator()(T* p) const { F(p); }
};
using BioPtr = std::unique_ptr<BIO, Free<BIO, BIO_free_all>>;
using RespCtxPtr = std::unique_ptr<TS_RESP_CTX, Free<TS_RESP_CTX, TS_RESP_CTX_free>>;
using RespPtr = std::unique_ptr<TS_RESP, Free<TS_RESP, TS_RESP_free>>;
using X509Ptr = std::unique_ptr<X509, Free<X509, X509_free>>;
using KeyPtr = std::unique_ptr<EVP_PKEY, Free<EVP_PKEY, EVP_PKEY_free>>;
using ObjPtr = std::unique_ptr<ASN1_OBJECT, Free<ASN1_OBJECT, ASN1_OBJECT_free>>;

int Fail(const char* what) {
  std::fprintf(stderr, "tsa_signer: %s\n", what);
  ERR_print_errors_fp(stderr);
  return 1;
}

// The serial numbers of this worker: SERIAL_START, then one more per token.
ASN1_INTEGER* NextSerial(TS_RESP_CTX* ctx, void* data) {
  uint64_t* next = static_cast<uint64_t*>(data);
  ASN1_INTEGER* serial = ASN1_INTEGER_new();
  if (serial == nullptr || ASN1_INTEGER_set_uint64(serial, (*next)++) != 1) {
    ASN1_INTEGER_free(serial);
    TS_RESP_CTX_set_status_info(ctx, TS_STATUS_REJECTION, "Error during serial number generation.");
    TS_RESP_CTX_add_failure_info(ctx, TS_INFO_ADD_INFO_NOT_AVAILABLE);
    return nullptr;
  }
  return serial;
}

bool ReadExactly(unsigned char* out, size_t n) { return std::fread(out, 1, n, stdin) == n; }

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) return Fail("usage: tsa_signer SIGNER.pem KEY.pem CHAIN.pem SERIAL_START DIGESTS");
  BioPtr cert_in(BIO_new_file(argv[1], "r")), key_in(BIO_new_file(argv[2], "r"));
  BioPtr chain_in(BIO_new_file(argv[3], "r"));
  if (!cert_in || !key_in || !chain_in) return Fail("cannot open the certificate, key or chain");
  X509Ptr cert(PEM_read_bio_X509(cert_in.get(), nullptr, nullptr, nullptr));
  KeyPtr key(PEM_read_bio_PrivateKey(key_in.get(), nullptr, nullptr, nullptr));
  if (!cert || !key) return Fail("cannot read the certificate or key");
  STACK_OF(X509)* chain = sk_X509_new_null();
  while (X509* c = PEM_read_bio_X509(chain_in.get(), nullptr, nullptr, nullptr)) {
    sk_X509_push(chain, c);
  }
  ERR_clear_error();
  uint64_t serial = std::strtoull(argv[4], nullptr, 0);

  // As tsa_server.py's `openssl ts -reply` configuration: SHA-256 signer digest and ESS
  // certificate id, accuracy 1 s, no ordering, the TSA's name in the TSTInfo, policies .1 and .2.
  RespCtxPtr ctx(TS_RESP_CTX_new());
  ObjPtr def_policy(OBJ_txt2obj("1.3.6.1.4.1.99999.1.1", 1));
  ObjPtr other_policy(OBJ_txt2obj("1.3.6.1.4.1.99999.1.2", 1));
  if (!ctx || !def_policy || !other_policy ||
      TS_RESP_CTX_set_signer_cert(ctx.get(), cert.get()) != 1 ||
      TS_RESP_CTX_set_signer_key(ctx.get(), key.get()) != 1 ||
      TS_RESP_CTX_set_certs(ctx.get(), chain) != 1 ||
      TS_RESP_CTX_set_signer_digest(ctx.get(), EVP_sha256()) != 1 ||
      TS_RESP_CTX_set_ess_cert_id_digest(ctx.get(), EVP_sha256()) != 1 ||
      TS_RESP_CTX_set_def_policy(ctx.get(), def_policy.get()) != 1 ||
      TS_RESP_CTX_add_policy(ctx.get(), other_policy.get()) != 1 ||
      TS_RESP_CTX_set_accuracy(ctx.get(), 1, 0, 0) != 1) {
    return Fail("cannot set up the response context");
  }
  sk_X509_pop_free(chain, X509_free);  // the context keeps its own copies
  std::stringstream digests(argv[5]);
  for (std::string name; std::getline(digests, name, ',');) {
    const EVP_MD* md = EVP_get_digestbyname(name.c_str());
    if (md == nullptr || TS_RESP_CTX_add_md(ctx.get(), md) != 1) return Fail("unknown digest");
  }
  TS_RESP_CTX_add_flags(ctx.get(), TS_TSA_NAME);
  TS_RESP_CTX_set_serial_cb(ctx.get(), NextSerial, &serial);

  std::vector<unsigned char> query;
  for (;;) {
    unsigned char head[4];
    if (!ReadExactly(head, 4)) return 0;  // stdin closed: the server is gone
    const uint32_t n = (uint32_t{head[0]} << 24) | (uint32_t{head[1]} << 16) |
                       (uint32_t{head[2]} << 8) | uint32_t{head[3]};
    query.resize(n);
    if (n > 0 && !ReadExactly(query.data(), n)) return Fail("short query");
    BioPtr in(BIO_new_mem_buf(query.data(), static_cast<int>(query.size())));
    RespPtr resp(in ? TS_RESP_create_response(ctx.get(), in.get()) : nullptr);
    unsigned char* der = nullptr;
    const int len = resp ? i2d_TS_RESP(resp.get(), &der) : -1;
    if (len <= 0) return Fail("cannot make the reply");
    const uint32_t out = static_cast<uint32_t>(len);
    const unsigned char out_head[4] = {
        static_cast<unsigned char>(out >> 24), static_cast<unsigned char>(out >> 16),
        static_cast<unsigned char>(out >> 8), static_cast<unsigned char>(out)};
    const bool written = std::fwrite(out_head, 1, 4, stdout) == 4 &&
                         std::fwrite(der, 1, out, stdout) == out && std::fflush(stdout) == 0;
    OPENSSL_free(der);
    ERR_clear_error();
    if (!written) return Fail("cannot write the reply");
  }
}
