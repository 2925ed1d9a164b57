# kopiur_bench_webhook: admission reviews per second and latency percentiles over HTTPS with
# keep-alive, against an in-process server with the webhook's routes (docs/performance.md).
if(TARGET kopiur_test_support)
  add_executable(kopiur_bench_webhook ${CMAKE_CURRENT_LIST_DIR}/webhook_bench.cpp)
  target_include_directories(kopiur_bench_webhook PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  target_link_libraries(kopiur_bench_webhook PRIVATE kopiur_webhook kopiur_test_support
                        kopiur_httplib kopiur_warnings Threads::Threads)
endif()
