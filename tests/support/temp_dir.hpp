// File: support/temp_dir.hpp
//
// TempDir: a fresh directory under $TMPDIR (or /tmp), removed with its content on destruction.
// Also write_file_atomically(), which replaces a file by rename so readers never see half a file.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace kopiur::test {

class TempDir {
 public:
  // Creates "<tmp>/<prefix>XXXXXX"; throws std::runtime_error if it cannot.
  explicit TempDir(std::string_view prefix = "kopiur-test-");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
  [[nodiscard]] std::string file(std::string_view name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// Writes `content` to `path` via a temporary sibling and rename(2). Throws on I/O errors.
void write_file_atomically(const std::string& path, std::string_view content);

// The whole content of `path`; throws if unreadable.
[[nodiscard]] std::string read_file(const std::string& path);

}  // namespace kopiur::test
