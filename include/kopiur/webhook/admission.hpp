// File: kopiur/webhook/admission.hpp
//
// The AdmissionReview wire format (admission.k8s.io/v1) as a validating webhook reads and answers
// it. decode_review() takes the raw request body and returns either the request or a DecodeError
// saying what is wrong with the body, the HTTP status to answer with and, when the body got far
// enough to carry one, the request uid; encode_review() renders the answer, whose uid echoes the
// request's.
//
//   auto decoded = decode_review(body);
//   if (!decoded.request) return {decoded.error.http_status,
//   encode_review(refusal(decoded.error))}; AdmissionResponse answer{.uid = decoded.request->uid,
//   .allowed = true}; return {200, encode_review(answer)};
//
// Thread-safety: pure functions. Cost: one JSON parse of the body. Failure: decode_review() never
// throws on any input; a body it cannot use is a DecodeError, never an allowed request.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kopiur/support/json.hpp"

namespace kopiur::webhook {

inline constexpr std::string_view kReviewApiVersion = "admission.k8s.io/v1";
inline constexpr std::string_view kReviewKind = "AdmissionReview";
// Kubernetes' own request-body limit; larger reviews are refused with 413 before decoding.
inline constexpr std::size_t kMaxReviewBytes = 3u << 20;

struct GroupVersionKind {
  std::string group;
  std::string version;
  std::string kind;
};

// AdmissionRequest: the parts of request{} the webhook reads.
struct AdmissionRequest {
  std::string uid;
  GroupVersionKind kind;      // request.kind: the kind of `object`
  std::string resource;       // request.resource.resource, the plural ("backups")
  std::string sub_resource;   // request.subResource ("status", ...), usually empty
  std::string operation;      // CREATE, UPDATE, DELETE or CONNECT
  std::string name;           // may be empty on CREATE with generateName
  std::string namespace_;     // empty for cluster-scoped kinds
  nlohmann::json object;      // null when absent (DELETE)
  nlohmann::json old_object;  // null unless UPDATE or DELETE
  bool dry_run = false;
  std::string username;  // userInfo.username, for the log
};

// Why a body is not a usable review. `reason` is a fixed token (the malformed-requests metric's
// label): not_json, not_admission_review, missing_uid, missing_object.
struct DecodeError {
  int http_status = 400;
  std::string reason;
  std::string message;
  std::string uid;  // the request uid when the body carried one
};

struct Decoded {
  std::optional<AdmissionRequest> request;
  DecodeError error;  // meaningful when !request
};

// decode_review(): the request of an admission.k8s.io/v1 AdmissionReview body. Refuses non-JSON,
// another apiVersion or kind, a missing request or uid, a request without kind or operation,
// and a CREATE or UPDATE without an object (or an UPDATE without oldObject).
[[nodiscard]] Decoded decode_review(std::string_view body);

// AdmissionResponse: the answer. `code` and `message` become response.status (omitted when
// allowed and message is empty); warnings become response.warnings.
struct AdmissionResponse {
  std::string uid;
  bool allowed = false;
  int code = 200;
  std::string message;
  std::vector<std::string> warnings;
};

// encode_review(): {"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{...}}.
[[nodiscard]] std::string encode_review(const AdmissionResponse& response);

// refusal(): the denied AdmissionResponse for a DecodeError (uid echoed when known).
[[nodiscard]] AdmissionResponse refusal(const DecodeError& error);

}  // namespace kopiur::webhook
