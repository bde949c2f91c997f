# valijson is header-only. Debian's libvalijson-dev drags in Qt and Poco, so scripts/install-deps
# unpacks just its headers into ${RQCHECK_DEPS_DIR}/valijson. A system install is used if present.
find_path(VALIJSON_INCLUDE_DIR valijson/validator.hpp
          HINTS ${RQCHECK_DEPS_DIR}/valijson/usr/include /usr/include)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(Valijson REQUIRED_VARS VALIJSON_INCLUDE_DIR)
if(Valijson_FOUND AND NOT TARGET valijson::valijson)
  add_library(valijson::valijson INTERFACE IMPORTED)
  target_include_directories(valijson::valijson SYSTEM INTERFACE ${VALIJSON_INCLUDE_DIR})
endif()
