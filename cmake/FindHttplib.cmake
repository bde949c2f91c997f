# Debian's cpp-httplib 0.11.4 is a compiled library found through pkg-config only.
# Defines the imported target httplib::httplib. Link it PRIVATE: no public rqcheck header includes it.
find_package(PkgConfig REQUIRED)
pkg_check_modules(RQCHECK_HTTPLIB QUIET IMPORTED_TARGET cpp-httplib)
if(RQCHECK_HTTPLIB_FOUND AND NOT TARGET httplib::httplib)
  add_library(httplib::httplib INTERFACE IMPORTED)
  target_link_libraries(httplib::httplib INTERFACE PkgConfig::RQCHECK_HTTPLIB)
endif()
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(Httplib REQUIRED_VARS RQCHECK_HTTPLIB_FOUND VERSION_VAR RQCHECK_HTTPLIB_VERSION)
