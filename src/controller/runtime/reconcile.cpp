#include "kopiur/controller/reconcile.hpp"

namespace kopiur::controller {

const char* error_class_name(ErrorClass error_class) {
  return error_class == ErrorClass::kStructural ? "structural" : "transient";
}

ReconcileError ReconcileError::transient(std::string reason, std::string note) {
  return {ErrorClass::kTransient, std::move(reason), std::move(note)};
}

ReconcileError ReconcileError::structural(std::string reason, std::string note) {
  return {ErrorClass::kStructural, std::move(reason), std::move(note)};
}

ErrorClass classify(const kube::Error& error) {
  const int s = error.http_status;
  if (s == 0 || s >= 500 || s == 409 || s == 429 || s == 408) return ErrorClass::kTransient;
  if (error.reason == "Timeout" || error.reason == "ServerTimeout") return ErrorClass::kTransient;
  return ErrorClass::kStructural;
}

ReconcileError ReconcileError::from_api(const kube::Error& error, std::string reason,
                                        const std::string& what, const std::string& fix) {
  const ErrorClass c = classify(error);
  std::string note = what + ": " + error.to_string();
  if (c == ErrorClass::kStructural && !fix.empty()) note += ". " + fix;
  return {c, std::move(reason), std::move(note)};
}

}  // namespace kopiur::controller
