// Building and comparing file trees for the stand-in and mover tests.
#include "tree_util.hpp"

#include <fstream>
#include <map>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace kopiur::test {

namespace fs = std::filesystem;

namespace {

void set_mtime(const fs::path& p, std::int64_t sec, long nsec, bool symlink = false) {
  const timespec t[2] = {{sec, nsec}, {sec, nsec}};
  ::utimensat(AT_FDCWD, p.c_str(), t, symlink ? AT_SYMLINK_NOFOLLOW : 0);
}

std::string content(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

std::uint64_t make_tree(const fs::path& root, const TreeShape& shape) {
  fs::create_directories(root);
  std::uint64_t bytes = 0;
  std::vector<fs::path> dirs;
  for (int i = 0; i < shape.files; ++i) {
    const fs::path dir = root / ("d" + std::to_string(i / shape.per_dir));
    if (i % shape.per_dir == 0) {
      fs::create_directories(dir);
      dirs.push_back(dir);
    }
    const fs::path file = dir / ("file-" + std::to_string(i) + ".txt");
    std::string data = "file " + std::to_string(i) + "\n";
    data.append(static_cast<std::size_t>(i % 97), static_cast<char>('a' + i % 26));
    if (i % 50 == 0) data = "shared content\n";  // duplicates: stored once
    std::ofstream(file, std::ios::binary) << data;
    bytes += data.size();
    ::chmod(file.c_str(), i % 3 == 0 ? 0600 : (i % 3 == 1 ? 0644 : 0755));
    set_mtime(file, 1600000000 + i, (i * 7919L) % 1000000000L);
  }
  if (shape.big_file_bytes > 0) {
    std::string big(shape.big_file_bytes, '\0');
    std::uint32_t x = 12345;
    for (auto& c : big) {
      x = x * 1103515245u + 12345u;
      c = static_cast<char>(x >> 24);
    }
    std::ofstream(root / "big.bin", std::ios::binary) << big;
    bytes += big.size();
  }
  std::ofstream(root / "empty") << "";
  fs::create_symlink("empty", root / "link-to-empty");
  set_mtime(root / "link-to-empty", 1500000000, 5, true);
  for (std::size_t i = 0; i < dirs.size(); ++i) {
    ::chmod(dirs[i].c_str(), i % 2 == 0 ? 0755 : 0750);
    set_mtime(dirs[i], 1650000000 + static_cast<std::int64_t>(i), 123456789);
  }
  set_mtime(root, 1700000000, 1);
  return bytes;
}

std::string compare_trees(const fs::path& a, const fs::path& b) {
  std::map<std::string, fs::path> left, right;
  for (const auto& e : fs::recursive_directory_iterator(a))
    left[fs::relative(e.path(), a)] = e.path();
  for (const auto& e : fs::recursive_directory_iterator(b))
    right[fs::relative(e.path(), b)] = e.path();
  left[""] = a;
  right[""] = b;
  for (const auto& [rel, pa] : left) {
    const auto it = right.find(rel);
    if (it == right.end()) return "missing in copy: " + rel;
    struct stat sa {
    }, sb{};
    ::lstat(pa.c_str(), &sa);
    ::lstat(it->second.c_str(), &sb);
    if ((sa.st_mode & S_IFMT) != (sb.st_mode & S_IFMT)) return "type differs: " + rel;
    if (!S_ISLNK(sa.st_mode) && (sa.st_mode & 07777) != (sb.st_mode & 07777)) {
      return "mode differs: " + rel;
    }
    if (sa.st_mtim.tv_sec != sb.st_mtim.tv_sec || sa.st_mtim.tv_nsec != sb.st_mtim.tv_nsec) {
      return "mtime differs: " + rel;
    }
    if (S_ISREG(sa.st_mode) && content(pa) != content(it->second)) return "content differs: " + rel;
    if (S_ISLNK(sa.st_mode) && fs::read_symlink(pa) != fs::read_symlink(it->second)) {
      return "link target differs: " + rel;
    }
  }
  if (left.size() != right.size()) return "the copy has extra entries";
  return {};
}

std::size_t count_files(const fs::path& dir) {
  std::size_t n = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) n += e.is_regular_file() ? 1 : 0;
  return n;
}

}  // namespace kopiur::test
