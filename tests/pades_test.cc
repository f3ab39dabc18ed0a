// End to end in process: sequential PAdES signatures with SoftHSM2 tokens and key files, checked
// after every signature by pdfsig, qpdf --check, openssl cms and our own verifier.
#include <fstream>
#include <memory>
#include <vector>

#include "errors/error.h"
#include "gtest/gtest.h"
#include "pades/pdf_signer.h"
#include "pades/pdf_verifier.h"
#include "pkcs11/module.h"
#include "signer/certificate_info.h"
#include "signer/token_signer.h"
#include "tests/support/checkers.h"
#include "tests/support/pki_fixture.h"
#include "tests/support/sample_pdf.h"

namespace taicho::pades {
namespace {

using taicho::testing::GetSamplePki;
using taicho::testing::MakeTempDir;
using taicho::testing::Quote;

// Not `Run`: inside a TEST body that name is gtest's own Test::Run.
taicho::testing::CommandResult Sh(const std::string& command) {
  return taicho::testing::Run(command);
}

std::string Slurp(const std::string& path) { return taicho::testing::ReadFileBytes(path); }

// A logged-in token key, kept open for the test.
struct TokenKey {
  std::unique_ptr<pkcs11::Session> session;
  std::unique_ptr<signer::KeySigner> signer;
};

std::shared_ptr<pkcs11::Module> SoftHsm() {
  static std::shared_ptr<pkcs11::Module> module = [] {
    GetSamplePki();  // sets SOFTHSM2_CONF before the module reads it
    auto m = pkcs11::Module::Load(TAICHO_SOFTHSM_MODULE);
    EXPECT_TRUE(m.ok()) << m.status();
    return m.ok() ? *m : nullptr;
  }();
  return module;
}

TokenKey OpenToken(const std::string& label, bool pss = false) {
  TokenKey key;
  auto module = SoftHsm();
  if (!module) return key;
  auto session = module->OpenSession({label, std::nullopt});
  EXPECT_TRUE(session.ok()) << session.status();
  if (!session.ok()) return key;
  key.session = *std::move(session);
  pkcs11::SecretString pin("123456");
  EXPECT_TRUE(key.session->Login(pin).ok());
  auto info = key.session->FindSigningKey({});
  EXPECT_TRUE(info.ok()) << info.status();
  if (!info.ok()) return key;
  auto pool = key.session->ListCertificates();
  EXPECT_TRUE(pool.ok());
  auto chain = signer::BuildChain(info->certificate_der, *pool);
  EXPECT_EQ(chain.size(), 2u) << "signer + sub-CA";
  auto s = signer::MakeTokenSigner(*key.session, *info, chain, pss);
  EXPECT_TRUE(s.ok()) << s.status();
  if (s.ok()) key.signer = *std::move(s);
  return key;
}

// Every check we have, after every signature.
// Two pages of text, a classic cross-reference table, and no /Info in the trailer.
void WriteMinimalPdfWithoutInfo(const std::string& path) {
  const std::string content = "BT /F1 24 Tf 72 720 Td (No Info) Tj ET";
  const std::vector<std::string> objects = {
      "<< /Type /Catalog /Pages 2 0 R >>",
      "<< /Type /Pages /Kids [3 0 R 6 0 R] /Count 2 >>",
      "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
      "/Resources << /Font << /F1 5 0 R >> >> >>",
      "<< /Length " + std::to_string(content.size()) + " >>\nstream\n" + content + "\nendstream",
      "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
      "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
      "/Resources << /Font << /F1 5 0 R >> >> >>"};
  std::string pdf = "%PDF-1.7\n";
  std::vector<size_t> offsets;
  for (size_t i = 0; i < objects.size(); ++i) {
    offsets.push_back(pdf.size());
    pdf += std::to_string(i + 1) + " 0 obj\n" + objects[i] + "\nendobj\n";
  }
  const size_t xref = pdf.size();
  pdf += "xref\n0 " + std::to_string(objects.size() + 1) + "\n0000000000 65535 f \n";
  for (size_t offset : offsets) {
    std::string n = std::to_string(offset);
    pdf += std::string(10 - n.size(), '0') + n + " 00000 n \n";
  }
  pdf += "trailer\n<< /Size " + std::to_string(objects.size() + 1) +
         " /Root 1 0 R >>\nstartxref\n" + std::to_string(xref) + "\n%%EOF\n";
  std::ofstream(path, std::ios::binary) << pdf;
}

void ExpectAllValid(const std::string& pdf, int expected) {
  SCOPED_TRACE(pdf);
  const auto& pki = GetSamplePki();
  auto pdfsig = taicho::testing::RunPdfsig(pdf);
  EXPECT_EQ(pdfsig.signatures, expected) << pdfsig.output;
  EXPECT_EQ(pdfsig.valid, expected) << pdfsig.output;
  EXPECT_TRUE(pdfsig.last_covers_whole_document) << pdfsig.output;
  // Valid signatures in a file poppler had to repair are not enough.
  EXPECT_EQ(pdfsig.output.find("Syntax Error"), std::string::npos) << pdfsig.output;
  EXPECT_EQ(pdfsig.output.find("Internal Error"), std::string::npos) << pdfsig.output;
  std::string out;
  EXPECT_TRUE(taicho::testing::QpdfCheckPasses(pdf, &out)) << out;
  EXPECT_GE(taicho::testing::OpensslVerifyAll(pdf, pki.dir + "/ca-bundle.pem", &out), expected)
      << out;
  auto report = VerifyPdf(pdf, Slurp(pki.dir + "/ca-bundle.pem"));
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_EQ(static_cast<int>(report->signatures.size()), expected);
  for (const SignatureReport& s : report->signatures) {
    EXPECT_EQ(s.indication, "TOTAL-PASSED") << report->ToText();
  }
  EXPECT_TRUE(report->signatures.back().covers_whole_file);
}

class SequentialSigning : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("seq");
    const std::string plain = dir_ + "/plain.pdf";
    taicho::testing::WriteSamplePdf(plain, 2);
    input_ = dir_ + "/input.pdf";
    const std::string kind = GetParam();
    if (kind == "plain") {
      input_ = plain;
    } else if (kind == "objstm") {
      taicho::testing::RewriteWithObjectStreams(plain, input_);
    } else if (kind == "linearized") {
      taicho::testing::Linearize(plain, input_);
    } else if (kind == "no-info") {
      // Many producers write no document information dictionary; PoDoFo invents one on load.
      WriteMinimalPdfWithoutInfo(input_);
    } else if (kind == "pdfsig-first") {
      // First signed by another tool (poppler/NSS; it cannot sign with ECDSA keys).
      const auto& pki = GetSamplePki();
      const std::string nss = MakeTempDir("nss");
      auto r = Sh("certutil -N -d sql:" + nss + " --empty-password && pk12util -i " +
                  Quote(pki.dir + "/officer-an.p12") + " -d sql:" + nss +
                  " -W taicho && certutil -L -d sql:" + nss);
      ASSERT_EQ(r.exit_code, 0) << r.output;
      r = Sh("pdfsig -add-signature -nssdir sql:" + nss + " -nick " + Quote("officer-an") +
             " -reason Other " + Quote(plain) + " " + Quote(input_));
      ASSERT_EQ(r.exit_code, 0) << r.output;
      ++already_signed_;
    }
  }
  std::string dir_, input_;
  int already_signed_ = 0;
};

TEST_P(SequentialSigning, OfficerThenSealThenAnotherAllStayValid) {
  TokenKey officer = OpenToken("Nguyễn Văn An");
  TokenKey seal = OpenToken("Con dấu UBND Châu Đức", /*pss=*/true);
  TokenKey ec = OpenToken("Trần Thị Bình");
  ASSERT_TRUE(officer.signer && seal.signer && ec.signer);

  SignOptions options;
  options.reason = "Phê duyệt";
  options.location = "Châu Đức";
  const std::string one = dir_ + "/1.pdf", two = dir_ + "/2.pdf", three = dir_ + "/3.pdf";
  auto r = SignPdf(input_, one, *officer.signer, options);
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectAllValid(one, already_signed_ + 1);
  // Hashed while signing (the store names the file by it): what coreutils reads from the file.
  EXPECT_EQ(r->file_sha256, taicho::testing::Sha256sum(one));

  options.reason = "Đóng dấu";
  options.page_index = 1;
  r = SignPdf(one, two, *seal.signer, options);
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectAllValid(two, already_signed_ + 2);
  EXPECT_EQ(r->file_sha256, taicho::testing::Sha256sum(two));

  options.page_index = 0;
  r = SignPdf(two, three, *ec.signer, options);
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectAllValid(three, already_signed_ + 3);
  EXPECT_EQ(r->file_sha256, taicho::testing::Sha256sum(three));

  // The earlier revisions are prefixes of the later files.
  EXPECT_EQ(Slurp(three).substr(0, Slurp(two).size()), Slurp(two));
  auto report = VerifyPdf(three, Slurp(GetSamplePki().dir + "/ca-bundle.pem"));
  ASSERT_TRUE(report.ok());
  const auto& sigs = report->signatures;
  EXPECT_EQ(sigs[already_signed_].signer_name, "Nguyễn Văn An");
  EXPECT_EQ(sigs[already_signed_ + 1].signature_algorithm, "RSASSA-PSS");
  EXPECT_EQ(sigs[already_signed_ + 2].signature_algorithm, "ECDSA");
}

INSTANTIATE_TEST_SUITE_P(Inputs, SequentialSigning,
                         ::testing::Values("plain", "objstm", "linearized", "no-info",
                                           "pdfsig-first"));

TEST(Signing, Pkcs12KeyAndTamperDetection) {
  const auto& pki = GetSamplePki();
  const std::string dir = MakeTempDir("p12");
  const std::string in = dir + "/in.pdf", out = dir + "/out.pdf";
  taicho::testing::WriteSamplePdf(in, 1);
  auto key = signer::LoadPkcs12Signer(pki.dir + "/officer-an.p12", "taicho");
  ASSERT_TRUE(key.ok()) << key.status();
  auto r = SignPdf(in, out, **key, {});
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectAllValid(out, 1);

  // Flip one byte inside the signed range: the digest no longer matches.
  std::string bytes = Slurp(out);
  const size_t at = bytes.find("Trang") != std::string::npos ? bytes.find("/MediaBox") : 20;
  bytes[at + 1] = bytes[at + 1] == 'M' ? 'N' : 'M';
  const std::string bad = dir + "/bad.pdf";
  std::ofstream(bad, std::ios::binary) << bytes;
  auto report = VerifyPdf(bad, Slurp(pki.dir + "/ca-bundle.pem"));
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_EQ(report->signatures.size(), 1u);
  EXPECT_EQ(report->signatures[0].indication, "TOTAL-FAILED");
  EXPECT_EQ(report->signatures[0].sub_indication, "HASH_FAILURE");
  EXPECT_FALSE(report->all_passed());
}

TEST(Signing, UntrustedChainIsIndeterminate) {
  const auto& pki = GetSamplePki();
  const std::string dir = MakeTempDir("untrusted");
  const std::string in = dir + "/in.pdf", out = dir + "/out.pdf";
  taicho::testing::WriteSamplePdf(in, 1);
  auto key = signer::LoadPkcs12Signer(pki.dir + "/officer-an.p12", "taicho");
  ASSERT_TRUE(key.ok());
  ASSERT_TRUE(SignPdf(in, out, **key, {}).ok());
  // Trust only an unrelated self-signed root.
  const std::string other = dir + "/other.pem";
  auto gen = Sh("openssl req -x509 -newkey rsa:2048 -nodes -keyout " + dir +
                "/k.pem -subj /CN=Other -days 2 -out " + other + " 2>&1");
  ASSERT_EQ(gen.exit_code, 0) << gen.output;
  auto report = VerifyPdf(out, Slurp(other));
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->signatures[0].indication, "INDETERMINATE");
  EXPECT_EQ(report->signatures[0].sub_indication, "NO_CERTIFICATE_CHAIN_FOUND");
}

TEST(Signing, FailedSigningLeavesNoOutput) {
  const std::string dir = MakeTempDir("fail");
  const std::string in = dir + "/in.pdf", out = dir + "/out.pdf";
  std::ofstream(in) << "%PDF-1.7\ngarbage";
  auto key = signer::LoadPkcs12Signer(GetSamplePki().dir + "/officer-an.p12", "taicho");
  ASSERT_TRUE(key.ok());
  auto r = SignPdf(in, out, **key, {});
  EXPECT_TRUE(HasCode(r.status(), ErrorCode::kPdfUnreadable)) << r.status();
  auto ls = Sh("ls -A " + Quote(dir));
  EXPECT_EQ(ls.output, "in.pdf\n") << "no output and no temp file left";
}

}  // namespace
}  // namespace taicho::pades
