// PAdES B-LT signing cost: B-B, B-T, and B-LT with a cold and a warm revocation cache, same run,
// against real services on loopback (OpenSSL's OCSP responder, CRLs over http.server, the tests'
// RFC 3161 TSA). Prints median milliseconds per signature and the bytes the DSS adds; then B-T →
// B-LTA with a warm cache as two updates (DSS, then document time-stamp) against one (both in one
// update, AddValidationDataAndDocumentTimeStamp): wall time and this process's CPU time (the
// TSA's, a process of its own, not counted), interleaved.
// Usage: ltv_bench [ITERATIONS]   (TAICHO_TEST_PKI_SEED may point at a ready test PKI seed)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <string>
#include <vector>

#include "pades/ltv.h"
#include "pades/pdf_signer.h"
#include "revocation/revocation_client.h"
#include "signer/certificate_info.h"
#include "signer/key_signer.h"
#include "tests/support/local_revocation.h"
#include "tests/support/local_tsa.h"
#include "tests/support/pki_fixture.h"
#include "tests/support/sample_pdf.h"
#include "tsa/tsa_client.h"

using namespace taicho;

namespace {

double CpuMs() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

double MedianMs(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "ltv_bench: %s\n", what.c_str());
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 15;
  const auto& pki = testing::GetSamplePki();
  testing::LocalRevocation services(pki.dir);
  testing::LocalTsa local_tsa;
  if (!services.started() || !local_tsa.started()) Die("services did not start");
  tsa::TsaPolicy tp;
  tp.urls = {local_tsa.url()};
  tp.trust.trust_anchors_pem = testing::ReadFileBytes(pki.dir + "/ca-bundle.pem");
  absl::StatusOr<tsa::TsaClient> tsa = tsa::TsaClient::Create(tp);
  if (!tsa.ok()) Die(std::string(tsa.status().message()));
  revocation::RevocationPolicy rp;
  rp.url_rewrites = services.rewrites();
  auto key = signer::LoadPkcs12Signer(pki.dir + "/officer-an.p12", "taicho");
  if (!key.ok()) Die(std::string(key.status().message()));
  absl::StatusOr<std::vector<Bytes>> roots = signer::ReadCertificates(pki.dir + "/root.pem");
  if (!roots.ok()) Die("roots");
  const std::string dir = testing::MakeTempDir("ltv-bench");
  testing::WriteSamplePdf(dir + "/in.pdf", 2);

  revocation::RevocationCache warm_cache;
  int64_t dss_bytes = 0, warm_requests = 0;
  std::vector<double> bb, bt, cold, warm;
  auto time = [](const std::function<void()>& f) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  };
  auto lt = [&](revocation::RevocationCache* cache, int64_t* requests) {
    revocation::RevocationClient client(rp, cache);
    pades::SignOptions options;
    options.tsa = &*tsa;
    options.revocation = &client;
    auto s = pades::SignPdf(dir + "/in.pdf", dir + "/bt.pdf", **key, options);
    if (!s.ok()) Die(std::string(s.status().message()));
    pades::LtvOptions ltv;
    ltv.revocation = &client;
    ltv.extra_certs = *roots;
    auto r = pades::AddValidationData(dir + "/bt.pdf", dir + "/lt.pdf", ltv);
    if (!r.ok()) Die(std::string(r.status().message()));
    dss_bytes = r->dss_bytes;
    if (requests) *requests += client.network_requests();
  };
  lt(&warm_cache, nullptr);  // fills the warm cache
  // Interleaved so that drift affects every mode alike.
  for (int i = 0; i < n; ++i) {
    bb.push_back(time([&] {
      auto s = pades::SignPdf(dir + "/in.pdf", dir + "/bb.pdf", **key, pades::SignOptions{});
      if (!s.ok()) Die(std::string(s.status().message()));
    }));
    bt.push_back(time([&] {
      pades::SignOptions options;
      options.tsa = &*tsa;
      auto s = pades::SignPdf(dir + "/in.pdf", dir + "/bt0.pdf", **key, options);
      if (!s.ok()) Die(std::string(s.status().message()));
    }));
    cold.push_back(time([&] {
      revocation::RevocationCache fresh;
      lt(&fresh, nullptr);
    }));
    warm.push_back(time([&] { lt(&warm_cache, &warm_requests); }));
  }
  const double base = MedianMs(bb);
  std::printf("iterations            %d\n", n);
  std::printf("B-B                   %8.2f ms  (1.00x)\n", base);
  std::printf("B-T                   %8.2f ms  (%.2fx)\n", MedianMs(bt), MedianMs(bt) / base);
  std::printf("B-LT cold cache       %8.2f ms  (%.2fx)\n", MedianMs(cold), MedianMs(cold) / base);
  std::printf("B-LT warm cache       %8.2f ms  (%.2fx)\n", MedianMs(warm), MedianMs(warm) / base);
  std::printf("warm-cache HTTP requests to OCSP/CRL over %d signings: %lld\n", n,
              static_cast<long long>(warm_requests));
  std::printf("DSS update adds       %lld bytes\n", static_cast<long long>(dss_bytes));

  // B-T → B-LTA from the same B-T file, warm cache.
  revocation::RevocationClient client(rp, &warm_cache);
  pades::LtvOptions ltv;
  ltv.revocation = &client;
  ltv.extra_certs = *roots;
  ltv.certificates = client.certificates();
  ltv.output_durability = pdf::Durability::kAtomicOnly;  // as the seal writes its scratch files
  std::vector<double> two_wall, two_cpu, one_wall, one_cpu;
  auto measure = [&](std::vector<double>& wall, std::vector<double>& cpu,
                     const std::function<void()>& f) {
    const double c0 = CpuMs();
    wall.push_back(time(f));
    cpu.push_back(CpuMs() - c0);
  };
  for (int i = 0; i < 4 * n; ++i) {
    measure(two_wall, two_cpu, [&] {
      auto r = pades::AddValidationData(dir + "/bt.pdf", dir + "/lt2.pdf", ltv);
      if (!r.ok()) Die(std::string(r.status().message()));
      auto t = pades::AddDocumentTimeStamp(dir + "/lt2.pdf", dir + "/lta2.pdf", *tsa,
                                           pdf::Durability::kAtomicOnly);
      if (!t.ok()) Die(std::string(t.status().message()));
    });
    measure(one_wall, one_cpu, [&] {
      auto r = pades::AddValidationDataAndDocumentTimeStamp(dir + "/bt.pdf", dir + "/lta1.pdf", ltv,
                                                            *tsa);
      if (!r.ok()) Die(std::string(r.status().message()));
    });
  }
  std::printf("B-T -> B-LTA, warm cache, %d each, median wall / CPU of this process:\n", 4 * n);
  std::printf("  two updates         %8.2f ms / %6.2f ms\n", MedianMs(two_wall), MedianMs(two_cpu));
  std::printf("  one update          %8.2f ms / %6.2f ms\n", MedianMs(one_wall), MedianMs(one_cpu));
  return 0;
}
