# kopiur_bench_otlp: what OTLP export costs the recording and logging threads, against OTLP off,
# with the collector dead (the exporter stuck in connection failures and retries) and alive.
if(TARGET kopiur_otlp AND TARGET kopiur_log AND TARGET kopiur_metrics)
  add_executable(kopiur_bench_otlp ${CMAKE_CURRENT_LIST_DIR}/otlp_bench.cpp)
  target_link_libraries(kopiur_bench_otlp PRIVATE kopiur_otlp kopiur_otlp_proto kopiur_log
                                                  kopiur_metrics kopiur_warnings
                                                  benchmark::benchmark)
endif()
