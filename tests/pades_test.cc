// End to end in process: sequential PAdES signatures with SoftHSM2 tokens and key files, checked
// after every signature by pdfsig, qpdf --check, openssl cms and our own verifier.
#include <fcntl.h>
#include <openssl/pem.h>
#include <unistd.h>

#include <ctime>
#include <fstream>
#include <functional>
#include <memory>
#include <vector>

#include "env/env.h"
#include "errors/error.h"
#include "gtest/gtest.h"
#include "pades/pdf_signer.h"
#include "pades/pdf_verifier.h"
#include "pdf/signature_update.h"
#include "pkcs11/module.h"
#include "signer/certificate_info.h"
#include "signer/openssl_ptr.h"
#include "signer/token_signer.h"
#include "tests/support/checkers.h"
#include "tests/support/commands.h"
#include "tests/support/pki_fixture.h"
#include "tests/support/sample_pdf.h"
#include "tests/support/token_key.h"

namespace taicho::pades {
namespace {

using namespace taicho::testing;

// A logged-in token key, kept open for the test.

TokenKey OpenToken(const std::string& label, bool pss = false) {
  return taicho::testing::OpenSampleToken(label, pss);
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

// The clock is a seam (env/env.h): a test chooses the second a signature is made at. One
// reading gives the signing time (/M, the result) and the time the certificate is checked at.
TEST(Signing, TheEnvClockGivesTheSigningTimeAndTheCheckTime) {
  const auto& pki = GetSamplePki();
  const std::string dir = MakeTempDir("env-clock");
  const std::string in = dir + "/in.pdf";
  taicho::testing::WriteSamplePdf(in, 1);
  auto key = signer::LoadPkcs12Signer(pki.dir + "/officer-an.p12", "taicho");
  ASSERT_TRUE(key.ok()) << key.status();
  // An hour ago: inside the certificate's validity (it starts a day ago), and not the real now.
  const int64_t at = Env::Default().NowUnixSeconds() - 3600;
  ManualEnv env(at * 1000);
  SignOptions options;
  options.env = &env;
  auto r = SignPdf(in, dir + "/one-pass.pdf", **key, options);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->signing_time, pdf::PdfDateVietnam(at));
  ExpectAllValid(dir + "/one-pass.pdf", 1);
  auto prepared = PrepareSignature(in, dir + "/prepared.pdf", (*key)->CertificateChain(),
                                   (*key)->scheme(), options);
  ASSERT_TRUE(prepared.ok()) << prepared.status();
  EXPECT_EQ(prepared->signing_time, pdf::PdfDateVietnam(at));

  // The same key at a time past its notAfter, and before its notBefore.
  env.SetUnixMillis(int64_t{4102444800} * 1000);  // 2100-01-01
  r = SignPdf(in, dir + "/late.pdf", **key, options);
  EXPECT_TRUE(HasCode(r.status(), ErrorCode::kCertExpired)) << r.status();
  env.SetUnixMillis(int64_t{946684800} * 1000);  // 2000-01-01
  prepared = PrepareSignature(in, dir + "/early.pdf", (*key)->CertificateChain(), (*key)->scheme(),
                              options);
  EXPECT_TRUE(HasCode(prepared.status(), ErrorCode::kCertNotYetValid)) << prepared.status();
  auto ls = Sh("ls -A " + Quote(dir));
  EXPECT_EQ(ls.output, "in.pdf\none-pass.pdf\nprepared.pdf\n") << "refused: no file written";
}

// ---- CMS shapes other tools sign (issue 23): valid CMS (RFC 5652 §5.3–5.6), not PAdES baseline.
// Each file is made here the way another tool would: taicho's placeholder, a CMS built with
// OpenSSL directly, embedded as is.

// A sample-PKI end entity read from its PEM files, with the sub-CA that issued it.
struct ForeignKey {
  signer::ossl::PkeyPtr key;
  signer::ossl::X509Ptr cert;
  signer::ossl::X509Ptr subca;
};

signer::ossl::X509Ptr ReadPemCert(const std::string& path) {
  signer::ossl::BioPtr bio(BIO_new_file(path.c_str(), "r"));
  return signer::ossl::X509Ptr(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)
                                   : nullptr);
}

ForeignKey LoadForeignKey(const std::string& name) {
  const auto& pki = GetSamplePki();
  ForeignKey k;
  signer::ossl::BioPtr bio(BIO_new_file((pki.dir + "/" + name + ".key").c_str(), "r"));
  if (bio) k.key.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  k.cert = ReadPemCert(pki.dir + "/" + name + ".pem");
  k.subca = ReadPemCert(pki.dir + "/subca.pem");
  EXPECT_TRUE(k.key && k.cert && k.subca) << name;
  return k;
}

Bytes ContentInfoDer(CMS_ContentInfo* cms) {
  return cms ? signer::ossl::ToDer(cms, i2d_CMS_ContentInfo) : Bytes{};
}

// CMS_sign as a generic OpenSSL-based tool calls it (its default signed attributes are
// content-type, signing-time, SMIMECapabilities and message-digest; no ESS attribute).
Bytes OpensslSignCms(const Bytes& content, const ForeignKey& k, int flags) {
  signer::ossl::BioPtr in(BIO_new_mem_buf(content.data(), static_cast<int>(content.size())));
  signer::ossl::X509StackView extra(sk_X509_new_null());
  if (!in || !extra || sk_X509_push(extra.get(), k.subca.get()) <= 0) return {};
  signer::ossl::CmsPtr cms(
      CMS_sign(k.cert.get(), k.key.get(), extra.get(), in.get(), flags | CMS_BINARY));
  return ContentInfoDer(cms.get());
}

struct HandMadeShape {
  bool key_identifier = false;  // SignerIdentifier by subjectKeyIdentifier
  int ess_version = 2;          // 0: no ESS signing-certificate attribute
  bool ess_issuer_serial = true;
  bool ess_wrong_serial = false;   // issuerSerial names another serial (the hash is right)
  bool ess_names_subca = false;    // the ESSCertID names the sub-CA (also in the CMS)
  X509* ess_also_names = nullptr;  // a further ESSCertID after the signer's
  bool signing_time = false;
};

// Signed attributes chosen one by one (CMS_SignerInfo_sign would add a signing-time of its own):
// content-type, [signing-time], [ESS signing-certificate v1 or v2], message-digest; signed with
// EVP_DigestSign over their DER.
Bytes HandMadeCms(const Bytes& content, const ForeignKey& k, const HandMadeShape& shape) {
  namespace ossl = signer::ossl;
  ossl::CmsPtr cms(
      CMS_sign(nullptr, nullptr, nullptr, nullptr, CMS_PARTIAL | CMS_DETACHED | CMS_BINARY));
  if (!cms) return {};
  CMS_SignerInfo* si =
      CMS_add1_signer(cms.get(), k.cert.get(), k.key.get(), EVP_sha256(),
                      CMS_PARTIAL | CMS_NOSMIMECAP | (shape.key_identifier ? CMS_USE_KEYID : 0));
  if (!si || CMS_add1_cert(cms.get(), k.subca.get()) != 1) return {};
  bool ok = CMS_signed_add1_attr_by_NID(si, NID_pkcs9_contentType, V_ASN1_OBJECT,
                                        OBJ_nid2obj(NID_pkcs7_data), -1) == 1;
  if (shape.signing_time) {
    ossl::Asn1StringPtr now(ASN1_TIME_set(nullptr, std::time(nullptr)));
    ok = ok && now &&
         CMS_signed_add1_attr_by_NID(si, NID_pkcs9_signingTime, now->type, now.get(), -1) == 1;
  }
  Bytes ess;
  int ess_nid = NID_undef;
  const X509* named = shape.ess_names_subca ? k.subca.get() : k.cert.get();
  ossl::X509StackView further(sk_X509_new_null());
  if (!further ||
      (shape.ess_also_names && sk_X509_push(further.get(), shape.ess_also_names) <= 0)) {
    return {};
  }
  if (shape.ess_version == 1) {
    ossl::EssCertPtr v1(
        OSSL_ESS_signing_cert_new_init(named, further.get(), shape.ess_issuer_serial ? 1 : 0));
    if (v1) ess = ossl::ToDer(v1.get(), i2d_ESS_SIGNING_CERT);
    ess_nid = NID_id_smime_aa_signingCertificate;
  } else if (shape.ess_version == 2) {
    ossl::EssCertV2Ptr v2(OSSL_ESS_signing_cert_v2_new_init(EVP_sha256(), named, further.get(),
                                                            shape.ess_issuer_serial ? 1 : 0));
    if (v2) ess = ossl::ToDer(v2.get(), i2d_ESS_SIGNING_CERT_V2);
    ess_nid = NID_id_smime_aa_signingCertificateV2;
  }
  if (shape.ess_version != 0) {
    // The issuerSerial's serialNumber is the last element of the DER: change its last byte.
    if (shape.ess_wrong_serial && !ess.empty()) ess.back() ^= 0x01;
    ok = ok && !ess.empty() &&
         CMS_signed_add1_attr_by_NID(si, ess_nid, V_ASN1_SEQUENCE, ess.data(),
                                     static_cast<int>(ess.size())) == 1;
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  ok = ok &&
       EVP_Digest(content.data(), content.size(), digest, &digest_len, EVP_sha256(), nullptr) == 1;
  ok = ok && CMS_signed_add1_attr_by_NID(si, NID_pkcs9_messageDigest, V_ASN1_OCTET_STRING, digest,
                                         static_cast<int>(digest_len)) == 1;
  if (!ok) return {};
  // The SET OF that is signed (DER sorts its members).
  ossl::AttrStackView attrs(sk_X509_ATTRIBUTE_new_null());
  for (int i = 0; attrs && i < CMS_signed_get_attr_count(si); ++i) {
    sk_X509_ATTRIBUTE_push(attrs.get(), CMS_signed_get_attr(si, i));
  }
  unsigned char* der = nullptr;
  const int der_len = attrs ? ASN1_item_i2d(reinterpret_cast<ASN1_VALUE*>(attrs.get()), &der,
                                            ASN1_ITEM_rptr(PKCS7_ATTR_SIGN))
                            : -1;
  if (der_len <= 0) return {};
  ossl::MdCtxPtr ctx(EVP_MD_CTX_new());
  size_t sig_len = 0;
  ok = ctx && EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, k.key.get()) == 1 &&
       EVP_DigestSign(ctx.get(), nullptr, &sig_len, der, static_cast<size_t>(der_len)) == 1;
  Bytes sig(sig_len);
  ok =
      ok && EVP_DigestSign(ctx.get(), sig.data(), &sig_len, der, static_cast<size_t>(der_len)) == 1;
  OPENSSL_free(der);
  if (!ok) return {};
  sig.resize(sig_len);
  ASN1_STRING_set(CMS_SignerInfo_get0_signature(si), sig.data(), static_cast<int>(sig.size()));
  return ContentInfoDer(cms.get());
}

// A one-page sample signed with the CMS `make_cms` builds over the byte ranges, under
// `sub_filter` in a /Contents of `capacity` bytes; returns the signed file's path.
std::string SignWithForeignCms(const std::string& dir, const std::string& sub_filter,
                               const std::function<Bytes(const Bytes&)>& make_cms,
                               size_t capacity = 16384) {
  const std::string in = dir + "/in.pdf", out = dir + "/signed.pdf";
  taicho::testing::WriteSamplePdf(in, 1);
  const int fd = ::open(out.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  EXPECT_GE(fd, 0) << out;
  pdf::SignatureFieldSpec spec;
  spec.sub_filter = sub_filter;
  spec.signing_time = pdf::PdfDateVietnam(std::time(nullptr));
  spec.contents_capacity = capacity;
  absl::StatusOr<pdf::PreparedUpdate> update = pdf::WriteSignatureUpdate(in, fd, spec);
  EXPECT_TRUE(update.ok()) << update.status();
  if (update.ok()) {
    const std::string bytes = Slurp(out);
    const pdf::ByteRange& br = update->byte_range;
    Bytes content(bytes.begin() + br[0], bytes.begin() + br[0] + br[1]);
    content.insert(content.end(), bytes.begin() + br[2], bytes.begin() + br[2] + br[3]);
    const Bytes cms = make_cms(content);
    EXPECT_FALSE(cms.empty());
    absl::Status st = pdf::EmbedContents(fd, *update, cms);
    EXPECT_TRUE(st.ok()) << st;
  }
  ::close(fd);
  return out;
}

SignatureReport VerifyOne(const std::string& pdf) {
  auto report = VerifyPdf(pdf, Slurp(GetSamplePki().dir + "/ca-bundle.pem"));
  EXPECT_TRUE(report.ok()) << report.status();
  if (!report.ok() || report->signatures.size() != 1) {
    ADD_FAILURE() << "one signature expected";
    return {};
  }
  return report->signatures[0];
}

bool HasNote(const SignatureReport& s, const std::string& part) {
  return std::any_of(s.notes.begin(), s.notes.end(),
                     [&](const std::string& n) { return n.find(part) != std::string::npos; });
}

// Intact, the signer named (officer An), trusted: TOTAL-PASSED, with the reason it is not a
// PAdES baseline signature as information.
void ExpectValidNotBaseline(const SignatureReport& s, const std::string& reason_en) {
  std::string notes;
  for (const std::string& n : s.notes) notes += n + "\n";
  SCOPED_TRACE(::testing::PrintToString(s.problems) + "\n" + notes);
  EXPECT_TRUE(s.digest_ok);
  EXPECT_TRUE(s.signature_ok);
  EXPECT_TRUE(s.signing_certificate_ok);
  EXPECT_EQ(s.signer_name, "Nguyễn Văn An");
  EXPECT_EQ(s.indication, "TOTAL-PASSED") << s.sub_indication;
  EXPECT_TRUE(HasNote(s, "Không phải chữ ký PAdES baseline: "));
  EXPECT_TRUE(HasNote(s, " / Not a PAdES baseline signature: "));
  EXPECT_TRUE(HasNote(s, reason_en));
}

TEST(OtherToolsCms, EssSigningCertificateV1WithoutIssuerSerial) {
  ForeignKey k = LoadForeignKey("officer-an");
  HandMadeShape shape;
  shape.ess_version = 1;
  shape.ess_issuer_serial = false;
  const SignatureReport s =
      VerifyOne(SignWithForeignCms(MakeTempDir("ess1"), "ETSI.CAdES.detached",
                                   [&](const Bytes& c) { return HandMadeCms(c, k, shape); }));
  ExpectValidNotBaseline(s, "ESS signing-certificate v1 (SHA-1) instead of v2");
}

TEST(OtherToolsCms, EssSigningCertificateV1WithIssuerSerial) {
  ForeignKey k = LoadForeignKey("officer-an");
  HandMadeShape shape;
  shape.ess_version = 1;
  const SignatureReport s =
      VerifyOne(SignWithForeignCms(MakeTempDir("ess1is"), "ETSI.CAdES.detached",
                                   [&](const Bytes& c) { return HandMadeCms(c, k, shape); }));
  ExpectValidNotBaseline(s, "ESS signing-certificate v1 (SHA-1) instead of v2");
}

// RFC 5035 §5.4.1: ESSCertIDs after the signer's serve authorization policies and may name
// certificates the CMS does not carry (here the root).
TEST(OtherToolsCms, EssMayListFurtherCertificates) {
  ForeignKey k = LoadForeignKey("officer-an");
  signer::ossl::X509Ptr root = ReadPemCert(GetSamplePki().dir + "/root.pem");
  ASSERT_TRUE(root);
  for (int version : {1, 2}) {
    SCOPED_TRACE(version);
    HandMadeShape shape;
    shape.ess_version = version;
    shape.ess_also_names = root.get();
    const SignatureReport s =
        VerifyOne(SignWithForeignCms(MakeTempDir("essmore"), "ETSI.CAdES.detached",
                                     [&](const Bytes& c) { return HandMadeCms(c, k, shape); }));
    EXPECT_TRUE(s.signing_certificate_ok) << ::testing::PrintToString(s.problems);
    EXPECT_EQ(s.indication, "TOTAL-PASSED") << s.sub_indication;
  }
}

// An ESS attribute that names another certificate than the signer's (by its issuerSerial while
// the hash is right, or altogether: the sub-CA the CMS carries too) is not the signer's.
TEST(OtherToolsCms, EssAttributeMustNameTheSigner) {
  ForeignKey k = LoadForeignKey("officer-an");
  for (int variant = 0; variant < 4; ++variant) {
    SCOPED_TRACE(variant);
    HandMadeShape shape;
    shape.ess_version = variant % 2 + 1;
    shape.ess_wrong_serial = variant < 2;
    shape.ess_names_subca = variant >= 2;
    const SignatureReport s =
        VerifyOne(SignWithForeignCms(MakeTempDir("esswrong"), "ETSI.CAdES.detached",
                                     [&](const Bytes& c) { return HandMadeCms(c, k, shape); }));
    EXPECT_TRUE(s.digest_ok && s.signature_ok);
    EXPECT_FALSE(s.signing_certificate_ok);
    EXPECT_EQ(s.sub_indication, "NO_SIGNING_CERTIFICATE_FOUND");
  }
}

// pyHanko's sig-with-ski-sid.pdf: SignerIdentifier by subjectKeyIdentifier, ESS v1 and a
// signing-time, under adbe.pkcs7.detached.
TEST(OtherToolsCms, SignerNamedBySubjectKeyIdentifier) {
  ForeignKey k = LoadForeignKey("officer-an");
  HandMadeShape shape;
  shape.key_identifier = true;
  shape.ess_version = 1;
  shape.signing_time = true;
  const SignatureReport s =
      VerifyOne(SignWithForeignCms(MakeTempDir("ski"), "adbe.pkcs7.detached",
                                   [&](const Bytes& c) { return HandMadeCms(c, k, shape); }));
  ExpectValidNotBaseline(s, "adbe.pkcs7.detached instead of ETSI.CAdES.detached");
  EXPECT_TRUE(HasNote(s, "identified by its subjectKeyIdentifier"));
  EXPECT_TRUE(HasNote(s, "a signing-time attribute"));
  EXPECT_TRUE(s.problems.empty()) << ::testing::PrintToString(s.problems);
}

// No signed attributes (RFC 5652 §5.4): the signature is over the byte ranges' digest itself,
// for RSA PKCS#1 v1.5 its DigestInfo, for ECDSA the digest. A changed byte still fails.
TEST(OtherToolsCms, NoSignedAttributesSignsTheDigest) {
  for (const char* name : {"officer-an", "officer-binh"}) {
    SCOPED_TRACE(name);
    ForeignKey k = LoadForeignKey(name);
    const std::string dir = MakeTempDir("noattr");
    const std::string pdf = SignWithForeignCms(dir, "adbe.pkcs7.detached", [&](const Bytes& c) {
      return OpensslSignCms(c, k, CMS_DETACHED | CMS_NOATTR);
    });
    const SignatureReport s = VerifyOne(pdf);
    EXPECT_TRUE(s.digest_ok && s.signature_ok && s.signing_certificate_ok)
        << ::testing::PrintToString(s.problems);
    EXPECT_EQ(s.indication, "TOTAL-PASSED") << s.sub_indication;
    EXPECT_TRUE(HasNote(s, "no signed attributes, the signature covers the document digest"));

    std::string bytes = Slurp(pdf);
    const size_t at = bytes.find("/MediaBox");
    ASSERT_NE(at, std::string::npos);
    bytes[at + 1] = 'N';
    const std::string bad = dir + "/bad.pdf";
    std::ofstream(bad, std::ios::binary) << bytes;
    const SignatureReport b = VerifyOne(bad);
    EXPECT_EQ(b.indication, "TOTAL-FAILED");
    EXPECT_EQ(b.sub_indication, "HASH_FAILURE");
  }
}

// What a generic OpenSSL-based tool signs for adbe.pkcs7.detached: its default attributes,
// signing-time among them, and no ESS signing-certificate: the signer is who the
// SignerIdentifier names (either form).
TEST(OtherToolsCms, Pkcs7DetachedWithSigningTimeAndNoEss) {
  ForeignKey k = LoadForeignKey("officer-an");
  for (int keyid : {0, CMS_USE_KEYID}) {
    SCOPED_TRACE(keyid);
    const SignatureReport s =
        VerifyOne(SignWithForeignCms(MakeTempDir("p7"), "adbe.pkcs7.detached", [&](const Bytes& c) {
          return OpensslSignCms(c, k, CMS_DETACHED | keyid);
        }));
    ExpectValidNotBaseline(s, "no ESS signing-certificate attribute");
    EXPECT_TRUE(HasNote(s, "a signing-time attribute"));
  }
}

// Kept as it is: a PDF signature's CMS is detached; encapsulated content is rejected.
TEST(OtherToolsCms, EncapsulatedContentStaysRejected) {
  ForeignKey k = LoadForeignKey("officer-an");
  const SignatureReport s = VerifyOne(SignWithForeignCms(
      MakeTempDir("econtent"), "adbe.pkcs7.detached",
      [&](const Bytes& c) { return OpensslSignCms(c, k, /*flags=*/0); }, /*capacity=*/65536));
  EXPECT_EQ(s.indication, "TOTAL-FAILED");
  EXPECT_FALSE(s.digest_ok);
}

// `openssl cms -sign` run as an outside tool (the command line, not our code), detached, over
// `content`, with `-md digest`; the signer is the sample officer An.
Bytes OpensslCliCms(const std::string& dir, const Bytes& content, const std::string& digest,
                    const std::string& extra = {}) {
  const auto& pki = GetSamplePki();
  const std::string in = dir + "/content.bin", out = dir + "/cms.der";
  std::ofstream(in, std::ios::binary)
      .write(reinterpret_cast<const char*>(content.data()),
             static_cast<std::streamsize>(content.size()));
  auto r = Sh("openssl cms -sign -binary -outform DER -md " + digest + " " + extra + " -signer " +
              Quote(pki.dir + "/officer-an.pem") + " -inkey " + Quote(pki.dir + "/officer-an.key") +
              " -certfile " + Quote(pki.dir + "/subca.pem") + " -in " + Quote(in) + " -out " +
              Quote(out) + " 2>&1");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  const std::string der = Slurp(out);
  return Bytes(der.begin(), der.end());
}

// Issue 17: a SHA-1 signature whose digest matches is not "Integrity BROKEN / HASH_FAILURE": the
// bytes are intact, the algorithm is refused: INDETERMINATE / CRYPTO_CONSTRAINTS_FAILURE, naming
// it. A changed byte is still a HASH_FAILURE. pdfsig reads the same file.
TEST(RefusedAlgorithms, Sha1DigestIsIndeterminateNotBroken) {
  const std::string dir = MakeTempDir("sha1");
  const std::string pdf = SignWithForeignCms(
      dir, "adbe.pkcs7.detached", [&](const Bytes& c) { return OpensslCliCms(dir, c, "sha1"); });
  const taicho::testing::PdfsigReport pdfsig = taicho::testing::RunPdfsig(pdf);
  EXPECT_EQ(pdfsig.signatures, 1) << pdfsig.output;
  EXPECT_NE(pdfsig.output.find("SHA1"), std::string::npos) << pdfsig.output;

  auto report = VerifyPdf(pdf, Slurp(GetSamplePki().dir + "/ca-bundle.pem"));
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_EQ(report->signatures.size(), 1u);
  const SignatureReport& s = report->signatures[0];
  SCOPED_TRACE(report->ToText());
  EXPECT_TRUE(s.digest_ok);
  EXPECT_TRUE(s.signature_ok);
  EXPECT_EQ(s.indication, "INDETERMINATE");
  EXPECT_EQ(s.sub_indication, "CRYPTO_CONSTRAINTS_FAILURE");
  EXPECT_EQ(s.refused_algorithms, std::vector<std::string>{"SHA-1 (digest)"});
  const std::string text = report->ToText();
  EXPECT_EQ(text.find("BROKEN"), std::string::npos);
  EXPECT_NE(text.find("Integrity: đúng / intact"), std::string::npos);
  EXPECT_NE(text.find("Refused algorithm: SHA-1 (digest)"), std::string::npos);
  EXPECT_NE(report->ToJson().find("\"refused_algorithms\""), std::string::npos);
  // Still a valid PDF signature otherwise: the chain and the signer are judged.
  EXPECT_EQ(s.chain_trusted, std::optional<bool>(true));
  EXPECT_EQ(s.signer_name, "Nguyễn Văn An");

  std::string bytes = Slurp(pdf);
  const size_t at = bytes.find("/MediaBox");
  ASSERT_NE(at, std::string::npos);
  bytes[at + 1] = 'N';
  const std::string bad = dir + "/bad.pdf";
  std::ofstream(bad, std::ios::binary) << bytes;
  const SignatureReport b = VerifyOne(bad);
  EXPECT_EQ(b.indication, "TOTAL-FAILED");
  EXPECT_EQ(b.sub_indication, "HASH_FAILURE");
}

// A SHA-256 digest under a signature algorithm that names SHA-1 (sha1WithRSAEncryption, which
// OpenSSL accepts in place of rsaEncryption): the signature algorithm is refused, named.
TEST(RefusedAlgorithms, Sha1SignatureAlgorithmIsNamed) {
  ForeignKey k = LoadForeignKey("officer-an");
  const SignatureReport s = VerifyOne(
      SignWithForeignCms(MakeTempDir("sha1rsa"), "adbe.pkcs7.detached", [&](const Bytes& c) {
        const Bytes der = OpensslSignCms(c, k, CMS_DETACHED);
        const unsigned char* p = der.data();
        signer::ossl::CmsPtr cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(der.size())));
        if (!cms) return Bytes{};
        CMS_SignerInfo* si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms.get()), 0);
        X509_ALGOR* sig_alg = nullptr;
        CMS_SignerInfo_get0_algs(si, nullptr, nullptr, nullptr, &sig_alg);
        // Not covered by the signature: changing it keeps the signature value valid.
        if (!sig_alg || X509_ALGOR_set0(sig_alg, OBJ_nid2obj(NID_sha1WithRSAEncryption),
                                        V_ASN1_NULL, nullptr) != 1) {
          return Bytes{};
        }
        return ContentInfoDer(cms.get());
      }));
  EXPECT_TRUE(s.digest_ok && s.signature_ok) << ::testing::PrintToString(s.problems);
  EXPECT_EQ(s.digest_algorithm, "SHA-256");
  EXPECT_EQ(s.refused_algorithms,
            std::vector<std::string>{"sha1WithRSAEncryption (signature algorithm)"});
  EXPECT_EQ(s.indication, "INDETERMINATE");
  EXPECT_EQ(s.sub_indication, "CRYPTO_CONSTRAINTS_FAILURE");
}

// Issue 17: adbe.pkcs7.detached without ESS signing-certificate(-v2), made by `openssl cms -sign`
// (the command line): a valid PDF signature (integrity, chain, signer), TOTAL-PASSED, with a note
// that it is not PAdES baseline; pdfsig finds it valid too.
TEST(OtherToolsCms, OpensslCommandLinePkcs7WithoutEss) {
  const std::string dir = MakeTempDir("p7cli");
  const std::string pdf = SignWithForeignCms(
      dir, "adbe.pkcs7.detached", [&](const Bytes& c) { return OpensslCliCms(dir, c, "sha256"); });
  const taicho::testing::PdfsigReport pdfsig = taicho::testing::RunPdfsig(pdf);
  EXPECT_EQ(pdfsig.signatures, 1) << pdfsig.output;
  EXPECT_EQ(pdfsig.valid, 1) << pdfsig.output;
  const SignatureReport s = VerifyOne(pdf);
  ExpectValidNotBaseline(s, "no ESS signing-certificate attribute");
  EXPECT_TRUE(HasNote(s, "adbe.pkcs7.detached instead of ETSI.CAdES.detached"));
  EXPECT_TRUE(s.refused_algorithms.empty());
}

// taicho's own signatures are PAdES baseline: no note, no problem.
TEST(OtherToolsCms, TaichoSignaturesCarryNoNote) {
  const std::string dir = MakeTempDir("own");
  const std::string in = dir + "/in.pdf", out = dir + "/out.pdf";
  taicho::testing::WriteSamplePdf(in, 1);
  auto key = signer::LoadPkcs12Signer(GetSamplePki().dir + "/officer-an.p12", "taicho");
  ASSERT_TRUE(key.ok()) << key.status();
  ASSERT_TRUE(SignPdf(in, out, **key, {}).ok());
  const SignatureReport s = VerifyOne(out);
  EXPECT_EQ(s.indication, "TOTAL-PASSED");
  EXPECT_TRUE(s.notes.empty()) << ::testing::PrintToString(s.notes);
  EXPECT_TRUE(s.problems.empty()) << ::testing::PrintToString(s.problems);
}

}  // namespace
}  // namespace taicho::pades
