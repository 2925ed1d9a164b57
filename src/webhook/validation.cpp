// review(): the API types' validation, then the webhook's own checks, into one Verdict.
#include "kopiur/webhook/validation.hpp"

#include "kopiur/api/kinds.hpp"

#include "webhook/checks.hpp"
#include "webhook/json_path.hpp"

namespace kopiur::webhook {
namespace {

using nlohmann::json;

// Whether any reference check applies to `kind`: only then is a missing lookup worth a warning.
bool has_references(const std::string& kind) {
  return kind == "BackupConfig" || kind == "Maintenance" || kind == "Restore" ||
         kind == "BackupSchedule" || kind == "Backup";
}

std::string display_name(const AdmissionRequest& request) {
  std::string name = detail::string_at(request.object, {"metadata", "name"}, request.name);
  if (name.empty()) {
    name = detail::string_at(request.object, {"metadata", "generateName"});
    if (!name.empty()) name += "*";
  }
  return name;
}

}  // namespace

Verdict review(const AdmissionRequest& request, const ObjectLookup* lookup) {
  Verdict verdict;
  const std::string& kind = request.kind.kind;
  const api::KindInfo* info = api::find_kind(kind);
  const bool writes = request.operation == "CREATE" || request.operation == "UPDATE";
  if (info == nullptr || !writes || !request.sub_resource.empty()) return verdict;
  const json& object = request.object;
  if (detail::at(object, {"metadata", "deletionTimestamp"}) != nullptr) return verdict;
  const bool update = request.operation == "UPDATE";

  verdict.errors = info->validate(object);
  detail::check_schedules(kind, object, verdict.errors, verdict.warnings);
  detail::warn_repository_mode(kind, object, verdict.warnings);
  if (has_references(kind)) {
    if (lookup == nullptr) {
      verdict.warnings.push_back(
          "references not checked: kopiur-webhook runs without access to the cluster");
    } else if (!lookup->ready()) {
      verdict.warnings.push_back(
          "references not checked: kopiur-webhook's caches have not listed the cluster yet");
    } else {
      const std::string ns =
          detail::string_at(object, {"metadata", "namespace"}, request.namespace_);
      detail::check_references(kind, ns, object, update ? &request.old_object : nullptr, *lookup,
                               verdict.errors);
    }
  }
  if (update) {
    detail::check_immutable(kind, object, request.old_object, verdict.errors);
    if (kind == "ClusterRepository" && lookup != nullptr && lookup->ready()) {
      detail::warn_lost_access(object, request.old_object, *lookup, verdict.warnings);
    }
  }

  if (!verdict.errors.empty()) {
    verdict.allowed = false;
    verdict.message = kind + " \"" + display_name(request) +
                      "\" is invalid: " + api::format_errors(verdict.errors, /*one_line=*/true);
  }
  return verdict;
}

}  // namespace kopiur::webhook
