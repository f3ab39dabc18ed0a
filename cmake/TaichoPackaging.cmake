# `cpack -G DEB` in a build configured with -DCMAKE_INSTALL_PREFIX=/usr (scripts/package.sh does
# both): one package "taicho" with what cmake --install installs (cmake/TaichoInstall.cmake).
# Shared-library dependencies come from dpkg-shlibdeps (dpkg-dev); what the programs run or read
# rather than link is listed here.
set(CPACK_PACKAGE_NAME taicho)
set(CPACK_PACKAGE_VENDOR "taicho")
set(CPACK_PACKAGE_CONTACT "taicho maintainers <taicho@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "on-the-spot signing and issuance of administrative documents (PAdES, PKCS#11)")
set(CPACK_PACKAGE_DESCRIPTION
    "taichod, the gRPC signing and issuance service of a one-stop desk, with its clients taicho \
(render, sign, verify, print station) and taicho-agent (the officer's token).")
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGING_INSTALL_PREFIX "${CMAKE_INSTALL_PREFIX}")
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# The default fonts (fonts-liberation2), adduser for the service user (postinst), libcurl4 (the
# programs open it when they first fetch from a TSA or OCSP/CRL server, so dpkg-shlibdeps does not
# see it: http/http_client.cc).
set(CPACK_DEBIAN_PACKAGE_DEPENDS "fonts-liberation2, adduser, libcurl4")
# pdf.js for the officer's approval page (`taicho-agent --web` refuses to start without it).
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "libjs-pdf")
# The sample PKI and tokens, and the demo flow (share/taicho/demo).
set(CPACK_DEBIAN_PACKAGE_SUGGESTS
    "softhsm2, opensc, openssl, poppler-utils, libnss3-tools, python3, python3-grpcio, \
python3-protobuf, protobuf-compiler, protobuf-compiler-grpc")
# The configuration is the operator's: an upgrade keeps their edits (dpkg conffile).
file(WRITE ${PROJECT_BINARY_DIR}/install/conffiles "${taicho_confdir}/taichod.toml\n")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA "${CMAKE_CURRENT_LIST_DIR}/deb/postinst"
    "${PROJECT_BINARY_DIR}/install/conffiles")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
