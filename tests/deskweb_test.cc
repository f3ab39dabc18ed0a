// The desk's local pages as pure functions (deskweb/): the SVG bar chart draws one bar per
// category and series with its value, escapes what it is given; the queue page puts each job in
// its section with the printer's reason and a reprint link; the statistics page draws its charts
// from the rows; the queue model keeps one row per key, newest first, bounded.
#include <string>

#include "deskweb/desk_queue.h"
#include "deskweb/markup.h"
#include "deskweb/pages.h"
#include "deskweb/svg_chart.h"
#include "gtest/gtest.h"

namespace taicho::deskweb {
namespace {

int Count(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// The text between the first `open` and the next `close` after it.
std::string Between(const std::string& text, const std::string& open, const std::string& close) {
  const size_t a = text.find(open);
  if (a == std::string::npos) return "";
  const size_t b = text.find(close, a + open.size());
  return text.substr(a, b == std::string::npos ? std::string::npos : b - a);
}

QueueJob Job(const std::string& key, const std::string& document, const std::string& dossier,
             JobStage stage) {
  QueueJob job;
  job.key = key;
  job.document = document;
  job.dossier_code = dossier;
  job.stage = stage;
  return job;
}

StatisticsRow Row(const std::string& procedure, int received, int issued, int on_the_spot,
                  int cancelled, int median_minutes, int p90_minutes) {
  StatisticsRow r;
  r.procedure = procedure;
  r.received = received;
  r.issued = issued;
  r.issued_on_the_spot = on_the_spot;
  r.cancelled = cancelled;
  r.on_the_spot_share = issued == 0 ? 0 : static_cast<double>(on_the_spot) / issued;
  r.median_ms = int64_t{median_minutes} * 60000;
  r.p90_ms = int64_t{p90_minutes} * 60000;
  return r;
}

TEST(Markup, EscapesTheFiveCharacters) {
  EXPECT_EQ(Escape("<a href=\"x\">'Tý' & Tèo</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;Tý&#39; &amp; Tèo&lt;/a&gt;");
}

TEST(Markup, PercentEncodesQueryValues) {
  EXPECT_EQ(QueryValue("UBND xã A&B=1#x"), "UBND%20x%C3%A3%20A%26B%3D1%23x");
  EXPECT_EQ(QueryValue("documents/ab-1_2.3~"), "documents%2Fab-1_2.3~");
}

TEST(Markup, WritesTimesDurationsAndShares) {
  // 2026-12-05T01:02:00Z is 08:02 in Vietnam.
  EXPECT_EQ(VietnamMinute(1796432520000), "08:02 05/12/2026");
  EXPECT_EQ(VietnamMinute(0), "");
  EXPECT_EQ(DurationText(40'000), "40 giây");
  EXPECT_EQ(DurationText(12 * 60'000), "12 phút");
  EXPECT_EQ(DurationText(65 * 60'000), "1 giờ 05 phút");
  EXPECT_EQ(PercentText(0.854), "85 %");
  EXPECT_EQ(PercentText(1), "100 %");
}

TEST(SvgChart, DrawsOneBarPerCategoryAndSeriesScaledToTheLargest) {
  BarChart chart;
  chart.title = "Thời gian <thử>";
  chart.series = {{"Trung vị", "#1565c0"}, {"P90", "#ef6c00"}};
  chart.categories = {{"1.001 Khai sinh", {10, 40}, {"10 phút", "40 phút"}},
                      {"2.002 Kết hôn", {20, 30}, {"20 phút", "30 phút"}},
                      {"3.003 <script>", {-5, 0}, {"?", "0"}}};
  const std::string svg = BarChartSvg(chart);
  EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u) << svg;
  EXPECT_EQ(Count(svg, "<rect class=\"bar\""), 6);
  EXPECT_EQ(Count(svg, "data-series=\"0\""), 3);
  EXPECT_EQ(Count(svg, "data-series=\"1\""), 3);
  // The largest value (40) spans the plot (720 - 220 - 90 = 410 units); 10 is a quarter of it.
  // Each group is two 16-unit bars 3 apart, groups 12 apart, from y = 34.
  EXPECT_NE(svg.find("data-value=\"40\" x=\"220\" y=\"53\" width=\"410\""), std::string::npos)
      << svg;
  EXPECT_NE(svg.find("data-value=\"10\" x=\"220\" y=\"34\" width=\"102.5\""), std::string::npos)
      << svg;
  // A negative value is drawn as nothing, not backwards.
  EXPECT_NE(svg.find("data-value=\"0\" x=\"220\" y=\"128\" width=\"0\""), std::string::npos) << svg;
  EXPECT_EQ(svg.find("<script>"), std::string::npos);
  EXPECT_NE(svg.find("3.003 &lt;script&gt;"), std::string::npos);
  EXPECT_NE(svg.find("<title>Thời gian &lt;thử&gt;</title>"), std::string::npos);
  EXPECT_NE(svg.find(">40 phút</text>"), std::string::npos);
  EXPECT_EQ(svg.substr(svg.size() - 6), "</svg>");
}

TEST(SvgChart, AFixedScaleCapsBarsAndNoDataIsSaid) {
  BarChart chart;
  chart.title = "Tỷ lệ";
  chart.series = {{"Tại chỗ", "#2e7d32"}};
  chart.max_value = 1;
  chart.categories = {{"A", {0.5}, {"50 %"}}, {"B", {1.5}, {"150 %"}}};
  const std::string svg = BarChartSvg(chart);
  EXPECT_NE(svg.find("data-value=\"0.5\" x=\"220\" y=\"34\" width=\"205\""), std::string::npos)
      << svg;
  EXPECT_NE(svg.find("data-value=\"1.5\" x=\"220\" y=\"62\" width=\"410\""), std::string::npos)
      << svg;

  chart.categories.clear();
  const std::string empty = BarChartSvg(chart);
  EXPECT_EQ(Count(empty, "class=\"bar\""), 0);
  EXPECT_NE(empty.find("Không có số liệu / no data"), std::string::npos);
}

TEST(DeskQueue, OneRowPerKeyNewestFirstBounded) {
  DeskQueue queue(3);
  queue.Put(Job("job:1", "documents/a", "A", JobStage::kPrinting));
  queue.Put(Job("job:2", "documents/b", "B", JobStage::kPrinting));
  queue.Put(Job("job:1", "documents/a", "A", JobStage::kPrinted));
  std::vector<QueueJob> rows = queue.Snapshot();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].key, "job:1");
  EXPECT_EQ(rows[0].stage, JobStage::kPrinted);
  queue.Put(Job("job:3", "documents/c", "C", JobStage::kPrinting));
  queue.Put(Job("job:4", "documents/d", "D", JobStage::kPrinting));
  rows = queue.Snapshot();
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].key, "job:4");
  EXPECT_EQ(rows[2].key, "job:1");  // job:2 was the oldest
  queue.Remove("job:3");
  EXPECT_EQ(queue.Snapshot().size(), 2u);
}

TEST(QueuePage, EachJobInItsSectionWithReasonAndReprintLink) {
  QueuePageModel m;
  m.desk = "Quầy 1";
  m.printer = "HP-Quay-1";
  m.waiting = {{"documents/w1", "HS-W", "Quyết định <b>", 0}};
  m.jobs = {Job("job:3", "documents/p1", "HS-P", JobStage::kPrinted),
            Job("print:x", "documents/f1", "HS-F", JobStage::kFailed),
            Job("job:2", "documents/f1", "HS-F", JobStage::kRetryDue)};
  m.jobs[0].reprint_reason = "bản bị rách";
  m.jobs[1].reason = "aborted: Paper jam (media-jam-error)";
  m.jobs[2].retry_at_ms = 1796432520000;
  const std::string html = QueuePage(m);
  EXPECT_NE(Between(html, "<section id=\"waiting\">", "</section>").find("data-dossier=\"HS-W\""),
            std::string::npos);
  EXPECT_NE(html.find("Quyết định &lt;b&gt;"), std::string::npos);
  const std::string failed = Between(html, "<section id=\"failed\">", "</section>");
  EXPECT_NE(failed.find("aborted: Paper jam (media-jam-error)"), std::string::npos) << failed;
  EXPECT_NE(Between(html, "<section id=\"printing\">", "</section>").find("08:02 05/12/2026"),
            std::string::npos);
  const std::string printed = Between(html, "<section id=\"printed\">", "</section>");
  EXPECT_NE(printed.find("href=\"/in-lai?name=documents%2Fp1\""), std::string::npos) << printed;
  EXPECT_NE(printed.find("bản bị rách"), std::string::npos);
  EXPECT_NE(html.find("http-equiv=\"refresh\""), std::string::npos);
  // No script and no inline style: the local site's CSP allows neither.
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("style="), std::string::npos);
}

TEST(ReprintPage, AsksForAReasonAndPostsToItself) {
  const std::string html = ReprintPage("documents/p1", "HS-P", "rách\"", "Cần lý do / required");
  EXPECT_NE(html.find("<form method=\"post\" action=\"/in-lai\">"), std::string::npos);
  EXPECT_NE(html.find("name=\"reason\" required"), std::string::npos);
  EXPECT_NE(html.find("value=\"rách&quot;\""), std::string::npos);
  EXPECT_NE(html.find("role=\"alert\">Cần lý do / required"), std::string::npos);
  // Not no-referrer: Chromium would send "Origin: null" with the POST, which the site refuses.
  EXPECT_NE(html.find("<meta name=\"referrer\" content=\"same-origin\">"), std::string::npos);
}

TEST(StatisticsPage, ChartsDrawTheProceduresThatReturnedSomething) {
  StatisticsPageModel m;
  m.from_date = "2026-12-01";
  m.to_date = "2026-12-05";
  m.procedures = {Row("1.001", 4, 4, 3, 0, 30, 150), Row("2.002", 2, 0, 0, 1, 0, 0),
                  Row("3.003", 1, 1, 1, 0, 5, 5)};
  m.total = Row("", 7, 5, 4, 1, 30, 150);
  const std::string html = StatisticsPage(m);
  const std::string spot = Between(html, "<section id=\"chart-spot\">", "</section>");
  EXPECT_EQ(Count(spot, "<rect class=\"bar\""), 2) << spot;
  EXPECT_NE(spot.find("data-value=\"0.75\""), std::string::npos);
  EXPECT_NE(spot.find(">75 %</text>"), std::string::npos);
  const std::string time = Between(html, "<section id=\"chart-time\">", "</section>");
  EXPECT_EQ(Count(time, "<rect class=\"bar\""), 4) << time;
  EXPECT_NE(time.find("data-value=\"150\""), std::string::npos);
  EXPECT_NE(time.find(">2 giờ 30 phút</text>"), std::string::npos);
  EXPECT_EQ(Count(html, "<tr class=\"procedure\">"), 3);
  EXPECT_NE(html.find("<tr class=\"total\">"), std::string::npos);
  EXPECT_NE(html.find("value=\"2026-12-01\""), std::string::npos);
  EXPECT_EQ(html.find("style="), std::string::npos);
}

TEST(DocumentsPage, CountsEveryStateAndMarksTheSelectedOne) {
  DocumentsPageModel m;
  m.counts = {{"DRAFT", "Bản nháp / Draft", 2}, {"SEALED", "Đã đóng dấu / Sealed", 1}};
  m.selected_state = "SEALED";
  m.documents = {{"documents/a", "HS-1", "QĐ", "1.001", "Quầy 1", "Đã đóng dấu / Sealed", 0, 0}};
  const std::string html = DocumentsPage(m);
  EXPECT_NE(html.find("Tất cả <span class=\"en\">/ All</span> <span class=\"count\">3</span>"),
            std::string::npos);
  EXPECT_NE(html.find("data-state=\"SEALED\" href=\"/?trang-thai=SEALED\" class=\"current\""),
            std::string::npos);
  EXPECT_EQ(Count(html, "<tr class=\"document\""), 1);
}

TEST(RegisterPage, ListsEntriesAndLinksTheCsvWithItsFilters) {
  RegisterPageModel m;
  m.agency = "UBND xã A&B";
  m.year = 2026;
  m.rows = {{"05/QĐ-UBND", "2026-12-05", "Đã ban hành / issued", "ISSUED", "Về việc <x>", "HS-1",
             "CN=Nguyễn Văn An"}};
  const std::string html = RegisterPage(m);
  EXPECT_NE(html.find("href=\"/so-dang-ky.csv?co-quan=UBND%20x%C3%A3%20A%26B&amp;nam=2026\""),
            std::string::npos)
      << html;
  EXPECT_NE(html.find("Về việc &lt;x&gt;"), std::string::npos);
  EXPECT_EQ(Count(html, "<tr class=\"entry\""), 1);
}

}  // namespace
}  // namespace taicho::deskweb
