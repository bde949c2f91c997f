# A Debian package of the install (scripts/package; cpack -G DEB in the build dir): the tools,
# the static libraries, headers, CMake package files, schemas and docs, under /usr. The runtime
# dependencies of the tools come from dpkg-shlibdeps; building against the libraries needs the
# -dev packages listed as Recommends.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME rqcheck)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "rqcheck")
set(CPACK_PACKAGE_CONTACT "rqcheck maintainers <rqcheck@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "Fake server, conformance suite and property tests for the Apify request-queue API")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES TRUE)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS
    "cmake, g++, pkg-config, nlohmann-json3-dev, libcpp-httplib-dev, libssl-dev, zlib1g-dev, libbrotli-dev")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "curl")
set(CPACK_OUTPUT_FILE_PREFIX packages)
include(CPack)

if(RQCHECK_BUILD_TESTS AND TARGET rq-fake AND TARGET rq-conformance AND TARGET rq-properties)
  # The package from this build tree, unpacked with dpkg -x, runs its three tools.
  add_test(NAME Packaging.DebUnpackedRunsTheTools
    COMMAND ${CMAKE_CURRENT_LIST_DIR}/package_test.sh ${CMAKE_CPACK_COMMAND} ${PROJECT_BINARY_DIR})
  set_tests_properties(Packaging.DebUnpackedRunsTheTools PROPERTIES TIMEOUT 300)
endif()
