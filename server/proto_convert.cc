#include "server/proto_convert.h"

#include <google/protobuf/util/time_util.h>

#include <nlohmann/json.hpp>
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "errors/error.h"
#include "pades/baseline_level.h"
#include "render/document_data.h"

namespace taicho::server {
namespace {

using google::protobuf::util::TimeUtil;
using nlohmann::json;

const std::set<std::string, std::less<>>& BuiltInKeys() {
  static const auto* keys = new std::set<std::string, std::less<>>{
      "agency",  "number",   "symbol", "place",      "date",   "type",
      "summary", "articles", "fields", "recipients", "signer", "verification"};
  return *keys;
}

void PutIfSet(json& j, const char* key, const std::string& value) {
  if (!value.empty()) j[key] = value;
}

std::string StringAt(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool IsHexId(std::string_view s) {
  if (s.size() != 32) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<std::string> DataToJson(const v1::DocumentData& d) {
  json j = json::object();
  if (d.has_agency()) {
    json agency = json::object();
    PutIfSet(agency, "parent", d.agency().parent());
    agency["name"] = d.agency().name();
    j["agency"] = agency;
  }
  PutIfSet(j, "number", d.number());
  PutIfSet(j, "symbol", d.symbol());
  PutIfSet(j, "place", d.place());
  PutIfSet(j, "date", d.date());
  PutIfSet(j, "type", d.type());
  PutIfSet(j, "summary", d.summary());
  if (d.articles_size() > 0) {
    json articles = json::array();
    for (const v1::Article& a : d.articles()) {
      json article = {{"text", a.text()}};
      if (a.clauses_size() > 0) {
        json clauses = json::array();
        for (const v1::Clause& c : a.clauses()) {
          json clause = {{"text", c.text()}};
          if (c.points_size() > 0) {
            clause["points"] = std::vector<std::string>(c.points().begin(), c.points().end());
          }
          clauses.push_back(clause);
        }
        article["clauses"] = clauses;
      }
      articles.push_back(article);
    }
    j["articles"] = articles;
  }
  if (d.fields_size() > 0) {
    json fields = json::array();
    for (const v1::Field& f : d.fields())
      fields.push_back({{"label", f.label()}, {"value", f.value()}});
    j["fields"] = fields;
  }
  if (d.recipients_size() > 0) {
    j["recipients"] = std::vector<std::string>(d.recipients().begin(), d.recipients().end());
  }
  if (d.has_signer()) {
    json signer = {{"title", d.signer().title()}, {"name", d.signer().name()}};
    PutIfSet(signer, "authority_prefix", d.signer().authority_prefix());
    j["signer"] = signer;
  }
  if (d.has_verification()) {
    json verification = json::object();
    PutIfSet(verification, "code", d.verification().code());
    PutIfSet(verification, "url", d.verification().url());
    j["verification"] = verification;
  }
  std::vector<std::string> problems;
  for (const auto& [key, text] : d.texts()) {
    if (BuiltInKeys().count(key) != 0 || d.lists().count(key) != 0) {
      problems.push_back(absl::StrCat("texts.", key, ": tên trùng / name already used"));
      continue;
    }
    j[key] = text;
  }
  for (const auto& [key, list] : d.lists()) {
    if (BuiltInKeys().count(key) != 0) {
      problems.push_back(absl::StrCat("lists.", key, ": tên trùng / name already used"));
      continue;
    }
    j[key] = std::vector<std::string>(list.values().begin(), list.values().end());
  }
  if (!problems.empty()) return Error(ErrorCode::kDataInvalid, absl::StrJoin(problems, "; "));
  // Invalid UTF-8 makes dump() throw; say so as a data problem instead.
  std::string out = j.dump(-1, ' ', false, json::error_handler_t::replace);
  if (out.size() > render::kMaxJsonBytes) {
    return Error(ErrorCode::kDataInvalid, "data: larger than 2 MiB / quá lớn");
  }
  return out;
}

v1::DocumentData DataFromJson(const std::string& text) {
  v1::DocumentData d;
  const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return d;
  for (const auto& [key, value] : j.items()) {
    if (key == "agency" && value.is_object()) {
      d.mutable_agency()->set_parent(StringAt(value, "parent"));
      d.mutable_agency()->set_name(StringAt(value, "name"));
    } else if (key == "signer" && value.is_object()) {
      d.mutable_signer()->set_authority_prefix(StringAt(value, "authority_prefix"));
      d.mutable_signer()->set_title(StringAt(value, "title"));
      d.mutable_signer()->set_name(StringAt(value, "name"));
    } else if (key == "verification" && value.is_object()) {
      d.mutable_verification()->set_code(StringAt(value, "code"));
      d.mutable_verification()->set_url(StringAt(value, "url"));
    } else if (key == "articles" && value.is_array()) {
      for (const json& a : value) {
        v1::Article* article = d.add_articles();
        article->set_text(StringAt(a, "text"));
        if (!a.contains("clauses") || !a["clauses"].is_array()) continue;
        for (const json& c : a["clauses"]) {
          v1::Clause* clause = article->add_clauses();
          clause->set_text(StringAt(c, "text"));
          if (!c.contains("points") || !c["points"].is_array()) continue;
          for (const json& p : c["points"]) {
            if (p.is_string()) clause->add_points(p.get<std::string>());
          }
        }
      }
    } else if (key == "fields" && value.is_array()) {
      for (const json& f : value) {
        v1::Field* field = d.add_fields();
        field->set_label(StringAt(f, "label"));
        field->set_value(StringAt(f, "value"));
      }
    } else if (key == "recipients" && value.is_array()) {
      for (const json& r : value) {
        if (r.is_string()) d.add_recipients(r.get<std::string>());
      }
    } else if (BuiltInKeys().count(key) != 0 && value.is_string()) {
      const std::string s = value.get<std::string>();
      if (key == "number") d.set_number(s);
      if (key == "symbol") d.set_symbol(s);
      if (key == "place") d.set_place(s);
      if (key == "date") d.set_date(s);
      if (key == "type") d.set_type(s);
      if (key == "summary") d.set_summary(s);
    } else if (value.is_string()) {
      (*d.mutable_texts())[key] = value.get<std::string>();
    } else if (value.is_array()) {
      v1::StringList& list = (*d.mutable_lists())[key];
      for (const json& item : value) {
        if (item.is_string()) list.add_values(item.get<std::string>());
      }
    }
  }
  return d;
}

v1::Document::State ToProto(store::DocumentState state) {
  switch (state) {
    case store::DocumentState::kDraft:
      return v1::Document::DRAFT;
    case store::DocumentState::kApproved:
      return v1::Document::APPROVED;
    case store::DocumentState::kSealed:
      return v1::Document::SEALED;
    case store::DocumentState::kIssued:
      return v1::Document::ISSUED;
    case store::DocumentState::kCancelled:
      return v1::Document::CANCELLED;
    case store::DocumentState::kWithdrawn:
      return v1::Document::WITHDRAWN;
  }
  return v1::Document::STATE_UNSPECIFIED;
}

std::optional<store::DocumentState> FromProto(v1::Document::State state) {
  switch (state) {
    case v1::Document::DRAFT:
      return store::DocumentState::kDraft;
    case v1::Document::APPROVED:
      return store::DocumentState::kApproved;
    case v1::Document::SEALED:
      return store::DocumentState::kSealed;
    case v1::Document::ISSUED:
      return store::DocumentState::kIssued;
    case v1::Document::CANCELLED:
      return store::DocumentState::kCancelled;
    case v1::Document::WITHDRAWN:
      return store::DocumentState::kWithdrawn;
    default:
      return std::nullopt;
  }
}

namespace {

std::string VietnamIso8601(int64_t ms) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%S+07:00", absl::FromUnixMillis(ms),
                          absl::FixedTimeZone(7 * 3600));
}

}  // namespace

void FillWithdrawal(const domain::Withdrawal& w, v1::Withdrawal* out) {
  out->set_reason(w.reason);
  out->set_actor(w.actor);
  *out->mutable_withdraw_time() =
      google::protobuf::util::TimeUtil::MillisecondsToTimestamp(w.time_ms);
}

void FillWithdrawal(const domain::Withdrawal& w, v1::VerificationReport* out) {
  out->set_withdrawn(true);
  out->set_withdraw_reason(w.reason);
  out->set_withdraw_time(VietnamIso8601(w.time_ms));
  // The report people read says it first: valid signatures do not make a withdrawn document valid.
  out->set_text(absl::StrCat("VĂN BẢN ĐÃ BỊ THU HỒI / THE DOCUMENT WAS WITHDRAWN (",
                             out->withdraw_time(), "): ", w.reason, "\n", out->text()));
}

void FillDocument(const store::DocumentRecord& r, bool with_data, v1::Document* out) {
  out->set_name(DocumentName(r.id));
  out->set_kind(r.kind);
  out->set_dossier_code(r.dossier_code);
  out->set_procedure(r.procedure);
  out->set_desk(r.desk);
  if (with_data) *out->mutable_data() = DataFromJson(r.data_json);
  out->set_state(ToProto(r.state));
  out->set_title(r.title);
  *out->mutable_create_time() = TimeUtil::MillisecondsToTimestamp(r.create_time_ms);
  *out->mutable_update_time() = TimeUtil::MillisecondsToTimestamp(r.update_time_ms);
}

namespace {

// The level fields Document and DocumentLevel share (same names, same meaning).
template <typename Message>
void FillLevelFields(const store::LevelRecord& r, Message* out) {
  out->set_level(r.level);
  out->set_target_level(r.target_level);
  out->set_upgrade_pending(r.upgrade_pending);
  if (r.upgrade_pending) {
    *out->mutable_next_upgrade_time() = TimeUtil::MillisecondsToTimestamp(r.next_attempt_ms);
  }
  out->set_upgrade_problem(r.problem);
  if (r.renew_at_ms > 0) {
    *out->mutable_next_renewal_time() = TimeUtil::MillisecondsToTimestamp(r.renew_at_ms);
  }
}

}  // namespace

void FillLevel(const store::LevelRecord& r, v1::Document* out) {
  FillLevelFields(r, out);
  for (absl::string_view item : absl::StrSplit(r.signature_levels, ';', absl::SkipEmpty())) {
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos) continue;
    v1::SignatureLevel* level = out->add_signature_levels();
    level->set_field(std::string(item.substr(0, eq)));
    level->set_level(std::string(item.substr(eq + 1)));
  }
}

void FillLevel(const store::LevelRecord& r, v1::DocumentLevel* out) {
  out->set_document(DocumentName(r.document_id));
  FillLevelFields(r, out);
  out->set_failed_attempts(r.attempts);
}

void FillRevision(const store::RevisionRecord& r, v1::Revision* out) {
  out->set_name(RevisionName(r.document_id, r.number));
  out->set_number(r.number);
  switch (r.purpose) {
    case store::RevisionPurpose::kDraft:
      out->set_purpose(v1::Revision::DRAFT);
      break;
    case store::RevisionPurpose::kApproval:
      out->set_purpose(v1::Revision::APPROVAL);
      break;
    case store::RevisionPurpose::kSeal:
      out->set_purpose(v1::Revision::SEAL);
      break;
    case store::RevisionPurpose::kLevelUpgrade:
      out->set_purpose(v1::Revision::LEVEL_UPGRADE);
      break;
    case store::RevisionPurpose::kArchiveRenewal:
      out->set_purpose(v1::Revision::ARCHIVE_RENEWAL);
      break;
  }
  out->set_sha256(r.sha256);
  out->set_size_bytes(r.size);
  out->set_signer(r.signer);
  *out->mutable_create_time() = TimeUtil::MillisecondsToTimestamp(r.create_time_ms);
}

void FillHistory(const store::HistoryEvent& e, v1::HistoryEvent* out) {
  *out->mutable_time() = TimeUtil::MillisecondsToTimestamp(e.time_ms);
  out->set_actor(e.actor);
  out->set_action(e.action);
  out->set_detail(e.detail);
  out->set_revision(e.revision);
}

void FillReport(const pades::VerificationReport& report, v1::VerificationReport* out) {
  out->set_all_passed(report.all_passed());
  out->set_text(report.ToText() + pades::LevelLine(report));
  out->set_level(pades::DocumentLevel(report));
  for (size_t i = 0; i < report.signatures.size(); ++i) {
    const pades::SignatureReport& s = report.signatures[i];
    v1::SignatureReport* r = out->add_signatures();
    r->set_level(pades::SignatureLevel(report, i));
    r->set_field_name(s.field_name);
    r->set_sub_filter(s.sub_filter);
    r->set_signing_time(s.signing_time);
    r->set_signer_name(s.signer_name);
    r->set_signer_subject(s.signer_subject);
    r->set_signer_issuer(s.signer_issuer);
    r->set_signer_serial(s.signer_serial);
    r->set_digest_algorithm(s.digest_algorithm);
    r->set_signature_algorithm(s.signature_algorithm);
    r->set_byte_range_ok(s.byte_range_ok);
    r->set_digest_ok(s.digest_ok);
    r->set_signature_ok(s.signature_ok);
    r->set_signing_certificate_ok(s.signing_certificate_ok);
    r->set_covers_whole_file(s.covers_whole_file);
    if (s.chain_trusted.has_value()) r->set_chain_trusted(*s.chain_trusted);
    r->set_chain_validated_at(s.chain_validated_at);
    for (const std::string& p : s.problems) r->add_problems(p);
    for (const std::string& n : s.notes) r->add_notes(n);
    r->set_page_name_check(s.page_name_check);
    r->set_page_name(s.page_name);
    r->set_indication(s.indication);
    r->set_sub_indication(s.sub_indication);
    if (s.timestamp_ok.has_value()) r->set_timestamp_ok(*s.timestamp_ok);
    r->set_timestamp_time(s.timestamp_time);
    r->set_timestamp_tsa(s.timestamp_tsa);
    r->set_revocation_status(s.revocation_status);
    r->set_revocation_source(s.revocation_source);
    r->set_revocation_time(s.revocation_time);
    if (s.certification_p.has_value()) r->set_certification_p(*s.certification_p);
    r->set_docmdp_in_force(s.docmdp_in_force);
    for (const pades::DetectedChange& change : s.changes_after) {
      v1::DetectedChange* c = r->add_changes_after();
      c->set_kind(change.kind);
      c->set_permitted(change.permitted);
      c->set_text_vi(change.text_vi);
      c->set_text_en(change.text_en);
      for (int64_t object : change.objects) c->add_objects(object);
    }
    r->set_changes_permitted(s.changes_permitted);
  }
  for (const std::string& p : report.problems) out->add_problems(p);
  for (const std::string& w : report.warnings) out->add_warnings(w);
}

std::string DocumentName(const std::string& id) { return "documents/" + id; }
std::string RevisionName(const std::string& id, int number) {
  return absl::StrCat("documents/", id, "/revisions/", number);
}
std::string SessionName(const std::string& id) { return "signingSessions/" + id; }

absl::StatusOr<std::pair<std::string, int>> ParseDocumentName(const std::string& name,
                                                              bool allow_revision) {
  const std::vector<std::string> parts = absl::StrSplit(name, '/');
  int number = 0;
  const bool document = parts.size() == 2;
  const bool revision = allow_revision && parts.size() == 4 && parts[2] == "revisions" &&
                        absl::SimpleAtoi(parts[3], &number) && number > 0;
  if ((!document && !revision) || parts[0] != "documents" || !IsHexId(parts[1])) {
    return Error(ErrorCode::kUsage,
                 allow_revision ? "name: documents/{id} hoặc / or documents/{id}/revisions/{n}"
                                : "name: documents/{id}");
  }
  return std::make_pair(parts[1], number);
}

absl::StatusOr<std::string> ParseSessionName(const std::string& name) {
  const std::string kPrefix = "signingSessions/";
  if (!absl::StartsWith(name, kPrefix) || !IsHexId(std::string_view(name).substr(kPrefix.size()))) {
    return Error(ErrorCode::kUsage, "session: signingSessions/{id}");
  }
  return name.substr(kPrefix.size());
}

std::string EncodePageToken(int64_t create_time_ms, const std::string& id) {
  return absl::WebSafeBase64Escape(absl::StrCat("v1:", create_time_ms, ":", id));
}

absl::StatusOr<std::pair<int64_t, std::string>> DecodePageToken(const std::string& token) {
  std::string raw;
  const absl::Status bad = Error(ErrorCode::kUsage, "page_token: không hợp lệ / not valid");
  if (!absl::WebSafeBase64Unescape(token, &raw)) return bad;
  const std::vector<std::string> parts = absl::StrSplit(raw, ':');
  int64_t time = 0;
  if (parts.size() != 3 || parts[0] != "v1" || !absl::SimpleAtoi(parts[1], &time) ||
      !IsHexId(parts[2])) {
    return bad;
  }
  return std::make_pair(time, parts[2]);
}

}  // namespace taicho::server
