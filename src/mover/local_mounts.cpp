#include "kopiur/mover/local_mounts.hpp"

#include "kopiur/support/json.hpp"

namespace kopiur::mover {
namespace {

std::string without_trailing_slash(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

}  // namespace

std::variant<LocalMounts, std::string> LocalMounts::parse(const char* value) {
  LocalMounts mounts;
  if (value == nullptr || *value == '\0') return mounts;
  const auto table = nlohmann::json::parse(value, nullptr, /*allow_exceptions=*/false);
  if (!table.is_object()) {
    return std::string(
               "KOPIUR_LOCAL_MOUNTS must be a JSON object {\"<mountPath>\": \"<host "
               "path>\"}; got: ") +
           std::string(value).substr(0, 200);
  }
  for (const auto& [mount, host] : table.items()) {
    if (mount.empty() || mount.front() != '/' || !host.is_string() ||
        host.get<std::string>().empty()) {
      return "KOPIUR_LOCAL_MOUNTS: entry \"" + mount +
             "\" needs an absolute mountPath and a non-empty host path string";
    }
    mounts.table_.emplace_back(without_trailing_slash(mount),
                               without_trailing_slash(host.get<std::string>()));
  }
  return mounts;
}

std::string LocalMounts::resolve(const std::string& path) const {
  const std::pair<std::string, std::string>* best = nullptr;
  for (const auto& entry : table_) {
    const auto& mount = entry.first;
    const bool inside =
        mount == "/" || (path.compare(0, mount.size(), mount) == 0 &&
                         (path.size() == mount.size() || path[mount.size()] == '/'));
    if (inside && (best == nullptr || mount.size() > best->first.size())) best = &entry;
  }
  if (best == nullptr) return path;
  if (best->first == "/") return best->second + (path == "/" ? "" : path);
  return best->second + path.substr(best->first.size());
}

}  // namespace kopiur::mover
