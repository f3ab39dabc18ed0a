// Stable, machine-readable error codes with Vietnamese and English text.
//
// Every error that crosses a module boundary is an absl::Status made by Error(): its message reads
// "CODE: Vietnamese text / English text[: detail]" and the code is also attached as a payload, so
// callers branch on CodeOf(status), never on the message. A detail must never contain a PIN, a key
// or document content.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace taicho {

enum class ErrorCode {
  kUsage,                  // bad command-line or API arguments
  kIo,                     // a file could not be read or written
  kPdfUnreadable,          // empty, truncated, garbage or otherwise unparsable PDF
  kPdfEncrypted,           // encrypted PDFs cannot be signed incrementally
  kPdfUnsupported,         // a valid PDF using a feature we do not handle
  kPdfPageOutOfRange,      // the requested page does not exist
  kSignatureTooLarge,      // the CMS does not fit the reserved /Contents
  kModuleLoadFailed,       // the PKCS#11 library could not be loaded or initialised
  kTokenNotFound,          // no token matches the label/serial asked for
  kTokenAbsent,            // the slot has no token in it
  kDeviceRemoved,          // the token was pulled during an operation
  kPinIncorrect,           // wrong PIN (never retried by us)
  kPinLocked,              // the user PIN is locked
  kPinInvalid,             // PIN empty, too long or with a bad character
  kKeyNotFound,            // no private key matches
  kCertificateNotFound,    // the key has no certificate on the token or in the file
  kMechanismUnsupported,   // the token offers no signing mechanism we can use
  kTokenError,             // any other PKCS#11 failure
  kKeyFileInvalid,         // PKCS#12/PEM file unreadable or wrong password
  kCertificateInvalid,     // a certificate could not be parsed or does not fit the key
  kSignatureValueInvalid,  // a returned signature value does not verify with the certificate
  kStateInvalid,           // a prepared-signature state is corrupt or does not match its file
  kDataInvalid,            // document data missing or malformed fields (all listed at once)
  kKindUnknown,            // no document kind (template) by that name
  kKindInvalid,            // a document kind file is malformed
  kGlyphMissing,           // a character the document fonts cannot draw
  kDocumentNotFound,       // no document (or revision) by that name in the store
  kTransitionInvalid,      // the document's state does not allow this step
  kSessionNotFound,        // no signing session by that id
  kSessionExpired,         // the signing session expired: prepare again
  kSessionCompleted,       // the signing session was already completed
  kRequestIdReused,        // a dossier code + request id sent again with other content
  kRoleNotAllowed,         // the caller's role (client certificate) may not make this call
  kSignerMismatch,         // an officer acting with, or on, another person's signing certificate
  kTsaUnavailable,         // no time-stamp authority answered (down, timed out, HTTP error)
  kTsaRejected,            // a time-stamp authority refused the request (PKIStatus)
  kTsaResponseInvalid,     // a time-stamp reply failed verification (nonce, imprint, chain…)
  kTimeStampInvalid,       // a time-stamp token in a signature does not verify
  kCrypto,                 // an OpenSSL operation failed unexpectedly
  kInternal,               // a bug
  kKeyNotActivated,        // a server-held key was not activated by an operator (or lost its token)
  kConfigInvalid,          // taichod's configuration file is unreadable or wrong
  kPinFileInsecure,        // a PIN file others than its owner could read (or not a regular file)
  kCertExpired,            // the signer's certificate has expired
  kCertNotYetValid,        // the signer's certificate is not valid yet
  kCertRevoked,            // the signer's certificate is revoked (OCSP or CRL)
  kCertStatusUnknown,      // the CA's responder does not know the signer's certificate
  kRevocationUnavailable,  // no OCSP responder or CRL gave a verified answer
  kUploadTooLarge,         // an upload (streamed PDF) is larger than the server's upload cap
  kCancelled,              // the caller cancelled (or its deadline passed) before it was done
  kServerBusy,             // as many such calls as the server takes at once are in progress
  kSessionSuperseded,      // the signature was prepared again: only the newest session completes
  kKeyAlreadyActivated,    // ActivateKey on a key that is active (its PIN is not used)
  kStoreInsecure,          // the store's directory or database others than its owner could read
  kPdfTooManyRevisions,    // more incremental updates than the configured limit (max_revisions)
  kSignerNameMismatch,     // the signer named in the document is not the certificate's name
  kAgencyMismatch,         // the seal key does not belong to the document's issuing agency
  kPrintFailed,  // the printer did not finish a print job (stopped, aborted, cancelled, timed out)
  kCertUntrusted,  // the signer's certificate does not chain to a configured root, or its key
                   // usage does not allow signing
};

// The stable code, e.g. "PIN_INCORRECT".
std::string_view CodeName(ErrorCode code);

// Builds the error. `detail` is appended for operators (English or Vietnamese, no secrets).
absl::Status Error(ErrorCode code, std::string_view detail = {});

// A status that came from elsewhere (taichod's reply to a client) with the stable code it named,
// so CodeOf and ExitCodeOf treat it as a local error of that code.
absl::Status WithCode(absl::Status status, std::string_view code_name);

// The stable code of a status made by Error(); "OK" for OK, "UNKNOWN" for other statuses.
std::string CodeOf(const absl::Status& status);

// True when `status` carries `code`.
bool HasCode(const absl::Status& status, ErrorCode code);

// Process exit code for the command line (documented in README.md).
int ExitCodeOf(const absl::Status& status);

}  // namespace taicho
