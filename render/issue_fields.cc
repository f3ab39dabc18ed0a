#include "render/issue_fields.h"

#include "absl/strings/str_cat.h"
#include "vntime/vntime.h"

namespace taicho::render {

IssueDate IssueDateAt(int64_t unix_seconds) {
  const vntime::CivilTime c = vntime::VietnamCivil(unix_seconds);
  return {c.year, c.month, c.day};
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
