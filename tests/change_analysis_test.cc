// What changed after each signature: real signed PDFs (SoftHSM2 tokens), then updates appended by
// hand the way an attacker or another tool would. Each file is also shown to pdfsig (which does no
// change analysis: what it says is recorded) and qpdf --check.
#include <fstream>
#include <map>
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "pades/pdf_signer.h"
#include "pades/pdf_verifier.h"
#include "pkcs11/module.h"
#include "signer/certificate_info.h"
#include "signer/token_signer.h"
#include "tests/support/checkers.h"
#include "tests/support/pdf_update.h"
#include "tests/support/pki_fixture.h"
#include "tests/support/sample_pdf.h"

namespace taicho::pades {
namespace {

using taicho::testing::AppendUpdate;
using taicho::testing::EditedObject;
using taicho::testing::GetSamplePki;
using taicho::testing::MakeTempDir;
using taicho::testing::ReadFileBytes;
using taicho::testing::ReadRevisionFacts;
using taicho::testing::StreamObject;

struct TokenKey {
  std::unique_ptr<pkcs11::Session> session;
  std::unique_ptr<signer::KeySigner> signer;
};

TokenKey OpenToken(const std::string& label) {
  static std::shared_ptr<pkcs11::Module> module = [] {
    GetSamplePki();  // sets SOFTHSM2_CONF before the module reads it
    auto m = pkcs11::Module::Load(TAICHO_SOFTHSM_MODULE);
    EXPECT_TRUE(m.ok()) << m.status();
    return m.ok() ? *m : nullptr;
  }();
  TokenKey key;
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
  auto s = signer::MakeTokenSigner(*key.session, *info, chain, false);
  EXPECT_TRUE(s.ok()) << s.status();
  if (s.ok()) key.signer = *std::move(s);
  return key;
}

// A text field "so" on page 1 as a draft leaves it (merged field and widget, /DA names a
// Liberation TrueType face), added by hand to the sample in a first update.
void AddEmptyTextField(const std::string& path) {
  const auto facts = ReadRevisionFacts(path);
  const int field = facts.size;
  const int page = facts.pages[0];
  std::map<int, std::string> objects;
  objects[field] =
      "<< /Type /Annot /Subtype /Widget /FT /Tx /T (so) /F 4 /Rect [100 700 200 720] "
      "/DA (/LiberationSerif-Regular 13 Tf 0 g) /P " +
      std::to_string(page) + " 0 R >>";
  objects[page] = EditedObject(path, page, [&](PoDoFo::PdfObject& o) {
    PoDoFo::PdfArray annots;
    annots.push_back(PoDoFo::PdfReference(field, 0));
    o.GetDictionary().AddKey("Annots", annots);
  });
  objects[facts.catalog] = EditedObject(path, facts.catalog, [&](PoDoFo::PdfObject& o) {
    PoDoFo::PdfArray fields;
    fields.push_back(PoDoFo::PdfReference(field, 0));
    PoDoFo::PdfDictionary form;
    form.AddKey("Fields", fields);
    o.GetDictionary().AddKey("AcroForm", form);
  });
  AppendUpdate(path, objects);
}

class ChangeAnalysis : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("changes");
    plain_ = dir_ + "/plain.pdf";
    taicho::testing::WriteSamplePdf(plain_, 2);
    anchors_ = ReadFileBytes(GetSamplePki().dir + "/ca-bundle.pem");
  }

  // Signs `in` into `out` with the officer's token (or the seal's).
  void Sign(const std::string& in, const std::string& out, const SignOptions& options,
            bool seal = false) {
    TokenKey key = OpenToken(seal ? "Con dấu UBND Châu Đức" : "Nguyễn Văn An");
    ASSERT_TRUE(key.signer);
    auto r = SignPdf(in, out, *key.signer, options);
    ASSERT_TRUE(r.ok()) << r.status();
  }

  // A copy of `from` to tamper with.
  std::string Copy(const std::string& from, const std::string& name) {
    const std::string to = dir_ + "/" + name;
    std::ofstream(to, std::ios::binary) << ReadFileBytes(from);
    return to;
  }

  VerificationReport Verify(const std::string& path) {
    auto report = VerifyPdf(path, anchors_);
    EXPECT_TRUE(report.ok()) << report.status();
    std::string out;
    EXPECT_TRUE(taicho::testing::QpdfCheckPasses(path, &out)) << out;
    return report.ok() ? *report : VerificationReport{};
  }

  // The change whose English text contains `needle`, or nullptr.
  static const DetectedChange* Find(const SignatureReport& s, const std::string& needle) {
    for (const DetectedChange& c : s.changes_after) {
      if (c.text_en.find(needle) != std::string::npos) return &c;
    }
    return nullptr;
  }

  // pdfsig checks each signature's bytes only: a change in a later update leaves it "valid" and
  // only "Not total document signed" hints that more came after.
  void ExpectPdfsigStillValid(const std::string& path, int signatures) {
    auto pdfsig = taicho::testing::RunPdfsig(path);
    EXPECT_EQ(pdfsig.signatures, signatures) << pdfsig.output;
    EXPECT_EQ(pdfsig.valid, signatures) << pdfsig.output;
  }

  std::string dir_, plain_, anchors_;
};

TEST_F(ChangeAnalysis, TwoApprovalSignaturesListTheSecondAsPermitted) {
  const std::string one = dir_ + "/1.pdf", two = dir_ + "/2.pdf";
  Sign(plain_, one, {});
  SignOptions second;
  second.page_index = 1;
  Sign(one, two, second, /*seal=*/true);
  ExpectPdfsigStillValid(two, 2);
  VerificationReport report = Verify(two);
  ASSERT_EQ(report.signatures.size(), 2u);
  const SignatureReport& first = report.signatures[0];
  EXPECT_EQ(first.indication, "TOTAL-PASSED") << report.ToText();
  EXPECT_FALSE(first.certification_p.has_value());
  ASSERT_EQ(first.changes_after.size(), 1u) << report.ToText();
  EXPECT_EQ(first.changes_after[0].kind, "new_signature");
  EXPECT_TRUE(first.changes_after[0].permitted);
  EXPECT_NE(first.changes_after[0].text_vi.find("Thêm chữ ký"), std::string::npos);
  EXPECT_TRUE(report.signatures[1].changes_after.empty());
  EXPECT_EQ(report.signatures[1].indication, "TOTAL-PASSED");
  EXPECT_NE(report.ToText().find("[được phép / permitted]"), std::string::npos);
  EXPECT_NE(report.ToJson().find("\"kind\": \"new_signature\""), std::string::npos);
}

TEST_F(ChangeAnalysis, ContentStreamEditedAfterSigningFails) {
  const std::string signed_pdf = dir_ + "/signed.pdf";
  Sign(plain_, signed_pdf, {});
  const std::string bad = Copy(signed_pdf, "edited.pdf");
  const auto facts = ReadRevisionFacts(bad);
  ASSERT_GT(facts.contents[0], 0);
  AppendUpdate(bad, {{facts.contents[0], StreamObject("1 0 0 rg 72 600 300 80 re f")}});
  ExpectPdfsigStillValid(bad, 1);
  EXPECT_FALSE(taicho::testing::RunPdfsig(bad).last_covers_whole_document);
  VerificationReport report = Verify(bad);
  ASSERT_EQ(report.signatures.size(), 1u);
  const SignatureReport& s = report.signatures[0];
  EXPECT_TRUE(s.digest_ok && s.signature_ok) << "the signed bytes are intact";
  EXPECT_EQ(s.indication, "TOTAL-FAILED") << report.ToText();
  EXPECT_EQ(s.sub_indication, "FORMAT_FAILURE");
  const DetectedChange* c =
      Find(s, "Page 1 content changed (object " + std::to_string(facts.contents[0]) + ")");
  ASSERT_NE(c, nullptr) << report.ToText();
  EXPECT_FALSE(c->permitted);
  EXPECT_EQ(c->kind, "other");
  EXPECT_NE(c->text_vi.find("Sửa nội dung trang 1"), std::string::npos);
  EXPECT_NE(report.ToText().find("[KHÔNG ĐƯỢC PHÉP / NOT PERMITTED] Sửa nội dung trang 1"),
            std::string::npos)
      << report.ToText();
}

TEST_F(ChangeAnalysis, PageAddedAfterSigningFails) {
  const std::string signed_pdf = dir_ + "/signed.pdf";
  Sign(plain_, signed_pdf, {});
  const std::string bad = Copy(signed_pdf, "page-added.pdf");
  const auto facts = ReadRevisionFacts(bad);
  const int page = facts.size, content = facts.size + 1;
  std::map<int, std::string> objects;
  objects[content] = StreamObject("0 0 1 rg 72 600 300 80 re f");
  objects[page] = "<< /Type /Page /Parent " + std::to_string(facts.pages_root) +
                  " 0 R /MediaBox [0 0 595 842] /Contents " + std::to_string(content) + " 0 R >>";
  objects[facts.pages_root] = EditedObject(bad, facts.pages_root, [&](PoDoFo::PdfObject& o) {
    o.GetDictionary().GetKey("Kids")->GetArray().push_back(PoDoFo::PdfReference(page, 0));
    o.GetDictionary().AddKey("Count", static_cast<PoDoFo::pdf_int64>(facts.pages.size() + 1));
  });
  AppendUpdate(bad, objects);
  ExpectPdfsigStillValid(bad, 1);
  VerificationReport report = Verify(bad);
  ASSERT_EQ(report.signatures.size(), 1u);
  EXPECT_EQ(report.signatures[0].indication, "TOTAL-FAILED") << report.ToText();
  EXPECT_EQ(report.signatures[0].sub_indication, "FORMAT_FAILURE");
  const DetectedChange* c = Find(report.signatures[0], "1 page(s) added");
  ASSERT_NE(c, nullptr) << report.ToText();
  EXPECT_FALSE(c->permitted);
}

// Shadow "replace" (Mainka et al. 2021): an object the page uses (its font) is redefined with
// the same number in a later update.
TEST_F(ChangeAnalysis, ObjectOfSignedRevisionRedefinedFails) {
  const std::string signed_pdf = dir_ + "/signed.pdf";
  Sign(plain_, signed_pdf, {});
  const std::string bad = Copy(signed_pdf, "replaced.pdf");
  int font = 0;
  {
    PoDoFo::PdfMemDocument doc;
    doc.Load(bad.c_str());
    const PoDoFo::PdfObject* resources = doc.GetPage(0)->GetResources();
    ASSERT_NE(resources, nullptr);
    const PoDoFo::PdfObject* fonts = resources->GetDictionary().GetKey("Font");
    if (fonts && fonts->IsReference()) fonts = doc.GetObjects().GetObject(fonts->GetReference());
    ASSERT_TRUE(fonts && fonts->IsDictionary());
    for (const auto& [name, ref] : fonts->GetDictionary().GetKeys()) {
      if (ref->IsReference()) font = static_cast<int>(ref->GetReference().ObjectNumber());
    }
  }
  ASSERT_GT(font, 0);
  AppendUpdate(bad, {{font, EditedObject(bad, font, [](PoDoFo::PdfObject& o) {
                        o.GetDictionary().AddKey("BaseFont", PoDoFo::PdfName("Courier"));
                      })}});
  ExpectPdfsigStillValid(bad, 1);
  VerificationReport report = Verify(bad);
  ASSERT_EQ(report.signatures.size(), 1u);
  EXPECT_EQ(report.signatures[0].indication, "TOTAL-FAILED") << report.ToText();
  const DetectedChange* c =
      Find(report.signatures[0], "Object " + std::to_string(font) + " used by page 1 redefined");
  ASSERT_NE(c, nullptr) << report.ToText();
  EXPECT_FALSE(c->permitted);
}

// Shadow "hide": the signed file already holds other bytes for the content stream (an earlier,
// superseded definition); the attack's update changes nothing but the xref, pointing the object
// back at them.
TEST_F(ChangeAnalysis, XrefOnlyUpdateThatRepointsContentFails) {
  const std::string prepared = Copy(plain_, "prepared.pdf");
  const auto facts = ReadRevisionFacts(prepared);
  const int content = facts.contents[0];
  ASSERT_GT(content, 0);
  std::string original;
  {
    PoDoFo::PdfMemDocument doc;
    doc.Load(prepared.c_str());
    char* data = nullptr;
    PoDoFo::pdf_long length = 0;
    doc.GetObjects()
        .GetObject(PoDoFo::PdfReference(content, 0))
        ->GetStream()
        ->GetFilteredCopy(&data, &length);
    original.assign(data, static_cast<size_t>(length));
    PoDoFo::podofo_free(data);
  }
  const int64_t hidden_update =
      AppendUpdate(prepared, {{content, StreamObject("0 g 0 0 595 842 re f")}});
  AppendUpdate(prepared, {{content, StreamObject(original)}});
  const std::string bytes = ReadFileBytes(prepared);
  const int64_t hidden =
      static_cast<int64_t>(bytes.find(std::to_string(content) + " 0 obj", hidden_update));
  const std::string signed_pdf = dir_ + "/signed.pdf";
  Sign(prepared, signed_pdf, {});
  VerificationReport clean = Verify(signed_pdf);
  ASSERT_EQ(clean.signatures.size(), 1u);
  EXPECT_EQ(clean.signatures[0].indication, "TOTAL-PASSED") << clean.ToText();

  const std::string bad = Copy(signed_pdf, "hidden.pdf");
  AppendUpdate(bad, {}, {{content, hidden}});
  ExpectPdfsigStillValid(bad, 1);
  VerificationReport report = Verify(bad);
  EXPECT_EQ(report.signatures[0].indication, "TOTAL-FAILED") << report.ToText();
  EXPECT_NE(Find(report.signatures[0], "Page 1 content changed"), nullptr) << report.ToText();
}

// The page draws an XObject whose number the signed revision leaves undefined (nothing is drawn
// when signing); a later update defines it.
TEST_F(ChangeAnalysis, ObjectUndefinedWhenSignedAndDefinedLaterFails) {
  const std::string prepared = Copy(plain_, "dangling.pdf");
  const auto facts = ReadRevisionFacts(prepared);
  const int draw = facts.size, hidden = facts.size + 500;  // beyond what signing allocates
  std::map<int, std::string> objects;
  objects[draw] = StreamObject("q 200 0 0 200 100 300 cm /Hid Do Q");
  objects[facts.pages[0]] = EditedObject(prepared, facts.pages[0], [&](PoDoFo::PdfObject& o) {
    PoDoFo::PdfDictionary& page = o.GetDictionary();
    PoDoFo::PdfArray contents;
    contents.push_back(*page.GetKey("Contents"));
    contents.push_back(PoDoFo::PdfReference(draw, 0));
    page.AddKey("Contents", contents);
    PoDoFo::PdfDictionary xobjects;
    xobjects.AddKey("Hid", PoDoFo::PdfReference(hidden, 0));
    page.GetKey("Resources")->GetDictionary().AddKey("XObject", xobjects);
  });
  AppendUpdate(prepared, objects);
  const std::string signed_pdf = dir_ + "/signed.pdf";
  Sign(prepared, signed_pdf, {});
  const std::string bad = Copy(signed_pdf, "defined.pdf");
  AppendUpdate(bad, {{hidden, StreamObject("1 0 0 rg 0 0 1 1 re f",
                                           "/Type /XObject /Subtype /Form /BBox [0 0 1 1]")}});
  ExpectPdfsigStillValid(bad, 1);
  VerificationReport report = Verify(bad);
  ASSERT_EQ(report.signatures.size(), 1u);
  EXPECT_EQ(report.signatures[0].indication, "TOTAL-FAILED") << report.ToText();
  EXPECT_NE(Find(report.signatures[0], "Object " + std::to_string(hidden) + " used by page 1"),
            nullptr)
      << report.ToText();
}

TEST_F(ChangeAnalysis, AnnotationAfterP2CertificationFailsAndAfterP3Passes) {
  for (int p : {2, 3}) {
    SCOPED_TRACE(p);
    const std::string certified = dir_ + "/certified-" + std::to_string(p) + ".pdf";
    SignOptions options;
    options.certification = p;
    Sign(plain_, certified, options);
    const std::string annotated = Copy(certified, "annotated-" + std::to_string(p) + ".pdf");
    const auto facts = ReadRevisionFacts(annotated);
    const int annot = facts.size;
    std::map<int, std::string> objects;
    objects[annot] = "<< /Type /Annot /Subtype /Square /Rect [72 600 372 680] /C [1 0 0] /P " +
                     std::to_string(facts.pages[0]) + " 0 R >>";
    objects[facts.pages[0]] = EditedObject(annotated, facts.pages[0], [&](PoDoFo::PdfObject& o) {
      PoDoFo::PdfArray annots;
      if (const PoDoFo::PdfObject* a = o.GetDictionary().GetKey("Annots"); a && a->IsArray()) {
        annots = a->GetArray();
      }
      annots.push_back(PoDoFo::PdfReference(annot, 0));
      o.GetDictionary().AddKey("Annots", annots);
    });
    AppendUpdate(annotated, objects);
    ExpectPdfsigStillValid(annotated, 1);
    VerificationReport report = Verify(annotated);
    ASSERT_EQ(report.signatures.size(), 1u);
    const SignatureReport& s = report.signatures[0];
    EXPECT_EQ(s.certification_p, p);
    const DetectedChange* c = Find(s, "/Square annotation added on page 1");
    ASSERT_NE(c, nullptr) << report.ToText();
    EXPECT_EQ(c->kind, "annotation");
    EXPECT_EQ(c->permitted, p == 3);
    EXPECT_EQ(s.indication, p == 3 ? "TOTAL-PASSED" : "TOTAL-FAILED") << report.ToText();
  }
}

// The issue step (Decree 30): the officer certifies the draft (P=2), the seal's update fills the
// number and signs. Both stay valid; the fill is named as permitted.
TEST_F(ChangeAnalysis, NumberFilledWithTheSealAfterP2CertificationPasses) {
  const std::string draft = Copy(plain_, "draft.pdf");
  AddEmptyTextField(draft);
  const std::string certified = dir_ + "/certified.pdf", sealed = dir_ + "/sealed.pdf";
  SignOptions officer;
  officer.certification = 2;
  Sign(draft, certified, officer);
  SignOptions seal;
  seal.page_index = 1;
  seal.fills = {{"so", "05"}};
  Sign(certified, sealed, seal, /*seal=*/true);
  ExpectPdfsigStillValid(sealed, 2);
  VerificationReport report = Verify(sealed);
  ASSERT_EQ(report.signatures.size(), 2u);
  const SignatureReport& s = report.signatures[0];
  EXPECT_EQ(s.certification_p, 2);
  EXPECT_EQ(s.indication, "TOTAL-PASSED") << report.ToText();
  const DetectedChange* fill = Find(s, "Form field 'so' filled with '05'");
  ASSERT_NE(fill, nullptr) << report.ToText();
  EXPECT_EQ(fill->kind, "form_fill");
  EXPECT_TRUE(fill->permitted);
  EXPECT_NE(fill->text_vi.find("Điền trường biểu mẫu 'so' = '05'"), std::string::npos);
  EXPECT_NE(Find(s, "Signature 'Signature"), nullptr) << report.ToText();
  EXPECT_EQ(report.signatures[1].indication, "TOTAL-PASSED") << report.ToText();
  EXPECT_EQ(report.signatures[1].docmdp_in_force, 2);
  EXPECT_NE(report.ToJson().find("\"certification_p\": 2"), std::string::npos);

  // After a P=1 certification the same fill and signature are not permitted.
  const std::string strict = dir_ + "/certified-p1.pdf", sealed1 = dir_ + "/sealed-p1.pdf";
  officer.certification = 1;
  Sign(draft, strict, officer);
  Sign(strict, sealed1, seal, /*seal=*/true);
  VerificationReport p1 = Verify(sealed1);
  ASSERT_EQ(p1.signatures.size(), 2u);
  EXPECT_EQ(p1.signatures[0].indication, "TOTAL-FAILED") << p1.ToText();
  ASSERT_NE(Find(p1.signatures[0], "Form field 'so' filled"), nullptr);
  EXPECT_FALSE(Find(p1.signatures[0], "Form field 'so' filled")->permitted);
}

// Another tool's signature after ours (poppler/NSS; it writes its own field, widget, font and
// AcroForm): a permitted new signature, nothing else.
TEST_F(ChangeAnalysis, PdfsigSignatureAfterOursIsPermitted) {
  const std::string ours = dir_ + "/ours.pdf", both = dir_ + "/both.pdf";
  Sign(plain_, ours, {});
  const auto& pki = GetSamplePki();
  const std::string nss = MakeTempDir("nss");
  auto r = taicho::testing::Run("certutil -N -d sql:" + nss + " --empty-password && pk12util -i " +
                                taicho::testing::Quote(pki.dir + "/officer-an.p12") +
                                " -d sql:" + nss + " -W taicho");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = taicho::testing::Run("pdfsig -add-signature -nssdir sql:" + nss +
                           " -nick officer-an -reason Other " + taicho::testing::Quote(ours) + " " +
                           taicho::testing::Quote(both));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ExpectPdfsigStillValid(both, 2);
  VerificationReport report = Verify(both);
  ASSERT_EQ(report.signatures.size(), 2u);
  const SignatureReport& s = report.signatures[0];
  EXPECT_EQ(s.indication, "TOTAL-PASSED") << report.ToText();
  ASSERT_FALSE(s.changes_after.empty());
  for (const DetectedChange& c : s.changes_after) {
    EXPECT_TRUE(c.permitted) << c.text_en;
  }
  EXPECT_NE(Find(s, "Signature '"), nullptr) << report.ToText();
}

// B-LT: a DSS added in its own update (done by hand here: catalog /DSS with a certificate).
TEST_F(ChangeAnalysis, DssAddedAfterP1CertificationPasses) {
  const std::string certified = dir_ + "/certified.pdf";
  SignOptions options;
  options.certification = 1;
  Sign(plain_, certified, options);
  const std::string ltv = Copy(certified, "ltv.pdf");
  const auto facts = ReadRevisionFacts(ltv);
  const int dss = facts.size, cert = facts.size + 1;
  std::map<int, std::string> objects;
  objects[cert] = StreamObject(ReadFileBytes(GetSamplePki().dir + "/subca.der"));
  objects[dss] = "<< /Type /DSS /Certs [" + std::to_string(cert) + " 0 R] >>";
  objects[facts.catalog] = EditedObject(ltv, facts.catalog, [&](PoDoFo::PdfObject& o) {
    o.GetDictionary().AddKey("DSS", PoDoFo::PdfReference(dss, 0));
  });
  AppendUpdate(ltv, objects);
  ExpectPdfsigStillValid(ltv, 1);
  VerificationReport report = Verify(ltv);
  ASSERT_EQ(report.signatures.size(), 1u);
  const SignatureReport& s = report.signatures[0];
  EXPECT_EQ(s.certification_p, 1);
  EXPECT_EQ(s.indication, "TOTAL-PASSED") << report.ToText();
  ASSERT_EQ(s.changes_after.size(), 1u) << report.ToText();
  EXPECT_EQ(s.changes_after[0].kind, "dss");
  EXPECT_TRUE(s.changes_after[0].permitted);
  EXPECT_EQ(s.changes_after[0].objects.size(), 2u) << "the DSS and its certificate";
}

}  // namespace
}  // namespace taicho::pades
