// The public verification page behind the QR code (issue 18), end to end: taichod with
// [public_web] on a loopback HTTPS port, documents made over gRPC as the desk makes them (created,
// approved on the officer's SoftHSM2 token, sealed on the seal token, printed, withdrawn), then
// tests/python/public_page_browser.py drives Debian's chromium against the page. Screenshots go
// to the build directory (public-page-screenshots/).
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <regex>
#include <string>

#include "gtest/gtest.h"
#include "taicho/v1/document_service.grpc.pb.h"
#include "tests/support/commands.h"
#include "tests/support/desk_calls.h"
#include "tests/support/pdf_update.h"
#include "tests/support/pki_fixture.h"
#include "tests/support/taichod_process.h"

namespace taicho {
namespace {

using namespace taicho::testing;

constexpr char kBaseUrl[] = "https://tra-cuu.example.vn";

std::string Download(const std::string& target, const std::string& revision) {
  return testing::DownloadBytes(*MtlsStub(target, "client-auditor"), revision);
}

// The code taichod gave the document, checked against the URL its QR code carries.
std::string CodeOf(const v1::Document& doc) {
  const std::string code = doc.data().verification().code();
  EXPECT_TRUE(
      std::regex_match(code, std::regex("([0-9A-HJKMNP-TV-Z]{4}-){4}[0-9A-HJKMNP-TV-Z]{4}")))
      << code;
  EXPECT_EQ(doc.data().verification().url(), std::string(kBaseUrl) + "/v/" + code);
  return code;
}

TEST(PublicPage, ABrowserSeesVerdictsWithdrawalsTamperingAndUnknownCodes) {
  GetSamplePki();
  const std::string dir = MakeTempDir("public-page");
  const std::string port_file = dir + "/web.port";
  {
    std::ofstream config(dir + "/taichod.toml");
    config << "[public_web]\n"
           << "listen = \"127.0.0.1:0\"\n"
           << "base_url = \"" << kBaseUrl << "/\"\n"
           << "port_file = \"" << port_file << "\"\n"
           << "rate_per_second = 1\n"
           << "rate_burst = 150\n";
  }
  testing::TaichodProcess taichod;
  ASSERT_TRUE(taichod.Start(
      dir + "/store", {"--config", dir + "/taichod.toml", "--tls-cert", Pki("tls-server.chain.pem"),
                       "--tls-key", Pki("tls-server.key"), "--client-ca", Pki("root.pem")}))
      << taichod.log();
  int web_port = 0;
  std::ifstream(port_file) >> web_port;
  ASSERT_GT(web_port, 0) << taichod.log();
  const std::string target = taichod.target();
  const std::string pid = std::to_string(getpid());

  // Issued: sealed, then printed once.
  v1::Document issued = testing::FetchDocument(
      target, testing::SealedOverService(target, "Quầy 1", "HS-WEB-1-" + pid).name());
  ASSERT_EQ(issued.state(), v1::Document::SEALED);
  // The sample data carries the caller's own sequential code; taichod's replaced it.
  EXPECT_NE(issued.data().verification().code(), "TC-2026-000122");
  const std::string issued_code = CodeOf(issued);
  const v1::Revision& sealed_revision = issued.revisions(issued.revisions_size() - 1);
  {
    v1::MarkPrintedRequest request;
    request.set_name(issued.name());
    request.set_print_id("web-print-1");
    request.set_revision(sealed_revision.name());
    request.set_printer("Quầy-1-HP");
    request.set_copies(1);
    request.set_officer("Trần Thị Bích");
    v1::MarkPrintedResponse printed;
    auto context = CallContext();
    grpc::Status status =
        MtlsStub(target, "client-print-station")->MarkPrinted(context.get(), request, &printed);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  // Withdrawn after its seal.
  v1::Document withdrawn = testing::FetchDocument(
      target, testing::SealedOverService(target, "Quầy 1", "HS-WEB-2-" + pid).name());
  {
    v1::WithdrawDocumentRequest request;
    request.set_name(withdrawn.name());
    request.set_reason("sai đối tượng");
    v1::Document out;
    auto context = CallContext();
    grpc::Status status =
        MtlsStub(target, "client-seal-clerk")->WithdrawDocument(context.get(), request, &out);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  // A draft: its code exists but is not public yet.
  std::string draft_code;
  {
    v1::CreateDocumentRequest create;
    create.set_request_id("req-1");
    v1::Document* doc = create.mutable_document();
    doc->set_kind("quyet-dinh-ubnd");
    doc->set_dossier_code("HS-WEB-3-" + pid);
    doc->set_desk("Quầy 1");
    *doc->mutable_data() = testing::SampleDocumentData();
    v1::Document created;
    auto context = CallContext();
    grpc::Status status =
        MtlsStub(target, "client-intake")->CreateDocument(context.get(), create, &created);
    ASSERT_TRUE(status.ok()) << status.error_message();
    draft_code = CodeOf(created);
  }
  EXPECT_NE(issued_code, CodeOf(withdrawn));

  // A copy of the issued file with page 1's content replaced in an update after the seal.
  const std::string tampered = dir + "/da-sua.pdf";
  {
    std::ofstream(tampered, std::ios::binary) << Download(target, sealed_revision.name());
    const testing::RevisionFacts facts = testing::ReadRevisionFacts(tampered);
    ASSERT_FALSE(facts.contents.empty());
    ASSERT_GT(facts.contents[0], 0);
    testing::AppendUpdate(
        tampered,
        {{facts.contents[0], testing::StreamObject("BT /F1 14 Tf 72 720 Td (Da sua) Tj ET")}});
  }

  const std::string screenshots = std::string(TAICHO_BUILD_DIR) + "/public-page-screenshots";
  const std::string command =
      "/usr/bin/python3 " + Quote(testing::SourceDir() + "/tests/python/public_page_browser.py") +
      " --origin https://127.0.0.1:" + std::to_string(web_port) + " --prefix v --issued " +
      Quote(issued_code) + " --withdrawn " + Quote(CodeOf(withdrawn)) + " --draft " +
      Quote(draft_code) + " --tampered " + Quote(tampered) + " --original-sha256 " +
      Quote(sealed_revision.sha256()) + " --qr-base " + Quote(kBaseUrl) + " --screenshots " +
      Quote(screenshots);
  const testing::CommandResult result = testing::Run(command);
  EXPECT_EQ(result.exit_code, 0) << result.output << "\n--- taichod:\n" << taichod.log();
  std::cout << result.output;  // the checks and the measured 404 latencies
  EXPECT_EQ(taichod.Stop(SIGTERM), 0) << taichod.log();
  // The log names no code: a code opens the original.
  ASSERT_FALSE(issued_code.empty());
  EXPECT_EQ(taichod.log().find(issued_code), std::string::npos);
}

}  // namespace
}  // namespace taicho
