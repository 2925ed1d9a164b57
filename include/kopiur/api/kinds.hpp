// File: kopiur/api/kinds.hpp
//
// The registry of kopiur's seven kinds: names (kind, plural, singular, short names, category),
// scope, printer columns, the phase enumeration (empty for kinds without a phase), and
// type-erased hooks to the C++ description (schema, validate). The CRD generator, the local API
// server's discovery and the controller's watchers all read this one table.
//
// Thread-safety: kinds() returns an immutable table built on first use (thread-safe static).
// Cost: lookups are linear over seven entries. Failure: find_* return nullptr when unknown.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "kopiur/api/codec.hpp"
#include "kopiur/support/json.hpp"

namespace kopiur::api {

enum class Scope { kNamespaced, kCluster };

struct PrinterColumn {
  std::string name;
  std::string type;  // string, integer, date, ...
  std::string json_path;
  std::string description;
  int priority = 0;
};

struct KindInfo {
  std::string kind;
  std::string plural;
  std::string singular;
  std::vector<std::string> short_names;
  Scope scope = Scope::kNamespaced;
  // Columns before Age; the CRD generator appends Age (.metadata.creationTimestamp).
  std::vector<PrinterColumn> printer_columns;
  // Phase names in order; empty when the kind has no status.phase.
  std::vector<std::string> phases;
  nlohmann::json (*schema)() = nullptr;
  // validate(): what an API server reports for a write of this object: the schema check
  // (schema_check.hpp, a real server's wording), then, when that passes, every problem decode()
  // finds (empty == valid).
  FieldErrors (*validate)(const nlohmann::json&) = nullptr;

  std::string list_kind() const { return kind + "List"; }
  bool namespaced() const { return scope == Scope::kNamespaced; }
};

inline constexpr std::string_view kCategory = "kopiur";

// kinds(): the seven kinds in generator order (Repository, ClusterRepository, BackupConfig,
// Backup, BackupSchedule, Restore, Maintenance).
const std::vector<KindInfo>& kinds();
const KindInfo* find_kind(std::string_view kind);
const KindInfo* find_kind_by_plural(std::string_view plural);

}  // namespace kopiur::api
