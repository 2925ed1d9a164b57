// The backend table: each storage kopia supports, its work-spec fields and their kopia flags, and
// its credentials (Secret file names and how kopia receives them). Flag and variable names are
// kopia's own (cli/storage_*.go).
#include "kopiur/mover/backend.hpp"

#include <fstream>
#include <sstream>

namespace kopiur::mover {

using nlohmann::json;

namespace {

enum class Kind { kString, kBool, kPort };

struct Field {
  const char* key;   // in the work spec
  const char* flag;  // kopia's
  Kind kind;
  bool required;
};

// A Secret file holding a credential: exported as `env` (kopia reads the variable), or passed as
// `--<flag>=<path of the file>` when kopia wants a file, or (env_is_path) as `env=<path>`.
struct Credential {
  const char* file;
  const char* env;   // nullptr when passed as a file flag
  const char* flag;  // nullptr when passed through the environment
  bool required;
  bool env_is_path = false;
};

struct Definition {
  const char* name;   // work spec member
  const char* type;   // kopia subcommand
  const char* where;  // the field naming the location in logs
  std::vector<Field> fields;
  std::vector<Credential> credentials;
};

const std::vector<Definition>& definitions() {
  static const std::vector<Definition> defs = {
      {"filesystem", "filesystem", "path", {{"path", "--path", Kind::kString, true}}, {}},
      {"s3",
       "s3",
       "bucket",
       {{"bucket", "--bucket", Kind::kString, true},
        {"prefix", "--prefix", Kind::kString, false},
        {"endpoint", "--endpoint", Kind::kString, false},
        {"region", "--region", Kind::kString, false},
        {"disableTLS", "--disable-tls", Kind::kBool, false}},
       {{"AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY_ID", nullptr, true},
        {"AWS_SECRET_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY", nullptr, true},
        {"AWS_SESSION_TOKEN", "AWS_SESSION_TOKEN", nullptr, false}}},
      {"gcs",
       "gcs",
       "bucket",
       {{"bucket", "--bucket", Kind::kString, true}, {"prefix", "--prefix", Kind::kString, false}},
       {{"GOOGLE_APPLICATION_CREDENTIALS", nullptr, "--credentials-file", true}}},
      {"azure",
       "azure",
       "container",
       {{"container", "--container", Kind::kString, true},
        {"prefix", "--prefix", Kind::kString, false},
        {"storageAccount", "--storage-account", Kind::kString, false}},
       {{"AZURE_STORAGE_ACCOUNT", "AZURE_STORAGE_ACCOUNT", nullptr, false},
        {"AZURE_STORAGE_KEY", "AZURE_STORAGE_KEY", nullptr, false},
        {"AZURE_STORAGE_SAS_TOKEN", "AZURE_STORAGE_SAS_TOKEN", nullptr, false}}},
      {"b2",
       "b2",
       "bucket",
       {{"bucket", "--bucket", Kind::kString, true}, {"prefix", "--prefix", Kind::kString, false}},
       {{"B2_KEY_ID", "B2_KEY_ID", nullptr, true}, {"B2_KEY", "B2_KEY", nullptr, true}}},
      {"sftp",
       "sftp",
       "host",
       {{"host", "--host", Kind::kString, true},
        {"port", "--port", Kind::kPort, false},
        {"username", "--username", Kind::kString, true},
        {"path", "--path", Kind::kString, true}},
       {{"SFTP_KEY", nullptr, "--keyfile", true},
        {"SFTP_KNOWN_HOSTS", nullptr, "--known-hosts", true}}},
      {"webDav",
       "webdav",
       "url",
       {{"url", "--url", Kind::kString, true}},
       {{"KOPIA_WEBDAV_USERNAME", "KOPIA_WEBDAV_USERNAME", nullptr, false},
        {"KOPIA_WEBDAV_PASSWORD", "KOPIA_WEBDAV_PASSWORD", nullptr, false}}},
      {"rclone",
       "rclone",
       "remotePath",
       {{"remotePath", "--remote-path", Kind::kString, true},
        {"rcloneExe", "--rclone-exe", Kind::kString, false}},
       {{"RCLONE_CONFIG", "RCLONE_CONFIG", nullptr, false, true}}},
  };
  return defs;
}

bool read_file(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::stringstream buffer;
  buffer << in.rdbuf();
  out = buffer.str();
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return true;
}

std::string known_keys(const Definition& def) {
  std::string out;
  for (const auto& f : def.fields) out += (out.empty() ? "" : ", ") + std::string(f.key);
  return out;
}

void read_fields(const Definition& def, const json& member, const std::string& path, Backend& out,
                 std::vector<std::string>& errors) {
  for (const auto& [key, value] : member.items()) {
    bool known = key == "credentialsSecretRef";  // the controller's; ignored here
    for (const auto& f : def.fields) known = known || key == f.key;
    if (!known) {
      errors.push_back(path + "." + key + ": unknown field (known: " + known_keys(def) + ")");
    }
  }
  for (const auto& f : def.fields) {
    const std::string at = path + "." + f.key;
    const auto it = member.find(f.key);
    if (it == member.end() || it->is_null()) {
      if (f.required) errors.push_back(at + ": required field is missing");
      continue;
    }
    if (f.kind == Kind::kBool) {
      if (!it->is_boolean()) {
        errors.push_back(at + ": expected true or false, got " + it->type_name());
      } else if (it->get<bool>()) {
        out.flags.push_back(f.flag);
      }
    } else if (f.kind == Kind::kPort) {
      if (!it->is_number_integer() || it->get<std::int64_t>() < 1 ||
          it->get<std::int64_t>() > 65535) {
        errors.push_back(at + ": expected a port number 1-65535, got " + it->dump());
      } else {
        out.flags.push_back(std::string(f.flag) + "=" + std::to_string(it->get<std::int64_t>()));
      }
    } else if (!it->is_string()) {
      errors.push_back(at + ": expected a string, got " + it->type_name());
    } else if (it->get<std::string>().empty()) {
      errors.push_back(at + ": must not be empty");
    } else {
      out.flags.push_back(std::string(f.flag) + "=" + it->get<std::string>());
      if (f.key == std::string_view(def.where)) {
        out.location = std::string(def.type) + "://" + it->get<std::string>();
      }
    }
  }
}

void read_credentials(const Definition& def, const std::string& path, const std::string& secret_dir,
                      Backend& out, std::vector<std::string>& errors) {
  bool azure_secret = false;
  for (const auto& c : def.credentials) {
    const std::string file = secret_dir + "/" + c.file;
    std::string value;
    if (!read_file(file, value) || value.empty()) {
      if (c.required) {
        errors.push_back(path + ": the Secret has no key \"" + std::string(c.file) + "\" (" + file +
                         " is missing or empty); add it to the backend's credentials Secret");
      }
      continue;
    }
    if (c.env != nullptr) {
      out.env.push_back(std::string(c.env) + "=" + (c.env_is_path ? file : value));
    } else {
      out.flags.push_back(std::string(c.flag) + "=" + file);
    }
    azure_secret = azure_secret || std::string_view(c.file) == "AZURE_STORAGE_KEY" ||
                   std::string_view(c.file) == "AZURE_STORAGE_SAS_TOKEN";
  }
  if (std::string_view(def.name) == "azure" && !azure_secret) {
    errors.push_back(path +
                     ": the Secret needs AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN; add one to "
                     "the backend's credentials Secret");
  }
}

}  // namespace

const std::vector<std::string>& backend_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& d : definitions()) out.emplace_back(d.name);
    return out;
  }();
  return names;
}

Backend read_backend(const json& repository, const std::string& secret_dir,
                     std::vector<std::string>& errors) {
  Backend out;
  std::vector<const Definition*> present;
  for (const auto& [key, value] : repository.items()) {
    if (key == "create" || key == "passwordKey" || key == "readOnly") continue;
    const Definition* def = nullptr;
    for (const auto& d : definitions()) {
      if (key == d.name) def = &d;
    }
    if (def == nullptr) {
      std::string names;
      for (const auto& n : backend_names()) names += (names.empty() ? "" : ", ") + n;
      errors.push_back("repository." + key + ": unknown field (a backend is one of " + names +
                       "; besides it only create, readOnly and passwordKey)");
      continue;
    }
    if (!value.is_object()) {
      errors.push_back("repository." + key + ": expected an object, got " + value.type_name());
      continue;
    }
    present.push_back(def);
  }
  if (present.size() != 1) {
    if (present.empty()) {
      errors.push_back(
          "repository: no backend given (set exactly one of filesystem, s3, gcs, "
          "azure, b2, sftp, webDav, rclone)");
    } else {
      errors.push_back("repository: " + std::to_string(present.size()) +
                       " backends given; set exactly one");
    }
    return out;
  }
  const Definition& def = *present.front();
  const std::string path = std::string("repository.") + def.name;
  out.type = def.type;
  read_fields(def, repository.at(def.name), path, out, errors);
  if (out.type == "filesystem") {
    const auto it = repository.at(def.name).find("path");
    const std::string p =
        it != repository.at(def.name).end() && it->is_string() ? it->get<std::string>() : "";
    if (!p.empty() && p.front() != '/') {
      errors.push_back(path + ".path: must be an absolute path, got \"" + p + "\"");
    }
    out.filesystem_path = p;
    out.flags.clear();  // connect_flags() builds --path from the (translated) path
  }
  read_credentials(def, path, secret_dir, out, errors);
  return out;
}

std::vector<std::string> connect_flags(const Backend& backend) {
  if (backend.type == "filesystem") return {"--path=" + backend.filesystem_path};
  return backend.flags;
}

}  // namespace kopiur::mover
