// File: kopiur/mover/local_mounts.hpp
//
// LocalMounts: where a container's mounts really are when kopiur-localkube runs the Job as a
// plain process. Its kubelet cannot mount anything, so it passes KOPIUR_LOCAL_MOUNTS, a JSON
// object {"<mountPath>": "<host path>"} (docs/kubernetes.md, "Volumes"), and the mover
// translates every path it is given (--work-spec, --secret-dir, the work spec's repository,
// source and target paths) through it. On a real node the variable is unset and every path
// stays as it is, so there is one code path for both.
//
//   auto mounts = LocalMounts::parse(std::getenv("KOPIUR_LOCAL_MOUNTS"));
//   mounts->resolve("/data/app")   // "/var/lib/kopiur/volumes/ns/claim/app" under localkube
//
// The longest mountPath that is the path itself or a parent directory of it wins.
// Thread-safety: immutable after parse(). Failure: parse() names what is wrong.
#pragma once

#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace kopiur::mover {

class LocalMounts {
 public:
  // nullptr or "" (unset) gives the identity; malformed JSON gives an error message.
  static std::variant<LocalMounts, std::string> parse(const char* value);

  std::string resolve(const std::string& path) const;
  bool empty() const { return table_.empty(); }

 private:
  std::vector<std::pair<std::string, std::string>> table_;  // mountPath (no trailing /), host
};

}  // namespace kopiur::mover
