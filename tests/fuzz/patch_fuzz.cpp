// libFuzzer target for the local API server's patch application
// (src/localkube/detail/patch_handler.cpp): the first line of the input is the stored object, the
// rest the patch body. As in the handler, an object body is a JSON merge patch and an array a
// JSON patch, whose failures are nlohmann::json exceptions the handler answers with 422; any other
// exception or a crash is a bug. Applying the same merge patch twice changes nothing the second
// time (RFC 7386 merge patches are idempotent).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "kopiur/support/json.hpp"

#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using nlohmann::json;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto newline = text.find('\n');
  if (newline == std::string_view::npos) return 0;
  json current = json::parse(text.substr(0, newline), nullptr, false);
  if (!current.is_object()) current = json::object();
  const json body = json::parse(text.substr(newline + 1), nullptr, false);
  if (body.is_object()) {
    json next = current;
    next.merge_patch(body);
    kopiur::fuzz::fuzz_require(next.is_object());
    json twice = next;
    twice.merge_patch(body);
    kopiur::fuzz::fuzz_require(twice == next);
  } else if (body.is_array()) {
    try {
      const json next = current.patch(body);
      (void)next.dump();
    } catch (const json::exception&) {
      // the handler's 422 Invalid
    }
  }
  return 0;
}
