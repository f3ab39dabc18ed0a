// The local page's guards over real sockets: each request is written byte for byte (so the test,
// not a client library, decides Host, Origin, Sec-Fetch-Site and Cookie) to a LocalSite on a free
// port of 127.0.0.1.
#include "localweb/local_site.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <regex>
#include <string>

#include "absl/strings/str_cat.h"
#include "errors/error.h"
#include "gtest/gtest.h"
#include "html/escape.h"

namespace taicho::localweb {
namespace {

struct Answer {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  // The header's value, empty when absent.
  std::string Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// One request on its own connection (Connection: close), the answer read to the end.
Answer Send(int port, const std::string& request) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  EXPECT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  EXPECT_EQ(write(fd, request.data(), request.size()), static_cast<ssize_t>(request.size()));
  std::string raw;
  char buffer[4096];
  for (ssize_t n; (n = read(fd, buffer, sizeof buffer)) > 0;) raw.append(buffer, n);
  close(fd);
  Answer answer;
  const size_t end = raw.find("\r\n\r\n");
  if (end == std::string::npos) return answer;
  answer.body = raw.substr(end + 4);
  std::smatch m;
  const std::string head = raw.substr(0, end);
  if (std::regex_search(head, m, std::regex("^HTTP/1\\.1 (\\d{3})"))) {
    answer.status = std::stoi(m[1]);
  }
  const std::regex line("\r\n([^:\r\n]+): ([^\r\n]*)");
  for (auto it = std::sregex_iterator(head.begin(), head.end(), line); it != std::sregex_iterator();
       ++it) {
    std::string name = (*it)[1];
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    answer.headers[name] = (*it)[2];
  }
  return answer;
}

class LocalSiteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<LocalSite>> site = LocalSite::Make({});
    ASSERT_TRUE(site.ok()) << site.status();
    site_ = *std::move(site);
    site_->server().Get("/", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("trang chủ", "text/plain; charset=utf-8");
    });
    site_->server().Post("/ky", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("đã nhận", "text/plain; charset=utf-8");
    });
    ASSERT_TRUE(site_->Start().ok());
    port_ = site_->port();
    const std::string url = site_->OpeningUrl();
    const std::string prefix = absl::StrCat("http://127.0.0.1:", port_, "/?khoa=");
    ASSERT_EQ(url.substr(0, prefix.size()), prefix) << url;
    secret_ = url.substr(prefix.size());
    host_ = absl::StrCat("127.0.0.1:", port_);
    cookie_ = absl::StrCat("taicho_local_", port_, "=", secret_);
  }

  // A request with the given extra header lines (each ending in \r\n).
  Answer Request(const std::string& method, const std::string& target, const std::string& host,
                 const std::string& extra, const std::string& body = "") {
    std::string request = absl::StrCat(method, " ", target, " HTTP/1.1\r\nHost: ", host,
                                       "\r\nConnection: close\r\n", extra);
    if (method == "POST") {
      absl::StrAppend(&request, "Content-Type: application/x-www-form-urlencoded\r\n",
                      "Content-Length: ", body.size(), "\r\n");
    }
    absl::StrAppend(&request, "\r\n", body);
    return Send(port_, request);
  }
  std::string Cookie() const { return absl::StrCat("Cookie: ", cookie_, "\r\n"); }
  std::string SameOrigin() const {
    return absl::StrCat("Origin: http://", host_, "\r\nSec-Fetch-Site: same-origin\r\n");
  }

  std::unique_ptr<LocalSite> site_;
  int port_ = 0;
  std::string secret_, host_, cookie_;
};

TEST_F(LocalSiteTest, TheSecretHas256RandomBitsAndDiffersEachStart) {
  EXPECT_TRUE(std::regex_match(secret_, std::regex("[0-9a-f]{64}"))) << secret_;
  absl::StatusOr<std::unique_ptr<LocalSite>> other = LocalSite::Make({});
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE((*other)->Start().ok());
  EXPECT_NE((*other)->port(), port_);
  EXPECT_EQ((*other)->OpeningUrl().find(secret_), std::string::npos);
}

TEST_F(LocalSiteTest, TheSecretBecomesAStrictHttpOnlyCookieAndLeavesTheAddress) {
  const Answer a = Request("GET", "/?khoa=" + secret_, host_, "Sec-Fetch-Site: none\r\n");
  EXPECT_EQ(a.status, 303);
  EXPECT_EQ(a.Header("location"), "/");
  const std::string cookie = a.Header("set-cookie");
  EXPECT_EQ(cookie.find(cookie_), 0u) << cookie;
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos);
  const Answer page = Request("GET", "/", host_, Cookie());
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.body, "trang chủ");
}

TEST_F(LocalSiteTest, WithoutTheSecretOrWithAWrongOneIs403) {
  for (const std::string& extra :
       {std::string(),
        absl::StrCat("Cookie: taicho_local_", port_, "=", std::string(64, 'a'), "\r\n"),
        absl::StrCat("Cookie: taicho_local_", port_ + 1, "=", secret_, "\r\n"),
        absl::StrCat("Cookie: x", cookie_, "\r\n"), absl::StrCat("Cookie: ", cookie_, "0\r\n")}) {
    const Answer a = Request("GET", "/", host_, extra);
    EXPECT_EQ(a.status, 403) << extra;
    EXPECT_EQ(a.Header("x-taicho-refused"), "secret") << extra;
    EXPECT_NE(a.body.find("Từ chối"), std::string::npos);
  }
  std::string wrong = secret_;
  wrong[0] = wrong[0] == '0' ? '1' : '0';
  EXPECT_EQ(Request("GET", "/?khoa=" + wrong, host_, "").status, 403);
  EXPECT_EQ(Request("GET", "/?khoa=" + secret_.substr(1), host_, "").status, 403);
  // Among other cookies of 127.0.0.1, and under localhost too.
  EXPECT_EQ(Request("GET", "/", absl::StrCat("localhost:", port_),
                    absl::StrCat("Cookie: a=b; ", cookie_, "; c=d\r\n"))
                .status,
            200);
}

TEST_F(LocalSiteTest, AnotherHostIsRefusedEvenWithTheSecret) {
  for (const std::string& host :
       {std::string("evil.example"), absl::StrCat("evil.example:", port_),
        absl::StrCat("127.0.0.1:", port_ + 1), std::string("127.0.0.1"),
        absl::StrCat("127.0.0.1.nip.io:", port_), absl::StrCat("localhost.:", port_)}) {
    Answer a = Request("GET", "/", host, Cookie());
    EXPECT_EQ(a.status, 403) << host;
    EXPECT_EQ(a.Header("x-taicho-refused"), "host") << host;
    a = Request("GET", "/?khoa=" + secret_, host, "");
    EXPECT_EQ(a.status, 403) << host;
    EXPECT_EQ(a.headers.count("set-cookie"), 0u) << host;
  }
}

TEST_F(LocalSiteTest, CrossSitePostsAreRefused) {
  EXPECT_EQ(Request("POST", "/ky", host_, Cookie() + SameOrigin(), "a=1").status, 200);
  // The page's own form under no-referrer: Origin null, vouched for by Sec-Fetch-Site.
  EXPECT_EQ(Request("POST", "/ky", host_,
                    Cookie() + "Origin: null\r\nSec-Fetch-Site: same-origin\r\n", "a=1")
                .status,
            200);
  const std::string same_site_port = absl::StrCat("http://127.0.0.1:", port_ + 1);
  const struct {
    std::string headers;
    std::string refused;
  } cases[] = {
      {"", "origin"},  // no Origin at all
      {"Origin: null\r\n", "origin"},
      {"Origin: null\r\nSec-Fetch-Site: same-site\r\n", "fetch-site"},
      {"Origin: null\r\nSec-Fetch-Site: none\r\n", "origin"},
      {"Origin: http://evil.example\r\n", "origin"},
      {absl::StrCat("Origin: ", same_site_port, "\r\nSec-Fetch-Site: same-site\r\n"), "fetch-site"},
      {absl::StrCat("Origin: ", same_site_port, "\r\n"), "origin"},
      {absl::StrCat("Origin: https://", host_, "\r\n"), "origin"},
      {absl::StrCat("Origin: http://", host_, "\r\nSec-Fetch-Site: cross-site\r\n"), "fetch-site"},
  };
  for (const auto& c : cases) {
    const Answer a = Request("POST", "/ky", host_, Cookie() + c.headers, "a=1");
    EXPECT_EQ(a.status, 403) << c.headers;
    EXPECT_EQ(a.Header("x-taicho-refused"), c.refused) << c.headers;
    EXPECT_EQ(a.body.find("đã nhận"), std::string::npos);
  }
  // A cross-site GET too (a link or an image on another page).
  EXPECT_EQ(Request("GET", "/", host_, Cookie() + "Sec-Fetch-Site: cross-site\r\n").status, 403);
  // The secret in a POST's URL does not count.
  EXPECT_EQ(Request("POST", "/ky?khoa=" + secret_, host_, SameOrigin(), "a=1").status, 403);
}

TEST_F(LocalSiteTest, EveryAnswerCarriesTheSecurityHeaders) {
  for (const Answer& a : {Request("GET", "/", host_, Cookie()), Request("GET", "/", host_, ""),
                          Request("GET", "/nothing", host_, Cookie())}) {
    const std::string csp = a.Header("content-security-policy");
    EXPECT_NE(csp.find("default-src 'none'"), std::string::npos) << csp;
    EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << csp;
    EXPECT_EQ(csp.find("http"), std::string::npos) << "no outside source: " << csp;
    EXPECT_EQ(csp.find("*"), std::string::npos) << csp;
    EXPECT_EQ(csp.find("unsafe"), std::string::npos) << csp;
    EXPECT_EQ(a.Header("x-frame-options"), "DENY");
    EXPECT_EQ(a.Header("referrer-policy"), "no-referrer");
    EXPECT_EQ(a.Header("x-content-type-options"), "nosniff");
    EXPECT_EQ(a.Header("cache-control"), "no-store");
  }
}

TEST_F(LocalSiteTest, TheRedirectStaysOnThisSite) {
  EXPECT_EQ(Request("GET", "//evil.example/?khoa=" + secret_, host_, "").Header("location"), "/");
  EXPECT_EQ(Request("GET", "/a%0d%0aX:%20y?khoa=" + secret_, host_, "").Header("location"), "/");
  EXPECT_EQ(Request("GET", "/van-ban/1?khoa=" + secret_, host_, "").Header("location"),
            "/van-ban/1");
}

TEST(LocalSite, ListensOnLoopbackOnly) {
  for (const char* listen : {"0.0.0.0:0", "localhost:0", "[::1]:0", "127.0.0.1", "127.0.0.1:x",
                             "127.0.0.1:70000", "10.0.0.1:8080", "127.0.0.10:0"}) {
    absl::StatusOr<std::unique_ptr<LocalSite>> site = LocalSite::Make({.listen = listen});
    EXPECT_TRUE(HasCode(site.status(), ErrorCode::kConfigInvalid)) << listen;
  }
  // A taken port: kIo from Start.
  absl::StatusOr<std::unique_ptr<LocalSite>> first = LocalSite::Make({});
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE((*first)->Start().ok());
  absl::StatusOr<std::unique_ptr<LocalSite>> second =
      LocalSite::Make({.listen = absl::StrCat("127.0.0.1:", (*first)->port())});
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(HasCode((*second)->Start(), ErrorCode::kIo));
}

TEST(LocalSite, EscapeHtml) {
  EXPECT_EQ(html::Escape("<a href=\"x\">Tô & 'Lê'</a>"),
            "&lt;a href=&quot;x&quot;&gt;Tô &amp; &#39;Lê&#39;&lt;/a&gt;");
}

}  // namespace
}  // namespace taicho::localweb
