# Every dependency is a Debian bookworm package (tools/setup-deps.sh installs them); nothing is
# downloaded at build time.
find_package(Threads REQUIRED)
find_package(fmt REQUIRED)
find_package(nlohmann_json 3.11 REQUIRED)
# nlohmann::json's members, compiled once (include/kopiur/support/json.hpp says why). Every
# target that links nlohmann_json links this too. It compiles with the system headers only, so
# the link back to the imported target cannot form a cycle.
add_library(kopiur_json STATIC ${PROJECT_SOURCE_DIR}/src/support/json.cpp)
target_include_directories(kopiur_json SYSTEM PRIVATE
                           $<TARGET_PROPERTY:nlohmann_json::nlohmann_json,INTERFACE_INCLUDE_DIRECTORIES>)
# Targets outside kopiur_add_library (the kopia stand-in, the fuzzer) find the header through it.
target_include_directories(kopiur_json INTERFACE ${PROJECT_SOURCE_DIR}/include)
set_property(TARGET nlohmann_json::nlohmann_json APPEND PROPERTY INTERFACE_LINK_LIBRARIES kopiur_json)
find_package(OpenSSL REQUIRED)
find_package(ZLIB REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(Protobuf REQUIRED)
find_package(gRPC CONFIG REQUIRED)
find_package(PkgConfig REQUIRED)
# Boost.Asio and Boost.Beast (Debian's libboost-dev, header-only) carry kopiur_http's event loop.
find_package(Boost 1.74 REQUIRED)
find_package(date CONFIG REQUIRED)  # date::date-tz: IANA time zones (schedules)
add_library(kopiur_beast INTERFACE)
target_link_libraries(kopiur_beast INTERFACE Boost::headers OpenSSL::SSL OpenSSL::Crypto Threads::Threads)
target_compile_definitions(kopiur_beast INTERFACE BOOST_ASIO_NO_DEPRECATED BOOST_BEAST_USE_STD_STRING_VIEW)
# Asio's handler invocation wraps mutex-synchronised code in std::atomic_thread_fence, which GCC
# flags under ThreadSanitizer (-Wtsan); the mutexes are what TSan sees, so the warning is noise.
if(KOPIUR_TSAN AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  target_compile_options(kopiur_beast INTERFACE -Wno-tsan)
endif()

# cpp-httplib ships no CMake config. Debian builds it as a shared library (libcpp-httplib.so, with
# OpenSSL and zlib); the header alone only declares the classes.
find_path(HTTPLIB_INCLUDE_DIR httplib.h REQUIRED)
find_library(HTTPLIB_LIBRARY NAMES cpp-httplib REQUIRED)
add_library(kopiur_httplib INTERFACE)
target_include_directories(kopiur_httplib SYSTEM INTERFACE ${HTTPLIB_INCLUDE_DIR})
target_compile_definitions(kopiur_httplib INTERFACE CPPHTTPLIB_OPENSSL_SUPPORT CPPHTTPLIB_ZLIB_SUPPORT)
target_link_libraries(kopiur_httplib INTERFACE ${HTTPLIB_LIBRARY} OpenSSL::SSL OpenSSL::Crypto ZLIB::ZLIB
                                               Threads::Threads)

if(KOPIUR_BUILD_TESTS)
  find_package(GTest REQUIRED)
  include(GoogleTest)
endif()
if(KOPIUR_BUILD_BENCH)
  find_package(benchmark REQUIRED)
  find_package(prometheus-cpp CONFIG REQUIRED)
  find_package(spdlog REQUIRED)
endif()
