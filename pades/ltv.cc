#include "pades/ltv.h"

#include <openssl/err.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <memory>
#include <optional>
#include <set>

#include "absl/functional/function_ref.h"
#include "absl/strings/str_cat.h"
#include "errors/error.h"
#include "pdf/dss_update.h"
#include "pdf/pdf_file.h"
#include "pdf/signature_reader.h"
#include "pdf/signature_update.h"
#include "signer/certificate_cache.h"
#include "signer/certificate_info.h"
#include "signer/cms_der.h"
#include "signer/openssl_ptr.h"
#include "vntime/vntime.h"

namespace taicho::pades {
namespace {

using signer::ossl::ToDer;
using signer::ossl::X509Ptr;

// Room for a token with the TSA's chain (2–6 KB); a larger one makes the update be redone.
constexpr size_t kDocTimeStampCapacity = 12 * 1024;

// A token over the written update's ByteRange (its imprint is SHA-256 of those bytes; TsaClient
// hashes what it is given). The TSA policy's fallback is not honoured: no token is an error.
absl::StatusOr<tsa::TimeStampOutcome> StampByteRange(const std::string& path,
                                                     const pdf::PreparedUpdate& update,
                                                     const tsa::TsaClient& tsa) {
  Bytes covered;
  absl::Status st =
      pdf::StreamByteRange(path, update.byte_range, [&](std::span<const uint8_t> chunk) {
        covered.insert(covered.end(), chunk.begin(), chunk.end());
      });
  if (!st.ok()) return st;
  absl::StatusOr<tsa::TimeStampOutcome> stamp = tsa.TimeStamp(covered);
  if (!stamp.ok()) return stamp.status();
  if (!stamp->stamped) {
    std::string why;
    for (const std::string& p : stamp->problems) absl::StrAppend(&why, p, "; ");
    return Error(ErrorCode::kTsaUnavailable, why);
  }
  return stamp;
}

DocTimeStampResult DocTimeStampOf(const pdf::PreparedUpdate& update,
                                  const tsa::TimeStampOutcome& stamp) {
  DocTimeStampResult result;
  result.field_name = update.field_name;
  result.tsa_url = stamp.tsa_url;
  result.gen_time = stamp.info.gen_time_text;
  result.token_size = stamp.token.size();
  result.file_size = update.file_size;
  result.tsa_certificate_der = stamp.info.tsa_certificate_der;
  result.digest_algorithm = stamp.info.digest_algorithm;
  return result;
}

struct StampedUpdate {
  pdf::PreparedUpdate update;
  tsa::TimeStampOutcome stamp;
};

// A document time-stamp update written to `output_path` (atomically, as `durability` says) by
// `write` (given the pass, the field to add and the file to write it into, emptied), stamped over
// its ByteRange and committed. A token too large for the room reserved makes one more pass with
// room for it.
absl::StatusOr<StampedUpdate> WriteStampedUpdate(
    const std::string& output_path, pdf::Durability durability, const tsa::TsaClient& tsa,
    absl::FunctionRef<absl::StatusOr<pdf::PreparedUpdate>(int, const pdf::SignatureFieldSpec&, int)>
        write) {
  pdf::SignatureFieldSpec spec;
  spec.type = "DocTimeStamp";
  spec.sub_filter = "ETSI.RFC3161";
  spec.contents_capacity = kDocTimeStampCapacity;
  absl::StatusOr<pdf::AtomicFile> out = pdf::AtomicFile::Create(output_path, durability);
  if (!out.ok()) return out.status();
  for (int pass = 0; pass < 2; ++pass) {
    if (::ftruncate(out->fd(), 0) != 0) return Error(ErrorCode::kIo, "cannot truncate output");
    absl::StatusOr<pdf::PreparedUpdate> update = write(pass, spec, out->fd());
    if (!update.ok()) return update.status();
    absl::StatusOr<tsa::TimeStampOutcome> stamp = StampByteRange(out->temp_path(), *update, tsa);
    if (!stamp.ok()) return stamp.status();
    if (stamp->token.size() > update->contents_capacity) {
      spec.contents_capacity = stamp->token.size() + 2048;
      continue;
    }
    absl::Status st = pdf::EmbedContents(out->fd(), *update, stamp->token);
    if (!st.ok()) return st;
    st = out->Commit();
    if (!st.ok()) return st;
    return StampedUpdate{*std::move(update), *std::move(stamp)};
  }
  return Error(ErrorCode::kSignatureTooLarge, "document time-stamp token");
}

std::string SubjectOf(const Bytes& der, signer::CertificateCache* certificates) {
  absl::StatusOr<signer::CertificateInfo> info = signer::DescribeCertificate(der, certificates);
  return info.ok() ? info->subject : "?";
}

// The validation data for every signature and time-stamp of `parsed` (AddValidationData's
// contract), into `dss` and `result`.
absl::Status CollectValidationData(const pdf::ParsedPdf& parsed_pdf, const LtvOptions& options,
                                   pdf::DssContent& dss, LtvResult& result) {
  if (options.revocation == nullptr) return Error(ErrorCode::kUsage, "no revocation client");
  absl::StatusOr<std::vector<pdf::EmbeddedSignature>> sigs = pdf::ReadSignatures(parsed_pdf);
  if (!sigs.ok()) return sigs.status();
  if (sigs->empty()) return Error(ErrorCode::kUsage, "the file has no signature");

  std::vector<Bytes> pool;
  // Copied as DER, not decoded: only the pool's unique certificates are parsed (below, or found
  // in the cache).
  for (const pdf::EmbeddedSignature& sig : *sigs) signer::AppendCmsCertificates(sig.contents, pool);
  pool.insert(pool.end(), options.extra_certs.begin(), options.extra_certs.end());
  {  // unique, in first-seen order
    std::set<Bytes> seen;
    std::vector<Bytes> unique;
    for (Bytes& c : pool) {
      if (!c.empty() && seen.insert(c).second) unique.push_back(std::move(c));
    }
    pool = std::move(unique);
  }
  // Parsed once here (or not at all with a warm cache): the issuer search, the descriptions and
  // the revocation client all read the same objects.
  std::optional<signer::CertificateCache> own_certificates;
  signer::CertificateCache* certificates = options.certificates;
  if (certificates == nullptr) certificates = &own_certificates.emplace(pool.size() + 16);
  std::vector<X509Ptr> parsed;
  for (const Bytes& c : pool) parsed.push_back(signer::ParseCertificate(c, certificates));

  dss.certs = pool;
  const int64_t before = options.revocation->network_requests();
  const int64_t now = (options.env != nullptr ? *options.env : Env::Default()).NowUnixSeconds();
  for (size_t i = 0; i < pool.size(); ++i) {
    X509* cert = parsed[i].get();
    if (cert == nullptr || X509_check_issued(cert, cert) == X509_V_OK) continue;  // roots
    // The issuer by name and key identifiers (X509_check_issued). The signature is checked only
    // to choose between several such candidates (a CA re-keyed under the same name): with one,
    // the revocation client verifies the answer against it anyway, and verifying every
    // certificate's signature here for every seal was about 2.5% of a B-LTA seal's CPU.
    std::vector<size_t> candidates;
    for (size_t j = 0; j < pool.size(); ++j) {
      if (j != i && parsed[j] && X509_check_issued(parsed[j].get(), cert) == X509_V_OK) {
        candidates.push_back(j);
      }
    }
    size_t issuer = pool.size();
    if (candidates.size() == 1) {
      issuer = candidates.front();
    } else {
      for (size_t j : candidates) {
        if (X509_verify(cert, X509_get0_pubkey(parsed[j].get())) == 1) {
          issuer = j;
          break;
        }
      }
    }
    ERR_clear_error();
    CertificateStatusLine line{SubjectOf(pool[i], certificates), "unavailable", ""};
    if (issuer == pool.size()) {
      result.problems.push_back(absl::StrCat(line.subject, ": issuer not in the file"));
      result.statuses.push_back(line);
      continue;
    }
    absl::StatusOr<revocation::StatusAnswer> answer =
        options.revocation->StatusAt(pool[i], pool[issuer], now);
    if (!answer.ok()) {
      if (options.fail_when_unavailable ||
          !HasCode(answer.status(), ErrorCode::kRevocationUnavailable)) {
        return answer.status();
      }
      result.problems.push_back(absl::StrCat(line.subject, ": ", answer.status().message()));
      result.statuses.push_back(line);
      continue;
    }
    line.status = std::string(revocation::StatusName(answer->status));
    line.source = answer->kind == revocation::EvidenceKind::kOcsp ? "ocsp" : "crl";
    if (answer->from_cache) line.source += " (cache)";
    if (answer->status == revocation::CertStatus::kRevoked) {
      result.problems.push_back(
          absl::StrCat(line.subject, ": revoked at ", vntime::IsoUtc(answer->revocation_time)));
    }
    result.statuses.push_back(line);
    if (answer->kind == revocation::EvidenceKind::kOcsp) {
      for (Bytes& c : answer->evidence_certs) dss.certs.push_back(std::move(c));
      dss.ocsps.push_back(std::move(answer->evidence));
    } else {
      dss.crls.push_back(std::move(answer->evidence));
    }
  }
  result.network_requests = options.revocation->network_requests() - before;

  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<LtvResult> AddValidationData(const std::string& input_path,
                                            const std::string& output_path,
                                            const LtvOptions& options) {
  if (options.revocation == nullptr) return Error(ErrorCode::kUsage, "no revocation client");
  // Parsed once: its signatures now, the DSS update below.
  absl::StatusOr<pdf::ParsedPdf> parsed_pdf = pdf::ParsedPdf::Open(input_path);
  if (!parsed_pdf.ok()) return parsed_pdf.status();
  LtvResult result;
  pdf::DssContent dss;
  absl::Status collected = CollectValidationData(*parsed_pdf, options, dss, result);
  if (!collected.ok()) return collected;
  absl::StatusOr<pdf::AtomicFile> out =
      pdf::AtomicFile::Create(output_path, options.output_durability);
  if (!out.ok()) return out.status();
  absl::StatusOr<pdf::DssUpdateResult> written = pdf::WriteDssUpdate(*parsed_pdf, out->fd(), dss);
  if (!written.ok()) return written.status();
  absl::Status st = out->Commit();
  if (!st.ok()) return st;
  result.certs_added = written->certs_added;
  result.ocsps_added = written->ocsps_added;
  result.crls_added = written->crls_added;
  result.dss_bytes = written->bytes_added;
  return result;
}

absl::StatusOr<DocTimeStampResult> AddDocumentTimeStamp(const std::string& input_path,
                                                        const std::string& output_path,
                                                        const tsa::TsaClient& tsa,
                                                        pdf::Durability durability) {
  absl::StatusOr<StampedUpdate> stamped = WriteStampedUpdate(
      output_path, durability, tsa, [&](int, const pdf::SignatureFieldSpec& spec, int fd) {
        return pdf::WriteSignatureUpdate(input_path, fd, spec);
      });
  if (!stamped.ok()) return stamped.status();
  return DocTimeStampOf(stamped->update, stamped->stamp);
}

absl::StatusOr<ExtendResult> AddValidationDataAndDocumentTimeStamp(const std::string& input_path,
                                                                   const std::string& output_path,
                                                                   const LtvOptions& options,
                                                                   const tsa::TsaClient& tsa) {
  if (options.revocation == nullptr) return Error(ErrorCode::kUsage, "no revocation client");
  // One parse: the signatures the DSS is built from, and the update (field, signature
  // dictionary, DSS) planned on its objects.
  absl::StatusOr<pdf::ParsedPdf> parsed_pdf = pdf::ParsedPdf::Open(input_path);
  if (!parsed_pdf.ok()) return parsed_pdf.status();
  ExtendResult result;
  pdf::DssContent dss;
  absl::Status st = CollectValidationData(*parsed_pdf, options, dss, result.ltv);
  if (!st.ok()) return st;
  absl::StatusOr<StampedUpdate> stamped =
      WriteStampedUpdate(output_path, options.output_durability, tsa,
                         [&](int pass, const pdf::SignatureFieldSpec& spec,
                             int fd) -> absl::StatusOr<pdf::PreparedUpdate> {
                           if (pass > 0) {
                             // The plan changed the first parse's objects: a token too large for
                             // the room is rare enough to pay for a second one.
                             parsed_pdf = pdf::ParsedPdf::Open(input_path);
                             if (!parsed_pdf.ok()) return parsed_pdf.status();
                           }
                           return pdf::WriteSignatureUpdate(*parsed_pdf, fd, spec, &dss);
                         });
  if (!stamped.ok()) return stamped.status();
  const pdf::DssUpdateResult& added = stamped->update.dss;
  result.ltv.certs_added = added.certs_added;
  result.ltv.ocsps_added = added.ocsps_added;
  result.ltv.crls_added = added.crls_added;
  result.ltv.dss_bytes = added.bytes_added;
  result.timestamp = DocTimeStampOf(stamped->update, stamped->stamp);
  return result;
}

}  // namespace taicho::pades
