// identity/names.h: a name on the page against a certificate's (issue 17).
#include "errors/error.h"
#include "gtest/gtest.h"
#include "identity/names.h"

namespace taicho::identity {
namespace {

TEST(PersonName, NfcAndSpacesAsideDiacriticsAndCaseExact) {
  EXPECT_TRUE(SamePersonName("Nguyễn Văn An", "Nguyễn Văn An"));
  // Decomposed marks (NFD, as some keyboards and macOS file names write them) are the same name.
  EXPECT_TRUE(SamePersonName("Nguye\xcc\x82\xcc\x83n Va\xcc\x86n An", "Nguyễn Văn An"));
  EXPECT_TRUE(SamePersonName("  Nguyễn  Văn An ", "Nguyễn Văn An"));
  EXPECT_FALSE(SamePersonName("Nguyễn Văn Ân", "Nguyễn Văn An"));
  EXPECT_FALSE(SamePersonName("Nguyen Van An", "Nguyễn Văn An"));
  EXPECT_FALSE(SamePersonName("NGUYỄN VĂN AN", "Nguyễn Văn An"));
  EXPECT_FALSE(SamePersonName("Nguyễn Văn Bình", "Nguyễn Văn An"));
}

TEST(Agency, CaseAndTheAbbreviationUbndAside) {
  EXPECT_TRUE(SameAgency("ỦY BAN NHÂN DÂN XÃ LONG PHƯỚC", "UBND xã Long Phước"));
  EXPECT_TRUE(SameAgency("ỦY BAN NHÂN DÂN XÃ LONG PHƯỚC", "Ủy ban nhân dân xã Long Phước"));
  EXPECT_FALSE(SameAgency("ỦY BAN NHÂN DÂN XÃ LONG PHƯỚC", "UBND xã Xuyên Mộc"));
  EXPECT_FALSE(SameAgency("ỦY BAN NHÂN DÂN XÃ LONG PHƯỚC", "UBND huyện Cần Giuộc"));
  // Only the whole word: "UBNDX" is not an abbreviation.
  EXPECT_FALSE(SameAgency("ỦY BAN NHÂN DÂN XÃ A", "UBNDX xã A"));
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
