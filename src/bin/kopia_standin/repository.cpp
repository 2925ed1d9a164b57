// The stand-in's filesystem repository: format blob, sealed content-addressed blobs, manifests.
#include "repository.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <system_error>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace kopia_standin {

namespace fs = std::filesystem;

namespace {

constexpr const char* kFormatFile = "kopiur-standin.repository";
constexpr const char* kFormatName = "kopiur-kopia-standin/1";
constexpr const char* kCheckText = "kopiur-kopia-standin key check";

std::string errno_text(const fs::path& path) { return path.string() + ": " + std::strerror(errno); }

}  // namespace

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("unable to read " + errno_text(path));
  std::string data;
  in.seekg(0, std::ios::end);
  data.resize(static_cast<std::size_t>(in.tellg()));
  in.seekg(0);
  in.read(data.data(), static_cast<std::streamsize>(data.size()));
  if (!in) throw Error("unable to read " + errno_text(path));
  return data;
}

void write_file_atomic(const fs::path& path, std::string_view data, unsigned mode) {
  const fs::path tmp = path.parent_path() / (".tmp-" + hex(random_bytes(8)));
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) throw Error("unable to write " + errno_text(tmp));
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = errno_text(tmp);
      ::close(fd);
      ::unlink(tmp.c_str());
      throw Error("unable to write " + why);
    }
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = errno_text(path);
    ::unlink(tmp.c_str());
    throw Error("unable to write " + why);
  }
}

void Repository::create(const fs::path& path, const std::string& password) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) throw Error("cannot create storage directory " + path.string() + ": " + ec.message());
  if (fs::exists(path / kFormatFile)) {
    throw Error("unable to initialize repository: found existing data in storage location");
  }
  const std::string salt = random_bytes(32);
  const std::string unique_id = random_bytes(32);
  const ScryptParams params;
  const RepoKeys keys = derive_keys(password, salt, params);
  const nlohmann::json format = {
      {"format", kFormatName},
      {"uniqueID", hex(unique_id)},
      {"keyDerivation",
       {{"algorithm", "scrypt"},
        {"n", params.n},
        {"r", params.r},
        {"p", params.p},
        {"salt", hex(salt)}}},
      {"keyCheck", hex(hmac_sha256(keys.check, kCheckText))},
      {"hash", "HMAC-SHA256"},
      {"encryption", "AES256-GCM"},
      {"splitter", "FIXED-4M"},
  };
  fs::create_directories(path / "blobs");
  fs::create_directories(path / "manifests");
  write_file_atomic(path / kFormatFile, format.dump(2) + "\n", 0644);
}

Repository Repository::open(const fs::path& path, const std::string& password) {
  if (!fs::exists(path / kFormatFile)) {
    throw Error("repository not initialized in the provided storage");
  }
  nlohmann::json format;
  try {
    format = nlohmann::json::parse(read_file(path / kFormatFile));
    if (format.at("format") != kFormatName) throw Error("unsupported repository format");
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("invalid repository format blob: ") + e.what());
  }
  const auto& kdf = format.at("keyDerivation");
  const ScryptParams params{kdf.at("n").get<std::uint64_t>(), kdf.at("r").get<std::uint64_t>(),
                            kdf.at("p").get<std::uint64_t>()};
  Repository repo;
  repo.keys_ = derive_keys(password, unhex(kdf.at("salt").get<std::string>()), params);
  if (hex(hmac_sha256(repo.keys_.check, kCheckText)) != format.at("keyCheck")) {
    throw Error("invalid repository password");
  }
  repo.path_ = path;
  repo.unique_id_ = format.at("uniqueID").get<std::string>();
  return repo;
}

fs::path Repository::blob_path(const std::string& id) const {
  return path_ / "blobs" / id.substr(0, 2) / id;
}

std::string Repository::put(std::string_view content) {
  const std::string id = hex(hmac_sha256(keys_.address, content));
  const fs::path file = blob_path(id);
  struct stat st {};
  if (::stat(file.c_str(), &st) == 0) return id;  // deduplicated
  std::error_code ec;
  fs::create_directories(file.parent_path(), ec);
  if (ec) throw Error("unable to create " + file.parent_path().string() + ": " + ec.message());
  const std::string sealed = seal(keys_.seal, content);
  write_file_atomic(file, sealed);
  bytes_written_ += sealed.size();
  return id;
}

std::string Repository::open_sealed(const fs::path& file) const {
  std::string plain;
  if (!kopia_standin::open(keys_.seal, read_file(file), plain)) {
    throw Error("invalid checksum or corrupted data in " + file.string());
  }
  return plain;
}

std::string Repository::get(const std::string& id) const {
  if (id.size() != 64 || unhex(id).empty()) throw Error("invalid content ID: " + id);
  const fs::path file = blob_path(id);
  if (!fs::exists(file)) throw Error("content not found: " + id + ": BLOB not found");
  return open_sealed(file);
}

std::vector<BlobInfo> Repository::blobs() const {
  std::vector<BlobInfo> out;
  for (const auto& entry : fs::recursive_directory_iterator(path_ / "blobs")) {
    if (!entry.is_regular_file()) continue;
    const std::string name = entry.path().filename().string();
    if (name.size() != 64) continue;  // temporary files
    struct stat st {};
    if (::stat(entry.path().c_str(), &st) != 0) continue;
    out.push_back({name, static_cast<std::uint64_t>(st.st_size), st.st_mtime});
  }
  return out;
}

void Repository::remove_blob(const std::string& id) {
  std::error_code ec;
  fs::remove(blob_path(id), ec);
  if (ec) throw Error("unable to delete blob " + id + ": " + ec.message());
}

void Repository::save_manifest(const std::string& id, const nlohmann::ordered_json& manifest) {
  write_file_atomic(path_ / "manifests" / id, seal(keys_.seal, manifest.dump()));
}

std::vector<nlohmann::ordered_json> Repository::manifests() const {
  std::vector<nlohmann::ordered_json> out;
  for (const auto& entry : fs::directory_iterator(path_ / "manifests")) {
    const std::string name = entry.path().filename().string();
    if (name.size() != 32) continue;
    out.push_back(nlohmann::ordered_json::parse(open_sealed(entry.path())));
  }
  return out;
}

nlohmann::ordered_json Repository::manifest(const std::string& id) const {
  const fs::path file = path_ / "manifests" / id;
  if (id.size() != 32 || id.find('/') != std::string::npos || !fs::exists(file)) {
    throw Error("snapshot not found");
  }
  return nlohmann::ordered_json::parse(open_sealed(file));
}

void Repository::remove_manifest(const std::string& id) {
  (void)manifest(id);  // throws when missing
  fs::remove(path_ / "manifests" / id);
}

nlohmann::ordered_json Repository::maintenance_state() const {
  const fs::path file = path_ / "maintenance";
  if (!fs::exists(file)) return nlohmann::ordered_json::object();
  return nlohmann::ordered_json::parse(open_sealed(file));
}

void Repository::save_maintenance_state(const nlohmann::ordered_json& state) {
  write_file_atomic(path_ / "maintenance", seal(keys_.seal, state.dump()));
}

}  // namespace kopia_standin
