// PAdES B-LT and B-LTA end to end with real services on loopback: OpenSSL's OCSP responder and
// CRLs over HTTP (tests/support/local_revocation.h), a real RFC 3161 TSA (local_tsa.h). Every
// file is checked by pdfsig, qpdf --check, openssl cms; document time-stamps by `openssl ts
// -verify`; the DSS's OCSP responses by `openssl ocsp -respin … -verify`.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <ctime>
#include <string>

#include "errors/error.h"
#include "pades/baseline_level.h"
#include "pades/ltv.h"
#include "pades/pdf_signer.h"
#include "pades/pdf_verifier.h"
#include "pdf/dss_update.h"
#include "pdf/signature_reader.h"
#include "revocation/revocation_client.h"
#include "signer/certificate_info.h"
#include "signer/key_signer.h"
#include "tests/support/checkers.h"
#include "tests/support/commands.h"
#include "tests/support/local_revocation.h"
#include "tests/support/local_tsa.h"
#include "tests/support/pdf_update.h"
#include "tests/support/pki_fixture.h"
#include "tests/support/sample_pdf.h"
#include "tsa/tsa_client.h"

namespace taicho::pades {
namespace {

using namespace taicho::testing;

std::string Anchors() { return GetSamplePki().dir + "/ca-bundle.pem"; }

void WriteFile(const std::string& path, const std::vector<uint8_t>& bytes) {
  FILE* f = fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  fwrite(bytes.data(), 1, bytes.size(), f);
  fclose(f);
}

tsa::TsaClient TsaFor(const LocalTsa& tsa) {
  tsa::TsaPolicy policy;
  policy.urls = {tsa.url()};
  policy.attempts_per_tsa = 1;
  policy.trust.trust_anchors_pem = ReadFileBytes(Anchors());
  absl::StatusOr<tsa::TsaClient> client = tsa::TsaClient::Create(std::move(policy));
  EXPECT_TRUE(client.ok()) << client.status();
  return *std::move(client);
}

revocation::RevocationPolicy PolicyFor(const LocalRevocation& services) {
  revocation::RevocationPolicy policy;
  policy.url_rewrites = services.rewrites();
  return policy;
}

LtvOptions LtvFor(const revocation::RevocationClient& client) {
  LtvOptions options;
  options.revocation = &client;
  absl::StatusOr<std::vector<Bytes>> roots =
      signer::ReadCertificates(GetSamplePki().dir + "/root.pem");
  EXPECT_TRUE(roots.ok()) << roots.status();
  if (roots.ok()) options.extra_certs = *roots;
  return options;
}

// The independent checks every B-LT/B-LTA file must pass. `signatures`: approval signatures;
// `doc_timestamps`: document time-stamps.
void ExpectValidLtv(const std::string& pdf, int signatures, int doc_timestamps) {
  SCOPED_TRACE(pdf);
  std::string out;
  EXPECT_TRUE(taicho::testing::QpdfCheckPasses(pdf, &out)) << out;
  auto pdfsig = taicho::testing::RunPdfsig(pdf);
  EXPECT_EQ(pdfsig.signatures, signatures + doc_timestamps) << pdfsig.output;
  EXPECT_NE(pdfsig.output.find("ETSI.CAdES.detached"), std::string::npos) << pdfsig.output;

  // Each document time-stamp token verifies with OpenSSL over its ByteRange bytes.
  absl::StatusOr<std::vector<pdf::EmbeddedSignature>> sigs = pdf::ReadSignatures(pdf);
  ASSERT_TRUE(sigs.ok()) << sigs.status();
  int stamps = 0;
  const std::string dir = MakeTempDir("lt-check");
  for (const pdf::EmbeddedSignature& sig : *sigs) {
    if (sig.type != "DocTimeStamp") continue;
    EXPECT_EQ(sig.sub_filter, "ETSI.RFC3161");
    ++stamps;
    const std::string token = dir + "/token" + std::to_string(stamps) + ".der";
    const std::string data = dir + "/data" + std::to_string(stamps) + ".bin";
    WriteFile(token, sig.contents);
    const auto& r = sig.byte_range;
    auto cut = Sh("head -c " + std::to_string(r[1]) + " " + Quote(pdf) + " > " + Quote(data) +
                  " && tail -c +" + std::to_string(r[2] + 1) + " " + Quote(pdf) + " | head -c " +
                  std::to_string(r[3]) + " >> " + Quote(data));
    ASSERT_EQ(cut.exit_code, 0) << cut.output;
    auto ts = Sh("openssl ts -verify -token_in -in " + Quote(token) + " -data " + Quote(data) +
                 " -CAfile " + Quote(Anchors()) + " 2>&1");
    EXPECT_NE(ts.output.find("Verification: OK"), std::string::npos) << ts.output;
  }
  EXPECT_EQ(stamps, doc_timestamps);

  // Every OCSP response of the DSS verifies with OpenSSL (signature and responder chain).
  absl::StatusOr<pdf::DssContent> dss = pdf::ReadDss(pdf);
  ASSERT_TRUE(dss.ok()) << dss.status();
  EXPECT_FALSE(dss->ocsps.empty());
  EXPECT_FALSE(dss->certs.empty());
  for (size_t i = 0; i < dss->ocsps.size(); ++i) {
    const std::string path = dir + "/ocsp" + std::to_string(i) + ".der";
    WriteFile(path, dss->ocsps[i]);
    auto v = Sh("openssl ocsp -respin " + Quote(path) + " -CAfile " + Quote(Anchors()) + " 2>&1");
    EXPECT_NE(v.output.find("Response verify OK"), std::string::npos) << v.output;
  }

  EXPECT_EQ(pdfsig.valid, signatures) << pdfsig.output;  // poppler 22.12 skips DocTimeStamps

  // Our verifier, offline: every signature and document time-stamp passes, with the revocation
  // status of its signer (TSA) from the DSS.
  absl::StatusOr<VerificationReport> report = VerifyPdf(pdf, ReadFileBytes(Anchors()));
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_EQ(static_cast<int>(report->signatures.size()), signatures + doc_timestamps);
  for (const SignatureReport& s : report->signatures) {
    EXPECT_EQ(s.indication, "TOTAL-PASSED") << report->ToText();
    if (s.sub_filter == "ETSI.RFC3161") {
      EXPECT_FALSE(s.timestamp_time.empty()) << report->ToText();
      EXPECT_NE(s.timestamp_tsa.find("Time-Stamping"), std::string::npos) << report->ToText();
      // The latest document time-stamp is not covered by any DSS yet.
      if (&s != &report->signatures.back()) {
        EXPECT_EQ(s.revocation_status, "good") << report->ToText();
      }
    } else {
      EXPECT_EQ(s.revocation_status, "good") << report->ToText();
      EXPECT_EQ(s.revocation_source, "DSS OCSP") << report->ToText();
    }
  }
  EXPECT_NE(report->ToText().find("còn hiệu lực / good (DSS OCSP)"), std::string::npos);
  EXPECT_NE(report->ToJson().find("\"revocation\""), std::string::npos);
}

// The file's revisions: one %%EOF each (taicho writes no other).
int Revisions(const std::string& pdf) {
  const std::string bytes = ReadFileBytes(pdf);
  int n = 0;
  for (size_t at = bytes.find("%%EOF"); at != std::string::npos; at = bytes.find("%%EOF", at + 1)) {
    ++n;
  }
  return n;
}

// The kinds of change the verifier found after signature `index`, in order, and whether each was
// permitted ("dss+", "doc_timestamp+", "other-").
std::string ChangesAfter(const VerificationReport& report, size_t index) {
  std::string out;
  for (const DetectedChange& c : report.signatures.at(index).changes_after) {
    out += (out.empty() ? "" : " ") + c.kind + (c.permitted ? "+" : "-");
  }
  return out;
}

class PadesLtTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(services_.started()) << services_.log();
    ASSERT_TRUE(tsa_.started()) << tsa_.log();
  }
  // `dir`/bt.pdf: a sample of `pages` pages that the sample officer signed at B-T (the
  // officer's status checked through `revocation` when given).
  static absl::StatusOr<SignResult> SignBt(const std::string& dir, int pages,
                                           const tsa::TsaClient& tsa,
                                           revocation::RevocationClient* revocation) {
    taicho::testing::WriteSamplePdf(dir + "/in.pdf", pages);
    SignOptions options;
    options.tsa = &tsa;
    options.revocation = revocation;
    auto officer = signer::LoadPkcs12Signer(GetSamplePki().dir + "/officer-an.p12", "taicho");
    if (!officer.ok()) return officer.status();
    return SignPdf(dir + "/in.pdf", dir + "/bt.pdf", **officer, options);
  }

  LocalRevocation services_{GetSamplePki().dir};
  LocalTsa tsa_;
};

TEST_F(PadesLtTest, GoodSignerToBLtThenBLtaThenExtend) {
  const tsa::TsaClient tsa = TsaFor(tsa_);
  revocation::RevocationCache cache;
  revocation::RevocationClient client(PolicyFor(services_), &cache);
  const std::string dir = MakeTempDir("lt");
  absl::StatusOr<SignResult> signed_pdf = SignBt(dir, 2, tsa, &client);
  ASSERT_TRUE(signed_pdf.ok()) << signed_pdf.status();
  EXPECT_EQ(signed_pdf->signer_status, "good");
  EXPECT_EQ(signed_pdf->signer_status_source, "ocsp");
  EXPECT_EQ(signed_pdf->level, "B-T");

  absl::StatusOr<LtvResult> lt =
      AddValidationData(dir + "/bt.pdf", dir + "/lt.pdf", LtvFor(client));
  ASSERT_TRUE(lt.ok()) << lt.status() << services_.log();
  EXPECT_TRUE(lt->problems.empty()) << lt->problems[0];
  // Officer and TSA by OCSP, the sub-CA by the root's CRL.
  EXPECT_EQ(lt->ocsps_added, 2u);
  EXPECT_EQ(lt->crls_added, 1u);
  EXPECT_GE(lt->certs_added, 4u);  // officer, sub-CA, TSA, root (+ OCSP responder)
  for (const CertificateStatusLine& line : lt->statuses) EXPECT_EQ(line.status, "good");
  ExpectValidLtv(dir + "/lt.pdf", 1, 0);
  // Only the catalog of the earlier revision is redefined.
  const std::set<int> redefined = taicho::testing::Redefined(dir + "/bt.pdf", dir + "/lt.pdf");
  EXPECT_EQ(redefined.size(), 1u);

  absl::StatusOr<DocTimeStampResult> lta =
      AddDocumentTimeStamp(dir + "/lt.pdf", dir + "/lta.pdf", tsa);
  ASSERT_TRUE(lta.ok()) << lta.status();
  EXPECT_FALSE(lta->gen_time.empty());
  ExpectValidLtv(dir + "/lta.pdf", 1, 1);

  // Renewal: fresh validation data and a new document time-stamp, in one more update.
  absl::StatusOr<ExtendResult> extended = AddValidationDataAndDocumentTimeStamp(
      dir + "/lta.pdf", dir + "/lta2.pdf", LtvFor(client), tsa);
  ASSERT_TRUE(extended.ok()) << extended.status();
  ExpectValidLtv(dir + "/lta2.pdf", 1, 2);
  EXPECT_EQ(Revisions(dir + "/lta2.pdf"), Revisions(dir + "/lta.pdf") + 1);
}

// B-T → B-LTA in one update: the DSS and the document time-stamp whose ByteRange covers it, the
// shape taichod's seal and the command line's --level B-LTA write. The same objects of the signed
// revision are redefined as by the two updates it replaces, and the verifier names both changes
// and counts the DSS as covered; a change after it is still caught.
TEST_F(PadesLtTest, DssAndDocumentTimeStampInOneUpdate) {
  const tsa::TsaClient tsa = TsaFor(tsa_);
  revocation::RevocationCache cache;
  revocation::RevocationClient client(PolicyFor(services_), &cache);
  const std::string dir = MakeTempDir("lta-one");
  absl::StatusOr<SignResult> signed_pdf = SignBt(dir, 1, tsa, &client);
  ASSERT_TRUE(signed_pdf.ok()) << signed_pdf.status();

  const int tsa_before = tsa_.requests();
  absl::StatusOr<ExtendResult> lta =
      AddValidationDataAndDocumentTimeStamp(dir + "/bt.pdf", dir + "/lta.pdf", LtvFor(client), tsa);
  ASSERT_TRUE(lta.ok()) << lta.status() << services_.log();
  EXPECT_EQ(tsa_.requests() - tsa_before, 1);
  EXPECT_EQ(lta->ltv.ocsps_added, 2u);  // officer and TSA
  EXPECT_EQ(lta->ltv.crls_added, 1u);   // the sub-CA
  EXPECT_GT(lta->ltv.dss_bytes, 0);
  EXPECT_FALSE(lta->timestamp.gen_time.empty());
  EXPECT_FALSE(lta->timestamp.tsa_certificate_der.empty());
  ExpectValidLtv(dir + "/lta.pdf", 1, 1);
  EXPECT_EQ(Revisions(dir + "/lta.pdf"), Revisions(dir + "/bt.pdf") + 1);

  // The same as the former two updates: the DSS's catalog, the time-stamp's field, form and page.
  absl::StatusOr<LtvResult> lt =
      AddValidationData(dir + "/bt.pdf", dir + "/lt.pdf", LtvFor(client));
  ASSERT_TRUE(lt.ok()) << lt.status();
  ASSERT_TRUE(AddDocumentTimeStamp(dir + "/lt.pdf", dir + "/two.pdf", tsa).ok());
  EXPECT_EQ(Revisions(dir + "/two.pdf"), Revisions(dir + "/bt.pdf") + 2);
  std::set<int> two = taicho::testing::Redefined(dir + "/bt.pdf", dir + "/lt.pdf");
  for (int n : taicho::testing::Redefined(dir + "/lt.pdf", dir + "/two.pdf")) two.insert(n);
  EXPECT_EQ(taicho::testing::Redefined(dir + "/bt.pdf", dir + "/lta.pdf"), two);

  absl::StatusOr<VerificationReport> report = VerifyPdf(dir + "/lta.pdf", ReadFileBytes(Anchors()));
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_EQ(report->signatures.size(), 2u);
  EXPECT_EQ(SignatureLevel(*report, 0), "B-LTA") << report->ToText();
  const std::string changes = ChangesAfter(*report, 0);
  EXPECT_TRUE(changes == "dss+ doc_timestamp+" || changes == "doc_timestamp+ dss+") << changes;
  EXPECT_EQ(ChangesAfter(*report, 1), "") << report->ToText();
  EXPECT_TRUE(report->all_passed()) << report->ToText();

  // A content change after the document time-stamp fails both.
  const std::string forged = dir + "/forged.pdf";
  ASSERT_EQ(Sh("cp " + Quote(dir + "/lta.pdf") + " " + Quote(forged)).exit_code, 0);
  const taicho::testing::RevisionFacts facts = taicho::testing::ReadRevisionFacts(forged);
  ASSERT_FALSE(facts.contents.empty());
  ASSERT_NE(facts.contents[0], 0);
  taicho::testing::AppendUpdate(
      forged, {{facts.contents[0], taicho::testing::StreamObject("1 0 0 rg 72 600 300 80 re f")}});
  report = VerifyPdf(forged, ReadFileBytes(Anchors()));
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_EQ(report->signatures.size(), 2u);
  EXPECT_FALSE(report->all_passed()) << report->ToText();
  for (const SignatureReport& s : report->signatures) {
    EXPECT_FALSE(s.changes_permitted) << report->ToText();
    EXPECT_NE(s.indication, "TOTAL-PASSED") << report->ToText();
  }
  EXPECT_NE(ChangesAfter(*report, 1).find("other-"), std::string::npos) << report->ToText();
}

// Validation data written after the last document time-stamp is not under any: the signature is
// B-LT, not B-LTA, until a document time-stamp covers it.
TEST_F(PadesLtTest, ADssAfterTheLastDocumentTimeStampIsNotCovered) {
  const tsa::TsaClient tsa = TsaFor(tsa_);
  revocation::RevocationCache cache;
  revocation::RevocationClient client(PolicyFor(services_), &cache);
  const std::string dir = MakeTempDir("lta-late-dss");
  absl::StatusOr<SignResult> signed_pdf = SignBt(dir, 1, tsa, nullptr);
  ASSERT_TRUE(signed_pdf.ok()) << signed_pdf.status();
  ASSERT_TRUE(AddDocumentTimeStamp(dir + "/bt.pdf", dir + "/ts.pdf", tsa).ok());
  ASSERT_TRUE(AddValidationData(dir + "/ts.pdf", dir + "/late.pdf", LtvFor(client)).ok());
  absl::StatusOr<VerificationReport> report =
      VerifyPdf(dir + "/late.pdf", ReadFileBytes(Anchors()));
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_EQ(report->signatures.size(), 2u);
  EXPECT_EQ(report->signatures[0].revocation_source, "DSS OCSP") << report->ToText();
  EXPECT_EQ(SignatureLevel(*report, 0), "B-LT") << report->ToText();
  EXPECT_TRUE(report->all_passed()) << report->ToText();

  ASSERT_TRUE(AddValidationDataAndDocumentTimeStamp(dir + "/late.pdf", dir + "/covered.pdf",
                                                    LtvFor(client), tsa)
                  .ok());
  report = VerifyPdf(dir + "/covered.pdf", ReadFileBytes(Anchors()));
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(SignatureLevel(*report, 0), "B-LTA") << report->ToText();
}

TEST_F(PadesLtTest, VerifierFailsASignatureWhoseCertificateTheDssSaysWasRevoked) {
  // Signed without a check (no client), then B-LT: the DSS holds the CA's "revoked".
  revocation::RevocationClient client(PolicyFor(services_), nullptr);
  const std::string dir = MakeTempDir("lt-revoked-dss");
  taicho::testing::WriteSamplePdf(dir + "/in.pdf", 1);
  auto key = signer::LoadPkcs12Signer(GetSamplePki().dir + "/officer-revoked.p12", "taicho");
  ASSERT_TRUE(key.ok()) << key.status();
  ASSERT_TRUE(SignPdf(dir + "/in.pdf", dir + "/bb.pdf", **key, SignOptions{}).ok());
  absl::StatusOr<LtvResult> lt =
      AddValidationData(dir + "/bb.pdf", dir + "/lt.pdf", LtvFor(client));
  ASSERT_TRUE(lt.ok()) << lt.status();
  ASSERT_FALSE(lt->problems.empty());
  EXPECT_NE(lt->problems[0].find("revoked"), std::string::npos) << lt->problems[0];
  absl::StatusOr<VerificationReport> report = VerifyPdf(dir + "/lt.pdf", ReadFileBytes(Anchors()));
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_EQ(report->signatures.size(), 1u);
  EXPECT_EQ(report->signatures[0].indication, "TOTAL-FAILED") << report->ToText();
  EXPECT_EQ(report->signatures[0].sub_indication, "REVOKED") << report->ToText();
  EXPECT_NE(report->ToText().find("REVOKED"), std::string::npos);
  // Without the DSS the verifier has no data offline, and asks online when given a client.
  report = VerifyPdf(dir + "/bb.pdf", ReadFileBytes(Anchors()));
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->signatures[0].revocation_status, "");
  report = VerifyPdf(dir + "/bb.pdf", ReadFileBytes(Anchors()), &client);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->signatures[0].revocation_source, "online OCSP") << report->ToText();
  EXPECT_EQ(report->signatures[0].sub_indication, "REVOKED") << report->ToText();

  // The same from the command line: offline (taicho-verify, the lean program) it cannot know;
  // --online (taicho-cli) asks the CA's responder and fails the signature.
  std::string services;
  for (const auto& [from, to] : services_.rewrites()) {
    services += " --url-rewrite " + Quote(from + "=" + to);
  }
  const std::string verify = Quote(TAICHO_CLI_PATH) + " verify " + Quote(dir + "/bb.pdf") +
                             " --trust " + Quote(Anchors()) + " --json";
  const int ocsp_before = services_.ocsp_requests();
  auto offline = Sh(verify + " 2>&1");
  EXPECT_EQ(offline.output.find("online OCSP"), std::string::npos) << offline.output;
  EXPECT_EQ(offline.output.find("REVOKED"), std::string::npos) << offline.output;
  EXPECT_EQ(services_.ocsp_requests(), ocsp_before);
  auto online = Sh(verify + " --online" + services + " 2>&1");
  EXPECT_EQ(online.exit_code, 1) << online.output;
  EXPECT_NE(online.output.find("\"online OCSP\""), std::string::npos) << online.output;
  EXPECT_NE(online.output.find("\"REVOKED\""), std::string::npos) << online.output;
  EXPECT_GT(services_.ocsp_requests(), ocsp_before);
}

TEST_F(PadesLtTest, CommandLineSignsBLtaRefusesRevokedAndExtends) {
  const auto& pki = GetSamplePki();
  const std::string dir = MakeTempDir("lt-cli");
  taicho::testing::WriteSamplePdf(dir + "/in.pdf", 1);
  std::string services;
  for (const auto& [from, to] : services_.rewrites()) {
    services += " --url-rewrite " + Quote(from + "=" + to);
  }
  const std::string taicho = Quote(TAICHO_CLI_PATH);
  const std::string tsa = " --tsa " + Quote(tsa_.url()) + " --tsa-trust " + Quote(Anchors());
  auto signed_lta =
      Sh("echo taicho | " + taicho + " sign --in " + Quote(dir + "/in.pdf") + " --out " +
         Quote(dir + "/lta.pdf") + " --p12 " + Quote(pki.dir + "/officer-an.p12") +
         " --pin-stdin --level B-LTA" + tsa + services + " 2>&1");
  ASSERT_EQ(signed_lta.exit_code, 0) << signed_lta.output;
  EXPECT_NE(signed_lta.output.find("PAdES B-LTA"), std::string::npos) << signed_lta.output;
  EXPECT_NE(signed_lta.output.find("good (ocsp)"), std::string::npos) << signed_lta.output;
  EXPECT_FALSE(Exists(dir + "/lta.pdf.sig.tmp"));
  EXPECT_FALSE(Exists(dir + "/lta.pdf.lt.tmp"));
  ExpectValidLtv(dir + "/lta.pdf", 1, 1);
  // The signature, then the DSS and the document time-stamp in one update.
  EXPECT_EQ(Revisions(dir + "/lta.pdf"), Revisions(dir + "/in.pdf") + 2);

  auto extended = Sh(taicho + " extend " + Quote(dir + "/lta.pdf") + " --out " +
                     Quote(dir + "/lta2.pdf") + tsa + services + " 2>&1");
  ASSERT_EQ(extended.exit_code, 0) << extended.output;
  ExpectValidLtv(dir + "/lta2.pdf", 1, 2);
  auto verified =
      Sh(taicho + " verify " + Quote(dir + "/lta2.pdf") + " --trust " + Quote(Anchors()) + " 2>&1");
  EXPECT_EQ(verified.exit_code, 0) << verified.output;

  auto revoked = Sh("echo taicho | " + taicho + " sign --in " + Quote(dir + "/in.pdf") + " --out " +
                    Quote(dir + "/rev.pdf") + " --p12 " + Quote(pki.dir + "/officer-revoked.p12") +
                    " --pin-stdin --check-revocation" + services + " 2>&1");
  EXPECT_NE(revoked.exit_code, 0);
  EXPECT_NE(revoked.output.find("[CERT_REVOKED]"), std::string::npos) << revoked.output;
  EXPECT_FALSE(Exists(dir + "/rev.pdf"));
  auto no_tsa = Sh("echo taicho | " + taicho + " sign --in " + Quote(dir + "/in.pdf") + " --out " +
                   Quote(dir + "/x.pdf") + " --p12 " + Quote(pki.dir + "/officer-an.p12") +
                   " --pin-stdin --level B-LTA 2>&1");
  EXPECT_EQ(no_tsa.exit_code, 2) << no_tsa.output;
  EXPECT_NE(no_tsa.output.find("[USAGE]"), std::string::npos) << no_tsa.output;
}

TEST_F(PadesLtTest, WarmCacheMakesNoNetworkRoundTrip) {
  const auto& pki = GetSamplePki();
  const tsa::TsaClient tsa = TsaFor(tsa_);
  revocation::RevocationCache cache;
  revocation::RevocationClient client(PolicyFor(services_), &cache);
  const std::string dir = MakeTempDir("lt-warm");
  auto officer = signer::LoadPkcs12Signer(pki.dir + "/officer-an.p12", "taicho");
  ASSERT_TRUE(officer.ok()) << officer.status();
  SignOptions options;
  options.tsa = &tsa;
  options.revocation = &client;
  for (int round = 0; round < 2; ++round) {
    SCOPED_TRACE(round);
    const std::string n = std::to_string(round);
    taicho::testing::WriteSamplePdf(dir + "/in" + n + ".pdf", 1);
    const int ocsp_before = services_.ocsp_requests();
    const int crl_before = services_.crl_requests();
    absl::StatusOr<SignResult> s =
        SignPdf(dir + "/in" + n + ".pdf", dir + "/bt" + n + ".pdf", **officer, options);
    ASSERT_TRUE(s.ok()) << s.status();
    absl::StatusOr<LtvResult> lt =
        AddValidationData(dir + "/bt" + n + ".pdf", dir + "/lt" + n + ".pdf", LtvFor(client));
    ASSERT_TRUE(lt.ok()) << lt.status();
    if (round == 0) {
      EXPECT_GT(services_.ocsp_requests(), ocsp_before);
      EXPECT_GT(lt->network_requests, 0);
    } else {
      // Counted at the responder and the CRL server themselves.
      EXPECT_EQ(services_.ocsp_requests(), ocsp_before) << services_.log();
      EXPECT_EQ(services_.crl_requests(), crl_before) << services_.log();
      EXPECT_EQ(lt->network_requests, 0);
      EXPECT_EQ(s->signer_status_source, "ocsp (cache)");
      ExpectValidLtv(dir + "/lt1.pdf", 1, 0);
    }
  }
}

TEST_F(PadesLtTest, RevokedSignerRefusedBeforeSigning) {
  revocation::RevocationClient client(PolicyFor(services_), nullptr);
  const std::string dir = MakeTempDir("lt-revoked");
  taicho::testing::WriteSamplePdf(dir + "/in.pdf", 1);
  auto key = signer::LoadPkcs12Signer(GetSamplePki().dir + "/officer-revoked.p12", "taicho");
  ASSERT_TRUE(key.ok()) << key.status();
  SignOptions options;
  options.revocation = &client;
  absl::StatusOr<SignResult> s = SignPdf(dir + "/in.pdf", dir + "/out.pdf", **key, options);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(CodeOf(s.status()), "CERT_REVOKED") << s.status();
  EXPECT_NE(s.status().message().find("keyCompromise"), std::string::npos) << s.status();
  EXPECT_FALSE(Exists(dir + "/out.pdf"));
  // The split flow refuses it at prepare time.
  absl::StatusOr<PreparedSignature> p = PrepareSignature(
      dir + "/in.pdf", dir + "/prep.pdf", (*key)->CertificateChain(), (*key)->scheme(), options);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(CodeOf(p.status()), "CERT_REVOKED") << p.status();
}

TEST_F(PadesLtTest, ExpiredSignerRefusedWithoutAskingAnyone) {
  const std::string dir = MakeTempDir("lt-expired");
  taicho::testing::WriteSamplePdf(dir + "/in.pdf", 1);
  auto key = signer::LoadPkcs12Signer(GetSamplePki().dir + "/officer-expired.p12", "taicho");
  ASSERT_TRUE(key.ok()) << key.status();
  absl::StatusOr<SignResult> s = SignPdf(dir + "/in.pdf", dir + "/out.pdf", **key, SignOptions{});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(CodeOf(s.status()), "CERT_EXPIRED") << s.status();
  EXPECT_FALSE(Exists(dir + "/out.pdf"));
  EXPECT_EQ(services_.ocsp_requests(), 0);
}

TEST_F(PadesLtTest, SignerUnknownToTheCaRefused) {
  // A certificate made with the sub-CA's key but never entered in its database.
  const auto& pki = GetSamplePki();
  const std::string dir = MakeTempDir("lt-unknown");
  const auto r =
      Sh("cd " + Quote(dir) +
         " && printf 'authorityInfoAccess=OCSP;URI:http://127.0.0.1:18080/ocsp\\n' > ext.cnf"
         " && openssl req -new -newkey rsa:2048 -nodes -keyout k.pem -subj /CN=Stray -out r.csr"
         " 2>&1 && openssl x509 -req -in r.csr -CA " +
         Quote(pki.dir + "/subca.pem") + " -CAkey " + Quote(pki.dir + "/subca.key") +
         " -set_serial 4243 -days 30 -extfile ext.cnf -outform DER -out stray.der 2>&1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string stray = ReadFileBytes(dir + "/stray.der");
  const std::string subca = ReadFileBytes(pki.dir + "/subca.der");
  taicho::testing::WriteSamplePdf(dir + "/in.pdf", 1);
  revocation::RevocationClient client(PolicyFor(services_), nullptr);
  SignOptions options;
  options.revocation = &client;
  absl::StatusOr<PreparedSignature> p =
      PrepareSignature(dir + "/in.pdf", dir + "/prep.pdf",
                       {Bytes(stray.begin(), stray.end()), Bytes(subca.begin(), subca.end())},
                       signer::SignatureScheme::kRsaPkcs1v15, options);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(CodeOf(p.status()), "CERT_STATUS_UNKNOWN") << p.status();
}

TEST_F(PadesLtTest, ResponderDownFailsOrSignsAndSaysSo) {
  services_.StopOcsp();
  revocation::RevocationPolicy policy = PolicyFor(services_);
  policy.use_crl = false;
  policy.connect_timeout = std::chrono::milliseconds(1'000);
  revocation::RevocationClient client(policy, nullptr);
  const std::string dir = MakeTempDir("lt-down");
  taicho::testing::WriteSamplePdf(dir + "/in.pdf", 1);
  auto key = signer::LoadPkcs12Signer(GetSamplePki().dir + "/officer-an.p12", "taicho");
  ASSERT_TRUE(key.ok()) << key.status();
  SignOptions options;
  options.revocation = &client;
  absl::StatusOr<SignResult> s = SignPdf(dir + "/in.pdf", dir + "/out.pdf", **key, options);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(CodeOf(s.status()), "REVOCATION_UNAVAILABLE") << s.status();
  EXPECT_FALSE(Exists(dir + "/out.pdf"));

  options.sign_when_revocation_unavailable = true;
  s = SignPdf(dir + "/in.pdf", dir + "/out.pdf", **key, options);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->signer_status, "not checked");
  ASSERT_FALSE(s->revocation_problems.empty());
  EXPECT_NE(s->revocation_problems[0].find("127.0.0.1"), std::string::npos);

  // B-LT with the responder down: refused by default, or written with what the CRLs give.
  LtvOptions ltv = LtvFor(client);
  absl::StatusOr<LtvResult> lt = AddValidationData(dir + "/out.pdf", dir + "/lt.pdf", ltv);
  ASSERT_FALSE(lt.ok());
  EXPECT_EQ(CodeOf(lt.status()), "REVOCATION_UNAVAILABLE");
  revocation::RevocationPolicy crl_policy = PolicyFor(services_);
  revocation::RevocationClient with_crl(crl_policy, nullptr);
  ltv = LtvFor(with_crl);
  lt = AddValidationData(dir + "/out.pdf", dir + "/lt.pdf", ltv);
  ASSERT_TRUE(lt.ok()) << lt.status();
  EXPECT_EQ(lt->ocsps_added, 0u);
  EXPECT_EQ(lt->crls_added, 2u);  // the sub-CA's (officer) and the root's (sub-CA)
  std::string out;
  EXPECT_TRUE(taicho::testing::QpdfCheckPasses(dir + "/lt.pdf", &out)) << out;
}

}  // namespace
}  // namespace taicho::pades
