#include "render/issue_fields.h"

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

std::vector<pdf::FieldFill> IssueFills(int number, const IssueDate& date) {
  return {{kNumberField, NumberText(number)},
          {kDayField, DayText(date.day)},
          {kMonthField, MonthText(date.month)},
          {kYearField, std::to_string(date.year)}};
}

}  // namespace taicho::render
