// Time-stamp round trip against a local TSA (tests/support/tsa_server.py: Python's http.server in
// front of `openssl ts -reply`), next to `openssl ts -reply` run directly on the same kind of query
// (the floor: the front and the client add the rest). Also reports the size of the token, which
// the PDF /Contents reservation must hold. Self-contained: makes its own sample PKI and TSA.
//   build-*/bench/tsa_bench --benchmark_repetitions=50 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

#include "tests/support/local_tsa.h"
#include "tests/support/pki_fixture.h"
#include "tsa/tsa_client.h"

namespace {

using taicho::testing::Quote;

// Started by main before any timing, stopped (the server process killed) at its end.
taicho::testing::LocalTsa* tsa_server = nullptr;

taicho::testing::LocalTsa& Tsa() { return *tsa_server; }

const taicho::tsa::TsaClient& Client() {
  static auto* client = [] {
    taicho::tsa::TsaPolicy policy;
    policy.urls = {Tsa().url()};
    policy.attempts_per_tsa = 1;
    policy.trust.trust_anchors_pem =
        taicho::testing::ReadFileBytes(taicho::testing::GetSamplePki().dir + "/root.pem");
    auto made = taicho::tsa::TsaClient::Create(policy);
    if (!made.ok()) std::abort();
    return new taicho::tsa::TsaClient(*std::move(made));
  }();
  return *client;
}

void BM_TimeStampRoundTrip(benchmark::State& state) {
  const taicho::Bytes signature_value(256, 0x5a);  // an RSA-2048 signature value's size
  size_t token_size = 0;
  for (auto _ : state) {
    auto out = Client().TimeStamp(signature_value);
    if (!out.ok()) {
      state.SkipWithError(std::string(out.status().message()).c_str());
      break;
    }
    token_size = out->token.size();
  }
  state.counters["token_bytes"] = static_cast<double>(token_size);
}

void BM_OpensslTsReplyDirect(benchmark::State& state) {
  const std::string& pki = taicho::testing::GetSamplePki().dir;
  const std::string dir = taicho::testing::MakeTempDir("tsa-bench");
  std::ofstream(dir + "/data.bin") << std::string(256, 'Z');
  auto made = taicho::testing::Run("openssl ts -query -data " + Quote(dir + "/data.bin") +
                                   " -sha256 -cert -out " + Quote(dir + "/q.tsq"));
  if (made.exit_code != 0) std::abort();
  const std::string reply = "openssl ts -reply -config " + Quote(Tsa().workdir() + "/tsa.cnf") +
                            " -queryfile " + Quote(dir + "/q.tsq") + " -signer " +
                            Quote(pki + "/tsa.pem") + " -inkey " + Quote(pki + "/tsa.key") +
                            " -chain " + Quote(pki + "/subca.pem") + " -out " +
                            Quote(dir + "/r.tsr");
  for (auto _ : state) {
    if (taicho::testing::Run(reply).exit_code != 0) {
      state.SkipWithError("openssl ts -reply failed");
      break;
    }
  }
}

BENCHMARK(BM_TimeStampRoundTrip)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
BENCHMARK(BM_OpensslTsReplyDirect)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  auto server = std::make_unique<taicho::testing::LocalTsa>();  // makes the sample PKI first
  if (!server->started()) {
    std::fprintf(stderr, "tsa_bench: the local TSA did not start:\n%s\n", server->log().c_str());
    return 1;
  }
  tsa_server = server.get();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
