#include "tests/support/store_records.h"

#include <fstream>

#include "gtest/gtest.h"

namespace taicho::testing {

std::string DocumentId(int n) {
  const std::string id = std::to_string(n);
  return std::string(32 - id.size(), '0') + id;
}

store::DocumentRecord SampleRecord(int n, int64_t time_ms, store::DocumentState state,
                                   const std::string& desk) {
  store::DocumentRecord d;
  d.id = DocumentId(n);
  d.kind = "quyet-dinh-ubnd";
  d.dossier_code = "HS-" + std::to_string(n);
  d.request_id = "r1";
  d.request_hash = "h";
  d.desk = desk;
  d.title = "QUYẾT ĐỊNH";
  d.data_json = "{}";
  d.state = state;
  d.create_time_ms = d.update_time_ms = time_ms;
  d.latest_revision = 1;
  return d;
}

store::RegisterEntry SampleEntry(const std::string& document_id, const std::string& session_id,
                                 int year) {
  store::RegisterEntry e;
  e.agency = "UBND XÃ A";
  e.year = year;
  e.document_id = document_id;
  e.session_id = session_id;
  return e;
}

store::DocumentRecord AddSampleDraft(store::Store& store, int n, int64_t time_ms) {
  auto sha = store.PutBlob(ScratchFile(store, "%PDF draft " + std::to_string(n)));
  EXPECT_TRUE(sha.ok()) << sha.status();
  store::DocumentRecord d = SampleRecord(n, time_ms);
  auto out = store.CreateDocument(
      d, {d.id, 1, store::RevisionPurpose::kDraft, sha.ok() ? *sha : "", 12, "", time_ms},
      {d.id, time_ms, "test", "created", "", 1});
  EXPECT_TRUE(out.ok()) << out.status();
  return d;
}

std::string ScratchFile(store::Store& store, const std::string& bytes) {
  const std::string path = store.NewScratchPath(".pdf");
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

}  // namespace taicho::testing
