// The register's CSV export (workflow/register_csv.h) as a spreadsheet program would open it:
// RFC 4180 fields, and no cell that runs as a formula (OWASP CSV injection).
#include "workflow/register_csv.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/checkers.h"
#include "tests/support/pki_fixture.h"

namespace taicho::workflow {
namespace {

store::RegisterEntry Entry(const std::string& summary, const std::string& void_reason = {}) {
  store::RegisterEntry e;
  e.agency = "UBND xã Xuyên Mộc";
  e.year = 2026;
  e.number = 1;
  e.state = store::RegisterState::kIssued;
  e.document_id = "doc-1";
  e.issue_date = "2026-12-04";
  e.kind = "quyet-dinh";
  e.symbol = "QĐ-UBND";
  e.summary = summary;
  e.signer = "CN=Nguyễn Văn An,O=UBND";
  e.void_reason = void_reason;
  e.issue_time_ms = 1796380800000;
  return e;
}

// The row after the header, split by Python's csv module (a reader we did not write), one field
// per line with its control characters shown as escapes.
std::vector<std::string> SecondRowFields(const std::string& csv) {
  const std::string dir = taicho::testing::MakeTempDir("csv");
  const std::string path = dir + "/register.csv";
  {
    FILE* f = std::fopen(path.c_str(), "wb");
    EXPECT_NE(f, nullptr);
    if (f == nullptr) return {};
    std::fwrite(csv.data(), 1, csv.size(), f);
    std::fclose(f);
  }
  const auto r = taicho::testing::Run(
      "python3 -c 'import csv,sys\n"
      "rows = list(csv.reader(open(sys.argv[1], newline=\"\", encoding=\"utf-8-sig\")))\n"
      "for f in rows[1]: print(f.encode(\"unicode_escape\").decode())' " +
      taicho::testing::Quote(path));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  std::vector<std::string> fields;
  size_t start = 0;
  for (size_t nl; (nl = r.output.find('\n', start)) != std::string::npos; start = nl + 1) {
    fields.push_back(r.output.substr(start, nl - start));
  }
  return fields;
}

TEST(RegisterCsv, FormulaLikeCellsAreTextNotFormulas) {
  struct Case {
    std::string typed, cell_as_read;
  };
  const std::vector<Case> cases = {
      {"=HYPERLINK(\"http://evil.example/?x\",\"Click\")",
       "'=HYPERLINK(\"http://evil.example/?x\",\"Click\")"},
      {"-1+2", "'-1+2"},
      {"+1", "'+1"},
      {"@SUM(A1:A9)", "'@SUM(A1:A9)"},
      {"\t=1", "'\\t=1"},
      {"\r=1", "'\\r=1"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.typed);
    store::RegisterEntry entry = Entry(c.typed, c.typed);
    entry.withdraw_reason = c.typed;  // a withdrawal's reason is typed by a person too
    const std::string csv = RegisterCsv({entry});
    // Quoted and prefixed, in the bytes themselves.
    std::string quoted = "\"'";
    for (char ch : c.typed) quoted += ch == '"' ? std::string("\"\"") : std::string(1, ch);
    quoted += "\"";
    EXPECT_NE(csv.find("," + quoted + ","), std::string::npos) << csv;
    const std::vector<std::string> fields = SecondRowFields(csv);
    ASSERT_EQ(fields.size(), 15u) << ::testing::PrintToString(fields);
    EXPECT_EQ(fields[3], c.cell_as_read);   // Trích yếu nội dung (summary)
    EXPECT_EQ(fields[11], c.cell_as_read);  // Lý do bỏ số (void reason)
    EXPECT_EQ(fields[13], c.cell_as_read);  // Lý do thu hồi (withdrawal reason)
  }
}

// Ordinary text, dates and a summary that merely holds such a character later on are unchanged.
TEST(RegisterCsv, OrdinaryCellsAreUnchanged) {
  const std::string csv = RegisterCsv({Entry("Về việc A = B, C-D @ E")});
  const std::vector<std::string> fields = SecondRowFields(csv);
  ASSERT_EQ(fields.size(), 15u) << ::testing::PrintToString(fields);
  EXPECT_EQ(fields[0], "01/Q\\u0110-UBND");
  EXPECT_EQ(fields[1], "2026-12-04");
  EXPECT_EQ(fields[3], "V\\u1ec1 vi\\u1ec7c A = B, C-D @ E");
  EXPECT_EQ(fields[11], "");
  EXPECT_NE(csv.find(",2026-12-04,"), std::string::npos);
}

}  // namespace
}  // namespace taicho::workflow
