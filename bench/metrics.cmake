# kopiur_bench_metrics: kopiur's metrics hot paths and Prometheus rendering against prometheus-cpp
# (Debian's, the comparison the goals in docs/performance.md are ratios to), in one binary.
add_executable(kopiur_bench_metrics ${CMAKE_CURRENT_LIST_DIR}/metrics_bench.cpp)
target_link_libraries(kopiur_bench_metrics PRIVATE kopiur_metrics kopiur_warnings
                      benchmark::benchmark prometheus-cpp::core Threads::Threads)
