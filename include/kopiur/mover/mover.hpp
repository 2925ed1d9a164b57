// File: kopiur/mover/mover.hpp
//
// run(): one whole mover Job. In order: validate the work spec and Secret (before kopia starts),
// run the operation's kopia commands inside the root span (a child of TRACEPARENT), record
// kopiur_mover_operations_total and kopiur_mover_operation_duration_seconds, close the root span,
// write the result to the termination message path, and only then flush telemetry.
//
//   auto telemetry = app::start_telemetry("kopiur-mover");
//   return mover::run(options, *telemetry);   // exits with this code
//
// The root span lives only inside run() and is closed before telemetry.shutdown(), which run()
// calls itself: no caller can shut telemetry down while the span is still open (the span would
// then end after the exporters stopped and never arrive).
//
// Exit codes: 0 succeeded, 1 failed, 2 invalid work spec or Secret, 3 cancelled (SIGTERM).
// Thread-safety: call once per process. Failure: never throws.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "kopiur/telemetry/telemetry.hpp"

namespace kopiur::mover {

struct MoverOptions {
  std::string operation;                 // the positional OPERATION
  std::string work_spec_path;            // --work-spec
  std::string secret_dir;                // --secret-dir
  std::string termination_message_path;  // --termination-message-path
  std::string kopia_binary = "kopia";    // KOPIA_BIN, else "kopia" from PATH
  std::string work_dir;                  // kopia's config, cache and logs; empty: a fresh temp dir
  std::vector<std::string> environment;  // the mover's own environment (NAME=value)
  std::string local_mounts;  // KOPIUR_LOCAL_MOUNTS (kopiur/mover/local_mounts.hpp); empty: none
  std::chrono::milliseconds kill_grace{10000};
  std::function<bool()> cancelled;  // true once SIGTERM/SIGINT arrived
};

inline constexpr int kExitSucceeded = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitInvalidSpec = 2;
inline constexpr int kExitCancelled = 3;

int run(const MoverOptions& options, telemetry::Telemetry& telemetry);

}  // namespace kopiur::mover
