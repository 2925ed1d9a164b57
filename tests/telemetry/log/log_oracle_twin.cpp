// The C++ twin of tools/rust-log-oracle: for each line of the table file named by argv[1] (one
// RUST_LOG value per line, verbatim), prints `#row <n>` and the JSON line of every event of the
// same fixed scenario that kopiur_log's filter lets through. The two scenarios must stay
// identical (targets, levels, span names, fields, nesting, order); differential_test.cpp
// compares their output.
#include <cstdint>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include "kopiur/telemetry/log/dispatcher.hpp"
#include "kopiur/telemetry/log/fields.hpp"
#include "kopiur/telemetry/log/filter.hpp"
#include "kopiur/telemetry/log/fmt_layer.hpp"
#include "kopiur/telemetry/log/log.hpp"
#include "kopiur/telemetry/log/sink.hpp"
#include "kopiur/telemetry/log/span.hpp"

namespace log = kopiur::telemetry::log;

namespace {

// Five events, one per level, on one target; the message names where, target and level.
#define KOPIUR_TWIN_ONE(level, name, target, place)                                     \
  KOPIUR_EVENT(log::Level::level, target, std::string(place) + "." + target + "." name, \
               log::kv("bytes", std::uint64_t{42}))
#define KOPIUR_TWIN_FIVE(target, place)             \
  do {                                              \
    KOPIUR_TWIN_ONE(Error, "error", target, place); \
    KOPIUR_TWIN_ONE(Warn, "warn", target, place);   \
    KOPIUR_TWIN_ONE(Info, "info", target, place);   \
    KOPIUR_TWIN_ONE(Debug, "debug", target, place); \
    KOPIUR_TWIN_ONE(Trace, "trace", target, place); \
  } while (false)

void scenario() {
  KOPIUR_TWIN_FIVE("kopiur_controller", "top");
  KOPIUR_TWIN_FIVE("kopiur_controller::backup", "top");
  KOPIUR_TWIN_FIVE("kopia", "top");
  KOPIUR_TWIN_FIVE("kopiur_mover", "top");
  KOPIUR_TWIN_FIVE("ünï::cödé", "top");
  KOPIUR_TWIN_FIVE("trace", "top");
  KOPIUR_TWIN_FIVE("other::module", "top");
  {
    const log::Span outer =
        KOPIUR_SPAN(log::Level::Info, "kube_runtime::controller", "reconciling object",
                    log::kv("object.ref", "Backup.v1.kopiur.io/nightly.apps"),
                    log::kv("object.reason", "object updated"));
    const log::SpanGuard in_outer = outer.enter();
    KOPIUR_TWIN_FIVE("kube_runtime::controller", "outer");
    {
      const log::Span backup =
          KOPIUR_SPAN(log::Level::Info, "kopiur_controller::backup", "reconcile",
                      log::kv("kind", "Backup"), log::kv("namespace", "apps"),
                      log::kv("name", "nightly"), log::kv("attempt", std::uint64_t{3}));
      const log::SpanGuard in_backup = backup.enter();
      KOPIUR_TWIN_FIVE("kopiur_controller::backup", "backup");
      KOPIUR_TWIN_FIVE("kopia", "backup");
      const log::Span step = KOPIUR_SPAN(log::Level::Debug, "kopiur_controller::backup", "step",
                                         log::kv("phase", "prune"));
      const log::SpanGuard in_step = step.enter();
      KOPIUR_TWIN_FIVE("kopiur_controller::backup", "step");
    }
    {
      const log::Span restore = KOPIUR_SPAN(
          log::Level::Info, "kopiur_controller::restore", "reconcile", log::kv("kind", "Restore"),
          log::kv("namespace", "apps"), log::kv("name", "x"), log::kv("attempt", std::uint64_t{1}));
      const log::SpanGuard in_restore = restore.enter();
      KOPIUR_TWIN_FIVE("kopiur_controller::restore", "restore");
      KOPIUR_TWIN_FIVE("kopia", "restore");
    }
  }
  const log::Span mover = KOPIUR_SPAN(log::Level::Warn, "kopiur_mover", "mover",
                                      log::kv("op", "backup"), log::kv("dry", false));
  const log::SpanGuard in_mover = mover.enter();
  KOPIUR_TWIN_FIVE("kopiur_mover", "mover");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: kopiur_log_oracle_twin TABLE_FILE\n";
    return 2;
  }
  std::ifstream table(argv[1]);
  if (!table) {
    std::cerr << "cannot open " << argv[1] << "\n";
    return 2;
  }
  std::string spec;
  for (int row = 0; std::getline(table, spec); ++row) {
    std::cout << "#row " << row << "\n";
    auto sink = std::make_shared<log::CaptureSink>();
    log::FilterParse parsed = log::Filter::parse(spec);
    for (const std::string& warning : parsed.warnings) std::cerr << warning << "\n";
    log::DispatcherOptions options;
    options.filter = std::move(parsed.filter);
    options.layers.push_back(log::make_fmt_layer(sink, {.format = log::LogFormat::kJson}));
    {
      const auto dispatcher = log::Dispatcher::create(std::move(options));
      const log::Dispatcher::ScopedDefault use(dispatcher);
      scenario();
    }
    for (const std::string& line : sink->lines()) std::cout << line << "\n";
  }
  return std::cout.good() ? 0 : 1;
}
