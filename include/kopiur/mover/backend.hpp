// File: kopiur/mover/backend.hpp
//
// Backend: how kopia reaches a repository's storage, read from the work spec's `repository`
// member (docs/mover.md, "Backends"): kopia's storage subcommand (`repository connect s3 ...`),
// its flags, and the credentials, which come from files of the mounted Secret (--secret-dir) and
// reach kopia through the environment variables kopia itself reads (AWS_ACCESS_KEY_ID, B2_KEY,
// KOPIA_WEBDAV_PASSWORD, ...) or, for credentials kopia takes as files (a GCS service-account
// key, an SFTP private key), as a flag naming the Secret's file. A credential never appears on
// kopia's command line.
//
//   std::vector<std::string> errors;
//   Backend b = read_backend(spec["repository"], "/etc/kopiur/work-spec", errors);
//   // b.type == "s3", b.flags == {"--bucket=x", ...}, b.env == {"AWS_ACCESS_KEY_ID=...", ...}
//
// Thread-safety: pure functions (they read the Secret's files). Failure: problems are appended
// to `errors`, each naming its field ("repository.s3.bucket: required field is missing").
#pragma once

#include <string>
#include <vector>

#include "kopiur/support/json.hpp"

namespace kopiur::mover {

struct Backend {
  std::string type;                // kopia's storage subcommand: filesystem, s3, gcs, ...
  std::vector<std::string> flags;  // for `repository connect|create <type>`
  std::vector<std::string> env;    // NAME=value credentials for kopia's environment
  std::string location;            // for logs, without credentials: "s3://bucket/prefix"
  std::string filesystem_path;     // the filesystem backend's path ("" for the others)
};

// The work spec's names of the backends, in the order the CRD lists them.
const std::vector<std::string>& backend_names();

// read_backend(): exactly one backend member of `repository` (besides create, passwordKey).
Backend read_backend(const nlohmann::json& repository, const std::string& secret_dir,
                     std::vector<std::string>& errors);

// The flags of `repository connect` for `backend` (the filesystem path may have been translated
// to a local path since read_backend()).
std::vector<std::string> connect_flags(const Backend& backend);

}  // namespace kopiur::mover
