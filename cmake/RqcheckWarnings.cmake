# rqcheck_target_defaults(<target>): warnings, language level and sanitizers for one target.
function(rqcheck_target_defaults target)
  target_compile_features(${target} PUBLIC cxx_std_17)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wno-missing-field-initializers)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    # GCC 12 at -O3 flags `"literal" + std::string` with a bogus -Wrestrict (GCC bug 105329).
    target_compile_options(${target} PRIVATE -Wno-restrict)
  endif()
  if(RQCHECK_SANITIZE STREQUAL "address")
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
    target_link_options(${target} PUBLIC -fsanitize=address,undefined)
  elseif(RQCHECK_SANITIZE STREQUAL "thread")
    target_compile_options(${target} PRIVATE -fsanitize=thread -fno-omit-frame-pointer)
    target_link_options(${target} PUBLIC -fsanitize=thread)
  elseif(NOT RQCHECK_SANITIZE STREQUAL "")
    message(FATAL_ERROR "RQCHECK_SANITIZE must be '', 'address' or 'thread', not '${RQCHECK_SANITIZE}'")
  endif()
endfunction()

# rqcheck_add_test(<name> SOURCES ... LIBS ...): one GoogleTest binary, its tests discovered for ctest.
function(rqcheck_add_test name)
  cmake_parse_arguments(T "" "TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  rqcheck_target_defaults(${name})
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 120)
  endif()
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT ${T_TIMEOUT} LABELS "${T_LABELS}")
endfunction()

# rqcheck_fast_malloc(<target>): links a tool with tcmalloc_minimal when it is installed (Debian's
# libtcmalloc-minimal4). The fake allocates per call (headers, journal entries, JSON), and glibc's
# malloc spends a fifth of its CPU in malloc_consolidate and arena locks under 16+ connections;
# tcmalloc's thread caches give 25-45% more calls/s (see README, Performance). Sanitizer builds
# keep their own allocator; RQCHECK_TCMALLOC=OFF turns it off.
set(RQCHECK_CMAKE_DIR ${CMAKE_CURRENT_LIST_DIR})
# With tcmalloc's headers as well (libgoogle-perftools-dev), the heap's growth comes pre-faulted
# (prefault_sysalloc.cc: a page fault costs ~13 us on the CI machines, populating ~1.4 us/page).
set(RQCHECK_PREFAULT_SYSALLOC OFF)
if(RQCHECK_TCMALLOC AND RQCHECK_SANITIZE STREQUAL "")
  find_library(RQCHECK_TCMALLOC_LIBRARY NAMES tcmalloc_minimal libtcmalloc_minimal.so.4)
  find_path(RQCHECK_GPERFTOOLS_INCLUDE gperftools/malloc_extension.h)
  if(RQCHECK_TCMALLOC_LIBRARY AND RQCHECK_GPERFTOOLS_INCLUDE)
    set(RQCHECK_PREFAULT_SYSALLOC ON)
  elseif(RQCHECK_TCMALLOC_LIBRARY)
    message(WARNING "rqcheck: tcmalloc without its headers (libgoogle-perftools-dev): the heap's "
                    "growth is not pre-faulted; scripts/install-deps installs them")
  endif()
endif()
function(rqcheck_fast_malloc target)
  if(NOT RQCHECK_TCMALLOC OR NOT RQCHECK_SANITIZE STREQUAL "" OR NOT RQCHECK_TCMALLOC_LIBRARY)
    return()
  endif()
  # Nothing references tcmalloc by name: keep the linker from dropping it as unneeded.
  target_link_libraries(${target} PRIVATE "-Wl,--push-state,--no-as-needed" ${RQCHECK_TCMALLOC_LIBRARY} "-Wl,--pop-state")
  if(RQCHECK_PREFAULT_SYSALLOC)
    target_sources(${target} PRIVATE ${RQCHECK_CMAKE_DIR}/prefault_sysalloc.cc)
  endif()
endfunction()
