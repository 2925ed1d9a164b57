// AdmissionReview decoding and encoding (admission.k8s.io/v1).
#include "kopiur/webhook/admission.hpp"

#include <cstdint>

namespace kopiur::webhook {
namespace {

using nlohmann::json;

// Deeper documents are refused before parsing: later steps (copies, comparisons, the schema
// check) recurse per level, and no kopiur object comes close to this depth.
constexpr int kMaxDepth = 256;

// The deepest nesting of arrays and objects in `text`, stopping early past kMaxDepth.
int nesting_depth(std::string_view text) {
  int depth = 0;
  int deepest = 0;
  bool in_string = false;
  bool escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > deepest) deepest = depth;
      if (deepest > kMaxDepth) return deepest;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

std::string string_at(const json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Decoded fail(std::string reason, std::string message, std::string uid = {}) {
  Decoded out;
  out.error = {400, std::move(reason), std::move(message), std::move(uid)};
  return out;
}

std::string type_name(const json& value) { return value.is_null() ? "null" : value.type_name(); }

}  // namespace

Decoded decode_review(std::string_view body) {
  if (nesting_depth(body) > kMaxDepth) {
    return fail("not_json", "request body nests arrays or objects deeper than " +
                                std::to_string(kMaxDepth) + " levels");
  }
  json review = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (review.is_discarded()) {
    return fail("not_json", "request body is not JSON; expected an " + std::string(kReviewKind) +
                                " (" + std::string(kReviewApiVersion) + ")");
  }
  if (!review.is_object()) {
    return fail("not_admission_review", "request body is a JSON " + type_name(review) +
                                            ", expected an " + std::string(kReviewKind) +
                                            " object");
  }
  const std::string api_version = string_at(review, "apiVersion");
  const std::string kind = string_at(review, "kind");
  if (api_version != kReviewApiVersion || kind != kReviewKind) {
    return fail("not_admission_review",
                "expected apiVersion \"" + std::string(kReviewApiVersion) + "\" and kind \"" +
                    std::string(kReviewKind) + "\", got \"" + api_version + "\" and \"" + kind +
                    "\"; list only admissionReviewVersions [\"v1\"] in the webhook configuration");
  }
  const auto request = review.find("request");
  if (request == review.end() || !request->is_object()) {
    return fail("not_admission_review", "AdmissionReview has no request object");
  }
  AdmissionRequest out;
  out.uid = string_at(*request, "uid");
  if (out.uid.empty()) return fail("missing_uid", "AdmissionReview request has no uid");
  const json no_object = json::object();
  const json& gvk =
      request->contains("kind") && (*request)["kind"].is_object() ? (*request)["kind"] : no_object;
  out.kind = {string_at(gvk, "group"), string_at(gvk, "version"), string_at(gvk, "kind")};
  const json& resource = request->contains("resource") && (*request)["resource"].is_object()
                             ? (*request)["resource"]
                             : no_object;
  out.resource = string_at(resource, "resource");
  out.sub_resource = string_at(*request, "subResource");
  out.operation = string_at(*request, "operation");
  out.name = string_at(*request, "name");
  out.namespace_ = string_at(*request, "namespace");
  if (const auto user = request->find("userInfo"); user != request->end() && user->is_object()) {
    out.username = string_at(*user, "username");
  }
  if (const auto dry = request->find("dryRun"); dry != request->end() && dry->is_boolean()) {
    out.dry_run = dry->get<bool>();
  }
  if (out.kind.kind.empty() || out.operation.empty()) {
    return fail("not_admission_review", "AdmissionReview request lacks kind.kind or operation",
                out.uid);
  }
  if (out.operation != "CREATE" && out.operation != "UPDATE" && out.operation != "DELETE" &&
      out.operation != "CONNECT") {
    return fail("not_admission_review",
                "AdmissionReview request.operation \"" + out.operation +
                    "\" is not CREATE, UPDATE, DELETE or CONNECT",
                out.uid);
  }
  if (const auto it = request->find("object"); it != request->end()) out.object = std::move(*it);
  if (const auto it = request->find("oldObject"); it != request->end()) {
    out.old_object = std::move(*it);
  }
  const bool writes = out.operation == "CREATE" || out.operation == "UPDATE";
  if (writes && !out.object.is_object()) {
    return fail("missing_object",
                out.operation + " request carries no object (got " + type_name(out.object) + ")",
                out.uid);
  }
  if (out.operation == "UPDATE" && !out.old_object.is_object()) {
    return fail("missing_object",
                "UPDATE request carries no oldObject (got " + type_name(out.old_object) + ")",
                out.uid);
  }
  Decoded decoded;
  decoded.request = std::move(out);
  return decoded;
}

std::string encode_review(const AdmissionResponse& response) {
  json answer = {{"uid", response.uid}, {"allowed", response.allowed}};
  if (!response.allowed || !response.message.empty()) {
    answer["status"] = {{"code", response.code}, {"message", response.message}};
  }
  if (!response.warnings.empty()) answer["warnings"] = response.warnings;
  const json review = {{"apiVersion", std::string(kReviewApiVersion)},
                       {"kind", std::string(kReviewKind)},
                       {"response", std::move(answer)}};
  // Replace, not throw, should a message carry invalid UTF-8 (it may quote the request).
  return review.dump(-1, ' ', false, json::error_handler_t::replace);
}

AdmissionResponse refusal(const DecodeError& error) {
  AdmissionResponse out;
  out.uid = error.uid;
  out.allowed = false;
  out.code = error.http_status;
  out.message = error.message;
  return out;
}

}  // namespace kopiur::webhook
