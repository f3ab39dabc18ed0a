// The number and date of issue (Decree 30/2020/NĐ-CP): given by the system when the document is
// issued, so a draft leaves them as empty text fields and the seal step fills them in the same
// incremental update as the agency's signature (the officer's certification allows that fill).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pdf/field_fill.h"

namespace taicho::render {

inline constexpr char kNumberField[] = "so";
inline constexpr char kDayField[] = "ngay";
inline constexpr char kMonthField[] = "thang";
inline constexpr char kYearField[] = "nam";

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

// The fills for a draft's number and date fields.
std::vector<pdf::FieldFill> IssueFills(int number, const IssueDate& date);

}  // namespace taicho::render
