// kopiur-xtask: `gen-all [--check] [--root DIR]`.
//   gen-all          writes every generated file (and removes stray files in owned directories)
//   gen-all --check  writes nothing; exit 1 listing drifted, missing and stray files
// Exit codes: 0 ok, 1 drift found (--check), 2 usage or source-of-truth error.
#include <algorithm>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <set>
#include <string>
#include <system_error>

#include "generator.hpp"

namespace {

namespace fs = std::filesystem;
using kopiur::xtask::GeneratedFile;

constexpr const char* kUsage =
    "usage: kopiur-xtask gen-all [--check] [--root DIR]\n"
    "  gen-all          regenerate every generated file from its source of truth\n"
    "  gen-all --check  write nothing; exit 1 and list drifted, missing and stray files\n"
    "  --root DIR       the source tree (default: the current directory)\n";

std::optional<std::string> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

bool write_file(const fs::path& path, const std::string& content) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  return static_cast<bool>(out);
}

int gen_all(const fs::path& root, bool check) {
  std::vector<std::string> problems;  // --check findings
  std::vector<std::string> errors;    // source-of-truth or I/O errors
  int written = 0;
  for (const kopiur::xtask::Generator& generator : kopiur::xtask::all_generators()) {
    kopiur::xtask::GeneratorOutput out = generator.run(root);
    for (const std::string& e : out.errors) errors.push_back(generator.name + ": " + e);
    std::set<fs::path> produced;
    for (const GeneratedFile& f : out.files) {
      produced.insert(f.path.lexically_normal());
      const fs::path full = root / f.path;
      const std::optional<std::string> current = read_file(full);
      if (current && *current == f.content) continue;
      if (check) {
        problems.push_back((current ? "drifted: " : "missing: ") + f.path.string());
      } else if (write_file(full, f.content)) {
        std::cout << "wrote " << f.path.string() << "\n";
        ++written;
      } else {
        errors.push_back(generator.name + ": cannot write " + full.string());
      }
    }
    for (const fs::path& dir : out.owned_dirs) {
      std::error_code ec;
      if (!fs::is_directory(root / dir, ec)) continue;
      for (const auto& entry : fs::recursive_directory_iterator(root / dir, ec)) {
        if (!entry.is_regular_file()) continue;
        const fs::path rel = fs::relative(entry.path(), root, ec).lexically_normal();
        if (produced.count(rel) != 0) continue;
        if (check) {
          problems.push_back("stray: " + rel.string());
        } else {
          fs::remove(entry.path(), ec);
          std::cout << "removed stray " << rel.string() << "\n";
        }
      }
    }
  }
  for (const std::string& e : errors) std::cerr << "error: " << e << "\n";
  if (!errors.empty()) return 2;
  if (check) {
    if (problems.empty()) {
      std::cout << "generated files are up to date\n";
      return 0;
    }
    std::sort(problems.begin(), problems.end());
    std::cerr << "generated files differ from their sources:\n";
    for (const std::string& p : problems) std::cerr << "  " << p << "\n";
    std::cerr << "run tools/xtask gen-all and commit the result\n";
    return 1;
  }
  if (written == 0) std::cout << "generated files are up to date\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] != "gen-all") {
    std::cerr << kUsage;
    return 2;
  }
  bool check = false;
  fs::path root = fs::current_path();
  for (std::size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--check") {
      check = true;
    } else if (args[i] == "--root" && i + 1 < args.size()) {
      root = args[++i];
    } else if (args[i].rfind("--root=", 0) == 0) {
      root = args[i].substr(7);
    } else {
      std::cerr << "unknown argument \"" << args[i] << "\"\n" << kUsage;
      return 2;
    }
  }
  if (!fs::is_directory(root)) {
    std::cerr << "error: --root " << root.string() << " is not a directory\n";
    return 2;
  }
  try {
    return gen_all(root, check);
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  }
}
