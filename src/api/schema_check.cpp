// A real API server's OpenAPI validation of custom resources, for the schema subset generated here.
#include "kopiur/api/schema_check.hpp"

#include <algorithm>
#include <cmath>
#include <regex>

namespace kopiur::api {
namespace {

using detail::index_path;
using detail::join_path;
using nlohmann::json;

bool has_type(const json& value, const std::string& type) {
  if (type == "object") return value.is_object();
  if (type == "array") return value.is_array();
  if (type == "string") return value.is_string();
  if (type == "boolean") return value.is_boolean();
  if (type == "integer") {
    if (value.is_number_integer()) return true;
    return value.is_number_float() && std::trunc(value.get<double>()) == value.get<double>();
  }
  if (type == "number") return value.is_number();
  return true;
}

// The name a real API server gives the type it found: "string", "integer", "object", ...
std::string found_type(const json& value) {
  if (value.is_object()) return "object";
  if (value.is_array()) return "array";
  if (value.is_string()) return "string";
  if (value.is_boolean()) return "boolean";
  if (value.is_number_integer()) return "integer";
  if (value.is_number()) return "number";
  return "null";
}

std::string body_path(const std::string& path) { return path.empty() ? "body" : path; }

// RFC 3339 date-time, as the API server's `date-time` format accepts it.
bool is_date_time(const std::string& text) {
  static const std::regex pattern(
      R"(\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2}))");
  return std::regex_match(text, pattern);
}

void check_format(const json& value, const json& schema, const std::string& path,
                  FieldErrors& errors) {
  if (schema.value("format", std::string{}) != "date-time" || !value.is_string()) return;
  if (is_date_time(value.get<std::string>())) return;
  errors.push_back({path, "Invalid value: " + value.dump() + ": " + body_path(path) +
                              " in body must be of type date-time: " + value.dump()});
}

void check_enum(const json& value, const json& schema, const std::string& path,
                FieldErrors& errors) {
  if (!schema.contains("enum")) return;
  const auto& allowed = schema["enum"];
  if (std::find(allowed.begin(), allowed.end(), value) != allowed.end()) return;
  std::string list;
  for (const auto& option : allowed) list += (list.empty() ? "" : ", ") + option.dump();
  errors.push_back({path, "Unsupported value: " + value.dump() + ": supported values: " + list});
}

void check_bounds(const json& value, const json& schema, const std::string& path,
                  FieldErrors& errors) {
  if (schema.contains("minimum") && value.is_number() &&
      value.get<double>() < schema["minimum"].get<double>()) {
    errors.push_back({path, "Invalid value: " + value.dump() + ": " + body_path(path) +
                                " in body should be greater than or equal to " +
                                schema["minimum"].dump()});
  }
  if (schema.contains("minItems") && value.is_array() &&
      value.size() < schema["minItems"].get<std::size_t>()) {
    errors.push_back({path, "Invalid value: " + std::to_string(value.size()) + ": " +
                                body_path(path) + " in body should have at least " +
                                schema["minItems"].dump() + " items"});
  }
}

void check(const json& value, const json& schema, const std::string& path, FieldErrors& errors);

void check_object(const json& value, const json& schema, const std::string& path,
                  FieldErrors& errors) {
  const json empty = json::object();
  const auto& properties = schema.contains("properties") ? schema["properties"] : empty;
  if (schema.contains("required")) {
    for (const auto& name : schema["required"]) {
      const auto key = name.get<std::string>();
      const auto it = value.find(key);
      const bool nullable = properties.contains(key) && properties[key].value("nullable", false);
      if (it == value.end() || (it->is_null() && !nullable)) {
        errors.push_back({join_path(path, key), "Required value"});
      }
    }
  }
  for (const auto& [key, child] : value.items()) {
    if (properties.contains(key)) {
      check(child, properties[key], join_path(path, key), errors);
    } else if (schema.contains("additionalProperties") &&
               schema["additionalProperties"].is_object()) {
      check(child, schema["additionalProperties"], join_path(path, key), errors);
    }
    // Anything else is an unknown field: decode() names it, a real server prunes or rejects it.
  }
}

void check(const json& value, const json& schema, const std::string& path, FieldErrors& errors) {
  if (value.is_null()) {
    // Not nullable: pruned before validation (a required field then reports "Required value").
    if (schema.value("nullable", false)) check_enum(value, schema, path, errors);
    return;
  }
  const auto type = schema.value("type", std::string{});
  if (!type.empty() && !has_type(value, type)) {
    const auto found = found_type(value);
    errors.push_back({path, "Invalid value: \"" + found + "\": " + body_path(path) +
                                " in body must be of type " + type + ": \"" + found + "\""});
    return;
  }
  check_enum(value, schema, path, errors);
  check_format(value, schema, path, errors);
  check_bounds(value, schema, path, errors);
  if (value.is_array() && schema.contains("items")) {
    const auto& items = schema["items"];
    for (std::size_t i = 0; i < value.size(); ++i) {
      const auto item_path = index_path(path, i);
      // A real API server prunes nulls from objects only; a null list item stays and fails.
      if (value[i].is_null() && !items.value("nullable", false) && items.contains("type")) {
        errors.push_back({item_path, "Invalid value: \"null\": " + item_path +
                                         " in body must be of type " +
                                         items["type"].get<std::string>() + ": \"null\""});
        continue;
      }
      check(value[i], items, item_path, errors);
    }
  }
  if (value.is_object()) check_object(value, schema, path, errors);
}

}  // namespace

FieldErrors check_schema(const nlohmann::json& value, const nlohmann::json& schema,
                         const std::string& path) {
  FieldErrors errors;
  check(value, schema, path, errors);
  return errors;
}

}  // namespace kopiur::api
