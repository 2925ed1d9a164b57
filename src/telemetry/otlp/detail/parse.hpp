// Parsing helpers shared by the OTLP configuration: trimming, percent-decoding, the OTel
// "key=value,key=value" list format, collector URLs and numbers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "kopiur/telemetry/otlp/config.hpp"

namespace kopiur::telemetry::otlp::detail {

std::string_view trim(std::string_view value) noexcept;
std::string to_lower(std::string_view value);

// Percent-decodes ("%20" → " "); nullopt on a truncated or non-hex escape.
std::optional<std::string> percent_decode(std::string_view value);

// The OTel list format (OTEL_EXPORTER_OTLP_HEADERS, OTEL_RESOURCE_ATTRIBUTES): comma-separated
// key=value entries, key and value trimmed, value percent-decoded. Blank entries (a trailing
// comma) are skipped; every malformed entry is listed in `bad_entries` with the reason.
struct KeyValueList {
  KeyValues pairs;
  std::vector<std::string> bad_entries;  // "\"entry\" (reason)"
};
KeyValueList parse_key_values(std::string_view value);

// An http:// or https:// collector URL: host required, port optional (default 4317), no path
// beyond "/", no query, no user info. On failure: the reason, phrased to follow the value.
std::variant<Endpoint, std::string> parse_endpoint(std::string_view value);

// A non-negative decimal integer that fits in 32 bits; nullopt otherwise.
std::optional<std::uint32_t> parse_uint(std::string_view value) noexcept;

// Whether the name/value is valid as gRPC metadata (lower-case token name; printable ASCII value).
bool valid_metadata_key(std::string_view key) noexcept;
bool valid_metadata_value(std::string_view value) noexcept;

}  // namespace kopiur::telemetry::otlp::detail
