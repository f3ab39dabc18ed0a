// taichod's settings: documented defaults, then the TOML file given with --config
// (server/taichod.toml.example lists every key), then command-line flags, each overriding the one
// before.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "keyring/key_ring.h"
#include "render/document_kind.h"
#include "revocation/revocation_client.h"
#include "workflow/signing_policy.h"

namespace taicho::server {

// The largest upload cap one may configure (MiB): 64 GiB, far beyond any decision's attachments.
inline constexpr int kMaxUploadMb = 64 * 1024;

struct TaichodOptions {
  std::string listen = "127.0.0.1:50051";
  std::string store_dir;  // required (file or flag)
  // "sqlite" (default: everything in store_dir) or a "postgresql://…" URL (the shared store;
  // store_dir then holds only scratch files and a blob cache). store/open_store.h.
  std::string store = "sqlite";
  std::string kinds_dir = render::DefaultKindsDir();
  std::string font_dir = "/usr/share/fonts/truetype/liberation2";
  std::string trust;  // PEM roots the verifier trusts
  // [verify]: whether Verify asks OCSP/CRL services for revocation data a document's DSS lacks
  // (off: offline, from the DSS only); where to ask instead of the certificates' own URLs.
  bool verify_online = false;
  std::string verify_ocsp_url;
  std::vector<std::string> verify_url_rewrites;  // "FROM=TO" URL prefix rewrites
  int verify_revocation_timeout_seconds = 10;
  bool insecure_local = false;
  std::string tls_cert;            // the server's certificate chain (PEM), leaf first
  std::string tls_key;             // its private key (PEM)
  std::string client_ca;           // roots for client certificates (PEM); set: mutual TLS, roles
  int max_receive_mb = 32;         // the largest message (a unary VerifyDocument's PDF, …)
  int max_upload_mb = 256;         // the largest PDF streamed in with VerifyUpload
  int max_concurrent_uploads = 4;  // VerifyUpload calls at once (each may take max_upload_mb)
  // A PDF with more revisions (incremental updates) is not verified (PDF_TOO_MANY_REVISIONS).
  int max_revisions = 1000;
  int session_ttl_seconds = 900;
  // Server-side seals running at once (the rest wait their turn); 0: one per core, and one more.
  int seal_concurrency = 0;
  std::string port_file;
  int shutdown_grace_seconds = 10;
  std::string log_format = "text";       // "text" or "json" (one object a line)
  std::vector<keyring::KeyConfig> keys;  // [keys.NAME] tables; only from the file
  // [metrics]: Prometheus /metrics on its own address (empty: off), and a file to write its port
  // to (for supervisors and tests; port 0 in the address picks a free one).
  std::string metrics_listen = "127.0.0.1:9464";
  std::string metrics_port_file;
  // [health]: how often the store's writability is probed (and its size measured).
  int store_probe_seconds = 15;
  // [signing] (workflow/signing_policy.h); absent: every signature at B-B, nothing checked.
  bool signing = false;
  std::string officer_level = "B-T";
  std::string seal_level = "B-LTA";
  std::map<std::string, std::string> key_levels;  // keys.NAME.level
  std::vector<std::string> tsa_urls;
  std::string tsa_trust;  // PEM roots the TSAs' certificates must chain to
  int tsa_timeout_seconds = 30;
  std::string signing_roots;  // PEM roots signers must chain to; default: `trust`
  std::string signing_ocsp_url;
  std::vector<std::string> signing_url_rewrites;
  int signing_revocation_timeout_seconds = 10;
  std::string when_unavailable = "refuse";  // or "issue-and-upgrade"
  int renew_before_days = 0;                // archival renewal margin; 0: no renewal
  int upgrade_retry_min_seconds = 30;       // the worker's backoff, doubled per failed attempt
  int upgrade_retry_max_seconds = 3600;
  int upgrade_poll_seconds = 10;  // how often the worker looks for due upgrades and renewals
  // How long the worker's claim on a document keeps other instances off it; at least one
  // attempt's longest wait (checked at start-up).
  int upgrade_claim_seconds = 600;
  // "NAME=YYYY-MM-DD": when a digest or RSA key size stops being fit for an archive time-stamp
  // (renewal is due renew_before_days before); added to SHA-1 and RSA < 2048 ("renew now").
  std::vector<std::string> algorithm_expiry;
  // [public_web] (publicweb/public_site.h): the verification page behind the QR code. Off
  // unless `listen` is set. Its TLS certificate and key default to [tls]'s. `base_url` (the
  // address people reach it at, "https://tra-cuu.example.vn") goes into every new document's QR
  // code as base_url/prefix/CODE, whether or not this taichod serves the page.
  std::string public_listen;
  std::string public_tls_cert;
  std::string public_tls_key;
  std::string public_prefix = "v";
  std::string public_base_url;
  std::string public_port_file;  // the bound port, written once listening (tests use port 0)
  double public_rate_per_second = 2;
  int public_rate_burst = 30;
  bool public_withdrawal_reason = false;  // show a withdrawal's reason (staff wrote it)
  // Reverse proxies whose X-Forwarded-For names the client the rate limit counts.
  std::vector<std::string> public_trusted_proxies;
};

// Reads the TOML file at `path` over `options` (keys absent from the file keep their value).
// kConfigInvalid naming the file, line and problem for a syntax error, an unknown key, a value of
// the wrong type or out of range; every problem is listed, not only the first.
absl::Status LoadConfigFile(const std::string& path, TaichodOptions* options);

// The signing policy the options ask for, its TSA and revocation clients made (the latter with
// `cache`, not owned, which must outlive the policy). kConfigInvalid for an unreadable roots file,
// an unusable TSA URL or URL rewrite.
absl::StatusOr<workflow::SigningPolicy> MakeSigningPolicy(const TaichodOptions& options,
                                                          revocation::RevocationCache* cache);

}  // namespace taicho::server
