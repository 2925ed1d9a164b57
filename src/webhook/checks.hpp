// The checks review() runs beyond the API types' own validation, one function per concern
// (checks_schedule.cpp, checks_references.cpp, checks_immutable.cpp, checks_repository.cpp).
#pragma once

#include <string>
#include <vector>

#include "kopiur/api/codec.hpp"
#include "kopiur/support/json.hpp"
#include "kopiur/webhook/lookup.hpp"

namespace kopiur::webhook::detail {

// Cron expressions, time zones, schedules that never fire, retention that keeps nothing; plus
// warnings (a starting deadline under 10 s, a redundant "*" in allowedNamespaces).
void check_schedules(const std::string& kind, const nlohmann::json& object,
                     api::FieldErrors& errors, std::vector<std::string>& warnings);

// Referenced objects exist (and a ClusterRepository admits the referrer's namespace, `ns`: the
// object's, else the request's). With `old_object` (UPDATE), only changed references are checked.
void check_references(const std::string& kind, const std::string& ns, const nlohmann::json& object,
                      const nlohmann::json* old_object, const ObjectLookup& lookup,
                      api::FieldErrors& errors);

// A ClusterRepository UPDATE that takes a namespace out of spec.allowedNamespaces while a
// BackupConfig there uses it: a warning per such BackupConfig (narrowing access is allowed).
void warn_lost_access(const nlohmann::json& object, const nlohmann::json& old_object,
                      const ObjectLookup& lookup, std::vector<std::string>& warnings);

// Warnings for a ReadOnly repository's settings it does not act on (spec.create.enabled,
// spec.maintenance).
void warn_repository_mode(const std::string& kind, const nlohmann::json& object,
                          std::vector<std::string>& warnings);

// Fields an UPDATE may not change.
void check_immutable(const std::string& kind, const nlohmann::json& object,
                     const nlohmann::json& old_object, api::FieldErrors& errors);

}  // namespace kopiur::webhook::detail
