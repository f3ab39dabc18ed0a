// The desk's local pages as HTML, from plain values (the command line fills them from the
// service's answers): the print station's queue, and the staff pages — documents by state, the
// register, desk statistics with charts. Vietnamese first, English alongside; no script, no
// inline style (the local site's CSP forbids both), the one style sheet kStyleSheet served by
// the site itself at /trang.css. Every text from a document, a request or the service goes
// through Escape (deskweb/markup.h).
//
// Pure functions over values; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "deskweb/desk_queue.h"

namespace taicho::deskweb {

extern const char kStyleSheet[];

// ---- The print station's queue (taicho print-station --web) ----

struct WaitingDocument {
  std::string document;  // "documents/{id}"
  std::string dossier_code;
  std::string title;
  int64_t since_ms = 0;  // when it was sealed (its last update)
};

struct QueuePageModel {
  std::string desk;     // empty: every desk
  std::string printer;  // the CUPS queue or "folder:…"
  int64_t now_ms = 0;
  std::vector<WaitingDocument> waiting;  // sealed, not yet taken up by the station
  std::string waiting_error;             // why `waiting` could not be read (then it is empty)
  std::vector<QueueJob> jobs;            // the station's own rows, newest first
  std::string notice;                    // a message at the top (after a reprint was asked for)
};

// GET /: refreshes itself every 10 s (a meta refresh: no script).
std::string QueuePage(const QueuePageModel& model);

// GET /in-lai?name=…: the reason form for a reprint of one document (no refresh, so the
// operator's typing is not lost); `error` is shown above it after a refused request.
std::string ReprintPage(const std::string& document, const std::string& dossier_code,
                        const std::string& reason, const std::string& error);

// ---- The staff pages (taicho desk --web) ----

struct StateCount {
  std::string state;  // "SEALED" (the query value)
  std::string label;  // "Đã đóng dấu / Sealed"
  int count = 0;
};

struct DocumentRow {
  std::string document;
  std::string dossier_code;
  std::string title;
  std::string procedure;
  std::string desk;
  std::string state_label;
  int64_t create_ms = 0;
  int64_t update_ms = 0;
};

struct DocumentsPageModel {
  std::vector<StateCount> counts;  // every state, in lifecycle order
  std::string selected_state;      // "" : all
  std::vector<DocumentRow> documents;
  bool truncated = false;  // more documents than listed
  std::string error;
};

struct RegisterRow {
  std::string number_symbol;
  std::string issue_date;  // YYYY-MM-DD
  std::string state_label;
  std::string state;  // ISSUED, VOID, WITHDRAWN, ALLOCATED
  std::string summary;
  std::string dossier_code;
  std::string note;  // the signer, or the void / withdrawal reason
};

struct RegisterPageModel {
  std::string agency;
  int year = 0;
  std::vector<RegisterRow> rows;
  std::string error;
};

struct StatisticsRow {
  std::string procedure;  // "" in the total
  int received = 0;
  int issued = 0;
  int issued_on_the_spot = 0;
  int cancelled = 0;
  double on_the_spot_share = 0;
  int64_t median_ms = 0;
  int64_t p90_ms = 0;
};

struct StatisticsPageModel {
  std::string from_date;  // YYYY-MM-DD as typed (Vietnam days), "" : unbounded
  std::string to_date;    // inclusive
  int on_the_spot_minutes = 120;
  std::vector<StatisticsRow> procedures;
  StatisticsRow total;
  std::string error;
};

std::string DocumentsPage(const DocumentsPageModel& model);
std::string RegisterPage(const RegisterPageModel& model);
std::string StatisticsPage(const StatisticsPageModel& model);

// The two charts of the statistics page (also drawn there): per procedure, the share returned
// on the spot (one bar each), and receipt-to-return time (median and p90 bars, in minutes).
std::string OnTheSpotChart(const std::vector<StatisticsRow>& procedures);
std::string ReturnTimeChart(const std::vector<StatisticsRow>& procedures);

// A page with a title and a sentence, each "tiếng Việt / English" (errors, refusals).
std::string MessagePage(const std::string& title, const std::string& text);

}  // namespace taicho::deskweb
