// Private to pades/: the verifier's checks of a document time-stamp (PAdES B-LTA) and of the
// revocation status of a signer's certificate (from the DSS, or online).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pades/pdf_verifier.h"
#include "pdf/dss_update.h"
#include "pdf/signature_reader.h"
#include "revocation/evidence.h"
#include "signer/bytes.h"
#include "signer/certificate_cache.h"

namespace taicho::pades {

// A /DocTimeStamp: the token's imprint is SHA-256/384/512 of the ByteRange bytes (digest_ok),
// its signature verifies (signature_ok), its TSA chains to `anchors` with the time-stamping EKU
// (chain_trusted, when anchors are given); genTime and TSA go to timestamp_time/timestamp_tsa and
// the signer fields. `tsa_cert` receives the TSA's certificate (DER) when found.
void CheckDocumentTimeStamp(const std::string& path, const pdf::EmbeddedSignature& sig,
                            const std::string& anchors, SignatureReport& r, Bytes* tsa_cert);

// The status of `cert` at the signature's time (its time-stamp's genTime when it has one, else
// now): from the DSS's OCSP responses and CRLs first, then online with `online` (may be null).
// Issuers are looked up in the DSS and in `carried` (the certificates the signature carries).
// Fills revocation_status/source/time; a revocation before that time is a problem.
// `certificates` (optional, the verification's): the subject and its issuer candidates parsed
// once for all the file's signatures. `verified_issuer` (optional, DER): a certificate already
// known to have signed `cert` (signer::CmsVerification::verified_issuer_der); as a candidate it
// is taken without verifying that signature again.
void CheckRevocation(const pdf::DssContent& dss, const std::vector<Bytes>& carried,
                     const Bytes& cert, const revocation::StatusSource* online, SignatureReport& r,
                     signer::CertificateCache* certificates = nullptr,
                     const Bytes& verified_issuer = {});

// The certificates a CMS SignedData (a signature or a time-stamp token) carries, DER.
std::vector<Bytes> CarriedCertificates(const Bytes& cms_der);

}  // namespace taicho::pades
