# Warnings and sanitizers for project code only: third-party headers come in as SYSTEM includes,
# so -Werror judges nothing but our own sources.
add_library(kopiur_warnings INTERFACE)
target_compile_options(kopiur_warnings INTERFACE -Wall -Wextra -Werror -Wpedantic -Wshadow
                                                 -Wnon-virtual-dtor -Wold-style-cast)
# GCC 12 at -O3 reports -Wrestrict inside libstdc++'s char_traits for plain `"text" + string`
# concatenations (GCC bug 105329): a false positive inside the standard library's own
# code that no source change can avoid everywhere, so that one diagnostic is off for GCC 12.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(kopiur_warnings INTERFACE -Wno-restrict)
endif()

# Unity builds (CMAKE_UNITY_BUILD=ON, what tools/test.sh configures): several sources of a target
# compile as one unit, so headers are parsed once per batch instead of once per file (ASan tree:
# 844 s of compile CPU → 561 s on the targets measured). What that asks of the sources: names at
# file scope (anonymous namespaces, statics, aliases) unique within a target; each file's
# KOPIUR_LOG_TARGET is reset to nullptr after it (kopiur_unity_fixups; a file naming its own
# target #undefs it first, log.hpp); and GCC's -Wsubobject-linkage,
# which treats an included .cpp as a header, is off.
if(CMAKE_UNITY_BUILD)
  target_compile_options(kopiur_warnings INTERFACE -Wno-subobject-linkage)
endif()

# kopiur_unity_fixups(<dir>): every target defined under <dir> resets the per-file log target to
# the default after each source of a unity batch (call once, after all add_subdirectory calls).
function(kopiur_unity_fixups dir)
  get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
  foreach(target ${targets})
    get_target_property(type ${target} TYPE)
    if(NOT type STREQUAL "INTERFACE_LIBRARY" AND NOT type STREQUAL "UTILITY")
      set_property(TARGET ${target} PROPERTY UNITY_BUILD_CODE_AFTER_INCLUDE
                   "#undef KOPIUR_LOG_TARGET\n#define KOPIUR_LOG_TARGET nullptr")
    endif()
  endforeach()
  get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  foreach(subdir ${subdirs})
    kopiur_unity_fixups(${subdir})
  endforeach()
endfunction()

if(KOPIUR_SANITIZE)
  # UBSan without its alignment, null and pointer-overflow checks: those instrument every
  # dereference and pointer step, which ASan instruments already (a null dereference is its SEGV
  # report, with the stack), and at -O0 they were half of the tree's compile time (kopiur_http's
  # unit: 87 s with them, 46 s without; ASan alone, 41 s). The checks that find what ASan cannot
  # stay: signed overflow, shifts, bounds, division, bool/enum loads, unreachable, missing return,
  # float casts, vptr.
  add_compile_options(-fsanitize=address,undefined -fno-sanitize=alignment,null,pointer-overflow
                      -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
if(KOPIUR_TSAN)
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  # GCC 12 warns (-Wtsan) that TSan does not model std::atomic_thread_fence. The one fence pair in
  # project code guards the histogram shards' sequence counter, whose data cells are atomics
  # themselves: TSan checks every access to them, and the concurrency test checks the snapshot
  # logic (each point's _sum equals its _count). The warning would only stop the build.
  target_compile_options(kopiur_warnings INTERFACE -Wno-tsan)
  add_link_options(-fsanitize=thread)
endif()

# kopiur_add_library(<name> SOURCES ... DEPS ...): one static library per concern, public headers
# under include/kopiur/, warnings on.
function(kopiur_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
                                            $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/include>
                                     PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${name} PUBLIC ${ARG_PUBLIC_DEPS} PRIVATE kopiur_warnings ${ARG_PRIVATE_DEPS})
endfunction()

# kopiur_add_test(<name> SOURCES ... DEPS ... [LABELS ...]): a GoogleTest binary, discovered by ctest.
# Labels: `unit` (the default), `integration` (real peers: Prometheus, kubectl, child programs),
# `concurrency` (threads; worth a ThreadSanitizer run). A tree builds and registers only the tests
# with a label in KOPIUR_TEST_LABELS (all by default), so each CI tree builds what it runs: the
# release tree `integration`, the ASan+UBSan tree `unit`, the TSan tree `concurrency`. The target
# `kopiur_tests` builds exactly the registered tests (and what they need, nothing else).
# Tests find the source and build trees through KOPIUR_TEST_SOURCE_DIR / KOPIUR_TEST_BINARY_DIR.
function(kopiur_add_test name)
  cmake_parse_arguments(ARG "SERIAL" "TIMEOUT;COST" "SOURCES;DEPS;LABELS" ${ARGN})
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  # A test outside this tree's labels stays defined (CMake code may refer to it) but is neither
  # built by default nor registered with ctest.
  set(registered OFF)
  foreach(label ${ARG_LABELS})
    if(label IN_LIST KOPIUR_TEST_LABELS)
      set(registered ON)
    endif()
  endforeach()
  if(registered)
    add_executable(${name} ${ARG_SOURCES})
    set_property(GLOBAL APPEND PROPERTY KOPIUR_REGISTERED_TESTS ${name})
  else()
    add_executable(${name} EXCLUDE_FROM_ALL ${ARG_SOURCES})
  endif()
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/tests
                                             ${PROJECT_SOURCE_DIR}/include ${PROJECT_BINARY_DIR}/include)
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} kopiur_warnings GTest::gtest GTest::gmock GTest::gtest_main)
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  # COST: ctest starts costlier tests first; a long test given a high cost overlaps the short ones
  # instead of running alone at the end (a fresh CI tree has no timing data of its own).
  if(NOT ARG_COST)
    set(ARG_COST 0)
  endif()
  if(NOT registered)
    return()
  endif()
  # gtest_discover_tests cannot carry a list-valued property into the generated ctest file, so
  # the labels become one label ("unit-concurrency"; ctest -L takes a regex, so -L unit and
  # -L concurrency both select it) and the directories reach tests as compile definitions
  # (KOPIUR_TEST_SOURCE_DIR, KOPIUR_TEST_BINARY_DIR), so a test binary also runs on its own.
  # Discovery runs when ctest starts (PRE_TEST), not after every link: a build runs no binary.
  list(JOIN ARG_LABELS "-" label)
  target_compile_definitions(${name} PRIVATE KOPIUR_TEST_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
                                             KOPIUR_TEST_BINARY_DIR="${PROJECT_BINARY_DIR}")
  # SERIAL: a test that loads every core (wrk) runs alone, so it neither starves another test
  # nor is starved.
  set(serial FALSE)
  if(ARG_SERIAL)
    set(serial TRUE)
  endif()
  gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST DISCOVERY_TIMEOUT 60
                       PROPERTIES TIMEOUT ${ARG_TIMEOUT} LABELS ${label} COST ${ARG_COST}
                                  RUN_SERIAL ${serial})
endfunction()

# ccache, when the machine has it, makes the second build (sanitizers, CI re-runs) cheap.
find_program(KOPIUR_CCACHE ccache)
if(KOPIUR_CCACHE)
  set(CMAKE_CXX_COMPILER_LAUNCHER ${KOPIUR_CCACHE})
endif()
