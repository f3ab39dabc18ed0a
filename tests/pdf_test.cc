// pdf/: the incremental update, the placeholder and the reader, on real files, checked with qpdf.
#include <fcntl.h>
#include <unistd.h>

#include <cctype>
#include <fstream>
#include <set>
#include <sstream>

#include "errors/error.h"
#include "gtest/gtest.h"
#include "pdf/pdf_source.h"
#include "pdf/signature_reader.h"
#include "pdf/signature_update.h"
#include "pdf/signature_update_objects.h"
#include "tests/support/checkers.h"
#include "tests/support/commands.h"
#include "tests/support/pki_fixture.h"
#include "tests/support/sample_pdf.h"

namespace taicho::pdf {
namespace {

using namespace taicho::testing;

// The object number N in "<prefix>N 0 R" of qpdf's output.
int ObjectNumberOf(const std::string& path, const std::string& qpdf_args,
                   const std::string& prefix) {
  auto r = Sh("qpdf " + qpdf_args + " " + Quote(path));
  const size_t at = r.output.find(prefix);
  if (at == std::string::npos) return -1;
  return std::atoi(r.output.c_str() + at + prefix.size());
}

// Writes an update with a fake DER payload to `out`.
absl::StatusOr<PreparedUpdate> AddFakeSignature(const std::string& in, const std::string& out,
                                                SignatureFieldSpec spec = {}) {
  int fd = ::open(out.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
  EXPECT_GE(fd, 0);
  spec.signing_time = PdfDateVietnam(1790000000);
  spec.reason = "Phê duyệt kết quả";
  spec.contents_capacity = 256;
  absl::StatusOr<PreparedUpdate> u = WriteSignatureUpdate(in, fd, spec);
  if (u.ok()) {
    // A small DER SEQUENCE standing in for a CMS.
    const std::vector<uint8_t> der = {0x30, 0x03, 0x02, 0x01, 0x07};
    EXPECT_TRUE(EmbedContents(fd, *u, der).ok());
  }
  ::close(fd);
  return u;
}

class PdfUpdateTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("pdf");
    const std::string plain = dir_ + "/plain.pdf";
    taicho::testing::WriteSamplePdf(plain, 2);
    input_ = dir_ + "/input.pdf";
    if (GetParam() == "plain") {
      input_ = plain;
    } else if (GetParam() == "objstm") {
      taicho::testing::RewriteWithObjectStreams(plain, input_);
    } else {
      taicho::testing::Linearize(plain, input_);
    }
  }
  std::string dir_, input_;
};

TEST_P(PdfUpdateTest, UpdateRedefinesOnlyPageAndFormObjects) {
  const std::string one = dir_ + "/one.pdf";
  const std::string two = dir_ + "/two.pdf";
  const size_t size0 = Slurp(input_).size();
  const std::set<int> before = ObjectsOf(input_);
  const int page = ObjectNumberOf(input_, "--show-pages", "page 1: ");
  const int root = ObjectNumberOf(input_, "--show-object=trailer", "/Root ");
  ASSERT_GT(page, 0);
  ASSERT_GT(root, 0);

  absl::StatusOr<PreparedUpdate> u1 = AddFakeSignature(input_, one);
  ASSERT_TRUE(u1.ok()) << u1.status();
  // The original bytes are untouched.
  EXPECT_EQ(Slurp(one).substr(0, size0), Slurp(input_));
  std::set<int> redefined;
  for (int n : ObjectsDefinedAfter(one, size0)) {
    if (before.count(n)) redefined.insert(n);
  }
  EXPECT_EQ(redefined, (std::set<int>{page, root}));
  std::string out;
  EXPECT_TRUE(taicho::testing::QpdfCheckPasses(one, &out)) << out;

  // A second field on page 2: the new AcroForm object and that page change, nothing else.
  const size_t size1 = Slurp(one).size();
  const std::set<int> before2 = ObjectsOf(one);
  const int page2 = ObjectNumberOf(one, "--show-pages", "page 2: ");
  SignatureFieldSpec spec;
  spec.page_index = 1;
  absl::StatusOr<PreparedUpdate> u2 = AddFakeSignature(one, two, spec);
  ASSERT_TRUE(u2.ok()) << u2.status();
  redefined.clear();
  for (int n : ObjectsDefinedAfter(two, size1)) {
    if (before2.count(n)) redefined.insert(n);
  }
  EXPECT_EQ(redefined.count(page2), 1u);
  EXPECT_EQ(redefined.count(root), 0u) << "catalog must not change when the form exists";
  EXPECT_EQ(redefined.size(), 2u);
  EXPECT_TRUE(taicho::testing::QpdfCheckPasses(two, &out)) << out;

  absl::StatusOr<std::vector<EmbeddedSignature>> sigs = ReadSignatures(two);
  ASSERT_TRUE(sigs.ok()) << sigs.status();
  ASSERT_EQ(sigs->size(), 2u);
  EXPECT_EQ((*sigs)[0].field_name, "Signature1");
  EXPECT_EQ((*sigs)[1].field_name, "Signature2");
  EXPECT_EQ((*sigs)[1].page_index, 1);
  EXPECT_FALSE((*sigs)[0].covers_whole_file);
  EXPECT_TRUE((*sigs)[1].covers_whole_file);
  EXPECT_EQ((*sigs)[1].reason, "Phê duyệt kết quả");
  EXPECT_EQ((*sigs)[1].sub_filter, "ETSI.CAdES.detached");
  EXPECT_EQ((*sigs)[1].contents, (std::vector<uint8_t>{0x30, 0x03, 0x02, 0x01, 0x07}));
  EXPECT_EQ((*sigs)[0].byte_range, u1->byte_range);
  for (const auto& s : *sigs) EXPECT_TRUE(s.byte_range_problem.empty()) << s.byte_range_problem;
}

INSTANTIATE_TEST_SUITE_P(Inputs, PdfUpdateTest, ::testing::Values("plain", "objstm", "linearized"));

// The update written from the objects read straight through the file's cross-reference
// (pdf/signature_update_objects.h) is the update written from PoDoFo's load of the whole
// document, byte for byte: a new field, an officer's certification filling a draft's empty
// field, a locking seal filling the next one. A file with object streams is left to the load.
TEST(PdfUpdate, ReadingThroughTheCrossReferenceWritesTheSameUpdate) {
  const std::string dir = MakeTempDir("xref-update");
  const std::string draft = dir + "/draft.pdf";
  taicho::testing::WriteSamplePdfWithEmptyFields(
      draft, 2, {{"officer", 1, 300, 600, 500, 700}, {"seal", 1, 280, 590, 400, 720}});
  auto write = [&](UpdateReading reading, const std::string& in, const std::string& out,
                   const SignatureFieldSpec& spec) -> absl::StatusOr<std::string> {
    const int fd = ::open(out.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
    EXPECT_GE(fd, 0);
    SignatureFieldSpec s = spec;
    s.signing_time = PdfDateVietnam(1790000000);
    s.contents_capacity = 256;
    absl::StatusOr<PreparedUpdate> u = WriteSignatureUpdateReading(reading, in, fd, s);
    if (u.ok()) {
      EXPECT_TRUE(EmbedContents(fd, *u, std::vector<uint8_t>{0x30, 0x00}).ok());
    }
    ::close(fd);
    if (!u.ok()) return u.status();
    return Slurp(out);
  };
  SignatureFieldSpec new_field;
  new_field.page_index = 1;
  new_field.rect = {100, 100, 200, 150};
  SignatureFieldSpec officer;
  officer.field_name = "officer";
  officer.certification = 2;
  SignatureFieldSpec seal;
  seal.field_name = "seal";
  seal.lock_fields = true;
  const std::string certified = dir + "/certified.pdf";
  struct Step {
    std::string in;
    SignatureFieldSpec spec;
    std::string out;
  };
  for (const Step& step :
       {Step{draft, new_field, dir + "/new.pdf"}, Step{draft, officer, certified},
        Step{certified, seal, dir + "/sealed.pdf"}}) {
    absl::StatusOr<std::string> loaded =
        write(UpdateReading::kLoadedOnly, step.in, step.out + ".loaded", step.spec);
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    absl::StatusOr<std::string> read =
        write(UpdateReading::kXrefOnly, step.in, step.out, step.spec);
    ASSERT_TRUE(read.ok()) << step.out << ": " << read.status();
    EXPECT_EQ(*read, *loaded) << step.out;
    std::string out;
    EXPECT_TRUE(taicho::testing::QpdfCheckPasses(step.out, &out)) << out;
  }
  // Errors are the same too: the field is signed already.
  absl::StatusOr<std::string> again =
      write(UpdateReading::kXrefOnly, certified, dir + "/again.pdf", officer);
  EXPECT_TRUE(HasCode(again.status(), ErrorCode::kUsage)) << again.status();

  const std::string objstm = dir + "/objstm.pdf";
  taicho::testing::RewriteWithObjectStreams(draft, objstm);
  EXPECT_TRUE(HasCode(write(UpdateReading::kXrefOnly, objstm, dir + "/o.pdf", officer).status(),
                      ErrorCode::kPdfUnsupported));
  absl::StatusOr<std::string> fallback =
      write(UpdateReading::kAuto, objstm, dir + "/o.pdf", officer);
  ASSERT_TRUE(fallback.ok()) << fallback.status();
  absl::StatusOr<std::string> loaded =
      write(UpdateReading::kLoadedOnly, objstm, dir + "/o.loaded.pdf", officer);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(*fallback, *loaded);
}

// Files up to 1 MiB are read whole, larger ones through the descriptor (pdf/pdf_source.h): both
// keep the original bytes, start the update on a new line when the file ends without one, and
// give a file qpdf accepts with the signature over all of it.
TEST(PdfUpdate, SmallAndLargeInputsEndingWithoutALineBreak) {
  const std::string dir = MakeTempDir("source");
  for (const int megabytes : {0, 2}) {
    const std::string made = dir + "/made" + std::to_string(megabytes) + ".pdf";
    if (megabytes == 0) {
      taicho::testing::WriteSamplePdf(made, 1);
    } else {
      taicho::testing::WriteLargePdf(made, megabytes);
    }
    std::string bytes = Slurp(made);
    while (!bytes.empty() && (bytes.back() == '\n' || bytes.back() == '\r')) bytes.pop_back();
    ASSERT_TRUE(bytes.ends_with("%%EOF"));
    EXPECT_EQ(bytes.size() > (1u << 20), megabytes > 0);
    const std::string in = dir + "/in" + std::to_string(megabytes) + ".pdf";
    std::ofstream(in, std::ios::binary) << bytes;
    const std::string out = dir + "/out" + std::to_string(megabytes) + ".pdf";

    absl::StatusOr<PreparedUpdate> u = AddFakeSignature(in, out);
    ASSERT_TRUE(u.ok()) << megabytes << " MiB: " << u.status();
    const std::string written = Slurp(out);
    EXPECT_EQ(written.substr(0, bytes.size()), bytes) << megabytes;
    EXPECT_EQ(written[bytes.size()], '\n') << megabytes;
    EXPECT_EQ(u->byte_range[2] + u->byte_range[3], static_cast<int64_t>(written.size()));
    std::string check;
    EXPECT_TRUE(taicho::testing::QpdfCheckPasses(out, &check)) << megabytes << ": " << check;
    absl::StatusOr<std::vector<EmbeddedSignature>> sigs = ReadSignatures(out);
    ASSERT_TRUE(sigs.ok()) << sigs.status();
    ASSERT_EQ(sigs->size(), 1u);
    EXPECT_TRUE((*sigs)[0].covers_whole_file) << megabytes;
  }
}

TEST(PdfUpdate, RejectsBadInputWithoutCrashing) {
  const std::string dir = MakeTempDir("bad");
  struct Case {
    std::string name;
    std::string bytes;
  };
  std::string random(4096, '\0');
  for (size_t i = 0; i < random.size(); ++i) random[i] = static_cast<char>((i * 7919 + 13) % 251);
  const std::string sample = dir + "/sample.pdf";
  taicho::testing::WriteSamplePdf(sample, 1);
  const std::string good = Slurp(sample);
  std::vector<Case> cases = {
      {"empty", ""},
      {"random", random},
      {"header-only", "%PDF-1.7\n"},
      {"truncated", good.substr(0, good.size() / 2)},
      {"no-trailer", good.substr(0, good.rfind("trailer"))},
      {"bad-startxref", good.substr(0, good.rfind("startxref")) + "startxref\n999999999\n%%EOF\n"},
  };
  for (const Case& c : cases) {
    const std::string in = dir + "/" + c.name + ".pdf";
    std::ofstream(in, std::ios::binary) << c.bytes;
    absl::StatusOr<PreparedUpdate> u = AddFakeSignature(in, dir + "/" + c.name + ".out.pdf");
    EXPECT_FALSE(u.ok()) << c.name;
    EXPECT_TRUE(HasCode(u.status(), ErrorCode::kPdfUnreadable)) << c.name << ": " << u.status();
    absl::StatusOr<std::vector<EmbeddedSignature>> r = ReadSignatures(in);
    EXPECT_FALSE(r.ok()) << c.name;
  }
}

TEST(PdfUpdate, EncryptedPdfIsRefused) {
  const std::string dir = MakeTempDir("enc");
  const std::string plain = dir + "/plain.pdf", enc = dir + "/enc.pdf";
  taicho::testing::WriteSamplePdf(plain, 1);
  auto r = Sh("qpdf --encrypt user owner 256 -- " + Quote(plain) + " " + Quote(enc));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  absl::StatusOr<PreparedUpdate> u = AddFakeSignature(enc, dir + "/out.pdf");
  ASSERT_FALSE(u.ok());
  EXPECT_TRUE(HasCode(u.status(), ErrorCode::kPdfEncrypted)) << u.status();
  // RC4 (PoDoFo fails on it through OpenSSL 3 with another error), with and without a user
  // password: encrypted all the same, for the signer and the verifier's reader.
  for (const std::string user : {"user", ""}) {
    const std::string rc4 = dir + "/rc4-" + user + ".pdf";
    r = Sh("qpdf --allow-weak-crypto --encrypt '" + user + "' owner 128 --use-aes=n -- " +
           Quote(plain) + " " + Quote(rc4));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    u = AddFakeSignature(rc4, dir + "/out-rc4.pdf");
    ASSERT_FALSE(u.ok());
    EXPECT_TRUE(HasCode(u.status(), ErrorCode::kPdfEncrypted)) << user << ": " << u.status();
    absl::StatusOr<std::vector<EmbeddedSignature>> read = ReadSignatures(rc4);
    ASSERT_FALSE(read.ok());
    EXPECT_TRUE(HasCode(read.status(), ErrorCode::kPdfEncrypted)) << user << ": " << read.status();
  }
}

// Where the last revision ends: after its last %%EOF and that line's end, whatever follows.
TEST(PdfSource, LastRevisionEndSkipsWhatFollowsTheLastMarker) {
  const std::string dir = MakeTempDir("eof");
  const std::string sample = dir + "/sample.pdf";
  taicho::testing::WriteSamplePdf(sample, 1);
  std::string good = Slurp(sample);
  while (!good.empty() && (good.back() == '\n' || good.back() == '\r')) good.pop_back();
  struct Case {
    std::string name, tail;
    size_t revision_extra;  // bytes of `tail` that belong to the revision
  };
  const std::vector<Case> cases = {
      {"none", "", 0},
      {"lf", "\n", 1},
      {"crlf", "\r\n", 2},
      {"cr-zeros", "\r" + std::string(5000, '\0'), 1},
      // Padding past one block (64 KiB) and a marker across the blocks' boundary are found.
      {"lf-big", "\n" + std::string((1 << 17) + 3, ' '), 1},
  };
  for (const Case& c : cases) {
    const std::string path = dir + "/" + c.name + ".pdf";
    std::ofstream(path, std::ios::binary) << good << c.tail;
    absl::StatusOr<PdfSource> source = PdfSource::Open(path);
    ASSERT_TRUE(source.ok()) << source.status();
    absl::StatusOr<int64_t> end = LastRevisionEnd(*source, source->size());
    ASSERT_TRUE(end.ok()) << c.name << ": " << end.status();
    EXPECT_EQ(*end, static_cast<int64_t>(good.size() + c.revision_extra)) << c.name;
  }
  for (size_t cut = 1; cut <= 5; ++cut) {  // the marker split by the block boundary
    const std::string path = dir + "/split" + std::to_string(cut) + ".pdf";
    const std::string padded = good + std::string((1 << 16) - 5 + cut, 'x');
    std::ofstream(path, std::ios::binary) << padded;
    absl::StatusOr<PdfSource> source = PdfSource::Open(path);
    ASSERT_TRUE(source.ok());
    absl::StatusOr<int64_t> end = LastRevisionEnd(*source, source->size());
    ASSERT_TRUE(end.ok()) << cut;
    EXPECT_EQ(*end, static_cast<int64_t>(good.size())) << cut;
  }
  const std::string none = dir + "/no-marker.pdf";
  std::ofstream(none, std::ios::binary) << good.substr(0, good.size() - 5);
  absl::StatusOr<PdfSource> source = PdfSource::Open(none);
  ASSERT_TRUE(source.ok());
  absl::StatusOr<int64_t> end = LastRevisionEnd(*source, source->size());
  EXPECT_TRUE(HasCode(end.status(), ErrorCode::kPdfUnreadable)) << end.status();
}

TEST(PdfUpdate, PageOutOfRangeAndDuplicateFieldName) {
  const std::string dir = MakeTempDir("page");
  const std::string in = dir + "/in.pdf";
  taicho::testing::WriteSamplePdf(in, 2);
  SignatureFieldSpec spec;
  spec.page_index = 2;
  absl::StatusOr<PreparedUpdate> u = AddFakeSignature(in, dir + "/o.pdf", spec);
  ASSERT_FALSE(u.ok());
  EXPECT_TRUE(HasCode(u.status(), ErrorCode::kPdfPageOutOfRange));
  spec.page_index = 0;
  spec.field_name = "Officer";
  ASSERT_TRUE(AddFakeSignature(in, dir + "/one.pdf", spec).ok());
  u = AddFakeSignature(dir + "/one.pdf", dir + "/two.pdf", spec);
  ASSERT_FALSE(u.ok());
  EXPECT_TRUE(HasCode(u.status(), ErrorCode::kUsage));
}

TEST(PdfUpdate, OversizedSignatureIsRefused) {
  const std::string dir = MakeTempDir("big");
  const std::string in = dir + "/in.pdf", out = dir + "/out.pdf";
  taicho::testing::WriteSamplePdf(in, 1);
  int fd = ::open(out.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
  SignatureFieldSpec spec;
  spec.contents_capacity = 16;
  absl::StatusOr<PreparedUpdate> u = WriteSignatureUpdate(in, fd, spec);
  ASSERT_TRUE(u.ok()) << u.status();
  std::vector<uint8_t> der(17, 0x30);
  absl::Status st = EmbedContents(fd, *u, der);
  ::close(fd);
  EXPECT_TRUE(HasCode(st, ErrorCode::kSignatureTooLarge)) << st;
}

TEST(PdfUpdate, ByteRangeThatDoesNotFrameContentsIsReported) {
  const std::string dir = MakeTempDir("confuse");
  const std::string in = dir + "/in.pdf", one = dir + "/one.pdf", bad = dir + "/bad.pdf";
  taicho::testing::WriteSamplePdf(in, 1);
  absl::StatusOr<PreparedUpdate> u = AddFakeSignature(in, one);
  ASSERT_TRUE(u.ok());
  // Shift the ByteRange so the gap no longer matches /Contents (same length, other bytes).
  std::string bytes = Slurp(one);
  const std::string original =
      "[0 " + std::to_string(u->byte_range[1]) + " " + std::to_string(u->byte_range[2]) + " ";
  const size_t at = bytes.find(original);
  ASSERT_NE(at, std::string::npos);
  const std::string shifted = "[0 " + std::to_string(u->byte_range[1] - 10) + " " +
                              std::to_string(u->byte_range[2] - 10) + " ";
  ASSERT_EQ(shifted.size(), original.size());
  bytes.replace(at, original.size(), shifted);
  std::ofstream(bad, std::ios::binary) << bytes;
  absl::StatusOr<std::vector<EmbeddedSignature>> sigs = ReadSignatures(bad);
  ASSERT_TRUE(sigs.ok()) << sigs.status();
  ASSERT_EQ(sigs->size(), 1u);
  EXPECT_FALSE((*sigs)[0].byte_range_problem.empty());
}

}  // namespace
}  // namespace taicho::pdf
