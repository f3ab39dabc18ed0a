// What changed after each signature: real signed PDFs (SoftHSM2 tokens), then updates appended by
// hand the way an attacker or another tool would. Each file is also shown to pdfsig (which does no
// change analysis: what it says is recorded) and qpdf --check.
#include "pades/change_analysis.h"

#include <sys/resource.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <string>

#include "errors/error.h"
#include "gtest/gtest.h"
#include "pades/pdf_signer.h"
#include "pades/pdf_verifier.h"
#include "pdf/parsed_pdf.h"
#include "pdf/signature_reader.h"
#include "pkcs11/module.h"
#include "signer/certificate_info.h"
#include "signer/token_signer.h"
#include "tests/support/checkers.h"
#include "tests/support/pdf_update.h"
#include "tests/support/pki_fixture.h"
#include "tests/support/sample_pdf.h"
#include "tests/support/token_key.h"

namespace taicho::pades {
namespace {

using namespace taicho::testing;

TokenKey OpenToken(const std::string& label) { return taicho::testing::OpenSampleToken(label); }

// A text field `name` on page 1 as a draft leaves it (merged field and widget, /DA names a
// Liberation TrueType face), added by hand to the sample in an update; returns its number.
// Later fields join the page's /Annots and the form's /Fields.
int AddEmptyTextField(const std::string& path, const std::string& name = "so", int top = 720) {
  const auto facts = ReadRevisionFacts(path);
  const int field = facts.size;
  const int page = facts.pages[0];
  std::map<int, std::string> objects;
  objects[field] = "<< /Type /Annot /Subtype /Widget /FT /Tx /T (" + name + ") /F 4 /Rect [100 " +
                   std::to_string(top - 20) + " 200 " + std::to_string(top) +
                   "] /DA (/LiberationSerif-Regular 13 Tf 0 g) /P " + std::to_string(page) +
                   " 0 R >>";
  objects[page] = EditedObject(path, page, [&](PoDoFo::PdfObject& o) {
    PoDoFo::PdfObject* annots = o.GetDictionary().GetKey("Annots");
    if (annots != nullptr && annots->IsArray()) {
      annots->GetArray().push_back(PoDoFo::PdfReference(field, 0));
      return;
    }
    PoDoFo::PdfArray fresh;
    fresh.push_back(PoDoFo::PdfReference(field, 0));
    o.GetDictionary().AddKey("Annots", fresh);
  });
  objects[facts.catalog] = EditedObject(path, facts.catalog, [&](PoDoFo::PdfObject& o) {
    PoDoFo::PdfObject* form = o.GetDictionary().GetKey("AcroForm");
    if (form != nullptr && form->IsDictionary()) {
      form->GetDictionary().GetKey("Fields")->GetArray().push_back(PoDoFo::PdfReference(field, 0));
      return;
    }
    PoDoFo::PdfArray fields;
    fields.push_back(PoDoFo::PdfReference(field, 0));
    PoDoFo::PdfDictionary fresh;
    fresh.AddKey("Fields", fields);
    o.GetDictionary().AddKey("AcroForm", fresh);
  });
  AppendUpdate(path, objects);
  return field;
}

// A form XObject drawing `text` in Helvetica, as a field appearance.
std::string TextAppearance(const std::string& text) {
  return StreamObject("BT /Helv 12 Tf 2 5 Td (" + text + ") Tj ET",
                      "/Type /XObject /Subtype /Form /BBox [0 0 100 20] /Resources << /Font << "
                      "/Helv << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >>");
}

// An update filling text field `field` of `path` with `value` and an appearance that draws
// `shown` (a new object numbered after the file's last).
std::map<int, std::string> FieldFill(const std::string& path, int field, const std::string& value,
                                     const std::string& shown) {
  const int next = ReadRevisionFacts(path).size;
  std::map<int, std::string> o;
  o[next] = TextAppearance(shown);
  o[field] = EditedObject(path, field, [&](PoDoFo::PdfObject& f) {
    f.GetDictionary().AddKey("V", PoDoFo::PdfString(value));
    PoDoFo::PdfDictionary ap;
    ap.AddKey("N", PoDoFo::PdfReference(next, 0));
    f.GetDictionary().AddKey("AP", ap);
  });
  return o;
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

  // Seals `in` into `name` (a second signature) and checks both hold, for pdfsig, qpdf and us.
  void ExpectSealedAgainPasses(const std::string& in, const std::string& name) {
    const std::string out = dir_ + "/" + name;
    Sign(in, out, {}, /*seal=*/true);
    ExpectPdfsigStillValid(out, 2);
    VerificationReport report = Verify(out);
    ASSERT_EQ(report.signatures.size(), 2u);
    EXPECT_TRUE(report.all_passed()) << report.ToText();
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

// The issue step: the seal fills the number, makes it read-only and locks every field (FieldMDP
// /All with the field's /Lock). Whatever changes a field afterwards fails the seal, naming the
// field (issue 21: the number re-filled after the seal, or its read-only flag cleared, passed).
TEST_F(ChangeAnalysis, IssueNumberChangedAfterTheSealFails) {
  const std::string draft = Copy(plain_, "draft.pdf");
  const int so = AddEmptyTextField(draft);
  const int note = AddEmptyTextField(draft, "ghichu", 650);  // the issue step leaves it empty
  const std::string certified = dir_ + "/certified.pdf", sealed = dir_ + "/sealed.pdf";
  SignOptions officer;
  officer.certification = 2;
  Sign(draft, certified, officer);
  SignOptions seal;
  seal.page_index = 1;
  seal.fills = {{"so", "05"}};
  seal.lock_fields = true;
  Sign(certified, sealed, seal, /*seal=*/true);
  const std::string bytes = ReadFileBytes(sealed);
  EXPECT_NE(bytes.find("/TransformMethod /FieldMDP"), std::string::npos);
  EXPECT_NE(bytes.find("/Action /All"), std::string::npos);
  EXPECT_NE(bytes.find("/Type /SigFieldLock"), std::string::npos);
  {
    VerificationReport report = Verify(sealed);
    ASSERT_EQ(report.signatures.size(), 2u);
    EXPECT_TRUE(report.all_passed()) << report.ToText();
  }

  struct Attack {
    std::string name;
    std::function<std::map<int, std::string>(const std::string&, int)> objects;
    std::string expected;  // in the seal's change list, not permitted
  };
  const std::vector<Attack> attacks = {
      {"refilled", [&](const std::string& path, int) { return FieldFill(path, so, "06", "06"); },
       "Read-only field 'so' changed after signing: Form field 'so' changed from '05' to '06'"},
      {"read-only-cleared",
       [&](const std::string& path, int) {
         std::map<int, std::string> o;
         o[so] = EditedObject(path, so, [&](PoDoFo::PdfObject& f) {
           f.GetDictionary().AddKey("Ff", PoDoFo::PdfObject(static_cast<PoDoFo::pdf_int64>(0)));
         });
         return o;
       },
       "Read-only field 'so' changed after signing: Form field 'so': flags changed"},
      {"other-field-filled",
       [&](const std::string& path, int) {
         return FieldFill(path, note, "da thu hoi", "da thu hoi");
       },
       "Field 'ghichu' locked by the signature (FieldMDP) changed"},
  };
  for (const Attack& attack : attacks) {
    SCOPED_TRACE(attack.name);
    const std::string path = Copy(sealed, attack.name + ".pdf");
    AppendUpdate(path, attack.objects(path, ReadRevisionFacts(path).size));
    VerificationReport report = Verify(path);
    ASSERT_EQ(report.signatures.size(), 2u);
    const SignatureReport& s = report.signatures[1];
    EXPECT_EQ(s.indication, "TOTAL-FAILED") << report.ToText();
    EXPECT_EQ(s.sub_indication, "FORMAT_FAILURE");
    const DetectedChange* c = Find(s, attack.expected);
    ASSERT_NE(c, nullptr) << report.ToText();
    EXPECT_FALSE(c->permitted);
    EXPECT_EQ(c->kind, "other");
    EXPECT_FALSE(report.all_passed());
  }
}

// Filling a field redraws it; redrawing it while its value stays is a shadow "replace" of what
// the page shows (issue 21), whether the field is read-only or not, under an approval or a P=2
// certification.
TEST_F(ChangeAnalysis, FieldAppearanceChangedWithoutItsValueFails) {
  const std::string draft = Copy(plain_, "draft.pdf");
  const int so = AddEmptyTextField(draft);
  AppendUpdate(draft, FieldFill(draft, so, "05", "05"));  // filled by hand, not read-only
  for (const int certification : {0, 2}) {
    const std::string signed_pdf = dir_ + "/signed-" + std::to_string(certification) + ".pdf";
    SignOptions options;
    options.certification = certification;
    Sign(draft, signed_pdf, options);
    const int appearance = [&] {
      std::unique_ptr<PoDoFo::PdfMemDocument> doc = std::make_unique<PoDoFo::PdfMemDocument>();
      doc->Load(signed_pdf.c_str());
      const PoDoFo::PdfObject* f = doc->GetObjects().GetObject(PoDoFo::PdfReference(so, 0));
      return static_cast<int>(f->GetDictionary()
                                  .GetKey("AP")
                                  ->GetDictionary()
                                  .GetKey("N")
                                  ->GetReference()
                                  .ObjectNumber());
    }();
    struct Attack {
      std::string name;
      std::function<std::map<int, std::string>(const std::string&, int)> objects;
    };
    const std::vector<Attack> attacks = {
        {"ap-replaced",
         [&](const std::string& path, int next) {
           std::map<int, std::string> o;
           o[next] = TextAppearance("06");
           o[so] = EditedObject(path, so, [&](PoDoFo::PdfObject& f) {
             PoDoFo::PdfDictionary ap;
             ap.AddKey("N", PoDoFo::PdfReference(next, 0));
             f.GetDictionary().AddKey("AP", ap);
           });
           return o;
         }},
        {"ap-emptied",
         [&](const std::string& path, int) {
           std::map<int, std::string> o;
           o[so] = EditedObject(path, so,
                                [&](PoDoFo::PdfObject& f) { f.GetDictionary().RemoveKey("AP"); });
           return o;
         }},
        {"ap-stream-redefined",
         [&](const std::string&, int) {
           std::map<int, std::string> o;
           o[appearance] = TextAppearance("06");
           return o;
         }},
    };
    for (const Attack& attack : attacks) {
      SCOPED_TRACE(attack.name + " P=" + std::to_string(certification));
      const std::string path =
          Copy(signed_pdf, attack.name + "-" + std::to_string(certification) + ".pdf");
      AppendUpdate(path, attack.objects(path, ReadRevisionFacts(path).size));
      VerificationReport report = Verify(path);
      ASSERT_EQ(report.signatures.size(), 1u);
      const SignatureReport& s = report.signatures[0];
      EXPECT_EQ(s.indication, "TOTAL-FAILED") << report.ToText();
      const DetectedChange* c =
          Find(s, "What form field 'so' displays was changed while its value stayed '05'");
      ASSERT_NE(c, nullptr) << report.ToText();
      EXPECT_FALSE(c->permitted);
    }
  }
}

// Bytes after the last %%EOF belong to no revision: padding is a warning naming its range and
// costs time linear in its size (it took 4.5 s of CPU per MiB: PoDoFo stepped back a byte per
// read of a 64 KiB window); objects there that redefine the document's, or an update without
// its %%EOF, fail the document (issue 21).
TEST_F(ChangeAnalysis, BytesAfterTheLastRevisionAreReported) {
  const std::string signed_pdf = dir_ + "/signed.pdf";
  Sign(plain_, signed_pdf, {});
  const int64_t size = static_cast<int64_t>(ReadFileBytes(signed_pdf).size());
  const auto facts = ReadRevisionFacts(signed_pdf);
  struct Case {
    std::string name, tail, problem, warning;
  };
  const std::string content = std::to_string(facts.contents[0]);
  const std::vector<Case> cases = {
      {"zeros-16mib", std::string(16 << 20, '\0'), "",
       "16777216 bytes after the last revision (offsets " + std::to_string(size) + "–" +
           std::to_string(size + (16 << 20)) + ") belong to no revision"},
      {"object-without-xref",
       "\n" + content + " 0 obj\n" + StreamObject("BT /F1 40 Tf 100 400 Td (FORGED) Tj ET") +
           "\nendobj\n",
       "redefine object(s) " + content + " of the document", ""},
      {"xref-without-eof",
       "\n9999 0 obj\n<< >>\nendobj\nxref\n9999 1\n0000000000 00000 n \ntrailer\n<< >>\n",
       "hold a cross-reference or trailer without %%EOF", ""},
      {"newline", "\n\n", "", ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string path = Copy(signed_pdf, c.name + ".pdf");
    std::ofstream(path, std::ios::binary | std::ios::app) << c.tail;
    rusage before{}, after{};
    getrusage(RUSAGE_SELF, &before);
    absl::StatusOr<VerificationReport> report = VerifyPdf(path, anchors_);
    getrusage(RUSAGE_SELF, &after);
    ASSERT_TRUE(report.ok()) << report.status();
    ASSERT_EQ(report->signatures.size(), 1u);
    // Signed bytes intact, nothing after the signature's revision: the signature itself holds.
    EXPECT_EQ(report->signatures[0].indication, "TOTAL-PASSED") << report->ToText();
    if (c.problem.empty()) {
      EXPECT_TRUE(report->problems.empty()) << report->ToText();
      EXPECT_TRUE(report->all_passed());
    } else {
      ASSERT_EQ(report->problems.size(), 1u) << report->ToText();
      EXPECT_NE(report->problems[0].find(c.problem), std::string::npos) << report->problems[0];
      EXPECT_FALSE(report->all_passed());
    }
    if (c.warning.empty()) {
      EXPECT_TRUE(report->warnings.empty()) << report->ToText();
    } else {
      ASSERT_EQ(report->warnings.size(), 1u) << report->ToText();
      EXPECT_NE(report->warnings[0].find(c.warning), std::string::npos) << report->warnings[0];
      EXPECT_NE(report->ToJson().find("\"warnings\""), std::string::npos);
    }
    // A guard on the cost's shape, not a benchmark (bench/verify_bench.cc measures it): the old
    // per-byte reading took over a minute of CPU for 16 MiB.
    const double cpu = (after.ru_utime.tv_sec - before.ru_utime.tv_sec) +
                       (after.ru_stime.tv_sec - before.ru_stime.tv_sec) +
                       1e-6 * ((after.ru_utime.tv_usec - before.ru_utime.tv_usec) +
                               (after.ru_stime.tv_usec - before.ru_stime.tv_usec));
    EXPECT_LT(cpu, 10.0);
  }
}

// More revisions than PoDoFo's parser follows (127: it recursed twice per /Prev up to depth 256,
// so such files were PDF_UNREADABLE): verified and signed again, with the limit a setting of its
// own code (issue 21). Each update defines one new object nothing uses, as a B-LTA renewal
// adds DSS objects.
TEST_F(ChangeAnalysis, ManyRevisionsAreReadUpToTheLimit) {
  const std::string signed_pdf = dir_ + "/signed.pdf";
  Sign(plain_, signed_pdf, {});
  const auto facts = ReadRevisionFacts(signed_pdf);
  const std::string many = Copy(signed_pdf, "many.pdf");
  {
    std::string bytes = ReadFileBytes(many);
    const size_t at = bytes.rfind("startxref");
    ASSERT_NE(at, std::string::npos);
    int64_t prev = std::stoll(bytes.substr(at + 9));
    std::string out;
    int64_t offset = static_cast<int64_t>(bytes.size());
    for (int i = 0; i < 300; ++i) {
      const int number = facts.size + i;
      const std::string object =
          std::to_string(number) + " 0 obj\n<< /Renewal " + std::to_string(i) + " >>\nendobj\n";
      const int64_t object_at = offset;
      const int64_t xref_at = offset + static_cast<int64_t>(object.size());
      char entry[32];
      std::snprintf(entry, sizeof entry, "%010lld 00000 n \n", static_cast<long long>(object_at));
      const std::string section =
          "xref\n" + std::to_string(number) + " 1\n" + entry + "trailer\n<< /Size " +
          std::to_string(number + 1) + " /Root " + std::to_string(facts.catalog) + " 0 R /Prev " +
          std::to_string(prev) + " >>\nstartxref\n" + std::to_string(xref_at) + "\n%%EOF\n";
      out += object + section;
      offset += static_cast<int64_t>(object.size() + section.size());
      prev = xref_at;
    }
    std::ofstream(many, std::ios::binary | std::ios::app) << out;
  }
  VerificationReport report = Verify(many);
  ASSERT_EQ(report.signatures.size(), 1u);
  EXPECT_TRUE(report.all_passed()) << report.ToText();

  VerifyOptions limited;
  limited.trust_anchors_pem = anchors_;
  limited.max_revisions = 200;
  absl::StatusOr<VerificationReport> refused = VerifyPdf(many, limited);
  EXPECT_TRUE(HasCode(refused.status(), ErrorCode::kPdfTooManyRevisions)) << refused.status();

  // Signed again: the update continues the chain and both signatures verify, for pdfsig too.
  ExpectSealedAgainPasses(many, "again.pdf");
}

// Filling a field after a signature is permitted; drawing something other than the value it
// fills in is not (issue 21: compare drawn text with the value where the appearance is a text
// field's). The same fill drawing its own value passes.
TEST_F(ChangeAnalysis, FieldFilledWithAnAppearanceShowingAnotherValueFails) {
  const std::string draft = Copy(plain_, "draft.pdf");
  const int so = AddEmptyTextField(draft);
  const std::string signed_pdf = dir_ + "/signed.pdf";
  Sign(draft, signed_pdf, {});
  for (const std::string shown : {"05", "06"}) {
    SCOPED_TRACE(shown);
    const std::string path = Copy(signed_pdf, "filled-" + shown + ".pdf");
    AppendUpdate(path, FieldFill(path, so, "05", shown));
    VerificationReport report = Verify(path);
    ASSERT_EQ(report.signatures.size(), 1u);
    const SignatureReport& s = report.signatures[0];
    if (shown == "05") {
      EXPECT_EQ(s.indication, "TOTAL-PASSED") << report.ToText();
      ASSERT_NE(Find(s, "Form field 'so' filled with '05'"), nullptr) << report.ToText();
    } else {
      EXPECT_EQ(s.indication, "TOTAL-FAILED") << report.ToText();
      const DetectedChange* c = Find(s, "Form field 'so' shows '06' but its value is '05'");
      ASSERT_NE(c, nullptr) << report.ToText();
      EXPECT_FALSE(c->permitted);
    }
  }
}

// Verification stops when its caller gives up (a cancelled gRPC call, a deadline, a shutdown):
// the callback is asked between signatures and while reading large files.
TEST_F(ChangeAnalysis, VerificationStopsWhenCancelled) {
  const std::string signed_pdf = dir_ + "/signed.pdf";
  Sign(plain_, signed_pdf, {});
  const std::string padded = Copy(signed_pdf, "padded.pdf");
  std::ofstream(padded, std::ios::binary | std::ios::app) << std::string(8 << 20, '\0');
  for (const int answer_after : {0, 1, 3}) {
    SCOPED_TRACE(answer_after);
    int asked = 0;
    VerifyOptions options;
    options.trust_anchors_pem = anchors_;
    options.cancelled = [&] { return ++asked > answer_after; };
    absl::StatusOr<VerificationReport> report = VerifyPdf(padded, options);
    EXPECT_TRUE(HasCode(report.status(), ErrorCode::kCancelled)) << report.status();
  }
  VerifyOptions never;
  never.trust_anchors_pem = anchors_;
  int asked = 0;
  never.cancelled = [&] { return ++asked < 0; };
  absl::StatusOr<VerificationReport> report = VerifyPdf(padded, never);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->all_passed()) << report->ToText();
  EXPECT_GT(asked, 8) << "asked per MiB of the padding, at least";
}

// Adobe Reader, iText and pyHanko rewrite /Info (ModDate) and the XMP packet with every
// signature: permitted metadata, whatever the DocMDP level (issue 23). The same update that
// also redefines a page's content still fails.
TEST_F(ChangeAnalysis, InfoAndXmpUpdatedBetweenSignaturesArePermitted) {
  const std::string certified = dir_ + "/certified.pdf";
  SignOptions options;
  options.certification = 1;
  Sign(plain_, certified, options);
  const auto facts = ReadRevisionFacts(certified);
  const std::string xmp_packet =
      "<?xpacket begin=\"\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?><x:xmpmeta xmlns:x=\"adobe:ns:meta/\">"
      "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"/></x:xmpmeta>"
      "<?xpacket end=\"w\"?>";
  for (const bool also_content : {false, true}) {
    SCOPED_TRACE(also_content);
    const std::string path =
        Copy(certified, also_content ? "metadata-and-content.pdf" : "metadata.pdf");
    // As Adobe Reader does: the /Info dictionary redefined in place, a new XMP stream.
    const std::string bytes = ReadFileBytes(path);
    const size_t key = bytes.rfind("/Info ");
    ASSERT_NE(key, std::string::npos);
    const int info = std::stoi(bytes.substr(key + 6));
    const int xmp = facts.size;
    std::map<int, std::string> o;
    o[info] = "<< /Producer (Adobe Acrobat) /ModDate (D:20261204100000+07'00') >>";
    o[xmp] = StreamObject(xmp_packet, "/Type /Metadata /Subtype /XML");
    o[facts.catalog] = EditedObject(path, facts.catalog, [&](PoDoFo::PdfObject& c) {
      c.GetDictionary().AddKey("Metadata", PoDoFo::PdfReference(xmp, 0));
    });
    if (also_content) o[facts.contents[0]] = StreamObject("BT /F1 40 Tf 100 400 Td (X) Tj ET");
    AppendUpdate(path, o);
    VerificationReport report = Verify(path);
    ASSERT_EQ(report.signatures.size(), 1u);
    const SignatureReport& s = report.signatures[0];
    const DetectedChange* metadata = Find(s, "Document metadata updated (/Info, XMP)");
    ASSERT_NE(metadata, nullptr) << report.ToText();
    EXPECT_TRUE(metadata->permitted);
    EXPECT_EQ(metadata->kind, "metadata");
    EXPECT_EQ(s.indication, also_content ? "TOTAL-FAILED" : "TOTAL-PASSED") << report.ToText();
  }
}

// A cross-reference stream with 8-byte offsets (/W [1 8 2], as pdfstamp writes them; PoDoFo
// 0.9.8 reads at most 4 bytes a field and called the file unreadable): signed twice, the original
// bytes kept, each signature checked by qpdf, pdfsig and taicho (issue 23: sign what other tools
// write).
TEST_F(ChangeAnalysis, CrossReferenceStreamWithWideFieldsIsSigned) {
  const std::vector<std::string> bodies = {
      "<< /Type /Catalog /Pages 3 0 R >>",
      "<< /Producer (pdfstamp) >>",
      "<< /Type /Pages /Count 1 /Kids [5 0 R] >>",
      StreamObject("BT /F1 18 Tf 20 60 Td (Hello world) Tj ET"),
      "<< /Type /Page /MediaBox [0 0 300 144] /Parent 3 0 R /Contents 4 0 R /Resources << /Font "
      "<< /F1 << /Type /Font /Subtype /Type1 /BaseFont /Courier >> >> >> >>",
  };
  std::string file = "%PDF-1.7\n";
  std::vector<int64_t> offsets;
  for (size_t i = 0; i < bodies.size(); ++i) {
    offsets.push_back(static_cast<int64_t>(file.size()));
    file += std::to_string(i + 1) + " 0 obj\n" + bodies[i] + "\nendobj\n";
  }
  const int64_t xref_at = static_cast<int64_t>(file.size());
  offsets.push_back(xref_at);
  std::string rows;
  auto row = [&](int type, int64_t field2, int field3) {
    rows.push_back(static_cast<char>(type));
    for (int b = 7; b >= 0; --b) rows.push_back(static_cast<char>((field2 >> (8 * b)) & 0xFF));
    rows.push_back(static_cast<char>((field3 >> 8) & 0xFF));
    rows.push_back(static_cast<char>(field3 & 0xFF));
  };
  row(0, 0, 65535);
  for (int64_t o : offsets) row(1, o, 0);
  file += "6 0 obj\n<< /Type /XRef /W [1 8 2] /Size 7 /Root 1 0 R /Info 2 0 R /Length " +
          std::to_string(rows.size()) + " >>\nstream\n" + rows +
          "\nendstream\nendobj\nstartxref\n" + std::to_string(xref_at) + "\n%%EOF\n";
  const std::string wide = dir_ + "/wide-xref.pdf";
  std::ofstream(wide, std::ios::binary) << file;
  std::string check;
  ASSERT_TRUE(taicho::testing::QpdfCheckPasses(wide, &check)) << check;

  const std::string once = dir_ + "/wide-once.pdf";
  Sign(wide, once, {});
  EXPECT_EQ(ReadFileBytes(once).substr(0, file.size()), file) << "the original bytes are kept";
  ExpectSealedAgainPasses(once, "wide-twice.pdf");
}

// A field's appearance stream that something else also uses (here the catalog's /FooBar, as in
// pyHanko's "sneaky" files): overriding it in place to fill the field changes that too, and is
// not permitted, naming where else it is used (issue 23).
TEST_F(ChangeAnalysis, OverridingAnAppearanceUsedElsewhereFails) {
  const std::string draft = Copy(plain_, "draft.pdf");
  const int so = AddEmptyTextField(draft);
  const auto facts = ReadRevisionFacts(draft);
  const int shared = facts.size;
  {
    std::map<int, std::string> o;
    o[shared] = TextAppearance("");
    o[so] = EditedObject(draft, so, [&](PoDoFo::PdfObject& f) {
      PoDoFo::PdfDictionary ap;
      ap.AddKey("N", PoDoFo::PdfReference(shared, 0));
      f.GetDictionary().AddKey("AP", ap);
    });
    o[facts.catalog] = EditedObject(draft, facts.catalog, [&](PoDoFo::PdfObject& c) {
      c.GetDictionary().AddKey("FooBar", PoDoFo::PdfReference(shared, 0));
    });
    AppendUpdate(draft, o);
  }
  const std::string signed_pdf = dir_ + "/signed.pdf";
  Sign(draft, signed_pdf, {});
  for (const bool sneaky : {false, true}) {
    SCOPED_TRACE(sneaky);
    const std::string path = Copy(signed_pdf, sneaky ? "override.pdf" : "new-appearance.pdf");
    std::map<int, std::string> o;
    if (sneaky) {
      o[shared] = TextAppearance("05");  // the shared stream itself redefined
      o[so] = EditedObject(path, so, [&](PoDoFo::PdfObject& f) {
        f.GetDictionary().AddKey("V", PoDoFo::PdfString("05"));
      });
    } else {
      o = FieldFill(path, so, "05", "05");  // a new stream: what /FooBar names is unchanged
    }
    AppendUpdate(path, o);
    VerificationReport report = Verify(path);
    ASSERT_EQ(report.signatures.size(), 1u);
    const SignatureReport& s = report.signatures[0];
    if (!sneaky) {
      EXPECT_EQ(s.indication, "TOTAL-PASSED") << report.ToText();
      continue;
    }
    EXPECT_EQ(s.indication, "TOTAL-FAILED") << report.ToText();
    const DetectedChange* c =
        Find(s, "overrides objects used elsewhere too: " + std::to_string(shared) + " (object " +
                    std::to_string(facts.catalog) + " .FooBar)");
    ASSERT_NE(c, nullptr) << report.ToText();
    EXPECT_FALSE(c->permitted);
  }
}

// Everything an analysis says, as one string to compare.
std::string Describe(const absl::StatusOr<std::vector<SignatureChanges>>& changes) {
  if (!changes.ok()) return "error: " + changes.status().ToString();
  std::string out;
  for (const SignatureChanges& s : *changes) {
    out += "P=" + std::to_string(s.certification_p) + " in force " +
           std::to_string(s.docmdp_in_force) + (s.all_permitted ? " ok\n" : " NOT ok\n");
    for (const DetectedChange& c : s.changes) {
      out += "  " + c.kind + (c.permitted ? " + " : " - ") + c.text_en + " [";
      for (int64_t o : c.objects) out += std::to_string(o) + " ";
      out += "]\n";
    }
    for (const std::string& p : s.problems) out += "  problem: " + p + "\n";
  }
  return out;
}

// What the signature reader reads, all fields but the DER as one string to compare.
std::string Describe(const absl::StatusOr<std::vector<pdf::EmbeddedSignature>>& sigs) {
  if (!sigs.ok()) return "error: " + sigs.status().ToString();
  std::string out;
  for (const pdf::EmbeddedSignature& s : *sigs) {
    out += s.field_name + "|" + s.type + "|" + s.sub_filter + "|" + s.signing_time + "|" +
           s.reason + "|" + s.location + "|" + s.signer_name + "|" +
           std::to_string(s.byte_range[0]) + " " + std::to_string(s.byte_range[1]) + " " +
           std::to_string(s.byte_range[2]) + " " + std::to_string(s.byte_range[3]) + "|" +
           std::to_string(s.contents.size()) + "|" + (s.covers_whole_file ? "whole" : "part") +
           "|" + s.byte_range_problem + "|" + std::to_string(s.page_index) + "\n";
  }
  return out;
}

// Signature dictionaries are read without their /Contents (pdf/signature_dictionary.h): by the
// signature reader and the change analysis in the final revision, and, given the signatures'
// ByteRanges, in each signed revision. Both must say exactly what they say from PoDoFo's whole
// reading: on the attack corpus, on certifications made here, and with gaps that frame
// something other than a /Contents hex string.
TEST_F(ChangeAnalysis, SignaturesReadWithoutContentsSayWhatTheWholeReadingSays) {
  std::vector<std::string> files;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(TAICHO_SOURCE_DIR) + "/tests/attacks")) {
    if (entry.path().extension() == ".pdf") files.push_back(entry.path().string());
  }
  for (int p : {1, 2, 3}) {
    const std::string certified = dir_ + "/certified-" + std::to_string(p) + ".pdf";
    SignOptions options;
    options.certification = p;
    Sign(plain_, certified, options);
    const std::string sealed = dir_ + "/sealed-" + std::to_string(p) + ".pdf";
    Sign(certified, sealed, {}, /*seal=*/true);
    files.push_back(sealed);
  }
  int certified_seen = 0;
  for (const std::string& file : files) {
    SCOPED_TRACE(file);
    absl::StatusOr<pdf::ParsedPdf> whole = pdf::ParsedPdf::Open(file, 1000, true);
    absl::StatusOr<pdf::ParsedPdf> parsed = pdf::ParsedPdf::Open(file);
    ASSERT_EQ(parsed.ok(), whole.ok());
    if (!parsed.ok()) continue;  // refused before any analysis, either way
    absl::StatusOr<std::vector<pdf::EmbeddedSignature>> sigs = pdf::ReadSignatures(*whole);
    EXPECT_EQ(Describe(pdf::ReadSignatures(*parsed)), Describe(sigs));
    if (!sigs.ok()) continue;
    std::vector<int64_t> ends;
    std::vector<pdf::ByteRange> ranges;
    for (const pdf::EmbeddedSignature& sig : *sigs) {
      ends.push_back(sig.byte_range[2] + sig.byte_range[3]);
      ranges.push_back(sig.byte_range);
    }
    const std::string expected = Describe(AnalyzeChangesAfterSignatures(*whole, ends));
    EXPECT_EQ(Describe(AnalyzeChangesAfterSignatures(*parsed, ranges)), expected);
    if (expected.find("P=1 ") != std::string::npos || expected.find("P=2 ") != std::string::npos ||
        expected.find("P=3 ") != std::string::npos) {
      ++certified_seen;
    }
    // Gaps shifted into and out of the hex string: the same revisions, other bytes framed.
    for (int64_t shift : {-1, 1, 2}) {
      std::vector<pdf::ByteRange> moved = ranges;
      for (pdf::ByteRange& br : moved) br[1] += shift;
      EXPECT_EQ(Describe(AnalyzeChangesAfterSignatures(*parsed, moved)), expected) << shift;
    }
    // Each gap moved to another hex string of its revision that follows the signature's (e.g.
    // the trailer's /ID): a well-formed gap the dictionary's parse never reaches.
    std::ifstream in(file, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<pdf::ByteRange> elsewhere = ranges;
    int moved_to_other_hex = 0;
    for (pdf::ByteRange& br : elsewhere) {
      const int64_t end = br[2] + br[3];
      if (br[2] <= 0 || end > static_cast<int64_t>(bytes.size())) continue;
      for (size_t at = bytes.find('<', br[2]); at != std::string::npos && at < size_t(end);
           at = bytes.find('<', at + 1)) {
        size_t close = at + 1;
        while (close < size_t(end) && std::isxdigit(static_cast<unsigned char>(bytes[close]))) {
          ++close;
        }
        if (close < size_t(end) && bytes[close] == '>' && close > at + 2 && bytes[at - 1] != '<') {
          br = {br[0], int64_t(at), int64_t(close + 1), end - int64_t(close + 1)};
          ++moved_to_other_hex;
          break;
        }
      }
    }
    if (moved_to_other_hex > 0) {
      EXPECT_EQ(Describe(AnalyzeChangesAfterSignatures(*parsed, elsewhere)), expected);
    }
  }
  EXPECT_GE(certified_seen, 3);
}

}  // namespace
}  // namespace taicho::pades
