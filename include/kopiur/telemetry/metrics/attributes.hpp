// File: kopiur/telemetry/metrics/attributes.hpp
//
// AttributeList: the borrowed key/value pairs a recording call passes, e.g.
//
//   counter.add(1, {{"kind", "Backup"}, {"namespace", ns}});
//
// The list is a view (pointer + size) over the caller's initializer list, span or vector; it is
// only read during the call and never stored, so passing it allocates nothing. Order does not
// matter: {a, b} and {b, a} name the same series. Keys should be unique within a list; a list with
// a repeated key still works (the last value wins) but takes the slow, locked lookup every time.
// Thread-safety: a view, read only; one list may be passed by several threads at once. The caller
// keeps the viewed strings alive and unchanged for the call; the library copies what it keeps
// (a new series' keys and values) before returning.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <span>
#include <vector>

#include "kopiur/telemetry/metrics/collect.hpp"

namespace kopiur::telemetry::metrics {

class AttributeList {
 public:
  AttributeList() noexcept = default;
  // NOLINTNEXTLINE(google-explicit-constructor): braced lists at call sites are the point.
  // The view lives no longer than the call it is passed to, so the list's array outlives it.
  AttributeList(std::initializer_list<Attribute> list) noexcept
      : AttributeList(std::span<const Attribute>(list.begin(), list.size())) {}
  // NOLINTNEXTLINE(google-explicit-constructor)
  AttributeList(std::span<const Attribute> list) noexcept
      : data_(list.data()), size_(list.size()) {}
  // NOLINTNEXTLINE(google-explicit-constructor)
  AttributeList(const std::vector<Attribute>& list) noexcept
      : data_(list.data()), size_(list.size()) {}

  [[nodiscard]] const Attribute* begin() const noexcept { return data_; }
  [[nodiscard]] const Attribute* end() const noexcept { return data_ + size_; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] std::span<const Attribute> span() const noexcept { return {data_, size_}; }

 private:
  const Attribute* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace kopiur::telemetry::metrics
