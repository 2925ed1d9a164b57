// The fuzz target's function over the seed corpus, every prefix of each seed and byte flips of
// it, in every build (the libFuzzer binary itself needs clang: KOPIUR_BUILD_FUZZERS). The full
// handler (validation included) sees the same inputs: nothing crashes, nothing malformed is
// allowed.
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "kopiur/telemetry/metrics/meter.hpp"
#include "kopiur/webhook/webhook.hpp"

#include "webhook/objects.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace kopiur::webhook::test {
namespace {

std::vector<std::string> seeds() {
  std::vector<std::string> out;
  for (const auto& entry :
       std::filesystem::directory_iterator(KOPIUR_TEST_SOURCE_DIR "/tests/webhook/corpus")) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    out.push_back(text.str());
  }
  return out;
}

void run(const std::string& input) {
  LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
}

TEST(FuzzCorpus, SeedsPrefixesAndFlipsNeitherCrashNorSlipThrough) {
  const auto corpus = seeds();
  ASSERT_GE(corpus.size(), 10u);
  telemetry::metrics::MeterProvider provider;
  auto meter = provider.meter();
  const MapLookup lookup = cluster();
  const AdmissionWebhook webhook(meter, &lookup);
  std::size_t inputs = 0;
  const auto both = [&](const std::string& input) {
    run(input);
    telemetry::http::Request request;
    request.body = input;
    const auto response = webhook.handle(request);
    const auto answer = json::parse(response.body);
    if (response.status != 200) {
      EXPECT_EQ(answer["response"]["allowed"], false) << input;
    }
    ++inputs;
  };
  for (const auto& seed : corpus) {
    for (std::size_t n = 0; n <= seed.size(); n += 1 + seed.size() / 97) both(seed.substr(0, n));
    for (std::size_t i = 0; i < seed.size(); i += 1 + seed.size() / 53) {
      for (const char c : {'"', '{', ']', '\\', '\0', '\xff', '9'}) {
        std::string flipped = seed;
        flipped[i] = c;
        both(flipped);
      }
    }
  }
  EXPECT_GT(inputs, 3000u);
}

}  // namespace
}  // namespace kopiur::webhook::test
