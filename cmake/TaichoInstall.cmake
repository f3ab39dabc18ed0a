# What `cmake --install` puts where (README "Install and package"), and the build tree's mirror of
# the installed data. Included from the top-level CMakeLists.txt after every target exists.
#
#   PREFIX/bin/                 taicho (launcher), taicho-cli, taicho-verify, taicho-local, taichod,
#                               taicho-agent
#   PREFIX/libexec/taicho/      draw_sample_images (the demo's sample signature and seal)
#   PREFIX/share/taicho/        kinds/, samples/, proto/, sample-pki/, demo/
#   PREFIX/share/doc/taicho/    README.md, taichod.toml.example
#   SYSCONFDIR/taicho/          taichod.toml (the example, to edit): /etc/taicho for prefix /usr
#   TAICHO_SYSTEMD_UNIT_DIR     taichod.service, its ExecStart and --config at the paths above
#
# The programs find share/taicho from their own path (installation/installation.h), so an
# installation staged with DESTDIR or moved elsewhere reads its own data, never the source tree.

set(TAICHO_SYSTEMD_UNIT_DIR "${CMAKE_INSTALL_PREFIX}/lib/systemd/system" CACHE PATH
    "Where the systemd unit is installed (systemd reads /usr/lib and /usr/local/lib/systemd/system)")
set(taicho_datadir "${CMAKE_INSTALL_DATADIR}/taicho")
set(taicho_confdir "${CMAKE_INSTALL_FULL_SYSCONFDIR}/taicho")

install(TARGETS taicho taicho-cli taicho-verify taicho-local taichod taicho-agent
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS draw_sample_images RUNTIME DESTINATION ${CMAKE_INSTALL_LIBEXECDIR}/taicho)

install(DIRECTORY render/kinds/ DESTINATION ${taicho_datadir}/kinds
        FILES_MATCHING PATTERN "*.json" PATTERN "README.md")
install(DIRECTORY render/samples/ DESTINATION ${taicho_datadir}/samples
        FILES_MATCHING PATTERN "*.json")
install(DIRECTORY proto/taicho DESTINATION ${taicho_datadir}/proto
        FILES_MATCHING PATTERN "*.proto")
install(PROGRAMS certs-sample/make-pki.sh certs-sample/make-tokens.sh
        DESTINATION ${taicho_datadir}/sample-pki)
install(FILES certs-sample/openssl.cnf certs-sample/README.md
        DESTINATION ${taicho_datadir}/sample-pki)
# The demo flow (scripts/demo.sh's steps) with the sample TSA and the one-stop-shop client.
install(PROGRAMS scripts/demo-flow.sh scripts/one_stop_shop.py tests/support/tsa_server.py
        DESTINATION ${taicho_datadir}/demo)

install(FILES README.md server/taichod.toml.example DESTINATION ${CMAKE_INSTALL_DOCDIR})
# The example as the configuration the operator edits before enabling the service (the unit reads
# it). The .deb lists it as a conffile (TaichoPackaging.cmake): an upgrade keeps the edits.
install(FILES server/taichod.toml.example DESTINATION ${taicho_confdir} RENAME taichod.toml)

# The unit with this installation's paths (the source file names /usr/local, as a hand install).
file(READ server/taichod.service taicho_unit)
string(REPLACE "/usr/local/bin/taichod" "${CMAKE_INSTALL_FULL_BINDIR}/taichod" taicho_unit
       "${taicho_unit}")
string(REPLACE "/etc/taicho/taichod.toml" "${taicho_confdir}/taichod.toml" taicho_unit
       "${taicho_unit}")
string(REPLACE "file:///usr/share/doc/taicho/" "file://${CMAKE_INSTALL_FULL_DOCDIR}/" taicho_unit
       "${taicho_unit}")
file(WRITE ${PROJECT_BINARY_DIR}/install/taichod.service "${taicho_unit}")
install(FILES ${PROJECT_BINARY_DIR}/install/taichod.service DESTINATION ${TAICHO_SYSTEMD_UNIT_DIR})

# The build tree as an installation: programs one folder below BUILD find BUILD/share/taicho
# (installation.h), whose entries link to the source, so edited kinds are read at once.
file(MAKE_DIRECTORY ${PROJECT_BINARY_DIR}/share/taicho)
foreach(pair "kinds=render/kinds" "samples=render/samples")
  string(REPLACE "=" ";" pair "${pair}")
  list(GET pair 0 link)
  list(GET pair 1 target)
  file(CREATE_LINK ${PROJECT_SOURCE_DIR}/${target} ${PROJECT_BINARY_DIR}/share/taicho/${link}
       SYMBOLIC)
endforeach()

if(TAICHO_BUILD_TESTS)
  # Installs into a staging directory and runs the demo flow from the installed files only.
  add_test(NAME staged_install_runs_demo
    COMMAND bash ${PROJECT_SOURCE_DIR}/scripts/install-test.sh ${PROJECT_SOURCE_DIR}
            ${PROJECT_BINARY_DIR} ${PROJECT_VERSION} ${CMAKE_INSTALL_FULL_BINDIR}
            ${CMAKE_INSTALL_FULL_LIBEXECDIR} ${CMAKE_INSTALL_FULL_DATADIR} ${taicho_confdir}
            ${TAICHO_SYSTEMD_UNIT_DIR} $<IF:$<BOOL:${TAICHO_SANITIZE}>,ON,OFF>)
  # COST (seconds, measured): started first on a fresh clone (tests/CMakeLists.txt, taicho_test).
  set_tests_properties(staged_install_runs_demo PROPERTIES TIMEOUT 600 COST 15)
  # The CPack .deb (cpack on this build, or DEB=… from scripts/package.sh): Depends apt can
  # resolve, the conffile, dpkg unpacking it into a scratch root, postinst with recorders.
  # Not in a sanitizer build: nobody packages one, and cpack would spend a minute on it.
  if(NOT TAICHO_SANITIZE)
    add_test(NAME deb_package_installs
      COMMAND bash ${PROJECT_SOURCE_DIR}/scripts/deb-test.sh ${PROJECT_BINARY_DIR}
              ${CMAKE_INSTALL_FULL_BINDIR} ${taicho_confdir} ${TAICHO_SYSTEMD_UNIT_DIR})
    set_tests_properties(deb_package_installs PROPERTIES TIMEOUT 600 SKIP_RETURN_CODE 77 COST 25)
  endif()
endif()
