# kopiur_bench_scrape: /metrics over HTTP with 100,000 series against prometheus-cpp's Exposer,
# and one OTLP export of the same series to the in-process test receiver (tests/telemetry/otlp).
if(TARGET kopiur_otlp_testing AND TARGET kopiur_http)
  add_executable(kopiur_bench_scrape ${CMAKE_CURRENT_LIST_DIR}/scrape_bench.cpp)
  target_include_directories(kopiur_bench_scrape PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  target_link_libraries(kopiur_bench_scrape PRIVATE kopiur_metrics kopiur_http kopiur_otlp_testing
                        kopiur_httplib kopiur_warnings benchmark::benchmark prometheus-cpp::pull
                        Threads::Threads)
endif()
