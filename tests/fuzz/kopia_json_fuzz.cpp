// libFuzzer target for the kopia JSON outputs the mover reads (snapshot create/list, repository
// status, maintenance info): any bytes give a value or an error quoting the output's head.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "kopiur/mover/kopia_json.hpp"

#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace mover = kopiur::mover;
  const std::string_view out(reinterpret_cast<const char*>(data), size);
  const auto created = mover::parse_snapshot_create(out);
  const auto listed = mover::parse_snapshot_list(out);
  const auto status = mover::parse_repository_status(out);
  const auto reclaimed = mover::parse_reclaimed_bytes(out, 1'700'000'000);
  if (!reclaimed.error.empty()) kopiur::fuzz::fuzz_require(!reclaimed.value.has_value());
  (void)mover::output_head(out, 16);
  (void)created;
  (void)listed;
  (void)status;
  return 0;
}
