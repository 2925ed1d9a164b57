// cli: the part of kopia's command line the stand-in accepts (kingpin style: command words, then
// flags and arguments in any order; --flag=value or --flag value; --no-flag for booleans), and
// the connection context every repository command starts from.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "kopiur/support/json.hpp"

#include "repository.hpp"

namespace kopia_standin {

// A command-line mistake: kingpin's "kopia: error: <message>, try --help", exit 1.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Args {
  std::string command;  // "snapshot create", ...
  std::vector<std::string> positionals;
  std::map<std::string, std::vector<std::string>> values;
  std::map<std::string, bool> bools;

  [[nodiscard]] bool flag(const std::string& name) const;
  [[nodiscard]] std::optional<std::string> value(const std::string& name) const;
  [[nodiscard]] std::vector<std::string> all(const std::string& name) const;
};

// Throws UsageError for unknown commands or flags.
Args parse_args(const std::vector<std::string>& argv);

// The connected repository, as kopia's repository.config records it.
struct Connection {
  std::string config_file;
  std::string storage_path;
  std::string hostname;
  std::string username;
  std::string description;
  bool read_only = false;  // connected with --readonly (kopia's clientOptions "readonly")
};

// kopia's read-only storage wrapper refuses every write: throws Error("... storage is
// read-only") for a connection made with --readonly; `what` names the write.
void refuse_if_read_only(const Connection& c, const std::string& what);

std::string config_file_path(const Args& args);
std::string resolve_password(const Args& args, const std::string& config_file);
// Writes the config (and, unless --persist-credentials=false, the password file).
void save_connection(const Args& args, const Connection& c, const std::string& password);
// Throws Error("repository is not connected...") when there is no config.
Connection load_connection(const Args& args);
void forget_connection(const Args& args);

std::string default_hostname();
std::string default_username();

}  // namespace kopia_standin
