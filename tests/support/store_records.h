// Records the store tests write directly (no workflow behind them): the sample document record,
// its id, and a scratch file in a store's work directory. Plain functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "domain/records.h"
#include "store/store.h"

namespace taicho::testing {

// Document `n`'s id: n in decimal, left-padded with zeros to the 32 digits of a real id.
std::string DocumentId(int n);

// Document `n` (dossier "HS-n", request "r1", kind quyet-dinh-ubnd, data "{}", revision 1) in
// `state` at `desk`, created and updated at `time_ms`.
store::DocumentRecord SampleRecord(int n, int64_t time_ms,
                                   store::DocumentState state = store::DocumentState::kDraft,
                                   const std::string& desk = "Quầy 1");

// Document `n` created as a draft in `store` with its revision 1 (a small PDF-ish blob of 12
// bytes), as the workflow stores it; expectations fail if the store refuses.
store::DocumentRecord AddSampleDraft(store::Store& store, int n, int64_t time_ms = 1000);

// A register entry of agency "UBND XÃ A" for `document_id`'s number in `year`, allocated for
// `session_id` (what AllocateNumber takes; the store gives the number).
store::RegisterEntry SampleEntry(const std::string& document_id, const std::string& session_id,
                                 int year = 2026);

// A new scratch file of `store` holding `bytes`; its path (for PutBlob).
std::string ScratchFile(store::Store& store, const std::string& bytes);

}  // namespace taicho::testing
