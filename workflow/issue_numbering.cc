#include "workflow/issue_numbering.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "render/document_data.h"
#include "render/document_kind.h"
#include "render/issue_fields.h"

namespace taicho::workflow {

std::string RegisterAgency(const std::string& parent, const std::string& name) {
  return parent.empty() ? name : absl::StrCat(parent, " / ", name);
}

absl::StatusOr<std::optional<IssueAllocation>> AllocateIssueNumber(store::Store& store,
                                                                   const IssueRequest& in) {
  const store::DocumentRecord& doc = *in.document;
  const render::DocumentKind& kind = *in.kind;
  const render::DocumentData* data = in.data;
  if (!data->number.empty()) return std::nullopt;

  const render::IssueDate date = render::IssueDateAt(in.now_ms / 1000);
  store::RegisterEntry entry;
  entry.agency = RegisterAgency(data->agency.parent, data->agency.name);
  entry.year = date.year;
  entry.document_id = doc.id;
  entry.session_id = in.session_id;
  entry.issue_date = absl::StrFormat("%04d-%02d-%02d", date.year, date.month, date.day);
  entry.kind = doc.kind;
  entry.symbol = data->symbol.empty() ? kind.symbol : data->symbol;
  entry.summary = data->summary;
  entry.signer = in.approver;
  entry.sealer = in.sealer;
  entry.dossier_code = doc.dossier_code;
  entry.allocate_time_ms = in.now_ms;
  const store::HistoryEvent event{doc.id,
                                  in.now_ms,
                                  in.actor,
                                  "number_allocated",
                                  absl::StrCat("session ", in.session_id),
                                  doc.latest_revision};
  absl::StatusOr<store::RegisterEntry> allocated = store.AllocateNumber(entry, event);
  if (!allocated.ok()) return allocated.status();

  IssueAllocation out;
  out.entry = *std::move(allocated);
  out.fills = render::IssueFills(out.entry.number, date);
  // A draft rendered with its date given has only the number's blank.
  if (!data->date.empty()) out.fills.resize(1);
  return out;
}

}  // namespace taicho::workflow
