// Translation between the taicho.v1 messages and the workflow's values. No logic beyond shape:
// what is allowed is decided by workflow/.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "pades/pdf_verifier.h"
#include "store/store.h"
#include "taicho/v1/document.pb.h"
#include "taicho/v1/document_data.pb.h"
#include "taicho/v1/document_service.pb.h"
#include "taicho/v1/verification.pb.h"
#include "workflow/document_workflow.h"

namespace taicho::server {

// The JSON render/ reads (render/document_data.h). kDataInvalid when a texts/lists key collides
// with a built-in field or the whole is larger than render's limit.
absl::StatusOr<std::string> DataToJson(const v1::DocumentData& data);
// The reverse, for GetDocument (data stored by DataToJson always converts back).
v1::DocumentData DataFromJson(const std::string& json);

v1::Document::State ToProto(store::DocumentState state);
std::optional<store::DocumentState> FromProto(v1::Document::State state);

// The document's fields; revisions and history are added by the caller when wanted.
void FillDocument(const store::DocumentRecord& record, bool with_data, v1::Document* out);
void FillRevision(const store::RevisionRecord& record, v1::Revision* out);
// A document's PAdES level and the worker's plans for it (upgrade, renewal).
void FillLevel(const store::LevelRecord& record, v1::Document* out);
void FillLevel(const store::LevelRecord& record, v1::DocumentLevel* out);
void FillHistory(const store::HistoryEvent& event, v1::HistoryEvent* out);
void FillReport(const pades::VerificationReport& report, v1::VerificationReport* out);
void FillWithdrawal(const domain::Withdrawal& withdrawal, v1::Withdrawal* out);
// Marks a stored document's report withdrawn (after FillReport: its text gains a first line).
void FillWithdrawal(const domain::Withdrawal& withdrawal, v1::VerificationReport* out);

// Resource names.
std::string DocumentName(const std::string& id);
std::string RevisionName(const std::string& id, int number);
std::string SessionName(const std::string& id);

// "documents/{id}" → (id, 0); "documents/{id}/revisions/{n}" → (id, n) when `allow_revision`.
// kUsage naming the field when malformed.
absl::StatusOr<std::pair<std::string, int>> ParseDocumentName(const std::string& name,
                                                              bool allow_revision);
absl::StatusOr<std::string> ParseSessionName(const std::string& name);

// Opaque page tokens: the (create_time, id) of the last document of a page.
std::string EncodePageToken(int64_t create_time_ms, const std::string& id);
absl::StatusOr<std::pair<int64_t, std::string>> DecodePageToken(const std::string& token);

}  // namespace taicho::server
