#include "deskweb/pages.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "deskweb/markup.h"
#include "deskweb/svg_chart.h"

namespace taicho::deskweb {
namespace {

// `head_extra` goes into <head> (the queue's refresh); `nav` is the staff pages' menu.
//
// The referrer policy is "same-origin", overriding the local site's "no-referrer" header for
// these documents: under no-referrer Chromium sends "Origin: null" with a form's POST, and the
// local site refuses a POST without its own Origin — the reprint form could never be sent. With
// same-origin nothing still leaves for another origin (and these pages link to none).
std::string Page(const std::string& title, const std::string& heading, const std::string& nav,
                 const std::string& body, const std::string& head_extra = "") {
  return absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"vi\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<meta name=\"referrer\" content=\"same-origin\">",
      head_extra, "<title>", Escape(title),
      "</title><link rel=\"stylesheet\" href=\"/trang.css\"></head><body><header><span "
      "class=\"app\">",
      heading, "</span>", nav, "</header><main>", body, "</main></body></html>\n");
}

std::string StaffNav(const char* current) {
  struct Item {
    const char* path;
    const char* vi;
    const char* en;
  };
  static constexpr Item kItems[] = {
      {"/", "Văn bản theo trạng thái", "Documents by state"},
      {"/so-dang-ky", "Sổ đăng ký", "Register"},
      {"/thong-ke", "Thống kê", "Statistics"},
  };
  std::string nav = "<nav>";
  for (const Item& item : kItems) {
    absl::StrAppend(&nav, "<a href=\"", item.path, "\"",
                    std::string(item.path) == current ? " class=\"current\"" : "", ">", item.vi,
                    " <span class=\"en\">/ ", item.en, "</span></a>");
  }
  return nav + "</nav>";
}

std::string StaffPage(const char* path, const std::string& title_vi, const std::string& title_en,
                      const std::string& body) {
  return Page(absl::StrCat(title_vi, " / ", title_en),
              "Quầy một cửa <span class=\"en\">/ One-stop desk</span>", StaffNav(path),
              absl::StrCat("<h1>", Escape(title_vi), " <span class=\"en\">/ ", Escape(title_en),
                           "</span></h1>", body));
}

std::string Error(const std::string& error) {
  if (error.empty()) return "";
  return absl::StrCat("<p class=\"banner bad\" role=\"alert\">", Escape(error), "</p>");
}

std::string Heading2(const char* vi, const char* en, size_t count) {
  return absl::StrFormat(
      "<h2>%s <span class=\"en\">/ %s</span> <span class=\"count\">%d</span></h2>", vi, en, count);
}

const char* StageClass(JobStage stage) {
  switch (stage) {
    case JobStage::kPrinting:
      return "printing";
    case JobStage::kRetryDue:
      return "retry";
    case JobStage::kPrinted:
      return "printed";
    case JobStage::kFailed:
      return "failed";
  }
  return "";
}

std::string JobCells(const QueueJob& job) {
  std::string what = Escape(job.title);
  if (!job.reprint_reason.empty()) {
    absl::StrAppend(&what, "<div class=\"reprint\">In lại <span class=\"en\">/ reprint</span>: ",
                    Escape(job.reprint_reason), "</div>");
  }
  return absl::StrCat("<td class=\"dossier\">", Escape(job.dossier_code), "</td><td>", what,
                      "</td><td class=\"time\">", Escape(VietnamMinute(job.time_ms)), "</td>");
}

std::string JobTable(const std::vector<QueueJob>& jobs, JobStage a, JobStage b,
                     const char* last_heading) {
  std::string rows;
  for (const QueueJob& job : jobs) {
    if (job.stage != a && job.stage != b) continue;
    std::string last;
    switch (job.stage) {
      case JobStage::kPrinting:
        last = "Đang in <span class=\"en\">/ printing</span>";
        break;
      case JobStage::kRetryDue:
        last = absl::StrCat(
            "Lần in trước lỗi, thử lại lúc <span class=\"en\">/ the last print "
            "failed, retrying at</span> ",
            Escape(VietnamMinute(job.retry_at_ms)));
        break;
      case JobStage::kPrinted:
        last = absl::StrCat(
            "<a class=\"button\" href=\"/in-lai?name=", Escape(QueryValue(job.document)),
            "\">In lại… <span class=\"en\">/ Reprint…</span></a>");
        break;
      case JobStage::kFailed:
        last = absl::StrCat("<span class=\"reason\">", Escape(job.reason), "</span>");
        break;
    }
    absl::StrAppend(&rows, "<tr class=\"job ", StageClass(job.stage), "\" data-dossier=\"",
                    Escape(job.dossier_code), "\">", JobCells(job), "<td>", last, "</td></tr>");
  }
  if (rows.empty()) return "<p class=\"empty\">Không có <span class=\"en\">/ none</span></p>";
  return absl::StrCat(
      "<table><thead><tr><th>Hồ sơ <span class=\"en\">/ Dossier</span></th><th>Văn bản <span "
      "class=\"en\">/ Document</span></th><th>Lúc <span class=\"en\">/ At</span></th><th>",
      last_heading, "</th></tr></thead><tbody>", rows, "</tbody></table>");
}

size_t CountStage(const std::vector<QueueJob>& jobs, JobStage a, JobStage b) {
  size_t n = 0;
  for (const QueueJob& j : jobs) n += j.stage == a || j.stage == b;
  return n;
}

std::string Minutes(int64_t ms) { return absl::StrFormat("%.1f", ms / 60000.0); }

}  // namespace

const char kStyleSheet[] = R"css(
body{margin:0;font-family:"Liberation Sans",Arial,sans-serif;color:#1a1a1a;background:#f4f5f7;font-size:15px}
header{background:#1f4e8c;padding:8px 20px;color:#fff;display:flex;flex-wrap:wrap;align-items:center;gap:18px}
header .app{font-weight:bold;font-size:17px}
header .en{color:#d6e2f3;font-weight:normal}
nav a{color:#fff;text-decoration:none;margin-right:14px;padding:4px 6px;border-radius:3px}
nav a.current{background:#163a69}
main{max-width:1280px;margin:12px auto;background:#fff;padding:12px 22px;border-radius:6px;box-shadow:0 1px 3px rgba(0,0,0,.15)}
h1{font-size:20px;margin:4px 0 8px}
h2{font-size:17px;margin:16px 0 6px}
.en{color:#666;font-weight:normal}
.count{display:inline-block;min-width:1.6em;text-align:center;background:#e8edf5;border-radius:9px;font-size:13px;padding:1px 6px}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;vertical-align:top;padding:4px 8px;border-bottom:1px solid #e3e3e3}
th{font-weight:600;background:#fafafa}
td.num,th.num{text-align:right}
tr.failed td{background:#fdf0f0}
tr.retry td{background:#fff7e6}
tr.printed td{background:#f1f9f2}
.reason{color:#8b1a1a;font-weight:600}
.reprint{color:#6b4a00;font-size:13px}
.banner{padding:8px 12px;border-radius:4px;font-weight:bold;margin:10px 0}
.banner.ok{background:#e3f4e6;color:#14602a;border-left:6px solid #1e8a3c}
.banner.bad{background:#fbe3e3;color:#8b1a1a;border-left:6px solid #c62828}
.empty{color:#666}
a.button,button{display:inline-block;padding:4px 12px;font-size:14px;background:#1f4e8c;color:#fff;border:0;border-radius:4px;text-decoration:none;cursor:pointer}
a.button .en,button .en{color:#d6e2f3}
form{margin:10px 0;padding:8px 10px;background:#f7f7f9;border:1px solid #e0e0e6;border-radius:4px}
label{margin-right:8px;font-weight:600}
input[type=text],input[type=date],input[type=number]{font-size:15px;padding:4px}
input.reason{width:36em;max-width:95%}
ul.states{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:8px}
ul.states a{display:block;padding:6px 10px;border:1px solid #cdd6e4;border-radius:4px;text-decoration:none;color:#1a1a1a}
ul.states a.current{background:#e8edf5;border-color:#1f4e8c}
svg.chart{max-width:100%;height:auto;display:block;margin:6px 0 14px}
.charts{display:grid;grid-template-columns:1fr 1fr;gap:16px}
@media (max-width:1100px){.charts{grid-template-columns:1fr}}
)css";

std::string QueuePage(const QueuePageModel& m) {
  std::string body = absl::StrCat(
      "<h1>Hàng đợi in của quầy <span class=\"en\">/ The desk's print queue</span></h1>"
      "<p>Quầy <span class=\"en\">/ desk</span>: <b>",
      Escape(m.desk.empty() ? "mọi quầy / every desk" : m.desk),
      "</b> · máy in <span class=\"en\">/ printer</span>: <b>", Escape(m.printer),
      "</b> · cập nhật <span class=\"en\">/ updated</span> ", Escape(VietnamMinute(m.now_ms)),
      " · <a href=\"/\">Làm mới <span class=\"en\">/ Refresh</span></a></p>");
  if (!m.notice.empty()) {
    absl::StrAppend(&body, "<p class=\"banner ok\" role=\"status\">", Escape(m.notice), "</p>");
  }
  absl::StrAppend(&body, "<section id=\"waiting\">",
                  Heading2("Đang chờ in", "Waiting", m.waiting.size()), Error(m.waiting_error));
  if (m.waiting.empty()) {
    absl::StrAppend(&body, "<p class=\"empty\">Không có <span class=\"en\">/ none</span></p>");
  } else {
    absl::StrAppend(&body,
                    "<table><thead><tr><th>Hồ sơ <span class=\"en\">/ Dossier</span></th><th>Văn "
                    "bản <span class=\"en\">/ Document</span></th><th>Đóng dấu lúc <span "
                    "class=\"en\">/ Sealed at</span></th></tr></thead><tbody>");
    for (const WaitingDocument& w : m.waiting) {
      absl::StrAppend(&body, "<tr class=\"job waiting\" data-dossier=\"", Escape(w.dossier_code),
                      "\"><td class=\"dossier\">", Escape(w.dossier_code), "</td><td>",
                      Escape(w.title), "</td><td class=\"time\">",
                      Escape(VietnamMinute(w.since_ms)), "</td></tr>");
    }
    absl::StrAppend(&body, "</tbody></table>");
  }
  absl::StrAppend(
      &body, "</section><section id=\"printing\">",
      Heading2("Đang in", "Printing", CountStage(m.jobs, JobStage::kPrinting, JobStage::kRetryDue)),
      JobTable(m.jobs, JobStage::kPrinting, JobStage::kRetryDue,
               "Tình trạng <span class=\"en\">/ Status</span>"),
      "</section><section id=\"failed\">",
      Heading2("In lỗi", "Failed", CountStage(m.jobs, JobStage::kFailed, JobStage::kFailed)),
      JobTable(m.jobs, JobStage::kFailed, JobStage::kFailed,
               "Lý do của máy in <span class=\"en\">/ The printer's reason</span>"),
      "</section><section id=\"printed\">",
      Heading2("Đã in", "Printed", CountStage(m.jobs, JobStage::kPrinted, JobStage::kPrinted)),
      JobTable(m.jobs, JobStage::kPrinted, JobStage::kPrinted, ""), "</section>");
  return Page("Hàng đợi in / Print queue",
              "Trạm in tại quầy <span class=\"en\">/ Desk print station</span>", "", body,
              "<meta http-equiv=\"refresh\" content=\"10\">");
}

std::string ReprintPage(const std::string& document, const std::string& dossier_code,
                        const std::string& reason, const std::string& error) {
  const std::string body = absl::StrCat(
      "<h1>In lại văn bản <span class=\"en\">/ Reprint a document</span></h1>", Error(error),
      "<p>Hồ sơ <span class=\"en\">/ dossier</span> <b>", Escape(dossier_code), "</b> (",
      Escape(document),
      ")</p><p>Bản in lại được ghi vào lịch sử văn bản cùng lý do. <span class=\"en\">The reprint "
      "is recorded in the document's history with its reason.</span></p>"
      "<form method=\"post\" action=\"/in-lai\"><input type=\"hidden\" name=\"name\" value=\"",
      Escape(document),
      "\"><label for=\"reason\">Lý do in lại <span class=\"en\">/ Reason</span></label>"
      "<input type=\"text\" class=\"reason\" id=\"reason\" name=\"reason\" required "
      "maxlength=\"500\" value=\"",
      Escape(reason),
      "\"> <button type=\"submit\" id=\"reprint\">In lại <span class=\"en\">/ Reprint</span>"
      "</button></form><p><a href=\"/\">Quay lại hàng đợi <span class=\"en\">/ Back to the "
      "queue</span></a></p>");
  return Page("In lại / Reprint", "Trạm in tại quầy <span class=\"en\">/ Desk print station</span>",
              "", body);
}

std::string DocumentsPage(const DocumentsPageModel& m) {
  std::string body = Error(m.error);
  absl::StrAppend(&body, "<ul class=\"states\">");
  int total = 0;
  for (const StateCount& c : m.counts) total += c.count;
  absl::StrAppend(&body, "<li><a href=\"/\"", m.selected_state.empty() ? " class=\"current\"" : "",
                  ">Tất cả <span class=\"en\">/ All</span> <span class=\"count\">", total,
                  "</span></a></li>");
  for (const StateCount& c : m.counts) {
    absl::StrAppend(&body, "<li><a data-state=\"", Escape(c.state),
                    "\" href=\"/?trang-thai=", Escape(c.state), "\"",
                    c.state == m.selected_state ? " class=\"current\"" : "", ">", Escape(c.label),
                    " <span class=\"count\">", c.count, "</span></a></li>");
  }
  absl::StrAppend(&body, "</ul>");
  if (m.documents.empty()) {
    absl::StrAppend(&body,
                    "<p class=\"empty\">Không có văn bản <span class=\"en\">/ no "
                    "documents</span></p>");
  } else {
    absl::StrAppend(
        &body,
        "<table id=\"documents\"><thead><tr><th>Hồ sơ <span class=\"en\">/ Dossier</span></th>"
        "<th>Văn bản <span class=\"en\">/ Document</span></th><th>Thủ tục <span class=\"en\">/ "
        "Procedure</span></th><th>Quầy <span class=\"en\">/ Desk</span></th><th>Trạng thái <span "
        "class=\"en\">/ State</span></th><th>Tiếp nhận <span class=\"en\">/ Received</span></th>"
        "<th>Cập nhật <span class=\"en\">/ Updated</span></th></tr></thead><tbody>");
    for (const DocumentRow& d : m.documents) {
      absl::StrAppend(&body, "<tr class=\"document\" data-dossier=\"", Escape(d.dossier_code),
                      "\"><td>", Escape(d.dossier_code), "</td><td>", Escape(d.title), "</td><td>",
                      Escape(d.procedure), "</td><td>", Escape(d.desk), "</td><td>",
                      Escape(d.state_label), "</td><td>", Escape(VietnamMinute(d.create_ms)),
                      "</td><td>", Escape(VietnamMinute(d.update_ms)), "</td></tr>");
    }
    absl::StrAppend(&body, "</tbody></table>");
    if (m.truncated) {
      absl::StrAppend(&body,
                      "<p class=\"empty\">Chỉ hiện những văn bản mới nhất <span "
                      "class=\"en\">/ only the newest documents are listed</span></p>");
    }
  }
  return StaffPage("/", "Văn bản theo trạng thái", "Documents by state", body);
}

std::string RegisterPage(const RegisterPageModel& m) {
  const std::string year = m.year > 0 ? std::to_string(m.year) : "";
  std::string query;
  if (!m.agency.empty() || m.year > 0) {
    // The filters, carried to the CSV link.
    query = absl::StrCat("?co-quan=", QueryValue(m.agency), "&nam=", year);
  }
  std::string body = absl::StrCat(
      Error(m.error),
      "<form method=\"get\" action=\"/so-dang-ky\"><label for=\"agency\">Cơ quan <span "
      "class=\"en\">/ Agency</span></label><input type=\"text\" id=\"agency\" name=\"co-quan\" "
      "value=\"",
      Escape(m.agency),
      "\"> <label for=\"year\">Năm <span class=\"en\">/ Year</span></label><input "
      "type=\"number\" id=\"year\" name=\"nam\" min=\"0\" max=\"9999\" value=\"",
      year,
      "\"> <button type=\"submit\">Xem <span class=\"en\">/ Show</span></button></form>"
      "<p><a class=\"button\" id=\"csv\" href=\"/so-dang-ky.csv",
      Escape(query), "\" download>Tải tệp CSV <span class=\"en\">/ Download CSV</span></a></p>");
  if (m.rows.empty()) {
    absl::StrAppend(&body,
                    "<p class=\"empty\">Sổ chưa có mục nào <span class=\"en\">/ no "
                    "entries</span></p>");
  } else {
    absl::StrAppend(
        &body,
        "<table id=\"register\"><thead><tr><th>Số, ký hiệu <span class=\"en\">/ Number</span>"
        "</th><th>Ngày <span class=\"en\">/ Date</span></th><th>Trạng thái <span class=\"en\">/ "
        "State</span></th><th>Trích yếu <span class=\"en\">/ Summary</span></th><th>Hồ sơ <span "
        "class=\"en\">/ Dossier</span></th><th>Người ký, lý do <span class=\"en\">/ Signer, "
        "reason</span></th></tr></thead><tbody>");
    for (const RegisterRow& r : m.rows) {
      absl::StrAppend(&body, "<tr class=\"entry\" data-state=\"", Escape(r.state), "\"><td>",
                      Escape(r.number_symbol), "</td><td>", Escape(r.issue_date), "</td><td>",
                      Escape(r.state_label), "</td><td>", Escape(r.summary), "</td><td>",
                      Escape(r.dossier_code), "</td><td>", Escape(r.note), "</td></tr>");
    }
    absl::StrAppend(&body, "</tbody></table>");
  }
  return StaffPage("/so-dang-ky", "Sổ đăng ký văn bản đi", "Register of issued documents", body);
}

std::string OnTheSpotChart(const std::vector<StatisticsRow>& procedures) {
  BarChart chart;
  chart.title = "Tỷ lệ trả kết quả tại chỗ theo thủ tục / Share returned on the spot, by procedure";
  chart.series = {{"Trả tại chỗ / on the spot", "#2e7d32"}};
  chart.max_value = 1;
  chart.axis_label = "tỷ lệ trong số đã trả / share of those returned";
  for (const StatisticsRow& r : procedures) {
    chart.categories.push_back(
        {r.procedure, {r.on_the_spot_share}, {PercentText(r.on_the_spot_share)}});
  }
  return BarChartSvg(chart);
}

std::string ReturnTimeChart(const std::vector<StatisticsRow>& procedures) {
  BarChart chart;
  chart.title = "Thời gian từ tiếp nhận đến trả kết quả / Receipt-to-return time, by procedure";
  chart.series = {{"Trung vị / median", "#1565c0"}, {"P90", "#ef6c00"}};
  chart.axis_label = "phút / minutes";
  for (const StatisticsRow& r : procedures) {
    chart.categories.push_back({r.procedure,
                                {r.median_ms / 60000.0, r.p90_ms / 60000.0},
                                {DurationText(r.median_ms), DurationText(r.p90_ms)}});
  }
  return BarChartSvg(chart);
}

std::string StatisticsPage(const StatisticsPageModel& m) {
  std::string body = absl::StrCat(
      Error(m.error),
      "<form method=\"get\" action=\"/thong-ke\"><label for=\"from\">Từ ngày <span "
      "class=\"en\">/ From</span></label><input type=\"date\" id=\"from\" name=\"tu\" value=\"",
      Escape(m.from_date),
      "\"> <label for=\"to\">đến hết ngày <span class=\"en\">/ to (inclusive)</span></label>"
      "<input type=\"date\" id=\"to\" name=\"den\" value=\"",
      Escape(m.to_date),
      "\"> <label for=\"spot\">Tại chỗ trong <span class=\"en\">/ on the spot within</span>"
      "</label><input type=\"number\" id=\"spot\" name=\"phut\" min=\"1\" max=\"10080\" value=\"",
      m.on_the_spot_minutes,
      "\"> phút <span class=\"en\">/ minutes</span> <button type=\"submit\" id=\"show\">Xem "
      "<span class=\"en\">/ Show</span></button></form>");
  // Procedures that issued nothing have no time to draw; they stay in the table.
  std::vector<StatisticsRow> returned;
  for (const StatisticsRow& r : m.procedures) {
    if (r.issued > 0) returned.push_back(r);
  }
  absl::StrAppend(&body,
                  "<div class=\"charts\"><section id=\"chart-spot\"><h2>Trả tại chỗ <span "
                  "class=\"en\">/ Returned on the spot</span></h2>",
                  OnTheSpotChart(returned),
                  "</section><section id=\"chart-time\"><h2>Tiếp nhận đến trả kết quả <span "
                  "class=\"en\">/ Receipt to return</span></h2>",
                  ReturnTimeChart(returned), "</section></div>");
  absl::StrAppend(
      &body,
      "<table id=\"statistics\"><thead><tr><th>Thủ tục <span class=\"en\">/ Procedure</span></th>"
      "<th class=\"num\">Tiếp nhận <span class=\"en\">/ Received</span></th><th class=\"num\">Đã "
      "trả <span class=\"en\">/ Returned</span></th><th class=\"num\">Tại chỗ <span class=\"en\">/ "
      "On the spot</span></th><th class=\"num\">Hủy <span class=\"en\">/ Cancelled</span></th>"
      "<th class=\"num\">Tỷ lệ tại chỗ <span class=\"en\">/ Share</span></th><th class=\"num\">"
      "Trung vị <span class=\"en\">/ Median</span></th><th class=\"num\">P90</th></tr></thead>"
      "<tbody>");
  auto row = [&](const StatisticsRow& r, bool total) {
    absl::StrAppend(
        &body,
        total ? "<tr class=\"total\"><th>Tổng <span class=\"en\">/ Total</span></th>"
              : absl::StrCat("<tr class=\"procedure\"><td>", Escape(r.procedure), "</td>"),
        "<td class=\"num\">", r.received, "</td><td class=\"num\">", r.issued,
        "</td><td class=\"num\">", r.issued_on_the_spot, "</td><td class=\"num\">", r.cancelled,
        "</td><td class=\"num\">", PercentText(r.on_the_spot_share),
        "</td><td class=\"num\" "
        "data-minutes=\"",
        Minutes(r.median_ms), "\">", DurationText(r.median_ms),
        "</td><td class=\"num\" data-minutes=\"", Minutes(r.p90_ms), "\">", DurationText(r.p90_ms),
        "</td></tr>");
  };
  for (const StatisticsRow& r : m.procedures) row(r, false);
  row(m.total, true);
  absl::StrAppend(&body, "</tbody></table>");
  return StaffPage("/thong-ke", "Thống kê một cửa", "Desk statistics", body);
}

std::string MessagePage(const std::string& title, const std::string& text) {
  return Page(title, "taicho", "",
              absl::StrCat("<h1>", Escape(title), "</h1><p>", Escape(text), "</p>"));
}

}  // namespace taicho::deskweb
