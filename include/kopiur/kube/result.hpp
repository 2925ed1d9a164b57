// File: kopiur/kube/result.hpp
//
// Error and Result<T> for the Kubernetes layer. An Error names the step that failed ("read
// kubeconfig", "GET /api/v1/namespaces/x", "watch backups"), and, for API answers, the HTTP status
// and the Kubernetes Status reason (NotFound, Conflict, Expired, ...), so callers can branch on
// is_not_found()/is_conflict()/is_gone() and logs say what went wrong where.
//
// Thread-safety: plain values. Cost: one string per error. Failure: value() on an error (or
// error() on a value) is a programming error and aborts via assert in debug builds.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace kopiur::kube {

// StatusDetails: Kubernetes Status.details of a 422 Invalid: the object and one cause per field,
// which is what lets kubectl print `The Repository "r" is invalid: spec.backend: ...`.
struct StatusCause {
  std::string reason;   // FieldValueRequired, FieldValueNotSupported, FieldValueInvalid, ...
  std::string message;  // without the field path
  std::string field;    // e.g. spec.backend
};
struct StatusDetails {
  std::string name;
  std::string group;
  std::string kind;
  std::vector<StatusCause> causes;
};

struct Error {
  std::string step;     // what was being done
  int http_status = 0;  // 0 when no HTTP answer was received
  std::string reason;   // Kubernetes Status reason, e.g. "NotFound", or "" for local failures
  std::string message;  // details
  std::optional<StatusDetails> details{};  // set by the local API server on a 422 Invalid

  bool is_not_found() const { return http_status == 404; }
  bool is_conflict() const { return http_status == 409; }
  bool is_gone() const { return http_status == 410; }
  bool is_already_exists() const { return http_status == 409 && reason == "AlreadyExists"; }
  std::string to_string() const {
    std::string out = step + ": ";
    if (http_status != 0) out += std::to_string(http_status) + " ";
    if (!reason.empty()) out += reason + ": ";
    return out + message;
  }
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : error_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return value_.has_value(); }
  explicit operator bool() const { return ok(); }
  T& value() {
    assert(ok());
    return *value_;
  }
  const T& value() const {
    assert(ok());
    return *value_;
  }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return error_; }

 private:
  std::optional<T> value_;
  Error error_;
};

// Status: a Result without a value.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)) {}  // NOLINT: implicit by design
  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const {
    assert(!ok());
    return *error_;
  }

 private:
  std::optional<Error> error_;
};

}  // namespace kopiur::kube
