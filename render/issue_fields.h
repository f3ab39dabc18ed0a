// The number and date of issue (Decree 30/2020/NĐ-CP): given by the system when the document is
// issued, so a draft leaves them as empty text fields and the seal step fills them in the same
// incremental update as the agency's signature (the officer's certification allows that fill).
// Each field covers its whole line ("Số: …/QĐ-UBND", "Xuyên Mộc, ngày … tháng … năm …"): the
// page's content does not draw the line, the field's appearance does — with blanks in the draft,
// and once filled the whole line typed tight and centred, as a document rendered with the number
// and date given draws it (same text, same positions), so it reads and searches as typed text.
// The field's /TaichoLine (pdf::kFieldLineTemplateKey) holds the filled line with "{}" where
// the value goes; the filled field's /V is the whole line it draws.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pdf/field_fill.h"

namespace taicho::render {

inline constexpr char kNumberField[] = "so";  // "Số: {}/QĐ-UBND"
inline constexpr char kDateField[] = "ngay";  // "Xuyên Mộc, {}"

struct IssueDate {
  int year = 0, month = 0, day = 0;
};

// The calendar date in Vietnam (UTC+7) at a Unix time.
IssueDate IssueDateAt(int64_t unix_seconds);

// Decree 30: numbers below 10, days below 10 and the months 1 and 2 get a leading zero
// ("Số: 05", "ngày 05 tháng 02", but "tháng 3").
std::string NumberText(int number);
std::string DayText(int day);
std::string MonthText(int month);
// "ngày 05 tháng 02 năm 2024".
std::string DateText(const IssueDate& date);

// The fills for a draft's number and date fields: the number ("05") and the date ("ngày 05 tháng
// 3 năm 2024"), each completing its field's line.
std::vector<pdf::FieldFill> IssueFills(int number, const IssueDate& date);

}  // namespace taicho::render
