// The officer's approval page (`taicho-agent --web`, issue 18 §2): served on 127.0.0.1 by a
// localweb::LocalSite (per-start secret, Host/Origin checks), in Vietnamese with English beside.
//   GET  /                 the drafts waiting (oldest first), the token's state, the PIN field,
//                          "Ký duyệt" per document and for the ones ticked, the last results
//   GET  /xem/{id}         the draft read in full: pdf.js (Debian's libjs-pdf, served from here)
//                          draws every page; its text is shown beneath
//   GET  /pdf/{id}.pdf     the draft's bytes (only a document in the waiting list)
//   POST /ky-duyet         pin (only when the token is not open yet), chon = id or "*", doc = ids:
//                          one C_Login with that PIN, then each approval through Approver
//   GET  /trang.css, /xem.js, /pdfjs/pdf.js, /pdfjs/pdf.worker.js
// The PIN is used for exactly one C_Login and wiped (with the copies of the request we can reach);
// it is never stored, logged or retried: a wrong PIN is reported once with its code and the next
// attempt needs the officer to type it again (the POST answers 303, so reloading sends nothing).
// The agent keeps its mutual-TLS identity to taichod; the browser gets pages and PDFs only.
//
// Ownership and threads: the Approver is not owned and must outlive the page. Requests run on
// the site's worker threads; the token session is used under one mutex (one approval at a time).
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "agent/approver.h"
#include "cli/key_source.h"

namespace taicho::agent {

struct ApprovalPageOptions {
  std::string listen = "127.0.0.1:0";
  std::string desk;  // only this desk's drafts (all when empty)
  cli::KeyOptions key;
  std::string pdfjs_dir = "/usr/share/javascript/pdf";  // Debian's libjs-pdf
};

class ApprovalPage {
 public:
  // Starts serving. kConfigInvalid for a bad address, kUsage for a key given as --p12 (the page
  // opens a token), kIo when pdf.js is missing or the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<ApprovalPage>> Start(Approver& approver,
                                                             const ApprovalPageOptions& options);
  ~ApprovalPage();
  ApprovalPage(const ApprovalPage&) = delete;
  ApprovalPage& operator=(const ApprovalPage&) = delete;

  // The URL carrying the secret, to open once in the officer's browser.
  std::string OpeningUrl() const;

  struct Impl;

 private:
  explicit ApprovalPage(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace taicho::agent
