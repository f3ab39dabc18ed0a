// The sample signature and seal images, drawn once per process by the project's own tool
// (certs-sample/draw_sample_images), into a temporary folder that lives as long as the process.
// Thread-safe (a function-local static initialised once).
#pragma once

#include <string>

namespace taicho::testing {

struct SampleImagePaths {
  std::string signature;  // a blue handwritten signature, PNG with alpha
  std::string seal;       // a red round seal, PNG with alpha
};

// The paths; an expectation fails if the tool does.
const SampleImagePaths& SampleImages();

}  // namespace taicho::testing
