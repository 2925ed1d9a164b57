// The generator interface of kopiur-xtask: each generator reads its source of truth (code or a
// file under the source root) and returns the files it owns, as {path, content} items.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace kopiur::xtask {

struct GeneratedFile {
  std::filesystem::path path;  // relative to the source root
  std::string content;
};

struct GeneratorOutput {
  std::vector<GeneratedFile> files;
  // Directories (relative to the root) whose every file this generator owns: any file there it
  // did not produce is stray (gen-all removes it, --check reports it).
  std::vector<std::filesystem::path> owned_dirs;
  // Problems with the source of truth (e.g. invalid JSON): gen-all and --check both fail.
  std::vector<std::string> errors;
};

struct Generator {
  std::string name;
  std::function<GeneratorOutput(const std::filesystem::path& root)> run;
};

// Every generator, in the order they run (generators.cpp).
std::vector<Generator> all_generators();

// The generators themselves (one file each).
GeneratorOutput generate_metrics_doc(const std::filesystem::path& root);
GeneratorOutput generate_dashboards(const std::filesystem::path& root);
GeneratorOutput generate_crds(const std::filesystem::path& root);
GeneratorOutput generate_chart_crds(const std::filesystem::path& root);
GeneratorOutput generate_alert_rules(const std::filesystem::path& root);

}  // namespace kopiur::xtask
