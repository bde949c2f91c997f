# Install and export rules for rqcheck (included by the top-level CMakeLists.txt after every
# add_subdirectory). Consumers use find_package(rqcheck) and link rqcheck::conformance (or
# rqcheck::client, rqcheck::core) and, to embed the fake in a test, rqcheck::fake_server.
#
# The installed prefix is relocatable: rqcheckConfig.cmake finds everything relative to itself
# and only the Debian packages the static libraries need at link time (no build-tree path, no
# header-only private dependency such as valijson). The build tree works as a package too
# (-Drqcheck_DIR=<build dir>). cmake/RqcheckPackaging.cmake turns the install into a .deb.
get_property(_rqcheck_install_done GLOBAL PROPERTY RQCHECK_INSTALL_RULES_DONE)
if(_rqcheck_install_done)
  return()
endif()
set_property(GLOBAL PROPERTY RQCHECK_INSTALL_RULES_DONE TRUE)
include(CMakePackageConfigHelpers)

set(_rqcheck_targets rqcheck_core rqcheck_schemas rqcheck_client rqcheck_fake_server)
if(TARGET rqcheck_conformance)
  list(APPEND _rqcheck_targets rqcheck_conformance)
endif()
set(RQCHECK_CMAKE_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/rqcheck)

install(TARGETS ${_rqcheck_targets} EXPORT rqcheckTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
# Public headers: each library's whole include/ directory, so headers added later are installed.
foreach(dir core schemas client conformance fake_server)
  if(EXISTS ${PROJECT_SOURCE_DIR}/${dir}/include/rqcheck)
    install(DIRECTORY ${PROJECT_SOURCE_DIR}/${dir}/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  endif()
endforeach()
foreach(tool rq-fake rq-conformance rq-properties)
  if(TARGET ${tool})
    install(TARGETS ${tool} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  endif()
endforeach()
# The schemas (also embedded in the libraries: a linked binary needs no data path) and the docs
# of the checks and faults, for users of the package.
file(GLOB _rqcheck_schema_files ${PROJECT_SOURCE_DIR}/schemas/*.schema.json)
install(FILES ${_rqcheck_schema_files} ${PROJECT_SOURCE_DIR}/schemas/LEDGER.md
  DESTINATION ${CMAKE_INSTALL_DATADIR}/rqcheck/schemas)
foreach(doc checks.md faults.md contract.md)
  if(EXISTS ${PROJECT_SOURCE_DIR}/docs/${doc})
    install(FILES ${PROJECT_SOURCE_DIR}/docs/${doc} DESTINATION ${CMAKE_INSTALL_DOCDIR})
  endif()
endforeach()
install(EXPORT rqcheckTargets NAMESPACE rqcheck:: DESTINATION ${RQCHECK_CMAKE_INSTALL_DIR})

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/rqcheckConfig.cmake.in
  ${PROJECT_BINARY_DIR}/rqcheckConfig.cmake
  INSTALL_DESTINATION ${RQCHECK_CMAKE_INSTALL_DIR}
  PATH_VARS CMAKE_INSTALL_DATADIR)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/rqcheckConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/rqcheckConfig.cmake ${PROJECT_BINARY_DIR}/rqcheckConfigVersion.cmake
  ${PROJECT_SOURCE_DIR}/cmake/FindHttplib.cmake
  DESTINATION ${RQCHECK_CMAKE_INSTALL_DIR})

# The build tree as a package: rqcheckConfig.cmake + rqcheckTargets.cmake in the build dir.
export(EXPORT rqcheckTargets NAMESPACE rqcheck:: FILE ${PROJECT_BINARY_DIR}/rqcheckTargets.cmake)
file(COPY ${PROJECT_SOURCE_DIR}/cmake/FindHttplib.cmake DESTINATION ${PROJECT_BINARY_DIR})

include(RqcheckPackaging)
