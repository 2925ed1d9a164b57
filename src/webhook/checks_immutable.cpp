// Fields an UPDATE may not change, compared with oldObject.
#include "kopiur/webhook/validation.hpp"

#include "webhook/checks.hpp"
#include "webhook/json_path.hpp"

namespace kopiur::webhook {
namespace {

using nlohmann::json;

std::vector<ImmutableField> repository_fields() {
  const std::string created =
      "it only applies when kopia creates the repository, which has happened";
  return {
      {{"spec", "backend"},
       "the snapshots live in this store; create a new repository to use another one",
       true},
      {{"spec", "create", "hash"}, created, true},
      {{"spec", "create", "encryption"}, created, true},
      {{"spec", "create", "splitter"}, created, true},
      {{"spec", "create", "ecc"}, created, true},
  };
}

// An old object that has been Ready (or Degraded since) names a repository kopia has connected.
bool was_ready(const json& old_object) {
  const std::string phase = detail::string_at(old_object, {"status", "phase"});
  return phase == "Ready" || phase == "Degraded";
}

}  // namespace

const std::vector<ImmutableField>& immutable_fields(const std::string& kind) {
  static const std::vector<ImmutableField> repository = repository_fields();
  static const std::vector<ImmutableField> backup_config = {
      {{"spec", "repository"},
       "the BackupConfig's snapshots are in that repository; create a new BackupConfig to back "
       "up elsewhere",
       false}};
  static const std::vector<ImmutableField> backup = {
      {{"spec", "configRef"}, "a Backup belongs to the BackupConfig that made it", false}};
  static const std::string once = "a Restore runs once; create a new Restore instead";
  static const std::vector<ImmutableField> restore = {{{"spec", "source"}, once, false},
                                                      {{"spec", "target"}, once, false},
                                                      {{"spec", "repository"}, once, false}};
  static const std::vector<ImmutableField> maintenance = {
      {{"spec", "repository"}, "create a new Maintenance for another repository", false}};
  static const std::vector<ImmutableField> none;
  if (kind == "Repository" || kind == "ClusterRepository") return repository;
  if (kind == "BackupConfig") return backup_config;
  if (kind == "Backup") return backup;
  if (kind == "Restore") return restore;
  if (kind == "Maintenance") return maintenance;
  return none;
}

namespace detail {

void check_immutable(const std::string& kind, const json& object, const json& old_object,
                     api::FieldErrors& errors) {
  const bool ready = was_ready(old_object);
  for (const auto& field : immutable_fields(kind)) {
    if (field.only_once_ready && !ready) continue;
    const json* now = at(object, field.path);
    const json* before = at(old_object, field.path);
    const bool same = (now == nullptr || before == nullptr) ? now == before : *now == *before;
    if (same) continue;
    errors.push_back({dotted(field.path), std::string("field is immutable") +
                                              (field.only_once_ready ? " once the repository "
                                                                       "has been Ready"
                                                                     : "") +
                                              ": " + field.reason});
  }
}

}  // namespace detail
}  // namespace kopiur::webhook
