#include "workflow/signing_policy.h"

#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <ctime>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "errors/error.h"
#include "pades/ltv.h"
#include "signer/certificate_cache.h"
#include "signer/openssl_ptr.h"
#include "vntime/vntime.h"

namespace taicho::workflow {
namespace {

namespace ossl = signer::ossl;

constexpr std::string_view kNames[] = {"B-B", "B-T", "B-LT", "B-LTA"};

std::string SubjectOf(X509* cert) {
  char buf[512];
  X509_NAME_oneline(X509_get_subject_name(cert), buf, sizeof buf);
  return buf;
}

absl::Status ChainError(int err, X509* at, int64_t when) {
  const std::string detail = absl::StrCat(X509_verify_cert_error_string(err), " (",
                                          at ? SubjectOf(at) : "?", ") at Unix time ", when);
  switch (err) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return Error(ErrorCode::kCertExpired, detail);
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return Error(ErrorCode::kCertNotYetValid, detail);
    default:
      return Error(ErrorCode::kCertUntrusted, detail);
  }
}

// The certificate's notAfter in Unix seconds (0 when unreadable: nothing is kept then).
int64_t NotAfter(const X509* cert) {
  struct tm tm {};
  const ASN1_TIME* not_after = X509_get0_notAfter(cert);
  if (not_after == nullptr || ASN1_TIME_to_tm(not_after, &tm) != 1) return 0;
  return static_cast<int64_t>(timegm(&tm));
}

}  // namespace

std::string LevelName(PadesLevel level) { return std::string(kNames[static_cast<int>(level)]); }

std::optional<PadesLevel> ParseLevel(std::string_view name) {
  for (int i = 0; i < 4; ++i) {
    if (kNames[i] == name) return static_cast<PadesLevel>(i);
  }
  return std::nullopt;
}

PadesLevel SigningPolicy::SealLevel(const std::string& key_name) const {
  auto it = key_levels.find(key_name);
  return it == key_levels.end() ? seal_level : it->second;
}

bool SignerCheckMemo::Holds(const std::vector<Bytes>& chain, int64_t at) const {
  std::lock_guard lock(mu_);
  for (const Pass& pass : passes_) {
    if (pass.chain == chain) return at >= pass.checked_at && at < pass.until;
  }
  return false;
}

void SignerCheckMemo::Keep(const std::vector<Bytes>& chain, int64_t at, int64_t until) {
  std::lock_guard lock(mu_);
  auto same = std::find_if(passes_.begin(), passes_.end(),
                           [&](const Pass& pass) { return pass.chain == chain; });
  if (same != passes_.end()) {
    same->checked_at = at;
    same->until = until;
    return;
  }
  if (passes_.size() >= kMaxChains) {
    passes_.erase(
        std::min_element(passes_.begin(), passes_.end(),
                         [](const Pass& a, const Pass& b) { return a.checked_at < b.checked_at; }));
  }
  passes_.push_back({chain, at, until});
}

absl::Status CheckSignerCertificate(const SigningPolicy& policy, const std::vector<Bytes>& chain,
                                    int64_t at, signer::CertificateCache* certificates) {
  return CheckSignerCertificate(policy, chain, at, certificates, nullptr);
}

absl::Status CheckSignerCertificate(const SigningPolicy& policy, const std::vector<Bytes>& chain,
                                    int64_t at, signer::CertificateCache* certificates,
                                    SignerCheckMemo* memo) {
  if (policy.roots.empty()) return absl::OkStatus();
  if (memo != nullptr && memo->Holds(chain, at)) return absl::OkStatus();
  if (chain.empty()) return Error(ErrorCode::kCertificateNotFound);
  ossl::X509Ptr leaf = signer::ParseCertificate(chain.front(), certificates);
  if (!leaf) return Error(ErrorCode::kCertificateInvalid, "the signer's certificate");
  ossl::StorePtr store(X509_STORE_new());
  ossl::X509StackPtr untrusted(sk_X509_new_null());
  if (!store || !untrusted) return Error(ErrorCode::kCrypto, "X509_STORE_new");
  for (const Bytes& der : policy.roots) {
    ossl::X509Ptr root = signer::ParseCertificate(der, certificates);
    if (root) X509_STORE_add_cert(store.get(), root.get());  // takes its own reference
  }
  for (size_t i = 1; i < chain.size(); ++i) {
    ossl::X509Ptr cert = signer::ParseCertificate(chain[i], certificates);
    if (!cert) return Error(ErrorCode::kCertificateInvalid, absl::StrCat("chain[", i, "]"));
    if (!sk_X509_push(untrusted.get(), cert.get())) return Error(ErrorCode::kCrypto, "push");
    cert.release();  // the stack owns it now
  }
  ossl::StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!ctx || X509_STORE_CTX_init(ctx.get(), store.get(), leaf.get(), untrusted.get()) != 1) {
    return Error(ErrorCode::kCrypto, "X509_STORE_CTX_init");
  }
  X509_STORE_CTX_set_time(ctx.get(), 0, static_cast<time_t>(at));
  if (X509_verify_cert(ctx.get()) != 1) {
    return ChainError(X509_STORE_CTX_get_error(ctx.get()),
                      X509_STORE_CTX_get_current_cert(ctx.get()), at);
  }
  // A signing certificate without digitalSignature or nonRepudiation in its key usage is not
  // one the CA meant for document signatures.
  const uint32_t usage = X509_get_key_usage(leaf.get());
  if ((X509_get_extension_flags(leaf.get()) & EXFLAG_KUSAGE) != 0 &&
      (usage & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)) == 0) {
    return Error(ErrorCode::kCertUntrusted,
                 "key usage allows neither digitalSignature nor nonRepudiation");
  }
  if (policy.revocation == nullptr) return absl::OkStatus();
  STACK_OF(X509)* verified = X509_STORE_CTX_get0_chain(ctx.get());
  if (verified == nullptr || sk_X509_num(verified) < 2) {
    return Error(ErrorCode::kCertUntrusted, "a self-signed signer certificate");
  }
  const Bytes leaf_der = ossl::ToDer(leaf.get(), i2d_X509);
  const Bytes issuer_der = ossl::ToDer(sk_X509_value(verified, 1), i2d_X509);
  absl::StatusOr<revocation::StatusAnswer> answer =
      policy.revocation->StatusAt(leaf_der, issuer_der, at);
  if (!answer.ok()) return answer.status();
  switch (answer->status) {
    case revocation::CertStatus::kGood:
      if (memo != nullptr && answer->from_cache) {
        int64_t until = at + SignerCheckMemo::kHoldSeconds;
        if (answer->next_update > 0) until = std::min(until, answer->next_update);
        for (int i = 0; i < sk_X509_num(verified); ++i) {
          until = std::min(until, NotAfter(sk_X509_value(verified, i)));
        }
        memo->Keep(chain, at, until);
      }
      return absl::OkStatus();
    case revocation::CertStatus::kRevoked:
      return Error(ErrorCode::kCertRevoked,
                   absl::StrCat(SubjectOf(leaf.get()), ", revoked at ",
                                vntime::IsoUtc(answer->revocation_time),
                                answer->reason_text.empty() ? "" : ", ", answer->reason_text));
    default:
      return Error(ErrorCode::kCertStatusUnknown, SubjectOf(leaf.get()));
  }
}

absl::StatusOr<RaisedFile> RaiseLevel(const SigningPolicy& policy, PadesLevel level,
                                      const std::string& signed_path,
                                      const std::string& output_path, const Env* env) {
  if (level < PadesLevel::kBLT) return RaisedFile{};
  if (policy.revocation == nullptr || (level == PadesLevel::kBLTA && policy.tsa == nullptr)) {
    return Error(ErrorCode::kInternal, "no revocation or TSA client for the configured level");
  }
  pades::LtvOptions options;
  options.revocation = policy.revocation.get();
  options.certificates = policy.revocation->certificates();  // warm from the checks before signing
  options.extra_certs = policy.roots;
  options.fail_when_unavailable = true;  // the outage policy is "refuse"
  options.env = env;
  // A scratch file: the store's PutBlob fsyncs the output before naming it.
  options.output_durability = pdf::Durability::kAtomicOnly;
  if (level == PadesLevel::kBLT) {
    absl::StatusOr<pades::LtvResult> lt =
        pades::AddValidationData(signed_path, output_path, options);
    if (!lt.ok()) return lt.status();
    return RaisedFile{true, {}};
  }
  // The DSS and the document time-stamp over it in one update: one parse, one write.
  absl::StatusOr<pades::ExtendResult> lta =
      pades::AddValidationDataAndDocumentTimeStamp(signed_path, output_path, options, *policy.tsa);
  if (!lta.ok()) return lta.status();
  return RaisedFile{
      true,
      {std::move(lta->timestamp.tsa_certificate_der), std::move(lta->timestamp.digest_algorithm)}};
}

std::vector<AlgorithmExpiry> DefaultAlgorithmExpiry() {
  // Long broken for signatures (ETSI TS 119 312): an archive resting on them is renewed at once.
  return {AlgorithmExpiry{"sha1", 0, 0}, AlgorithmExpiry{"", 2048, 0}};
}

absl::StatusOr<AlgorithmExpiry> ParseAlgorithmExpiry(std::string_view entry) {
  const size_t eq = entry.find('=');
  auto bad = [&](std::string_view why) {
    return Error(ErrorCode::kConfigInvalid,
                 absl::StrCat("algorithm_expiry \"", std::string(entry), "\": ", std::string(why),
                              " (\"sha1=2011-01-01\", \"rsa<3072=2030-12-31\")"));
  };
  if (eq == std::string_view::npos) return bad("NAME=YYYY-MM-DD");
  const std::string name = absl::AsciiStrToLower(std::string(entry.substr(0, eq)));
  absl::Time at;
  std::string err;
  if (!absl::ParseTime("%Y-%m-%d", std::string(entry.substr(eq + 1)), absl::UTCTimeZone(), &at,
                       &err)) {
    return bad("the date is not YYYY-MM-DD");
  }
  AlgorithmExpiry out;
  out.at_ms = absl::ToUnixMillis(at);
  if (name.rfind("rsa<", 0) == 0) {
    if (!absl::SimpleAtoi(name.substr(4), &out.rsa_below_bits) || out.rsa_below_bits < 1024 ||
        out.rsa_below_bits > 16384) {
      return bad("rsa<BITS with BITS from 1024 to 16384");
    }
    return out;
  }
  for (std::string_view digest : {"sha1", "sha224", "sha256", "sha384", "sha512"}) {
    if (name == digest) {
      out.digest = name;
      return out;
    }
  }
  return bad("NAME: sha1, sha224, sha256, sha384, sha512 or rsa<BITS");
}

}  // namespace taicho::workflow
