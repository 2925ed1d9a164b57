// libFuzzer target for the mover's own input and output: the work spec (JSON, for each
// operation) and the result the controller reads back from the termination message. A bad spec
// gives errors naming fields; a bad result reads as a failure with a reason; nothing throws.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "kopiur/controller/mover_result.hpp"
#include "kopiur/mover/work_spec.hpp"

#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  for (const char* operation : {"backup", "restore", "maintenance"}) {
    const auto loaded =
        kopiur::mover::parse_work_spec(text, operation, "/nonexistent-kopiur-fuzz-secret");
    for (const auto& error : loaded.errors) kopiur::fuzz::fuzz_require(!error.empty());
  }
  using kopiur::controller::MoverState;
  const auto seen = kopiur::controller::interpret_result(text);
  kopiur::fuzz::fuzz_require(seen.state == MoverState::kSucceeded ||
                             seen.state == MoverState::kFailed);
  if (seen.state == MoverState::kFailed) kopiur::fuzz::fuzz_require(!seen.failure.empty());
  return 0;
}
