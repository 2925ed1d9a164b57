// Failure injection through KOPIA_STANDIN_INJECT (see inject.hpp).
#include "inject.hpp"

#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace kopia_standin {

std::optional<int> inject(const std::string& command) {
  const char* what = std::getenv("KOPIA_STANDIN_INJECT");
  if (what == nullptr || *what == '\0') return std::nullopt;
  const char* on = std::getenv("KOPIA_STANDIN_INJECT_ON");
  if (on != nullptr && *on != '\0' && command != on) return std::nullopt;
  const std::string action = what;
  if (action == "fail" || action.rfind("fail=", 0) == 0) {
    const int code = action.size() > 5 ? std::atoi(action.c_str() + 5) : 1;
    std::fprintf(stderr, "Injected failure for \"%s\" (KOPIA_STANDIN_INJECT=%s)\n", command.c_str(),
                 what);
    std::fputs("ERROR error connecting to storage: injected failure\nline two of the error\n",
               stderr);
    return code;
  }
  if (action == "garbage") {
    std::fputs("this is not JSON {\"id\": \n", stdout);
    return 0;
  }
  if (action == "crash") {
    std::fputs("panic: injected crash\n", stderr);
    std::fflush(stderr);
    std::abort();
  }
  if (action.rfind("slow=", 0) == 0) {
    const int seconds = std::atoi(action.c_str() + 5);
    for (int i = 0; i < seconds; ++i) {
      std::fprintf(stderr, "injected delay: %d of %d seconds\n", i, seconds);
      std::fflush(stderr);
      const timespec second{1, 0};
      nanosleep(&second, nullptr);
    }
    return std::nullopt;
  }
  std::fprintf(stderr, "ERROR unknown KOPIA_STANDIN_INJECT value \"%s\"\n", what);
  return 1;
}

}  // namespace kopia_standin
