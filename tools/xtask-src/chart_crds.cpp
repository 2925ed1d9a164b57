// The chart's CRDs: deploy/helm/kopiur/crds/<plural>.yaml, the same documents as deploy/crds/
// (kopiur::api::crd_files()). Helm 3 installs crds/ before the templates and never deletes them
// on uninstall, so removing the chart does not delete every kopiur object with it.
#include "kopiur/api/crd.hpp"

#include "generator.hpp"

namespace kopiur::xtask {

GeneratorOutput generate_chart_crds(const std::filesystem::path&) {
  const std::filesystem::path dir = "deploy/helm/kopiur/crds";
  GeneratorOutput out;
  out.owned_dirs.push_back(dir);
  for (auto& file : kopiur::api::crd_files()) {
    out.files.push_back(
        {dir / std::filesystem::path(file.path).filename(), std::move(file.content)});
  }
  return out;
}

}  // namespace kopiur::xtask
