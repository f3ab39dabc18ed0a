#include "tests/support/pg_cluster.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "tests/support/pki_fixture.h"

namespace taicho::testing {
namespace {

std::string Script() { return SourceDir() + "/tests/support/pg_cluster.sh"; }

// The state file of a cluster this process started (stopped at exit), else empty.
std::string& OwnState() {
  static std::string state;
  return state;
}

void StopOwn() {
  if (!OwnState().empty()) Run(Quote(Script()) + " stop " + Quote(OwnState()));
}

[[noreturn]] void Abort(const std::string& why) {
  std::fprintf(stderr, "pg_cluster: %s\n", why.c_str());
  std::abort();
}

// The socket directory of the cluster.
const std::string& ClusterDir() {
  static std::once_flag once;
  static std::string dir;
  std::call_once(once, [] {
    const char* env = std::getenv("TAICHO_TEST_PG_STATE");
    std::string state = env != nullptr ? env : "";
    if (state.empty()) {
      state = MakeTempDir("pg-state") + "/state";
      CommandResult started = Run(Quote(Script()) + " start " + Quote(state));
      if (started.exit_code != 0) Abort("cannot start a cluster: " + started.output);
      OwnState() = state;
      std::atexit(StopOwn);
    }
    dir = std::string(absl::StripAsciiWhitespace(ReadFileBytes(state)));
    if (dir.empty()) Abort("no cluster named in " + state);
  });
  return dir;
}

}  // namespace

std::string FreshPgUrl() {
  static std::atomic<int> counter{0};
  const std::string& dir = ClusterDir();
  const std::string schema = absl::StrCat("t", getpid(), "_", counter.fetch_add(1));
  const std::string base = absl::StrCat("postgresql:///postgres?host=", dir, "&user=postgres");
  CommandResult made = Run(absl::StrCat("/usr/lib/postgresql/15/bin/psql -X -q ", Quote(base),
                                        " -c 'CREATE SCHEMA ", schema, "'"));
  if (made.exit_code != 0) Abort("CREATE SCHEMA: " + made.output);
  // options=-csearch_path=SCHEMA, percent-encoded as a URI parameter value.
  return absl::StrCat(base, "&options=-csearch_path%3D", schema);
}

}  // namespace taicho::testing
