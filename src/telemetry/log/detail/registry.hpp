// Internal: the process-wide registry of live dispatchers (the one piece of global state besides
// the installed logger): it recomputes the global max level and bumps the call-site generation.
#pragma once

#include <memory>
#include <mutex>
#include <new>
#include <vector>

#include "kopiur/telemetry/log/dispatcher.hpp"

namespace kopiur::telemetry::log::detail {

// NoDestructor: a static that is never destroyed, so loggers still work while other statics are
// torn down at exit.
template <typename T>
class NoDestructor {
 public:
  NoDestructor() { std::construct_at(ptr()); }
  T* get() noexcept { return ptr(); }
  T* operator->() noexcept { return ptr(); }

 private:
  T* ptr() noexcept { return std::launder(reinterpret_cast<T*>(storage_)); }
  alignas(T) unsigned char storage_[sizeof(T)];
};

struct Registry {
  std::mutex mutex;
  std::vector<Dispatcher*> live;
  std::shared_ptr<Dispatcher> installed;
  // Recomputes g_max_level and bumps g_generation; mutex held.
  void changed() noexcept;
};

Registry& registry() noexcept;

}  // namespace kopiur::telemetry::log::detail
