// The samples tests sign: the signature and seal images, drawn once per process by the project's
// own tool (certs-sample/draw_sample_images) into a temporary folder that lives as long as the
// process, and the sample decision's data. Thread-safe (function-local statics initialised once).
#pragma once

#include <string>

namespace taicho::testing {

struct SampleImagePaths {
  std::string signature;  // a blue handwritten signature, PNG with alpha
  std::string seal;       // a red round seal, PNG with alpha
};

// The paths; an expectation fails if the tool does.
const SampleImagePaths& SampleImages();

// The sample decision (render/samples/quyet-dinh-ubnd.json) as the one-stop-shop sends it at
// approval time: without its number and date, which the seal fills.
std::string BlankDecisionJson();

}  // namespace taicho::testing
