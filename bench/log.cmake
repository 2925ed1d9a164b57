# kopiur_bench_log: logging costs against spdlog (Debian's libspdlog-dev), same binary, same run.
add_executable(kopiur_bench_log ${CMAKE_CURRENT_LIST_DIR}/log_bench.cpp)
target_link_libraries(kopiur_bench_log PRIVATE kopiur_log kopiur_warnings benchmark::benchmark
                                               spdlog::spdlog)
