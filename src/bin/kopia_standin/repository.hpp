// Repository: the stand-in's filesystem repository. Layout under the repository path:
//   kopiur-standin.repository   format: unique id, scrypt parameters and salt, the key check
//   blobs/<2 hex>/<64 hex>      contents, named by HMAC-SHA256 of the plaintext, AES-256-GCM sealed
//   manifests/<32 hex>          snapshot manifests (sealed JSON)
//   maintenance                 the maintenance schedule and run history (sealed JSON)
// Equal contents get equal names, so a second backup of unchanged data writes no blob.
#pragma once

#include <cstdint>
#include <ctime>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "kopiur/support/json.hpp"

#include "crypto.hpp"

namespace kopia_standin {

// An error kopia would report as "ERROR <message>" with exit code 1.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct BlobInfo {
  std::string id;
  std::uint64_t size = 0;
  std::time_t mtime = 0;
};

class Repository {
 public:
  static void create(const std::filesystem::path& path, const std::string& password);
  static Repository open(const std::filesystem::path& path, const std::string& password);

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  [[nodiscard]] const std::string& unique_id() const { return unique_id_; }

  // Stores a content; returns its id. Existing contents are not written again.
  std::string put(std::string_view content);
  [[nodiscard]] std::string get(const std::string& id) const;
  [[nodiscard]] std::vector<BlobInfo> blobs() const;
  void remove_blob(const std::string& id);
  // Bytes and blobs written by put() since open (new data only).
  [[nodiscard]] std::uint64_t bytes_written() const { return bytes_written_; }

  void save_manifest(const std::string& id, const nlohmann::ordered_json& manifest);
  [[nodiscard]] std::vector<nlohmann::ordered_json> manifests() const;
  // Throws Error when there is no such manifest.
  [[nodiscard]] nlohmann::ordered_json manifest(const std::string& id) const;
  void remove_manifest(const std::string& id);

  [[nodiscard]] nlohmann::ordered_json maintenance_state() const;
  void save_maintenance_state(const nlohmann::ordered_json& state);

 private:
  Repository() = default;
  [[nodiscard]] std::filesystem::path blob_path(const std::string& id) const;
  [[nodiscard]] std::string open_sealed(const std::filesystem::path& file) const;

  std::filesystem::path path_;
  std::string unique_id_;
  RepoKeys keys_;
  std::uint64_t bytes_written_ = 0;
};

// File helpers shared by the commands.
std::string read_file(const std::filesystem::path& path);
void write_file_atomic(const std::filesystem::path& path, std::string_view data,
                       unsigned mode = 0600);

}  // namespace kopia_standin
