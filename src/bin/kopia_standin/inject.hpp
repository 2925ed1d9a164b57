// inject: failure injection for tests, from the environment (never used by real kopia):
//   KOPIA_STANDIN_INJECT     fail[=CODE] | garbage | crash | slow=SECONDS
//   KOPIA_STANDIN_INJECT_ON  the command it applies to ("snapshot create"); unset: every command
// fail: kopia-style ERROR lines on stderr, exit CODE (default 1). garbage: non-JSON on stdout,
// exit 0, nothing done. crash: a line, then abort() (SIGABRT). slow: progress lines once a second
// for SECONDS, then the real command (SIGTERM ends it, as it would end kopia).
#pragma once

#include <optional>
#include <string>

namespace kopia_standin {

// Returns an exit code when the injected behaviour replaces the command.
std::optional<int> inject(const std::string& command);

}  // namespace kopia_standin
