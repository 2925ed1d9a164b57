// Helpers behind codec.hpp's templates: path building and error text.
#include "kopiur/api/codec.hpp"

namespace kopiur::api {

std::string format_errors(const FieldErrors& errors, bool one_line) {
  std::string out;
  for (const auto& error : errors) {
    if (!out.empty()) out += one_line ? "; " : "\n";
    out += error.to_string();
  }
  return out;
}

namespace detail {

std::string json_type_name(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::null:
      return "null";
    case nlohmann::json::value_t::object:
      return "an object";
    case nlohmann::json::value_t::array:
      return "a list";
    case nlohmann::json::value_t::string:
      return "string " + value.dump();
    case nlohmann::json::value_t::boolean:
      return "boolean " + value.dump();
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
      return "integer " + value.dump();
    case nlohmann::json::value_t::number_float:
      return "number " + value.dump();
    default:
      return "an unsupported value";
  }
}

std::string join_path(const std::string& base, std::string_view key) {
  if (base.empty()) return std::string(key);
  return base + "." + std::string(key);
}

std::string index_path(const std::string& base, std::size_t index) {
  return base + "[" + std::to_string(index) + "]";
}

namespace {
std::string exactly_one_message(const std::string_view* names, std::size_t count) {
  std::string list;
  for (std::size_t i = 0; i < count; ++i) {
    list += (i == 0 ? "" : ", ") + std::string(names[i]);
  }
  return "exactly one of " + list + " must be set";
}
}  // namespace

// `[has(self.a), has(self.b)].exists_one(x, x)`: true when exactly one member is present. A
// real API server has pruned explicit nulls of these (non-nullable) members before CEL runs.
nlohmann::json exactly_one_rule(const std::string_view* names, std::size_t count) {
  std::string rule = "[";
  for (std::size_t i = 0; i < count; ++i) {
    rule += (i == 0 ? "has(self." : ", has(self.") + std::string(names[i]) + ")";
  }
  rule += "].exists_one(x, x)";
  return {{"rule", rule}, {"message", exactly_one_message(names, count)}};
}

// What a real API server reports for a failed rule: the path, then this.
std::string exactly_one_error(const std::string_view* names, std::size_t count) {
  return "Invalid value: \"object\": " + exactly_one_message(names, count);
}

}  // namespace detail
}  // namespace kopiur::api
