# Install and export rules for rqcheck (included by the top-level CMakeLists.txt after every
# add_subdirectory). Consumers use find_package(rqcheck) and link rqcheck::conformance (or
# rqcheck::client, rqcheck::core). The build tree is usable too: -Drqcheck_DIR=<build dir>.
get_property(_rqcheck_install_done GLOBAL PROPERTY RQCHECK_INSTALL_RULES_DONE)
if(_rqcheck_install_done)
  return()
endif()
set_property(GLOBAL PROPERTY RQCHECK_INSTALL_RULES_DONE TRUE)
include(CMakePackageConfigHelpers)

set(_rqcheck_targets rqcheck_core rqcheck_schemas rqcheck_client)
if(TARGET rqcheck_conformance)
  list(APPEND _rqcheck_targets rqcheck_conformance)
endif()
set(RQCHECK_CMAKE_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/rqcheck)

install(TARGETS ${_rqcheck_targets} EXPORT rqcheckTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
foreach(dir core schemas client conformance)
  if(EXISTS ${PROJECT_SOURCE_DIR}/${dir}/include/rqcheck)
    install(DIRECTORY ${PROJECT_SOURCE_DIR}/${dir}/include/rqcheck DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  endif()
endforeach()
foreach(tool rq-fake rq-conformance)
  if(TARGET ${tool})
    install(TARGETS ${tool} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  endif()
endforeach()
install(EXPORT rqcheckTargets NAMESPACE rqcheck:: DESTINATION ${RQCHECK_CMAKE_INSTALL_DIR})

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/rqcheckConfig.cmake.in
  ${PROJECT_BINARY_DIR}/rqcheckConfig.cmake
  INSTALL_DESTINATION ${RQCHECK_CMAKE_INSTALL_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/rqcheckConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/rqcheckConfig.cmake ${PROJECT_BINARY_DIR}/rqcheckConfigVersion.cmake
  ${PROJECT_SOURCE_DIR}/cmake/FindHttplib.cmake ${PROJECT_SOURCE_DIR}/cmake/FindValijson.cmake
  DESTINATION ${RQCHECK_CMAKE_INSTALL_DIR})

# The build tree as a package: rqcheckConfig.cmake + rqcheckTargets.cmake in the build dir.
export(EXPORT rqcheckTargets NAMESPACE rqcheck:: FILE ${PROJECT_BINARY_DIR}/rqcheckTargets.cmake)
file(COPY ${PROJECT_SOURCE_DIR}/cmake/FindHttplib.cmake ${PROJECT_SOURCE_DIR}/cmake/FindValijson.cmake
  DESTINATION ${PROJECT_BINARY_DIR})
