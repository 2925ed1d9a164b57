// The CustomResourceDefinitions: rendered from the C++ descriptions of the seven kinds
// (include/kopiur/api/, via kopiur::api::crd_files()) into deploy/crds/<plural>.yaml. The
// directory is owned, so a CRD left over from a renamed kind is reported as stray.
#include "kopiur/api/crd.hpp"

#include "generator.hpp"

namespace kopiur::xtask {

GeneratorOutput generate_crds(const std::filesystem::path&) {
  GeneratorOutput out;
  out.owned_dirs.emplace_back("deploy/crds");
  for (auto& file : kopiur::api::crd_files()) {
    out.files.push_back({file.path, std::move(file.content)});
  }
  return out;
}

}  // namespace kopiur::xtask
