#include "agent/approval_page.h"

#include <openssl/crypto.h>

#include <fstream>
#include <mutex>
#include <regex>
#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "errors/error.h"
#include "html/escape.h"
#include "localweb/local_site.h"
#include "signer/certificate_info.h"
#include "spdlog/spdlog.h"

namespace taicho::agent {
namespace {

// pdf.js needs its worker (same origin), blob:/data: images it makes itself; nothing outside.
constexpr char kContentSecurityPolicy[] =
    "default-src 'none'; script-src 'self'; worker-src 'self'; style-src 'self'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'";

constexpr char kStyleSheet[] = R"css(
body { font-family: "Liberation Sans", Arial, sans-serif; margin: 0; color: #1b1b1b; background: #f4f5f7; }
header { background: #8b1a1a; color: #fff; padding: 10px 24px; }
header h1 { margin: 0; font-size: 20px; }
main { max-width: 1300px; margin: 0 auto; padding: 12px 24px; }
.en { color: #666; font-size: 90%; }
header .en, button .en { color: #f2dede; }
.token { padding: 8px 12px; border-radius: 4px; margin: 8px 0; }
.token.ready { background: #e3f4e3; } .token.pin { background: #fff5d6; } .token.absent { background: #fde2e2; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { border-bottom: 1px solid #ddd; padding: 6px 8px; text-align: left; vertical-align: middle; }
button { background: #8b1a1a; color: #fff; border: 0; padding: 6px 12px; border-radius: 3px; cursor: pointer; font-size: 14px; }
button.all { margin-top: 10px; }
.pin label { font-weight: bold; } .pin input { font-size: 16px; width: 10em; }
ul.results li { margin: 4px 0; } li.ok { color: #1d6b1d; } li.refused { color: #a30000; }
#trang canvas { display: block; margin: 10px auto; box-shadow: 0 0 4px #999; background: #fff; }
#chu { white-space: pre-wrap; background: #fff; padding: 8px; }
.code { font-family: monospace; }
)css";

// Draws every page of the draft with pdf.js, then puts its text beneath (readable, searchable).
constexpr char kViewerScript[] = R"js("use strict";
pdfjsLib.GlobalWorkerOptions.workerSrc = "/pdfjs/pdf.worker.js";
const holder = document.getElementById("trang");
const text = document.getElementById("chu");
pdfjsLib.getDocument({ url: holder.dataset.pdf, isEvalSupported: false }).promise
  .then(async (pdf) => {
    const parts = [];
    for (let n = 1; n <= pdf.numPages; n++) {
      const page = await pdf.getPage(n);
      const viewport = page.getViewport({ scale: 1.4 });
      const canvas = document.createElement("canvas");
      canvas.width = viewport.width;
      canvas.height = viewport.height;
      holder.appendChild(canvas);
      await page.render({ canvasContext: canvas.getContext("2d"), viewport }).promise;
      const content = await page.getTextContent();
      parts.push(content.items.map((item) => item.str).join(" "));
    }
    text.textContent = parts.join("\n\n");
    holder.dataset.pages = String(pdf.numPages);
  })
  .catch((e) => {
    holder.dataset.error = "1";
    holder.textContent = "Không mở được văn bản / The document cannot be opened: " + e.message;
  });
)js";

std::string Page(const std::string& title, const std::string& body, const std::string& scripts) {
  return absl::StrCat(
      "<!DOCTYPE html><html lang=\"vi\"><head><meta charset=\"utf-8\"><title>", html::Escape(title),
      "</title><meta name=\"viewport\" content=\"width=device-width\">"
      "<link rel=\"stylesheet\" href=\"/trang.css\"></head><body><header><h1>Phê duyệt văn bản "
      "<span class=\"en\">/ Approval</span></h1></header><main>",
      body, "</main>", scripts, "</body></html>");
}

std::string IdOf(const std::string& name) { return name.substr(name.rfind('/') + 1); }

// How a result names its document: the title and the dossier (titles repeat).
std::string Named(const v1::Document& doc) {
  return absl::StrCat(doc.title(), " (", doc.dossier_code(), ")");
}

// One approval's outcome, as the page shows it.
struct Outcome {
  std::string title;
  bool ok = false;
  std::string text;  // "phiên bản 2" or the error's code and message
};

enum class TokenState { kReady, kPinNeeded, kAbsent };

}  // namespace

struct ApprovalPage::Impl {
  Impl(Approver& a, const ApprovalPageOptions& o) : approver(a), options(o) {}

  void Routes();
  void Home(httplib::Response& res);
  void View(const std::string& id, httplib::Response& res);
  void Pdf(const std::string& id, httplib::Response& res);
  void Sign(const httplib::Request& req, httplib::Response& res);
  // The state of the token now (under key_mutex); a token gone drops the open session.
  TokenState StateLocked(std::string* detail);
  // The waiting draft with this id, or nullopt.
  absl::StatusOr<std::optional<v1::Document>> Find(const std::string& id);
  void Failed(httplib::Response& res, const absl::Status& st);

  Approver& approver;
  const ApprovalPageOptions options;
  std::string pdfjs, pdfjs_worker;  // Debian's pdf.js, read once
  std::unique_ptr<localweb::LocalSite> site;

  std::mutex key_mutex;  // the token session and the outcomes
  cli::OpenKey key;      // logged in when key.signer is set
  std::string signer_name;
  std::shared_ptr<pkcs11::Module> module;  // to look at the token before the login
  std::vector<Outcome> outcomes;           // of the last POST
};

void ApprovalPage::Impl::Failed(httplib::Response& res, const absl::Status& st) {
  spdlog::error("approval page: {}", CodeOf(st));
  res.status = 502;
  res.set_content(Page("Lỗi / Error",
                       absl::StrCat("<p class=\"refused\">Không lấy được dữ liệu từ taichod / "
                                    "taichod could not be reached: [",
                                    html::Escape(CodeOf(st)), "] ",
                                    html::Escape(std::string(st.message())), "</p>"),
                       ""),
                  "text/html; charset=utf-8");
}

TokenState ApprovalPage::Impl::StateLocked(std::string* detail) {
  if (key.signer) {
    if (!key.module || !key.session) return TokenState::kReady;
    absl::StatusOr<pkcs11::TokenInfo> info = key.module->GetTokenInfo(key.session->slot_id());
    if (info.ok() && info->token_present) return TokenState::kReady;
    spdlog::warn("approval page: the token was removed; its session is closed");
    key = {};
    signer_name.clear();
  }
  if (!module) {
    absl::StatusOr<std::shared_ptr<pkcs11::Module>> loaded =
        pkcs11::Module::Load(options.key.module);
    if (!loaded.ok()) {
      *detail = CodeOf(loaded.status());
      return TokenState::kAbsent;
    }
    module = *loaded;
  }
  absl::StatusOr<std::vector<pkcs11::TokenInfo>> slots = module->ListSlots(true);
  if (!slots.ok()) {
    *detail = CodeOf(slots.status());
    return TokenState::kAbsent;
  }
  for (const pkcs11::TokenInfo& t : *slots) {
    if (!t.token_initialized) continue;
    if (!options.key.token.empty() && t.label != options.key.token) continue;
    if (!options.key.serial.empty() && t.serial != options.key.serial) continue;
    if (t.pin_locked) *detail = "PIN_LOCKED";
    return TokenState::kPinNeeded;
  }
  return TokenState::kAbsent;
}

absl::StatusOr<std::optional<v1::Document>> ApprovalPage::Impl::Find(const std::string& id) {
  absl::StatusOr<std::vector<v1::Document>> waiting = approver.Waiting(options.desk);
  if (!waiting.ok()) return waiting.status();
  for (v1::Document& doc : *waiting) {
    if (IdOf(doc.name()) == id) return std::optional<v1::Document>(std::move(doc));
  }
  return std::optional<v1::Document>();
}

void ApprovalPage::Impl::Home(httplib::Response& res) {
  absl::StatusOr<std::vector<v1::Document>> waiting = approver.Waiting(options.desk);
  if (!waiting.ok()) return Failed(res, waiting.status());
  std::string detail;
  TokenState state;
  std::string body;
  {
    std::lock_guard<std::mutex> lock(key_mutex);
    state = StateLocked(&detail);
    switch (state) {
      case TokenState::kReady:
        absl::StrAppend(&body,
                        "<p class=\"token ready\" id=\"token\" data-state=\"ready\">Token: đã cắm, "
                        "đã mở khóa — người ký <b>",
                        html::Escape(signer_name),
                        "</b> <span class=\"en\">/ present and unlocked</span></p>");
        break;
      case TokenState::kPinNeeded:
        absl::StrAppend(&body,
                        "<p class=\"token pin\" id=\"token\" data-state=\"pin\">Token: đã cắm, "
                        "cần nhập mã PIN <span class=\"en\">/ present, PIN needed</span>",
                        detail.empty() ? "" : absl::StrCat(" [", html::Escape(detail), "]"),
                        "</p>");
        break;
      case TokenState::kAbsent:
        absl::StrAppend(&body,
                        "<p class=\"token absent\" id=\"token\" data-state=\"absent\">Token: chưa "
                        "cắm hoặc đã rút ra — hãy cắm token <span class=\"en\">/ not present "
                        "(pulled out): plug it in</span>",
                        detail.empty() ? "" : absl::StrCat(" [", html::Escape(detail), "]"),
                        "</p>");
        break;
    }
    if (!outcomes.empty()) {
      absl::StrAppend(&body, "<h2>Kết quả <span class=\"en\">/ Results</span></h2>",
                      "<ul class=\"results\" id=\"ket-qua\">");
      for (const Outcome& o : outcomes) {
        absl::StrAppend(&body, "<li class=\"", o.ok ? "ok" : "refused", "\">",
                        o.ok ? "Đã ký duyệt <span class=\"en\">/ signed</span>"
                             : "Không ký được <span class=\"en\">/ refused</span>",
                        ": ", html::Escape(o.title), " — ", html::Escape(o.text), "</li>");
      }
      absl::StrAppend(&body, "</ul>");
    }
  }
  absl::StrAppend(&body,
                  "<h2>Văn bản chờ phê duyệt <span class=\"en\">/ Waiting for approval</span>"
                  " (<span id=\"so-van-ban\">",
                  waiting->size(), "</span>)</h2>");
  if (waiting->empty()) {
    absl::StrAppend(&body,
                    "<p>Không có văn bản nào chờ <span class=\"en\">/ nothing is "
                    "waiting</span></p>");
    res.set_content(Page("Phê duyệt văn bản", body, ""), "text/html; charset=utf-8");
    return;
  }
  absl::StrAppend(
      &body, "<form method=\"post\" action=\"/ky-duyet\" autocomplete=\"off\">",
      state == TokenState::kPinNeeded
          ? "<p class=\"pin\"><label for=\"pin\">Mã PIN của token <span class=\"en\">/ token "
            "PIN</span></label> <input type=\"password\" id=\"pin\" name=\"pin\" "
            "autocomplete=\"off\" inputmode=\"numeric\" maxlength=\"64\" required> <span "
            "class=\"en\">Chỉ gửi tới chương trình trên máy này, dùng một lần / sent only to the "
            "agent on this machine, used once</span></p>"
          : "",
      "<table><thead><tr><th>Chọn <span class=\"en\">/ Select</span></th><th>Trích yếu <span "
      "class=\"en\">/ Title</span></th><th>Hồ sơ <span class=\"en\">/ Dossier</span></th><th>Quầy "
      "<span class=\"en\">/ Desk</span></th><th>Đọc <span class=\"en\">/ Read</span></th><th>"
      "</th></tr></thead><tbody>");
  for (const v1::Document& doc : *waiting) {
    const std::string id = html::Escape(IdOf(doc.name()));
    absl::StrAppend(&body, "<tr data-id=\"", id,
                    "\"><td><input type=\"checkbox\" name=\"doc\" value=\"", id, "\"></td><td>",
                    html::Escape(doc.title()), "</td><td class=\"code\">",
                    html::Escape(doc.dossier_code()), "</td><td>", html::Escape(doc.desk()),
                    "</td><td><a class=\"xem\" href=\"/xem/", id,
                    "\">Đọc toàn văn <span class=\"en\">/ read in full</span></a></td><td><button "
                    "type=\"submit\" class=\"one\" name=\"chon\" value=\"",
                    id, "\">Ký duyệt</button></td></tr>");
  }
  absl::StrAppend(&body,
                  "</tbody></table><button type=\"submit\" class=\"all\" name=\"chon\" "
                  "value=\"*\">Ký duyệt các văn bản đã chọn <span class=\"en\">/ approve the "
                  "selected</span></button></form>");
  res.set_content(Page("Phê duyệt văn bản", body, ""), "text/html; charset=utf-8");
}

void ApprovalPage::Impl::View(const std::string& id, httplib::Response& res) {
  absl::StatusOr<std::optional<v1::Document>> doc = Find(id);
  if (!doc.ok()) return Failed(res, doc.status());
  if (!doc->has_value()) {
    res.status = 404;
    res.set_content(Page("Không tìm thấy",
                         "<p>Văn bản này không còn chờ phê duyệt <span "
                         "class=\"en\">/ this document is not waiting</span></p>"
                         "<p><a href=\"/\">Quay lại / Back</a></p>",
                         ""),
                    "text/html; charset=utf-8");
    return;
  }
  const std::string body = absl::StrCat(
      "<p><a href=\"/\">← Danh sách <span class=\"en\">/ back to the list</span></a></p><h2>",
      html::Escape((*doc)->title()),
      "</h2><p>Hồ sơ <span class=\"en\">/ dossier</span>: <span "
      "class=\"code\">",
      html::Escape((*doc)->dossier_code()), "</span></p><div id=\"trang\" data-pdf=\"/pdf/",
      html::Escape(id),
      ".pdf\"></div><h3>Nội dung dạng chữ <span class=\"en\">/ text</span></h3><div "
      "id=\"chu\"></div>");
  res.set_content(Page((*doc)->title(), body,
                       "<script src=\"/pdfjs/pdf.js\"></script><script src=\"/xem.js\"></script>"),
                  "text/html; charset=utf-8");
}

void ApprovalPage::Impl::Pdf(const std::string& id, httplib::Response& res) {
  absl::StatusOr<std::optional<v1::Document>> doc = Find(id);
  if (!doc.ok()) return Failed(res, doc.status());
  if (!doc->has_value()) {
    res.status = 404;
    return;
  }
  absl::StatusOr<std::string> bytes = approver.Download((*doc)->name());
  if (!bytes.ok()) return Failed(res, bytes.status());
  res.set_header("Content-Disposition", absl::StrCat("inline; filename=\"", id, ".pdf\""));
  res.set_content(*std::move(bytes), "application/pdf");
}

void ApprovalPage::Impl::Sign(const httplib::Request& req, httplib::Response& res) {
  // The PIN, out of the request into memory that is wiped; the request's own copies (the body and
  // the parsed field) are wiped too, as far as we can reach them.
  pkcs11::SecretString pin(req.has_param("pin") ? req.get_param_value("pin") : std::string());
  for (const auto& [name, value] : req.params) {
    if (name == "pin") OPENSSL_cleanse(const_cast<char*>(value.data()), value.size());
  }
  OPENSSL_cleanse(const_cast<char*>(req.body.data()), req.body.size());

  std::vector<std::string> ids;
  const std::string chosen = req.get_param_value("chon");
  if (chosen == "*") {
    for (const auto& [name, value] : req.params) {
      if (name == "doc") ids.push_back(value);
    }
  } else if (!chosen.empty()) {
    ids.push_back(chosen);
  }
  std::vector<Outcome> result;
  absl::StatusOr<std::vector<v1::Document>> waiting = approver.Waiting(options.desk);
  if (!waiting.ok()) return Failed(res, waiting.status());
  std::vector<const v1::Document*> docs;
  for (const std::string& id : ids) {
    const v1::Document* found = nullptr;
    for (const v1::Document& doc : *waiting) {
      if (IdOf(doc.name()) == id) found = &doc;
    }
    if (found) {
      docs.push_back(found);
    } else {
      result.push_back({id, false, "không còn chờ phê duyệt / no longer waiting"});
    }
  }
  std::lock_guard<std::mutex> lock(key_mutex);
  if (docs.empty() && result.empty()) {
    result.push_back({"—", false, "chưa chọn văn bản nào / no document selected"});
  }
  std::string detail;
  if (!docs.empty() && StateLocked(&detail) != TokenState::kReady) {
    if (pin.empty()) {
      result.push_back(
          {"Token", false, "[PIN_INVALID] hãy nhập mã PIN của token / enter the token's PIN"});
      docs.clear();
    } else {
      // Exactly one C_Login with what the officer typed; a wrong PIN is reported, not retried.
      absl::StatusOr<cli::OpenKey> opened = cli::OpenSigningKeyWithPin(options.key, pin);
      if (!opened.ok()) {
        spdlog::warn("approval page: the token login failed: {}", CodeOf(opened.status()));
        result.push_back(
            {"Token", false,
             absl::StrCat("[", CodeOf(opened.status()), "] ", opened.status().message(),
                          " — hãy nhập lại mã PIN; không có lần thử tự động nào / type the PIN "
                          "again; nothing is retried")});
        docs.clear();
      } else {
        key = *std::move(opened);
        absl::StatusOr<signer::CertificateInfo> cert =
            signer::DescribeCertificate(key.signer->CertificateChain().front());
        signer_name = cert.ok() ? cert->common_name : std::string();
      }
    }
  }
  pin.Wipe();
  for (const v1::Document* doc : docs) {
    if (!key.signer) {
      result.push_back({Named(*doc), false, "[TOKEN_ABSENT] token đã rút ra / token pulled"});
      continue;
    }
    absl::StatusOr<int> revision = approver.Approve(doc->name(), *key.signer);
    if (revision.ok()) {
      spdlog::info("approval page: approved {} (revision {})", doc->name(), *revision);
      result.push_back({Named(*doc), true, absl::StrCat("phiên bản / revision ", *revision)});
      continue;
    }
    spdlog::warn("approval page: {} not approved: {}", doc->name(), CodeOf(revision.status()));
    result.push_back(
        {Named(*doc), false,
         absl::StrCat("[", CodeOf(revision.status()), "] ", revision.status().message())});
    if (TokenGone(revision.status())) {
      key = {};  // the next approval needs the token back and the PIN typed again
      signer_name.clear();
    }
  }
  outcomes = std::move(result);
  res.set_redirect("/", 303);
}

void ApprovalPage::Impl::Routes() {
  httplib::Server& server = site->server();
  server.Get("/", [this](const httplib::Request&, httplib::Response& res) { Home(res); });
  server.Get("/trang.css", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(kStyleSheet, "text/css; charset=utf-8");
  });
  server.Get("/xem.js", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(kViewerScript, "text/javascript; charset=utf-8");
  });
  server.Get("/pdfjs/pdf.js", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(pdfjs, "text/javascript; charset=utf-8");
  });
  server.Get("/pdfjs/pdf.worker.js", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(pdfjs_worker, "text/javascript; charset=utf-8");
  });
  server.Get(R"(/xem/([A-Za-z0-9_-]{1,100}))",
             [this](const httplib::Request& req, httplib::Response& res) {
               View(req.matches[1].str(), res);
             });
  server.Get(R"(/pdf/([A-Za-z0-9_-]{1,100})\.pdf)",
             [this](const httplib::Request& req, httplib::Response& res) {
               Pdf(req.matches[1].str(), res);
             });
  server.Post("/ky-duyet",
              [this](const httplib::Request& req, httplib::Response& res) { Sign(req, res); });
}

ApprovalPage::ApprovalPage(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ApprovalPage::~ApprovalPage() {
  if (impl_ && impl_->site) impl_->site->Stop();
}

std::string ApprovalPage::OpeningUrl() const { return impl_->site->OpeningUrl(); }

absl::StatusOr<std::unique_ptr<ApprovalPage>> ApprovalPage::Start(
    Approver& approver, const ApprovalPageOptions& options) {
  if (!options.key.p12.empty() || options.key.module.empty()) {
    return Error(ErrorCode::kUsage, "--web signs with a token: give --module and --token");
  }
  auto impl = std::make_unique<Impl>(approver, options);
  for (auto [file, into] : {std::pair{"/build/pdf.js", &impl->pdfjs},
                            std::pair{"/build/pdf.worker.js", &impl->pdfjs_worker}}) {
    std::ifstream in(options.pdfjs_dir + file, std::ios::binary);
    *into = std::string(std::istreambuf_iterator<char>(in), {});
    if (into->empty()) {
      return Error(ErrorCode::kIo, absl::StrCat("pdf.js (Debian's libjs-pdf) not found at ",
                                                options.pdfjs_dir, file));
    }
  }
  localweb::LocalSiteConfig config;
  config.listen = options.listen;
  config.content_security_policy = kContentSecurityPolicy;
  config.max_body_bytes = 64 * 1024;
  config.log_name = "approval page";
  absl::StatusOr<std::unique_ptr<localweb::LocalSite>> site = localweb::LocalSite::Make(config);
  if (!site.ok()) return site.status();
  impl->site = *std::move(site);
  impl->Routes();
  if (absl::Status st = impl->site->Start(); !st.ok()) return st;
  return std::unique_ptr<ApprovalPage>(new ApprovalPage(std::move(impl)));
}

}  // namespace taicho::agent
