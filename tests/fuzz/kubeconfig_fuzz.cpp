// libFuzzer target for kubeconfig files: any bytes give a Config or an Error naming the step,
// never a crash or an exception. File references resolve against a directory that does not
// exist, so nothing outside the input is read.
#include <cstddef>
#include <cstdint>
#include <string>

#include "kopiur/kube/config.hpp"

#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string yaml(reinterpret_cast<const char*>(data), size);
  const auto config = kopiur::kube::load_kubeconfig_text(yaml, "/nonexistent-kopiur-fuzz");
  if (!config.ok()) kopiur::fuzz::fuzz_require(!config.error().message.empty());
  const auto named = kopiur::kube::load_kubeconfig_text(yaml, "/nonexistent-kopiur-fuzz", "dev");
  if (!named.ok()) kopiur::fuzz::fuzz_require(!named.error().message.empty());
  return 0;
}
