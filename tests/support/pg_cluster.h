// Test support: the throwaway PostgreSQL 15 cluster (tests/support/pg_cluster.sh) and a fresh,
// empty schema in it for each caller, so tests share one cluster without seeing each other's rows.
//
// The cluster is the one ctest's pg_cluster fixture started (TAICHO_TEST_PG_STATE names its state
// file); a test binary run by hand without it starts one itself on first use and stops it at exit.
// Thread-safe.
#pragma once

#include <string>

namespace taicho::testing {

// A libpq URL whose connections work in a new empty schema (search_path), for OpenPgStore.
// Aborts the test process when no cluster can be had (a test must not pass without its database).
std::string FreshPgUrl();

}  // namespace taicho::testing
