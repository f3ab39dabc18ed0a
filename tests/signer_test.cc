// Tests of signer/: key files, CMS building (one-step and split) and CMS verification, checked
// against our own verifier and the independent `openssl cms` command.
#include <gtest/gtest.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "errors/error.h"
#include "signer/certificate_cache.h"
#include "signer/certificate_info.h"
#include "signer/cms_builder.h"
#include "signer/cms_verifier.h"
#include "signer/key_signer.h"
#include "signer/openssl_ptr.h"
#include "tests/support/key_pool.h"
#include "tests/support/pki_fixture.h"

namespace taicho::signer {
namespace {

constexpr char kSignerName[] = "Nguyễn Văn An";

using taicho::testing::CommandResult;
using taicho::testing::Quote;

CommandResult RunCommand(const std::string& command) { return taicho::testing::Run(command); }

Bytes ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void WriteFile(const std::string& path, ByteSpan data) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

Bytes Sha(ByteSpan data, const EVP_MD* md) {
  Bytes out(EVP_MAX_MD_SIZE);
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &len, md, nullptr);
  out.resize(len);
  return out;
}

Bytes DerOfPemCert(const std::string& pem_path) {
  CommandResult r = RunCommand("openssl x509 -in " + Quote(pem_path) + " -outform DER -out " +
                               Quote(pem_path + ".der"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return ReadFile(pem_path + ".der");
}

ContentStreamer StreamOf(const Bytes& content) {
  return [&content](const std::function<void(ByteSpan)>& sink) {
    // Two chunks, to exercise streaming.
    size_t half = content.size() / 2;
    sink(ByteSpan(content).subspan(0, half));
    sink(ByteSpan(content).subspan(half));
    return absl::OkStatus();
  };
}

// A tiny PKI made once for the whole test program with the openssl command.
class SignerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/taicho-signer-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = new std::string(tmpl);
    const std::string d = *dir_ + "/";
    std::ofstream(d + "leaf.ext") << "basicConstraints=critical,CA:FALSE\n"
                                     "keyUsage=critical,digitalSignature,nonRepudiation\n";
    const std::string script =
        "set -e; cd " + Quote(*dir_) + "; " + taicho::testing::KeyCommand("rsa", 1, "ca.key") +
        "; openssl req -x509 -new -key ca.key -subj '/CN=Taicho Test Root' -days 3650"
        "  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign"
        "  -out ca.pem"
        "; " +
        taicho::testing::KeyCommand("rsa", 2, "other-ca.key") +
        "; openssl req -x509 -new -key other-ca.key -subj '/CN=Other Root' -days 3650"
        "  -addext basicConstraints=critical,CA:TRUE -out other-ca.pem"
        "; " +
        taicho::testing::KeyCommand("rsa", 3, "rsa.key") +
        "; openssl req -new -utf8 -key rsa.key -subj '/C=VN/O=Bộ Khoa học/CN=" +
        std::string(kSignerName) +
        "' -out rsa.csr"
        "; openssl x509 -req -in rsa.csr -CA ca.pem -CAkey ca.key -set_serial 4097 -days 365"
        "  -extfile leaf.ext -out rsa.pem"
        "; openssl pkcs12 -export -inkey rsa.key -in rsa.pem -certfile ca.pem -passout pass:bí-mật"
        "  -out rsa.p12"
        "; " +
        taicho::testing::KeyCommand("ec", 1, "ec.key") +
        "; openssl req -new -utf8 -key ec.key -subj '/C=VN/CN=" + std::string(kSignerName) +
        "' -out ec.csr"
        "; openssl x509 -req -in ec.csr -CA ca.pem -CAkey ca.key -set_serial 4098 -days 365"
        "  -extfile leaf.ext -out ec.pem"
        "; cat ec.pem ca.pem > ec-chain.pem"
        "; " +
        taicho::testing::KeyCommand("rsa", 4, "other.key") +
        "; head -c 100000 /dev/urandom > content.bin";
    CommandResult r = RunCommand("bash -c " + Quote(script));
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }

  static void TearDownTestSuite() {
    std::error_code ec;
    std::filesystem::remove_all(*dir_, ec);
    delete dir_;
    dir_ = nullptr;
  }

  static std::string Path(const std::string& name) { return *dir_ + "/" + name; }

  static CmsRequest RequestFor(const KeySigner& key,
                               DigestAlgorithm md = DigestAlgorithm::kSha256) {
    CmsRequest request;
    request.chain = key.CertificateChain();
    request.digest = md;
    request.scheme = key.scheme();
    const EVP_MD* evp = md == DigestAlgorithm::kSha256   ? EVP_sha256()
                        : md == DigestAlgorithm::kSha384 ? EVP_sha384()
                                                         : EVP_sha512();
    request.content_digest = Sha(ReadFile(Path("content.bin")), evp);
    return request;
  }

  // `openssl cms -verify` on the detached CMS and content.bin; returns its output on failure.
  static CommandResult OpensslVerify(const Bytes& cms, const std::string& ca = "ca.pem") {
    WriteFile(Path("cms.der"), cms);
    return RunCommand("openssl cms -verify -binary -inform DER -in " + Quote(Path("cms.der")) +
                      " -content " + Quote(Path("content.bin")) + " -CAfile " + Quote(Path(ca)) +
                      " -purpose any -out /dev/null");
  }

  static std::string OpensslPrint(const Bytes& cms) {
    WriteFile(Path("print.der"), cms);
    return RunCommand("openssl cms -cmsout -print -inform DER -in " + Quote(Path("print.der")))
        .output;
  }

  static CmsVerification OurVerify(const Bytes& cms, const Bytes& content,
                                   const std::string& anchors = {}) {
    absl::StatusOr<CmsVerification> v = VerifyDetachedCms(cms, StreamOf(content), anchors);
    EXPECT_TRUE(v.ok()) << v.status();
    return v.ok() ? *v : CmsVerification{};
  }

  static std::string ReadText(const std::string& name) {
    Bytes b = ReadFile(Path(name));
    return std::string(b.begin(), b.end());
  }

  // Checks a one-step signature with every checker.
  void CheckSigned(const Bytes& cms, const std::string& expected_algorithm,
                   const std::string& expected_print_alg) {
    const Bytes content = ReadFile(Path("content.bin"));
    CmsVerification v = OurVerify(cms, content, ReadText("ca.pem"));
    EXPECT_TRUE(v.intact()) << ::testing::PrintToString(v.problems);
    EXPECT_TRUE(v.signing_certificate_matches);
    EXPECT_FALSE(v.has_signing_time);
    EXPECT_EQ(v.signer_common_name, kSignerName);
    EXPECT_NE(v.signer_subject.find(kSignerName), std::string::npos) << v.signer_subject;
    EXPECT_EQ(v.signature_algorithm, expected_algorithm);
    EXPECT_EQ(v.digest_algorithm, "SHA-256");
    ASSERT_TRUE(v.chain_trusted.has_value());
    EXPECT_TRUE(*v.chain_trusted) << v.chain_error;
    EXPECT_TRUE(v.problems.empty()) << ::testing::PrintToString(v.problems);

    CommandResult r = OpensslVerify(cms);
    EXPECT_EQ(r.exit_code, 0) << r.output;

    std::string print = OpensslPrint(cms);
    size_t begin = print.find("signedAttrs:");
    size_t end = print.find("signatureAlgorithm:", begin);
    ASSERT_NE(begin, std::string::npos) << print;
    ASSERT_NE(end, std::string::npos) << print;
    std::string attrs = print.substr(begin, end - begin);
    int objects = 0;
    for (size_t pos = attrs.find("object:"); pos != std::string::npos;
         pos = attrs.find("object:", pos + 1)) {
      ++objects;
    }
    EXPECT_EQ(objects, 3) << attrs;
    EXPECT_NE(attrs.find("contentType"), std::string::npos) << attrs;
    EXPECT_NE(attrs.find("messageDigest"), std::string::npos) << attrs;
    EXPECT_NE(attrs.find("1.2.840.113549.1.9.16.2.47"), std::string::npos) << attrs;
    EXPECT_EQ(attrs.find("signingTime"), std::string::npos) << attrs;
    EXPECT_NE(print.substr(end).find(expected_print_alg), std::string::npos) << print;
    EXPECT_NE(print.find("eContent: <ABSENT>"), std::string::npos) << print;
  }

  static std::string* dir_;
};

std::string* SignerTest::dir_ = nullptr;

TEST_F(SignerTest, Names) {
  EXPECT_EQ(DigestName(DigestAlgorithm::kSha384), "SHA-384");
  EXPECT_EQ(SchemeName(SignatureScheme::kRsaPkcs1v15), "RSA PKCS#1 v1.5");
  EXPECT_EQ(SchemeName(SignatureScheme::kRsaPss), "RSASSA-PSS");
  EXPECT_EQ(SchemeName(SignatureScheme::kEcdsa), "ECDSA");
}

// Descriptions are kept by the certificate's bytes: the same bytes give the same facts however
// often and in whatever order they are asked, and a changed byte is described anew.
TEST_F(SignerTest, DescriptionsFollowTheBytes) {
  std::vector<Bytes> certs;
  for (const char* name : {"ca.pem", "rsa.pem", "ec.pem"}) {
    absl::StatusOr<std::vector<Bytes>> read = ReadCertificates(*dir_ + "/" + name);
    ASSERT_TRUE(read.ok()) << read.status();
    certs.push_back(read->front());
  }
  std::vector<CertificateInfo> first;
  for (const Bytes& der : certs) {
    absl::StatusOr<CertificateInfo> info = DescribeCertificate(der);
    ASSERT_TRUE(info.ok()) << info.status();
    first.push_back(*info);
  }
  EXPECT_NE(first[0].subject, first[1].subject);
  EXPECT_EQ(first[1].serial_hex, "1001");
  EXPECT_EQ(first[2].serial_hex, "1002");
  EXPECT_TRUE(first[2].is_ec);
  for (int round = 0; round < 40; ++round) {
    const size_t i = static_cast<size_t>(round * 7) % certs.size();
    absl::StatusOr<CertificateInfo> again = DescribeCertificate(certs[i]);
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(again->subject, first[i].subject);
    EXPECT_EQ(again->serial_hex, first[i].serial_hex);
    EXPECT_EQ(again->not_after, first[i].not_after);
  }
  // Serial 4097 (02 02 10 01) made 4099 (the signature no longer matches; the facts are read).
  Bytes changed = certs[1];
  const Bytes serial = {0x02, 0x02, 0x10, 0x01};
  auto at = std::search(changed.begin(), changed.end(), serial.begin(), serial.end());
  ASSERT_NE(at, changed.end());
  at[3] = 0x03;
  absl::StatusOr<CertificateInfo> other = DescribeCertificate(changed);
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_EQ(other->serial_hex, "1003");
  EXPECT_EQ(other->subject, first[1].subject);
  EXPECT_FALSE(DescribeCertificate(Bytes{0x30, 0x03, 0x02, 0x01, 0x07}).ok());
}

TEST_F(SignerTest, Pkcs12RsaPkcs1v15) {
  auto key = LoadPkcs12Signer(Path("rsa.p12"), "bí-mật");
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ((*key)->scheme(), SignatureScheme::kRsaPkcs1v15);
  // The self-signed root in the PKCS#12 is left out of the chain.
  EXPECT_EQ((*key)->CertificateChain().size(), 1u);
  CmsRequest request = RequestFor(**key);
  absl::StatusOr<Bytes> cms = SignCms(request, **key);
  ASSERT_TRUE(cms.ok()) << cms.status();
  CheckSigned(*cms, "RSA PKCS#1 v1.5", "rsaEncryption");
  EXPECT_LE(cms->size(), EstimateCmsSize(request.chain));
}

TEST_F(SignerTest, Pkcs12RsaPss) {
  auto key = LoadPkcs12Signer(Path("rsa.p12"), "bí-mật", /*prefer_pss=*/true);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ((*key)->scheme(), SignatureScheme::kRsaPss);
  absl::StatusOr<Bytes> cms = SignCms(RequestFor(**key), **key);
  ASSERT_TRUE(cms.ok()) << cms.status();
  CheckSigned(*cms, "RSASSA-PSS", "rsassaPss");
  std::string print = OpensslPrint(*cms);
  EXPECT_NE(print.find("mgf1"), std::string::npos) << print;
  size_t salt = print.find("cont [ 2 ]");  // saltLength, explicit since it is not 20
  ASSERT_NE(salt, std::string::npos) << print;
  EXPECT_NE(print.find("INTEGER           :20", salt), std::string::npos) << print;
}

TEST_F(SignerTest, PssWithSha384) {
  auto key = LoadPkcs12Signer(Path("rsa.p12"), "bí-mật", /*prefer_pss=*/true);
  ASSERT_TRUE(key.ok()) << key.status();
  CmsRequest request = RequestFor(**key, DigestAlgorithm::kSha384);
  absl::StatusOr<Bytes> cms = SignCms(request, **key);
  ASSERT_TRUE(cms.ok()) << cms.status();
  CmsVerification v = OurVerify(*cms, ReadFile(Path("content.bin")));
  EXPECT_TRUE(v.intact()) << ::testing::PrintToString(v.problems);
  EXPECT_TRUE(v.signing_certificate_matches);
  EXPECT_EQ(v.digest_algorithm, "SHA-384");
  CommandResult r = OpensslVerify(*cms);
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

TEST_F(SignerTest, PemEcdsa) {
  auto key = LoadPemSigner(Path("ec.key"), Path("ec-chain.pem"));
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ((*key)->scheme(), SignatureScheme::kEcdsa);
  CmsRequest request = RequestFor(**key);
  absl::StatusOr<Bytes> cms = SignCms(request, **key);
  ASSERT_TRUE(cms.ok()) << cms.status();
  CheckSigned(*cms, "ECDSA", "ecdsa-with-SHA256");
  EXPECT_LE(cms->size(), EstimateCmsSize(request.chain));
}

TEST_F(SignerTest, PrepareIsDeterministic) {
  auto key = LoadPkcs12Signer(Path("rsa.p12"), "bí-mật");
  ASSERT_TRUE(key.ok()) << key.status();
  auto a = PrepareCms(RequestFor(**key));
  auto b = PrepareCms(RequestFor(**key));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->signed_attributes, b->signed_attributes);
  EXPECT_EQ(a->signed_attributes.at(0), 0x31);  // an explicit SET OF
}

// Prepare → JSON → (another process) → sign with the openssl command → complete.
TEST_F(SignerTest, SplitFlowWithExternalSignature) {
  const Bytes rsa_cert = DerOfPemCert(Path("rsa.pem"));
  struct Case {
    SignatureScheme scheme;
    std::string sigopts;
    std::string key;
  };
  const Bytes ec_cert = DerOfPemCert(Path("ec.pem"));
  for (const Case& c : {Case{SignatureScheme::kRsaPkcs1v15, "", "rsa.key"},
                        Case{SignatureScheme::kRsaPss,
                             " -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32"
                             " -sigopt rsa_mgf1_md:sha256",
                             "rsa.key"},
                        Case{SignatureScheme::kEcdsa, "", "ec.key"}}) {
    SCOPED_TRACE(std::string(SchemeName(c.scheme)));
    CmsRequest request;
    request.chain = {c.key == "ec.key" ? ec_cert : rsa_cert};
    request.scheme = c.scheme;
    request.content_digest = Sha(ReadFile(Path("content.bin")), EVP_sha256());
    auto prepared = PrepareCms(request);
    ASSERT_TRUE(prepared.ok()) << prepared.status();
    const std::string json = prepared->ToJson();

    auto restored = PreparedCms::FromJson(json);
    ASSERT_TRUE(restored.ok()) << restored.status();
    EXPECT_EQ(restored->signed_attributes, prepared->signed_attributes);
    WriteFile(Path("tbs.bin"), restored->signed_attributes);
    CommandResult r = RunCommand("openssl dgst -sha256 -sign " + Quote(Path(c.key)) + c.sigopts +
                                 " -out " + Quote(Path("sig.bin")) + " " + Quote(Path("tbs.bin")));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    absl::StatusOr<Bytes> cms = CompleteCms(*restored, ReadFile(Path("sig.bin")));
    ASSERT_TRUE(cms.ok()) << cms.status();
    r = OpensslVerify(*cms);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    CmsVerification v = OurVerify(*cms, ReadFile(Path("content.bin")));
    EXPECT_TRUE(v.intact()) << ::testing::PrintToString(v.problems);

    // A value made by another key is refused before it is embedded.
    if (c.scheme != SignatureScheme::kEcdsa) {
      r = RunCommand("openssl dgst -sha256 -sign " + Quote(Path("other.key")) + c.sigopts +
                     " -out " + Quote(Path("sig-other.bin")) + " " + Quote(Path("tbs.bin")));
      ASSERT_EQ(r.exit_code, 0) << r.output;
      absl::StatusOr<Bytes> bad = CompleteCms(*restored, ReadFile(Path("sig-other.bin")));
      EXPECT_TRUE(HasCode(bad.status(), ErrorCode::kSignatureValueInvalid)) << bad.status();
    }
  }
}

TEST_F(SignerTest, EcdsaRawValueIsAccepted) {
  auto key = LoadPemSigner(Path("ec.key"), Path("ec-chain.pem"));
  ASSERT_TRUE(key.ok()) << key.status();
  auto prepared = PrepareCms(RequestFor(**key));
  ASSERT_TRUE(prepared.ok()) << prepared.status();
  auto der = (*key)->Sign(prepared->signed_attributes, DigestAlgorithm::kSha256);
  ASSERT_TRUE(der.ok()) << der.status();
  const unsigned char* p = der->data();
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der->size()));
  ASSERT_NE(sig, nullptr);
  Bytes raw(64);
  BN_bn2binpad(ECDSA_SIG_get0_r(sig), raw.data(), 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig), raw.data() + 32, 32);
  ECDSA_SIG_free(sig);
  absl::StatusOr<Bytes> cms = CompleteCms(*prepared, raw);
  ASSERT_TRUE(cms.ok()) << cms.status();
  CommandResult r = OpensslVerify(*cms);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  raw[10] ^= 1;
  EXPECT_TRUE(HasCode(CompleteCms(*prepared, raw).status(), ErrorCode::kSignatureValueInvalid));
}

TEST_F(SignerTest, TamperedStateIsRejected) {
  auto key = LoadPkcs12Signer(Path("rsa.p12"), "bí-mật");
  ASSERT_TRUE(key.ok()) << key.status();
  auto prepared = PrepareCms(RequestFor(**key));
  ASSERT_TRUE(prepared.ok()) << prepared.status();
  const std::string json = prepared->ToJson();

  auto expect_invalid = [](const std::string& text) {
    auto r = PreparedCms::FromJson(text);
    EXPECT_TRUE(HasCode(r.status(), ErrorCode::kStateInvalid))
        << text.substr(0, 80) << " → " << r.status();
  };
  expect_invalid("");
  expect_invalid("not json");
  expect_invalid("[]");
  expect_invalid(json.substr(0, json.size() / 2));
  // A changed content digest (still valid base64) no longer rebuilds the signed attributes.
  size_t pos = json.find("\"content_digest\":\"") + 18;
  std::string changed = json;
  changed[pos] = changed[pos] == 'A' ? 'B' : 'A';
  expect_invalid(changed);
  std::string bad_b64 = json;
  bad_b64[pos] = '!';
  expect_invalid(bad_b64);
  std::string bad_version = json;
  bad_version.replace(bad_version.find("\"version\":1"), 11, "\"version\":9");
  expect_invalid(bad_version);
  std::string bad_scheme = json;
  bad_scheme.replace(bad_scheme.find("rsa-pkcs1-v1_5"), 14, "ecdsa");  // an RSA certificate
  expect_invalid(bad_scheme);
  std::string unknown_scheme = json;
  unknown_scheme.replace(unknown_scheme.find("rsa-pkcs1-v1_5"), 14, "rsa-pkcs1-v2");
  expect_invalid(unknown_scheme);

  // The scheme is not among the signed attributes, so PKCS#1 → PSS rebuilds the same bytes; the
  // value then fails against the PSS algorithm identifier and is never embedded.
  std::string pss_scheme = json;
  pss_scheme.replace(pss_scheme.find("rsa-pkcs1-v1_5"), 14, "rsa-pss");
  auto as_pss = PreparedCms::FromJson(pss_scheme);
  ASSERT_TRUE(as_pss.ok()) << as_pss.status();
  auto pkcs1_value = (*key)->Sign(prepared->signed_attributes, DigestAlgorithm::kSha256);
  ASSERT_TRUE(pkcs1_value.ok());
  EXPECT_TRUE(
      HasCode(CompleteCms(*as_pss, *pkcs1_value).status(), ErrorCode::kSignatureValueInvalid));

  // A state changed in memory is refused by CompleteCms too.
  PreparedCms tampered = *prepared;
  tampered.request.content_digest[0] ^= 1;
  auto value = (*key)->Sign(prepared->signed_attributes, DigestAlgorithm::kSha256);
  ASSERT_TRUE(value.ok());
  EXPECT_TRUE(HasCode(CompleteCms(tampered, *value).status(), ErrorCode::kStateInvalid));
}

TEST_F(SignerTest, ChangedContentIsDetected) {
  auto key = LoadPkcs12Signer(Path("rsa.p12"), "bí-mật");
  ASSERT_TRUE(key.ok()) << key.status();
  absl::StatusOr<Bytes> cms = SignCms(RequestFor(**key), **key);
  ASSERT_TRUE(cms.ok()) << cms.status();
  Bytes content = ReadFile(Path("content.bin"));
  content[500] ^= 0x01;
  CmsVerification v = OurVerify(*cms, content);
  EXPECT_TRUE(v.parsed);
  EXPECT_FALSE(v.digest_matches);
  EXPECT_TRUE(v.signature_valid);  // the signed attributes themselves are intact
  EXPECT_FALSE(v.intact());
}

TEST_F(SignerTest, UntrustedRootIsReported) {
  auto key = LoadPkcs12Signer(Path("rsa.p12"), "bí-mật");
  ASSERT_TRUE(key.ok()) << key.status();
  absl::StatusOr<Bytes> cms = SignCms(RequestFor(**key), **key);
  ASSERT_TRUE(cms.ok()) << cms.status();
  CmsVerification v = OurVerify(*cms, ReadFile(Path("content.bin")), ReadText("other-ca.pem"));
  EXPECT_TRUE(v.intact());
  ASSERT_TRUE(v.chain_trusted.has_value());
  EXPECT_FALSE(*v.chain_trusted);
  EXPECT_FALSE(v.chain_error.empty());
}

TEST_F(SignerTest, ContentReadErrorIsReported) {
  auto key = LoadPkcs12Signer(Path("rsa.p12"), "bí-mật");
  ASSERT_TRUE(key.ok()) << key.status();
  absl::StatusOr<Bytes> cms = SignCms(RequestFor(**key), **key);
  ASSERT_TRUE(cms.ok()) << cms.status();
  auto v = VerifyDetachedCms(
      *cms, [](const std::function<void(ByteSpan)>&) { return Error(ErrorCode::kIo, "gone"); });
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->digest_matches);
  EXPECT_FALSE(v->problems.empty());
}

TEST_F(SignerTest, KeyFileErrors) {
  EXPECT_TRUE(
      HasCode(LoadPkcs12Signer(Path("rsa.p12"), "wrong").status(), ErrorCode::kKeyFileInvalid));
  EXPECT_TRUE(
      HasCode(LoadPkcs12Signer(Path("absent.p12"), "").status(), ErrorCode::kKeyFileInvalid));
  EXPECT_TRUE(
      HasCode(LoadPkcs12Signer(Path("content.bin"), "").status(), ErrorCode::kKeyFileInvalid));
  EXPECT_TRUE(HasCode(LoadPemSigner(Path("other.key"), Path("rsa.pem")).status(),
                      ErrorCode::kCertificateInvalid));
  EXPECT_TRUE(HasCode(LoadPemSigner(Path("content.bin"), Path("rsa.pem")).status(),
                      ErrorCode::kKeyFileInvalid));
}

TEST_F(SignerTest, BadRequestsAreRefused) {
  auto key = LoadPkcs12Signer(Path("rsa.p12"), "bí-mật");
  ASSERT_TRUE(key.ok()) << key.status();
  CmsRequest request = RequestFor(**key);
  request.content_digest.pop_back();
  EXPECT_TRUE(HasCode(PrepareCms(request).status(), ErrorCode::kUsage));
  request = RequestFor(**key);
  request.scheme = SignatureScheme::kEcdsa;  // an RSA certificate
  EXPECT_TRUE(HasCode(PrepareCms(request).status(), ErrorCode::kUsage));
  request = RequestFor(**key);
  request.chain = {Bytes{1, 2, 3}};
  EXPECT_TRUE(HasCode(PrepareCms(request).status(), ErrorCode::kCertificateInvalid));
  request.chain.clear();
  EXPECT_FALSE(PrepareCms(request).ok());
}

TEST_F(SignerTest, GarbageCmsIsNotIntact) {
  auto key = LoadPkcs12Signer(Path("rsa.p12"), "bí-mật");
  ASSERT_TRUE(key.ok()) << key.status();
  absl::StatusOr<Bytes> cms = SignCms(RequestFor(**key), **key);
  ASSERT_TRUE(cms.ok()) << cms.status();
  const Bytes content = ReadFile(Path("content.bin"));
  std::vector<Bytes> inputs = {{},
                               {0x30},
                               {0x30, 0x80, 0x00, 0x00},
                               ReadFile(Path("ca.pem")),
                               Bytes(cms->begin(), cms->begin() + cms->size() / 2)};
  Bytes flipped = *cms;
  flipped[flipped.size() - 20] ^= 0xff;  // inside the signature value
  inputs.push_back(flipped);
  for (size_t i = 0; i < inputs.size(); ++i) {
    auto v = VerifyDetachedCms(inputs[i], StreamOf(content));
    ASSERT_TRUE(v.ok()) << i;
    EXPECT_FALSE(v->intact()) << i;
  }
  auto v = VerifyDetachedCms(flipped, StreamOf(content));
  EXPECT_TRUE(v->parsed);
  EXPECT_FALSE(v->signature_valid);
}

TEST_F(SignerTest, EstimateCoversRealSizes) {
  auto key = LoadPemSigner(Path("ec.key"), Path("ec-chain.pem"));
  ASSERT_TRUE(key.ok()) << key.status();
  size_t certs = 0;
  for (const Bytes& c : (*key)->CertificateChain()) certs += c.size();
  EXPECT_GE(EstimateCmsSize((*key)->CertificateChain()), certs + 6144);
  EXPECT_GT(EstimateCmsSize({}), 6144u);
}

// A CertificateCache shares parsed certificates by their DER (the same object for the same
// bytes, never one for bytes that are not exactly a certificate); without one every call parses.
TEST_F(SignerTest, ParsedCertificatesAreSharedByTheCacheThatOwnsThem) {
  auto key = LoadPkcs12Signer(Path("rsa.p12"), "bí-mật");
  ASSERT_TRUE(key.ok()) << key.status();
  const Bytes& der = (*key)->CertificateChain().front();
  CertificateCache cache;
  ossl::X509Ptr first = cache.Get(der);
  ossl::X509Ptr second = cache.Get(Bytes(der));
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first.get(), second.get());
  first.reset();  // each caller holds its own reference
  EXPECT_NE(X509_get_subject_name(second.get()), nullptr);

  // No process-wide state: another cache, or none, parses its own object.
  CertificateCache other;
  EXPECT_NE(other.Get(der).get(), second.get());
  EXPECT_NE(ossl::ParseCertificate(der).get(), second.get());
  ossl::X509Ptr through_helper = ParseCertificate(der, &cache);
  EXPECT_EQ(through_helper.get(), second.get());

  // The key keeps its own cache, alive as long as the key.
  ASSERT_NE((*key)->certificates(), nullptr);
  ossl::X509Ptr from_key = (*key)->certificates()->Get(der);
  EXPECT_EQ(from_key.get(), (*key)->certificates()->Get(der).get());

  Bytes trailing = der;
  trailing.push_back(0);
  EXPECT_EQ(cache.Get(trailing), nullptr);
  EXPECT_EQ(ossl::ParseCertificate(trailing), nullptr);
  ossl::X509Ptr prefix = ParseCertificatePrefix(trailing, &cache);
  ASSERT_NE(prefix, nullptr);
  EXPECT_EQ(X509_cmp(prefix.get(), second.get()), 0);
  EXPECT_EQ(cache.Get(Bytes{0x30, 0x03, 0x02, 0x01, 0x00}), nullptr);
  EXPECT_EQ(cache.Get(Bytes{}), nullptr);
  ERR_clear_error();
}

// Bounded: a full cache starts afresh rather than growing.
TEST_F(SignerTest, ACertificateCacheIsBounded) {
  auto key = LoadPkcs12Signer(Path("rsa.p12"), "bí-mật");
  ASSERT_TRUE(key.ok()) << key.status();
  const Bytes& leaf = (*key)->CertificateChain().front();
  absl::StatusOr<std::vector<Bytes>> root = ReadCertificates(Path("ca.pem"));
  ASSERT_TRUE(root.ok()) << root.status();
  CertificateCache cache(/*max_entries=*/1);
  ossl::X509Ptr a = cache.Get(leaf);
  ossl::X509Ptr b = cache.Get(root->front());  // emptied, then holds the root only
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(cache.Get(root->front()).get(), b.get());
  EXPECT_NE(cache.Get(leaf).get(), a.get());
  ERR_clear_error();
}

}  // namespace
}  // namespace taicho::signer
