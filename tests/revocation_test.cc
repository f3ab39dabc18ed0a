// Revocation status over real services: OpenSSL's OCSP responder on the sample CA's database and
// its CRLs over HTTP, both on loopback (tests/support/local_revocation.h).
#include <gtest/gtest.h>

#include <ctime>

#include "absl/strings/str_join.h"
#include "errors/error.h"
#include "revocation/revocation_client.h"
#include "tests/support/local_revocation.h"
#include "tests/support/pki_fixture.h"

namespace taicho::revocation {
namespace {

using namespace taicho::testing;

Bytes Der(const std::string& name) {
  const std::string text = ReadFileBytes(GetSamplePki().dir + "/" + name + ".der");
  return Bytes(text.begin(), text.end());
}

void WriteFile(const std::string& path, const Bytes& bytes) {
  FILE* f = fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  fwrite(bytes.data(), 1, bytes.size(), f);
  fclose(f);
}

int64_t Now() { return static_cast<int64_t>(std::time(nullptr)); }

// OpenSSL's own check of a stored response: signature, responder and the status line.
std::string OpensslOcspCheck(const Bytes& response, const std::string& cert) {
  const std::string& pki = GetSamplePki().dir;
  const std::string path = MakeTempDir("ocsp-check") + "/resp.der";
  WriteFile(path, response);
  return taicho::testing::Run("openssl ocsp -respin " + Quote(path) + " -CAfile " +
                              Quote(pki + "/ca-bundle.pem") + " -issuer " +
                              Quote(pki + "/subca.pem") + " -cert " +
                              Quote(pki + "/" + cert + ".pem") + " 2>&1")
      .output;
}

RevocationPolicy PolicyFor(const LocalRevocation& services) {
  RevocationPolicy policy;
  policy.url_rewrites = services.rewrites();
  policy.timeout = std::chrono::milliseconds(10'000);
  return policy;
}

class RevocationTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(services_.started()) << services_.log(); }
  LocalRevocation services_{GetSamplePki().dir};
};

TEST_F(RevocationTest, GoodCertificateByOcspGetVerifiedByOpenssl) {
  RevocationCache cache;
  RevocationClient client(PolicyFor(services_), &cache);
  absl::StatusOr<StatusAnswer> a = client.StatusAt(Der("officer-an"), Der("subca"), Now());
  ASSERT_TRUE(a.ok()) << a.status() << services_.log();
  EXPECT_EQ(a->status, CertStatus::kGood);
  EXPECT_EQ(a->kind, EvidenceKind::kOcsp) << absl::StrJoin(a->problems, "\n");
  EXPECT_FALSE(a->from_cache);
  EXPECT_GT(a->next_update, Now());
  // One GET (the rewritten URL is the responder's root, where it answers GET).
  EXPECT_EQ(services_.ocsp_requests(), 1) << services_.log();
  EXPECT_NE(services_.log().find("GET /"), std::string::npos) << services_.log();
  const std::string check = OpensslOcspCheck(a->evidence, "officer-an");
  EXPECT_NE(check.find("Response verify OK"), std::string::npos) << check;
  EXPECT_NE(check.find(": good"), std::string::npos) << check;
  // The responder's certificate travels with the response (for the DSS).
  EXPECT_FALSE(OcspResponseCerts(a->evidence).empty());
}

TEST_F(RevocationTest, WarmCacheSendsNoRequest) {
  RevocationCache cache;
  RevocationClient client(PolicyFor(services_), &cache);
  ASSERT_TRUE(client.StatusAt(Der("officer-an"), Der("subca"), Now()).ok()) << services_.log();
  const int before = services_.ocsp_requests();
  ASSERT_EQ(before, 1);
  // Another client sharing the cache (another request of the service).
  RevocationClient other(PolicyFor(services_), &cache);
  absl::StatusOr<StatusAnswer> a = other.StatusAt(Der("officer-an"), Der("subca"), Now());
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_TRUE(a->from_cache);
  EXPECT_EQ(a->status, CertStatus::kGood);
  EXPECT_EQ(other.network_requests(), 0);
  EXPECT_EQ(services_.ocsp_requests(), before);
  EXPECT_EQ(cache.entries(), 1u);
}

// A verified answer is kept with what was read from it: a hit returns it as it was (the same
// evidence, the responder's certificates for the DSS) without asking again, even with the
// responder gone, and judges only the time asked about again (revoked later: good before).
TEST_F(RevocationTest, ACachedAnswerIsReusedAsVerifiedAndJudgedAtTheTimeAsked) {
  RevocationCache cache;
  RevocationClient client(PolicyFor(services_), &cache);
  absl::StatusOr<StatusAnswer> first = client.StatusAt(Der("officer-revoked"), Der("subca"), Now());
  ASSERT_TRUE(first.ok()) << first.status() << services_.log();
  ASSERT_EQ(first->status, CertStatus::kRevoked);
  EXPECT_FALSE(first->evidence_certs.empty());
  services_.StopAll();
  absl::StatusOr<StatusAnswer> again = client.StatusAt(Der("officer-revoked"), Der("subca"), Now());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->from_cache);
  EXPECT_EQ(again->status, CertStatus::kRevoked);
  EXPECT_EQ(again->evidence, first->evidence);
  EXPECT_EQ(again->evidence_certs, first->evidence_certs);
  EXPECT_TRUE(again->problems.empty());
  absl::StatusOr<StatusAnswer> before =
      client.StatusAt(Der("officer-revoked"), Der("subca"), first->revocation_time - 60);
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_TRUE(before->from_cache);
  EXPECT_EQ(before->status, CertStatus::kGood);
  EXPECT_EQ(before->revocation_time, first->revocation_time);
  EXPECT_EQ(client.network_requests(), 1);
  // The certificates asked about were parsed once, into the cache's own store.
  ASSERT_NE(client.certificates(), nullptr);
}

TEST_F(RevocationTest, GetRefusedFallsBackToPost) {
  // The certificates' path /ocsp kept: OpenSSL's responder answers GET only at its root.
  LocalRevocation with_path(GetSamplePki().dir, "/ocsp");
  ASSERT_TRUE(with_path.started()) << with_path.log();
  RevocationClient client(PolicyFor(with_path), nullptr);
  absl::StatusOr<StatusAnswer> a = client.StatusAt(Der("officer-binh"), Der("subca"), Now());
  ASSERT_TRUE(a.ok()) << a.status() << with_path.log();
  EXPECT_EQ(a->status, CertStatus::kGood);
  EXPECT_EQ(with_path.ocsp_requests(), 2) << with_path.log();
  EXPECT_NE(with_path.log().find("POST /ocsp"), std::string::npos) << with_path.log();
  ASSERT_EQ(a->problems.size(), 1u);
  EXPECT_NE(a->problems[0].find("HTTP 400"), std::string::npos) << a->problems[0];
}

TEST_F(RevocationTest, RevokedCertificateWithTimeAndReason) {
  RevocationClient client(PolicyFor(services_), nullptr);
  absl::StatusOr<StatusAnswer> a = client.StatusAt(Der("officer-revoked"), Der("subca"), Now());
  ASSERT_TRUE(a.ok()) << a.status() << services_.log();
  EXPECT_EQ(a->status, CertStatus::kRevoked);
  EXPECT_EQ(a->reason_text, "keyCompromise");
  EXPECT_GT(a->revocation_time, Now() - 86'400);
  const std::string check = OpensslOcspCheck(a->evidence, "officer-revoked");
  EXPECT_NE(check.find("Response verify OK"), std::string::npos) << check;
  EXPECT_NE(check.find(": revoked"), std::string::npos) << check;
  // Before its revocation the certificate was good, and the answer still says when it was revoked.
  absl::StatusOr<StatusAnswer> earlier =
      client.StatusAt(Der("officer-revoked"), Der("subca"), a->revocation_time - 60);
  ASSERT_TRUE(earlier.ok()) << earlier.status();
  EXPECT_EQ(earlier->status, CertStatus::kGood);
  EXPECT_EQ(earlier->revocation_time, a->revocation_time);
}

TEST_F(RevocationTest, CertificateTheCaDoesNotKnowIsUnknown) {
  // Issued with the sub-CA's key but never entered in its database.
  const std::string& pki = GetSamplePki().dir;
  const std::string dir = MakeTempDir("stray");
  const std::string ext = dir + "/ext.cnf";
  taicho::testing::Run(
      "printf 'authorityInfoAccess=OCSP;URI:http://127.0.0.1:18080/ocsp\\n"
      "crlDistributionPoints=URI:http://127.0.0.1:18081/subca.crl\\n' > " +
      Quote(ext));
  const auto r = taicho::testing::Run(
      "cd " + Quote(dir) +
      " && openssl req -new -newkey rsa:2048 -nodes -keyout k.pem -subj /CN=Stray -out r.csr"
      " 2>&1 && openssl x509 -req -in r.csr -CA " +
      Quote(pki + "/subca.pem") + " -CAkey " + Quote(pki + "/subca.key") +
      " -set_serial 4242 -days 30 -extfile ext.cnf -outform DER -out stray.der 2>&1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string text = ReadFileBytes(dir + "/stray.der");
  RevocationClient client(PolicyFor(services_), nullptr);
  absl::StatusOr<StatusAnswer> a =
      client.StatusAt(Bytes(text.begin(), text.end()), Der("subca"), Now());
  ASSERT_TRUE(a.ok()) << a.status() << services_.log();
  EXPECT_EQ(a->status, CertStatus::kUnknown);
  EXPECT_EQ(a->kind, EvidenceKind::kOcsp);
  EXPECT_EQ(services_.crl_requests(), 0);  // an OCSP "unknown" is final
}

TEST_F(RevocationTest, ResponderDownFallsBackToCrlOrFails) {
  services_.StopOcsp();
  RevocationCache cache;
  RevocationClient client(PolicyFor(services_), &cache);
  absl::StatusOr<StatusAnswer> a = client.StatusAt(Der("officer-revoked"), Der("subca"), Now());
  ASSERT_TRUE(a.ok()) << a.status() << services_.log();
  EXPECT_EQ(a->kind, EvidenceKind::kCrl);
  EXPECT_EQ(a->status, CertStatus::kRevoked);
  EXPECT_EQ(a->reason_text, "keyCompromise");
  EXPECT_FALSE(a->problems.empty());
  EXPECT_EQ(services_.crl_requests(), 1) << services_.log();
  // The CRL is cached too: the good certificate is answered from the same CRL, no request.
  absl::StatusOr<StatusAnswer> good = client.StatusAt(Der("officer-an"), Der("subca"), Now());
  ASSERT_TRUE(good.ok()) << good.status();
  EXPECT_EQ(good->status, CertStatus::kGood);
  EXPECT_TRUE(good->from_cache);
  EXPECT_EQ(services_.crl_requests(), 1);

  RevocationPolicy ocsp_only = PolicyFor(services_);
  ocsp_only.use_crl = false;
  RevocationClient strict(ocsp_only, nullptr);
  absl::StatusOr<StatusAnswer> none = strict.StatusAt(Der("officer-an"), Der("subca"), Now());
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(CodeOf(none.status()), "REVOCATION_UNAVAILABLE");
  // The URL in the detail is the one tried, redacted; no crash on a closed port.
  EXPECT_NE(none.status().message().find("127.0.0.1"), std::string::npos) << none.status();
}

TEST_F(RevocationTest, ResponseFromAnUnauthorisedResponderIsRefused) {
  // A response signed by the seal's key (no id-kp-OCSPSigning), made by `openssl ocsp` itself.
  const std::string& pki = GetSamplePki().dir;
  const std::string dir = MakeTempDir("forged");
  const auto r = taicho::testing::Run(
      "cd " + Quote(pki) +
      " && openssl ocsp -issuer subca.pem -cert officer-an.pem -no_nonce"
      " -reqout " +
      Quote(dir + "/req.der") +
      " >/dev/null 2>&1 && openssl ocsp -index index.txt"
      " -rsigner seal.pem -rkey seal.key -CA subca.pem -reqin " +
      Quote(dir + "/req.der") + " -respout " + Quote(dir + "/resp.der") + " 2>&1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string forged = ReadFileBytes(dir + "/resp.der");
  absl::StatusOr<StatusAnswer> a = StatusFromOcsp(Bytes(forged.begin(), forged.end()),
                                                  Der("officer-an"), Der("subca"), Now(), Now());
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(CodeOf(a.status()), "REVOCATION_UNAVAILABLE") << a.status();
  // The same request answered by the real responder key passes offline.
  const auto real = taicho::testing::Run(
      "cd " + Quote(pki) +
      " && openssl ocsp -index index.txt -rsigner ocsp.pem -rkey ocsp.key"
      " -CA subca.pem -reqin " +
      Quote(dir + "/req.der") + " -respout " + Quote(dir + "/ok.der") + " 2>&1");
  ASSERT_EQ(real.exit_code, 0) << real.output;
  const std::string ok = ReadFileBytes(dir + "/ok.der");
  a = StatusFromOcsp(Bytes(ok.begin(), ok.end()), Der("officer-an"), Der("subca"), Now(), Now());
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->status, CertStatus::kGood);
  // …and says nothing about another certificate.
  a = StatusFromOcsp(Bytes(ok.begin(), ok.end()), Der("officer-binh"), Der("subca"), Now(), Now());
  EXPECT_TRUE(absl::IsNotFound(a.status())) << a.status();
}

TEST(RevocationCacheTest, BoundedInEntriesAndBytesLeastRecentlyUsedFirst) {
  RevocationCache cache(/*max_entries=*/2, /*max_bytes=*/100);
  const int64_t later = Now() + 600;
  cache.Put("a", Bytes(10, 1), later);
  cache.Put("b", Bytes(10, 2), later);
  ASSERT_TRUE(cache.Get("a", Now()).has_value());  // a is now the most recently used
  cache.Put("c", Bytes(10, 3), later);
  EXPECT_TRUE(cache.Get("a", Now()).has_value());
  EXPECT_FALSE(cache.Get("b", Now()).has_value());
  EXPECT_EQ(cache.entries(), 2u);
  cache.Put("d", Bytes(95, 4), later);  // over the byte bound: everything older goes
  EXPECT_EQ(cache.entries(), 1u);
  EXPECT_EQ(cache.bytes(), 95u);
  cache.Put("e", Bytes(101, 5), later);  // larger than the whole cache: not kept
  EXPECT_FALSE(cache.Get("e", Now()).has_value());
  // Expired at its nextUpdate.
  cache.Put("old", Bytes(1, 6), Now() - 1);
  EXPECT_FALSE(cache.Get("old", Now()).has_value());
}

}  // namespace
}  // namespace taicho::revocation
