// The chart's copy of the Grafana dashboard: deploy/dashboards/kopiur.json is the source of truth;
// deploy/helm/kopiur/files/dashboards/kopiur.json is a byte-for-byte copy, written only after the
// source parses as JSON.
#include <fstream>
#include <iterator>

#include "kopiur/support/json.hpp"

#include "generator.hpp"

namespace kopiur::xtask {

GeneratorOutput generate_dashboards(const std::filesystem::path& root) {
  const std::filesystem::path source = "deploy/dashboards/kopiur.json";
  const std::filesystem::path copy_dir = "deploy/helm/kopiur/files/dashboards";
  GeneratorOutput out;
  out.owned_dirs.push_back(copy_dir);
  std::ifstream in(root / source, std::ios::binary);
  if (!in) return out;  // no dashboard yet: nothing to copy (and any copy is stray)
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  try {
    const nlohmann::json parsed = nlohmann::json::parse(text);
    (void)parsed;
  } catch (const nlohmann::json::parse_error& e) {
    out.errors.push_back(source.string() + " is not valid JSON (" + e.what() +
                         "); fix it, then run tools/xtask gen-all");
    return out;
  }
  out.files.push_back({copy_dir / "kopiur.json", std::move(text)});
  return out;
}

}  // namespace kopiur::xtask
