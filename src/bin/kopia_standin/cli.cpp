// Command-line parsing and the connection config of the stand-in.
#include "cli.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <pwd.h>
#include <unistd.h>

namespace kopia_standin {

namespace fs = std::filesystem;

namespace {

const std::set<std::string> kCommands = {
    "repository create filesystem",
    "repository connect filesystem",
    "repository status",
    "repository disconnect",
    "snapshot create",
    "snapshot list",
    "snapshot delete",
    "snapshot restore",
    "maintenance run",
    "maintenance info",
    "maintenance set",
};

// Flags that take a value (the short -p is --password); every other known flag is boolean.
const std::set<std::string> kValueFlags = {
    "config-file",
    "password",
    "path",
    "log-level",
    "file-log-level",
    "log-dir",
    "cache-directory",
    "override-hostname",
    "override-username",
    "description",
    "tags",
    "safety",
    "snapshot-time",
    "parallel",
    "max-results",
    "content-cache-size-mb",
    "metadata-cache-size-mb",
    "owner-uid",
    "owner-gid",
    "file-mode",
    "dir-mode",
    "mode",
    "block-hash",
    "encryption",
    "object-splitter",
    "owner",
};
const std::set<std::string> kBoolFlags = {
    "json",
    "json-indent",
    "json-verbose",
    "progress",
    "all",
    "delete",
    "full",
    "force",
    "persist-credentials",
    "check-for-updates",
    "readonly",
    "create-only",
    "overwrite-files",
    "overwrite-directories",
    "overwrite-symlinks",
    "skip-owners",
    "skip-permissions",
    "skip-times",
    "ignore-permission-errors",
    "flat",
    "enable-actions",
    "incomplete",
    "reverse",
    "auto-maintenance",
};

void add_flag(Args& args, const std::string& arg, const std::vector<std::string>& argv,
              std::size_t& i) {
  std::string name = arg.substr(2);
  std::optional<std::string> value;
  if (const auto eq = name.find('='); eq != std::string::npos) {
    value = name.substr(eq + 1);
    name.resize(eq);
  }
  if (kValueFlags.count(name) != 0) {
    if (!value) {
      if (i + 1 >= argv.size()) throw UsageError("expected argument for flag '--" + name + "'");
      value = argv[++i];
    }
    args.values[name].push_back(*value);
    return;
  }
  bool on = true;
  if (kBoolFlags.count(name) == 0 && name.rfind("no-", 0) == 0 &&
      kBoolFlags.count(name.substr(3)) != 0) {
    name = name.substr(3);
    on = false;
  }
  if (kBoolFlags.count(name) == 0) throw UsageError("unknown long flag '--" + name + "'");
  if (value) on = (*value == "true" || *value == "1");
  args.bools[name] = on;
}

fs::path config_dir() {
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg != nullptr && *xdg != '\0') {
    return fs::path(xdg) / "kopia";
  }
  const char* home = std::getenv("HOME");
  return fs::path(home != nullptr ? home : "/") / ".config" / "kopia";
}

}  // namespace

bool Args::flag(const std::string& name) const {
  const auto it = bools.find(name);
  return it != bools.end() && it->second;
}

std::optional<std::string> Args::value(const std::string& name) const {
  const auto it = values.find(name);
  if (it == values.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::vector<std::string> Args::all(const std::string& name) const {
  const auto it = values.find(name);
  return it == values.end() ? std::vector<std::string>{} : it->second;
}

Args parse_args(const std::vector<std::string>& argv) {
  Args args;
  std::vector<std::string> words;
  for (std::size_t i = 0; i < argv.size(); ++i) {
    const std::string& arg = argv[i];
    if (arg.rfind("--", 0) == 0 && arg.size() > 2) {
      add_flag(args, arg, argv, i);
    } else if (arg == "-p") {
      if (i + 1 >= argv.size()) throw UsageError("expected argument for flag '-p'");
      args.values["password"].push_back(argv[++i]);
    } else if (arg == "-a") {
      args.bools["all"] = true;
    } else if (args.command.empty()) {
      words.push_back(arg);
      std::string joined;
      for (const auto& w : words) joined += (joined.empty() ? "" : " ") + w;
      if (kCommands.count(joined) != 0) args.command = joined;
      if (words.size() > 3) throw UsageError("expected command but got \"" + words.front() + "\"");
    } else {
      args.positionals.push_back(arg);
    }
  }
  if (args.command.empty()) {
    throw UsageError(words.empty() ? "expected command but got none"
                                   : "expected command but got \"" + words.back() + "\"");
  }
  return args;
}

std::string config_file_path(const Args& args) {
  std::string path = args.value("config-file").value_or("");
  if (path.empty()) {
    const char* env = std::getenv("KOPIA_CONFIG_PATH");
    path = (env != nullptr && *env != '\0') ? env : "repository.config";
  }
  // A bare file name resolves against the configuration directory, as in kopia.
  if (fs::path(path).filename() == path) return (config_dir() / path).string();
  return path;
}

std::string resolve_password(const Args& args, const std::string& config_file) {
  if (auto p = args.value("password")) return *p;
  if (const char* env = std::getenv("KOPIA_PASSWORD"); env != nullptr) return env;
  const fs::path stored = config_file + ".kopia-password";
  if (fs::exists(stored)) return read_file(stored);
  throw Error(
      "unable to get repository password: password not provided "
      "(set KOPIA_PASSWORD or pass --password)");
}

void save_connection(const Args& args, const Connection& c, const std::string& password) {
  const fs::path file = c.config_file;
  std::error_code ec;
  if (file.has_parent_path()) fs::create_directories(file.parent_path(), ec);
  if (ec) throw Error("unable to create config directory: " + ec.message());
  const nlohmann::ordered_json config = {
      {"storage", {{"type", "filesystem"}, {"config", {{"path", c.storage_path}}}}},
      {"hostname", c.hostname},
      {"username", c.username},
      {"description", c.description},
      {"enableActions", false},
      {"readonly", c.read_only},
  };
  write_file_atomic(file, config.dump(2) + "\n", 0600);
  const bool persist =
      args.bools.count("persist-credentials") == 0 || args.flag("persist-credentials");
  if (persist) write_file_atomic(file.string() + ".kopia-password", password, 0600);
}

void refuse_if_read_only(const Connection& c, const std::string& what) {
  if (c.read_only) throw Error(what + ": storage is read-only");
}

Connection load_connection(const Args& args) {
  Connection c;
  c.config_file = config_file_path(args);
  if (!fs::exists(c.config_file)) {
    throw Error("repository is not connected. See https://kopia.io/docs/repositories/");
  }
  try {
    const auto config = nlohmann::json::parse(read_file(c.config_file));
    if (config.at("storage").at("type") != "filesystem") {
      throw Error("unsupported storage type in " + c.config_file);
    }
    c.storage_path = config.at("storage").at("config").at("path").get<std::string>();
    c.hostname = config.at("hostname").get<std::string>();
    c.username = config.at("username").get<std::string>();
    c.description = config.value("description", "");
    c.read_only = config.value("readonly", false);
  } catch (const nlohmann::json::exception& e) {
    throw Error("unable to read config file " + c.config_file + ": " + e.what());
  }
  return c;
}

void forget_connection(const Args& args) {
  const std::string file = config_file_path(args);
  std::error_code ec;
  fs::remove(file, ec);
  fs::remove(file + ".kopia-password", ec);
}

std::string default_hostname() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "localhost";
  std::string name = buf;
  if (const auto dot = name.find('.'); dot != std::string::npos) name.resize(dot);
  return name;
}

std::string default_username() {
  if (const char* user = std::getenv("USER"); user != nullptr && *user != '\0') return user;
  if (const passwd* pw = ::getpwuid(::geteuid()); pw != nullptr) return pw->pw_name;
  return "root";
}

}  // namespace kopia_standin
