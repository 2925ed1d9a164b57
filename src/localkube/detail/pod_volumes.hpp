// Pod volumes on a node without mount namespaces. The local kubelet runs containers as plain
// processes, so a volume cannot appear at its mountPath; instead each volume is a host directory
// and a container learns where its mounts are from KOPIUR_LOCAL_MOUNTS, a JSON object
// {"<mountPath>": "<host path>"} that kopiur-mover (and any program that wants to) reads to
// translate the paths it was given. The convention (docs/kubernetes.md, "Volumes"):
//   persistentVolumeClaim  <volumes_dir>/<namespace>/<claimName>, kept across pods, so a backup
//                          Job reads what a restore Job wrote and a test can seed the data
//   secret, configMap      <pod_dir>/volumes/<volume>: one file per key (or per `items` entry)
//   emptyDir               <pod_dir>/volumes/<volume>, removed with the pod
//   hostPath               the path itself
// A subPath mount is the volume's directory joined with subPath. Other volume types fail the pod
// with a message naming them; a missing Secret or ConfigMap (not optional) keeps the pod waiting
// with the kubelet's FailedMount wording.
#pragma once

#include <string>
#include <vector>

#include "kopiur/support/json.hpp"

#include "localkube/detail/kube_types.hpp"
#include "localkube/detail/pod_env.hpp"

namespace kopiur::localkube::detail {

struct LocalMount {
  std::string mount_path;  // where the container expects it
  std::string host_path;   // where it is on this machine
  bool read_only = false;
};

struct VolumeError {
  bool unsupported = false;  // true: the pod can never run here; false: wait and retry
  std::string message;
};

// Materialises the pod's volumes that `container` mounts and returns its mount table, or why it
// cannot be built. Secret and ConfigMap files are rewritten on every call (the pod start).
struct MountsOrError {
  std::vector<LocalMount> mounts;
  std::optional<VolumeError> error;
};
MountsOrError container_mounts(const nlohmann::json& pod, const nlohmann::json& container,
                               const std::string& pod_dir, const std::string& volumes_dir,
                               const ConfigLookup& lookup);

// The KOPIUR_LOCAL_MOUNTS value for `mounts` (a JSON object, mountPath -> host path).
std::string local_mounts_env(const std::vector<LocalMount>& mounts);

}  // namespace kopiur::localkube::detail
