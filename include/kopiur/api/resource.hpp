// File: kopiur/api/resource.hpp
//
// Whole-object conversion for the seven kinds: to_json() adds apiVersion and kind; from_json()
// checks them and decodes the rest, returning every problem as a FieldError with its JSON path.
// object_schema<K>() is the openAPIV3Schema of the whole object as it appears in the CRD.
//
//   kopiur::api::Backup backup;
//   if (auto errors = kopiur::api::from_json(json, backup); !errors.empty()) {
//     log(kopiur::api::format_errors(errors, /*one_line=*/true));  // "spec.x: ..."
//   }
//
// Thread-safety: stateless. Failure: never throws on bad input.
#pragma once

#include <string>

#include "kopiur/api/codec.hpp"
#include "kopiur/api/meta.hpp"
#include "kopiur/support/json.hpp"

namespace kopiur::api {

template <class K>
concept TopLevel = Described<K> && requires {
  K::kKind;
};

template <TopLevel K>
nlohmann::json to_json(const K& object) {
  nlohmann::json out = encode(object);
  out["apiVersion"] = std::string(kApiVersion);
  out["kind"] = std::string(K::kKind);
  if (!out.contains("metadata")) out["metadata"] = nlohmann::json::object();
  return out;
}

template <TopLevel K>
FieldErrors from_json(const nlohmann::json& in, K& out) {
  FieldErrors errors;
  if (!in.is_object()) {
    errors.push_back(
        {"", "expected a " + std::string(K::kKind) + " object, got " + detail::json_type_name(in)});
    return errors;
  }
  nlohmann::json body = in;
  const auto api_version = body.value("apiVersion", std::string{});
  const auto kind = body.value("kind", std::string{});
  if (api_version != kApiVersion) {
    errors.push_back({"apiVersion", "expected \"" + std::string(kApiVersion) + "\", got \"" +
                                        api_version + "\""});
  }
  if (kind != K::kKind) {
    errors.push_back({"kind", "expected \"" + std::string(K::kKind) + "\", got \"" + kind + "\""});
  }
  body.erase("apiVersion");
  body.erase("kind");
  Codec<K>::decode(body, out, "", errors);
  return errors;
}

// object_schema(): the CRD openAPIV3Schema. metadata stays an opaque object (the API server owns
// its schema), apiVersion and kind are plain strings, spec is required.
template <TopLevel K>
nlohmann::json object_schema() {
  nlohmann::json s = schema<K>();
  s["properties"]["metadata"] = {{"type", "object"}};
  s["properties"]["apiVersion"] = {
      {"type", "string"},
      {"description", "Versioned schema of this object: kopiur.home-operations.com/v1alpha1."}};
  s["properties"]["kind"] = {{"type", "string"}, {"description", "Kind of this object."}};
  s["required"] = {"spec"};
  s["description"] = std::string(K::kKind) + " (" + std::string(kApiVersion) + ")";
  return s;
}

}  // namespace kopiur::api
