// The public verification page's parts that need no server: the verification code (length,
// alphabet, randomness, what a person may type), the per-address rate limiter and HTML escaping.
// The page itself is tested in a browser (public_page_test.cc).
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "publicweb/client_address.h"
#include "publicweb/html.h"
#include "publicweb/rate_limiter.h"
#include "workflow/verification_code.h"

namespace taicho {
namespace {

using publicweb::RateLimiter;
using workflow::CanonicalVerificationCode;
using workflow::NewVerificationCode;

TEST(ClientAddress, APeerNotTrustedIsItselfWhateverItForwards) {
  using publicweb::ClientAddress;
  // No proxies configured: the header is anyone's to write and changes nothing.
  EXPECT_EQ(ClientAddress("203.0.113.9", "198.51.100.1", {}), "203.0.113.9");
  EXPECT_EQ(ClientAddress("203.0.113.9", "198.51.100.1", {"10.0.0.5"}), "203.0.113.9");
}

TEST(ClientAddress, BehindATrustedProxyTheForwardedClientCounts) {
  using publicweb::ClientAddress;
  const std::vector<std::string> proxies = {"10.0.0.5", "10.0.0.6"};
  EXPECT_EQ(ClientAddress("10.0.0.5", "198.51.100.1", proxies), "198.51.100.1");
  // Two trusted hops: the client is the first address left of them.
  EXPECT_EQ(ClientAddress("10.0.0.5", "198.51.100.1, 10.0.0.6", proxies), "198.51.100.1");
  // A client writing its own header cannot pick its bucket: the rightmost untrusted hop counts.
  EXPECT_EQ(ClientAddress("10.0.0.5", "1.2.3.4, 198.51.100.1", proxies), "198.51.100.1");
  EXPECT_EQ(ClientAddress("10.0.0.5", "2001:db8::1", proxies), "2001:db8::1");
  // Nothing usable forwarded: the proxy itself.
  EXPECT_EQ(ClientAddress("10.0.0.5", "", proxies), "10.0.0.5");
  EXPECT_EQ(ClientAddress("10.0.0.5", "198.51.100.1, <script>", proxies), "10.0.0.5");
  EXPECT_EQ(ClientAddress("10.0.0.5", "198.51.100.1,,", proxies), "10.0.0.5");
  // Every hop trusted (the proxies talk to each other): the leftmost.
  EXPECT_EQ(ClientAddress("10.0.0.5", "10.0.0.6", proxies), "10.0.0.6");
}

TEST(VerificationCode, HasFiveGroupsOfFourCrockfordDigits) {
  for (int i = 0; i < 1000; ++i) {
    const std::string code = NewVerificationCode();
    ASSERT_EQ(code.size(), 24u) << code;
    for (size_t j = 0; j < code.size(); ++j) {
      if (j % 5 == 4) {
        EXPECT_EQ(code[j], '-') << code;
      } else {
        EXPECT_NE(std::string(workflow::kCrockfordAlphabet).find(code[j]), std::string::npos)
            << code;
        EXPECT_EQ(std::string("ILOU").find(code[j]), std::string::npos) << code;
      }
    }
    EXPECT_EQ(CanonicalVerificationCode(code), code);
  }
}

TEST(VerificationCode, IsUniqueAndUsesEveryDigitEverywhere) {
  std::set<std::string> seen;
  // Each of the 20 positions should take all 32 digits within 20000 codes (a position stuck at
  // a few values, e.g. bits read wrongly, would not).
  std::vector<std::set<char>> per_position(20);
  for (int i = 0; i < 20000; ++i) {
    const std::string code = NewVerificationCode();
    EXPECT_TRUE(seen.insert(code).second) << "repeated: " << code;
    std::string digits;
    for (char c : code) {
      if (c != '-') digits.push_back(c);
    }
    for (size_t p = 0; p < digits.size(); ++p) per_position[p].insert(digits[p]);
  }
  for (size_t p = 0; p < per_position.size(); ++p) {
    EXPECT_EQ(per_position[p].size(), 32u) << "position " << p;
  }
  EXPECT_GE(workflow::kVerificationCodeBits, 96);
}

TEST(VerificationCode, TypedFormsReadAsThePrintedOne) {
  EXPECT_EQ(CanonicalVerificationCode("7k2m q9xd 0hfw tr3n b5ce"), "7K2M-Q9XD-0HFW-TR3N-B5CE");
  EXPECT_EQ(CanonicalVerificationCode("7K2MQ9XDOHFWTR3NB5CE"), "7K2M-Q9XD-0HFW-TR3N-B5CE");  // O→0
  EXPECT_EQ(CanonicalVerificationCode("IL00-0000-0000-0000-0000"), "1100-0000-0000-0000-0000");
  EXPECT_FALSE(CanonicalVerificationCode("TC-2026-000122"));            // too short
  EXPECT_FALSE(CanonicalVerificationCode("7K2M-Q9XD-0HFW-TR3N-B5CU"));  // U is not a digit
  EXPECT_FALSE(CanonicalVerificationCode("7K2M-Q9XD-0HFW-TR3N-B5C%"));
  EXPECT_FALSE(CanonicalVerificationCode("7K2M-Q9XD-0HFW-TR3N-B5CE0"));
  EXPECT_FALSE(CanonicalVerificationCode(std::string(1000, '0')));
  EXPECT_FALSE(CanonicalVerificationCode(""));
}

TEST(RateLimiter, AllowsTheBurstThenTheRate) {
  RateLimiter limiter(/*per_second=*/2, /*burst=*/5);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(limiter.Allow("10.0.0.1", 1000)) << i;
  EXPECT_FALSE(limiter.Allow("10.0.0.1", 1000));
  // Another address has its own bucket.
  EXPECT_TRUE(limiter.Allow("10.0.0.2", 1000));
  // 2 per second: one more after 500 ms, not before.
  EXPECT_FALSE(limiter.Allow("10.0.0.1", 1400));
  EXPECT_TRUE(limiter.Allow("10.0.0.1", 1500));
  EXPECT_FALSE(limiter.Allow("10.0.0.1", 1500));
  // A long pause refills to the burst, not beyond.
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(limiter.Allow("10.0.0.1", 100000)) << i;
  EXPECT_FALSE(limiter.Allow("10.0.0.1", 100000));
  // A clock that goes back takes nothing and gives nothing.
  EXPECT_FALSE(limiter.Allow("10.0.0.1", 50000));
}

TEST(RateLimiter, ForgetsIdleClientsAndRefusesWhenFullOfBusyOnes) {
  RateLimiter limiter(/*per_second=*/1, /*burst=*/2, /*max_clients=*/3);
  for (const char* a : {"a", "b", "c"}) EXPECT_TRUE(limiter.Allow(a, 0));
  EXPECT_EQ(limiter.tracked(), 3u);
  // All three are still refilling at 100 ms: a fourth address is refused, the table not grown.
  EXPECT_FALSE(limiter.Allow("d", 100));
  EXPECT_EQ(limiter.tracked(), 3u);
  // By 2 s they are full again (idle): forgotten, and the newcomer gets a bucket.
  EXPECT_TRUE(limiter.Allow("d", 2000));
  EXPECT_EQ(limiter.tracked(), 1u);
}

TEST(Html, EscapesEverythingThatCouldOpenMarkup) {
  EXPECT_EQ(publicweb::Escape("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;");
  EXPECT_EQ(publicweb::Escape("Ủy ban nhân dân"), "Ủy ban nhân dân");
  workflow::PublicDocument doc;
  doc.code = "7K2M-Q9XD-0HFW-TR3N-B5CE";
  doc.type = "QUYẾT ĐỊNH";
  doc.summary = "<img src=x onerror=alert(1)>";
  doc.agency = "UBND \"xã\"";
  const std::string page = publicweb::DocumentPage("/v", doc);
  EXPECT_EQ(page.find("<img"), std::string::npos);
  EXPECT_NE(page.find("&lt;img src=x onerror=alert(1)&gt;"), std::string::npos);
  EXPECT_EQ(page.find("<script"), std::string::npos);
  EXPECT_NE(page.find("UBND &quot;xã&quot;"), std::string::npos);
}

}  // namespace
}  // namespace taicho
