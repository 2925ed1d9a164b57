// Spans: creation (filter, ids, parent), entry (thread-local current span) and close.
#include "kopiur/telemetry/log/span.hpp"

#include <algorithm>
#include <cstdio>
#include <utility>
#include <variant>
#include <vector>

#include "kopiur/telemetry/context.hpp"

#include "telemetry/log/detail/span_state.hpp"

namespace kopiur::telemetry::log {
namespace detail {
namespace {

thread_local SpanState* tl_current_span = nullptr;

// The spans entered on this thread, innermost last. Each entry owns its span, so the current span
// (tl_current_span, the last entry's, read raw on the hot paths) never dangles, whatever order
// guards end in.
struct Entry {
  std::uint64_t number;
  std::shared_ptr<SpanState> span;
  Dispatcher* previous_dispatcher;
};
struct EnteredSpans {
  std::vector<Entry> entries;
  std::uint64_t next_number = 1;
};
thread_local EnteredSpans tl_entered;

void note_misplaced(const SpanState& span, const char* how) noexcept {
  if (span.dispatcher != nullptr) span.dispatcher->note_misplaced_span_guard();
#ifndef NDEBUG
  std::fprintf(stderr, "kopiur: SpanGuard of span \"%s\" destroyed %s (see span.hpp)\n",
               span.record.name.c_str(), how);
#else
  (void)how;
#endif
}

OwnedField to_owned(const Field& field) {
  OwnedField owned;
  owned.name = std::string(field.name);
  std::visit(
      [&](const auto& value) {
        using T = std::decay_t<decltype(value)>;
        if constexpr (std::is_same_v<T, std::string_view>) {
          owned.value = std::string(value);
        } else if constexpr (std::is_same_v<T, ErrorValue>) {
          owned.value = std::string(value.message);
          owned.is_error = true;
        } else {
          owned.value = value;
        }
      },
      field.value);
  return owned;
}

}  // namespace

SpanState* current_span_state() noexcept { return tl_current_span; }

SpanState* exchange_current_span_state(SpanState* state) noexcept {
  return std::exchange(tl_current_span, state);
}

SpanState::~SpanState() {
  if (dispatcher == nullptr) return;
  record.end = dispatcher->now();
  {
    std::lock_guard lock(error_mutex);
    record.error = error;
    record.error_message = std::move(error_message);
  }
  dispatcher->close_span(record);
}

}  // namespace detail

Span Span::make(const SpanContext* remote_parent, Level level, const char* target,
                std::string_view name, std::initializer_list<Field> fields) noexcept {
  Dispatcher* dispatcher = Dispatcher::current();
  if (dispatcher == nullptr || level == Level::Off) return {};
  try {
    const std::string_view span_target =
        target != nullptr ? std::string_view(target) : dispatcher->default_target();
    std::vector<OwnedField> owned;
    owned.reserve(fields.size());
    for (const Field& field : fields) owned.push_back(detail::to_owned(field));
    const std::shared_ptr<const Filter> filter = dispatcher->filter();
    std::optional<Level> scope;
    if (filter->has_span_directives()) scope = filter->span_scope_level(span_target, name, owned);
    // As tracing: a span some span directive is about is created up to the filter's overall
    // level hint; other spans follow the target directives (and enclosing span scopes).
    const bool wanted = scope && level <= filter->span_enable_max();
    if (!wanted && !dispatcher->enabled(span_target, level)) return {};

    auto state = std::make_shared<detail::SpanState>();
    SpanRecord& record = state->record;
    record.name = std::string(name);
    record.target = std::string(span_target);
    record.level = level;
    record.fields = std::move(owned);
    record.start = dispatcher->now();
    record.context.span_id = new_span_id();
    state->scope_level = scope;
    detail::SpanState* parent = detail::current_span_state();
    if (remote_parent != nullptr && remote_parent->valid()) {
      record.context.trace_id = remote_parent->trace_id;
      record.context.trace_flags = remote_parent->trace_flags;
      record.context.trace_state = remote_parent->trace_state;
      record.parent_span_id = remote_parent->span_id;
    } else if (parent != nullptr) {
      record.context.trace_id = parent->record.context.trace_id;
      record.context.trace_flags = parent->record.context.trace_flags;
      record.context.trace_state = parent->record.context.trace_state;
      record.parent_span_id = parent->record.context.span_id;
      state->parent = parent->shared_from_this();
      record.parent = &parent->record;
    } else {
      record.context.trace_id = new_trace_id();
    }
    // Last: a dispatcher on the state means "opened", so only a complete span is closed.
    state->dispatcher = dispatcher->shared_from_this();
    return Span(std::move(state));
  } catch (...) {
    return {};
  }
}

Span Span::create(Level level, const char* target, std::string_view name,
                  std::initializer_list<Field> fields) noexcept {
  return make(nullptr, level, target, name, fields);
}

Span Span::create_child_of(const SpanContext& remote_parent, Level level, const char* target,
                           std::string_view name, std::initializer_list<Field> fields) noexcept {
  return make(&remote_parent, level, target, name, fields);
}

Span Span::current() noexcept {
  detail::SpanState* state = detail::current_span_state();
  if (state == nullptr) return {};
  return Span(state->shared_from_this());
}

SpanGuard Span::enter() const noexcept {
  SpanGuard guard;
  if (state_ == nullptr) return guard;
  detail::EnteredSpans& entered = detail::tl_entered;
  const std::uint64_t number = entered.next_number++;
  try {
    entered.entries.push_back({number, state_, nullptr});
  } catch (...) {
    return guard;  // out of memory: the span is not entered (events just lack it)
  }
  entered.entries.back().previous_dispatcher =
      detail::exchange_thread_dispatcher(state_->dispatcher.get());
  detail::exchange_current_span_state(state_.get());
  guard.state_ = state_;
  guard.entry_ = number;
  guard.thread_ = &entered;
  return guard;
}

void Span::record_error(std::string_view message) const noexcept {
  if (state_ == nullptr) return;
  try {
    std::lock_guard lock(state_->error_mutex);
    state_->error = true;
    state_->error_message = std::string(message);
  } catch (...) {
    state_->error = true;  // keep the failure even if the message cannot be stored
  }
}

SpanContext Span::context() const noexcept {
  if (state_ == nullptr) return {};
  try {
    return state_->record.context;
  } catch (...) {
    return {};
  }
}

const SpanRecord* Span::record() const noexcept {
  return state_ != nullptr ? &state_->record : nullptr;
}

SpanGuard::SpanGuard(SpanGuard&& other) noexcept
    : state_(std::move(other.state_)), entry_(other.entry_), thread_(other.thread_) {
  other.state_ = nullptr;
}

SpanGuard::~SpanGuard() {
  if (state_ == nullptr) return;
  detail::EnteredSpans& entered = detail::tl_entered;
  if (thread_ != &entered) {
    // Another thread's entries are not ours to touch; that thread keeps the span alive.
    detail::note_misplaced(*state_, "on another thread");
    return;
  }
  auto& entries = entered.entries;
  auto it = std::find_if(entries.begin(), entries.end(),
                         [&](const detail::Entry& e) { return e.number == entry_; });
  if (it == entries.end()) return;  // already ended with an outer guard that ended early
  if (std::next(it) != entries.end()) detail::note_misplaced(*state_, "out of order");
  // This entry and any entered after it end: the thread returns to what preceded this entry.
  // Each span is released after the thread stops pointing at it (releasing may close it).
  detail::exchange_thread_dispatcher(it->previous_dispatcher);
  const auto keep = static_cast<std::size_t>(it - entries.begin());
  while (entries.size() > keep) {
    std::shared_ptr<detail::SpanState> ended = std::move(entries.back().span);
    entries.pop_back();
    detail::exchange_current_span_state(entries.empty() ? nullptr : entries.back().span.get());
  }
}

}  // namespace kopiur::telemetry::log

namespace kopiur::telemetry {
namespace {

// Out of line so that current_span_ids() stays a leaf: no frame is set up outside a span.
[[gnu::noinline]] bool copy_span_ids(const SpanContext& context, TraceId& trace_id,
                                     SpanId& span_id) noexcept {
  if (!context.valid()) return false;
  trace_id = context.trace_id;
  span_id = context.span_id;
  return true;
}

}  // namespace

const SpanContext* entered_span_context() noexcept {
  const log::detail::SpanState* state = log::detail::tl_current_span;
  return state == nullptr ? nullptr : &state->record.context;
}

// Lives next to the thread-local it reads: outside a span it is one thread-local load and a
// compare behind the call (every histogram record pays it).
bool current_span_ids(TraceId& trace_id, SpanId& span_id) noexcept {
  const log::detail::SpanState* state = log::detail::tl_current_span;
  if (state == nullptr) [[likely]] {
    return false;
  }
  return copy_span_ids(state->record.context, trace_id, span_id);
}

}  // namespace kopiur::telemetry
