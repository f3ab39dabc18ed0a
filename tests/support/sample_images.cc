#include "tests/support/sample_images.h"

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/pki_fixture.h"

namespace taicho::testing {

const SampleImagePaths& SampleImages() {
  static const SampleImagePaths images = [] {
    const std::string dir = MakeTempDir("images");
    CommandResult r = Run(Quote(TAICHO_DRAW_SAMPLE_IMAGES) + " " + Quote(dir));
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return SampleImagePaths{dir + "/signature.png", dir + "/seal.png"};
  }();
  return images;
}

std::string BlankDecisionJson() {
  nlohmann::json j =
      nlohmann::json::parse(ReadFileBytes(SourceDir() + "/render/samples/quyet-dinh-ubnd.json"));
  j.erase("number");
  j.erase("date");
  return j.dump();
}

}  // namespace taicho::testing
