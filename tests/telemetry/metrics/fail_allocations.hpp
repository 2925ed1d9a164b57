// Out-of-memory injection for the tests of the "drop and count, never terminate" policy. Include
// it in exactly one source file of a test executable: it replaces operator new for that
// executable. While armed, allocations fail with std::bad_alloc:
//   - FailAllocationsOnThisThread: every allocation made by the arming thread;
//   - FailLargeAllocations(n): every allocation of n bytes or more, on any thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

namespace kopiur::telemetry::testing {

inline thread_local bool t_fail_this_thread = false;
inline std::atomic<std::size_t> g_fail_from_bytes{0};  // 0: off

struct FailAllocationsOnThisThread {
  FailAllocationsOnThisThread() { t_fail_this_thread = true; }
  ~FailAllocationsOnThisThread() { t_fail_this_thread = false; }
  FailAllocationsOnThisThread(const FailAllocationsOnThisThread&) = delete;
  FailAllocationsOnThisThread& operator=(const FailAllocationsOnThisThread&) = delete;
};

struct FailLargeAllocations {
  explicit FailLargeAllocations(std::size_t from_bytes) { g_fail_from_bytes.store(from_bytes); }
  ~FailLargeAllocations() { g_fail_from_bytes.store(0); }
  FailLargeAllocations(const FailLargeAllocations&) = delete;
  FailLargeAllocations& operator=(const FailLargeAllocations&) = delete;
};

inline void* allocate(std::size_t size) {
  const std::size_t from = g_fail_from_bytes.load(std::memory_order_relaxed);
  if (t_fail_this_thread || (from != 0 && size >= from)) throw std::bad_alloc();
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}

inline void* allocate_nothrow(std::size_t size) noexcept {
  try {
    return allocate(size);
  } catch (...) {
    return nullptr;
  }
}

}  // namespace kopiur::telemetry::testing

void* operator new(std::size_t size) { return kopiur::telemetry::testing::allocate(size); }
void* operator new[](std::size_t size) { return kopiur::telemetry::testing::allocate(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  return kopiur::telemetry::testing::allocate_nothrow(size);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  return kopiur::telemetry::testing::allocate_nothrow(size);
}
// Out of line, so the compiler does not see free() meet a pointer from operator new.
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
