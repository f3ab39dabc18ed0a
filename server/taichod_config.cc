#include "server/taichod_config.h"

#include <toml++/toml.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "errors/error.h"
#include "pades/pdf_verifier.h"
#include "signer/certificate_info.h"

namespace taicho::server {
namespace {

// Collects every problem of one file, each with its line.
class Reader {
 public:
  explicit Reader(const std::string& path) : path_(path) {}

  void Problem(const toml::node& node, const std::string& what) {
    problems_.push_back(absl::StrCat(path_, ":", node.source().begin.line, ": ", what));
  }

  // The table `name` of `parent`, its keys checked against `known`; nullptr when there is none, or
  // when `name` is not a table (a problem).
  const toml::table* Section(const toml::table& parent, const std::string& name,
                             const std::set<std::string_view>& known) {
    const toml::node* node = parent.get(name);
    if (node == nullptr) return nullptr;
    const toml::table* table = node->as_table();
    if (table == nullptr) {
      Problem(*node, absl::StrCat("'", name, "' must be a table"));
      return nullptr;
    }
    OnlyKnown(*table, known, name + ".");
    return table;
  }

  // Each key of `table` must be one of `known`.
  void OnlyKnown(const toml::table& table, const std::set<std::string_view>& known,
                 const std::string& where) {
    for (const auto& [key, node] : table) {
      if (known.count(key.str()) == 0) {
        Problem(node, absl::StrCat("unknown key '", where, std::string(key.str()), "'"));
      }
    }
  }

  void Get(const toml::table& table, const std::string& key, std::string* out,
           const std::string& where) {
    const toml::node* node = table.get(key);
    if (node == nullptr) return;
    if (std::optional<std::string> v = node->value_exact<std::string>()) {
      *out = *std::move(v);
    } else {
      Problem(*node, absl::StrCat("'", where, key, "' must be a string"));
    }
  }
  void Get(const toml::table& table, const std::string& key, std::vector<std::string>* out,
           const std::string& where) {
    const toml::node* node = table.get(key);
    if (node == nullptr) return;
    const toml::array* list = node->as_array();
    std::vector<std::string> values;
    for (size_t i = 0; list != nullptr && i < list->size(); ++i) {
      std::optional<std::string> v = (*list)[i].value_exact<std::string>();
      if (!v) break;
      values.push_back(*std::move(v));
    }
    if (list == nullptr || values.size() != list->size()) {
      Problem(*node, absl::StrCat("'", where, key, "' must be a list of strings"));
      return;
    }
    *out = std::move(values);
  }
  void Get(const toml::table& table, const std::string& key, bool* out, const std::string& where) {
    const toml::node* node = table.get(key);
    if (node == nullptr) return;
    if (std::optional<bool> v = node->value_exact<bool>()) {
      *out = *v;
    } else {
      Problem(*node, absl::StrCat("'", where, key, "' must be true or false"));
    }
  }
  void Get(const toml::table& table, const std::string& key, int* out, const std::string& where,
           int64_t min, int64_t max) {
    const toml::node* node = table.get(key);
    if (node == nullptr) return;
    std::optional<int64_t> v = node->value_exact<int64_t>();
    if (!v || *v < min || *v > max) {
      Problem(*node, absl::StrCat("'", where, key, "' must be an integer from ", min, " to ", max));
      return;
    }
    *out = static_cast<int>(*v);
  }
  void Get(const toml::table& table, const std::string& key, double* out, const std::string& where,
           double min, double max) {
    const toml::node* node = table.get(key);
    if (node == nullptr) return;
    std::optional<double> v = node->value<double>();  // an integer is fine too
    if (!v || *v < min || *v > max) {
      Problem(*node, absl::StrCat("'", where, key, "' must be a number from ", min, " to ", max));
      return;
    }
    *out = *v;
  }

  const std::vector<std::string>& problems() const { return problems_; }

 private:
  const std::string& path_;
  std::vector<std::string> problems_;
};

bool ValidKeyName(std::string_view name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

void ReadKey(Reader& reader, const std::string& name, const toml::node& node,
             std::vector<keyring::KeyConfig>* keys, std::map<std::string, std::string>* levels) {
  const std::string where = absl::StrCat("keys.", name, ".");
  const toml::table* table = node.as_table();
  if (table == nullptr) {
    reader.Problem(node, absl::StrCat("'keys.", name, "' must be a table"));
    return;
  }
  if (!ValidKeyName(name)) {
    reader.Problem(node, absl::StrCat("key name '", name, "': use a-z, 0-9, '-' and '_'"));
  }
  reader.OnlyKnown(
      *table,
      {"module", "token_label", "token_serial", "key_label", "key_id", "chain", "pin_file",
       "seal_image", "seal_diameter_mm", "pss", "sessions", "agency", "level"},
      where);
  if (table->get("level") != nullptr) {
    std::string level;
    reader.Get(*table, "level", &level, where);
    (*levels)[name] = level;
  }
  keyring::KeyConfig key;
  key.name = name;
  reader.Get(*table, "module", &key.module, where);
  reader.Get(*table, "token_label", &key.token_label, where);
  reader.Get(*table, "token_serial", &key.token_serial, where);
  reader.Get(*table, "key_label", &key.key_label, where);
  reader.Get(*table, "key_id", &key.key_id_hex, where);
  reader.Get(*table, "chain", &key.chain_file, where);
  reader.Get(*table, "pin_file", &key.pin_file, where);
  reader.Get(*table, "seal_image", &key.seal_image, where);
  reader.Get(*table, "agency", &key.agency, where);
  reader.Get(*table, "seal_diameter_mm", &key.seal_diameter_mm, where, 0, 100);
  reader.Get(*table, "pss", &key.pss, where);
  reader.Get(*table, "sessions", &key.sessions, where, 1, 64);
  if (key.module.empty()) reader.Problem(node, absl::StrCat("'", where, "module' is required"));
  if (key.token_label.empty() && key.token_serial.empty()) {
    reader.Problem(node, absl::StrCat("'", where, "token_label' or 'token_serial' is required"));
  }
  if (!key.key_id_hex.empty() &&
      (key.key_id_hex.size() % 2 != 0 ||
       key.key_id_hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)) {
    reader.Problem(node, absl::StrCat("'", where, "key_id' must be hex (e.g. \"01\")"));
  }
  keys->push_back(std::move(key));
}

// [signing] and keys.NAME.level: known levels, a TSA for every level that needs one, roots to
// check signers against, and an outage behaviour this version implements.
void ReadSigning(Reader& reader, const toml::table& root, TaichodOptions& o) {
  const toml::node* node = root.get("signing");
  if (node != nullptr) {
    const toml::table* signing = reader.Section(
        root, "signing",
        {"officer_level", "seal_level", "tsa_urls", "tsa_trust", "tsa_timeout_seconds", "roots",
         "ocsp_url", "url_rewrites", "revocation_timeout_seconds", "when_unavailable",
         "renew_before_days", "upgrade_retry_min_seconds", "upgrade_retry_max_seconds",
         "upgrade_poll_seconds", "upgrade_claim_seconds", "algorithm_expiry"});
    if (signing == nullptr) return;
    o.signing = true;
    const std::string w = "signing.";
    reader.Get(*signing, "officer_level", &o.officer_level, w);
    reader.Get(*signing, "seal_level", &o.seal_level, w);
    reader.Get(*signing, "tsa_urls", &o.tsa_urls, w);
    reader.Get(*signing, "tsa_trust", &o.tsa_trust, w);
    reader.Get(*signing, "tsa_timeout_seconds", &o.tsa_timeout_seconds, w, 1, 600);
    reader.Get(*signing, "roots", &o.signing_roots, w);
    reader.Get(*signing, "ocsp_url", &o.signing_ocsp_url, w);
    reader.Get(*signing, "url_rewrites", &o.signing_url_rewrites, w);
    reader.Get(*signing, "revocation_timeout_seconds", &o.signing_revocation_timeout_seconds, w, 1,
               300);
    reader.Get(*signing, "when_unavailable", &o.when_unavailable, w);
    if (o.when_unavailable != "refuse" && o.when_unavailable != "issue-and-upgrade") {
      const toml::node* at = signing->get("when_unavailable");
      reader.Problem(at ? *at : *node,
                     "'signing.when_unavailable' must be \"refuse\" or \"issue-and-upgrade\"");
    }
    reader.Get(*signing, "renew_before_days", &o.renew_before_days, w, 0, 3650);
    reader.Get(*signing, "upgrade_retry_min_seconds", &o.upgrade_retry_min_seconds, w, 1, 86400);
    reader.Get(*signing, "upgrade_retry_max_seconds", &o.upgrade_retry_max_seconds, w, 1,
               7 * 86400);
    reader.Get(*signing, "upgrade_poll_seconds", &o.upgrade_poll_seconds, w, 1, 3600);
    reader.Get(*signing, "upgrade_claim_seconds", &o.upgrade_claim_seconds, w, 10, 86400);
    reader.Get(*signing, "algorithm_expiry", &o.algorithm_expiry, w);
    for (const std::string& entry : o.algorithm_expiry) {
      absl::StatusOr<workflow::AlgorithmExpiry> parsed = workflow::ParseAlgorithmExpiry(entry);
      if (!parsed.ok()) {
        const toml::node* at = signing->get("algorithm_expiry");
        reader.Problem(at ? *at : *node, absl::StrCat("'signing.", parsed.status().message(), "'"));
      }
    }
    // A claim must outlast the attempt it covers (the TSA asked up to twice, each with its
    // retries, and the responders): shorter, another instance would take the document midway.
    const int attempt_seconds =
        4 * o.tsa_timeout_seconds + 4 * o.signing_revocation_timeout_seconds;
    if (o.upgrade_claim_seconds < attempt_seconds) {
      const toml::node* at = signing->get("upgrade_claim_seconds");
      reader.Problem(
          at ? *at : *node,
          absl::StrCat("'signing.upgrade_claim_seconds' must be at least ", attempt_seconds,
                       " (4 × tsa_timeout_seconds + 4 × revocation_timeout_seconds: "
                       "one upgrade attempt's longest wait)"));
    }
    if (o.upgrade_retry_max_seconds < o.upgrade_retry_min_seconds) {
      const toml::node* at = signing->get("upgrade_retry_max_seconds");
      reader.Problem(at ? *at : *node,
                     "'signing.upgrade_retry_max_seconds' must not be below "
                     "'signing.upgrade_retry_min_seconds'");
    }
  }
  bool needs_tsa = false;
  auto check = [&](const std::string& level, const std::string& key, const toml::node& at) {
    std::optional<workflow::PadesLevel> parsed = workflow::ParseLevel(level);
    if (!parsed) {
      reader.Problem(at,
                     absl::StrCat("'", key, "' must be \"B-B\", \"B-T\", \"B-LT\" or \"B-LTA\""));
      return;
    }
    needs_tsa = needs_tsa || *parsed >= workflow::PadesLevel::kBT;
  };
  if (node != nullptr) {
    const toml::table& signing = *node->as_table();
    check(o.officer_level, "signing.officer_level",
          signing.get("officer_level") ? *signing.get("officer_level") : *node);
    check(o.seal_level, "signing.seal_level",
          signing.get("seal_level") ? *signing.get("seal_level") : *node);
  }
  const toml::table* keys = root.get("keys") ? root.get("keys")->as_table() : nullptr;
  for (const auto& [name, level] : o.key_levels) {
    const toml::node* key = keys ? keys->get(name) : nullptr;
    if (key == nullptr) continue;
    const toml::node& at =
        key->as_table() && key->as_table()->get("level") ? *key->as_table()->get("level") : *key;
    if (node == nullptr) {
      reader.Problem(at, absl::StrCat("'keys.", name, ".level' needs a [signing] table"));
      continue;
    }
    check(level, absl::StrCat("keys.", name, ".level"), at);
  }
  if (node == nullptr) return;
  // Upgrading and renewing need the services the levels above B-B need.
  if (o.when_unavailable == "issue-and-upgrade" || o.renew_before_days > 0) needs_tsa = true;
  if (needs_tsa && (o.tsa_urls.empty() || o.tsa_trust.empty())) {
    reader.Problem(*node,
                   "B-T and above need 'signing.tsa_urls' (at least one) and 'signing.tsa_trust'");
  }
  if (o.signing_roots.empty() && o.trust.empty()) {
    reader.Problem(*node,
                   "'signing.roots' (or the top-level 'trust') is required: the roots "
                   "signers' certificates must chain to");
  }
}

void ReadPublicWeb(Reader& reader, const toml::table& root, TaichodOptions& o) {
  const toml::table* web = reader.Section(
      root, "public_web",
      {"listen", "tls_cert", "tls_key", "prefix", "base_url", "port_file", "rate_per_second",
       "rate_burst", "show_withdrawal_reason", "trusted_proxies"});
  if (web == nullptr) return;
  const std::string w = "public_web.";
  reader.Get(*web, "listen", &o.public_listen, w);
  reader.Get(*web, "tls_cert", &o.public_tls_cert, w);
  reader.Get(*web, "tls_key", &o.public_tls_key, w);
  reader.Get(*web, "prefix", &o.public_prefix, w);
  reader.Get(*web, "base_url", &o.public_base_url, w);
  reader.Get(*web, "port_file", &o.public_port_file, w);
  reader.Get(*web, "rate_per_second", &o.public_rate_per_second, w, 0.01, 10000);
  reader.Get(*web, "rate_burst", &o.public_rate_burst, w, 1, 100000);
  reader.Get(*web, "show_withdrawal_reason", &o.public_withdrawal_reason, w);
  reader.Get(*web, "trusted_proxies", &o.public_trusted_proxies, w);
  if (o.public_prefix.empty() || o.public_prefix.size() > 32 ||
      o.public_prefix.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") !=
          std::string::npos) {
    reader.Problem(web->get("prefix") ? *web->get("prefix") : *root.get("public_web"),
                   "'public_web.prefix' must be 1 to 32 of a-z, 0-9 and '-'");
  }
  const std::string& url = o.public_base_url;
  if (!url.empty() && ((url.rfind("https://", 0) != 0 && url.rfind("http://", 0) != 0) ||
                       url.size() > 300 || url.find_first_of(" \"<>") != std::string::npos)) {
    reader.Problem(*web->get("base_url"),
                   "'public_web.base_url' must be an http(s):// address of at most 300 bytes");
  }
}

}  // namespace

absl::Status LoadConfigFile(const std::string& path, TaichodOptions* options) {
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    return Error(ErrorCode::kConfigInvalid, absl::StrCat(path, ":", where.line, ":", where.column,
                                                         ": ", std::string(e.description())));
  }
  Reader reader(path);
  reader.OnlyKnown(root,
                   {"listen",
                    "store",
                    "store_dir",
                    "kinds_dir",
                    "font_dir",
                    "trust",
                    "insecure_local",
                    "max_receive_mb",
                    "max_upload_mb",
                    "max_concurrent_uploads",
                    "max_revisions",
                    "session_ttl_seconds",
                    "seal_concurrency",
                    "shutdown_grace_seconds",
                    "port_file",
                    "log_format",
                    "tls",
                    "verify",
                    "keys",
                    "signing",
                    "metrics",
                    "health",
                    "public_web"},
                   "");
  TaichodOptions& o = *options;
  reader.Get(root, "listen", &o.listen, "");
  reader.Get(root, "store", &o.store, "");
  reader.Get(root, "store_dir", &o.store_dir, "");
  reader.Get(root, "kinds_dir", &o.kinds_dir, "");
  reader.Get(root, "font_dir", &o.font_dir, "");
  reader.Get(root, "trust", &o.trust, "");
  reader.Get(root, "insecure_local", &o.insecure_local, "");
  reader.Get(root, "max_receive_mb", &o.max_receive_mb, "", 1, 1024);
  reader.Get(root, "max_upload_mb", &o.max_upload_mb, "", 1, kMaxUploadMb);
  reader.Get(root, "max_concurrent_uploads", &o.max_concurrent_uploads, "", 1, 1024);
  reader.Get(root, "max_revisions", &o.max_revisions, "", 1, pades::kMaxRevisionsCeiling);
  reader.Get(root, "session_ttl_seconds", &o.session_ttl_seconds, "", 1, 7 * 24 * 3600);
  reader.Get(root, "seal_concurrency", &o.seal_concurrency, "", 0, 1024);
  reader.Get(root, "shutdown_grace_seconds", &o.shutdown_grace_seconds, "", 0, 3600);
  reader.Get(root, "port_file", &o.port_file, "");
  reader.Get(root, "log_format", &o.log_format, "");
  if (const toml::node* node = root.get("log_format");
      node != nullptr && o.log_format != "text" && o.log_format != "json") {
    reader.Problem(*node, "'log_format' must be \"text\" or \"json\"");
  }
  if (const toml::table* tls = reader.Section(root, "tls", {"cert", "key", "client_ca"})) {
    reader.Get(*tls, "cert", &o.tls_cert, "tls.");
    reader.Get(*tls, "key", &o.tls_key, "tls.");
    reader.Get(*tls, "client_ca", &o.client_ca, "tls.");
  }
  if (const toml::table* verify = reader.Section(
          root, "verify", {"online", "ocsp_url", "url_rewrites", "revocation_timeout_seconds"})) {
    reader.Get(*verify, "online", &o.verify_online, "verify.");
    reader.Get(*verify, "ocsp_url", &o.verify_ocsp_url, "verify.");
    reader.Get(*verify, "url_rewrites", &o.verify_url_rewrites, "verify.");
    reader.Get(*verify, "revocation_timeout_seconds", &o.verify_revocation_timeout_seconds,
               "verify.", 1, 300);
  }
  if (const toml::table* metrics = reader.Section(root, "metrics", {"listen", "port_file"})) {
    reader.Get(*metrics, "listen", &o.metrics_listen, "metrics.");
    reader.Get(*metrics, "port_file", &o.metrics_port_file, "metrics.");
  }
  if (const toml::table* health = reader.Section(root, "health", {"store_probe_seconds"})) {
    reader.Get(*health, "store_probe_seconds", &o.store_probe_seconds, "health.", 1, 3600);
  }
  if (const toml::node* node = root.get("keys")) {
    if (const toml::table* keys = node->as_table()) {
      o.keys.clear();
      for (const auto& [name, key] : *keys) {
        ReadKey(reader, std::string(name.str()), key, &o.keys, &o.key_levels);
      }
    } else {
      reader.Problem(*node, "'keys' must be a table of [keys.NAME] tables");
    }
  }
  ReadSigning(reader, root, o);
  ReadPublicWeb(reader, root, o);
  if (!reader.problems().empty()) {
    return Error(ErrorCode::kConfigInvalid, absl::StrJoin(reader.problems(), "; "));
  }
  return absl::OkStatus();
}

absl::StatusOr<workflow::SigningPolicy> MakeSigningPolicy(const TaichodOptions& o,
                                                          revocation::RevocationCache* cache) {
  workflow::SigningPolicy policy;
  if (!o.signing) return policy;
  auto invalid = [](const absl::Status& st, const std::string& what) {
    return Error(ErrorCode::kConfigInvalid, absl::StrCat(what, ": ", st.message()));
  };
  policy.officer_level = workflow::ParseLevel(o.officer_level).value_or(workflow::PadesLevel::kBT);
  policy.seal_level = workflow::ParseLevel(o.seal_level).value_or(workflow::PadesLevel::kBLTA);
  for (const auto& [name, level] : o.key_levels) {
    policy.key_levels[name] = workflow::ParseLevel(level).value_or(policy.seal_level);
  }
  const std::string roots_file = o.signing_roots.empty() ? o.trust : o.signing_roots;
  absl::StatusOr<std::vector<Bytes>> roots = signer::ReadCertificates(roots_file);
  if (!roots.ok()) return invalid(roots.status(), "signing.roots " + roots_file);
  if (roots->empty()) return Error(ErrorCode::kConfigInvalid, "signing.roots: no certificate");
  policy.roots = *std::move(roots);
  absl::StatusOr<revocation::RevocationPolicy> revocation =
      revocation::PolicyFromSettings(std::chrono::seconds(o.signing_revocation_timeout_seconds),
                                     o.signing_ocsp_url, o.signing_url_rewrites);
  if (!revocation.ok()) return invalid(revocation.status(), "signing.url_rewrites");
  policy.revocation =
      std::make_shared<const revocation::RevocationClient>(*std::move(revocation), cache);
  if (!o.tsa_urls.empty()) {
    std::ifstream in(o.tsa_trust, std::ios::binary);
    std::string anchors((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) {
      return Error(ErrorCode::kConfigInvalid, "signing.tsa_trust: cannot read " + o.tsa_trust);
    }
    tsa::TsaPolicy tsa;
    tsa.urls = o.tsa_urls;
    tsa.attempt_timeout = std::chrono::seconds(o.tsa_timeout_seconds);
    tsa.overall_timeout = std::chrono::seconds(o.tsa_timeout_seconds * 2);
    tsa.when_unavailable = tsa::WhenUnavailable::kFail;
    tsa.trust.trust_anchors_pem = std::move(anchors);
    // One count of requests in flight for both clients: they ask the same TSAs.
    tsa.in_flight = tsa::TsaClient::NewInFlightLimiter();
    tsa::TsaPolicy fallback = tsa;
    fallback.when_unavailable = tsa::WhenUnavailable::kFallBackToBaseline;
    absl::StatusOr<tsa::TsaClient> client = tsa::TsaClient::Create(std::move(tsa));
    if (!client.ok()) return invalid(client.status(), "signing.tsa_urls / tsa_trust");
    policy.tsa = std::make_shared<const tsa::TsaClient>(*std::move(client));
    if (o.when_unavailable == "issue-and-upgrade") {
      absl::StatusOr<tsa::TsaClient> seal = tsa::TsaClient::Create(std::move(fallback));
      if (!seal.ok()) return invalid(seal.status(), "signing.tsa_urls / tsa_trust");
      policy.seal_tsa_fallback = std::make_shared<const tsa::TsaClient>(*std::move(seal));
    }
  }
  policy.when_unavailable = o.when_unavailable == "issue-and-upgrade"
                                ? workflow::WhenUnavailable::kIssueAndUpgrade
                                : workflow::WhenUnavailable::kRefuse;
  policy.renew_before_ms = static_cast<int64_t>(o.renew_before_days) * 86'400'000;
  for (const std::string& entry : o.algorithm_expiry) {
    absl::StatusOr<workflow::AlgorithmExpiry> parsed = workflow::ParseAlgorithmExpiry(entry);
    if (!parsed.ok()) return invalid(parsed.status(), "signing.algorithm_expiry");
    policy.algorithm_expiry.push_back(*std::move(parsed));
  }
  return policy;
}

}  // namespace taicho::server
