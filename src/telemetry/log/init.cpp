// init_tracing(): assemble the logger from the environment, install it once, announce it.
#include "kopiur/telemetry/log/init.hpp"

#include <charconv>
#include <cstdio>
#include <cstdlib>

#include <fcntl.h>
#include <unistd.h>

#include "kopiur/telemetry/env.hpp"
#include "kopiur/telemetry/log/fields.hpp"
#include "kopiur/telemetry/log/log.hpp"

#include "telemetry/log/detail/text.hpp"

namespace kopiur::telemetry::log {
namespace {

constexpr std::string_view kTelemetryTarget = "kopiur_telemetry";

std::string default_target_for(std::string_view service_name) {
  std::string target(service_name.empty() ? std::string_view("kopiur") : service_name);
  for (char& c : target) {
    if (c == '-') c = '_';
  }
  return target;
}

void default_fatal(std::string_view reason) {
  std::fprintf(stderr, "kopiur: cannot install the logger: %.*s\n", static_cast<int>(reason.size()),
               reason.data());
  std::fflush(stderr);
  std::exit(EXIT_FAILURE);
}

// Messages about the configuration itself bypass the filter: `RUST_LOG=error,kopia=verbose`
// must not hide the warning about `kopia=verbose` (tracing-subscriber prints its directive
// warnings to stderr whatever the filter; kopiur writes them to the log, in its format).
void log_pending(Dispatcher& dispatcher, const std::vector<std::pair<Level, std::string>>& pending,
                 std::size_t from) {
  for (std::size_t i = from; i < pending.size(); ++i) {
    const auto& [level, message] = pending[i];
    dispatcher.dispatch(level, kTelemetryTarget, message, {});
  }
}

}  // namespace

LoggerSetup build_logger(const TracingConfig& config) {
  const EnvLookup env = config.env ? config.env : process_env();
  LoggerSetup setup;

  FilterParse filter = Filter::parse(env(env::kRustLog).value_or(""));
  const LogFormatParse format = parse_log_format(env(env::kLogFormat).value_or(""));
  const bool tty = config.is_tty.value_or(::isatty(config.output_fd) == 1);
  // NO_COLOR: any non-empty value disables colour (no-color.org).
  const bool no_color = !env(env::kNoColor).value_or("").empty();
  setup.format = format.format;
  setup.ansi = format.format == LogFormat::kText && tty && !no_color;
  setup.filter = filter.filter.to_string();
  setup.shutdown_timeout = config.shutdown_timeout;
  if (auto raw = env(env::kShutdownTimeout); raw && !detail::trim(*raw).empty()) {
    const std::string_view text = detail::trim(*raw);
    long long ms = -1;
    auto res = std::from_chars(text.data(), text.data() + text.size(), ms);
    if (res.ec == std::errc() && res.ptr == text.data() + text.size() && ms >= 0) {
      setup.shutdown_timeout = std::chrono::milliseconds(ms);
    } else {
      setup.pending.emplace_back(Level::Warn,
                                 "ignoring " + std::string(env::kShutdownTimeout) + "=\"" +
                                     std::string(text) +
                                     "\": expected milliseconds as a whole number; using " +
                                     std::to_string(config.shutdown_timeout.count()));
    }
  }

  std::shared_ptr<Sink> sink = config.sink;
  if (sink == nullptr) sink = std::make_shared<FdSink>(config.output_fd);
  DispatcherOptions options;
  options.filter = std::move(filter.filter);
  options.layers.push_back(
      make_fmt_layer(std::move(sink), {.format = setup.format, .ansi = setup.ansi}));
  for (const auto& layer : config.extra_layers) {
    if (layer != nullptr) options.layers.push_back(layer);
  }
  options.default_target = config.default_target.empty() ? default_target_for(config.service_name)
                                                         : config.default_target;
  options.clock = config.clock;
  setup.dispatcher = Dispatcher::create(std::move(options));

  if (format.warning) setup.pending.emplace_back(Level::Warn, *format.warning);
  for (auto& warning : filter.warnings) setup.pending.emplace_back(Level::Warn, std::move(warning));
  for (const auto& warning : config.deferred_warnings)
    setup.pending.emplace_back(Level::Warn, warning);
  for (const auto& error : config.deferred_errors) setup.pending.emplace_back(Level::Error, error);
  return setup;
}

void LoggerSetup::emit_pending(std::string_view service_name, std::string_view otlp_summary) {
  if (dispatcher == nullptr || announced) return;
  announced = true;
  const std::string_view otlp = otlp_summary.empty() ? std::string_view("off") : otlp_summary;
  if (dispatcher->enabled(kTelemetryTarget, Level::Info)) {
    const std::array<Field, 5> fields{kv("service", service_name), kv("filter", filter),
                                      kv("format", to_string(format)), kv("ansi", ansi),
                                      kv("otlp", otlp)};
    dispatcher->dispatch(Level::Info, kTelemetryTarget, "telemetry configured", fields);
  }
  log_pending(*dispatcher, pending, 0);
  pending.clear();
}

TracingGuard::~TracingGuard() {
  if (dispatcher_ != nullptr) dispatcher_->shutdown(timeout_);
}

TracingGuard& TracingGuard::operator=(TracingGuard&& other) noexcept {
  if (this != &other) {
    if (dispatcher_ != nullptr) dispatcher_->shutdown(timeout_);
    dispatcher_ = std::move(other.dispatcher_);
    timeout_ = other.timeout_;
  }
  return *this;
}

bool TracingGuard::flush() noexcept {
  return dispatcher_ == nullptr || dispatcher_->flush(timeout_);
}

TracingGuard init_tracing(TracingConfig config) {
  const auto fatal =
      config.on_fatal ? config.on_fatal : std::function<void(std::string_view)>(default_fatal);
  if (std::shared_ptr<Dispatcher> existing = installed_dispatcher()) {
    // Second call: a no-op, except that its deferred messages still reach the log.
    std::vector<std::pair<Level, std::string>> pending;
    for (auto& w : config.deferred_warnings) pending.emplace_back(Level::Warn, std::move(w));
    for (auto& e : config.deferred_errors) pending.emplace_back(Level::Error, std::move(e));
    log_pending(*existing, pending, 0);
    return {};
  }
  LoggerSetup setup;
  try {
    // Writing to a closed stdout would lose every line: refuse to run blind.
    if (config.sink == nullptr && ::fcntl(config.output_fd, F_GETFD) == -1) {
      fatal("file descriptor " + std::to_string(config.output_fd) + " (stdout) is not open");
      return {};
    }
    setup = build_logger(config);
  } catch (const std::exception& e) {
    fatal(e.what());
    return {};
  } catch (...) {
    fatal("unknown error");
    return {};
  }
  if (!detail::install_global(setup.dispatcher)) {
    // Another thread won the race: behave like a second call.
    return {};
  }
  setup.emit_pending(config.service_name, config.otlp_summary);
  return TracingGuard(setup.dispatcher, setup.shutdown_timeout);
}

}  // namespace kopiur::telemetry::log
