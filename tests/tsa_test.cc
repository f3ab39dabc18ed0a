// Tests of tsa/ (the RFC 3161 client and its policy) and of signer/timestamp_attribute.h, against
// a real TSA on loopback (OpenSSL's `openssl ts -reply` behind tests/support/tsa_server.py) in
// good and misbehaving modes; every token is also checked by `openssl ts -verify`, and a CMS
// carrying one by `openssl cms -verify`.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ts.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <fstream>
#include <iterator>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "errors/error.h"
#include "http/http_client.h"
#include "signer/cms_builder.h"
#include "signer/cms_der.h"
#include "signer/cms_verifier.h"
#include "signer/key_signer.h"
#include "signer/timestamp_attribute.h"
#include "tests/support/local_tsa.h"
#include "tests/support/pki_fixture.h"
#include "tsa/tsa_client.h"
#include "tsa/tsa_reply.h"

namespace taicho::tsa {
namespace {

using std::chrono::milliseconds;
using namespace taicho::testing;

constexpr char kDefaultPolicy[] = "1.3.6.1.4.1.99999.1.1";
constexpr char kOtherPolicy[] = "1.3.6.1.4.1.99999.1.2";

void WriteFile(const std::string& path, ByteSpan data) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

Bytes RandomBytes(size_t n) {
  Bytes out(n);
  RAND_bytes(out.data(), static_cast<int>(out.size()));
  return out;
}

TsaPolicy PolicyFor(std::vector<std::string> urls) {
  TsaPolicy policy;
  policy.urls = std::move(urls);
  policy.connect_timeout = milliseconds(2'000);
  policy.attempt_timeout = milliseconds(10'000);
  policy.attempts_per_tsa = 1;
  policy.first_backoff = milliseconds(20);
  policy.trust.trust_anchors_pem = ReadFileBytes(GetSamplePki().dir + "/root.pem");
  return policy;
}

TsaClient ClientFor(TsaPolicy policy) {
  absl::StatusOr<TsaClient> client = TsaClient::Create(std::move(policy));
  EXPECT_TRUE(client.ok()) << client.status();
  return *std::move(client);
}

// The independent check: OpenSSL's own verifier accepts the token over `data`.
void ExpectOpensslAccepts(const Bytes& token, const Bytes& data) {
  const std::string dir = MakeTempDir("ts-verify");
  WriteFile(dir + "/token.der", token);
  WriteFile(dir + "/data.bin", data);
  const std::string& pki = GetSamplePki().dir;
  CommandResult r =
      taicho::testing::Run("openssl ts -verify -token_in -in " + Quote(dir + "/token.der") +
                           " -data " + Quote(dir + "/data.bin") + " -CAfile " +
                           Quote(pki + "/root.pem") + " -untrusted " + Quote(pki + "/subca.pem"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("Verification: OK"), std::string::npos) << r.output;
}

// A certificate issued by the sample sub-CA with `extensions` (an openssl extfile's lines).
std::pair<std::string, std::string> IssueTsaLikeCertificate(const std::string& name,
                                                            const std::string& extensions) {
  const std::string dir = MakeTempDir("cert-" + name);
  const std::string& pki = GetSamplePki().dir;
  std::ofstream(dir + "/ext") << extensions;
  CommandResult r = taicho::testing::Run(
      "set -e; cd " + Quote(dir) +
      "; openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out key.pem 2>/dev/null"
      "; openssl req -new -key key.pem -subj '/C=VN/CN=" +
      name +
      "' -out req.csr"
      "; openssl x509 -req -in req.csr -CA " +
      Quote(pki + "/subca.pem") + " -CAkey " + Quote(pki + "/subca.key") +
      " -set_serial 4242 -days 30 -extfile ext -out cert.pem");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return {dir + "/cert.pem", dir + "/key.pem"};
}

void ExpectTokenObtainedAndVerified(const LocalTsa& tsa) {
  ASSERT_TRUE(tsa.started()) << tsa.log();
  TsaClient client = ClientFor(PolicyFor({tsa.url()}));
  const Bytes data = RandomBytes(256);  // stands for an RSA-2048 signature value
  absl::StatusOr<TimeStampOutcome> out = client.TimeStamp(data);
  ASSERT_TRUE(out.ok()) << out.status() << "\n" << tsa.log();
  EXPECT_TRUE(out->stamped);
  EXPECT_EQ(out->level(), "B-T");
  EXPECT_EQ(out->tsa_url, tsa.url());
  EXPECT_TRUE(out->problems.empty());
  EXPECT_EQ(out->info.policy_oid, kDefaultPolicy);
  EXPECT_EQ(out->info.digest_algorithm, "SHA-256");
  EXPECT_NE(out->info.tsa_subject.find("Sample Time-Stamping Authority"), std::string::npos)
      << out->info.tsa_subject;
  EXPECT_EQ(out->info.nonce.size(), 8u);
  EXPECT_FALSE(out->info.tsa_certificate_der.empty());
  EXPECT_LE(std::llabs(out->info.gen_time - static_cast<int64_t>(std::time(nullptr))), 120)
      << out->info.gen_time_text;
  EXPECT_EQ(out->info.gen_time_text.size(), 20u) << out->info.gen_time_text;  // …T02:30:45Z
  ExpectOpensslAccepts(out->token, data);

  // The connection stays open: more tokens, from the client and a copy of it, come over it.
  const TsaClient copy = client;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(client.TimeStamp(RandomBytes(256)).ok());
    ASSERT_TRUE(copy.TimeStamp(RandomBytes(256)).ok());
  }
  EXPECT_EQ(tsa.requests(), 7);
  EXPECT_EQ(tsa.connections(), 1);

  // The same token does not cover other bytes.
  absl::StatusOr<signer::TimeStampInfo> other =
      signer::VerifyTimeStampToken(out->token, RandomBytes(256), client.policy().trust);
  EXPECT_TRUE(HasCode(other.status(), ErrorCode::kTimeStampInvalid)) << other.status();
}

TEST(TsaClient, TokenObtainedAndVerified) { ExpectTokenObtainedAndVerified(LocalTsa()); }

// The benchmark's TSA (tsa_signer's C++ front) answers our client as the tests' one does.
TEST(TsaClient, TokenObtainedAndVerifiedFromTheCppFront) {
  LocalTsaOptions options;
  options.cpp_front = true;
  ExpectTokenObtainedAndVerified(LocalTsa(options));
}

TEST(TsaClient, RequestedPolicyIsChecked) {
  LocalTsa tsa;
  ASSERT_TRUE(tsa.started()) << tsa.log();
  TsaPolicy policy = PolicyFor({tsa.url()});
  policy.policy_oid = kOtherPolicy;
  const Bytes data = RandomBytes(64);
  absl::StatusOr<TimeStampOutcome> out = ClientFor(policy).TimeStamp(data);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->info.policy_oid, kOtherPolicy);
  ExpectOpensslAccepts(out->token, data);
}

TEST(TsaClient, AttributeAddedToARealCmsKeepsItValid) {
  const testing::SamplePki& pki = GetSamplePki();
  absl::StatusOr<std::unique_ptr<signer::KeySigner>> key =
      signer::LoadPkcs12Signer(pki.dir + "/officer-an.p12", "taicho");
  ASSERT_TRUE(key.ok()) << key.status();
  const Bytes content = RandomBytes(10'000);  // stands for the PDF byte ranges
  signer::CmsRequest request;
  request.chain = (*key)->CertificateChain();
  request.content_digest.resize(32);
  unsigned int len = 0;
  EVP_Digest(content.data(), content.size(), request.content_digest.data(), &len, EVP_sha256(),
             nullptr);
  // As the seal does (pades/seal_plan.cc): the CMS held as objects from signing to its DER.
  absl::StatusOr<signer::SignedCms> held = signer::SignSignedCms(request, **key);
  ASSERT_TRUE(held.ok()) << held.status();
  absl::StatusOr<Bytes> cms = held->ToDer();
  ASSERT_TRUE(cms.ok()) << cms.status();
  // The value the DER names is the one the held CMS time-stamps.
  std::optional<signer::CmsLayout> unstamped = signer::ReadCmsLayout(*cms);
  ASSERT_TRUE(unstamped.has_value());
  ASSERT_EQ(unstamped->signers.size(), 1u);
  const Bytes value(unstamped->signers[0].signature.begin(), unstamped->signers[0].signature.end());
  EXPECT_TRUE(std::ranges::equal(held->signature_value(), value));
  EXPECT_EQ(value.size(), 256u);  // RSA-2048

  LocalTsa tsa;
  ASSERT_TRUE(tsa.started()) << tsa.log();
  TsaClient client = ClientFor(PolicyFor({tsa.url()}));
  absl::StatusOr<TimeStampOutcome> stamp = client.TimeStamp(value);
  ASSERT_TRUE(stamp.ok()) << stamp.status();
  ExpectOpensslAccepts(stamp->token, value);

  // Not yet stamped: nothing to verify.
  absl::StatusOr<std::optional<signer::TimeStampInfo>> none =
      signer::VerifySignatureTimeStamp(*cms, client.policy().trust);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_FALSE(none->has_value());

  // A token for another signature is refused before it can spoil the CMS; so is one that is no
  // token at all.
  absl::StatusOr<TimeStampOutcome> other = client.TimeStamp(RandomBytes(256));
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_TRUE(HasCode(signer::AddSignatureTimeStamp(*held, other->token), ErrorCode::kUsage));
  EXPECT_TRUE(HasCode(signer::AddSignatureTimeStamp(*held, *cms), ErrorCode::kUsage));
  EXPECT_TRUE(HasCode(signer::AddSignatureTimeStamp(*held, RandomBytes(100)), ErrorCode::kUsage));
  EXPECT_EQ(held->ToDer().value(), *cms) << "a refused token changed the CMS";

  ASSERT_TRUE(signer::AddSignatureTimeStamp(*held, stamp->token).ok());
  absl::StatusOr<Bytes> stamped = held->ToDer();
  ASSERT_TRUE(stamped.ok()) << stamped.status();
  const size_t added = stamped->size() - cms->size();
  std::cout << "[ measure ] token " << stamp->token.size() << " bytes; CMS " << cms->size()
            << " -> " << stamped->size() << " bytes (+" << added << ")" << std::endl;
  // EstimateCmsSize reserves 6144 bytes for the token (signer/cms_builder.cc).
  EXPECT_LE(added, 6144u);
  std::optional<signer::CmsLayout> layout = signer::ReadCmsLayout(*stamped);
  ASSERT_TRUE(layout.has_value());
  ASSERT_EQ(layout->signers.size(), 1u);
  EXPECT_TRUE(std::ranges::equal(layout->signers[0].signature, value));

  // Our verifier: the signature and a time-stamp over it.
  absl::StatusOr<signer::CmsVerification> check = signer::VerifyDetachedCms(
      *stamped,
      [&content](const std::function<void(ByteSpan)>& sink) {
        sink(content);
        return absl::OkStatus();
      },
      ReadFileBytes(pki.dir + "/root.pem"));
  ASSERT_TRUE(check.ok()) << check.status();
  EXPECT_TRUE(check->intact());
  absl::StatusOr<std::optional<signer::TimeStampInfo>> embedded =
      signer::VerifySignatureTimeStamp(*stamped, client.policy().trust);
  ASSERT_TRUE(embedded.ok()) << embedded.status();
  ASSERT_TRUE(embedded->has_value());
  EXPECT_EQ((*embedded)->gen_time, stamp->info.gen_time);
  EXPECT_EQ((*embedded)->serial_hex, stamp->info.serial_hex);

  // Independent: openssl still verifies the CMS, and prints the unsigned attribute.
  const std::string dir = MakeTempDir("cms-ts");
  WriteFile(dir + "/cms.der", *stamped);
  WriteFile(dir + "/content.bin", content);
  CommandResult verify = taicho::testing::Run(
      "openssl cms -verify -binary -inform DER -in " + Quote(dir + "/cms.der") + " -content " +
      Quote(dir + "/content.bin") + " -CAfile " + Quote(pki.dir + "/ca-bundle.pem") +
      " -purpose any -out /dev/null");
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
  EXPECT_NE(verify.output.find("Verification successful"), std::string::npos) << verify.output;
  CommandResult print =
      taicho::testing::Run("openssl cms -cmsout -print -inform DER -in " + Quote(dir + "/cms.der"));
  EXPECT_EQ(print.exit_code, 0) << print.output;
  const size_t unsigned_attrs = print.output.find("unsignedAttrs:");
  ASSERT_NE(unsigned_attrs, std::string::npos) << print.output;
  EXPECT_NE(print.output.find("id-smime-aa-timeStampToken", unsigned_attrs), std::string::npos)
      << print.output.substr(unsigned_attrs, 400);

  // The embedded token does not chain to an unrelated root.
  CommandResult root = taicho::testing::Run(
      "cd " + Quote(dir) +
      " && openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -subj '/CN=Other Root'"
      " -days 30 -out other.pem 2>&1");
  ASSERT_EQ(root.exit_code, 0) << root.output;
  signer::TimeStampTrust other_trust;
  other_trust.trust_anchors_pem = ReadFileBytes(dir + "/other.pem");
  absl::StatusOr<std::optional<signer::TimeStampInfo>> untrusted =
      signer::VerifySignatureTimeStamp(*stamped, other_trust);
  EXPECT_TRUE(HasCode(untrusted.status(), ErrorCode::kTimeStampInvalid)) << untrusted.status();
}

TEST(TsaClient, SecondTsaUsedWhenFirstIsDown) {
  LocalTsa tsa;
  ASSERT_TRUE(tsa.started()) << tsa.log();
  const std::string dead = UnusedLoopbackUrl();
  TsaPolicy policy = PolicyFor({dead, tsa.url()});
  policy.attempts_per_tsa = 2;  // connection refused is transient: retried once after backoff
  const Bytes data = RandomBytes(256);
  absl::StatusOr<TimeStampOutcome> out = ClientFor(policy).TimeStamp(data);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_TRUE(out->stamped);
  EXPECT_EQ(out->tsa_url, tsa.url());
  ASSERT_EQ(out->problems.size(), 2u);
  EXPECT_NE(out->problems[0].find(dead + " (attempt 1/2)"), std::string::npos) << out->problems[0];
  EXPECT_NE(out->problems[1].find(dead + " (attempt 2/2)"), std::string::npos) << out->problems[1];
  ExpectOpensslAccepts(out->token, data);
}

TEST(TsaClient, SlowTsaTimesOutThenNextAnswers) {
  LocalTsaOptions slow_options;
  slow_options.mode = "slow";
  slow_options.delay_seconds = 5;
  LocalTsa slow(slow_options);
  LocalTsa tsa;
  ASSERT_TRUE(slow.started()) << slow.log();
  ASSERT_TRUE(tsa.started()) << tsa.log();
  TsaPolicy policy = PolicyFor({slow.url(), tsa.url()});
  policy.attempt_timeout = milliseconds(700);
  const Bytes data = RandomBytes(256);
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<TimeStampOutcome> out = ClientFor(policy).TimeStamp(data);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->tsa_url, tsa.url());
  ASSERT_EQ(out->problems.size(), 1u);
  EXPECT_NE(out->problems[0].find("imed out"), std::string::npos) << out->problems[0];
  EXPECT_LT(elapsed, std::chrono::seconds(4));  // did not wait for the slow one
  ExpectOpensslAccepts(out->token, data);
}

TEST(TsaClient, OverallTimeoutBoundsTheWholeCall) {
  LocalTsaOptions slow_options;
  slow_options.mode = "slow";
  LocalTsa slow(slow_options);
  ASSERT_TRUE(slow.started()) << slow.log();
  TsaPolicy policy = PolicyFor({slow.url(), slow.url()});
  policy.attempts_per_tsa = 3;
  policy.overall_timeout = milliseconds(800);
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<TimeStampOutcome> out = ClientFor(policy).TimeStamp(RandomBytes(32));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(HasCode(out.status(), ErrorCode::kTsaUnavailable)) << out.status();
  EXPECT_NE(out.status().message().find("overall TSA time-out"), std::string::npos) << out.status();
  EXPECT_LT(elapsed, std::chrono::milliseconds(2'000));
}

TEST(TsaClient, WrongNonceIsAnInvalidResponse) {
  LocalTsaOptions options;
  options.mode = "wrong-nonce";
  LocalTsa tsa(options);
  ASSERT_TRUE(tsa.started()) << tsa.log();
  TsaPolicy policy = PolicyFor({tsa.url()});
  policy.attempts_per_tsa = 3;
  absl::StatusOr<TimeStampOutcome> out = ClientFor(policy).TimeStamp(RandomBytes(256));
  EXPECT_TRUE(HasCode(out.status(), ErrorCode::kTsaResponseInvalid)) << out.status();
  EXPECT_NE(out.status().message().find("nonce"), std::string::npos) << out.status();
  EXPECT_EQ(tsa.requests(), 1);  // an invalid reply is not asked for again
}

TEST(TsaClient, GarbageIsAnInvalidResponse) {
  LocalTsaOptions options;
  options.mode = "garbage";
  LocalTsa tsa(options);
  ASSERT_TRUE(tsa.started()) << tsa.log();
  absl::StatusOr<TimeStampOutcome> out =
      ClientFor(PolicyFor({tsa.url()})).TimeStamp(RandomBytes(256));
  EXPECT_TRUE(HasCode(out.status(), ErrorCode::kTsaResponseInvalid)) << out.status();
  EXPECT_NE(out.status().message().find("not a DER TimeStampResp"), std::string::npos)
      << out.status();
}

TEST(TsaClient, HttpErrorIsRetriedWithBackoffThenUnavailable) {
  LocalTsaOptions options;
  options.mode = "error";
  LocalTsa tsa(options);
  ASSERT_TRUE(tsa.started()) << tsa.log();
  TsaPolicy policy = PolicyFor({tsa.url()});
  policy.attempts_per_tsa = 3;
  policy.first_backoff = milliseconds(100);  // then 200: at least 300 ms in all
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<TimeStampOutcome> out = ClientFor(policy).TimeStamp(RandomBytes(256));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(HasCode(out.status(), ErrorCode::kTsaUnavailable)) << out.status();
  EXPECT_NE(out.status().message().find("HTTP 500"), std::string::npos) << out.status();
  EXPECT_EQ(tsa.requests(), 3);
  EXPECT_GE(elapsed, milliseconds(300));
  EXPECT_EQ(ExitCodeOf(out.status()), 6);
}

TEST(TsaClient, RejectionIsReported) {
  LocalTsaOptions options;
  options.mode = "reject";
  LocalTsa tsa(options);
  ASSERT_TRUE(tsa.started()) << tsa.log();
  absl::StatusOr<TimeStampOutcome> out =
      ClientFor(PolicyFor({tsa.url()})).TimeStamp(RandomBytes(256));
  EXPECT_TRUE(HasCode(out.status(), ErrorCode::kTsaRejected)) << out.status();
  EXPECT_NE(out.status().message().find("PKIStatus 2"), std::string::npos) << out.status();
}

TEST(TsaClient, NoneAnswersFailsOrFallsBackPerPolicy) {
  const std::string first = UnusedLoopbackUrl();
  const std::string second = "http://127.0.0.1:9/tsa";  // discard port: nothing listens
  TsaPolicy policy = PolicyFor({first, second});
  absl::StatusOr<TimeStampOutcome> failed = ClientFor(policy).TimeStamp(RandomBytes(256));
  EXPECT_TRUE(HasCode(failed.status(), ErrorCode::kTsaUnavailable)) << failed.status();
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(failed.status().message().find(first), std::string::npos) << failed.status();
  EXPECT_NE(failed.status().message().find(second), std::string::npos) << failed.status();

  policy.when_unavailable = WhenUnavailable::kFallBackToBaseline;
  absl::StatusOr<TimeStampOutcome> baseline = ClientFor(policy).TimeStamp(RandomBytes(256));
  ASSERT_TRUE(baseline.ok()) << baseline.status();
  EXPECT_FALSE(baseline->stamped);
  EXPECT_EQ(baseline->level(), "B-B");
  EXPECT_TRUE(baseline->token.empty());
  ASSERT_EQ(baseline->problems.size(), 2u);
  EXPECT_NE(baseline->problems[0].find(first), std::string::npos);
  EXPECT_NE(baseline->problems[1].find(second), std::string::npos);
}

TEST(TsaClient, TsaCertificateWithoutTimeStampingUsageIsRefused) {
  struct Case {
    std::string name, extensions, expected;
  };
  const std::vector<Case> cases = {
      {"No EKU TSA", "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n",
       "has no extended key usage"},
      {"Non-critical EKU TSA",
       "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
       "extendedKeyUsage=timeStamping\n",
       "is not critical"},
      {"Two EKU TSA",
       "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
       "extendedKeyUsage=critical,timeStamping,codeSigning\n",
       "id-kp-timeStamping only"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto [cert, key] = IssueTsaLikeCertificate(c.name, c.extensions);
    LocalTsaOptions options;
    options.mode = "resign";
    options.resign_cert = cert;
    options.resign_key = key;
    LocalTsa tsa(options);
    ASSERT_TRUE(tsa.started()) << tsa.log();
    absl::StatusOr<TimeStampOutcome> out =
        ClientFor(PolicyFor({tsa.url()})).TimeStamp(RandomBytes(256));
    EXPECT_TRUE(HasCode(out.status(), ErrorCode::kTsaResponseInvalid)) << out.status() << "\n"
                                                                       << tsa.log();
    EXPECT_NE(out.status().message().find(c.expected), std::string::npos) << out.status();
  }
}

TEST(TsaClient, TokenSignedByAnotherTsaThanItNamesIsRefused) {
  // A proper TSA certificate, but not the one the TSTInfo names: the control for the test above.
  auto [cert, key] = IssueTsaLikeCertificate(
      "Second TSA",
      "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
      "extendedKeyUsage=critical,timeStamping\n");
  LocalTsaOptions options;
  options.mode = "resign";
  options.resign_cert = cert;
  options.resign_key = key;
  LocalTsa tsa(options);
  ASSERT_TRUE(tsa.started()) << tsa.log();
  // The TSTInfo names the first TSA: the name check (TS_VFY_SIGNER) must refuse the mismatch.
  absl::StatusOr<TimeStampOutcome> out =
      ClientFor(PolicyFor({tsa.url()})).TimeStamp(RandomBytes(256));
  EXPECT_TRUE(HasCode(out.status(), ErrorCode::kTsaResponseInvalid)) << out.status();
  EXPECT_NE(out.status().message().find("tsa name mismatch"), std::string::npos) << out.status();
}

TEST(TsaClient, ConcurrencyCapIsSharedAndHonoured) {
  LocalTsaOptions options;
  options.delay_seconds = 0.3;
  LocalTsa tsa(options);
  ASSERT_TRUE(tsa.started()) << tsa.log();
  TsaPolicy policy = PolicyFor({tsa.url()});
  policy.max_in_flight_per_tsa = 2;
  // Two clients sharing one count: the cap is per URL across them, not per client.
  policy.in_flight = TsaClient::NewInFlightLimiter();
  const TsaClient a = ClientFor(policy);
  const TsaClient b = ClientFor(policy);
  constexpr int kThreads = 6;
  std::vector<Bytes> data(kThreads), tokens(kThreads);
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    data[i] = RandomBytes(256);
    threads.emplace_back([&, i] {
      absl::StatusOr<TimeStampOutcome> out = (i % 2 ? a : b).TimeStamp(data[i]);
      if (out.ok()) {
        tokens[i] = out->token;
      } else {
        errors[i] = std::string(out.status().message());
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (int i = 0; i < kThreads; ++i) {
    EXPECT_EQ(errors[i], "");
    ASSERT_FALSE(tokens[i].empty());
    ExpectOpensslAccepts(tokens[i], data[i]);
  }
  EXPECT_EQ(tsa.requests(), kThreads);
  EXPECT_LE(tsa.max_in_flight(), 2);
  EXPECT_EQ(tsa.max_in_flight(), 2);  // and the requests did overlap up to the cap
}

TEST(TsaClient, OversizedReplyIsRefused) {
  LocalTsa tsa;
  ASSERT_TRUE(tsa.started()) << tsa.log();
  TsaPolicy policy = PolicyFor({tsa.url()});
  policy.max_response_bytes = 1024;  // a token with its chain is several KB
  absl::StatusOr<TimeStampOutcome> out = ClientFor(policy).TimeStamp(RandomBytes(256));
  EXPECT_TRUE(HasCode(out.status(), ErrorCode::kTsaResponseInvalid)) << out.status();
  EXPECT_NE(out.status().message().find("exceeds 1024 bytes"), std::string::npos) << out.status();
}

TEST(TsaClient, SecretsInUrlsNeverShown) {
  EXPECT_EQ(http::RedactUrl("https://user:s3cret@tsa.example.vn:8443/ts?apikey=k3y#x"),
            "https://tsa.example.vn:8443/ts");
  EXPECT_EQ(http::RedactUrl("http://tsa.example.vn/"), "http://tsa.example.vn/");
  EXPECT_EQ(http::RedactUrl("http://tsa.example.vn/a@b"), "http://tsa.example.vn/a@b");
  const std::string dead = UnusedLoopbackUrl();  // http://127.0.0.1:PORT/tsa
  const std::string with_secrets = "http://user:s3cret@" + dead.substr(7) + "?apikey=k3y";
  absl::StatusOr<TimeStampOutcome> out =
      ClientFor(PolicyFor({with_secrets})).TimeStamp(RandomBytes(32));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().message().find("s3cret"), std::string::npos) << out.status();
  EXPECT_EQ(out.status().message().find("k3y"), std::string::npos) << out.status();
}

TEST(TsaClient, UnusablePoliciesAreRefused) {
  TsaPolicy policy = PolicyFor({});
  EXPECT_TRUE(HasCode(TsaClient::Create(policy).status(), ErrorCode::kUsage));
  policy = PolicyFor({"ftp://127.0.0.1/tsa"});
  EXPECT_TRUE(HasCode(TsaClient::Create(policy).status(), ErrorCode::kUsage));
  policy = PolicyFor({"http://127.0.0.1/tsa"});
  policy.trust.trust_anchors_pem.clear();
  EXPECT_TRUE(HasCode(TsaClient::Create(policy).status(), ErrorCode::kUsage));
  policy = PolicyFor({"http://127.0.0.1/tsa"});
  policy.attempts_per_tsa = 0;
  EXPECT_TRUE(HasCode(TsaClient::Create(policy).status(), ErrorCode::kUsage));
  policy = PolicyFor({"http://127.0.0.1/tsa"});
  policy.policy_oid = "not an oid";
  EXPECT_TRUE(HasCode(TsaClient::Create(policy).status(), ErrorCode::kUsage));
  policy = PolicyFor({"http://127.0.0.1/tsa"});
  EXPECT_TRUE(TsaClient::Create(policy).ok());
}

// The client reads a reply with its token's certificates taken out (and found by their bytes in
// its cache): the rest decodes to the same token, without them, and each taken out is one the
// token carried.
TEST(TsaClient, ReplySplitsIntoItsCertificatesAndTheRest) {
  LocalTsa tsa;
  ASSERT_TRUE(tsa.started()) << tsa.log();
  absl::StatusOr<TimeStampOutcome> out =
      ClientFor(PolicyFor({tsa.url()})).TimeStamp(RandomBytes(32));
  ASSERT_TRUE(out.ok()) << out.status();
  // A TimeStampResp as the TSA sends it: { PKIStatusInfo { granted }, the token }.
  Bytes content = {0x30, 0x03, 0x02, 0x01, 0x00};
  content.insert(content.end(), out->token.begin(), out->token.end());
  ASSERT_GE(content.size(), 256u);
  ASSERT_LT(content.size(), 65536u);
  Bytes body = {0x30, 0x82, static_cast<uint8_t>(content.size() >> 8),
                static_cast<uint8_t>(content.size() & 0xff)};
  body.insert(body.end(), content.begin(), content.end());

  std::optional<SplitReply> split = SplitTokenCertificates(body);
  ASSERT_TRUE(split.has_value());
  std::optional<signer::CmsLayout> layout = signer::ReadCmsLayout(out->token);
  ASSERT_TRUE(layout.has_value());
  ASSERT_FALSE(layout->certificates.empty());  // certReq: the TSA's certificate at least
  ASSERT_EQ(split->certificates.size(), layout->certificates.size());
  for (size_t i = 0; i < split->certificates.size(); ++i) {
    EXPECT_TRUE(std::ranges::equal(split->certificates[i], layout->certificates[i])) << i;
  }
  const unsigned char* p = split->without_certificates.data();
  std::unique_ptr<TS_RESP, signer::ossl::Deleter<TS_RESP_free>> resp(
      d2i_TS_RESP(nullptr, &p, static_cast<long>(split->without_certificates.size())));
  ASSERT_TRUE(resp != nullptr);
  EXPECT_EQ(p, split->without_certificates.data() + split->without_certificates.size());
  PKCS7* token = TS_RESP_get_token(resp.get());
  ASSERT_NE(token, nullptr);
  EXPECT_EQ(token->d.sign->cert, nullptr);
  EXPECT_NE(TS_RESP_get_tst_info(resp.get()), nullptr);
  // Not a reply, or one without certificates: not split (the client decodes it whole).
  EXPECT_FALSE(SplitTokenCertificates(RandomBytes(100)).has_value());
  EXPECT_FALSE(SplitTokenCertificates(split->without_certificates).has_value());
  for (size_t n = 0; n < body.size(); n += 11) {
    EXPECT_FALSE(SplitTokenCertificates(ByteSpan(body.data(), n)).has_value()) << n;
  }
}

TEST(TimeStampAttribute, MalformedInputsAreRefused) {
  const Bytes junk = RandomBytes(100);
  EXPECT_FALSE(signer::ReadCmsLayout(junk).has_value());
  signer::TimeStampTrust trust;
  trust.trust_anchors_pem = ReadFileBytes(GetSamplePki().dir + "/root.pem");
  EXPECT_TRUE(HasCode(signer::VerifyTimeStampToken(junk, junk, trust).status(),
                      ErrorCode::kTimeStampInvalid));
  EXPECT_TRUE(HasCode(signer::VerifyTimeStampToken(junk, junk, {}).status(), ErrorCode::kUsage));
}

// What OpenSSL's decoder finds in a CMS: its certificates, then those of each signature
// time-stamp token (the reference for signer::AppendCmsCertificates, which decodes nothing).
std::vector<Bytes> DecodedCertificates(ByteSpan der) {
  std::vector<Bytes> out;
  const unsigned char* p = der.data();
  signer::ossl::CmsPtr cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(der.size())));
  if (!cms) return out;
  signer::ossl::X509StackPtr certs(CMS_get1_certs(cms.get()));
  for (int i = 0; certs && i < sk_X509_num(certs.get()); ++i) {
    out.push_back(signer::ossl::ToDer(sk_X509_value(certs.get(), i), i2d_X509));
  }
  STACK_OF(CMS_SignerInfo)* infos = CMS_get0_SignerInfos(cms.get());
  for (int i = 0; infos && i < sk_CMS_SignerInfo_num(infos); ++i) {
    CMS_SignerInfo* si = sk_CMS_SignerInfo_value(infos, i);
    for (int at = CMS_unsigned_get_attr_by_NID(si, NID_id_smime_aa_timeStampToken, -1); at >= 0;
         at = CMS_unsigned_get_attr_by_NID(si, NID_id_smime_aa_timeStampToken, at)) {
      ASN1_TYPE* value = X509_ATTRIBUTE_get0_type(CMS_unsigned_get_attr(si, at), 0);
      const unsigned char* t = value->value.sequence->data;
      signer::ossl::CmsPtr token(
          d2i_CMS_ContentInfo(nullptr, &t, static_cast<long>(value->value.sequence->length)));
      signer::ossl::X509StackPtr token_certs(token ? CMS_get1_certs(token.get()) : nullptr);
      for (int c = 0; token_certs && c < sk_X509_num(token_certs.get()); ++c) {
        out.push_back(signer::ossl::ToDer(sk_X509_value(token_certs.get(), c), i2d_X509));
      }
    }
  }
  return out;
}

// The seal's path (pades/seal_plan.cc): the CMS held as objects from signing to its DER, the
// token added to them. Its DER must read in place (cms_der.h: the signature value, the token,
// the certificates) as OpenSSL decodes it, and no prefix of it may read at all.
TEST(TimeStampAttribute, StampedCmsReadsInPlaceAsOpenSslDecodesIt) {
  const testing::SamplePki& pki = GetSamplePki();
  absl::StatusOr<std::unique_ptr<signer::KeySigner>> key =
      signer::LoadPkcs12Signer(pki.dir + "/officer-an.p12", "taicho");
  ASSERT_TRUE(key.ok()) << key.status();
  signer::CmsRequest request;
  request.chain = (*key)->CertificateChain();
  request.content_digest = RandomBytes(32);
  absl::StatusOr<signer::SignedCms> held = signer::SignSignedCms(request, **key);
  ASSERT_TRUE(held.ok()) << held.status();
  absl::StatusOr<Bytes> der = held->ToDer();
  ASSERT_TRUE(der.ok()) << der.status();
  const Bytes value(held->signature_value().begin(), held->signature_value().end());

  LocalTsa tsa;
  ASSERT_TRUE(tsa.started()) << tsa.log();
  TsaClient client = ClientFor(PolicyFor({tsa.url()}));
  absl::StatusOr<TimeStampOutcome> stamp = client.TimeStamp(value);
  ASSERT_TRUE(stamp.ok()) << stamp.status();
  ASSERT_TRUE(signer::AddSignatureTimeStamp(*held, stamp->token).ok());
  absl::StatusOr<Bytes> stamped = held->ToDer();
  ASSERT_TRUE(stamped.ok()) << stamped.status();
  EXPECT_GT(stamped->size(), der->size());
  absl::StatusOr<std::optional<signer::TimeStampInfo>> embedded =
      signer::VerifySignatureTimeStamp(*stamped, client.policy().trust);
  ASSERT_TRUE(embedded.ok()) << embedded.status();
  ASSERT_TRUE(embedded->has_value());

  std::optional<signer::CmsLayout> layout = signer::ReadCmsLayout(*stamped);
  ASSERT_TRUE(layout.has_value());
  EXPECT_EQ(layout->encoded_size, stamped->size());
  EXPECT_FALSE(layout->content.has_value());  // detached
  ASSERT_EQ(layout->signers.size(), 1u);
  EXPECT_TRUE(std::ranges::equal(layout->signers[0].signature, value));
  ASSERT_EQ(layout->signers[0].time_stamp_tokens.size(), 1u);
  EXPECT_TRUE(std::ranges::equal(layout->signers[0].time_stamp_tokens[0], stamp->token));
  std::vector<Bytes> certs;
  signer::AppendCmsCertificates(*stamped, certs);
  const std::vector<Bytes> decoded = DecodedCertificates(*stamped);
  EXPECT_GT(decoded.size(), request.chain.size());  // the chain, then the TSA's
  EXPECT_EQ(certs, decoded);

  // Cut anywhere, it is not read (ASN1_get_object bounds every length): a prefix is no CMS.
  for (size_t n = 0; n < stamped->size(); n += 7) {
    const ByteSpan prefix(stamped->data(), n);
    EXPECT_FALSE(signer::ReadCmsLayout(prefix).has_value()) << n;
    std::vector<Bytes> none;
    signer::AppendCmsCertificates(prefix, none);
    EXPECT_TRUE(none.empty()) << n;
  }
}

// A CMS with indefinite lengths (BER, as `openssl cms -stream` writes and some signers embed) is
// not read in place; the full decoder still gives its certificates.
TEST(TimeStampAttribute, BerCmsIsReadByTheDecoder) {
  const testing::SamplePki& pki = GetSamplePki();
  const std::string dir = MakeTempDir("cms-ber");
  CommandResult made = taicho::testing::Run(
      "cd " + Quote(dir) + " && openssl pkcs12 -in " + Quote(pki.dir + "/officer-an.p12") +
      " -passin pass:taicho -nodes -out an.pem 2>&1 && printf content > content.bin &&"
      " openssl cms -sign -binary -stream -outform DER -signer an.pem -inkey an.pem -certfile " +
      Quote(pki.dir + "/root.pem") + " -in content.bin -out ber.der 2>&1");
  ASSERT_EQ(made.exit_code, 0) << made.output;
  const std::string ber_text = ReadFileBytes(dir + "/ber.der");
  const Bytes ber(ber_text.begin(), ber_text.end());
  ASSERT_GT(ber.size(), 2u);
  ASSERT_EQ(ber[1], 0x80) << "openssl wrote definite lengths";
  EXPECT_FALSE(signer::ReadCmsLayout(ber).has_value());
  std::vector<Bytes> certs;
  signer::AppendCmsCertificates(ber, certs);
  EXPECT_EQ(certs.size(), 2u);
  EXPECT_EQ(certs, DecodedCertificates(ber));
}

}  // namespace
}  // namespace taicho::tsa
