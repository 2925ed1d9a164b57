// File: kopiur/schedule/duration.hpp
//
// parse_duration(): the short durations kopiur's flags and fields take ("500ms", "15s", "10m",
// "1h": a whole number and a unit), e.g. BackupSchedule spec.schedule.jitter and the
// controller's --*-timeout flags. The controller and the webhook read them through here, so what
// one accepts the other does.
//
// Thread-safety: pure. Failure: nullopt for anything else (no sign, no fraction, no spaces).
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace kopiur::schedule {

[[nodiscard]] std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

}  // namespace kopiur::schedule
