// identity/names.h: a name on the page against a certificate's (issue 17).
#include "errors/error.h"
#include "gtest/gtest.h"
#include "identity/names.h"

namespace taicho::identity {
namespace {

// One comparison and what it must answer.
struct Case {
  const char* page;
  const char* certificate;
  bool same;
};

TEST(PersonName, NfcAndSpacesAsideDiacriticsAndCaseExact) {
  for (const Case& c : {
           Case{"Nguyễn Văn An", "Nguyễn Văn An", true},
           // Decomposed marks (NFD, as some keyboards and macOS file names write them) are the
           // same name.
           Case{"Nguye\xcc\x82\xcc\x83n Va\xcc\x86n An", "Nguyễn Văn An", true},
           Case{"  Nguyễn  Văn An ", "Nguyễn Văn An", true},
           Case{"Nguyễn Văn Ân", "Nguyễn Văn An", false},
           Case{"Nguyen Van An", "Nguyễn Văn An", false},
           Case{"NGUYỄN VĂN AN", "Nguyễn Văn An", false},
           Case{"Nguyễn Văn Bình", "Nguyễn Văn An", false},
       }) {
    EXPECT_EQ(SamePersonName(c.page, c.certificate), c.same) << c.page;
  }
}

TEST(Agency, CaseAndTheAbbreviationUbndAside) {
  const char* lp = "ỦY BAN NHÂN DÂN XÃ LONG PHƯỚC";
  for (const Case& c : {
           Case{lp, "UBND xã Long Phước", true},
           Case{lp, "Ủy ban nhân dân xã Long Phước", true},
           Case{lp, "UBND xã Xuyên Mộc", false},
           Case{lp, "UBND huyện Cần Giuộc", false},
           // Only the whole word: "UBNDX" is not an abbreviation.
           Case{"ỦY BAN NHÂN DÂN XÃ A", "UBNDX xã A", false},
       }) {
    EXPECT_EQ(SameAgency(c.page, c.certificate), c.same) << c.certificate;
  }
}

TEST(Checks, CodesAndMessagesNameBothSides) {
  EXPECT_TRUE(CheckSignerName("Nguyễn Văn An", "Nguyễn Văn An").ok());
  absl::Status s = CheckSignerName("Nguyễn Văn Bình", "Nguyễn Văn An");
  EXPECT_TRUE(HasCode(s, ErrorCode::kSignerNameMismatch)) << s;
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("Nguyễn Văn Bình"), std::string::npos);
  EXPECT_NE(s.message().find("Nguyễn Văn An"), std::string::npos);
  EXPECT_TRUE(HasCode(CheckSignerName("", "Nguyễn Văn An"), ErrorCode::kSignerNameMismatch));

  const std::string lp = "ỦY BAN NHÂN DÂN XÃ LONG PHƯỚC";
  EXPECT_TRUE(CheckSealAgency(lp, "", "UBND xã Long Phước").ok());
  // The configured agency decides over the certificate's O.
  EXPECT_TRUE(CheckSealAgency(lp, "Ủy ban nhân dân xã Long Phước", "Ban Cơ yếu").ok());
  s = CheckSealAgency(lp, "ỦY BAN NHÂN DÂN XÃ XUYÊN MỘC", "UBND xã Long Phước");
  EXPECT_TRUE(HasCode(s, ErrorCode::kAgencyMismatch)) << s;
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("XUYÊN MỘC"), std::string::npos) << s;
  EXPECT_TRUE(HasCode(CheckSealAgency(lp, "", "UBND xã Xuyên Mộc"), ErrorCode::kAgencyMismatch));
  // Nothing says whose seal it is.
  EXPECT_TRUE(HasCode(CheckSealAgency(lp, "", ""), ErrorCode::kAgencyMismatch));
}

}  // namespace
}  // namespace taicho::identity
