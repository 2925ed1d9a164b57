#include "localkube/detail/pod_volumes.hpp"

#include <filesystem>
#include <fstream>

#include "localkube/detail/json_access.hpp"

namespace kopiur::localkube::detail {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// A name that is one path component: claim and volume names become directory names.
bool plain_component(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos;
}

// A relative path that stays inside its base (subPath, items[].path).
bool contained_relative(const std::string& path) {
  if (path.empty() || path.front() == '/') return false;
  for (const auto& part : fs::path(path)) {
    if (part == "..") return false;
  }
  return true;
}

// Writes a Secret's or ConfigMap's keys as files, as the kubelet's atomic writer leaves them
// (mode from defaultMode / items[].mode, 0644 when unset).
std::optional<VolumeError> write_files(const json& source,
                                       const std::map<std::string, std::string>& data,
                                       const fs::path& dir) {
  std::error_code ec;
  fs::remove_all(dir, ec);
  fs::create_directories(dir, ec);
  if (ec) return VolumeError{false, "cannot create " + dir.string() + ": " + ec.message()};
  const auto default_mode = field::integer(source, "defaultMode", 0644);
  std::vector<std::tuple<std::string, std::string, std::int64_t>> files;  // key, path, mode
  const auto& items = field::list(source, "items");
  if (items.empty()) {
    for (const auto& [key, value] : data) files.emplace_back(key, key, default_mode);
  } else {
    for (const auto& item : items) {
      files.emplace_back(field::text(item, "key"), field::text(item, "path"),
                         field::integer(item, "mode", default_mode));
    }
  }
  for (const auto& [key, rel, mode] : files) {
    const auto it = data.find(key);
    if (it == data.end()) continue;  // the kubelet reports missing item keys as a mount error
    if (!contained_relative(rel)) {
      return VolumeError{
          true, "volume item path \"" + rel + "\" must be relative and stay inside the volume"};
    }
    const auto file = dir / rel;
    fs::create_directories(file.parent_path(), ec);
    std::ofstream(file, std::ios::binary | std::ios::trunc) << it->second;
    fs::permissions(file, static_cast<fs::perms>(mode & 07777), ec);
  }
  return std::nullopt;
}

struct Volume {
  fs::path host;
  std::optional<VolumeError> error;
};

Volume materialise(const json& volume, const std::string& ns, const fs::path& pod_dir,
                   const fs::path& volumes_dir, const ConfigLookup& lookup) {
  const auto name = field::text(volume, "name");
  if (!plain_component(name))
    return {{}, VolumeError{true, "volume name \"" + name + "\" is invalid"}};
  const auto own = pod_dir / "volumes" / name;
  std::error_code ec;
  if (volume.contains("persistentVolumeClaim")) {
    const auto claim = field::text(field::map(volume, "persistentVolumeClaim"), "claimName");
    if (!plain_component(claim)) {
      return {{},
              VolumeError{true, "volume \"" + name + "\": claimName \"" + claim + "\" is invalid"}};
    }
    auto dir = volumes_dir / ns / claim;
    fs::create_directories(dir, ec);
    if (ec) return {{}, VolumeError{false, "cannot create " + dir.string() + ": " + ec.message()}};
    return {dir, std::nullopt};
  }
  for (const char* kind : {"secret", "configMap"}) {
    if (!volume.contains(kind)) continue;
    const auto& source = field::map(volume, kind);
    const bool secret = std::string(kind) == "secret";
    const auto object = field::text(source, secret ? "secretName" : "name");
    const auto data = lookup(secret ? "Secret" : "ConfigMap", object);
    if (!data && !field::flag(source, "optional")) {
      return {{},
              VolumeError{false, "MountVolume.SetUp failed for volume \"" + name +
                                     "\" : " + (secret ? "secret" : "configmap") + " \"" + object +
                                     "\" not found"}};
    }
    if (auto error =
            write_files(source, data.value_or(std::map<std::string, std::string>{}), own)) {
      return {{}, error};
    }
    return {own, std::nullopt};
  }
  if (volume.contains("emptyDir")) {
    fs::create_directories(own, ec);
    if (ec) return {{}, VolumeError{false, "cannot create " + own.string() + ": " + ec.message()}};
    return {own, std::nullopt};
  }
  if (volume.contains("hostPath")) {
    return {fs::path(field::text(field::map(volume, "hostPath"), "path")), std::nullopt};
  }
  std::string type = "unknown";
  for (const auto& [key, value] : volume.items()) {
    if (key != "name") type = key;
  }
  return {{},
          VolumeError{true, "volume \"" + name + "\" of type " + type +
                                " is not supported by kopiur-localkube (supported: "
                                "persistentVolumeClaim, secret, configMap, emptyDir, hostPath)"}};
}

}  // namespace

MountsOrError container_mounts(const json& pod, const json& container, const std::string& pod_dir,
                               const std::string& volumes_dir, const ConfigLookup& lookup) {
  const auto ns = field::text(field::map(pod, "metadata"), "namespace");
  const auto& volumes = field::list(field::map(pod, "spec"), "volumes");
  MountsOrError out;
  for (const auto& mount : field::list(container, "volumeMounts")) {
    const auto name = field::text(mount, "name");
    const auto it = std::find_if(volumes.begin(), volumes.end(),
                                 [&](const json& v) { return field::text(v, "name") == name; });
    if (it == volumes.end()) {
      out.error = VolumeError{true, "volumeMount \"" + name + "\" names no volume of the pod"};
      return out;
    }
    auto volume = materialise(*it, ns, pod_dir, volumes_dir, lookup);
    if (volume.error) {
      out.error = volume.error;
      return out;
    }
    const auto sub = field::text(mount, "subPath");
    if (!sub.empty() && !contained_relative(sub)) {
      out.error =
          VolumeError{true, "subPath \"" + sub + "\" must be relative and stay inside the volume"};
      return out;
    }
    LocalMount m;
    m.mount_path = field::text(mount, "mountPath");
    m.host_path = (sub.empty() ? volume.host : volume.host / sub).string();
    m.read_only = field::flag(mount, "readOnly");
    out.mounts.push_back(std::move(m));
  }
  return out;
}

std::string local_mounts_env(const std::vector<LocalMount>& mounts) {
  json table = json::object();
  for (const auto& m : mounts) table[m.mount_path] = m.host_path;
  return table.dump();
}

}  // namespace kopiur::localkube::detail
