// File: kopiur/api/codec.hpp
//
// The one description of every API type. A struct lists its fields once, in `static constexpr
// auto fields()`, as field("jsonName", &Struct::member, "description", {options}). From that
// single list this header derives three things:
//   * encode():  C++ value -> JSON (absent optionals and empty lists/maps are omitted);
//   * decode():  JSON -> C++ value, collecting *every* problem as a FieldError with the JSON
//                path ("spec.backend.s3.bucket") and what is wrong, instead of stopping at the
//                first one;
//   * schema():  the OpenAPI v3 structural schema that goes into the CRD YAML.
// So the CRDs under deploy/crds/ cannot disagree with the C++ types: both come from here.
//
// Rules the mapping follows: a non-optional scalar or struct member is `required`; std::optional
// members are optional and `nullable`; vectors and maps are optional (absent == empty) unless
// marked non_empty() (required, minItems 1);
// nlohmann::json members keep arbitrary content (x-kubernetes-preserve-unknown-fields). Enums
// need an EnumTraits<E>::kNames array (values 0..N-1 in order). A struct may add cross-field
// checks with `static void validate(const T&, const std::string& path, FieldErrors&)`, and may set
// `static constexpr bool kAllowUnknownFields = true` (ObjectMeta does) to ignore unknown keys.
//
// Nullable enums list null among their values, because a real API server runs the enum check on
// an explicit null too. A struct whose members are alternatives declares them in
// `static constexpr std::array kExactlyOne = {"s3", "gcs", ...}`: the schema then carries an
// x-kubernetes-validations rule (CEL, Kubernetes >= 1.25) requiring exactly one of them, those
// members are not nullable (so a real API server prunes an explicit null, which then counts as
// unset), and decode() enforces the same rule with the API server's own wording:
//   spec.backend: Invalid value: "object": exactly one of s3, gcs, ... must be set
//
// Thread-safety: stateless; all functions are re-entrant. Cost: one pass over the JSON, no
// reflection at run time beyond the constexpr field tuple. Failure: decode() never throws on bad
// input; it reports FieldErrors. encode() cannot fail.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "kopiur/support/json.hpp"

namespace kopiur::api {

// FieldError: one problem found while decoding, e.g. {"spec.schedule.cron", "required field is
// missing"}. to_string() renders "spec.schedule.cron: required field is missing".
struct FieldError {
  std::string path;
  std::string message;
  std::string to_string() const {
    return (path.empty() ? std::string("<root>") : path) + ": " + message;
  }
};
using FieldErrors = std::vector<FieldError>;

// Joins every error on its own line ("; " separated when one_line).
std::string format_errors(const FieldErrors& errors, bool one_line = false);

// FieldOpts: per-field schema refinements that the C++ type alone cannot express.
struct FieldOpts {
  std::optional<std::int64_t> minimum;  // integer lower bound, checked by decode() too
  std::string_view format;              // OpenAPI format, e.g. "date-time"
  std::string_view default_value;       // JSON text of a schema default, e.g. "\"Forbid\""
  bool omit_empty = false;  // plain member that is optional: absent == T{}, omitted when T{}
  bool required = false;    // a list or map that must be present (schema `required`)
  std::optional<std::int64_t> min_items;  // list length lower bound (schema `minItems`)
};

// Builders for FieldOpts (designated initialisers trip -Wmissing-field-initializers on g++ 12).
constexpr FieldOpts omit_empty() {
  FieldOpts o;
  o.omit_empty = true;
  return o;
}
constexpr FieldOpts at_least(std::int64_t minimum) {
  FieldOpts o;
  o.minimum = minimum;
  return o;
}
constexpr FieldOpts with_format(std::string_view format) {
  FieldOpts o;
  o.format = format;
  return o;
}
constexpr FieldOpts with_default(std::string_view json_text) {
  FieldOpts o;
  o.default_value = json_text;
  return o;
}

// A list that must be present and hold at least one item.
constexpr FieldOpts non_empty() {
  FieldOpts o;
  o.required = true;
  o.min_items = 1;
  return o;
}

template <class C, class M>
struct Field {
  std::string_view name;
  M C::*member;
  std::string_view description;
  FieldOpts opts;
};

template <class C, class M>
constexpr Field<C, M> field(std::string_view name, M C::*member, std::string_view description,
                            FieldOpts opts = {}) {
  return Field<C, M>{name, member, description, opts};
}

// EnumTraits<E>::kNames lists the wire names of E's values in declaration order.
template <class E>
struct EnumTraits;

template <class E>
concept NamedEnum = std::is_enum_v<E> && requires {
  EnumTraits<E>::kNames;
};

template <NamedEnum E>
constexpr std::string_view enum_name(E value) {
  const auto index = static_cast<std::size_t>(value);
  return index < EnumTraits<E>::kNames.size() ? EnumTraits<E>::kNames[index] : std::string_view{};
}

template <NamedEnum E>
constexpr std::optional<E> parse_enum(std::string_view text) {
  for (std::size_t i = 0; i < EnumTraits<E>::kNames.size(); ++i) {
    if (EnumTraits<E>::kNames[i] == text) return static_cast<E>(i);
  }
  return std::nullopt;
}

template <NamedEnum E>
std::vector<std::string> enum_names() {
  return {EnumTraits<E>::kNames.begin(), EnumTraits<E>::kNames.end()};
}

template <class T>
concept Described = requires {
  T::fields();
};

template <class T>
struct Codec;

namespace detail {

template <class T>
struct IsOptional : std::false_type {};
template <class T>
struct IsOptional<std::optional<T>> : std::true_type {};
template <class T>
struct IsContainer : std::false_type {};
template <class T>
struct IsContainer<std::vector<T>> : std::true_type {};
template <class T>
struct IsContainer<std::map<std::string, T>> : std::true_type {};

std::string json_type_name(const nlohmann::json& value);
std::string join_path(const std::string& base, std::string_view key);
std::string index_path(const std::string& base, std::size_t index);

// The CEL rule and its message for a kExactlyOne group (codec.cpp).
nlohmann::json exactly_one_rule(const std::string_view* names, std::size_t count);
std::string exactly_one_error(const std::string_view* names, std::size_t count);

template <class T>
constexpr bool in_exactly_one(std::string_view name) {
  if constexpr (requires { T::kExactlyOne; }) {
    for (const auto member : T::kExactlyOne) {
      if (member == name) return true;
    }
  }
  return false;
}

template <class T>
bool is_empty_value(const T& value) {
  if constexpr (IsOptional<T>::value) {
    return !value.has_value();
  } else if constexpr (IsContainer<T>::value) {
    return value.empty();
  } else if constexpr (std::is_same_v<T, nlohmann::json>) {
    return value.is_null();
  } else {
    return false;
  }
}

template <class T>
constexpr bool is_required_type() {
  return !IsOptional<T>::value && !IsContainer<T>::value && !std::is_same_v<T, nlohmann::json>;
}

template <class T>
void check_minimum(const T& value, const FieldOpts& opts, const std::string& path,
                   FieldErrors& errors) {
  if constexpr (IsContainer<T>::value) {
    if (opts.min_items && static_cast<std::int64_t>(value.size()) < *opts.min_items) {
      errors.push_back({path, "must have at least " + std::to_string(*opts.min_items) +
                                  " item(s), got " + std::to_string(value.size())});
    }
  }
  if (!opts.minimum) return;
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    if (static_cast<std::int64_t>(value) < *opts.minimum) {
      errors.push_back({path, "must be at least " + std::to_string(*opts.minimum) + ", got " +
                                  std::to_string(value)});
    }
  } else if constexpr (IsOptional<T>::value) {
    if (value) check_minimum(*value, opts, path, errors);
  }
}

}  // namespace detail

// ---- scalars --------------------------------------------------------------------------------

template <>
struct Codec<std::string> {
  static void encode(const std::string& v, nlohmann::json& out) { out = v; }
  static void decode(const nlohmann::json& in, std::string& v, const std::string& path,
                     FieldErrors& errors) {
    if (!in.is_string()) {
      errors.push_back({path, "expected a string, got " + detail::json_type_name(in)});
      return;
    }
    v = in.get<std::string>();
  }
  static nlohmann::json schema() { return {{"type", "string"}}; }
};

template <>
struct Codec<bool> {
  static void encode(bool v, nlohmann::json& out) { out = v; }
  static void decode(const nlohmann::json& in, bool& v, const std::string& path,
                     FieldErrors& errors) {
    if (!in.is_boolean()) {
      errors.push_back({path, "expected true or false, got " + detail::json_type_name(in)});
      return;
    }
    v = in.get<bool>();
  }
  static nlohmann::json schema() { return {{"type", "boolean"}}; }
};

template <>
struct Codec<std::int64_t> {
  static void encode(std::int64_t v, nlohmann::json& out) { out = v; }
  static void decode(const nlohmann::json& in, std::int64_t& v, const std::string& path,
                     FieldErrors& errors) {
    if (in.is_number_unsigned()) {
      const auto u = in.get<std::uint64_t>();
      if (u > static_cast<std::uint64_t>(INT64_MAX)) {
        errors.push_back({path, "integer does not fit in 64 bits"});
        return;
      }
      v = static_cast<std::int64_t>(u);
      return;
    }
    if (!in.is_number_integer()) {
      errors.push_back({path, "expected an integer, got " + detail::json_type_name(in)});
      return;
    }
    v = in.get<std::int64_t>();
  }
  static nlohmann::json schema() { return {{"type", "integer"}, {"format", "int64"}}; }
};

template <>
struct Codec<std::int32_t> {
  static void encode(std::int32_t v, nlohmann::json& out) { out = v; }
  static void decode(const nlohmann::json& in, std::int32_t& v, const std::string& path,
                     FieldErrors& errors) {
    std::int64_t wide = 0;
    const auto before = errors.size();
    Codec<std::int64_t>::decode(in, wide, path, errors);
    if (errors.size() != before) return;
    if (wide < INT32_MIN || wide > INT32_MAX) {
      errors.push_back({path, "integer does not fit in 32 bits"});
      return;
    }
    v = static_cast<std::int32_t>(wide);
  }
  static nlohmann::json schema() { return {{"type", "integer"}, {"format", "int32"}}; }
};

template <>
struct Codec<double> {
  static void encode(double v, nlohmann::json& out) { out = v; }
  static void decode(const nlohmann::json& in, double& v, const std::string& path,
                     FieldErrors& errors) {
    if (!in.is_number()) {
      errors.push_back({path, "expected a number, got " + detail::json_type_name(in)});
      return;
    }
    v = in.get<double>();
  }
  static nlohmann::json schema() { return {{"type", "number"}}; }
};

// Free-form JSON: kept verbatim (x-kubernetes-preserve-unknown-fields).
template <>
struct Codec<nlohmann::json> {
  static void encode(const nlohmann::json& v, nlohmann::json& out) { out = v; }
  static void decode(const nlohmann::json& in, nlohmann::json& v, const std::string& path,
                     FieldErrors& errors) {
    if (!in.is_object()) {
      errors.push_back({path, "expected an object, got " + detail::json_type_name(in)});
      return;
    }
    v = in;
  }
  static nlohmann::json schema() {
    return {{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}};
  }
};

template <NamedEnum E>
struct Codec<E> {
  static void encode(E v, nlohmann::json& out) { out = std::string(enum_name(v)); }
  static void decode(const nlohmann::json& in, E& v, const std::string& path, FieldErrors& errors) {
    const auto allowed = [] {
      std::string list;
      for (const auto& name : EnumTraits<E>::kNames) {
        list += list.empty() ? "" : ", ";
        list += name;
      }
      return list;
    };
    if (!in.is_string()) {
      errors.push_back(
          {path, "expected one of [" + allowed() + "], got " + detail::json_type_name(in)});
      return;
    }
    const auto parsed = parse_enum<E>(in.get<std::string>());
    if (!parsed) {
      errors.push_back({path, "unsupported value \"" + in.get<std::string>() +
                                  "\": expected one of [" + allowed() + "]"});
      return;
    }
    v = *parsed;
  }
  static nlohmann::json schema() { return {{"type", "string"}, {"enum", enum_names<E>()}}; }
};

// ---- wrappers -------------------------------------------------------------------------------

template <class T>
struct Codec<std::optional<T>> {
  static void encode(const std::optional<T>& v, nlohmann::json& out) {
    if (v) Codec<T>::encode(*v, out);
  }
  static void decode(const nlohmann::json& in, std::optional<T>& v, const std::string& path,
                     FieldErrors& errors) {
    if (in.is_null()) {
      v.reset();
      return;
    }
    T inner{};
    const auto before = errors.size();
    Codec<T>::decode(in, inner, path, errors);
    if (errors.size() == before) v = std::move(inner);
  }
  static nlohmann::json schema() {
    auto s = Codec<T>::schema();
    s["nullable"] = true;
    // A real API server checks `enum` on an explicit null too, so null must be listed.
    if (s.contains("enum")) s["enum"].push_back(nullptr);
    return s;
  }
};

template <class T>
struct Codec<std::vector<T>> {
  static void encode(const std::vector<T>& v, nlohmann::json& out) {
    out = nlohmann::json::array();
    for (const auto& item : v) {
      nlohmann::json element;
      Codec<T>::encode(item, element);
      out.push_back(std::move(element));
    }
  }
  static void decode(const nlohmann::json& in, std::vector<T>& v, const std::string& path,
                     FieldErrors& errors) {
    v.clear();
    if (in.is_null()) return;
    if (!in.is_array()) {
      errors.push_back({path, "expected a list, got " + detail::json_type_name(in)});
      return;
    }
    for (std::size_t i = 0; i < in.size(); ++i) {
      T item{};
      Codec<T>::decode(in[i], item, detail::index_path(path, i), errors);
      v.push_back(std::move(item));
    }
  }
  static nlohmann::json schema() { return {{"type", "array"}, {"items", Codec<T>::schema()}}; }
};

template <class T>
struct Codec<std::map<std::string, T>> {
  static void encode(const std::map<std::string, T>& v, nlohmann::json& out) {
    out = nlohmann::json::object();
    for (const auto& [key, item] : v) Codec<T>::encode(item, out[key]);
  }
  static void decode(const nlohmann::json& in, std::map<std::string, T>& v, const std::string& path,
                     FieldErrors& errors) {
    v.clear();
    if (in.is_null()) return;
    if (!in.is_object()) {
      errors.push_back({path, "expected a map, got " + detail::json_type_name(in)});
      return;
    }
    for (const auto& [key, item] : in.items()) {
      T value{};
      Codec<T>::decode(item, value, detail::join_path(path, key), errors);
      v.emplace(key, std::move(value));
    }
  }
  static nlohmann::json schema() {
    return {{"type", "object"}, {"additionalProperties", Codec<T>::schema()}};
  }
};

// ---- described structs ----------------------------------------------------------------------

template <Described T>
struct Codec<T> {
  static void encode(const T& v, nlohmann::json& out) {
    out = nlohmann::json::object();
    std::apply(
        [&](const auto&... f) {
          (
              [&] {
                const auto& member = v.*(f.member);
                using M = std::remove_cvref_t<decltype(member)>;
                if (detail::is_empty_value(member)) return;
                if constexpr (std::is_arithmetic_v<M> || std::is_same_v<M, std::string>) {
                  if (f.opts.omit_empty && member == M{}) return;
                }
                Codec<M>::encode(member, out[std::string(f.name)]);
              }(),
              ...);
        },
        T::fields());
  }

  static void decode(const nlohmann::json& in, T& v, const std::string& path, FieldErrors& errors) {
    if (!in.is_object()) {
      errors.push_back({path, "expected an object, got " + detail::json_type_name(in)});
      return;
    }
    std::apply(
        [&](const auto&... f) {
          (
              [&] {
                auto& member = v.*(f.member);
                using M = std::remove_cvref_t<decltype(member)>;
                const auto key = std::string(f.name);
                const auto child = detail::join_path(path, f.name);
                const auto it = in.find(key);
                if (it == in.end() || it->is_null()) {
                  member = M{};  // decoding into a used object must not keep stale values
                  const bool required =
                      f.opts.required || (detail::is_required_type<M>() && !f.opts.omit_empty);
                  if (required) errors.push_back({child, "required field is missing"});
                  return;
                }
                const auto before = errors.size();
                Codec<M>::decode(*it, member, child, errors);
                if (errors.size() == before) detail::check_minimum(member, f.opts, child, errors);
              }(),
              ...);
        },
        T::fields());
    if constexpr (!requires { T::kAllowUnknownFields; }) {
      for (const auto& item : in.items()) {
        // A named copy, not a structured binding: lambdas may not capture those before C++20's
        // P1091 (clang 15, the fuzzers' compiler, refuses them).
        const std::string& key = item.key();
        bool known = false;
        std::string names;
        std::apply(
            [&](const auto&... f) {
              ((known = known || f.name == key,
                names += (names.empty() ? "" : ", ") + std::string(f.name)),
               ...);
            },
            T::fields());
        if (!known) {
          errors.push_back(
              {detail::join_path(path, key), "unknown field (known fields: " + names + ")"});
        }
      }
    }
    if constexpr (requires { T::kExactlyOne; }) {
      std::size_t set = 0;
      for (const auto name : T::kExactlyOne) {
        const auto it = in.find(std::string(name));
        if (it != in.end() && !it->is_null()) ++set;
      }
      if (set != 1) {
        errors.push_back(
            {path, detail::exactly_one_error(T::kExactlyOne.data(), T::kExactlyOne.size())});
      }
    }
    if constexpr (requires { T::validate(v, path, errors); }) {
      T::validate(v, path, errors);
    }
  }

  static nlohmann::json schema() {
    nlohmann::json s = {{"type", "object"}, {"properties", nlohmann::json::object()}};
    std::vector<std::string> required;
    std::apply(
        [&](const auto&... f) {
          (
              [&] {
                using M = std::remove_cvref_t<decltype(std::declval<T&>().*(f.member))>;
                auto prop = Codec<M>::schema();
                if (!f.description.empty()) prop["description"] = std::string(f.description);
                if (f.opts.minimum) prop["minimum"] = *f.opts.minimum;
                if (!f.opts.format.empty()) prop["format"] = std::string(f.opts.format);
                if (!f.opts.default_value.empty()) {
                  prop["default"] = nlohmann::json::parse(f.opts.default_value);
                }
                if (f.opts.min_items) prop["minItems"] = *f.opts.min_items;
                if (detail::in_exactly_one<T>(f.name)) {
                  // Not nullable: a real API server then prunes an explicit null, so the
                  // exactly-one rule sees it as unset, as decode() does.
                  prop.erase("nullable");
                }
                s["properties"][std::string(f.name)] = std::move(prop);
                if (f.opts.required || (detail::is_required_type<M>() && !f.opts.omit_empty)) {
                  required.emplace_back(f.name);
                }
              }(),
              ...);
        },
        T::fields());
    if (!required.empty()) s["required"] = required;
    if constexpr (requires { T::kExactlyOne; }) {
      s["x-kubernetes-validations"] = nlohmann::json::array(
          {detail::exactly_one_rule(T::kExactlyOne.data(), T::kExactlyOne.size())});
    }
    if constexpr (requires { T::kAllowUnknownFields; }) {
      s["x-kubernetes-preserve-unknown-fields"] = true;
    }
    return s;
  }
};

// ---- entry points ---------------------------------------------------------------------------

template <class T>
nlohmann::json encode(const T& value) {
  nlohmann::json out;
  Codec<T>::encode(value, out);
  return out;
}

// decode(): fills `out` and returns every problem found (empty == success).
template <class T>
FieldErrors decode(const nlohmann::json& in, T& out, const std::string& path = {}) {
  FieldErrors errors;
  Codec<T>::decode(in, out, path, errors);
  return errors;
}

template <class T>
nlohmann::json schema() {
  return Codec<T>::schema();
}

}  // namespace kopiur::api
