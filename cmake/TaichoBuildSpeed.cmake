# Build time (README "Development"): CI builds everything twice from scratch on two cores.
#
# Linker: mold (Debian's mold) when installed, else GNU gold; both link the ~60 programs (tests
# with gRPC, PoDoFo, Abseil and their debug line tables) several times faster than ld.bfd, whose
# links were I/O-bound here. TAICHO_LINKER=bfd keeps the default. Ninja for new build
# directories is chosen in scripts/build.sh.
#
# Not here on purpose: one precompiled header for everything. Tried for the tests (GoogleTest,
# PoDoFo, nlohmann/json, Abseil, REUSE_FROM one 188 MB PCH): with GCC 12 at -O2 a unit's time is
# mostly code generation, the gain per unit was -17 % to +12 % CPU, and the PCH's different
# inlining context raised GCC 12's false -Warray-bounds in tests/support/pki_fixture.cc under
# -Werror. Since test code is compiled at -O0, the gRPC tests do use one (TAICHO_TEST_PCH in
# tests/CMakeLists.txt: -46 % CPU on those units); the other tests gain little (at -O0, ccache
# off: pades_test 7.0 s with or without a GoogleTest/PoDoFo/Abseil/JSON PCH, store_test 5.8 ->
# 4.1 s, against ~14 s for the PCH itself). Per-library PCHs for product code: below.
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

# Precompiled headers for the product libraries with the most units (TAICHO_PCH). Parsing the
# same third-party headers (Abseil's Status, PoDoFo, OpenSSL, gRPC) is most of a small unit's
# time, at -O2 and more so at the sanitizer build's -O0. Measured with ccache off, GCC 12, -O2:
# pdf/ units revision_diff 9.9 -> 9.1 s CPU, signature_update 7.8 -> 5.1, xref_reader 4.4 -> 2.8,
# pdf_source 3.7 -> 1.2; the PCH itself 8.8 s, built once per library. Not render/: with its PCH,
# GCC 12 at -O2 reports a false -Warray-bounds in document_renderer.cc (a std::string moved into
# a vector, inlined differently), as it did for the tests at -O2. Each library's PCH holds
# only headers its units already read, so no unit sees a library it does not link. Off by default
# under a compiler launcher, as TAICHO_TEST_PCH (tests/CMakeLists.txt): ccache skips units that
# use a PCH and a warm cache beats it. taicho_pch_default is TAICHO_TEST_PCH's default too.
if(CMAKE_CXX_COMPILER_LAUNCHER)
  set(taicho_pch_default OFF)
else()
  set(taicho_pch_default ON)
endif()
option(TAICHO_PCH "Precompiled headers for the larger product libraries" ${taicho_pch_default})
# Called once every library exists (end of the top-level CMakeLists.txt).
function(taicho_product_pch)
  if(NOT TAICHO_PCH)
    return()
  endif()
  set(common <map> <memory> <string> <string_view> <vector> [["absl/status/status.h"]]
    [["absl/status/statusor.h"]] [["absl/strings/str_cat.h"]])
  set(openssl <openssl/evp.h> <openssl/x509.h>)
  target_precompile_headers(taicho_pdf PRIVATE ${common} <podofo/podofo.h>)
  target_precompile_headers(taicho_signer PRIVATE ${common} ${openssl})
  target_precompile_headers(taicho_pades PRIVATE ${common} ${openssl})
  target_precompile_headers(taicho_pades_verify PRIVATE ${common} ${openssl})
  target_precompile_headers(taicho_store PRIVATE ${common})
  target_precompile_headers(taicho_workflow PRIVATE ${common})
  target_precompile_headers(taicho_service PRIVATE ${common} <grpcpp/grpcpp.h>
    [["taicho/v1/document_service.grpc.pb.h"]])
endfunction()
