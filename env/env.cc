#include "env/env.h"

#include <chrono>

namespace taicho {
namespace {

class SystemEnv : public Env {
 public:
  int64_t NowUnixMillis() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

}  // namespace

const Env& Env::Default() {
  // Stateless: nothing here is performance state or changes after construction.
  static const SystemEnv env;
  return env;
}

}  // namespace taicho
