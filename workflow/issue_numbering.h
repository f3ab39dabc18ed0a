// Private to workflow/: the issue step's number and date (Decree 30/2020). When the seal step is
// prepared for a document whose draft left them blank, the next number of the agency's register
// for the year is allocated (durably, before any PDF is written) and the fills for the draft's
// number and date fields are made; the same update then carries the fill and the agency's seal.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "pdf/signature_update.h"
#include "render/document_data.h"
#include "render/document_kind.h"
#include "store/store.h"

namespace taicho::workflow {

struct IssueAllocation {
  store::RegisterEntry entry;
  std::vector<pdf::FieldFill> fills;
};

struct IssueRequest {
  const store::DocumentRecord* document = nullptr;
  const render::DocumentKind* kind = nullptr;  // the document's kind
  const render::DocumentData* data = nullptr;  // its data, parsed (by the signing plan)
  std::string approver;  // the officer's certificate subject (the approval revision's signer)
  std::string sealer;    // the agency certificate's subject
  std::string session_id;
  int64_t now_ms = 0;  // the seal's signing time: its date is the date of issue
  std::string actor;
};

// nullopt when the document was rendered with its number already given (nothing to allocate).
absl::StatusOr<std::optional<IssueAllocation>> AllocateIssueNumber(store::Store& store,
                                                                   const IssueRequest& request);

// The register's name for an agency: the document's agency line, with its parent when it has
// one ("ỦY BAN NHÂN DÂN HUYỆN CẦN GIUỘC / ỦY BAN NHÂN DÂN XÃ LONG PHƯỚC").
std::string RegisterAgency(const std::string& parent, const std::string& name);

}  // namespace taicho::workflow
