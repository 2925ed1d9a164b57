// Replays a fuzz target's seed corpus (KOPIUR_REPLAY_CORPUS) through the target's own
// LLVMFuzzerTestOneInput, compiled into a unit test: under the ASan+UBSan tree's sanitizers and
// the target's own checks (an abort fails the test). CI's fuzz step builds only the targets that
// are cheap to build with clang (tools/fuzz.sh --ci); the local API server's request target, which
// links the whole server, has its seeds checked here instead, in a tree that builds the server
// anyway. Real fuzzing of it stays with tools/fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <gtest/gtest.h>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

TEST(FuzzCorpusReplay, EverySeedPassesTheTargetsChecks) {
  std::size_t replayed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(KOPIUR_REPLAY_CORPUS)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    SCOPED_TRACE(entry.path().string());
    EXPECT_EQ(
        LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()),
        0);
    ++replayed;
  }
  EXPECT_GE(replayed, 10u) << "the seed corpus is missing: " << KOPIUR_REPLAY_CORPUS;
}

}  // namespace
