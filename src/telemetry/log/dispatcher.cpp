// Dispatcher: filter + layers; the registry that keeps the global gates in step with every live
// dispatcher; the out-of-line halves of the logging macros.
#include "kopiur/telemetry/log/dispatcher.hpp"

#include <algorithm>

#include "kopiur/telemetry/log/log.hpp"

#include "telemetry/log/detail/registry.hpp"
#include "telemetry/log/detail/span_state.hpp"

namespace kopiur::telemetry::log {
namespace detail {
namespace {

thread_local Dispatcher* tl_dispatcher = nullptr;
std::atomic<Dispatcher*> g_installed{nullptr};

Interest interest_of(const Dispatcher& dispatcher, const CallSite& site) {
  const std::shared_ptr<const Filter> filter = dispatcher.filter();
  const std::string_view target =
      site.target() != nullptr ? std::string_view(site.target()) : dispatcher.default_target();
  if (site.level() <= filter->static_level(target)) return Interest::kAlways;
  if (filter->has_span_directives() && site.level() <= filter->span_directive_max()) {
    return Interest::kSometimes;
  }
  return Interest::kNever;
}

}  // namespace

Registry& registry() noexcept {
  static NoDestructor<Registry> instance;
  return *instance.get();
}

void Registry::changed() noexcept {
  Level max = Level::Off;
  for (const Dispatcher* d : live) max = std::max(max, d->filter()->max_level());
  g_max_level.store(static_cast<std::uint8_t>(max), std::memory_order_relaxed);
  g_generation.fetch_add(1, std::memory_order_release);
}

bool install_global(std::shared_ptr<Dispatcher> dispatcher) noexcept {
  Registry& reg = registry();
  std::lock_guard lock(reg.mutex);
  if (reg.installed != nullptr || dispatcher == nullptr) return false;
  g_installed.store(dispatcher.get(), std::memory_order_release);
  reg.installed = std::move(dispatcher);
  return true;
}

Dispatcher* exchange_thread_dispatcher(Dispatcher* dispatcher) noexcept {
  return std::exchange(tl_dispatcher, dispatcher);
}

void dispatch_event(CallSite& site, std::string_view message,
                    std::span<const Field> fields) noexcept {
  Dispatcher* dispatcher = Dispatcher::current();
  if (dispatcher == nullptr) return;
  const std::string_view target =
      site.target() != nullptr ? std::string_view(site.target()) : dispatcher->default_target();
  if (site.interest() != Interest::kAlways && !dispatcher->enabled(target, site.level())) return;
  dispatcher->dispatch(site.level(), target, message, fields);
}

}  // namespace detail

detail::Interest CallSite::refresh() noexcept {
  detail::Registry& reg = detail::registry();
  std::lock_guard lock(reg.mutex);
  const std::uint32_t generation = detail::g_generation.load(std::memory_order_acquire);
  detail::Interest combined = detail::Interest::kNever;
  bool first = true;
  for (const Dispatcher* d : reg.live) {
    const detail::Interest mine = detail::interest_of(*d, *this);
    if (first) {
      combined = mine;
      first = false;
    } else if (mine != combined) {
      combined = detail::Interest::kSometimes;  // dispatchers disagree: ask per event
    }
  }
  state_.store((static_cast<std::uint64_t>(generation) << 8) | static_cast<std::uint64_t>(combined),
               std::memory_order_release);
  return combined;
}

std::shared_ptr<Dispatcher> Dispatcher::create(DispatcherOptions options) {
  auto dispatcher = std::make_shared<Dispatcher>(Key{}, std::move(options));
  detail::Registry& reg = detail::registry();
  std::lock_guard lock(reg.mutex);
  reg.live.push_back(dispatcher.get());
  reg.changed();
  return dispatcher;
}

Dispatcher::Dispatcher(Key /*key*/, DispatcherOptions options)
    : filter_(std::make_shared<const Filter>(std::move(options.filter))),
      layers_(std::move(options.layers)),
      default_target_(std::move(options.default_target)),
      clock_(std::move(options.clock)) {
  layers_.erase(std::remove(layers_.begin(), layers_.end(), nullptr), layers_.end());
}

Dispatcher::~Dispatcher() {
  detail::Registry& reg = detail::registry();
  std::lock_guard lock(reg.mutex);
  reg.live.erase(std::remove(reg.live.begin(), reg.live.end(), this), reg.live.end());
  reg.changed();
}

void Dispatcher::set_filter(Filter filter) {
  filter_.store(std::make_shared<const Filter>(std::move(filter)));
  detail::Registry& reg = detail::registry();
  std::lock_guard lock(reg.mutex);
  reg.changed();
}

std::shared_ptr<const Filter> Dispatcher::filter() const { return filter_.load(); }

bool Dispatcher::enabled(std::string_view target, Level level) const noexcept {
  const std::shared_ptr<const Filter> filter = filter_.load();
  if (filter->has_span_directives() && level <= filter->span_directive_max()) {
    for (const detail::SpanState* s = detail::current_span_state(); s != nullptr;
         s = s->parent.get()) {
      if (s->scope_level && level <= *s->scope_level) return true;
    }
  }
  return level <= filter->static_level(target);
}

void Dispatcher::dispatch(Level level, std::string_view target, std::string_view message,
                          std::span<const Field> fields) noexcept {
  const detail::SpanState* span = detail::current_span_state();
  const Event event{.timestamp = now(),
                    .level = level,
                    .target = target,
                    .message = message,
                    .fields = fields,
                    .span = span != nullptr ? &span->record : nullptr};
  for (const auto& layer : layers_) layer->on_event(event);
}

void Dispatcher::close_span(const SpanRecord& record) noexcept {
  for (const auto& layer : layers_) layer->on_span_close(record);
}

bool Dispatcher::flush(std::chrono::milliseconds timeout) noexcept {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool ok = true;
  for (const auto& layer : layers_) {
    const auto left = std::max(std::chrono::milliseconds(0),
                               std::chrono::duration_cast<std::chrono::milliseconds>(
                                   deadline - std::chrono::steady_clock::now()));
    ok = layer->flush(left) && ok;
  }
  return ok;
}

void Dispatcher::shutdown(std::chrono::milliseconds timeout) noexcept {
  if (shut_down_.exchange(true)) return;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (const auto& layer : layers_) {
    const auto left = std::max(std::chrono::milliseconds(0),
                               std::chrono::duration_cast<std::chrono::milliseconds>(
                                   deadline - std::chrono::steady_clock::now()));
    layer->shutdown(left);
  }
}

Clock::time_point Dispatcher::now() const noexcept {
  if (clock_) {
    try {
      return clock_();
    } catch (...) {
      // A broken test clock must not break logging.
    }
  }
  return Clock::now();
}

Dispatcher* Dispatcher::current() noexcept {
  if (detail::tl_dispatcher != nullptr) return detail::tl_dispatcher;
  return detail::g_installed.load(std::memory_order_acquire);
}

Dispatcher::ScopedDefault::ScopedDefault(std::shared_ptr<Dispatcher> dispatcher) noexcept
    : dispatcher_(std::move(dispatcher)),
      previous_(detail::exchange_thread_dispatcher(dispatcher_.get())) {}

Dispatcher::ScopedDefault::~ScopedDefault() { detail::exchange_thread_dispatcher(previous_); }

std::shared_ptr<Dispatcher> installed_dispatcher() noexcept {
  detail::Registry& reg = detail::registry();
  std::lock_guard lock(reg.mutex);
  return reg.installed;
}

bool set_filter(Filter filter) {
  std::shared_ptr<Dispatcher> installed = installed_dispatcher();
  if (installed == nullptr) return false;
  installed->set_filter(std::move(filter));
  return true;
}

void event(Level level, std::string_view target, std::string_view message,
           std::span<const Field> fields) noexcept {
  if (!detail::level_enabled(level)) return;
  Dispatcher* dispatcher = Dispatcher::current();
  if (dispatcher == nullptr || !dispatcher->enabled(target, level)) return;
  dispatcher->dispatch(level, target, message, fields);
}

bool enabled(Level level, std::string_view target) noexcept {
  if (!detail::level_enabled(level)) return false;
  const Dispatcher* dispatcher = Dispatcher::current();
  return dispatcher != nullptr && dispatcher->enabled(target, level);
}

}  // namespace kopiur::telemetry::log
