#include "publicweb/html.h"

#include <cstdio>
#include <ctime>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace taicho::publicweb {
namespace {

using workflow::PublicSignature;
using workflow::PublicVerdict;

std::string Page(const std::string& base, std::string_view title, const std::string& body) {
  return absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"vi\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<meta name=\"referrer\" content=\"no-referrer\">"
      "<title>",
      Escape(title), "</title><link rel=\"stylesheet\" href=\"", Escape(base),
      "/trang.css\"></head><body><header><a class=\"home\" href=\"", Escape(base),
      "/\">Tra cứu văn bản điện tử <span class=\"en\">/ Electronic document verification</span>"
      "</a></header><main>",
      body,
      "</main><footer>Trang này không lưu thông tin của bạn. <span class=\"en\">This page keeps "
      "nothing about you.</span></footer></body></html>\n");
}

// "YYYY-MM-DD" as Vietnamese write it: "ngày 05 tháng 12 năm 2026 (2026-12-05)".
std::string VietnameseDate(const std::string& iso) {
  int y = 0, m = 0, d = 0;
  if (iso.size() < 10 || sscanf(iso.c_str(), "%4d-%2d-%2d", &y, &m, &d) != 3) return Escape(iso);
  return absl::StrFormat("ngày %02d tháng %02d năm %04d <span class=\"en\">(%s)</span>", d, m, y,
                         Escape(iso.substr(0, 10)));
}

// Unix milliseconds as Vietnam time (UTC+7, no daylight saving).
std::string VietnamTime(int64_t ms) {
  const time_t t = static_cast<time_t>(ms / 1000 + 7 * 3600);
  struct tm tm {};
  gmtime_r(&t, &tm);
  return absl::StrFormat("%02d:%02d ngày %02d/%02d/%04d", tm.tm_hour, tm.tm_min, tm.tm_mday,
                         tm.tm_mon + 1, tm.tm_year + 1900);
}

// A signature's time as it claims it: a PDF date ("D:20261205054250+07'00'") or ISO 8601
// ("2026-12-04T22:42:50Z"), as "05:42:50 ngày 05/12/2026 (UTC+07:00)"; anything else as it is.
std::string SigningTime(const std::string& text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
  std::string zone;
  if (text.rfind("D:", 0) == 0 && text.size() >= 16 &&
      sscanf(text.c_str() + 2, "%4d%2d%2d%2d%2d%2d", &y, &mo, &d, &h, &mi, &se) == 6) {
    const std::string rest = text.substr(16);
    if (rest.empty() || rest[0] == 'Z') {
      zone = "UTC";
    } else if (rest.size() >= 6 && (rest[0] == '+' || rest[0] == '-')) {
      zone = absl::StrCat("UTC", rest.substr(0, 3), ":", rest.substr(4, 2));
    }
  } else if (text.size() >= 19 &&
             sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &se) == 6) {
    const std::string rest = text.substr(19);
    zone = rest.empty() || rest[0] == 'Z' ? "UTC" : absl::StrCat("UTC", rest);
  } else {
    return Escape(text);
  }
  return absl::StrFormat("%02d:%02d:%02d ngày %02d/%02d/%04d <span class=\"en\">(%s)</span>", h, mi,
                         se, d, mo, y, Escape(zone));
}

std::string Row(std::string_view vi, std::string_view en, const std::string& value_html) {
  return absl::StrCat("<tr><th>", Escape(vi), " <span class=\"en\">/ ", Escape(en),
                      "</span></th><td>", value_html, "</td></tr>");
}

std::string SignatureCard(const PublicSignature& s) {
  const char* cls = s.valid ? "ok" : (s.indication == "TOTAL-FAILED" ? "bad" : "unsure");
  std::string who = s.timestamp ? "Dấu thời gian của tài liệu <span class=\"en\">/ Document "
                                  "time-stamp</span>"
                                : Escape(s.signer);
  if (!s.timestamp && !s.organisation.empty() && s.organisation != s.signer) {
    absl::StrAppend(&who, " <span class=\"org\">— ", Escape(s.organisation), "</span>");
  }
  std::string out =
      absl::StrCat("<section class=\"sig ", cls, "\"><h3>", who, "</h3>", "<p class=\"verdict\">",
                   Escape(s.verdict_vi), " <span class=\"etsi\">", Escape(s.indication));
  if (!s.sub_indication.empty()) absl::StrAppend(&out, " / ", Escape(s.sub_indication));
  absl::StrAppend(&out, "</span></p><table>");
  absl::StrAppend(&out, Row("Thời điểm ký", "Signing time", SigningTime(s.signing_time)));
  if (!s.level.empty()) {
    absl::StrAppend(&out, Row("Mức chữ ký", "PAdES level", Escape("PAdES " + s.level)));
  }
  if (!s.reason_vi.empty()) {
    absl::StrAppend(&out, Row("Lý do", "Reason",
                              absl::StrCat(Escape(s.reason_vi), " <span class=\"en\">/ ",
                                           Escape(s.reason_en), "</span>")));
  }
  absl::StrAppend(&out, "</table>");
  if (!s.changes.empty()) {
    absl::StrAppend(&out,
                    "<p>Thay đổi sau khi ký <span class=\"en\">/ Changes after signing"
                    "</span>:</p><ul class=\"changes\">");
    for (const PublicSignature::Change& c : s.changes) {
      absl::StrAppend(&out, "<li class=\"", c.permitted ? "allowed" : "forbidden", "\">",
                      Escape(c.text_vi), " <span class=\"en\">/ ", Escape(c.text_en), "</span> ",
                      c.permitted
                          ? "<span class=\"tag ok\">được phép / permitted</span>"
                          : "<span class=\"tag bad\">không được phép / not permitted</span>",
                      "</li>");
    }
    absl::StrAppend(&out, "</ul>");
  }
  absl::StrAppend(&out, "</section>");
  return out;
}

// `withdrawn`: the signatures may well be intact, but the banner must not read as "all is well".
std::string Verdict(const PublicVerdict& v, bool withdrawn = false) {
  std::string out;
  if (v.all_valid && withdrawn) {
    out =
        "<p class=\"banner warn\">Chữ ký số còn nguyên vẹn, nhưng văn bản đã bị thu hồi. <span "
        "class=\"en\">The signatures are intact, but the document was withdrawn.</span></p>";
  } else if (v.all_valid) {
    out =
        "<p class=\"banner ok\">Tất cả chữ ký hợp lệ, nội dung không bị thay đổi. <span "
        "class=\"en\">All signatures are valid; the content is unchanged.</span></p>";
  } else if (v.signatures.empty()) {
    out =
        "<p class=\"banner bad\">Tệp không có chữ ký số. <span class=\"en\">The file has no "
        "digital signature.</span></p>";
  } else {
    out =
        "<p class=\"banner bad\">Có chữ ký không hợp lệ hoặc chưa xác định được. <span "
        "class=\"en\">A signature is not valid or could not be confirmed.</span></p>";
  }
  for (const std::string& p : v.problems) {
    absl::StrAppend(&out, "<p class=\"problem\">", Escape(p), "</p>");
  }
  for (const std::string& w : v.warnings) {
    absl::StrAppend(&out, "<p class=\"warning\">", Escape(w), "</p>");
  }
  absl::StrAppend(&out, "<h2>Chữ ký số <span class=\"en\">/ Digital signatures</span> (",
                  v.signatures.size(), ")</h2>");
  for (const PublicSignature& s : v.signatures) absl::StrAppend(&out, SignatureCard(s));
  return out;
}

std::string UploadForm(const std::string& base) {
  return absl::StrCat(
      "<form class=\"upload\" method=\"post\" enctype=\"multipart/form-data\" action=\"",
      Escape(base),
      "/kiem-tra\"><label for=\"file\">Kiểm tra một tệp PDF bạn nhận được <span class=\"en\">/ "
      "Check a PDF file you received</span></label> <input id=\"file\" type=\"file\" name=\"file\" "
      "accept=\"application/pdf\" required> <button type=\"submit\">Kiểm tra / Check</button>"
      "</form>");
}

}  // namespace

const char kStyleSheet[] = R"css(
body{margin:0;font-family:"Liberation Sans",Arial,sans-serif;color:#1a1a1a;background:#f4f5f7;font-size:16px}
header{background:#8b1a1a;padding:10px 24px}
header a.home{color:#fff;text-decoration:none;font-weight:bold;font-size:18px}
header .en{color:#f1d4d4}
main{max-width:960px;margin:16px auto;background:#fff;padding:16px 28px;border-radius:6px;box-shadow:0 1px 3px rgba(0,0,0,.15)}
footer{max-width:960px;margin:8px auto 24px;color:#666;font-size:13px;padding:0 28px}
h1{font-size:22px;margin:6px 0 10px}
h2{font-size:18px;margin:18px 0 8px}
h3{font-size:16px;margin:0 0 4px}
.en{color:#666;font-weight:normal}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;vertical-align:top;padding:4px 8px;border-bottom:1px solid #e3e3e3}
th{width:38%;font-weight:600}
.state{font-weight:bold;padding:2px 8px;border-radius:4px}
.state.ok{background:#e3f4e6;color:#14602a}
.state.bad{background:#fbe3e3;color:#8b1a1a}
.banner{padding:10px 14px;border-radius:4px;font-weight:bold;margin:12px 0}
.banner.ok{background:#e3f4e6;color:#14602a;border-left:6px solid #1e8a3c}
.banner.bad{background:#fbe3e3;color:#8b1a1a;border-left:6px solid #c62828}
.banner.warn{background:#fff4dc;color:#6b4a00;border-left:6px solid #d68a00}
.sig{border:1px solid #ddd;border-left:6px solid #999;border-radius:4px;padding:8px 12px;margin:8px 0}
.sig.ok{border-left-color:#1e8a3c}.sig.bad{border-left-color:#c62828}.sig.unsure{border-left-color:#d68a00}
.verdict{margin:2px 0 6px;font-weight:bold}
.sig.ok .verdict{color:#14602a}.sig.bad .verdict{color:#c62828}.sig.unsure .verdict{color:#a86a00}
.etsi{font-family:"Liberation Mono",monospace;font-weight:normal;color:#555;font-size:13px;margin-left:8px}
.org{color:#444;font-weight:normal}
.problem{color:#8b1a1a}.warning{color:#8a5a00}
.changes li{margin:2px 0}
.code{font-family:"Liberation Mono",monospace;letter-spacing:1px}
a.download{display:inline-block;margin:10px 0;padding:8px 14px;background:#1f4e8c;color:#fff;text-decoration:none;border-radius:4px}
a.download .en{color:#d6e2f3}
.tag{font-size:12px;padding:1px 6px;border-radius:3px;margin-left:6px}
.tag.ok{background:#eef3ee;color:#3b6b45}.tag.bad{background:#fbe3e3;color:#a31515;font-weight:bold}
form{margin:12px 0;padding:10px 12px;background:#f7f7f9;border:1px solid #e0e0e6;border-radius:4px}
label{display:block;margin-bottom:6px;font-weight:600}
input[type=text]{font-family:"Liberation Mono",monospace;font-size:16px;padding:6px;width:22em;max-width:90%}
button{padding:6px 14px;font-size:15px}
)css";

std::string DocumentPage(const std::string& base, const workflow::PublicDocument& doc) {
  using domain::DocumentState;
  std::string state;
  if (doc.state == DocumentState::kWithdrawn) {
    state = absl::StrCat(
        "<span class=\"state bad\">ĐÃ BỊ THU HỒI <span class=\"en\">/ "
        "WITHDRAWN</span></span> từ <span class=\"en\">since</span> ",
        VietnamTime(doc.withdraw_time_ms));
  } else if (doc.state == DocumentState::kIssued) {
    state = "<span class=\"state ok\">Đã ban hành <span class=\"en\">/ Issued</span></span>";
  } else {
    state =
        "<span class=\"state ok\">Đã ký số và đóng dấu <span class=\"en\">/ Signed and "
        "sealed</span></span>";
  }
  std::string body = absl::StrCat("<h1>", Escape(doc.type),
                                  " <span class=\"en\">/ document"
                                  "</span></h1>");
  if (doc.state == DocumentState::kWithdrawn) {
    absl::StrAppend(&body,
                    "<p class=\"banner bad\">Văn bản này đã bị thu hồi và không còn hiệu lực. "
                    "<span class=\"en\">This document was withdrawn and is no longer in "
                    "force.</span></p>");
  }
  absl::StrAppend(&body, "<table>");
  absl::StrAppend(&body, Row("Mã tra cứu", "Verification code",
                             absl::StrCat("<span class=\"code\">", Escape(doc.code), "</span>")));
  absl::StrAppend(&body, Row("Loại văn bản", "Kind", Escape(doc.type)));
  if (!doc.summary.empty())
    absl::StrAppend(&body, Row("Trích yếu", "Subject", Escape(doc.summary)));
  absl::StrAppend(&body, Row("Cơ quan ban hành", "Issuing agency", Escape(doc.agency)));
  absl::StrAppend(&body,
                  Row("Số, ký hiệu", "Number", doc.number.empty() ? "—" : Escape(doc.number)));
  absl::StrAppend(&body,
                  Row("Ngày ban hành", "Date", doc.date.empty() ? "—" : VietnameseDate(doc.date)));
  absl::StrAppend(&body, Row("Tình trạng", "State", state));
  if (!doc.withdraw_reason.empty()) {
    absl::StrAppend(&body, Row("Lý do thu hồi", "Reason withdrawn", Escape(doc.withdraw_reason)));
  }
  absl::StrAppend(&body,
                  Row("Số lần in bản giấy", "Paper copies printed", absl::StrCat(doc.print_count)));
  absl::StrAppend(&body, "</table>");
  absl::StrAppend(&body, "<a class=\"download\" href=\"", Escape(base), "/", Escape(doc.code),
                  "/ban-goc.pdf\">Tải bản gốc điện tử (PDF, ", (doc.original_size + 1023) / 1024,
                  " KB) <span class=\"en\">/ Download the electronic original</span></a>");
  absl::StrAppend(&body, Verdict(doc.verdict, doc.state == DocumentState::kWithdrawn));
  absl::StrAppend(&body, UploadForm(base));
  return Page(base, absl::StrCat("Tra cứu ", doc.code), body);
}

std::string HomePage(const std::string& base) {
  const std::string body = absl::StrCat(
      "<h1>Tra cứu văn bản <span class=\"en\">/ Look up a document</span></h1>"
      "<form method=\"get\" action=\"",
      Escape(base),
      "/\"><label for=\"code\">Mã tra cứu in dưới mã QR <span class=\"en\">/ The code printed "
      "under the QR code</span></label> <input id=\"code\" type=\"text\" name=\"ma\" "
      "autocomplete=\"off\" placeholder=\"XXXX-XXXX-XXXX-XXXX-XXXX\" required> <button "
      "type=\"submit\">Tra cứu / Look up</button></form>",
      UploadForm(base));
  return Page(base, "Tra cứu văn bản / Document verification", body);
}

std::string UploadResultPage(const std::string& base, const workflow::PublicVerdict& verdict,
                             int64_t size) {
  std::string body = absl::StrCat(
      "<h1>Kết quả kiểm tra tệp <span class=\"en\">/ File check"
      "</span></h1><p>Tệp tải lên <span class=\"en\">/ uploaded file"
      "</span>: ",
      (size + 1023) / 1024, " KB</p>");
  absl::StrAppend(&body, Verdict(verdict), UploadForm(base));
  return Page(base, "Kết quả kiểm tra / File check", body);
}

std::string MessagePage(const std::string& base, std::string_view title, std::string_view text) {
  return Page(base, title,
              absl::StrCat("<h1>", Escape(title), "</h1><p>", Escape(text), "</p>", "<p><a href=\"",
                           Escape(base),
                           "/\">Tra cứu mã khác <span class=\"en\">/ Look up another "
                           "code</span></a></p>"));
}

}  // namespace taicho::publicweb
