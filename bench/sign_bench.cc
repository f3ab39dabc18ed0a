// In-process signing latency with SoftHSM2 RSA-2048, next to the token's raw C_Sign in the same
// process. Run by bench/run.sh, which makes the PKI, the tokens and the inputs and exports
// TAICHO_BENCH_DIR and SOFTHSM2_CONF.
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "pades/pdf_signer.h"
#include "pades/pdf_verifier.h"
#include "pkcs11/module.h"
#include "signer/certificate_info.h"
#include "signer/token_signer.h"

namespace {

struct Token {
  std::shared_ptr<taicho::pkcs11::Module> module;
  std::unique_ptr<taicho::pkcs11::Session> session;
  taicho::pkcs11::KeyInfo key;
  std::unique_ptr<taicho::signer::KeySigner> signer;
};

Token& OfficerToken() {
  static Token token = [] {
    Token t;
    auto m = taicho::pkcs11::Module::Load("/usr/lib/softhsm/libsofthsm2.so");
    if (!m.ok()) std::abort();
    t.module = *m;
    auto s = t.module->OpenSession({std::string("Nguyễn Văn An"), std::nullopt});
    if (!s.ok()) std::abort();
    t.session = *std::move(s);
    taicho::pkcs11::SecretString pin("123456");
    if (!t.session->Login(pin).ok()) std::abort();
    auto k = t.session->FindSigningKey({});
    if (!k.ok()) std::abort();
    t.key = *k;
    auto pool = t.session->ListCertificates();
    auto signer = taicho::signer::MakeTokenSigner(
        *t.session, t.key, taicho::signer::BuildChain(t.key.certificate_der, *pool));
    if (!signer.ok()) std::abort();
    t.signer = *std::move(signer);
    return t;
  }();
  return token;
}

std::string Dir() {
  const char* d = std::getenv("TAICHO_BENCH_DIR");
  return d ? d : "/tmp";
}

void SetPeakRss(benchmark::State& state) {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  state.counters["peak_rss_MB"] = static_cast<double>(ru.ru_maxrss) / 1024.0;
}

void BM_TokenRawSign(benchmark::State& state) {
  Token& t = OfficerToken();
  std::vector<uint8_t> data(64, 0x5a);
  taicho::pkcs11::SignRequest req;
  req.mechanism = 0x40;  // CKM_SHA256_RSA_PKCS
  for (auto _ : state) {
    auto sig = t.session->Sign(t.key, req, data);
    if (!sig.ok()) state.SkipWithError("sign failed");
  }
}

void SignFile(benchmark::State& state, const std::string& in) {
  Token& t = OfficerToken();
  const std::string out = Dir() + "/bench-out.pdf";
  for (auto _ : state) {
    auto r = taicho::pades::SignPdf(in, out, *t.signer, {});
    if (!r.ok()) state.SkipWithError(std::string(r.status().message()).c_str());
  }
  SetPeakRss(state);
}

void BM_SignSmallPdf(benchmark::State& state) { SignFile(state, Dir() + "/small.pdf"); }
void BM_SignLargePdf(benchmark::State& state) { SignFile(state, Dir() + "/large.pdf"); }

void BM_VerifySignedSmallPdf(benchmark::State& state) {
  for (auto _ : state) {
    auto r = taicho::pades::VerifyPdf(Dir() + "/small-signed.pdf");
    if (!r.ok()) state.SkipWithError("verify failed");
  }
}

}  // namespace

BENCHMARK(BM_TokenRawSign)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SignSmallPdf)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SignLargePdf)->Unit(benchmark::kMillisecond)->Iterations(10);
BENCHMARK(BM_VerifySignedSmallPdf)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
