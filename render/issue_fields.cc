#include "render/issue_fields.h"

#include <ctime>

#include "absl/strings/str_cat.h"

namespace taicho::render {

IssueDate IssueDateAt(int64_t unix_seconds) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds + 7 * 3600);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return {tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday};
}

std::string NumberText(int number) {
  return number < 10 ? "0" + std::to_string(number) : std::to_string(number);
}

std::string DayText(int day) { return NumberText(day); }

std::string MonthText(int month) { return month < 3 ? NumberText(month) : std::to_string(month); }

std::string DateText(const IssueDate& date) {
  return absl::StrCat("ngày ", DayText(date.day), " tháng ", MonthText(date.month), " năm ",
                      date.year);
}

std::vector<pdf::FieldFill> IssueFills(int number, const IssueDate& date) {
  return {{kNumberField, NumberText(number)}, {kDateField, DateText(date)}};
}

}  // namespace taicho::render
