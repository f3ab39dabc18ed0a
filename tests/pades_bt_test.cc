// PAdES B-T end to end: signatures time-stamped by a real RFC 3161 TSA on loopback (OpenSSL's
// `openssl ts -reply` behind tests/support/tsa_server.py), through the library and the command
// line; what happens when no TSA answers. Every signed PDF is checked by pdfsig, qpdf --check,
// openssl cms and our verifier (which also verifies the embedded time-stamp).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <string>

#include "errors/error.h"
#include "pades/pdf_signer.h"
#include "pades/pdf_verifier.h"
#include "signer/key_signer.h"
#include "tests/support/checkers.h"
#include "tests/support/commands.h"
#include "tests/support/local_tsa.h"
#include "tests/support/pki_fixture.h"
#include "tests/support/sample_pdf.h"
#include "tsa/tsa_client.h"

namespace taicho::pades {
namespace {

using namespace taicho::testing;

std::string Anchors() { return GetSamplePki().dir + "/ca-bundle.pem"; }

tsa::TsaClient Client(std::vector<std::string> urls, bool fallback = false) {
  tsa::TsaPolicy policy;
  policy.urls = std::move(urls);
  policy.connect_timeout = std::chrono::milliseconds(2'000);
  policy.attempt_timeout = std::chrono::milliseconds(10'000);
  policy.attempts_per_tsa = 1;
  policy.trust.trust_anchors_pem = taicho::testing::ReadFileBytes(Anchors());
  policy.when_unavailable =
      fallback ? tsa::WhenUnavailable::kFallBackToBaseline : tsa::WhenUnavailable::kFail;
  absl::StatusOr<tsa::TsaClient> client = tsa::TsaClient::Create(std::move(policy));
  EXPECT_TRUE(client.ok()) << client.status();
  return *std::move(client);
}

void ExpectValidBT(const std::string& pdf, int signatures) {
  SCOPED_TRACE(pdf);
  auto pdfsig = taicho::testing::RunPdfsig(pdf);
  EXPECT_EQ(pdfsig.signatures, signatures) << pdfsig.output;
  EXPECT_EQ(pdfsig.valid, signatures) << pdfsig.output;
  std::string out;
  EXPECT_TRUE(taicho::testing::QpdfCheckPasses(pdf, &out)) << out;
  EXPECT_EQ(taicho::testing::OpensslVerifyAll(pdf, Anchors(), &out), signatures) << out;
  absl::StatusOr<VerificationReport> report =
      VerifyPdf(pdf, taicho::testing::ReadFileBytes(Anchors()));
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_EQ(static_cast<int>(report->signatures.size()), signatures);
  for (const SignatureReport& s : report->signatures) {
    EXPECT_EQ(s.indication, "TOTAL-PASSED") << report->ToText();
    ASSERT_TRUE(s.timestamp_ok.has_value()) << report->ToText();
    EXPECT_TRUE(*s.timestamp_ok) << report->ToText();
    EXPECT_NE(s.timestamp_tsa.find("Time-Stamping"), std::string::npos) << s.timestamp_tsa;
  }
}

TEST(PadesBT, OfficerThenSealBothTimeStamped) {
  const auto& pki = GetSamplePki();
  LocalTsa tsa;
  ASSERT_TRUE(tsa.started()) << tsa.log();
  const tsa::TsaClient client = Client({tsa.url()});
  const std::string dir = MakeTempDir("bt");
  taicho::testing::WriteSamplePdf(dir + "/in.pdf", 2);
  SignOptions options;
  options.tsa = &client;
  auto officer = signer::LoadPkcs12Signer(pki.dir + "/officer-an.p12", "taicho");
  ASSERT_TRUE(officer.ok()) << officer.status();
  absl::StatusOr<SignResult> one = SignPdf(dir + "/in.pdf", dir + "/1.pdf", **officer, options);
  ASSERT_TRUE(one.ok()) << one.status();
  EXPECT_EQ(one->level, "B-T");
  EXPECT_FALSE(one->timestamp_time.empty());
  EXPECT_GT(one->cms_size, 5000u) << "the token is inside the CMS";
  ExpectValidBT(dir + "/1.pdf", 1);

  auto seal = signer::LoadPkcs12Signer(pki.dir + "/seal.p12", "taicho");
  ASSERT_TRUE(seal.ok()) << seal.status();
  absl::StatusOr<SignResult> two = SignPdf(dir + "/1.pdf", dir + "/2.pdf", **seal, options);
  ASSERT_TRUE(two.ok()) << two.status();
  EXPECT_EQ(two->level, "B-T");
  ExpectValidBT(dir + "/2.pdf", 2);
  EXPECT_EQ(tsa.requests(), 2);
}

TEST(PadesBT, SplitSigningTimeStampsAtComplete) {
  const auto& pki = GetSamplePki();
  LocalTsa tsa;
  ASSERT_TRUE(tsa.started()) << tsa.log();
  const tsa::TsaClient client = Client({tsa.url()});
  const std::string dir = MakeTempDir("bt-split");
  taicho::testing::WriteSamplePdf(dir + "/in.pdf", 1);
  auto key = signer::LoadPkcs12Signer(pki.dir + "/officer-an.p12", "taicho");
  ASSERT_TRUE(key.ok()) << key.status();
  absl::StatusOr<PreparedSignature> prepared =
      PrepareSignature(dir + "/in.pdf", dir + "/prepared.pdf", (*key)->CertificateChain(),
                       (*key)->scheme(), SignOptions{});
  ASSERT_TRUE(prepared.ok()) << prepared.status();
  absl::StatusOr<Bytes> value = (*key)->Sign(prepared->BytesToSign(), prepared->cms.request.digest);
  ASSERT_TRUE(value.ok()) << value.status();
  absl::StatusOr<SignResult> done = CompleteSignature(*prepared, *value, dir + "/out.pdf", &client);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->level, "B-T");
  ExpectValidBT(dir + "/out.pdf", 1);
}

TEST(PadesBT, CommandLineTimeStampsOrSaysWhyNot) {
  const auto& pki = GetSamplePki();
  LocalTsa tsa;
  ASSERT_TRUE(tsa.started()) << tsa.log();
  const std::string dir = MakeTempDir("bt-cli");
  taicho::testing::WriteSamplePdf(dir + "/in.pdf", 1);
  const std::string sign =
      "echo taicho | " +
      Taicho("sign --in " + Quote(dir + "/in.pdf") + " --p12 " +
             Quote(pki.dir + "/officer-an.p12") + " --pin-stdin --tsa-trust " + Quote(Anchors()));
  auto r = Sh(sign + " --out " + Quote(dir + "/bt.pdf") + " --tsa " + tsa.url());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("PAdES B-T"), std::string::npos) << r.output;
  ExpectValidBT(dir + "/bt.pdf", 1);
  r = Sh(Taicho("verify --trust " + Quote(Anchors()) + " " + Quote(dir + "/bt.pdf")));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("Dấu thời gian / Time-stamp: hợp lệ / valid"), std::string::npos)
      << r.output;

  // Nobody answers: refused, nothing written …
  const std::string dead = taicho::testing::UnusedLoopbackUrl();
  r = Sh(sign + " --out " + Quote(dir + "/none.pdf") + " --tsa " + dead + " --tsa-timeout 2");
  EXPECT_EQ(r.exit_code, 6) << r.output;
  EXPECT_NE(r.output.find("[TSA_UNAVAILABLE]"), std::string::npos) << r.output;
  EXPECT_FALSE(Exists(dir + "/none.pdf"));
  // … or, when the operator allows it, B-B with the reason shown.
  r = Sh(sign + " --out " + Quote(dir + "/bb.pdf") + " --tsa " + dead + " --tsa-fallback");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("PAdES B-B"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("NO time-stamp"), std::string::npos) << r.output;
  // --tsa without anchors to check the TSA against is a usage error, before any PIN.
  r = Sh(Taicho("sign --in " + Quote(dir + "/in.pdf") + " --out " + Quote(dir + "/x.pdf") +
                " --p12 " + Quote(pki.dir + "/officer-an.p12") + " --tsa " + tsa.url()));
  EXPECT_EQ(r.exit_code, 2) << r.output;
}

// Years later: the officer's certificate has expired (faketime moves the verifier's clock past
// its notAfter; the TSA's certificate lives longer, as real ones do). A B-T signature is judged
// at the time its time-stamp proves and still passes; a B-B one cannot be, and says why.
TEST(PadesBT, ExpiredSignerIsJudgedAtTheTimeStampsTime) {
  const auto& pki = GetSamplePki();
  LocalTsa tsa;
  ASSERT_TRUE(tsa.started()) << tsa.log();
  const std::string dir = MakeTempDir("bt-expired");
  taicho::testing::WriteSamplePdf(dir + "/in.pdf", 1);
  const std::string sign =
      "echo taicho | " +
      Taicho("sign --in " + Quote(dir + "/in.pdf") + " --p12 " +
             Quote(pki.dir + "/officer-an.p12") + " --pin-stdin --tsa-trust " + Quote(Anchors()));
  ASSERT_EQ(Sh(sign + " --out " + Quote(dir + "/bt.pdf") + " --tsa " + tsa.url()).exit_code, 0);
  ASSERT_EQ(Sh(sign + " --out " + Quote(dir + "/bb.pdf")).exit_code, 0);
  ExpectValidBT(dir + "/bt.pdf", 1);

  // The officer's certificate runs 825 days from yesterday; the TSA's and the CA's to 2034.
  auto not_after = Sh("openssl x509 -noout -enddate -in " + Quote(pki.dir + "/officer-an.pem"));
  ASSERT_EQ(not_after.exit_code, 0) << not_after.output;
  // (libfaketime is preloaded: an ASan build must be told that is fine.)
  const std::string later =
      "ASAN_OPTIONS=\"${ASAN_OPTIONS:-}:verify_asan_link_order=0\" faketime -f +900d ";
  const std::string verify = later + Taicho("verify --trust " + Quote(Anchors()) + " ");
  auto bt = Sh(verify + Quote(dir + "/bt.pdf") + " 2>&1");
  EXPECT_EQ(bt.exit_code, 0) << not_after.output << bt.output;
  EXPECT_NE(bt.output.find("the certificate has expired since; valid at the time-stamp's time"),
            std::string::npos)
      << bt.output;
  EXPECT_NE(bt.output.find("TOTAL-PASSED"), std::string::npos) << bt.output;
  auto json = Sh(verify + "--json " + Quote(dir + "/bt.pdf") + " 2>&1");
  EXPECT_NE(json.output.find("\"chain_validated_at\""), std::string::npos) << json.output;

  auto bb = Sh(verify + Quote(dir + "/bb.pdf") + " 2>&1");
  EXPECT_EQ(bb.exit_code, 1) << bb.output;
  EXPECT_NE(bb.output.find("OUT_OF_BOUNDS_NO_POE"), std::string::npos) << bb.output;
  EXPECT_NE(bb.output.find("certificate has expired"), std::string::npos) << bb.output;
  // Today both pass.
  EXPECT_EQ(
      Sh(Taicho("verify --trust " + Quote(Anchors()) + " " + Quote(dir + "/bb.pdf"))).exit_code, 0);
}

}  // namespace
}  // namespace taicho::pades
