# Build time (README "Development"): CI builds everything twice from scratch on two cores.
#
# Linker: mold (Debian's mold) when installed, else GNU gold; both link the ~60 programs (tests
# with gRPC, PoDoFo, Abseil and their debug line tables) several times faster than ld.bfd, whose
# links were I/O-bound here. TAICHO_LINKER=bfd keeps the default. Ninja for new build
# directories is chosen in scripts/build.sh.
#
# Not here on purpose: precompiled headers for everything. Tried for the tests (GoogleTest, PoDoFo,
# nlohmann/json, Abseil, REUSE_FROM one 188 MB PCH): with GCC 12 at -O2 a unit's time is mostly
# code generation, the gain per unit was -17 % to +12 % CPU, and the PCH's different inlining
# context raised GCC 12's false -Warray-bounds in tests/support/pki_fixture.cc under -Werror.
# Since test code is compiled at -O0, the gRPC tests do use one (TAICHO_TEST_PCH in
# tests/CMakeLists.txt: -46 % CPU on those units).
set(TAICHO_LINKER "auto" CACHE STRING "Linker: auto (mold, else gold), mold, gold or bfd")
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND NOT TAICHO_LINKER STREQUAL "bfd")
  set(taicho_linker "${TAICHO_LINKER}")
  if(taicho_linker STREQUAL "auto")
    find_program(TAICHO_MOLD mold)
    find_program(TAICHO_GOLD ld.gold)
    if(TAICHO_MOLD)
      set(taicho_linker mold)
    elseif(TAICHO_GOLD)
      set(taicho_linker gold)
    else()
      set(taicho_linker bfd)
    endif()
  endif()
  if(NOT taicho_linker STREQUAL "bfd")
    add_link_options(-fuse-ld=${taicho_linker})
  endif()
  message(STATUS "taicho: linking with ${taicho_linker}")
endif()
