// libFuzzer target for AdmissionReview decoding: any bytes must decode to a request or a refusal
// without crashing, and the answer built from either must itself be a well-formed, decodable
// AdmissionReview response that never allows a refused body. Built with clang's -fsanitize=fuzzer
// when KOPIUR_BUILD_FUZZERS is on; the unit test admission_fuzz_corpus_test.cpp runs the same
// function over the seed corpus (tests/webhook/corpus) and mutations of it in every build.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "kopiur/support/json.hpp"
#include "kopiur/webhook/admission.hpp"

namespace {

using kopiur::webhook::AdmissionResponse;

void require(bool condition) {
  if (!condition) std::abort();  // the fuzzer reports the input
}

void check_answer(const AdmissionResponse& response, bool must_deny) {
  const auto answer = nlohmann::json::parse(kopiur::webhook::encode_review(response), nullptr,
                                            /*allow_exceptions=*/false);
  require(!answer.is_discarded());
  require(answer["apiVersion"] == "admission.k8s.io/v1" && answer["kind"] == "AdmissionReview");
  require(answer["response"]["allowed"].is_boolean());
  if (must_deny) {
    require(answer["response"]["allowed"] == false);
    require(answer["response"]["status"]["code"].is_number_integer());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const auto decoded = kopiur::webhook::decode_review(body);
  if (!decoded.request) {
    require(decoded.error.http_status >= 400 && !decoded.error.message.empty());
    require(!decoded.error.reason.empty());
    check_answer(kopiur::webhook::refusal(decoded.error), /*must_deny=*/true);
    return 0;
  }
  const auto& request = *decoded.request;
  require(!request.uid.empty() && !request.kind.kind.empty() && !request.operation.empty());
  if (request.operation == "CREATE" || request.operation == "UPDATE") {
    require(request.object.is_object());
  }
  AdmissionResponse allowed;
  allowed.uid = request.uid;
  allowed.allowed = true;
  allowed.warnings = {request.name};
  check_answer(allowed, /*must_deny=*/false);
  return 0;
}
