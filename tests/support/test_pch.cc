// The unit that builds tests/CMakeLists.txt's precompiled header (taicho_test_pch) for the gRPC
// tests; it has no code of its own.
