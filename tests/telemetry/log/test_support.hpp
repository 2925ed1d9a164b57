// Test helpers: an isolated logger writing to a capture sink with a fixed clock.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "kopiur/telemetry/log/dispatcher.hpp"
#include "kopiur/telemetry/log/fmt_layer.hpp"
#include "kopiur/telemetry/log/sink.hpp"

namespace kopiur::telemetry::log::testing {

// 2026-01-02T03:04:05.000006Z
inline Clock::time_point fixed_time() {
  using namespace std::chrono;
  return Clock::time_point(sys_days(year(2026) / 1 / 2).time_since_epoch() + hours(3) + minutes(4) +
                           seconds(5) + microseconds(6));
}

struct CaptureLogger {
  std::shared_ptr<CaptureSink> sink = std::make_shared<CaptureSink>();
  std::shared_ptr<Dispatcher> dispatcher;

  explicit CaptureLogger(std::string_view filter = "trace", FmtOptions options = {},
                         std::string default_target = "kopiur_test") {
    DispatcherOptions opts;
    opts.filter = Filter::parse(filter).filter;
    opts.layers.push_back(make_fmt_layer(sink, options));
    opts.default_target = std::move(default_target);
    opts.clock = fixed_time;
    dispatcher = Dispatcher::create(std::move(opts));
  }
};

}  // namespace kopiur::telemetry::log::testing
