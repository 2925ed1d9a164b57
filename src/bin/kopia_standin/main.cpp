// kopiur-kopia-standin: a kopia-compatible LOCAL STAND-IN, not kopia. It implements the subset of
// kopia's command line that kopiur-mover uses, with kopia's flags, exit codes and --json shapes,
// over its own filesystem repository format (see README.md). Real kopia is used whenever it is
// installed; this program exists because kopia is not packaged for Debian.
#include <cstdio>
#include <exception>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "commands.hpp"
#include "inject.hpp"

namespace {

namespace ks = kopia_standin;

constexpr const char* kUsage =
    "usage: kopiur-kopia-standin [<flags>] <command> [<args> ...]\n\n"
    "A local stand-in for kopia (not kopia). Commands:\n"
    "  repository create filesystem --path=PATH\n"
    "  repository connect filesystem --path=PATH\n"
    "  repository status [--json]\n"
    "  repository disconnect\n"
    "  snapshot create PATH [--json] [--description=TEXT] [--tags=KEY:VALUE]\n"
    "  snapshot list [PATH] [--json] [--all]\n"
    "  snapshot delete ID [--delete]\n"
    "  snapshot restore ID TARGET\n"
    "  maintenance run [--full] [--safety=full|none]\n"
    "  maintenance info [--json]\n"
    "  maintenance set --owner=me|USER@HOST\n"
    "Global: --config-file=PATH (KOPIA_CONFIG_PATH), --password=PASS (KOPIA_PASSWORD)\n";

int dispatch(const ks::Args& args) {
  static const std::map<std::string, std::function<int(const ks::Args&)>> kTable = {
      {"repository create filesystem", ks::repository_create},
      {"repository connect filesystem", ks::repository_connect},
      {"repository status", ks::repository_status},
      {"repository disconnect", ks::repository_disconnect},
      {"snapshot create", ks::snapshot_create},
      {"snapshot list", ks::snapshot_list},
      {"snapshot delete", ks::snapshot_delete},
      {"snapshot restore", ks::snapshot_restore},
      {"maintenance run", ks::maintenance_run},
      {"maintenance info", ks::maintenance_info},
      {"maintenance set", ks::maintenance_set},
  };
  if (auto code = ks::inject(args.command)) return *code;
  return kTable.at(args.command)(args);
}

// kopia's other storage types exist in kopia but not here: answer as kopia does when it cannot
// reach a storage (so the mover classifies it as RepositoryUnavailable), saying why.
bool other_storage(const std::vector<std::string>& argv) {
  static const std::set<std::string> kStorages = {"s3",   "gcs",    "azure",  "b2",
                                                  "sftp", "webdav", "rclone", "gdrive"};
  if (argv.size() < 3 || argv[0] != "repository") return false;
  if (argv[1] != "connect" && argv[1] != "create") return false;
  if (kStorages.count(argv[2]) == 0) return false;
  std::fprintf(stderr,
               "ERROR error connecting to storage: kopiur-kopia-standin keeps filesystem "
               "repositories only; the %s backend needs kopia itself (put it on PATH or set "
               "KOPIA_BIN)\n",
               argv[2].c_str());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> argv_list(argv + 1, argv + argc);
  for (const auto& a : argv_list) {
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (a == "--version") {
      std::puts("0.0.0-kopiur-standin build: kopiur-kopia-standin (not kopia)");
      return 0;
    }
  }
  if (other_storage(argv_list)) return 1;
  try {
    return dispatch(ks::parse_args(argv_list));
  } catch (const ks::UsageError& e) {
    std::fprintf(stderr, "kopia: error: %s, try --help\n", e.what());
  } catch (const ks::Error& e) {
    std::fprintf(stderr, "ERROR %s\n", e.what());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ERROR %s\n", e.what());
  }
  return 1;
}
