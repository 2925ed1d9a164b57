// Test helpers for the mover and the kopia stand-in: building a file tree with varied content,
// modes, mtimes and symlinks, and comparing two trees entry by entry (type, content, mode, mtime).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace kopiur::test {

struct TreeShape {
  int files = 100;  // spread over directories of `per_dir` files
  int per_dir = 100;
  std::size_t big_file_bytes = 0;  // one extra file of this size (several 4 MiB chunks)
};

// Creates the tree under `root` (which must not exist); returns the bytes written.
std::uint64_t make_tree(const std::filesystem::path& root, const TreeShape& shape);

// "" when the trees are identical, else the first difference.
std::string compare_trees(const std::filesystem::path& a, const std::filesystem::path& b);

// Regular files under `dir`, recursively.
std::size_t count_files(const std::filesystem::path& dir);

}  // namespace kopiur::test
